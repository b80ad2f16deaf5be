#!/bin/bash
# convert --to npz: numpy.load(allow_pickle=False) gives the same arrays as
# the safetensors conversion (read by hand) for every real fixture and every
# NumPy dtype, stored and --compress'ed; each member is byte for byte what
# np.save writes (tests/npzwref.py); bf16/float8 are refused by name unless
# --dtype casts them; a lone .npy output; ckpt reads its output back.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
CHECKS=()
to_npz() {  # NAME SRC [convert options]
    local name=$1 src=$2; shift 2
    if ! "$CKPT" convert --quiet "$src" -o "$T/$name.safetensors" "$@" 2>"$T/err"; then
        echo "note: $name: no safetensors conversion ($(head -c 120 "$T/err"))"; return 1
    fi
    if "$CKPT" convert --quiet "$src" -o "$T/$name.npz" "$@" 2>"$T/err" \
        && "$CKPT" convert --quiet "$src" -o "$T/${name}_z.npz" --compress "$@" 2>>"$T/err"; then
        CHECKS+=("$name" "$T/$name.npz" "$T/$name.safetensors" stored "${name}_compress" "$T/${name}_z.npz" "$T/$name.safetensors" deflated)
    else fail "$name" "convert --to npz: $(head -c 300 "$T/err")"; return 1; fi
}

if need_shared npz_write_real; then
    n=0
    while IFS= read -r f; do
        case "$f" in *.bin|*/README.md|*/KERAS_3layer.json) continue ;; esac
        rel=${f#"$FIX"/}
        to_npz "real_$(echo "${rel%.*}" | tr '/.-' '___')" "$f" && n=$((n + 1))
    done < <(find "$FIX" -type f | sort)
    [ "$n" -ge 15 ] && pass npz_write_real_count || fail npz_write_real_count "only $n fixtures converted"
fi

$PY - "$T/dtypes.safetensors" <<'PY'
import json, struct, sys, numpy as np
rng = np.random.default_rng(9)
t = {"f32": rng.standard_normal((3, 4)).astype("<f4"), "f64": rng.standard_normal(5), "f16": rng.standard_normal((2, 3)).astype("<f2"),
     "i64": np.array([2**40, -1]), "i32": np.array([[1, -2]], "<i4"), "i16": np.array([-3], "<i2"), "i8": np.array([-128, 127], "i1"),
     "u8": np.array([0, 255], "u1"), "u16": np.array([65535], "<u2"), "u32": np.array([2**32 - 1], "<u4"), "u64": np.array([2**64 - 1], "<u8"),
     "mask": np.array([[True, False]]), "scalar": np.float32(3.5), "empty": np.zeros((0, 3), "<f4"),
     "big.axis": np.zeros((123456789012, 0), "<f4"), "five.d": rng.standard_normal((2, 1, 3, 1, 2)).astype("<f4"),
     "dir/name": np.arange(3, dtype="<i4"), "ünï": np.ones(2, "<f4")}
st = {"f4": "F32", "f8": "F64", "f2": "F16", "i8": "I64", "i4": "I32", "i2": "I16", "i1": "I8", "u1": "U8", "u2": "U16", "u4": "U32", "u8": "U64", "b1": "BOOL"}
h, off, blob = {}, 0, b""
for k, v in t.items():
    v = np.asarray(v)
    h[k] = {"dtype": st[v.dtype.str[1:]], "shape": list(v.shape), "data_offsets": [off, off + v.nbytes]}; off += v.nbytes; blob += v.tobytes()
hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(hb)) + hb + blob)
PY
to_npz npz_write_dtypes "$T/dtypes.safetensors"
$PY -c "
import sys, numpy as np, stio
stio.write(sys.argv[1], {'big': np.random.default_rng(1).standard_normal((1500, 1024)).astype(np.float32)})" "$T/big.safetensors"
to_npz npz_write_multichunk "$T/big.safetensors"
$PY "$ROOT/tests/npzwref.py" "${CHECKS[@]}" 2>&1 | grep -E '^(PASS|FAIL)' || fail npz_write_numpy "npzwref.py printed nothing"
expect_exit 0 npz_write_reread "$CKPT" diff --values "$T/dtypes.safetensors" "$T/npz_write_dtypes_z.npz"

# bf16 and float8 have no NumPy dtype: refused by name, unless cast
$PY - "$T/bf.safetensors" <<'PY'
import json, struct, sys
h = {"a.bf": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}, "ok": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
     "b.f8": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [8, 10]}}
hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(hb)) + hb + bytes([0x80, 0x3f, 0, 0xc0]) + struct.pack("<f", 2.5) + bytes([0x38, 0xc0]))
PY
expect_exit 2 npz_write_bf16_refused "$CKPT" convert "$T/bf.safetensors" -o "$T/bf.npz"
if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "'a.bf' (BF16), 'b.f8' (F8_E4M3).*--dtype" "$T/err" && [ ! -e "$T/bf.npz" ]; then
    pass npz_write_bf16_message; else fail npz_write_bf16_message "$(cat "$T/err")"; fi
if "$CKPT" convert --quiet "$T/bf.safetensors" -o "$T/bf.npz" --dtype F32 2>"$T/err"; then
    $PY -c "
import sys, numpy as np
z = np.load(sys.argv[1], allow_pickle=False)
assert z['a.bf'].tolist() == [1.0, -2.0] and z['b.f8'].tolist() == [1.0, -2.0] and z['ok'].tolist() == [2.5], dict(z)
assert all(z[k].dtype == np.float32 for k in z.files)" "$T/bf.npz" && pass npz_write_bf16_cast || fail npz_write_bf16_cast
else fail npz_write_bf16_cast "$(cat "$T/err")"; fi

# one array: a plain .npy, byte for byte np.save
"$CKPT" convert --quiet "$T/big.safetensors" -o "$T/one.npy" 2>"$T/err" \
    && $PY -c "
import io, sys, numpy as np, ptref
a = ptref.st_read(sys.argv[2])['big'][1]; b = io.BytesIO(); np.save(b, a)
assert open(sys.argv[1], 'rb').read() == b.getvalue()" "$T/one.npy" "$T/big.safetensors" \
    && pass npz_write_lone_npy || fail npz_write_lone_npy "$(cat "$T/err")"
expect_exit 2 npz_write_npy_many "$CKPT" convert "$T/dtypes.safetensors" -o "$T/many.npy"
expect_exit 2 npz_write_no_shards "$CKPT" convert "$T/dtypes.safetensors" -o "$T/s.npz" --shard-size 1KB
[ ! -e "$T/many.npy" ] && [ ! -e "$T/s.npz" ] && pass npz_write_refusals_clean || fail npz_write_refusals_clean
