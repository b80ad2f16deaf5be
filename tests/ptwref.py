# tests/ptwref.py: checks of what `ckpt convert --to torch` writes, with
# Debian's PyTorch (torch.load(weights_only=True)), Python's zipfile and
# pickletools, against a safetensors file read by hand (tests/ptref.py).
#   ptwref.py load TEST OUT.pt REF.safetensors [TEST OUT.pt REF ...]
#       torch.load gives an OrderedDict with REF's names, in order, dtypes,
#       shapes and bytes; the zip is torch's layout (members, 64-byte
#       aligned stored data, byteorder, version); the pickle uses only
#       opcodes torch's pickler emits.
#   ptwref.py index TEST INDEX.json REF.safetensors
#       the index is transformers' (sorted, indent 2, total_size) and every
#       tensor loads from the shard its weight_map names.
import json
import pickletools
import struct
import sys
import zipfile

import numpy as np

import ptref

# the opcodes torch.save's protocol-2 pickler writes for a state dict
TORCH_OPS = {"PROTO", "GLOBAL", "BINPUT", "LONG_BINPUT", "BINGET", "LONG_BINGET", "EMPTY_TUPLE", "REDUCE",
             "MARK", "BINUNICODE", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "BINPERSID", "BININT1", "BININT2",
             "BININT", "LONG1", "NEWFALSE", "SETITEMS", "STOP"}
TORCH_DT = None


def as_numpy(t):
    import torch
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view("<u2")
    return t.numpy()


def layout(path):
    bad = []
    raw = open(path, "rb").read()
    z = zipfile.ZipFile(path)
    names = [i.filename for i in z.infolist()]
    if names[:2] != ["archive/data.pkl", "archive/byteorder"] or names[-1] != "archive/version":
        bad.append("members %s" % names[:3])
    if z.read("archive/byteorder") != b"little" or z.read("archive/version") != b"3\n":
        bad.append("byteorder/version records")
    for i in z.infolist():
        nl, el = struct.unpack("<HH", raw[i.header_offset + 26:i.header_offset + 30])
        start = i.header_offset + 30 + nl + el
        if i.compress_type != zipfile.ZIP_STORED or start % 64:
            bad.append("%s: data at %d, method %d" % (i.filename, start, i.compress_type))
        if z.read(i.filename) != raw[start:start + i.file_size]:
            bad.append("%s: stored bytes differ" % i.filename)
    ops = {op.name for op, arg, pos in pickletools.genops(z.read("archive/data.pkl"))}
    if ops - TORCH_OPS:
        bad.append("opcodes torch does not emit: %s" % sorted(ops - TORCH_OPS))
    return bad


def check_load(out, ref_st):
    import collections
    import torch
    bad = layout(out)
    sd = torch.load(out, weights_only=True)
    ref = ptref.st_read(ref_st)
    if type(sd) is not collections.OrderedDict:
        bad.append("loaded a %s" % type(sd).__name__)
    if list(sd) != list(ref):
        bad.append("names/order: %s vs %s" % (list(sd)[:4], list(ref)[:4]))
    for k, (dt, a) in ref.items():
        if k not in sd:
            continue
        t = sd[k]
        if str(t.dtype) != {"F32": "torch.float32", "F64": "torch.float64", "F16": "torch.float16",
                            "BF16": "torch.bfloat16", "I64": "torch.int64", "I32": "torch.int32",
                            "I16": "torch.int16", "I8": "torch.int8", "U8": "torch.uint8",
                            "BOOL": "torch.bool"}[dt]:
            bad.append("%s: dtype %s, reference %s" % (k, t.dtype, dt))
        elif list(t.shape) != list(a.shape) or as_numpy(t).tobytes() != a.tobytes():
            bad.append("%s: shape %s vs %s or bytes differ" % (k, list(t.shape), list(a.shape)))
        elif t.numel() and t.stride() != torch.empty(a.shape).stride():
            bad.append("%s: strides %s" % (k, t.stride()))
    return bad


def check_index(index, ref_st):
    import os
    import torch
    text = open(index).read()
    idx = json.loads(text)
    bad = []
    if text != json.dumps(idx, indent=2, sort_keys=True) + "\n":
        bad.append("index is not json.dumps(indent=2, sort_keys=True)")
    ref = ptref.st_read(ref_st)
    total = sum(a.nbytes for dt, a in ref.values())
    if idx.get("metadata", {}).get("total_size") != total:
        bad.append("total_size %r, tensors hold %d" % (idx.get("metadata"), total))
    wm = idx["weight_map"]
    if sorted(wm) != sorted(ref):
        bad.append("weight_map names differ")
    shards = {}
    for name, f in wm.items():
        if f not in shards:
            shards[f] = torch.load(os.path.join(os.path.dirname(index), f), weights_only=True)
            bad += layout(os.path.join(os.path.dirname(index), f))
        t = shards[f].get(name)
        if t is None or as_numpy(t).tobytes() != ref[name][1].tobytes():
            bad.append("%s: not in %s or bytes differ" % (name, f))
    seen = [n for f in sorted(shards) for n in shards[f]]
    if sorted(seen) != sorted(ref):
        bad.append("shards hold %d tensors, the index %d" % (len(seen), len(wm)))
    return bad


def report(test, fn, *args):
    try:
        bad = fn(*args)
    except Exception as e:  # a loader error is this test's failure
        bad = ["%s: %s" % (type(e).__name__, str(e)[:300])]
    print("FAIL %s: %s" % (test, "; ".join(bad)[:700]) if bad else "PASS " + test)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = check_load if cmd == "load" else check_index
    for i in range(0, len(args), 3):
        report(args[i], fn, args[i + 1], args[i + 2])
