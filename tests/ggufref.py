# tests/ggufref.py: an independent GGUF reader and writer for the tests,
# written from the format's definition (ggml docs/gguf.md, ggml-common.h
# block layouts) with NumPy only: no code shared with ckpt's C reader.
#
#   python3 ggufref.py dump FILE          JSON: version, kv (as ckpt prints them), tensors
#   python3 ggufref.py compare FILE ST    every tensor of FILE (dequantized to F32 for
#                                         Q4_0/Q4_1/Q5_0/Q5_1/Q8_0) equals ST's tensor
#   python3 ggufref.py make OUT           a GGUF with every plain type, five block types,
#                                         one Q4_K, every value type, alignment 64
import json
import struct
import sys

import numpy as np

# value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
          BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}
TNAME = {U8: "u8", I8: "i8", U16: "u16", I16: "i16", U32: "u32", I32: "i32", F32: "f32",
         BOOL: "bool", STR: "string", ARR: "array", U64: "u64", I64: "i64", F64: "f64"}

# ggml types: name, block elements, block bytes, numpy dtype for plain ones
GT = {0: ("F32", 1, 4, "<f4"), 1: ("F16", 1, 2, "<f2"), 2: ("Q4_0", 32, 18, None),
      3: ("Q4_1", 32, 20, None), 6: ("Q5_0", 32, 22, None), 7: ("Q5_1", 32, 24, None),
      8: ("Q8_0", 32, 34, None), 12: ("Q4_K", 256, 144, None), 24: ("I8", 1, 1, "<i1"),
      25: ("I16", 1, 2, "<i2"), 26: ("I32", 1, 4, "<i4"), 27: ("I64", 1, 8, "<i8"),
      28: ("F64", 1, 8, "<f8"), 30: ("BF16", 1, 2, None)}
CKPT_DT = {"F32": "F32", "F16": "F16", "BF16": "BF16", "F64": "F64", "I8": "I8", "I16": "I16",
           "I32": "I32", "I64": "I64"}


class R:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        if self.p + n > len(self.b):
            raise ValueError("truncated")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def s(self):
        return self.take(self.u("<Q")).decode("utf-8", "replace")


def read_value(r, t):
    if t == STR:
        return r.s()
    if t == ARR:
        et, n = r.u("<I"), r.u("<Q")
        return (et, [read_value(r, et) for _ in range(n)])
    v = r.u(SCALAR[t])
    return bool(v) if t == BOOL else v


def show(t, v, quoted=False):
    """The text ckpt keeps for a value: a string exactly; arrays of more than 8
    elements (or of arrays) summarised as "[N strings]", "[N i32]", ..."""
    if t == STR and not quoted:
        return v   # a string value on its own: its exact text (printers escape it)
    if t == STR:
        s = v.encode()
        keep = s[:64 if quoted else 4096].decode("utf-8", "replace")
        keep = keep.replace("\n", "\\n")
        if len(s) > (64 if quoted else 4096):
            keep += "...(%d bytes)" % len(s)
        return '"%s"' % keep.replace('"', '\\"') if quoted else keep
    if t == ARR:
        et, items = v
        if len(items) <= 8 and et != ARR:
            return "[" + ", ".join(show(et, x, True) for x in items) + "]"
        return "[%d %s]" % (len(items), {STR: "strings", ARR: "arrays"}.get(et, TNAME[et]))
    if t == BOOL:
        return "true" if v else "false"
    if t == F32:
        return "%.9g" % v
    if t == F64:
        return "%.17g" % v
    return str(v)


def parse(path):
    b = open(path, "rb").read()
    r = R(b)
    assert r.take(4) == b"GGUF"
    ver = r.u("<I")
    nt, nkv = r.u("<Q"), r.u("<Q")
    kv = []
    for _ in range(nkv):
        k = r.s()
        t = r.u("<I")
        kv.append((k, t, read_value(r, t)))
    align = next((v for k, t, v in kv if k == "general.alignment"), 32)
    ts = []
    for _ in range(nt):
        name = r.s()
        nd = r.u("<I")
        dims = [r.u("<Q") for _ in range(nd)]
        typ, off = r.u("<I"), r.u("<Q")
        ts.append(dict(name=name, shape=dims[::-1], type=typ, off=off))
    data = r.p + (align - r.p % align) % align
    return b, ver, kv, ts, data


def f16(a):
    return np.frombuffer(a.tobytes(), "<f2").astype(np.float32)


