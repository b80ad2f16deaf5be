# tests/ptref.py: independent references for the torch and npz readers.
#   ptref.py torch TEST CKPT.pt OUT.safetensors LS.json ...  compare with torch.load(weights_only=True)
#   ptref.py npz TEST FILE OUT.safetensors LS.json ...        compare with np.load
# The safetensors file (written by `ckpt convert`) is read here by hand from
# the format's definition, and LS.json is `ckpt ls --json`. Prints one
# PASS/FAIL line per test, in the tests' format.
import json
import struct
import sys

import numpy as np

ST_NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
         "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?", "BF16": "<u2"}


def st_read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        s, e = v["data_offsets"]
        a = np.frombuffer(data[base + s:base + e], dtype=np.dtype(ST_NP[v["dtype"]]))
        out[name] = (v["dtype"], a.reshape(v["shape"]))
    return out


def flatten_torch(obj):
    """The tensors torch.load returned, as ckpt names them (dotted paths of
    the chosen state dict)."""
    import torch
    for k in ("state_dict", "model_state_dict", "model", "module"):
        if isinstance(obj, dict) and isinstance(obj.get(k), dict):
            sub = obj[k]
            if any(isinstance(v, torch.Tensor) for v in sub.values()):
                obj = sub
                break
    out = {}

    def walk(o, name):
        if isinstance(o, torch.Tensor):
            out[name or "tensor"] = o
        elif isinstance(o, dict):
            for k, v in o.items():
                if isinstance(k, (str, int)) and not isinstance(k, bool):
                    walk(v, f"{name}.{k}" if name else str(k))
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(v, f"{name}.{i}" if name else str(i))
    walk(obj, "")
    return out


TORCH_ST = None


def torch_ref(path, trusted=False):
    import pickle
    import torch
    global TORCH_ST
    TORCH_ST = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
                torch.uint8: "U8", torch.bool: "BOOL"}
    try:
        obj = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        if not trusted:
            raise
        obj = torch.load(path, weights_only=False, map_location="cpu")
    ref = {}
    for k, t in flatten_torch(obj).items():
        t = t.detach().contiguous()
        dt = TORCH_ST[t.dtype]
        if t.dtype == torch.bfloat16:
            a = t.view(torch.int16).numpy().view("<u2")
        else:
            a = t.numpy()
        ref[k] = (dt, a)
    return ref


NP_ST = {"f8": "F64", "f4": "F32", "f2": "F16", "i8": "I64", "i4": "I32", "i2": "I16", "i1": "I8",
         "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64", "b1": "BOOL"}


def npz_ref(path):
    ref = {}
    if path.endswith(".npy"):
        items = [(path.rsplit("/", 1)[-1][:-4], np.load(path, allow_pickle=False))]
    else:
        z = np.load(path, allow_pickle=False)
        items = [(k, z[k]) for k in z.files]
    for k, a in items:
        ref[k] = (NP_ST[a.dtype.str[1:]], a.copy(order="C"))  # ascontiguousarray would make 0-d 1-d
    return ref


def compare(kind, src, st, lsj, trusted=False):
    """-> list of mismatch strings."""
    ref = torch_ref(src, trusted) if kind == "torch" else npz_ref(src)
    got = st_read(st)
    ls = json.load(open(lsj))
    bad = []
    ls_t = {t["name"]: t for t in ls["tensors"]}
    if list(ref) != [t["name"] for t in ls["tensors"]]:
        bad.append(f"names/order: reference {list(ref)} vs ckpt ls {[t['name'] for t in ls['tensors']]}")
    if sorted(ref) != sorted(got):
        bad.append(f"names: reference {sorted(ref)} vs converted {sorted(got)}")
    for k, (dt, a) in ref.items():
        if k in ls_t:
            t = ls_t[k]
            if t["dtype"] != dt or list(t["shape"]) != list(a.shape):
                bad.append(f"{k}: ls says {t['dtype']} {t['shape']}, reference {dt} {list(a.shape)}")
        if k in got:
            gdt, g = got[k]
            if gdt != dt or list(g.shape) != list(a.shape):
                bad.append(f"{k}: converted {gdt} {list(g.shape)}, reference {dt} {list(a.shape)}")
            elif g.tobytes() != a.astype(g.dtype).tobytes():
                bad.append(f"{k}: values differ")
    if not ref:
        bad.append("reference has no tensors")
    return bad


def main():
    """ptref.py KIND TEST SRC ST LSJSON [TEST SRC ST LSJSON ...]: one
    PASS/FAIL line per TEST (one process: importing torch is slow).
    A TEST name ending in '+trusted' is loaded with weights_only=False when
    this torch's weights-only loader cannot read it (old torch lacks BINFLOAT)."""
    kind, args = sys.argv[1], sys.argv[2:]
    for i in range(0, len(args), 4):
        test, src, st, lsj = args[i:i + 4]
        trusted = test.endswith("+trusted")
        test = test.replace("+trusted", "")
        try:
            bad = compare(kind, src, st, lsj, trusted)
        except Exception as e:  # a missing output file, a loader error: a failure of this test
            bad = [f"{type(e).__name__}: {e}"[:300]]
        if bad:
            print(f"FAIL {test}: " + "; ".join(bad)[:600])
        else:
            print(f"PASS {test}")


if __name__ == "__main__":
    main()
