# Sourced by ops/bin/{schema,audit,backup,restore,bench-persistence}: runs a main class of the
# persistence module with its runtime classpath, building the module first when needed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run_persistence_tool() {
  local main="$1"; shift
  local cp_file="$root/persistence/target/runtime.classpath"
  local main_file="$root/persistence/target/classes/${main//.//}.class"
  if [ ! -f "$cp_file" ] || [ ! -f "$main_file" ]; then
    (cd "$root" && mvn -B -q -pl persistence -am compile >&2)
  fi
  cd "$root"
  # logback.xml of the tools: warnings only, so output stays readable
  exec java -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
    -Dlogback.configurationFile="$root/ops/bin/tools-logback.xml" \
    -cp "$root/persistence/target/classes:$(cat "$cp_file")" "$main" "$@"
}
