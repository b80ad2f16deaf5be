# tests/ggufquant.py: a NumPy reference for ggml's K-quants (Q2_K, Q3_K,
# Q4_K, Q5_K, Q6_K, Q8_K) and IQ4_NL / IQ4_XS, written from ggml's block
# layouts (ggml-common.h block_q4_K etc.) and dequantize_row_* arithmetic;
# nothing is shared with ckpt's C decoders (src/formats/gguf_quant.c).
#
#   dequant(NAME, B)   blocks B (uint8, one row per block) -> float32 weights
#   quantize(NAME, x)  float32 weights -> block bytes (a simple quantizer
#                      that fills every field of the layout)
#   python3 ggufquant.py make OUT.gguf        one quantized tensor and one of random
#                                             blocks per type (OUT.gguf.orig.npz: the floats)
#   python3 ggufquant.py compare OUT.gguf ST  ckpt's output equals dequant() bit for bit,
#                                             and the quantized tensors are near the floats
import json
import struct
import sys

import numpy as np

QK_K = 256
# name: (ggml type id, weights per block, bytes per block)
TYPES = {"Q2_K": (10, 256, 84), "Q3_K": (11, 256, 110), "Q4_K": (12, 256, 144),
         "Q5_K": (13, 256, 176), "Q6_K": (14, 256, 210), "Q8_K": (15, 256, 292),
         "IQ4_NL": (20, 32, 18), "IQ4_XS": (23, 256, 136)}
BY_ID = {v[0]: k for k, v in TYPES.items()}
KVALUES = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113], np.int8)
F32 = np.float32


def f16(a):
    return np.ascontiguousarray(a).view("<f2").astype(F32).reshape(len(a))


def u8(a):
    return np.ascontiguousarray(a, dtype=np.uint8)


def scale_min_k4(sc):
    """get_scale_min_k4 for j = 0..7 over the 12 scale bytes: (scales, mins), uint8 (nb, 8)."""
    s = np.zeros((len(sc), 8), np.uint8)
    m = np.zeros((len(sc), 8), np.uint8)
    for j in range(8):
        if j < 4:
            s[:, j] = sc[:, j] & 63
            m[:, j] = sc[:, j + 4] & 63
        else:
            s[:, j] = (sc[:, j + 4] & 0xF) | ((sc[:, j - 4] >> 6) << 4)
            m[:, j] = (sc[:, j + 4] >> 4) | ((sc[:, j] >> 6) << 4)
    return s, m


def dq_q2_k(B):
    sc, qs, d, dmin = B[:, :16], B[:, 16:80], f16(B[:, 80:82]), f16(B[:, 82:84])
    out = []
    for n in range(2):
        for shift in range(4):
            for half in range(2):
                s = sc[:, n * 8 + shift * 2 + half]
                dl = d * (s & 0xF).astype(F32)
                ml = dmin * (s >> 4).astype(F32)
                q = (qs[:, n * 32 + half * 16:n * 32 + half * 16 + 16] >> (2 * shift)) & 3
                out.append(dl[:, None] * q.astype(F32) - ml[:, None])
    return np.concatenate(out, axis=1)


def dq_q3_k(B):
    hm, qs, d = B[:, :32], B[:, 32:96], f16(B[:, 108:110])
    # the kmask shuffle of dequantize_row_q3_K on three little-endian u32
    aux = u8(B[:, 96:108]).view("<u4").copy()
    k1, k2 = np.uint32(0x03030303), np.uint32(0x0f0f0f0f)
    tmp = aux[:, 2]
    a = [(aux[:, 0] & k2) | (((tmp >> 0) & k1) << 4), (aux[:, 1] & k2) | (((tmp >> 2) & k1) << 4),
         ((aux[:, 0] >> 4) & k2) | (((tmp >> 4) & k1) << 4), ((aux[:, 1] >> 4) & k2) | (((tmp >> 6) & k1) << 4)]
    scales = np.stack(a, axis=1).astype("<u4").view(np.int8).astype(np.int32)   # (nb, 16)
    out = []
    for n in range(2):
        for j in range(4):
            for half in range(2):
                dl = d * (scales[:, n * 8 + j * 2 + half] - 32).astype(F32)
                sl = slice(half * 16, half * 16 + 16)
                q = ((qs[:, n * 32:n * 32 + 32][:, sl] >> (2 * j)) & 3).astype(np.int32)
                q = q - np.where(hm[:, sl] & (1 << (n * 4 + j)), 0, 4)
                out.append(dl[:, None] * q.astype(F32))
    return np.concatenate(out, axis=1)


