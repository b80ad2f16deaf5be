# GGUF: listing, metadata, values and malformed input, checked against an
# independent reader written from the spec with NumPy (tests/ggufref.py;
# Debian has no python3-gguf package).
source "$(dirname "$0")/lib.sh"
REF="$PY $ROOT/tests/ggufref.py"

# Compare ckpt's ls --json and info --json with the reference dump.
cat > "$T/cmp.py" <<'PY'
import json, sys
ref = json.load(open(sys.argv[1])); ls = json.load(open(sys.argv[2])); info = json.load(open(sys.argv[3]))
bad = []
got = [(t["name"], t["dtype"], t["shape"]) for t in ls["tensors"]]
want = [(t["name"], t["dtype"], t["shape"]) for t in ref["tensors"]]
if got != want: bad.append("tensors differ: %r vs %r" % (got[:3], want[:3]))
if ls["format"] != "gguf": bad.append("format " + ls["format"])
meta = info["metadata"]
for k, v in ref["kv"]:
    if meta.get(k) != v: bad.append("kv %s: ckpt %r, reference %r" % (k, meta.get(k), v))
extra = set(meta) - {k for k, v in ref["kv"]} - {"gguf.tensor_types"}
if extra: bad.append("extra metadata %s" % sorted(extra))
facts = info["facts"]
if facts.get("gguf_version") != str(ref["version"]): bad.append("version fact %r" % facts.get("gguf_version"))
kv = dict(ref["kv"])
if "general.architecture" in kv and facts.get("model_type") != kv["general.architecture"]: bad.append("model_type fact")
if "general.name" in kv and facts.get("name") != kv["general.name"]: bad.append("name fact")
if "ntokens" in ref and facts.get("vocab_size") != str(ref["ntokens"]): bad.append("vocab_size %r vs %d" % (facts.get("vocab_size"), ref["ntokens"]))
print("\n".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
PY

cmp_listing() {  # NAME FILE
    $REF dump "$2" >"$T/ref.json" && "$CKPT" ls --json "$2" >"$T/ls.json" && "$CKPT" info --json "$2" >"$T/info.json"
    local r=$($PY "$T/cmp.py" "$T/ref.json" "$T/ls.json" "$T/info.json" 2>&1)
    if [ "$r" = ok ]; then pass "$1"; else fail "$1" "$(echo "$r" | head -3 | tr '\n' ' ')"; fi
}

# ---- generated file: every plain type, five block types, every value type --
$REF make "$T/gen.gguf" || fail gen_make "reference writer failed"
cmp_listing gen_listing "$T/gen.gguf"
# the K-quant tensor (random blocks) converts too, equal to the NumPy
# reference (tests/ggufquant.py; every K-quant type: t_gguf_quant.sh)
if "$CKPT" convert --quiet "$T/gen.gguf" -o "$T/genk.safetensors" 2>"$T/err"; then
    r=$($REF compare "$T/gen.gguf" "$T/genk.safetensors" 2>&1) && pass gen_q4k_values || fail gen_q4k_values "$r"
else fail gen_q4k_values "convert: $(cat "$T/err")"; fi
"$CKPT" ls "$T/gen.gguf" | grep -q "^blk.1.q4k.weight  *F32  *\[2, 256\]" && pass gen_q4k_listed || fail gen_q4k_listed
$REF make "$T/gen2.gguf" --no-k
if "$CKPT" convert --quiet "$T/gen2.gguf" -o "$T/gen2.safetensors" 2>"$T/err"; then
    r=$($REF compare "$T/gen2.gguf" "$T/gen2.safetensors" 2>&1) && pass gen_values || fail gen_values "$r"
else fail gen_values "convert: $(cat "$T/err")"; fi
# the dequantized values are close to the floats that were quantized
$PY - "$T/gen2.safetensors" "$T/gen2.gguf.orig.npy" <<'PY' && pass gen_dequant_close || fail gen_dequant_close
import sys, numpy as np
sys.path.insert(0, sys.argv[0].rsplit("/", 2)[0] if False else "")
import json, struct
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n])
x = np.load(sys.argv[2]); amax = float(np.abs(x).max())
tol = {"q8_0": 0.01, "q4_0": 0.1, "q4_1": 0.1, "q5_0": 0.05, "q5_1": 0.05}
for q, t in tol.items():
    e = h["blk.0.%s.weight" % q]; s0, s1 = e["data_offsets"]
    y = np.frombuffer(b[8+n+s0:8+n+s1], "<f4").reshape(e["shape"])
    err = float(np.abs(y - x).max()) / amax
    assert err < t, (q, err)
PY
# a slice read that starts and ends inside blocks (the engine's chunking)
"$CKPT" convert --quiet --dtype F16 "$T/gen2.gguf" -o "$T/gen2h.safetensors" 2>"$T/err" \
    && pass gen_convert_f16 || fail gen_convert_f16 "$(cat "$T/err")"

