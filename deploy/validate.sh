#!/usr/bin/env bash
# Validates the deployment files (docs/deploy.md): the Kubernetes manifests against the API schemas
# (npm kubernetes-models), the Prometheus alert rules (promtool check rules) and their unit tests
# (promtool test rules), and that every metric the Grafana dashboard and the rules query is one the
# node exports (cluster/.../metrics/Metrics.java). Installs what it lacks: prometheus (apt-get, for
# promtool) and the two npm packages into deploy/.tools (ignored by git). Exit 0 all valid, 1 not.
#   deploy/validate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if ! command -v promtool >/dev/null; then
  say "installing prometheus (promtool) with apt-get"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
tools="$here/.tools"
if [ ! -d "$tools/node_modules/kubernetes-models" ] || [ ! -d "$tools/node_modules/js-yaml" ]; then
  say "installing kubernetes-models and js-yaml (npm) into deploy/.tools"
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent kubernetes-models@4.5.1 js-yaml@4.1.0 >/dev/null
fi

say "Kubernetes manifests"
manifests=()
for f in "$here"/kubernetes/*.yaml; do [ "$(basename "$f")" = kustomization.yaml ] || manifests+=("$f"); done
NODE_PATH="$tools/node_modules" node "$here/validate-manifests.js" "${manifests[@]}"
# the validator itself must refuse a bad object, or a pass above proves nothing
bad="$(mktemp --suffix=.yaml)"
trap 'rm -f "$bad"' EXIT
sed 's/^  replicas: 3$/  replicas: three/' "$here/kubernetes/statefulset.yaml" >"$bad"
if NODE_PATH="$tools/node_modules" node "$here/validate-manifests.js" "$bad" >/dev/null 2>&1; then
  echo "the manifest validator accepted replicas: three" >&2; exit 1
fi
# every file kustomization.yaml names exists, and every manifest is named there
for f in "${manifests[@]}"; do
  grep -q "^  - $(basename "$f")$" "$here/kubernetes/kustomization.yaml" || { echo "$(basename "$f") is not in kustomization.yaml" >&2; exit 1; }
done

say "Prometheus rules"
(cd "$here/monitoring" && promtool check rules alerts.yml && promtool test rules alerts-test.yml)

say "metrics named by the dashboard and the rules exist"
exported="$(grep -o 'name("microcert_[a-z_]*")' "$root/cluster/src/main/java/org/microcert/cluster/metrics/Metrics.java" | sed 's/name("\(.*\)")/\1/')"
used="$(grep -oh 'microcert_[a-z_]*' "$here/monitoring/grafana-dashboard.json" "$here/monitoring/alerts.yml" | sort -u)"
missing=0
for m in $used; do
  base="$m"
  for suffix in _bucket _count _sum; do base="${base%"$suffix"}"; done
  # the histogram's series carry suffixes; counters are registered with their _total name
  grep -qx -e "$m" -e "$base" <<<"$exported" || { echo "not exported by the node: $m" >&2; missing=1; }
done
[ "$missing" -eq 0 ] || exit 1
echo "$(wc -w <<<"$used") metric names checked"
say "deploy files valid"