def dq_q45_k(B, five):
    d, dmin = f16(B[:, 0:2]), f16(B[:, 2:4])
    s, m = scale_min_k4(B[:, 4:16])
    qh = B[:, 16:48]
    qs = B[:, 48:176] if five else B[:, 16:144]
    out = []
    for g in range(4):
        q = qs[:, g * 32:g * 32 + 32]
        for k, nib in ((0, q & 0xF), (1, q >> 4)):
            v = nib.astype(np.int32)
            if five:
                v = v + np.where(qh & (1 << (2 * g + k)), 16, 0)
            dd = d * s[:, 2 * g + k].astype(F32)
            mm = dmin * m[:, 2 * g + k].astype(F32)
            out.append(dd[:, None] * v.astype(F32) - mm[:, None])
    return np.concatenate(out, axis=1)


def dq_q6_k(B):
    ql, qh, sc, d = B[:, :128], B[:, 128:192], B[:, 192:208].view(np.int8), f16(B[:, 208:210])
    y = np.zeros((len(B), QK_K), F32)
    for n in range(2):
        L, H = ql[:, n * 64:n * 64 + 64], qh[:, n * 32:n * 32 + 32]
        parts = [(L[:, :32] & 0xF), (L[:, 32:] & 0xF), (L[:, :32] >> 4), (L[:, 32:] >> 4)]
        for k in range(4):
            q = (parts[k] | (((H >> (2 * k)) & 3) << 4)).astype(np.int32) - 32
            for l16 in range(2):
                s = sc[:, n * 8 + l16 + 2 * k].astype(F32)
                cols = slice(l16 * 16, l16 * 16 + 16)
                y[:, n * 128 + k * 32 + l16 * 16:n * 128 + k * 32 + l16 * 16 + 16] = \
                    (d * s)[:, None] * q[:, cols].astype(F32)
    return y


def dq_q8_k(B):
    d = u8(B[:, :4]).view("<f4")[:, 0]
    return d[:, None] * B[:, 4:260].view(np.int8).astype(F32)


def nibbles(qs, dl):
    lo = KVALUES[qs & 0xF].astype(F32)
    hi = KVALUES[qs >> 4].astype(F32)
    return np.concatenate([dl[:, None] * lo, dl[:, None] * hi], axis=1)


