#!/bin/bash
# Bounded everything: hostile sizes are refused quickly, in bounded memory,
# with one line naming the file: a zip member that inflates past its declared
# size, JSON nested 10,000 deep (safetensors header, TF.js model.json, Keras
# config), a pickle memo index of 10^8 and a pickle storing 10^6 memo
# entries, shapes whose element counts overflow 64 bits (safetensors, .npy,
# GGUF). Each run is capped at 256 MiB of address space and 20 s.
source "$(dirname "$0")/lib.sh"
"$PY" - "$T" "$ROOT/tests" <<'PYEOF'
import io, json, struct, sys, zipfile, zlib
import numpy as np
T, tdir = sys.argv[1:3]
sys.path.insert(0, tdir)
import ggufref as g

# 1. npz whose member inflates to 64 MiB but declares 128 bytes
hdr = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + b"{'descr': '<f4', 'fortran_order': False, 'shape': (32,), }".ljust(117) + b"\n"
body = hdr + b"\0" * (64 << 20)
comp = zlib.compress(body, 9)[2:-4]
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.npy", hdr + b"\0" * 128)
raw = bytearray(zb.getvalue())
# rewrite: same headers, the big stream as data, sizes left as declared (128+hdr), CRC of the small one
small = hdr + b"\0" * 128
lh = raw.index(b"PK\x03\x04"); cd = raw.index(b"PK\x01\x02"); eocd = raw.index(b"PK\x05\x06")
nlen, xlen = struct.unpack("<HH", raw[lh + 26:lh + 30])
data_at = lh + 30 + nlen + xlen
old_comp = struct.unpack("<I", raw[lh + 18:lh + 22])[0]
out = bytearray(raw[:data_at]) + comp
struct.pack_into("<I", out, lh + 18, len(comp))
cdir = bytearray(raw[cd:eocd]); struct.pack_into("<I", cdir, 20, len(comp))
e = bytearray(raw[eocd:]); struct.pack_into("<I", e, 16, len(out))
open(T + "/bomb.npz", "wb").write(bytes(out + cdir + e))

# 2. JSON nested 10,000 deep
deep = "[" * 10000 + "]" * 10000
h = ('{"__metadata__": {"x": "y"}, "t": {"dtype": "F32", "shape": %s, "data_offsets": [0, 4]}}' % deep).encode()
open(T + "/deep.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * 4)
import os
os.makedirs(T + "/deeptfjs", exist_ok=True)
json_txt = '{"format": "layers-model", "modelTopology": %s, "weightsManifest": []}' % deep
open(T + "/deeptfjs/model.json", "w").write(json_txt)
import h5py
with h5py.File(T + "/deep.h5", "w") as f:
    f.attrs["model_config"] = '{"class_name": "Sequential", "config": %s}' % deep
    f.attrs["keras_version"] = "2.4.0"
    f.create_group("model_weights").attrs["layer_names"] = np.array([], dtype="S1")

# 3. pickles: memo index 10^8 (LONG_BINPUT), and 10^6 memo entries
def pk(body): return b"\x80\x02" + body + b"."
open(T + "/memo_big.pt", "wb").write(pk(b"}" + b"r" + struct.pack("<I", 10**8)))
many = b"".join(b"K\x01r" + struct.pack("<I", i) + b"0" for i in range(10**6))
open(T + "/memo_many.pt", "wb").write(pk(many + b"}"))

# 4. shapes whose element count overflows
h = json.dumps({"t": {"dtype": "F32", "shape": [2**32, 2**32, 2**32], "data_offsets": [0, 4]}}).encode()
open(T + "/ovf.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * 4)
hd = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }"
hd = hd + " " * (117 - len(hd)) + "\n"
open(T + "/ovf.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hd)) + hd.encode() + b"\0" * 16)
g.write(T + "/ovf.gguf", [("general.architecture", g.STR, "llama")],
        [("t", 0, (2**32, 2**32, 2**32), b"\0" * 4)])
PYEOF
# limited CMD...: within 20 s and a 256 MiB address space; under ASan, which
# reserves terabytes of shadow memory so that ulimit -v cannot apply, the
# peak RSS is held to 512 MiB instead (exit 99 past it)
limited() {
    if [ -z "${CKPT_ASAN:-}" ]; then ( ulimit -v 262144; exec timeout 20 "$@" ); return; fi
    /usr/bin/time -f %M -o "$T/limited.rss" timeout 20 "$@"
    local rc=$?
    [ "$(tail -n 1 "$T/limited.rss")" -lt 524288 ] || return 99
    return $rc
}
bounded() { # NAME FILE: exit 3 within the limits, one line naming the file
    local name=$1 f=$2
    limited "$CKPT" ls "$f" >"$T/$name.out" 2>"$T/$name.err"
    local rc=$?
    local lines; lines=$(wc -l <"$T/$name.err")
    if [ $rc = 3 ] && [ "$lines" = 1 ] && grep -q "$(basename "$f")" "$T/$name.err"; then pass "$name"
    else fail "$name" "exit $rc, $lines lines: $(head -c 300 "$T/$name.err")"; fi
}
# ls reads only the .npy header of the bomb (bounded, nothing inflated past it)
limited "$CKPT" ls "$T/bomb.npz" >/dev/null 2>&1
rc=$?
[ $rc = 0 ] || [ $rc = 3 ] && pass zip_bomb_ls_bounded || fail zip_bomb_ls_bounded "exit $rc"
bounded json_nested_safetensors "$T/deep.safetensors"
bounded json_nested_tfjs "$T/deeptfjs/model.json"
bounded json_nested_keras "$T/deep.h5"
for n in json_nested_safetensors json_nested_tfjs json_nested_keras; do
    grep -q "deeper than 1000 levels" "$T/$n.err" && pass "${n}_says_why" || fail "${n}_says_why" "$(cat "$T/$n.err")"
done
bounded pickle_memo_index "$T/memo_big.pt"
bounded shape_overflow_safetensors "$T/ovf.safetensors"
bounded shape_overflow_npy "$T/ovf.npy"
bounded shape_overflow_gguf "$T/ovf.gguf"
# 10^6 memo entries: within the object limit, so it may open; it must not blow the limits
limited "$CKPT" ls "$T/memo_many.pt" >"$T/mm.out" 2>"$T/mm.err"
rc=$?
[ $rc = 0 ] || [ $rc = 3 ] && pass pickle_memo_many_bounded || fail pickle_memo_many_bounded "exit $rc: $(head -c 200 "$T/mm.err")"
# the zip bomb converts to nothing, in bounded memory
limited "$CKPT" convert "$T/bomb.npz" -o "$T/bomb.safetensors" >/dev/null 2>"$T/bc.err"
rc=$?
[ $rc = 3 ] && [ ! -e "$T/bomb.safetensors" ] && grep -q "inflates past its declared size" "$T/bc.err" \
    && pass zip_bomb_convert || fail zip_bomb_convert "exit $rc: $(cat "$T/bc.err")"
