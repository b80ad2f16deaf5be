#!/bin/bash
# convert --to torch: every real fixture that converts to safetensors also
# converts to a torch.save archive that torch.load(weights_only=True)
# (Debian python3-torch) loads with the same names and bit-identical tensors
# (tests/ptwref.py: also torch's zip layout and pickle opcodes); every
# dtype, 0-d and empty tensors; --shard-size gives transformers' shards and
# index; ckpt reads its own output back; a failed conversion leaves nothing.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
if ! $PY -c "import torch" 2>/dev/null; then skip torch_write_all "python3-torch missing"; exit 0; fi

LOADS=()
to_torch() {  # NAME SRC [convert options]: SRC -> NAME.safetensors (reference) and NAME.pt
    local name=$1 src=$2; shift 2
    if ! "$CKPT" convert --quiet "$src" -o "$T/$name.safetensors" "$@" 2>"$T/err"; then
        echo "note: $name: no safetensors conversion ($(head -c 120 "$T/err")), so no torch one expected"; return 1
    fi
    if "$CKPT" convert --quiet "$src" --to torch -o "$T/$name.pt" "$@" 2>"$T/err"; then
        LOADS+=("$name" "$T/$name.pt" "$T/$name.safetensors")
    else fail "$name" "convert --to torch: $(head -c 300 "$T/err")"; return 1; fi
}

# Torch before 2.3 has no uint16/32/64: their tensors are left out of what
# this torch loads (a map drops them; ckpt's own reading checks them below).
OLD_TORCH=$($PY -c "import torch; print(0 if hasattr(torch, 'uint16') else 1)")
unsigned_map() {  # SRC MAPFILE: 0 and a map dropping the unsigned tensors, if any and this torch is old
    [ "$OLD_TORCH" = 1 ] || return 1
    "$CKPT" ls "$1" 2>/dev/null | awk '$2 ~ /^U(16|32|64)$/ {print "^" $1 "$ -> drop"}' >"$2"
    [ -s "$2" ]
}

# ---- the real fixtures: every file ckpt converts to safetensors ----------
if need_shared torch_write_real; then
    n=0
    while IFS= read -r f; do
        case "$f" in *.bin|*/README.md|*/KERAS_3layer.json) continue ;; esac
        rel=${f#"$FIX"/}
        name="real_$(echo "${rel%.*}" | tr '/.-' '___')"
        if unsigned_map "$f" "$T/$name.map"; then
            echo "note: $name: unsigned tensors dropped for torch $($PY -c 'import torch; print(torch.__version__)')"
            to_torch "$name" "$f" --map "$T/$name.map" && n=$((n + 1))
            "$CKPT" convert --quiet "$f" -o "$T/$name.full.pt" 2>"$T/err" \
                && expect_exit 0 "${name}_unsigned_reread" "$CKPT" diff --values "$f" "$T/$name.full.pt" \
                || fail "${name}_unsigned_reread" "convert: $(cat "$T/err")"
            continue
        fi
        to_torch "$name" "$f" && n=$((n + 1))
    done < <(find "$FIX" -type f | sort)
    [ "$n" -ge 15 ] && pass torch_write_real_count || fail torch_write_real_count "only $n fixtures converted"
fi

# ---- every dtype, 0-d, empty, 5-d, names with dots and unicode -----------
$PY - "$T/dtypes.safetensors" <<'PY'
import sys, numpy as np, stio
rng = np.random.default_rng(4)
t = {"f32": rng.standard_normal((3, 4)).astype(np.float32), "f64": rng.standard_normal(5),
     "f16": rng.standard_normal((2, 3)).astype(np.float16), "i64": np.array([2**40, -1, 7]),
     "i32": np.array([[1, -2], [2**31 - 1, -2**31]], np.int32), "i16": np.array([-3, 4], np.int16),
     "i8": np.array([-128, 127], np.int8), "u8": np.array([0, 255], np.uint8),
     "mask": np.array([[True, False]]), "scalar": np.float32(3.5), "empty": np.zeros((0, 3), np.float32),
     "empty2": np.zeros((2, 0), np.int64), "five.d": rng.standard_normal((2, 1, 3, 1, 2)).astype(np.float32),
     "layers.0.ünï": np.arange(4, dtype=np.float32)}
for i in range(1200):   # more entries than a byte of memo slots, BININT2 keys
    t["many.%d" % i] = np.full((1,), i, np.int16)
stio.write(sys.argv[1], t)
PY
to_torch torch_write_dtypes "$T/dtypes.safetensors"
# bf16 (no NumPy dtype: written by hand) through a cast, and a big tensor
"$CKPT" convert --quiet "$T/dtypes.safetensors" -o "$T/bf.safetensors" --dtype BF16 2>"$T/err" || fail bf16_prep "$(cat "$T/err")"
to_torch torch_write_bf16 "$T/bf.safetensors"
$PY -c "
import sys, numpy as np, stio
stio.write(sys.argv[1], {'big': np.random.default_rng(1).standard_normal((1500, 1024)).astype(np.float32), 'tail': np.ones(3, np.float32)})" "$T/big.safetensors"
to_torch torch_write_multichunk "$T/big.safetensors"

# ---- one Python process for every torch.load check ------------------------
$PY "$ROOT/tests/ptwref.py" load "${LOADS[@]}" 2>&1 | grep -E '^(PASS|FAIL)' || fail torch_write_load "ptwref.py printed nothing"

# ---- ckpt reads its own output: names, dtypes and values -------------------
expect_exit 0 torch_write_reread "$CKPT" diff --values "$T/dtypes.safetensors" "$T/torch_write_dtypes.pt"
# unsigned and float8 storages (torch >= 2.3 / 2.1 names; not loadable by this torch)
$PY - "$T/u.safetensors" <<'PY'
import json, struct, sys, numpy as np
a = {"U16": np.array([1, 65535], "<u2"), "U32": np.array([2**32 - 1], "<u4"), "U64": np.array([2**64 - 1], "<u8"),
     "F8_E4M3": np.array([0x38, 0xC0], np.uint8), "F8_E5M2": np.array([0x3C], np.uint8)}
h, off, blob = {}, 0, b""
for k, v in a.items():
    h["t." + k] = {"dtype": k, "shape": list(v.shape), "data_offsets": [off, off + v.nbytes]}; off += v.nbytes; blob += v.tobytes()
hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(hb)) + hb + blob)
PY
if "$CKPT" convert --quiet "$T/u.safetensors" -o "$T/u.pt" 2>"$T/err"; then
    expect_exit 0 torch_write_unsigned_f8_reread "$CKPT" diff --values "$T/u.safetensors" "$T/u.pt"
    $PY - "$T/u.pt" <<'PY' && pass torch_write_storage_names || fail torch_write_storage_names
