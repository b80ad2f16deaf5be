#!/bin/bash
# Casts (convert --dtype) against independent references, on edge values and
# 10^6 random values: F64/F32 -> F16 against NumPy's astype(float16);
# F64 -> BF16 against round-to-nearest-even from the definition (NumPy frexp
# and rint on the exact value: one rounding, no float in between); F32 -> FP8
# against a port of torch's c10 fp8e4m3fn/fp8e5m2_from_fp32_value (Debian's
# torch 1.13 predates float8).
source "$(dirname "$0")/lib.sh"
"$PY" - "$CKPT" "$T" "$ROOT/tests" <<'PYEOF'
import json, os, struct, subprocess, sys
import numpy as np
ckpt, T, tdir = sys.argv[1:4]
sys.path.insert(0, tdir)
import stio

def ok(name, cond, why=""):
    print(("PASS %s" % name) if cond else ("FAIL %s: %s" % (name, why)))

def raw(path, name):
    d = open(path, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n])
    a, b = h[name]["data_offsets"]
    return h[name]["dtype"], d[8 + n + a:8 + n + b]

def convert(src, dt):
    out = os.path.join(T, "out-%s.safetensors" % dt)
    r = subprocess.run([ckpt, "convert", src, "-o", out, "--dtype", dt], capture_output=True, text=True)
    if r.returncode:
        print("FAIL convert_%s: %s" % (dt, r.stderr.strip()))
        return None
    return out

rng = np.random.default_rng(7)
# edge values: zeros, ties, subnormals, overflow, inf, NaN
edges = [0.0, -0.0, 1.0, 1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-40, 1 - 2**-12,
         65504.0, 65519.99, 65520.0, -65520.0, 2.0**-24, 2.0**-25, 2.0**-25 * (1 + 2**-30),
         3 * 2.0**-26, 2.0**-14, 2.0**-14 - 2.0**-25, 1e-300, -1e-300, 1e300, -1e300,
         np.inf, -np.inf, np.nan, -np.nan, 3.3895313892515355e38, 3.3961775292304e38,
         448.0, 464.0, 479.99, 480.0, 57344.0, 61439.0, 61440.0, 2.0**-9, 2.0**-10, 2.0**-17,
         2.0**-16 * 1.5, 0.7265625, 2.0**-133, 2.0**-134, 2.0**-134 * 1.0001]
rand = np.concatenate([
    rng.standard_normal(400000) * 10.0 ** rng.uniform(-12, 7, 400000),
    rng.integers(0, 2**64, 400000, dtype=np.uint64).view(np.float64),   # any bit pattern
    rng.uniform(-70000, 70000, 200000)])
x64 = np.concatenate([np.array(edges, np.float64), rand])
with np.errstate(all="ignore"):
    x32 = x64.astype(np.float32)
src = os.path.join(T, "in.safetensors")
stio.write(src, {"x64": x64, "x32": x32})

def exact_round(x, mbits, ebits):
    """x rounded once to a binary float with mbits of mantissa and ebits of
    exponent (IEEE: overflow to inf), as float64 values."""
    bias = 2 ** (ebits - 1) - 1
    ax = np.abs(x)
    with np.errstate(all="ignore"):
        _, e = np.frexp(ax)
        e = np.maximum(e - 1, 1 - bias)              # subnormals share the quantum
        q = np.ldexp(1.0, e - mbits)
        r = np.rint(ax / q) * q                      # exact scaling, rint ties to even
        top = np.ldexp(2.0 - 2.0 ** -mbits, bias)    # largest finite
        r = np.where(r > top, np.inf, r)
        r = np.where(np.isinf(ax), np.inf, r)
    return np.copysign(r, x)

def c10_e4m3(f):
    b = f.view(np.uint32).astype(np.uint64)
    sign = b & 0x80000000
    b = b ^ sign
    res = np.zeros(b.shape, np.uint64)
    big = b >= (1087 << 20)
    small = b < (121 << 23)
    dn = (b.view(np.uint64).astype(np.uint32).view(np.float32) + np.float32(2.0 ** 14)).view(np.uint32).astype(np.uint64)
    res_small = (dn - (141 << 23)) & 0xff
    odd = (b >> 20) & 1
    res_norm = ((b + (((7 - 127) & 0xffffffff) << 23) + 0x7FFFF + odd) & 0xffffffff) >> 20
    res = np.where(big, 0x7f, np.where(small, res_small, res_norm & 0xff)).astype(np.uint64)
    return (res | (sign >> 24)).astype(np.uint8)