def dq_iq4_xs(B):
    d = f16(B[:, :2])
    sh = u8(B[:, 2:4]).view("<u2")[:, 0].astype(np.int32)
    sl, qs = B[:, 4:8].astype(np.int32), B[:, 8:136]
    out = []
    for ib in range(8):
        ls = ((sl[:, ib // 2] >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4)
        out.append(nibbles(qs[:, ib * 16:ib * 16 + 16], d * (ls - 32).astype(F32)))
    return np.concatenate(out, axis=1)


def dequant(name, B):
    B = u8(B)
    f = {"Q2_K": dq_q2_k, "Q3_K": dq_q3_k, "Q4_K": lambda b: dq_q45_k(b, False),
         "Q5_K": lambda b: dq_q45_k(b, True), "Q6_K": dq_q6_k, "Q8_K": dq_q8_k,
         "IQ4_NL": lambda b: nibbles(b[:, 2:18], f16(b[:, :2])), "IQ4_XS": dq_iq4_xs}[name]
    with np.errstate(all="ignore"):   # random blocks: fp16 scales may be inf or NaN
        return f(B).astype(F32).reshape(-1)


# ---------------------------------------------------------------- quantizers

def h16(x):
    return np.asarray(x, F32).astype("<f2")


def pack2(L):
    """2-bit values of 128 weights -> 32 bytes: byte l holds L[l], L[l+32], L[l+64], L[l+96]."""
    return (L[:32] | (L[32:64] << 2) | (L[64:96] << 4) | (L[96:] << 6)).astype(np.uint8)


def k4_scales(s, m):
    """6-bit scales and mins (8 each) -> the 12 bytes get_scale_min_k4 reads."""
    b = np.zeros(12, np.uint8)
    for j in range(8):
        if j < 4:
            b[j] |= s[j] & 63
            b[j + 4] |= m[j] & 63
        else:
            b[j + 4] |= (s[j] & 0xF) | ((m[j] & 0xF) << 4)
            b[j - 4] |= (s[j] >> 4) << 6
            b[j] |= (m[j] >> 4) << 6
    return b


def affine(x, nsub, levels, sbits):
    """Sub-block scale and min (x ~ d*sc*q - dmin*mn), scales on sbits bits."""
    xs = x.reshape(nsub, -1)
    lo = np.minimum(xs.min(axis=1), 0)
    sub = (xs.max(axis=1) - lo) / levels
    top = (1 << sbits) - 1
    d = max(float(sub.max()) / top, 1e-8)
    dmin = max(float(-lo.min()) / top, 1e-8)
    d, dmin = float(h16(d).astype(F32)), float(h16(dmin).astype(F32))
    sc = np.clip(np.ceil(sub / d), 1, top).astype(np.uint8)
    mn = np.clip(np.round(-lo / dmin), 0, top).astype(np.uint8)
    step = (d * sc.astype(F32))[:, None]
    q = np.clip(np.round((xs + (dmin * mn.astype(F32))[:, None]) / step), 0, levels).astype(np.uint8)
    return d, dmin, sc, mn, q.reshape(-1)


def symmetric(x, nsub, qmax, sbits):
    """Signed sub-block scales (stored + 2^(sbits-1)) and q in [-qmax-1, qmax]."""
    xs = x.reshape(nsub, -1)
    sub = np.abs(xs).max(axis=1) / qmax
    half = 1 << (sbits - 1)
    d = max(float(sub.max()) / (half - 1), 1e-8)
    d = float(h16(d).astype(F32))
    sc = np.clip(np.ceil(sub / d), 1, half - 1).astype(np.int32)
    q = np.clip(np.round(xs / (d * sc.astype(F32))[:, None]), -qmax - 1, qmax).astype(np.int32)
    return d, sc, q.reshape(-1)


def q_block(name, x):
    if name == "Q2_K":
        d, dmin, sc, mn, q = affine(x, 16, 3, 4)
        qs = np.concatenate([pack2(q[n * 128:(n + 1) * 128]) for n in range(2)])
        return u8(sc | (mn << 4)).tobytes() + qs.tobytes() + h16(d).tobytes() + h16(dmin).tobytes()
    if name == "Q3_K":
        d, sc, q = symmetric(x, 16, 3, 6)
        L = (q + 4).astype(np.uint8)
        hm = np.zeros(32, np.uint8)
        for j in range(QK_K):   # high bit of weight j: byte j % 32, bit j // 32
            if L[j] > 3:
                hm[j % 32] |= 1 << (j // 32)
                L[j] -= 4
        qs = np.concatenate([pack2(L[n * 128:(n + 1) * 128]) for n in range(2)])
        s6 = (sc + 32).astype(np.uint8)
        raw = np.zeros(12, np.uint8)
        for j in range(16):
            lo, hi = s6[j] & 0xF, s6[j] >> 4
            if j < 8:
                raw[j] |= lo
            else:
                raw[j - 8] |= lo << 4
            raw[8 + j % 4] |= hi << (2 * (j // 4))
        return hm.tobytes() + qs.tobytes() + raw.tobytes() + h16(d).tobytes()
    if name in ("Q4_K", "Q5_K"):
        five = name == "Q5_K"
        d, dmin, sc, mn, q = affine(x, 8, 31 if five else 15, 6)
        qs, qh = np.zeros(128, np.uint8), np.zeros(32, np.uint8)
        for g in range(4):
            a, b = q[g * 64:g * 64 + 32], q[g * 64 + 32:g * 64 + 64]
            qs[g * 32:g * 32 + 32] = (a & 0xF) | ((b & 0xF) << 4)
            qh |= ((a >> 4) << (2 * g)) | ((b >> 4) << (2 * g + 1))
        head = h16(d).tobytes() + h16(dmin).tobytes() + k4_scales(sc, mn).tobytes()
        return head + (qh.tobytes() if five else b"") + qs.tobytes()
    if name == "Q6_K":
        d, sc, q = symmetric(x, 16, 31, 8)
        L = (q + 32).astype(np.uint8)
        ql, qh = np.zeros(128, np.uint8), np.zeros(64, np.uint8)
        for n in range(2):
            P = L[n * 128:(n + 1) * 128]
            ql[n * 64:n * 64 + 32] = (P[:32] & 0xF) | ((P[64:96] & 0xF) << 4)
            ql[n * 64 + 32:n * 64 + 64] = (P[32:64] & 0xF) | ((P[96:] & 0xF) << 4)
            qh[n * 32:n * 32 + 32] = (P[:32] >> 4) | ((P[32:64] >> 4) << 2) | ((P[64:96] >> 4) << 4) | ((P[96:] >> 4) << 6)
        return ql.tobytes() + qh.tobytes() + sc.astype(np.int8).tobytes() + h16(d).tobytes()
    if name == "Q8_K":
        d = F32(np.abs(x).max() / 127 or 1)
        q = np.clip(np.round(x / d), -128, 127).astype(np.int16)
        return np.array([d], "<f4").tobytes() + q.astype(np.int8).tobytes() + \
            q.reshape(16, 16).sum(axis=1).astype("<i2").tobytes()
    if name in ("IQ4_NL", "IQ4_XS"):
        def nl(xs, dl):   # nearest level; 16 bytes, low nibbles = weights 0..15
            idx = np.abs(xs[:, None] / dl - KVALUES.astype(F32)[None, :]).argmin(axis=1).astype(np.uint8)
            return (idx[:16] | (idx[16:] << 4)).astype(np.uint8)
        def peak(xs):   # the largest magnitude goes to level -127, as ggml's quantizer does
            return -float(xs[np.abs(xs).argmax()]) / 127 or 1.0
        if name == "IQ4_NL":
            d = F32(h16(peak(x)))
            return h16(d).tobytes() + nl(x, d).tobytes()
        sub = np.array([peak(x[ib * 32:ib * 32 + 32]) for ib in range(8)])
        d = F32(h16(max(float(np.abs(sub).max()) / 31, 1e-8)))
        ls = np.clip(np.round(sub / d), -32, 31).astype(np.int32)
        ls = np.where(ls == 0, 1, ls) + 32
        sh = sum(int(ls[ib] >> 4) << (2 * ib) for ib in range(8))
        sl = np.array([(ls[2 * i] & 0xF) | ((ls[2 * i + 1] & 0xF) << 4) for i in range(4)], np.uint8)
        qs = np.concatenate([nl(x[ib * 32:ib * 32 + 32], d * F32(ls[ib] - 32)) for ib in range(8)])
        return h16(d).tobytes() + struct.pack("<H", sh) + sl.tobytes() + qs.tobytes()
    raise ValueError(name)


def quantize(name, x):
    blk = TYPES[name][1]
    return b"".join(q_block(name, b) for b in x.reshape(-1, blk).astype(F32))


def random_blocks(name, nblocks, rng):
    """Random bytes with finite fp16 (f32 for Q8_K) scales: every bit of the layout exercised."""
    _, _, size = TYPES[name]
    B = rng.integers(0, 256, (nblocks, size), dtype=np.uint8)
    scale_at = {"Q2_K": (80, 82), "Q3_K": (108,), "Q4_K": (0, 2), "Q5_K": (0, 2), "Q6_K": (208,),
                "IQ4_NL": (0,), "IQ4_XS": (0,)}
    if name == "Q8_K":
        B[:, :4] = np.frombuffer(rng.standard_normal(nblocks).astype("<f4").tobytes(), np.uint8).reshape(nblocks, 4)
    for at in scale_at.get(name, ()):
        B[:, at + 1] &= 0xFB   # exponent < 31: finite
    return B


# ---------------------------------------------------------------- files

def make(path):
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import ggufref
    rng = np.random.default_rng(14)
    ts, orig = [], {}
    for name, (tid, blk, size) in TYPES.items():
        cols = 2 * blk
        x = (rng.standard_normal((3, cols)) * rng.uniform(0.01, 3, (3, 1))).astype(F32)
        x[0, :5] = [0.0, 1.0, -1.0, 2.5, -0.125]
        orig["q." + name] = x
        ts.append(("q." + name, tid, (3, cols), quantize(name, x)))
        ts.append(("rand." + name, tid, (5, cols), random_blocks(name, 10, rng).tobytes()))
    ggufref.write(path, [("general.architecture", ggufref.STR, "llama")], ts)
    np.savez(path + ".orig.npz", **orig)


# relative error bound of each quantizer, as a fraction of the row's max |x|
TOL = {"Q2_K": 0.35, "Q3_K": 0.25, "Q4_K": 0.09, "Q5_K": 0.045, "Q6_K": 0.025, "Q8_K": 0.006,
       "IQ4_NL": 0.1, "IQ4_XS": 0.1}


def compare(path, st):
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    import ggufref
    b, ver, kv, ts, data = ggufref.parse(path)
    got = ggufref.st_read(st)
    orig = np.load(path + ".orig.npz")
    bad = []
    for t in ts:
        name = BY_ID[t["type"]]
        _, blk, size = TYPES[name]
        n = int(np.prod(t["shape"]))
        raw = np.frombuffer(b, np.uint8, n // blk * size, data + t["off"]).reshape(-1, size)
        want = dequant(name, raw).reshape(t["shape"])
        dt, a = got.get(t["name"], (None, None))
        if a is None or dt != "F32":
            bad.append("%s: missing or not F32 (%s)" % (t["name"], dt))
        elif a.shape != want.shape or a.tobytes() != want.tobytes():
            diff = np.flatnonzero(a.view("<u4").reshape(-1) != want.view("<u4").reshape(-1))
            bad.append("%s: %d of %d values differ (first at %d: %r vs %r)" % (
                t["name"], len(diff), n, diff[0], a.reshape(-1)[diff[0]], want.reshape(-1)[diff[0]]))
        if t["name"] in orig.files:
            x = orig[t["name"]]
            err = float((np.abs(want - x).max(axis=1) / np.abs(x).max(axis=1)).max())
            if not err < TOL[name]:
                bad.append("%s: reference dequantization is off the floats by %.3f of max|x|" % (t["name"], err))
    for m in bad:
        print(m)
    print("compared", len(ts), "tensors,", len(bad), "bad")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "json":   # dump one block decoded, for debugging
        print(json.dumps(dequant(sys.argv[2], np.frombuffer(bytes.fromhex(sys.argv[3]), np.uint8)[None]).tolist()))