def tensor_values(b, data, t):
    """The tensor's values as NumPy: plain types as stored, block types dequantized."""
    name, blk, size, npdt = GT[t["type"]]
    n = int(np.prod(t["shape"], dtype=np.int64)) if t["shape"] else 1
    raw = np.frombuffer(b, np.uint8, n // blk * size, data + t["off"])
    if npdt:
        return raw.view(npdt).reshape(t["shape"])
    if name == "BF16":
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32).reshape(t["shape"])
    B = raw.reshape(-1, size)
    if name == "Q8_0":
        d = f16(B[:, 0:2])[:, None]
        y = B[:, 2:].view(np.int8).astype(np.float32) * d
    elif name in ("Q4_0", "Q4_1"):
        o = 2 if name == "Q4_0" else 4
        d = f16(B[:, 0:2])[:, None]
        qs = B[:, o:o + 16]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.float32)
        y = (q - 8) * d if name == "Q4_0" else q * d + f16(B[:, 2:4])[:, None]
    elif name in ("Q5_0", "Q5_1"):
        o = 2 if name == "Q5_0" else 4
        d = f16(B[:, 0:2])[:, None]
        qh = np.ascontiguousarray(B[:, o:o + 4]).view("<u4")[:, 0]
        hb = ((qh[:, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)
        qs = B[:, o + 4:o + 20]
        q = (np.concatenate([qs & 15, qs >> 4], axis=1) | (hb << 4)).astype(np.float32)
        y = (q - 16) * d if name == "Q5_0" else q * d + f16(B[:, 2:4])[:, None]
    else:
        raise ValueError("no reference dequantization for " + name)
    return y.astype(np.float32).reshape(t["shape"])


def dump(path):
    b, ver, kv, ts, data = parse(path)
    out = {"version": ver, "kv": [[k, show(t, v)] for k, t, v in kv], "tensors": []}
    for k, t, v in kv:
        if k == "tokenizer.ggml.tokens":
            out["ntokens"] = len(v[1])
            out["tokens_head"] = v[1][:5]
    for t in ts:
        nm = GT[t["type"]][0]
        out["tensors"].append({"name": t["name"], "shape": t["shape"], "ggml": nm,
                               "dtype": CKPT_DT.get(nm, "F32")})
    print(json.dumps(out))


def st_read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    dt = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I8": "<i1", "I16": "<i2", "I32": "<i4",
          "I64": "<i8", "BF16": "<u2"}
    res = {}
    for k, e in h.items():
        s, t = e["data_offsets"]
        a = np.frombuffer(b[8 + n + s:8 + n + t], dt[e["dtype"]])
        if e["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        res[k] = (e["dtype"], a.reshape(e["shape"]))
    return res


def compare(path, st):
    b, ver, kv, ts, data = parse(path)
    got = st_read(st)
    bad = 0
    for t in ts:
        if GT[t["type"]][0] == "Q4_K":
            continue
        want = tensor_values(b, data, t)
        if t["name"] not in got:
            print("missing in output:", t["name"]); bad += 1; continue
        dt, a = got.pop(t["name"])
        if list(a.shape) != list(want.shape) or not np.array_equal(a, want, equal_nan=True):
            print("values differ:", t["name"], dt, a.shape, want.shape,
                  float(np.max(np.abs(a.astype(np.float64) - want.astype(np.float64)))) if a.shape == want.shape else "")
            bad += 1
    if got:
        print("extra in output:", sorted(got)); bad += 1
    print("compared", len(ts), "tensors,", bad, "bad")
    return 1 if bad else 0


# ---------------------------------------------------------------- writer

def pstr(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(s)) + s


def pval(t, v):
    if t == STR:
        return pstr(v)
    if t == ARR:
        et, items = v
        return struct.pack("<IQ", et, len(items)) + b"".join(pval(et, x) for x in items)
    return struct.pack(SCALAR[t], v)


def h16(x):
    return np.asarray(x, np.float32).astype("<f2").tobytes()


def quantize(name, x):
    """ggml-quants.c quantize_row_*_ref, block by block."""
    out = b""
    for blk in x.reshape(-1, 32).astype(np.float32):
        if name == "Q8_0":
            amax = float(np.max(np.abs(blk)))
            d = amax / 127
            q = np.round(blk / d if d else blk * 0).astype(np.int8)
            out += h16(d) + q.tobytes()
        elif name in ("Q4_0", "Q5_0"):
            mx = blk[np.argmax(np.abs(blk))]
            d = mx / (-8 if name == "Q4_0" else -16)
            idn = 1 / d if d else 0
            if name == "Q4_0":
                q = np.minimum(15, (blk * idn + 8.5).astype(np.int32)).astype(np.uint8)
                out += h16(d) + (q[:16] | (q[16:] << 4)).tobytes()
            else:
                q = np.minimum(31, (blk * idn + 16.5).astype(np.int32)).astype(np.uint32)
                qh = int(np.sum(((q >> 4) & 1) << np.arange(32, dtype=np.uint32)))
                lo = (q & 15).astype(np.uint8)
                out += h16(d) + struct.pack("<I", qh) + (lo[:16] | (lo[16:] << 4)).tobytes()
        else:  # Q4_1, Q5_1
            mn, mx = float(blk.min()), float(blk.max())
            lv = 15 if name == "Q4_1" else 31
            d = (mx - mn) / lv
            idn = 1 / d if d else 0
            q = np.minimum(lv, ((blk - mn) * idn + 0.5).astype(np.int32)).astype(np.uint32)
            if name == "Q4_1":
                q = q.astype(np.uint8)
                out += h16(d) + h16(mn) + (q[:16] | (q[16:] << 4)).tobytes()
            else:
                qh = int(np.sum(((q >> 4) & 1) << np.arange(32, dtype=np.uint32)))
                lo = (q & 15).astype(np.uint8)
                out += h16(d) + h16(mn) + struct.pack("<I", qh) + (lo[:16] | (lo[16:] << 4)).tobytes()
    return out


def write(path, kv, tensors, align=32, version=3):
    """kv: [(key, type, value)]; tensors: [(name, ggml type id, numpy shape, bytes)]"""
    hdr = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kv))
    for k, t, v in kv:
        hdr += pstr(k) + struct.pack("<I", t) + pval(t, v)
    off, blobs = 0, b""
    for name, typ, shape, raw in tensors:
        hdr += pstr(name) + struct.pack("<I", len(shape))
        hdr += b"".join(struct.pack("<Q", d) for d in shape[::-1])
        hdr += struct.pack("<IQ", typ, off)
        blobs += raw + b"\0" * ((align - len(raw) % align) % align)
        off = len(blobs)
    hdr += b"\0" * ((align - len(hdr) % align) % align)
    open(path, "wb").write(hdr + blobs)