def c10_e5m2(f):
    b = f.view(np.uint32).astype(np.uint64)
    sign = b & 0x80000000
    b = b ^ sign
    big = b >= (143 << 23)
    small = b < (113 << 23)
    dn = (b.astype(np.uint32).view(np.float32) + np.float32(2.0 ** 7)).view(np.uint32).astype(np.uint64)
    # denorm_mask = 134 << 23 is the float 2^7; adding it rounds to a multiple of 2^-16
    res_small = (dn - (134 << 23)) & 0xff
    odd = (b >> 21) & 1
    res_norm = (((b + (((15 - 127) & 0xffffffff) << 23) + 0xFFFFF + odd) & 0xffffffff) >> 21) & 0xff
    res = np.where(big, np.where(b > (255 << 23), 0x7f, 0x7c), np.where(small, res_small, res_norm)).astype(np.uint64)
    return (res | (sign >> 24)).astype(np.uint8)

with np.errstate(all="ignore"):
    out = convert(src, "F16")
    if out:
        for name, x in (("x64", x64), ("x32", x32)):
            dt, b = raw(out, name)
            got = np.frombuffer(b, np.uint16)
            want = x.astype(np.float16).view(np.uint16)
            bad = np.nonzero(got != want)[0]
            ok("f16_from_%s_numpy" % name, dt == "F16" and len(bad) == 0,
               "%d differ, first %r -> %#06x, NumPy %#06x" % (len(bad), x[bad[0]], got[bad[0]], want[bad[0]]) if len(bad) else dt)
        g = np.frombuffer(raw(out, "x64")[1], np.uint16)
        ok("f16_no_double_rounding", g[5] == np.float16(1.0009765625).view(np.uint16), "1+2^-11+2^-40 -> %#06x" % g[5])
    out = convert(src, "BF16")
    if out:
        got = np.frombuffer(raw(out, "x64")[1], np.uint16)
        ref = exact_round(x64, 7, 8)
        nan = np.isnan(x64)
        want = ref.astype(np.float32).view(np.uint32) >> 16     # ref is exact in float32
        gotnan = ((got & 0x7f80) == 0x7f80) & ((got & 0x7f) != 0)
        bad = np.nonzero((got != want) & ~nan)[0]
        ok("bf16_from_f64_exact", len(bad) == 0 and np.array_equal(gotnan, nan),
           "%d differ, first %r -> %#06x, want %#06x" % (len(bad), x64[bad[0]], got[bad[0]], want[bad[0]]) if len(bad) else "NaN mismatch")
        g32 = np.frombuffer(raw(out, "x32")[1], np.uint16)
        w32 = exact_round(x32.astype(np.float64), 7, 8).astype(np.float32).view(np.uint32) >> 16
        n32 = np.isnan(x32)
        ok("bf16_from_f32_exact", np.array_equal(g32[~n32], w32[~n32]), "%d differ" % int(np.sum(g32[~n32] != w32[~n32])))
    for dt, ref in (("F8_E4M3", c10_e4m3), ("F8_E5M2", c10_e5m2)):
        out = convert(src, dt)
        if not out:
            continue
        got = np.frombuffer(raw(out, "x32")[1], np.uint8)
        want = ref(x32)
        bad = np.nonzero(got != want)[0]
        ok("%s_from_f32_torch_c10" % dt.lower(), len(bad) == 0,
           "%d differ, first %r -> %#04x, c10 %#04x" % (len(bad), x32[bad[0]], got[bad[0]], want[bad[0]]) if len(bad) else "")
        # from F64 the cast rounds once, straight from the double
        g64 = np.frombuffer(raw(out, "x64")[1], np.uint8)
        ok("%s_signed_zero" % dt.lower(), g64[0] == 0x00 and g64[1] == 0x80, "+0 -> %#04x, -0 -> %#04x" % (g64[0], g64[1]))
PYEOF
