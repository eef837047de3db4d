#!/usr/bin/env bash
# Run by `mvn verify` (dist module, integration-test phase): unpacks the tarball into target/ and runs
# its scripts the way an operator would, with a JRE on PATH and no Maven and no checkout: a `mvn` on
# PATH that fails, and the unpacked copy outside the sources' tree of ops/ and src/.
#   check-dist.sh TARBALL VERSION
set -euo pipefail
tarball="$1" version="$2"
work="$(cd "$(dirname "$tarball")" && pwd)/dist-check"
rm -rf "$work" && mkdir -p "$work/fakebin"
tar -xzf "$tarball" -C "$work"
home="$work/microcert-$version"
fail() { echo "dist check FAILED: $*" >&2; exit 1; }

printf '#!/bin/sh\necho "the distribution called mvn" >&2\nexit 97\n' >"$work/fakebin/mvn"
chmod +x "$work/fakebin/mvn"
java_bin="$(dirname "$(readlink -f "$(command -v java)")")"
export PATH="$work/fakebin:$java_bin:/usr/bin:/bin"
unset JAVA_HOME

for f in bin/microcert-node bin/microcert-sim bin/audit bin/backup bin/restore bin/schema bin/key-ceremony bin/cluster-certs \
         lib/launcher.sh lib/microcert-dist.version conf/microcert.conf; do
  [ -e "$home/$f" ] || fail "missing $f"
done
grep -q "MicroCert $version" "$home/lib/microcert-dist.version" || fail "lib/microcert-dist.version does not name $version"
ls "$home"/lib/microcert-cluster-"$version".jar "$home"/lib/microcert-simulator-"$version".jar >/dev/null \
  || fail "the project's jars are not in lib/"

# run CMD EXPECTED_TEXT: exit 0 and EXPECTED_TEXT in the output, from a directory outside the tree
run() {
  local expect="$1" out rc=0
  shift
  out="$(cd / && "$@" 2>&1)" || rc=$?
  [ "$rc" -eq 0 ] || fail "$* exited $rc: $out"
  grep -q -- "$expect" <<<"$out" || fail "$* did not print '$expect': $out"
  echo "ok: ${*#"$home/"}"
}
run "--card-keystore" "$home/bin/microcert-node" --help
run "Usage" "$home/bin/microcert-sim" --help
run "usage" "$home/bin/schema" --help
run "--card-state" "$home/bin/audit" --help
run "--file FILE" "$home/bin/backup" --help
run "--file FILE" "$home/bin/restore" --help
run "create" "$home/bin/key-ceremony" --help
run "--ca-password-file" "$home/bin/cluster-certs" --help
# the production configuration parses with the node's own loader (a bad file fails at start-up)
out="$(cd / && "$home/bin/schema" --print 2>&1)" || fail "bin/schema --print failed: $out"
grep -q "CREATE TABLE" <<<"$out" || fail "bin/schema --print printed no CQL: $out"
echo "ok: bin/schema --print"
echo "dist check: the tarball runs with a JRE only"