import pickletools, sys, zipfile
g = {a for op, a, p in pickletools.genops(zipfile.ZipFile(sys.argv[1]).read("archive/data.pkl")) if op.name == "GLOBAL"}
want = {"torch UInt16Storage", "torch UInt32Storage", "torch UInt64Storage", "torch Float8_e4m3fnStorage",
        "torch Float8_e5m2Storage", "torch._utils _rebuild_tensor_v2", "collections OrderedDict"}
assert g == want, g
PY
else fail torch_write_unsigned_f8_reread "convert: $(cat "$T/err")"; fi

# ---- --shard-size: transformers' names and index ---------------------------
mkdir -p "$T/sh"
if "$CKPT" convert --quiet "$T/dtypes.safetensors" -o "$T/sh/" --to torch --shard-size 400B 2>"$T/err"; then
    ls "$T/sh" >"$T/out"
    k=$(grep -c '^pytorch_model-[0-9]\{5\}-of-[0-9]\{5\}\.bin$' "$T/out")
    if [ "$k" -ge 3 ] && grep -qx "pytorch_model-00001-of-0000$k.bin" "$T/out" && grep -qx pytorch_model.bin.index.json "$T/out" \
        && [ "$(wc -l <"$T/out")" -eq $((k + 1)) ]; then pass torch_write_shard_names
    else fail torch_write_shard_names "$(tr '\n' ' ' <"$T/out")"; fi
    $PY "$ROOT/tests/ptwref.py" index torch_write_shard_index "$T/sh/pytorch_model.bin.index.json" "$T/dtypes.safetensors" 2>&1 | grep -E '^(PASS|FAIL)'
else fail torch_write_shard_names "convert: $(cat "$T/err")"; fi
"$CKPT" convert --quiet "$T/dtypes.safetensors" -o "$T/one/" --to torch 2>"$T/err" && [ -f "$T/one/pytorch_model.bin" ] \
    && pass torch_write_dir_output || fail torch_write_dir_output "$(cat "$T/err"; ls "$T/one" 2>&1)"
"$CKPT" convert --quiet "$T/dtypes.safetensors" -o "$T/named.pt" --shard-size 600B 2>"$T/err" \
    && k=$(ls "$T" | grep -c '^named-[0-9]\{5\}-of-[0-9]\{5\}\.pt$') && [ "$k" -ge 2 ] \
    && [ -f "$T/named-00001-of-0000$k.pt" ] && [ -f "$T/named.pt.index.json" ] && [ ! -e "$T/named.pt" ] \
    && pass torch_write_shard_named || fail torch_write_shard_named "$(cat "$T/err"; ls "$T" | grep named)"

# ---- a conversion that fails half-way leaves no file ------------------------
$PY - "$T/bad.gguf" <<'PY'
import sys, numpy as np, ggufref
ggufref.write(sys.argv[1], [], [("ok", 0, (4,), np.ones(4, "<f4").tobytes()), ("bad", 16, (1, 256), bytes(66))])
PY
mkdir -p "$T/fail"
expect_exit 3 torch_write_failure_exit "$CKPT" convert "$T/bad.gguf" -o "$T/fail/x.pt"
if grep -q "'bad'.*IQ2_XXS\|bad.*IQ2_XXS" "$T/err" && [ -z "$(ls -A "$T/fail")" ]; then pass torch_write_failure_clean
else fail torch_write_failure_clean "$(cat "$T/err"; ls -A "$T/fail")"; fi
