#!/usr/bin/env python3
"""Independent re-implementation of docs/protocol.md, checked against the JSON test vectors.

Written from the spec only (no Java code), with the `cryptography` package (OpenSSL):
    python3 protocol/src/test/python/crosscheck_vectors.py [protocol/src/test/resources/vectors]
Exits non-zero on the first mismatch. SM4 vectors are checked when the OpenSSL build has SM4/SM3.
"""
import datetime
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import cmac, hashes
from cryptography.hazmat.primitives.ciphers import algorithms, Cipher, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SUITES = {"AES128": 0x01, "SM4": 0x02}
PURPOSES = {"AUTH": 1, "SIGN": 2, "ENC_UP": 3, "ENC_DOWN": 4, "COMMAND": 5}
TYPES = {"AUTH": 1, "SIGN": 2, "COMMAND": 3, "ENC_UP": 4, "ENC_DOWN": 5}


def block_algo(suite, key):
    return algorithms.AES(key) if suite == "AES128" else algorithms.SM4(key)


def do_cmac(suite, key, msg):
    c = cmac.CMAC(block_algo(suite, key))
    c.update(msg)
    return c.finalize()


def digest(suite, data):
    h = hashes.Hash(hashes.SHA256() if suite == "AES128" else hashes.SM3())
    h.update(data)
    return h.finalize()


def gcm(suite, key, nonce, aad, data, encrypt):
    if suite == "AES128" or len(key) == 32:
        g = AESGCM(key)
        return g.encrypt(nonce, data, aad) if encrypt else g.decrypt(nonce, data, aad)
    if encrypt:
        e = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        e.authenticate_additional_data(aad)
        return e.update(data) + e.finalize() + e.tag
    d = Cipher(algorithms.SM4(key), modes.GCM(nonce, data[-16:])).decryptor()
    d.authenticate_additional_data(aad)
    return d.update(data[:-16]) + d.finalize()


class Seed:
    def __init__(self, hexstr):
        b = bytes.fromhex(hexstr)
        assert len(b) == 983 and b[0] == 1
        self.raw = b
        self.version, self.epoch = struct.unpack(">IH", b[1:7])
        self.rows = [b[7 + 16 * i: 23 + 16 * i] for i in range(61)]


def select_rows(seed, ts, rnd):
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).date()
    y = d.year - seed.epoch
    if y < 0 or y > 4:
        raise ValueError("SEED_EXPIRED")
    perm = list(range(13))
    for i in range(2):
        b = (rnd >> (56 - 8 * i)) & 0xff
        j = i + b % (13 - i)
        perm[i], perm[j] = perm[j], perm[i]
    return [y, 5 + d.month - 1, 17 + d.day - 1, 48 + perm[0], 48 + perm[1]]


def csk(seed, suite, purpose, sensor, ts, rnd):
    rows = select_rows(seed, ts, rnd)
    p = bytes([1]) + b"CSK" + bytes([PURPOSES[purpose], SUITES[suite]]) + struct.pack(">QIQ", sensor, ts, rnd) \
        + b"\x00\x80" + bytes(4)
    msg = p + b"".join(seed.rows[r] for r in rows[1:])
    return rows, msg, do_cmac(suite, seed.rows[rows[0]], msg)


def header(type_name, suite, sensor, ts, rnd):
    return bytes([0x10 | TYPES[type_name], SUITES[suite]]) + struct.pack(">QIQ", sensor, ts, rnd)


def supported(suite):
    if suite == "AES128":
        return True
    try:
        do_cmac("SM4", bytes(16), b"")
        digest("SM4", b"")
        return True
    except Exception:
        return False


def main(directory):
    load = lambda name: json.load(open(os.path.join(directory, name)))
    checked = 0

    f = load("csk.json")
    seeds = {k: Seed(v) for k, v in f["seeds"].items()}
    for v in f["vectors"]:
        if not supported(v["suite"]):
            continue
        args = (seeds[v["seed"]], v["suite"], v["purpose"], int(v["sensorId"], 16), v["timestamp"], int(v["random"], 16))
        if "error" in v:
            try:
                csk(*args)
                raise AssertionError("expected SEED_EXPIRED")
            except ValueError:
                pass
        else:
            rows, msg, key = csk(*args)
            assert rows == v["selectedRows"], v
            assert msg.hex() == v["cmacInput"], v
            assert key.hex() == v["key"], v
        checked += 1

    f = load("certificates.json")
    seeds = {k: Seed(v) for k, v in f["seeds"].items()}
    for v in f["vectors"]:
        suite = v["suite"]
        if not supported(suite):
            continue
        sensor, ts, rnd = int(v["sensorId"], 16), v["timestamp"], int(v["random"], 16)
        _, _, key = csk(seeds[v["seed"]], suite, v["type"], sensor, ts, rnd)
        assert key.hex() == v["key"], v
        h = header(v["type"], suite, sensor, ts, rnd)
        if v["type"] == "AUTH":
            cert = h + do_cmac(suite, key, h)[:10]
        elif v["type"] == "SIGN":
            cert = h + do_cmac(suite, key, h + digest(suite, bytes.fromhex(v["data"])))[:10]
        elif v["type"] == "COMMAND":
            op = {"SEED_UPDATE": 1, "REVOKE": 2}[v["order"]["op"]]
            body = bytes([op]) + struct.pack(">I", v["order"]["seedVersion"])
            cert = h + body + do_cmac(suite, key, h + body)[:10]
        else:
            nonce = struct.pack(">QI", rnd, ts)
            cert = h + gcm(suite, key, nonce, h, bytes.fromhex(v["plaintext"]), True)
        assert cert.hex() == v["certificate"], (v, cert.hex())
        checked += 1

    f = load("envelopes.json")
    seeds = {k: Seed(v) for k, v in f["seeds"].items()}
    for v in f["vectors"]:
        suite = v["suite"]
        if not supported(suite):
            continue
        env = bytes.fromhex(v["envelope"])
        assert len(env) == 1026
        aad, nonce, ct = env[:15], env[15:27], env[27:]
        assert aad.hex() == v["associatedData"]
        if v["kind"] == "TRANSPORT":
            plain = gcm("AES128", bytes.fromhex(v["transportKey"]), nonce, aad, ct, False)
        else:
            current = seeds[v["current"]]
            k = digest(suite, b"\x00\x00\x00\x01" + current.raw + b"MicroCert seed update" + aad)[:16]
            assert k.hex() == v["updateKey"]
            plain = gcm(suite, k, nonce, aad, ct, False)
        assert plain == seeds[v["seed"]].raw
        assert struct.unpack(">I", aad[11:15])[0] == Seed(plain.hex()).version
        checked += 1

    print(f"crosscheck: {checked} vectors reproduced from docs/protocol.md"
          + ("" if supported("SM4") else " (SM4 skipped: not in this OpenSSL)"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "protocol/src/test/resources/vectors")
