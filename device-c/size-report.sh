#!/usr/bin/env bash
# Cortex-M4 footprint of the device library with the firmware backend (Mbed TLS, MC_MBEDTLS_NO_HEAP):
# flash (code + rodata + data initialisers) from arm-none-eabi-size, RAM of the chip state, and the
# worst-case stack of each chip operation from GCC's call graph (-fcallgraph-info=su, see
# tools/stack_report.py), per suite.
#
# Debian ships no Mbed TLS built for ARM. By default the Mbed TLS primitives (AES, SHA-256) are
# therefore NOT in the figures (their frames are listed as uncounted). With MBEDTLS_SRC=<an Mbed TLS
# 2.28 source tree> (e.g. from `apt-get source mbedtls`, or `git archive v2.28.3 include library` of
# the Mbed TLS repository) the needed files (aes.c, sha256.c, platform_util.c) are compiled with
# tools/mbedtls_arm_config.h and reported on their own line, and their frames join the stack figures.
# The compact SM4/SM3 and CMAC/GCM modes (src/mc_modes.c) are always counted, on their own line.
# Usage: device-c/size-report.sh [build dir, default device-c/build/arm]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/build/arm}"
mkdir -p "$out/inc"
flags=(-std=c99 -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -fstack-usage
       -fcallgraph-info=su -Wall -Wextra -Werror -I"$here/include" -I"$here/src" -DMC_MBEDTLS_NO_HEAP)
src="${MBEDTLS_SRC:-}"
if [ -n "$src" ]; then
  flags+=(-I"$src/include" -I"$here/tools" "-DMBEDTLS_CONFIG_FILE=\"mbedtls_arm_config.h\"")
else
  # Only the Mbed TLS headers (types and prototypes); never the host's libc headers.
  ln -sfn /usr/include/mbedtls "$out/inc/mbedtls"
  flags+=(-I"$out/inc")
fi
objs=(mc_core mc_chip mc_modes be_mbedtls)
for f in "${objs[@]}"; do
  (cd "$out" && arm-none-eabi-gcc "${flags[@]}" -c "$here/src/$f.c" -o "$f.o")
done
prims=()
prim_objs=()
if [ -n "$src" ]; then
  mflags=()
  for f in "${flags[@]}"; do [ "$f" = -Werror ] || mflags+=("$f"); done
  for f in aes sha256 platform_util; do
    # Mbed TLS's own code: its warnings are not ours to fix, so no -Werror here
    (cd "$out" && arm-none-eabi-gcc "${mflags[@]}" -w -c "$src/library/$f.c" -o "mbedtls_$f.o")
    prims+=("mbedtls_$f")
    prim_objs+=("mbedtls_$f.o")
  done
fi
# The firmware backend must not reach Mbed TLS's allocating cipher layer (or any allocator).
if arm-none-eabi-nm -u "$out/be_mbedtls.o" | grep -E 'mbedtls_cipher|mbedtls_gcm|calloc|malloc'; then
  echo "be_mbedtls.o (MC_MBEDTLS_NO_HEAP) references an allocating API" >&2
  exit 1
fi
# sizeof(mc_chip) on the target, read back as a symbol size
printf '#include "microcert/microcert.h"\nchar mc_sizeof_chip[sizeof(mc_chip)];\nchar mc_sizeof_seed[sizeof(mc_seed)];\n' > "$out/sizes.c"
(cd "$out" && arm-none-eabi-gcc "${flags[@]}" -fno-common -c sizes.c -o sizes.o)
sym_size() { local h; h=$(arm-none-eabi-nm -S "$out/sizes.o" | awk -v s="$1" '$4 == s { print $2 }'); echo $((16#$h)); }
flash() { (cd "$out" && arm-none-eabi-size "$@") | awk 'NR > 1 { t += $1; d += $2 } END { print t + d }'; }

lib=$(flash mc_core.o mc_chip.o be_mbedtls.o)
sm=$(flash mc_modes.o)
echo "MicroCert device library, arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -mcpu=cortex-m4 -mthumb -Os,"
echo "firmware backend be_mbedtls.c with MC_MBEDTLS_NO_HEAP (checked: no allocating symbol referenced)"
echo
echo "Flash (bytes; per object, every function, i.e. before the firmware's --gc-sections):"
(cd "$out" && arm-none-eabi-size mc_core.o mc_chip.o be_mbedtls.o mc_modes.o "${prim_objs[@]}")
printf '  %-60s %6d\n' "library: protocol + chip + backend glue (both suites)" "$lib"
printf '  %-60s %6d\n' "compact SM4 + SM3 + CMAC/GCM modes (mc_modes.c)" "$sm"
printf '  %-60s %6d\n' "device side, both suites (library + mc_modes.c)" "$((lib + sm))"
if [ -n "$src" ]; then
  mb=$(flash "${prim_objs[@]}")
  printf '  %-60s %6d\n' "Mbed TLS $(grep -o '"[0-9.]*"' "$src/include/mbedtls/version.h" | head -1) primitives: AES (ROM tables), SHA-256, platform_util" "$mb"
  printf '  %-60s %6d\n' "total with primitives" "$((lib + sm + mb))"
else
  echo "  Mbed TLS primitives (AES, SHA-256): not built (set MBEDTLS_SRC to an Mbed TLS 2.28 source tree)"
fi
echo "  (AES128 needs mc_modes.c for CMAC/GCM in the no-heap backend; SM4 needs it for SM4/SM3 too)"
echo
echo "RAM: mc_chip (seed, pending seed, replay memory of $(grep -o 'MC_REPLAY_CAPACITY [0-9]*u' "$here/include/microcert/microcert.h" | grep -o '[0-9]*') entries) = $(sym_size mc_sizeof_chip) bytes, of which mc_seed = $(sym_size mc_sizeof_seed) each"
echo
cis=("$out"/mc_core.ci "$out"/mc_chip.ci "$out"/mc_modes.ci "$out"/be_mbedtls.ci)
for p in "${prims[@]}"; do cis+=("$out/$p.ci"); done
for suite in AES128 SM4; do
  echo "Worst-case stack per operation, $suite suite (bytes; deepest path; uncounted callees listed):"
  python3 "$here/tools/stack_report.py" "$suite" "${cis[@]}" | sed 's/^/  /'
  echo
done
