# The one launcher library (sourced, not run) of every script in ops/bin and simulator/bin: builds a
# module when needed and runs a main class of it with its classpath.
#
# Classpath convention: every module that has something to run writes, in the same build,
#   MODULE/target/runtime.classpath   its runtime dependencies (run with MODULE/target/classes)
#   MODULE/target/test.classpath      its test dependencies, for src/test and src/bench (benchmarks;
#                                     run with target/test-classes and target/classes)
# Staleness rule, the same for both: a module is rebuilt when its classpath file is missing or when
# the root pom.xml or any pom.xml or file under src/ of the modules it is built with (its -am set)
# is newer than that file.
# shellcheck shell=bash

# The same library runs the scripts of the distribution tarball (bin/, lib/ with the jars and this
# file, conf/): there a marker file sits next to it, the classpath is lib/*, and nothing is built.
mc_libdir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$mc_libdir/microcert-dist.version" ]; then
  root="$(cd "$mc_libdir/.." && pwd)"
  mc_dist=1
else
  root="$(cd "$mc_libdir/../.." && pwd)"
  mc_dist=
fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "error: $*" >&2; exit 3; }

# mc_upstream MODULE: the modules Maven builds with MODULE (-am), test scope included, itself last.
# Kept by hand: it follows the <dependency> lists of the module poms (ops: the Cassandra fixture).
mc_upstream() {
  case "$1" in
    protocol) echo protocol ;;
    ops) echo ops ;;
    persistence) echo protocol ops persistence ;;
    cluster) echo protocol ops persistence cluster ;;
    simulator) echo protocol ops persistence cluster simulator ;;
    *) die "unknown module '$1' (protocol, ops, persistence, cluster, simulator)" ;;
  esac
}

# mc_cpfile KIND MODULE: the classpath file of KIND (runtime or test).
mc_cpfile() {
  case "$1" in
    runtime|test) echo "$root/$2/target/$1.classpath" ;;
    *) die "unknown classpath kind '$1' (runtime or test)" ;;
  esac
}

# mc_stale KIND MODULE: true when MODULE must be rebuilt before running from its KIND classpath.
mc_stale() {
  local file m dirs=()
  file="$(mc_cpfile "$1" "$2")"
  [ -f "$file" ] || return 0
  for m in $(mc_upstream "$2"); do dirs+=("$root/$m/pom.xml" "$root/$m/src"); done
  [ -n "$(find "$root/pom.xml" "${dirs[@]}" -newer "$file" -print -quit 2>/dev/null)" ]
}

# mc_build MODULE...: builds the modules and what they need, tests compiled but not run. Maven's
# output goes to stderr. test-compile, not compile: the classpath files resolve test scope, and
# ops's fixture test-jar resolves inside the reactor only from test-compile on.
mc_build() {
  local modules m u
  modules="$(IFS=,; echo "$*")"
  if ! (cd "$root" && mvn -B -ntp -q ${MICROCERT_MVN_OPTS:-} -pl "$modules" -am test-compile >&2); then
    # a classpath file written before the compile failed would pass for fresh next time
    for m in "$@"; do for u in $(mc_upstream "$m"); do rm -f "$root/$u/target/"{runtime,test}.classpath; done; done
    die "the build failed (mvn -pl $modules -am test-compile; see above)"
  fi
  # the dependency plugin leaves an unchanged file's time as it was: mark them built now
  for m in "$@"; do
    for u in $(mc_upstream "$m"); do
      for f in "$root/$u/target/"{runtime,test}.classpath; do [ ! -f "$f" ] || touch "$f"; done
    done
  done
}

# mc_classpath KIND MODULE: builds MODULE if stale, prints the classpath to run it with.
mc_classpath() {
  local kind="$1" module="$2" dirs deps
  if [ -n "$mc_dist" ]; then
    [ "$kind" = runtime ] || die "the distribution holds no test classpath (benchmarks run from a checkout)"
    echo "$root/lib/*"
    return
  fi
  if mc_stale "$kind" "$module"; then
    echo "building $module (mvn -pl $module -am test-compile)..." >&2
    mc_build "$module"
  fi
  dirs="$root/$module/target/classes"
  if [ "$kind" = test ]; then dirs="$root/$module/target/test-classes:$dirs"; fi
  deps="$(cat "$(mc_cpfile "$kind" "$module")")"
  echo "$dirs${deps:+:$deps}"
}

# mc_exec KIND MODULE MAIN [JVM_OPTION...] [-- ARG...]: replaces this shell with java running MAIN
# of MODULE from its KIND classpath.
mc_exec() {
  local kind="$1" module="$2" main="$3" cp
  shift 3
  local jvm=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do jvm+=("$1"); shift; done
  [ $# -eq 0 ] || shift
  cp="$(mc_classpath "$kind" "$module")"
  exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" ${jvm[@]+"${jvm[@]}"} -cp "$cp" "$main" "$@"
}

# mc_tool KIND MAIN ARG...: a command-line tool of the persistence module (schema, audit, backup,
# restore, key-ceremony, bench-persistence). Warnings only on the console (ops/lib/tools-logback.xml),
# so the tools' own output stays readable.
mc_tool() {
  local kind="$1" main="$2"
  shift 2
  mc_exec "$kind" persistence "$main" -Djava.util.concurrent.ForkJoinPool.common.parallelism=4 \
    -Dlogback.configurationFile="$mc_libdir/tools-logback.xml" -- "$@"
}

# mc_usage FILE: prints FILE's header comment (from line 2 to the first line that is not a comment).
mc_usage() {
  sed -n '2,/^[^#]/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'
}
