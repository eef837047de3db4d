#!/usr/bin/env bash
# Cortex-M4 footprint of the device library (Mbed TLS backend), per suite: flash (code + rodata)
# from arm-none-eabi-size, and the worst-case stack of each chip operation from GCC's call graph
# (-fcallgraph-info=su, see tools/stack_report.py). Debian ships no Mbed TLS built for ARM, so
# the Mbed TLS primitives (AES, CMAC, GCM, SHA-256) are NOT in these figures; the compact SM4/SM3
# and CMAC/GCM modes of the SM4 suite (src/mc_modes.c) are counted in their own line.
# Usage: device-c/size-report.sh [build dir, default device-c/build/arm]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/build/arm}"
mkdir -p "$out/inc"
# Only the Mbed TLS headers (types and prototypes); never the host's libc headers.
ln -sfn /usr/include/mbedtls "$out/inc/mbedtls"
flags=(-std=c99 -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -fstack-usage
       -fcallgraph-info=su -Wall -Wextra -Werror -I"$here/include" -I"$here/src" -I"$out/inc")
for f in mc_core mc_chip mc_modes be_mbedtls; do
  (cd "$out" && arm-none-eabi-gcc "${flags[@]}" -c "$here/src/$f.c" -o "$f.o")
done
# sizeof(mc_chip) on the target, read back as a symbol size
printf '#include "microcert/microcert.h"\nchar mc_sizeof_chip[sizeof(mc_chip)];\nchar mc_sizeof_seed[sizeof(mc_seed)];\n' > "$out/sizes.c"
(cd "$out" && arm-none-eabi-gcc "${flags[@]}" -fno-common -c sizes.c -o sizes.o)
sym_size() { local h; h=$(arm-none-eabi-nm -S "$out/sizes.o" | awk -v s="$1" '$4 == s { print $2 }'); echo $((16#$h)); }

flash() { arm-none-eabi-size "$@" | awk 'NR > 1 { t += $1; d += $2 } END { print t + d }'; }
lib=$(cd "$out" && flash mc_core.o mc_chip.o be_mbedtls.o)
sm=$(cd "$out" && flash mc_modes.o)

echo "MicroCert device library, arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -mcpu=cortex-m4 -mthumb -Os"
echo
echo "Flash (code + rodata + data initialisers, bytes; before --gc-sections, i.e. every function):"
(cd "$out" && arm-none-eabi-size mc_core.o mc_chip.o be_mbedtls.o mc_modes.o)
printf '  %-52s %6d\n' "library: protocol + chip + Mbed TLS glue (both suites)" "$lib"
printf '  %-52s %6d\n' "compact SM4 + SM3 + CMAC/GCM modes (SM4 suite only)" "$sm"
printf '  %-52s %6d\n' "AES128 suite: device side, primitives excluded" "$lib"
printf '  %-52s %6d\n' "SM4 suite: device side incl. compact SM4/SM3 primitives" "$((lib + sm))"
echo "  + Mbed TLS AES, CMAC, GCM, SHA-256 (and cipher/platform_util): not built here (no ARM Mbed TLS in Debian)"
echo
echo "RAM: mc_chip (state: seed, pending seed, replay memory of $(grep -o 'MC_REPLAY_CAPACITY [0-9]*u' "$here/include/microcert/microcert.h" | grep -o '[0-9]*') entries) = $(sym_size mc_sizeof_chip) bytes, of which mc_seed = $(sym_size mc_sizeof_seed) each"
echo
for suite in AES128 SM4; do
  echo "Worst-case stack per operation, $suite suite (bytes; library frames only, deepest path):"
  python3 "$here/tools/stack_report.py" "$suite" "$out"/mc_core.ci "$out"/mc_chip.ci "$out"/mc_modes.ci "$out"/be_mbedtls.ci \
    | sed 's/^/  /'
  echo
done