# ---- real fixtures ------------------------------------------------------
need_shared gguf_fixtures || exit 0
VOCAB=$FIX/gguf/llamacpp-vocab-gpt-2/ggml-vocab-gpt-2.gguf
TINY=$FIX/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf
cmp_listing vocab_listing "$VOCAB"
cmp_listing tiny_listing "$TINY"
"$CKPT" info "$VOCAB" | grep -q "tokenizer.ggml.merges  *\[50000 strings\]" && pass vocab_merges_summary || fail vocab_merges_summary
if "$CKPT" convert --quiet "$TINY" -o "$T/tiny.safetensors" 2>"$T/err"; then
    r=$($REF compare "$TINY" "$T/tiny.safetensors" 2>&1) && pass tiny_values || fail tiny_values "$r"
else fail tiny_values "convert: $(cat "$T/err")"; fi
expect_exit 0 tiny_check "$CKPT" check "$TINY"

# ---- malformed input: one clear line, exit 3 -----------------------------
bad() {  # NAME PATTERN FILE
    expect_exit 3 "$1" "$CKPT" ls "$3"
    if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$2" "$T/err"; then pass "$1_message"
    else fail "$1_message" "$(head -c 300 "$T/err")"; fi
}
head -c 300000 "$TINY" >"$T/trunc.gguf"
bad trunc_kv "truncated GGUF" "$T/trunc.gguf"
head -c 1740000 "$TINY" >"$T/trunc2.gguf"
bad trunc_data "outside the data section" "$T/trunc2.gguf"
$PY - "$T" <<'PY'
import struct, sys
d = sys.argv[1]
def s(x): x = x.encode(); return struct.pack("<Q", len(x)) + x
hdr = lambda nt, nkv, v=3: b"GGUF" + struct.pack("<IQQ", v, nt, nkv)
# 43 bytes: an array claiming 2^63 elements (the gguf-py hang)
open(d + "/huge_array.gguf", "wb").write(hdr(0, 1) + s("a") + struct.pack("<IIQ", 9, 0, 2**63))
open(d + "/huge_string.gguf", "wb").write(hdr(0, 1) + s("a") + struct.pack("<IQ", 8, 2**62))
open(d + "/huge_count.gguf", "wb").write(hdr(2**40, 0))
nest = struct.pack("<IQ", 9, 1) * 10
open(d + "/deep.gguf", "wb").write(hdr(0, 1) + s("a") + struct.pack("<I", 9) + nest + struct.pack("<IQ", 0, 0))
ti = lambda name, dims, typ, off: s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims) + struct.pack("<IQ", typ, off)
def with_data(body, extra=256):
    b = body + b"\0" * ((32 - len(body) % 32) % 32)
    return b + b"\0" * extra
open(d + "/misaligned.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [4], 0, 8)))
open(d + "/bad_align_kv.gguf", "wb").write(with_data(hdr(0, 1) + s("general.alignment") + struct.pack("<II", 4, 48)))
open(d + "/ndims.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [1] * 9, 0, 0)))
open(d + "/bad_type.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [4], 99, 0)))
open(d + "/block.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [33], 8, 0)))
open(d + "/dim_overflow.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [2**40, 2**40], 0, 0)))
open(d + "/past_end.gguf", "wb").write(with_data(hdr(1, 0) + ti("w", [1024], 0, 0), 64))
open(d + "/v1.gguf", "wb").write(hdr(0, 0, 1))
open(d + "/bool.gguf", "wb").write(hdr(0, 1) + s("b") + struct.pack("<IB", 7, 2))
open(d + "/bigendian.gguf", "wb").write(b"GGUF" + struct.pack(">IQQ", 3, 0, 0))
open(d + "/magic.gguf", "wb").write(b"GGUX" + b"\0" * 40)
PY
bad huge_array "array of 9223372036854775808 u8 elements cannot fit" "$T/huge_array.gguf"
bad huge_string "string length 4611686018427387904 runs past the end" "$T/huge_string.gguf"
bad huge_tensor_count "tensor count 1099511627776 cannot fit" "$T/huge_count.gguf"
bad nested_depth "nested deeper than" "$T/deep.gguf"
bad misaligned "not a multiple of the alignment 32" "$T/misaligned.gguf"
bad bad_alignment_kv "general.alignment must be a power of two" "$T/bad_align_kv.gguf"
bad too_many_dims "9 dimensions" "$T/ndims.gguf"
bad unknown_ggml_type "unknown ggml type 99" "$T/bad_type.gguf"
bad block_multiple "not a multiple of the Q8_0 block size 32" "$T/block.gguf"
bad dim_overflow "overflows" "$T/dim_overflow.gguf"
bad data_past_end "outside the data section" "$T/past_end.gguf"
bad version1 "version 1" "$T/v1.gguf"
bad bool_value "bool value 2" "$T/bool.gguf"
bad big_endian "big-endian GGUF" "$T/bigendian.gguf"
expect_exit 3 bad_magic "$CKPT" ls "$T/magic.gguf"
