#!/usr/bin/env bash
# device-c CI: (a) installs the toolchain if missing (as root, after apt-get update), (b) builds and
# runs the tests with both backends (OpenSSL 3, Mbed TLS 2.28), (c) the same under ASan+UBSan,
# (d) short libFuzzer runs of every network parser, (e) the Cortex-M4 size report.
# Build trees go to device-c/build/ (ignored by git). Exits non-zero on any build or test failure.
# Usage: device-c/ci.sh            FUZZ_SECONDS=N to change the per-target fuzz time (default 6)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
jobs="${JOBS:-2}"
fuzz_seconds="${FUZZ_SECONDS:-6}"
start=$SECONDS
step() { printf '\n== %s (%ds)\n' "$1" $((SECONDS - start)); }

step "toolchain"
need=()
command -v cc >/dev/null || need+=(gcc)
command -v cmake >/dev/null || need+=(cmake)
command -v clang >/dev/null || need+=(clang)
command -v arm-none-eabi-gcc >/dev/null || need+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
[ -f /usr/include/mbedtls/gcm.h ] || need+=(libmbedtls-dev)
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing packages: ${need[*]} (run as root, or: sudo apt-get install -y ${need[*]})" >&2
    exit 1
  fi
fi

step "build + tests, every backend (gcc, -Werror)"
cmake -S "$here" -B "$out/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/release" -j "$jobs" >/dev/null
(cd "$out/release" && ctest --output-on-failure -j "$jobs")

step "ASan + UBSan build + tests (clang)"
CC=clang cmake -S "$here" -B "$out/asan" -DCMAKE_BUILD_TYPE=Debug -DMC_SANITIZE=ON >/dev/null
cmake --build "$out/asan" -j "$jobs" >/dev/null
(cd "$out/asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$jobs")

step "libFuzzer smoke runs (${fuzz_seconds}s per target)"
CC=clang cmake -S "$here" -B "$out/fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMC_FUZZ=ON -DMC_TESTS=OFF \
  -DMC_WITH_MBEDTLS=OFF >/dev/null
cmake --build "$out/fuzz" -j "$jobs" >/dev/null
rm -rf "$out/corpus"
python3 "$here/fuzz/make_corpus.py" "$here/../protocol/src/test/resources/vectors" "$out/corpus"
for t in command enc_down envelope seed; do
  # a crash, leak, sanitizer report or timeout makes libFuzzer exit non-zero, and so this script
  "$out/fuzz/fuzz_$t" -max_total_time="$fuzz_seconds" -max_len=1100 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/fuzz/crash-$t-" "$out/corpus/$t" 2>"$out/fuzz/fuzz_$t.log" \
    || { tail -50 "$out/fuzz/fuzz_$t.log"; exit 1; }
  grep -E '^stat::number_of_executed_units' "$out/fuzz/fuzz_$t.log" | sed "s/^/fuzz_$t: /"
done

step "Cortex-M4 size report"
"$here/size-report.sh" "$out/arm"

step "done in $((SECONDS - start)) s"
