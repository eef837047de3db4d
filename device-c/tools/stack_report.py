#!/usr/bin/env python3
"""Worst-case stack per chip operation from GCC's -fcallgraph-info=su output (.ci files).

The figure for an operation is the deepest call path's sum of frame sizes as GCC reports them
(static frames only: the library has no VLAs or alloca; a dynamic frame fails the report).
Indirect calls are resolved by what they can be in this library: the block function of mc_modes.c
is mc_sm4_encrypt or the no-heap backend's aes_block, the volatile memset of mc_wipe is memset; the platform callbacks (RNG, clock,
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
                edges.setdefault(s, set()).add("mc_sm4_encrypt")
                t = "AES_BLOCK"
            elif src.endswith("mc_core.c"):
                t = "memset"
            else:
                t = "<platform callback>"
        edges.setdefault(s, set()).add(t)

aes_block = [t for t in stack if t.endswith(":aes_block")]
for targets in edges.values():
    if "AES_BLOCK" in targets:
        targets.discard("AES_BLOCK")
        targets.update(aes_block)

# The suite decides which primitives a call can reach in be_mbedtls.c: AES128 never enters the
# SM4/SM3 code; SM4 uses AES only for the AES-256-GCM of TRANSPORT envelopes, never AES-CMAC or SHA-256.
sm_only = re.compile(r'^(mc_sm4_|mc_sm3_|.*:sm4_gcm$|.*:sm3_block$)')
aes_only = re.compile(r'^(mbedtls_(cipher|sha256|gcm)|.*:aes_cmac$)')
current_op = None


def allowed(name):
    if suite == "AES128":
        return not sm_only.match(name)
    if re.search(r':(aes_gcm|aes_block)(\.[a-z]+\.\d+)?$', name):
        return current_op == "mc_chip_transport_envelope"
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
    current_op = op
    memo.clear()
    d, path, ext = depth(op)
    short = " > ".join(p.split(":")[-1].replace(".isra.0", "").replace(".constprop.0", "") for p in path)
    lib = sorted(e for e in ext if e.startswith("mbedtls_"))
    other = sorted(e for e in ext if not e.startswith("mbedtls_"))
    print("%-28s %6d  %s | uncounted: %s%s" % (op, d, short, ", ".join(other) or "-",
                                                ("; Mbed TLS: " + ", ".join(lib)) if lib else ""))
