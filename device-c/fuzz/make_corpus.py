#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the JSON vectors: the valid encodings of each parser's
input (COMMAND and ENC_DOWN certificates, envelopes, serialised seeds) plus the negative cases.
Usage: make_corpus.py <vectors dir> <corpus root>"""
import json
import os
import sys

src, root = sys.argv[1], sys.argv[2]
targets = {"command": [], "enc_down": [], "envelope": [], "seed": []}
for name in ("certificates", "envelopes", "negative", "csk"):
    with open(os.path.join(src, name + ".json"), encoding="utf-8") as f:
        data = json.load(f)
    targets["seed"] += list(data["seeds"].values())
    for v in data["vectors"]:
        if name == "certificates":
            if v["type"] == "COMMAND":
                targets["command"].append(v["certificate"])
            if v["type"] == "ENC_DOWN":
                targets["enc_down"].append(v["certificate"])
        elif name == "envelopes":
            targets["envelope"].append(v["envelope"])
        elif name == "negative":
            key = "envelope" if "envelope" in v["kind"] or v["kind"] == "open-update" else "command"
            targets[key].append(v["bytes"])
for t, items in targets.items():
    d = os.path.join(root, t)
    os.makedirs(d, exist_ok=True)
    for i, h in enumerate(sorted(set(items))):
        with open(os.path.join(d, "%03d" % i), "wb") as f:
            f.write(bytes.fromhex(h))
