# convert --verify: re-reads the output with ckpt's reader and compares every
# tensor with the source; "verified N tensors" with N counted by h5py. A
# tampered copy (a byte flipped by Python inside a tensor h5py names) is
# caught by `ckpt diff --values`, which names the same tensor. The flip
# between write and verify itself is in tests/unit/test_verify.c.
source "$(dirname "$0")/lib.sh"
need_shared verify || exit 0
H=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
n=$($PY - "$H" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
n = []
f["model_weights"].visititems(lambda k, v: n.append(k) if isinstance(v, h5py.Dataset) else None)
print(len(n))
PY
)
for args in "--to safetensors" "--to safetensors --dtype F16" "--to safetensors --dtype BF16" "--to torch" \
            "--to npz" "--to tfjs --quantize uint8" "--package zip" "--package zip --to tfjs" "--package zip --to keras"; do
    name=verify_$(echo "$args" | tr -c 'a-zA-Z0-9\n' _)
    rm -rf "$T/o"; mkdir -p "$T/o"
    if "$CKPT" convert "$H" $args -o "$T/o/out.bin" --verify --quiet 2>"$T/err"; then
        grep -q "^verified $n tensors" "$T/err" && pass "$name" || fail "$name" "$(cat "$T/err") (h5py: $n)"
    else fail "$name" "$(cat "$T/err")"; fi
done

# GGUF quantized: within one quantization step of the source
G=$FIX/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf
for q in Q8_0 Q4_0; do
    rm -rf "$T/o"; mkdir -p "$T/o"
    if "$CKPT" convert "$G" --to gguf --quantize $q -o "$T/o/q.gguf" --verify --quiet 2>"$T/err"; then
        grep -q "^verified 12 tensors" "$T/err" && pass verify_gguf_$q || fail verify_gguf_$q "$(cat "$T/err")"
    else fail verify_gguf_$q "$(cat "$T/err")"; fi
done

# a tampered copy: diff --values names the tensor Python changed
rm -rf "$T/o"; mkdir -p "$T/o"
"$CKPT" convert "$H" --to safetensors -o "$T/o/good.safetensors" --quiet 2>"$T/err" || fail verify_tamper_setup "$(cat "$T/err")"
want=$($PY - "$T/o/good.safetensors" "$T/o/bad.safetensors" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
hl = struct.unpack("<Q", b[:8])[0]
hd = {k: v for k, v in json.loads(b[8:8 + hl]).items() if k != "__metadata__"}
name = sorted(hd, key=lambda k: hd[k]["data_offsets"][1] - hd[k]["data_offsets"][0])[-1]
s, e = hd[name]["data_offsets"]
b[8 + hl + s + (e - s) // 2] ^= 0x40
open(sys.argv[2], "wb").write(b)
print(name)
PY
)
expect_exit 1 verify_tamper_diff_exit "$CKPT" diff --values "$H" "$T/o/bad.safetensors"
got=$("$CKPT" diff --values --json "$H" "$T/o/bad.safetensors" 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(v["name"] for v in d["values"] if v["over_tolerance"] > 0)))' 2>&1)
[ "$got" = "$want" ] && pass verify_tamper_diff_names_tensor || fail verify_tamper_diff_names_tensor "diff: '$got', changed: '$want'"
expect_exit 0 verify_good_copy_no_diff "$CKPT" diff --values "$H" "$T/o/good.safetensors"

# a format ckpt does not read back: refused before anything is written
rm -rf "$T/o"; mkdir -p "$T/o"
expect_exit 2 verify_write_only_refused "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" --to tf-frozen -o "$T/o/x.pb" --verify
[ -z "$(ls -A "$T/o")" ] && grep -q "does not read tf-frozen" "$T/err" && pass verify_write_only_nothing_written || fail verify_write_only_nothing_written "$(cat "$T/err")"
