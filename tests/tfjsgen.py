# tests/tfjsgen.py: write small TF.js graph models the way tensorflowjs_converter
# lays them out (write_weights.py: weights concatenated per group, cut into
# fixed-size shards so weights straddle files; quantization.py: uint8/uint16
# affine with scale/min, float16), with NumPy only.
#   python3 tfjsgen.py DIR values    every plain and quantized dtype, 2 groups, 64-byte shards
#   python3 tfjsgen.py DIR strings   a float weight and a string weight
import json
import os
import struct
import sys

import numpy as np

TFDT = {"float32": "DT_FLOAT", "int32": "DT_INT32", "bool": "DT_BOOL", "string": "DT_STRING"}


def const_node(name, dtype, shape):
    return {"name": name, "op": "Const",
            "attr": {"value": {"tensor": {"dtype": TFDT[dtype],
                                          "tensorShape": {"dim": [{"size": str(d)} for d in shape]}}},
                     "dtype": {"type": TFDT[dtype]}}}


def write(d, groups, shard=64):
    """groups: [[(spec, bytes)]]"""
    os.makedirs(d, exist_ok=True)
    man, nodes = [], []
    for gi, ws in enumerate(groups):
        blob = b"".join(b for _, b in ws)
        n = max(1, (len(blob) + shard - 1) // shard)
        paths = []
        for i in range(n):
            p = "group%d-shard%dof%d.bin" % (gi + 1, i + 1, n)
            open(os.path.join(d, p), "wb").write(blob[i * shard:(i + 1) * shard])
            paths.append(p)
        man.append({"paths": paths, "weights": [s for s, _ in ws]})
        nodes += [const_node(s["name"], s["dtype"], s["shape"]) for s, _ in ws]
    mj = {"format": "graph-model", "generatedBy": "tfjsgen", "convertedBy": "ckpt tests",
          "modelTopology": {"node": nodes, "versions": {"producer": 1}}, "weightsManifest": man}
    json.dump(mj, open(os.path.join(d, "model.json"), "w"))


def values(d):
    r = np.random.default_rng(3)
    g1 = []
    x = r.standard_normal((3, 5)).astype("<f4")
    g1.append(({"name": "dense/kernel", "shape": [3, 5], "dtype": "float32"}, x.tobytes()))
    g1.append(({"name": "dense/bias", "shape": [5], "dtype": "int32"}, r.integers(-9, 9, 5).astype("<i4").tobytes()))
    g1.append(({"name": "mask", "shape": [5], "dtype": "bool"}, np.array([1, 0, 1, 1, 0], np.uint8).tobytes()))
    q = r.integers(0, 256, (7, 3)).astype(np.uint8)
    g1.append(({"name": "q/u8", "shape": [7, 3], "dtype": "float32",
                "quantization": {"dtype": "uint8", "scale": 0.0123, "min": -1.1}}, q.tobytes()))
    q = r.integers(0, 65536, 10).astype("<u2")
    g1.append(({"name": "q/u16", "shape": [10], "dtype": "float32",
                "quantization": {"dtype": "uint16", "scale": 3.1e-5, "min": -0.7, "original_dtype": "float32"}}, q.tobytes()))
    q = r.integers(0, 256, 6).astype(np.uint8)
    g1.append(({"name": "q/int", "shape": [2, 3], "dtype": "int32",
                "quantization": {"dtype": "uint8", "scale": 0.37, "min": -20.0}}, q.tobytes()))
    h = r.standard_normal(9).astype("<f2")
    g1.append(({"name": "q/f16", "shape": [9], "dtype": "float32",
                "quantization": {"dtype": "float16", "original_dtype": "float32"}}, h.tobytes()))
    g1.append(({"name": "scalar", "shape": [], "dtype": "float32"}, np.float32(1.5).tobytes()))
    g2 = [({"name": "head/w", "shape": [50], "dtype": "float32"}, r.standard_normal(50).astype("<f4").tobytes()),
          ({"name": "head/empty", "shape": [0, 4], "dtype": "float32"}, b"")]
    write(d, [g1, g2])


def strings(d):
    s = [b"hello", b"", "caf\u00e9".encode()]
    blob = b"".join(struct.pack("<I", len(x)) + x for x in s)
    write(d, [[({"name": "vocab", "shape": [3], "dtype": "string"}, blob),
               ({"name": "w", "shape": [2], "dtype": "float32"}, np.array([1, 2], "<f4").tobytes())]])


if __name__ == "__main__":
    {"values": values, "strings": strings}[sys.argv[2]](sys.argv[1])
