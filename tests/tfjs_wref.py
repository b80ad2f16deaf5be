# tests/tfjs_wref.py: the independent side of t_tfjs_write.sh. Reads the
# source model with h5py / zipfile / json and NumPy only, and checks the
# weights TensorFlow.js loaded from ckpt's --to tfjs output (DUMP.json,
# written by tests/node/tfjs_layers_load.js: model.getWeights() with names
# and owning layers) against it, bit for bit; with --quantize, against the
# values tensorflowjs_converter's quantization gives, computed here with the
# converter's own NumPy code (tensorflowjs/quantization.py, copied below)
# and decoded as tfjs-core's io_utils decodeWeight does, plus the error bound.
#
#   tfjs_wref.py SRC DUMP.json OUT_MODEL_JSON [--quantize uint8|uint16|float16] [--only GLOB,...]
# SRC: Keras 2 .h5 / weights .h5 (+ its .json), Keras 3 .keras, .weights.h5
# with config.json beside it, or a TF.js layers model.json (or its folder).
import fnmatch
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import k3paths  # noqa: E402


# ---- tensorflowjs/quantization.py (tfjs 4.x), verbatim in substance --------
def _get_affine_quantization_range(min_val, max_val, quantization_dtype):
    quant_max = np.iinfo(quantization_dtype).max
    scale = (max_val - min_val) / quant_max
    if min_val <= 0 <= max_val:
        quantized_zero_point = (0 - min_val) / scale
        nudged_zero_point = np.round(quantized_zero_point)
        nudged_min = -nudged_zero_point * scale
        nudged_max = quant_max * scale + nudged_min
    else:
        nudged_min, nudged_max = min_val, max_val
    return scale, nudged_min, nudged_max


def quantize_weights(data, quantization_dtype):
    if quantization_dtype == np.float16:
        return data.astype(np.float16), {}
    min_val = data.min().astype(np.float64)
    max_val = data.max().astype(np.float64)
    if min_val == max_val:
        quantized_data = np.zeros_like(data, dtype=quantization_dtype)
        return quantized_data, {"min": min_val, "scale": 1.0}
    scale, min_val, max_val = _get_affine_quantization_range(min_val, max_val, quantization_dtype)
    quantized_data = np.round((data.clip(min_val, max_val) - min_val) / scale).astype(quantization_dtype)
    return quantized_data, {"min": min_val, "scale": scale}


def tfjs_dequantize(q, meta):
    """tfjs-core io_utils decodeWeight: q * scale + min in JS doubles, stored in a Float32Array."""
    if q.dtype == np.float16:
        return q.astype(np.float32)
    return (q.astype(np.float64) * meta["scale"] + meta["min"]).astype(np.float32)


QDT = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


# ---- reading the source -------------------------------------------------------
def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def read_tfjs(path):
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    mj = json.load(open(path))
    out = {}
    for g in mj["weightsManifest"]:
        data = b"".join(open(os.path.join(os.path.dirname(path), p), "rb").read() for p in g["paths"])
        off = 0
        for w in g["weights"]:
            n = int(np.prod(w["shape"], dtype=np.int64))
            q = w.get("quantization")
            dt = QDT[q["dtype"]] if q else {"float32": np.float32, "int32": np.int32, "bool": np.bool_}[w["dtype"]]
            a = np.frombuffer(data, dtype=dt, count=n, offset=off).reshape(w["shape"])
            off += a.nbytes
            if q:
                a = tfjs_dequantize(a, q)
                if q.get("original_dtype") == "int32":
                    a = np.round(a).astype(np.int32)
            out[w["name"]] = a
    return out


def read_legacy(f):
    g = f["model_weights"] if "model_weights" in f else f
    out = {}
    for lname in [s(x) for x in g.attrs["layer_names"]]:
        for wn in [s(x) for x in g[lname].attrs["weight_names"]]:
            out[wn[:-2] if wn.endswith(":0") else wn] = g[lname][wn][()]
    return out


def keras3_source(f, cfg, dump):
    """{tfjs weight name: array}: each weight at its layer's Keras 3 path, vars/<index in the layer>."""
    places = k3paths.layer_paths(cfg)
    out, n = {}, 0
    for w in dump["weights"]:
        path, cls = places[w["layer"]]
        if cls in k3paths.RNN:
            path += "/cell"
        out[w["name"]] = f[f"{path}/vars/{w['index']}"][()]

    def count(name, o):
        nonlocal n
        if isinstance(o, h5py.Dataset) and name.startswith("layers/"):
            n += 1
    f.visititems(count)
    return out, n


