# tests/kref.py: the independent side of the Keras tests. Reads Keras files
# with h5py (Debian python3-h5py), zipfile and NumPy only, and checks what
# ckpt printed (ls --json, info --json) and wrote (safetensors, .weights.h5).
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import stio  # noqa: E402

H5DT = {"<f4": "F32", "<f8": "F64", "<f2": "F16", "<i8": "I64", "<i4": "I32", "<i2": "I16",
        "|i1": "I8", "|u1": "U8", "<u2": "U16", "<u4": "U32", "<u8": "U64", "|b1": "BOOL",
        ">f4": "F32", ">f8": "F64", ">i4": "I32", ">i8": "I64"}


def open_h5(path):
    """-> list of h5py.File for a .h5, .keras (member read in memory) or .weights.json."""
    if path.endswith(".keras"):
        z = zipfile.ZipFile(path)
        return [h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")]
    if path.endswith(".weights.json"):
        idx = json.load(open(path))
        d = os.path.dirname(path)
        files = []
        for v in idx["weight_map"].values():
            for f in (v if isinstance(v, list) else [v]):
                if f not in files:
                    files.append(f)
        return [h5py.File(os.path.join(d, f), "r") for f in files]
    return [h5py.File(path, "r")]


def datasets(files):
    """-> {"/path": ndarray} over all files (first wins)."""
    out = {}
    for f in files:
        def v(name, o):
            if isinstance(o, h5py.Dataset) and "/" + name not in out:
                a = o[()]
                if o.attrs.get("dtype") == "bfloat16":
                    a = np.frombuffer(a.tobytes(), dtype="<u2").reshape(o.shape)
                out["/" + name] = np.asarray(a)
        f.visititems(v)
    return out


def dtname(a):
    return H5DT.get(a.dtype.str, a.dtype.str)


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_ls(path, lsjson, stfile):
    """Every dataset listed once with its shape and dtype; values equal."""
    ls = json.load(open(lsjson))
    ds = datasets(open_h5(path))
    seen = set()
    errs = []
    for t in ls["tensors"]:
        sn = t["source_name"]
        if sn not in ds:
            errs.append("%s: source %s not in file" % (t["name"], sn))
            continue
        seen.add(sn)
        a = ds[sn]
        if list(a.shape) != t["shape"]:
            errs.append("%s: shape %s vs h5py %s" % (t["name"], t["shape"], list(a.shape)))
        if dtname(a) != t["dtype"] and not (t["dtype"] == "BF16"):
            errs.append("%s: dtype %s vs h5py %s" % (t["name"], t["dtype"], dtname(a)))
    missing = set(ds) - seen
    if missing:
        errs.append("datasets not listed: %s" % sorted(missing)[:5])
    if stfile:
        st = stio.read(stfile)
        by = {t["name"]: t["source_name"] for t in ls["tensors"]}
        for name, arr in st.items():
            ref = ds[by[name]]
            rb = np.ascontiguousarray(ref.astype(ref.dtype.newbyteorder("<"))).tobytes()
            if tuple(arr.shape) != tuple(ref.shape) or np.ascontiguousarray(arr).tobytes() != rb:
                errs.append("%s: values differ from h5py" % name)
        if set(st) != set(by):
            errs.append("converted names differ: %s" % sorted(set(st) ^ set(by))[:5])
    return errs


def check_legacy_names(path, lsjson):
    """Names are layer/weight: the layer group, then the weight name without
    the layer scope and ':0'; optimizer state under optimizer/."""
    ls = json.load(open(lsjson))
    f = h5py.File(path, "r")
    root = f["model_weights"] if "model_weights" in f else f
    rootname = "/model_weights/" if "model_weights" in f else "/"
    errs = []
    by = {t["source_name"]: t["name"] for t in ls["tensors"]}
    n = 0
    for ln in root.attrs["layer_names"]:
        ln = s(ln)
        for wn in root[ln].attrs.get("weight_names", []):
            wn = s(wn)
            sn = rootname + ln + "/" + wn
            name = by.get(sn)
            n += 1
            base = wn.split("/")[-1].split(":")[0]
            if name is None or not name.startswith(ln + "/") or not name.endswith("/" + base):
                errs.append("%s named %s" % (sn, name))
    for sn, name in by.items():
        if sn.startswith("/optimizer_weights/") and not name.startswith("optimizer/"):
            errs.append("optimizer %s named %s" % (sn, name))
    if n == 0:
        errs.append("no weights found by h5py")
    return errs


def check_k3_names(path, lsjson, expected):
    """Keras 3: the first part of each name is the layer's real name (vars@name
    of its object, Keras >= 3.6), the rest the semantic weight name given."""
    ls = json.load(open(lsjson))
    f = open_h5(path)[0]
    errs = []
    got = {t["source_name"]: t["name"] for t in ls["tensors"]}
    for sn, want in expected.items():
        # the layer object: the path up to the segment after the last "layers"
        parts = sn.strip("/").split("/")
        i = max(k for k, p in enumerate(parts) if p == "layers")
        obj = "/".join(parts[:i + 2])
        lname = s(f[obj + "/vars"].attrs["name"]) if "name" in f[obj + "/vars"].attrs else parts[i + 1]
        full = lname + "/" + want
        if got.get(sn) != full:
            errs.append("%s named %s, expected %s" % (sn, got.get(sn), full))
    return errs


def main():
    cmd = sys.argv[1]
    if cmd == "ls":
        errs = check_ls(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == "legacy-names":
        errs = check_legacy_names(sys.argv[2], sys.argv[3])
    elif cmd == "k3-names":
        errs = check_k3_names(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
    else:
        errs = ["unknown command"]
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
