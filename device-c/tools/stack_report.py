#!/usr/bin/env python3
"""Worst-case stack per chip operation from GCC's -fcallgraph-info=su output (.ci files).

The figure for an operation is the deepest call path's sum of frame sizes as GCC reports them
(static frames only: the library has no VLAs or alloca; a dynamic frame fails the report).
Indirect calls are resolved by what they can be in this library: the block function of mc_modes.c
is mc_sm4_encrypt, the volatile memset of mc_wipe is memset; the platform callbacks (RNG, clock,
storage) are the firmware's and are listed, not counted. Functions outside the library (Mbed TLS,
memcpy/memset) have no frame information here and are listed per operation.
Usage: stack_report.py <suite: AES128|SM4> <file.ci>...
"""
import re
import sys

suite = sys.argv[1]
stack, edges, file_of = {}, {}, {}
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8").read()
    src = re.search(r'graph: \{ title: "([^"]*)"', text).group(1)
    for title, label in re.findall(r'node: \{ title: "([^"]*)" label: "([^"]*)"', text):
        m = re.search(r'(\d+) bytes \(([a-z,]+)\)', label)
        if m:
            if m.group(2) != "static":
                sys.exit("%s has a %s frame" % (title, m.group(2)))
            stack[title] = int(m.group(1))
            file_of[title] = src
    for s, t in re.findall(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"', text):
        if t == "__indirect_call":
            if src.endswith("mc_modes.c"):
                t = "mc_sm4_encrypt"
            elif src.endswith("mc_core.c"):
                t = "memset"
            else:
                t = "<platform callback>"
        edges.setdefault(s, set()).add(t)

# The suite decides which primitives a call can reach in be_mbedtls.c: AES128 never enters the
# compact SM4/SM3 code; SM4 uses Mbed TLS only for the AES-256-GCM of TRANSPORT envelopes.
sm_only = re.compile(r'^(mc_sm4_|mc_sm3_|mc_mode_|.*:sm4_gcm)')
aes_only = re.compile(r'^mbedtls_(cipher_cmac|cipher_info|sha256)')


def allowed(name):
    if suite == "AES128":
        return not sm_only.match(name)
    return not aes_only.match(name)


memo = {}


def depth(fn, seen=()):
    """(bytes, path, externals) of the deepest path from fn."""
    if fn in seen:
        sys.exit("recursion through " + fn)
    if fn in memo:
        return memo[fn]
    own = stack.get(fn, 0)
    best, best_path, ext = 0, [], set()
    for t in sorted(edges.get(fn, ())):
        if not allowed(t):
            continue
        if t not in stack:
            ext.add(t)
            continue
        d, p, e = depth(t, seen + (fn,))
        ext |= e
        if d > best:
            best, best_path = d, p
    memo[fn] = (own + best, [fn] + best_path, ext)
    return memo[fn]


ops = ["mc_chip_manufacture", "mc_chip_init", "mc_chip_transport_envelope", "mc_chip_authenticate",
       "mc_chip_sign", "mc_chip_encrypt", "mc_chip_decrypt", "mc_chip_accept", "mc_chip_pending_envelope",
       "mc_chip_activate_pending"]
for op in ops:
    d, path, ext = depth(op)
    short = " > ".join(p.split(":")[-1].replace(".isra.0", "").replace(".constprop.0", "") for p in path)
    lib = sorted(e for e in ext if e.startswith("mbedtls_"))
    other = sorted(e for e in ext if not e.startswith("mbedtls_"))
    print("%-28s %6d  %s | uncounted: %s%s" % (op, d, short, ", ".join(other) or "-",
                                                ("; Mbed TLS: " + ", ".join(lib)) if lib else ""))
