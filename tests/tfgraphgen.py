# tests/tfgraphgen.py: small TF.js graph models with the fused ops TF.js's
# converter writes (attrs as tensorflowjs_converter emits them: strings
# base64, ints as strings), with NumPy only.
#   python3 tfgraphgen.py DIR fused     _FusedConv2D(BiasAdd,Relu) -> FusedDepthwiseConv2dNative(BiasAdd,Relu6)
#                                       -> Reshape -> _FusedMatMul(BiasAdd,Prelu) -> _FusedMatMul(BiasAdd,LeakyRelu);
#                                       one weight uint8-quantized, one float16
#   python3 tfgraphgen.py DIR unknown   a node of an op nobody knows between two known ones
#   python3 tfgraphgen.py DIR badattr   a node whose int attr is not an integer
import base64
import json
import os
import sys

import numpy as np

DT = {"float32": "DT_FLOAT", "int32": "DT_INT32"}


def b64(s):
    return base64.b64encode(s.encode()).decode()


def ints(*v):
    return {"list": {"i": [str(x) for x in v]}}


def const(name, dtype, shape):
    return {"name": name, "op": "Const",
            "attr": {"value": {"tensor": {"dtype": DT[dtype], "tensorShape": {"dim": [{"size": str(d)} for d in shape]}}},
                     "dtype": {"type": DT[dtype]}}}


def fused(name, op, inputs, ops, nargs, **extra):
    a = {"T": {"type": "DT_FLOAT"}, "fused_ops": {"list": {"s": [b64(o) for o in ops]}}, "num_args": {"i": str(nargs)},
         "epsilon": {"f": 0}}
    if op != "_FusedMatMul":
        a.update({"strides": ints(1, 1, 1, 1), "padding": {"s": b64("SAME")}, "data_format": {"s": b64("NHWC")},
                  "dilations": ints(1, 1, 1, 1), "explicit_paddings": {"list": {}}})
    else:
        a.update({"transpose_a": {"b": False}, "transpose_b": {"b": False}})
    a.update(extra)
    return {"name": name, "op": op, "input": inputs, "device": "/device:CPU:0", "attr": a}


def save(d, nodes, weights, producer=1):
    """weights: [(spec, bytes)] in one group, one shard"""
    os.makedirs(d, exist_ok=True)
    blob = b"".join(b for _, b in weights)
    open(os.path.join(d, "group1-shard1of1.bin"), "wb").write(blob)
    mj = {"format": "graph-model", "generatedBy": "tfgraphgen", "convertedBy": "ckpt tests",
          "modelTopology": {"node": nodes, "versions": {"producer": producer}, "library": {}},
          "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [s for s, _ in weights]}]}
    json.dump(mj, open(os.path.join(d, "model.json"), "w"))


def f32(name, a):
    return ({"name": name, "shape": list(a.shape), "dtype": "float32"}, a.astype("<f4").tobytes())


def fused_model(d):
    r = np.random.default_rng(7)
    w = []
    shapes = {"c/w": (3, 3, 3, 4), "c/b": (4,), "d/w": (3, 3, 4, 1), "d/b": (4,), "m/w": (100, 6), "m/b": (6,),
              "m/alpha": (6,), "l/w": (6, 2), "l/b": (2,)}
    for n, s in shapes.items():
        a = r.standard_normal(s).astype("<f4") * 0.5
        if n == "m/w":   # uint8 affine, as tensorflowjs_converter --quantize_uint8
            mn, mx = float(a.min()), float(a.max())
            scale = (mx - mn) / 255
            q = np.round((a - mn) / scale).astype(np.uint8)
            w.append(({"name": n, "shape": list(s), "dtype": "float32",
                       "quantization": {"dtype": "uint8", "scale": scale, "min": mn, "original_dtype": "float32"}},
                      q.tobytes()))
        elif n == "d/w":  # float16
            w.append(({"name": n, "shape": list(s), "dtype": "float32",
                       "quantization": {"dtype": "float16", "original_dtype": "float32"}}, a.astype("<f2").tobytes()))
        else:
            w.append(f32(n, a))
    w.append(({"name": "r/shape", "shape": [2], "dtype": "int32"}, np.array([1, 100], "<i4").tobytes()))
    nodes = [const(s["name"], s["dtype"], s["shape"]) for s, _ in w]
    nodes += [
        {"name": "x", "op": "Placeholder",
         "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "1"}, {"size": "5"}, {"size": "5"}, {"size": "3"}]}}}},
        fused("c", "_FusedConv2D", ["x", "c/w", "c/b"], ["BiasAdd", "Relu"], 1, use_cudnn_on_gpu={"b": True}),
        fused("d", "FusedDepthwiseConv2dNative", ["c", "d/w", "d/b"], ["BiasAdd", "Relu6"], 1),
        {"name": "r", "op": "Reshape", "input": ["d", "r/shape"], "attr": {"T": {"type": "DT_FLOAT"}, "Tshape": {"type": "DT_INT32"}}},
        fused("m", "_FusedMatMul", ["r", "m/w", "m/b", "m/alpha"], ["BiasAdd", "Prelu"], 2),
        fused("l", "_FusedMatMul", ["m", "l/w", "l/b"], ["BiasAdd", "LeakyRelu"], 1, leakyrelu_alpha={"f": 0.25}),
        {"name": "out", "op": "Identity", "input": ["l"], "attr": {"T": {"type": "DT_FLOAT"}}},
    ]
    save(d, nodes, w)


def unknown_model(d):
    w = [f32("k", np.arange(4, dtype="<f4").reshape(2, 2))]
    nodes = [const("k", "float32", [2, 2]),
             {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
             {"name": "mystery", "op": "CkptMysteryOp", "input": ["x", "k", "^x"],
              "attr": {"flavour": {"s": b64("plum")}, "levels": ints(3, -1), "T": {"type": "DT_FLOAT"}}},
             {"name": "y", "op": "Identity", "input": ["mystery"], "attr": {"T": {"type": "DT_FLOAT"}}}]
    save(d, nodes, w)


def badattr_model(d):
    w = [f32("k", np.ones(2, "<f4"))]
    nodes = [const("k", "float32", [2]),
             {"name": "bad", "op": "Identity", "input": ["k"], "attr": {"T": {"type": "DT_FLOAT"}, "n": {"i": "seven"}}}]
    save(d, nodes, w)


if __name__ == "__main__":
    {"fused": fused_model, "unknown": unknown_model, "badattr": badattr_model}[sys.argv[2]](sys.argv[1])