def make(path, with_k=True):
    rng = np.random.default_rng(7)
    kv = [("general.architecture", STR, "llama"), ("general.name", STR, "ckpt test \"quoted\""),
          ("general.alignment", U32, 64),
          ("t.u8", U8, 200), ("t.i8", I8, -5), ("t.u16", U16, 60000), ("t.i16", I16, -300),
          ("t.u32", U32, 4000000000), ("t.i32", I32, -70000), ("t.f32", F32, 0.1),
          ("t.bool", BOOL, 1), ("t.u64", U64, 2**63 + 5), ("t.i64", I64, -2**40),
          ("t.f64", F64, 1 / 3), ("t.small", ARR, (I32, [1, -2, 3])),
          ("t.names", ARR, (STR, ["a", "b\"c"])), ("t.nested", ARR, (ARR, [(U8, [1]), (U8, [])])),
          ("llama.block_count", U32, 2), ("llama.embedding_length", U32, 64),
          ("tokenizer.ggml.tokens", ARR, (STR, ["tok%d" % i for i in range(300)]))]
    ts = []
    x = rng.standard_normal((3, 64)).astype(np.float32)
    for name, typ in (("Q8_0", 8), ("Q4_0", 2), ("Q4_1", 3), ("Q5_0", 6), ("Q5_1", 7)):
        ts.append(("blk.0.%s.weight" % name.lower(), typ, (3, 64), quantize(name, x)))
    if with_k:
        ts.append(("blk.1.q4k.weight", 12, (2, 256), rng.integers(0, 256, 2 * 144, dtype=np.uint8).tobytes()))
    ts.append(("plain.f32", 0, (2, 3, 4), rng.standard_normal((2, 3, 4)).astype("<f4").tobytes()))
    ts.append(("plain.f16", 1, (5,), rng.standard_normal(5).astype("<f2").tobytes()))
    ts.append(("plain.bf16", 30, (4,), (rng.standard_normal(4).astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()))
    ts.append(("plain.f64", 28, (3,), rng.standard_normal(3).astype("<f8").tobytes()))
    for nm, typ, dt in (("i8", 24, "<i1"), ("i16", 25, "<i2"), ("i32", 26, "<i4"), ("i64", 27, "<i8")):
        ts.append(("plain." + nm, typ, (2, 2), rng.integers(-100, 100, 4).astype(dt).tobytes()))
    ts.append(("plain.scalar", 0, (), np.float32(2.5).tobytes()))
    write(path, kv, ts, align=64)
    np.save(path + ".orig.npy", x)   # the floats before quantization


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dump":
        dump(sys.argv[2])
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif cmd == "make":
        make(sys.argv[2], "--no-k" not in sys.argv)