def load_source(src, dump):
    """-> ({tfjs name: array}, number of weights the source holds)."""
    if src.endswith(".json") or os.path.isdir(src):
        w = read_tfjs(src)
        return w, len(w)
    if src.endswith(".keras"):
        z = zipfile.ZipFile(src)
        cfg = json.loads(z.read("config.json"))
        return keras3_source(h5py.File(io.BytesIO(z.read("model.weights.h5")), "r"), cfg, dump)
    f = h5py.File(src, "r")
    if "layers" in f and "layer_names" not in f.attrs:
        cfg = json.load(open(os.path.join(os.path.dirname(src), "config.json")))
        return keras3_source(f, cfg, dump)
    w = read_legacy(f)
    return w, len(w)


def find(src, name):
    """TF.js' own lookup (Container.loadWeights): the name, or the name
    without its cell part (layer/cell/weight -> layer/weight)."""
    if name in src:
        return src[name]
    for k, v in src.items():
        t = k.split("/")
        if "/".join(t[:-2] + t[-1:]) == name:
            return v
    return None


def tfjs_dtype(a):
    if a.dtype == np.bool_:
        return np.bool_
    return np.float32 if a.dtype.kind == "f" else np.int32


def main():
    a = sys.argv[1:]
    src_path, dump_path, out_json = a[:3]
    quant = a[a.index("--quantize") + 1] if "--quantize" in a else None
    only = a[a.index("--only") + 1].split(",") if "--only" in a else None
    dump = json.load(open(dump_path))
    src, nsrc = load_source(src_path, dump)
    specs = {w["name"]: w for g in json.load(open(out_json))["weightsManifest"] for w in g["weights"]}
    bad, nq, worst = 0, 0, 0.0
    for w in dump["weights"]:
        name = w["name"]
        ref = find(src, name)
        if ref is None:
            print(f"{name}: not in the source")
            bad += 1
            continue
        ref = np.asarray(ref)
        want = ref.astype(tfjs_dtype(ref))
        got = np.frombuffer(__import__("base64").b64decode(w["b64"]), dtype=want.dtype if w["dtype"] != "bool" else np.uint8)
        if list(want.shape) != w["shape"]:
            print(f"{name}: shape {w['shape']} vs source {list(want.shape)}")
            bad += 1
            continue
        spec = specs.get(name) or find(specs, name)
        qd = quant if quant and want.dtype == np.float32 and (not only or any(fnmatch.fnmatch(name, p) for p in only)) else None
        if qd:
            q, meta = quantize_weights(want, QDT[qd])
            sq = (spec or {}).get("quantization") or {}
            if sq.get("dtype") != qd or any(sq.get(k) != float(v) for k, v in meta.items()):
                print(f"{name}: model.json quantization {sq} vs converter {qd} {meta}")
                bad += 1
            exp = tfjs_dequantize(q, meta)
            err = float(np.max(np.abs(exp.astype(np.float64) - want.astype(np.float64)))) if want.size else 0.0
            if qd == "float16":
                bound = float(np.max(np.abs(want))) * 2.0 ** -11 + 2.0 ** -25 if want.size else 0
            else:
                bound = meta["scale"] / 2 * (1 + 1e-5) + 1e-6 * float(np.max(np.abs(want)) if want.size else 0)
            if err > bound:
                print(f"{name}: quantization error {err} over the bound {bound}")
                bad += 1
            worst = max(worst, err / bound if bound else 0)
            nq += 1
            want = exp
        elif spec and spec.get("quantization"):
            print(f"{name}: quantized in model.json but should not be")
            bad += 1
        if got.tobytes() != want.astype(got.dtype).tobytes():
            diff = np.flatnonzero(got != want.reshape(-1).astype(got.dtype))
            print(f"{name}: values differ at {len(diff)} of {want.size} elements (first {diff[:3]})")
            bad += 1
    if len(dump["weights"]) != nsrc:
        print(f"TF.js holds {len(dump['weights'])} weights, the source {nsrc}")
        bad += 1
    print(f"compared {len(dump['weights'])} weights ({nq} quantized {quant or ''}, worst error "
          f"{worst:.3f} of the bound), {bad} bad")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
