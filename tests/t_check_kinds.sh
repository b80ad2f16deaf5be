# ckpt check, one generated case per kind of issue 9, each built here with
# h5py/NumPy (the expectation is what was planted, and tests/checkref.py, an
# independent reader, must agree): a custom layer class is a note (exit 0)
# with its weights listed; a stale inner batch_input_shape is ignored; a
# shape finding names the input shape it assumed; a Keras 3 file whose layer
# variables were lost is a lost_weights finding, and converting it is an
# error that writes nothing; each bad name is a bad_name finding; a
# face-api.js weights manifest opens and its values equal NumPy's decoding; a
# GGUF chat template is kept byte for byte.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
REF="$PY $ROOT/tests/checkref.py"

# kinds of `check --json` FILE's findings, sorted, one line
kinds() { $PY -c 'import json,sys; print(" ".join(sorted(f["kind"] for f in json.load(open(sys.argv[1]))["findings"])))' "$1"; }
refkinds() { $REF "$1" | $PY -c 'import json,sys; print(" ".join(sorted(k for k, _ in json.load(sys.stdin)["findings"])))'; }

# ---- custom layer classes: a note, exit 0, weights listed and claimed -------
$PY - "$T" <<'PY'
import sys
from kgen import write, dense, seq
d = sys.argv[1]
q = {"class_name": "QDense", "config": {"name": "qd", "units": 8, "kernel_quantizer": "quantized_bits(4,0,1)",
                                        "batch_input_shape": [None, 4]}}
b = {"class_name": "BinaryConv2D", "config": {"name": "bc", "filters": 2}}
write(d + "/custom.h5", seq(q, dense("out", 2), b),
      [["qd", [["kernel", (4, 8)], ["bias", (8,)], ["alpha", (8,)]]],
       ["out", [["kernel", (8, 2)], ["bias", (2,)]]], ["bc", [["kernel", (1, 1, 2, 2)]]]])
PY
expect_exit 0 custom_layer_exit0 "$CKPT" check --json "$T/custom.h5"
$PY - "$T/out" <<'PY' && pass custom_layer_note || fail custom_layer_note "$(head -c 500 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["findings"] == [], d
n = [x for x in d["notes"] if "unknown to ckpt" in x]
assert len(n) == 1 and "QDense" in n[0] and "BinaryConv2D" in n[0] and "2 layers, 4 weights" in n[0], d["notes"]
PY
"$CKPT" ls --json "$T/custom.h5" >"$T/ls.json" 2>"$T/err"
$PY - "$T/ls.json" <<'PY' && pass custom_layer_weights_listed || fail custom_layer_weights_listed "$(head -c 400 "$T/ls.json")"
import json, sys
n = [t["name"] for t in json.load(open(sys.argv[1]))["tensors"]]
assert n == ["qd/kernel", "qd/bias", "qd/alpha", "out/kernel", "out/bias", "bc/kernel"], n
PY
[ "$(refkinds "$T/custom.h5")" = "" ] && pass custom_layer_reference_agrees || fail custom_layer_reference_agrees "$($REF "$T/custom.h5")"
"$CKPT" check "$T/custom.h5" >"$T/human" 2>&1
grep -q "^no findings" "$T/human" && grep -q "^note: layer classes unknown to ckpt (custom or third-party): QDense, BinaryConv2D" "$T/human" \
    && pass custom_layer_human || fail custom_layer_human "$(cat "$T/human")"

# ---- functional graph: a stale inner batch_input_shape is ignored ------------
$PY - "$T" <<'PY'
import sys, copy
from kgen import write
d = sys.argv[1]
def inp(name, n): return {"class_name": "InputLayer", "name": name, "config": {"name": name, "batch_input_shape": [None, n]}, "inbound_nodes": []}
def fd(name, units, src, stale=None):
    c = {"name": name, "units": units, "use_bias": True}
    if stale: c["batch_input_shape"] = [None, stale]
    return {"class_name": "Dense", "name": name, "config": c, "inbound_nodes": [[[src, 0, 0, {}]]]}
cfg = {"class_name": "Model", "config": {"name": "model", "layers": [inp("input_1", 8), fd("d1", 4, "input_1", 100), fd("d2", 2, "d1", 33)],
       "input_layers": [["input_1", 0, 0]], "output_layers": [["d2", 0, 0]]}}
ws = [["input_1", []], ["d1", [["kernel", (8, 4)], ["bias", (4,)]]], ["d2", [["kernel", (4, 2)], ["bias", (2,)]]]]
write(d + "/stale.h5", cfg, ws)
bad = copy.deepcopy(cfg)
bad["config"]["layers"][2] = fd("d2", 3, "d1", 33)   # units 3, kernel (4, 2)
write(d + "/stale_bad.h5", bad, ws)
PY
expect_exit 0 stale_batch_input_shape_exit0 "$CKPT" check "$T/stale.h5"
[ "$(refkinds "$T/stale.h5")" = "" ] && pass stale_reference_agrees || fail stale_reference_agrees "$($REF "$T/stale.h5")"
expect_exit 1 shape_from_graph_exit1 "$CKPT" check --json "$T/stale_bad.h5"
$PY - "$T/out" <<'PY' && pass shape_names_assumed_input || fail shape_names_assumed_input "$(head -c 600 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
k = [x for x in f if x["tensor"] == "d2/kernel"]
assert [x["kind"] for x in f] == ["shape", "shape"], f
m = k[0]["message"]
assert "(4, 2)" in m and "(4, 3)" in m and "input shape (None, 4) assumed, from the output of d1" in m, m
PY
[ "$(refkinds "$T/stale_bad.h5")" = "shape" ] && pass shape_reference_agrees || fail shape_reference_agrees "$($REF "$T/stale_bad.h5")"

# ---- lost weights: Keras 3 file, layer variables gone, optimizer kept --------
$PY - "$T" <<'PY'
import io, json, sys, zipfile
import h5py, numpy as np
d = sys.argv[1]
cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 8, "use_bias": True}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense_1", "units": 2, "use_bias": True}}]},
    "build_config": {"input_shape": [None, 4]}, "compile_config": {"optimizer": {"class_name": "Adam"}}}
def keras(path, with_opt):
    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        f.create_group("layers/dense/vars"); f.create_group("layers/dense_1/vars"); f.create_group("vars")
        if with_opt:
            g = f.create_group("optimizer/vars")     # Adam: iterations, learning_rate, m..., v...
            g["0"] = np.int64(40); g["1"] = np.float32(0.001)
            for i, s in enumerate([(4, 8), (8,), (8, 2), (2,)] * 2):
                g[str(i + 2)] = np.full(s, 0.5, "f4")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "2025-01-01@00:00:00"}))
        z.writestr("config.json", json.dumps(cfg))
        z.writestr("model.weights.h5", bio.getvalue())
keras(d + "/lost.keras", True)
keras(d + "/lost_noopt.keras", False)
# partly lost: dense's variables kept, dense_1's gone, the optimizer has slots for all four
bio = io.BytesIO()
with h5py.File(bio, "w") as f:
    f["layers/dense/vars/0"] = np.ones((4, 8), "f4"); f["layers/dense/vars/1"] = np.ones(8, "f4")
    f.create_group("layers/dense_1/vars")
    g = f.create_group("optimizer/vars")
    g["0"] = np.int64(40); g["1"] = np.float32(0.001)
    for i, s in enumerate([(4, 8), (8,), (8, 2), (2,)] * 2):
        g[str(i + 2)] = np.full(s, 0.5, "f4")
with zipfile.ZipFile(d + "/partial.keras", "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", bio.getvalue())
# all weights kept, Adafactor's slots: factored r (rows) and c (columns), a
# scalar placeholder for each 1-D variable, then v shaped like each variable
bio = io.BytesIO()
shapes = {"dense": [(4, 8), (8,)], "dense_1": [(8, 2), (2,)]}
with h5py.File(bio, "w") as f:
    for l, ss in shapes.items():
        for i, s in enumerate(ss):
            f["layers/%s/vars/%d" % (l, i)] = np.ones(s, "f4")
    g = f.create_group("optimizer/vars")
    slots = [(), ()] + [(4,), (), (8,), ()] + [(8,), (), (2,), ()] + [(4, 8), (8,), (8, 2), (2,)]
    for i, s in enumerate(slots):
        g[str(i)] = np.zeros(s, "f4")
with zipfile.ZipFile(d + "/adafactor.keras", "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", bio.getvalue())
PY
expect_exit 1 lost_weights_exit1 "$CKPT" check --json "$T/lost.keras"
$PY - "$T/out" <<'PY' && pass lost_weights_finding || fail lost_weights_finding "$(head -c 600 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert [x["kind"] for x in f] == ["lost_weights"], f
m = f[0]["message"]
assert m == ("the model's weights are missing: the optimizer holds slots for 4 variables of shapes "
             "[(4, 8), (8,), (8, 2), (2,)], but no model variables were saved"), m
assert "untracked" in f[0]["suggestion"], f
PY
[ "$(refkinds "$T/lost.keras")" = "lost_weights" ] && pass lost_weights_reference_agrees || fail lost_weights_reference_agrees "$($REF "$T/lost.keras")"
expect_exit 1 lost_weights_no_optimizer "$CKPT" check --json "$T/lost_noopt.keras"
[ "$(kinds "$T/out")" = "lost_weights" ] && grep -q "the config has 2 layers that own weights" "$T/out" \
    && pass lost_weights_from_config || fail lost_weights_from_config "$(head -c 500 "$T/out")"
[ "$(refkinds "$T/lost_noopt.keras")" = "lost_weights" ] && pass lost_noopt_reference_agrees || fail lost_noopt_reference_agrees "$($REF "$T/lost_noopt.keras")"

expect_exit 1 lost_weights_partial_exit1 "$CKPT" check --json "$T/partial.keras"
$PY - "$T/out" <<'PY' && pass lost_weights_partial || fail lost_weights_partial "$(head -c 700 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
assert sorted(x["kind"] for x in f) == ["lost_weights", "missing"], f
m = [x for x in f if x["kind"] == "lost_weights"][0]["message"]
assert "slots for 2 variables of shapes [(8, 2), (2,)] that no model tensor has" in m, m
assert [x["layer"] for x in f if x["kind"] == "missing"] == ["dense_1"], f
PY

# factored optimizer slots are shaped unlike the variables: no false alarm
expect_exit 0 adafactor_slots_clean "$CKPT" check "$T/adafactor.keras"

# converting only optimizer state: exit 3, says how many and why, nothing written
mkdir -p "$T/conv"
expect_exit 3 optimizer_only_convert_exit3 "$CKPT" convert "$T/lost.keras" -o "$T/conv/out.safetensors"
grep -q "nothing to write: all 10 tensors are optimizer state, left out without --include-optimizer" "$T/err" \
    && grep -q "lost.keras" "$T/err" && pass optimizer_only_convert_message || fail optimizer_only_convert_message "$(cat "$T/err")"
[ -z "$(ls -A "$T/conv")" ] && pass optimizer_only_nothing_written || fail optimizer_only_nothing_written "$(ls -A "$T/conv")"
expect_exit 0 optimizer_included_converts "$CKPT" convert --quiet --include-optimizer "$T/lost.keras" -o "$T/conv/opt.safetensors"

# ---- bad names: one bad_name finding each ------------------------------------
$PY - "$T" <<'PY'
import json, struct, sys
import numpy as np
import ggufref
d = sys.argv[1]
def st(path, names):
    h, off = {}, 0
    for n in names:
        h[n] = {"dtype": "F32", "shape": [2], "data_offsets": [off, off + 8]}
        off += 8
    b = json.dumps(h).encode()
    open(path, "wb").write(struct.pack("<Q", len(b)) + b + b"\0" * off)
cases = {"empty": "", "control": "layer\u0007.weight", "leading_space": " layer.weight",
         "trailing_space": "layer.weight ", "dotdot": "../../etc/weight", "dotdot_inner": "a/../b",
         "absolute": "/abs/weight"}
for k, n in cases.items():
    st("%s/bad_%s.safetensors" % (d, k), ["fine.weight", n])
z = np.zeros(2, "<f4").tobytes()
ggufref.write(d + "/bad_utf8.gguf", [("general.architecture", ggufref.STR, "llama")],
              [("fine.weight", 0, (2,), z), (b"blk.\xff\xfe.weight", 0, (2,), z)])
PY
for c in empty control leading_space trailing_space dotdot dotdot_inner absolute utf8; do
    f=$T/bad_$c.safetensors; [ "$c" = utf8 ] && f=$T/bad_utf8.gguf
    expect_exit 1 "bad_name_${c}_exit1" "$CKPT" check --json "$f"
    if [ "$(kinds "$T/out")" = bad_name ] && grep -q '"message":"tensor #1: name ' "$T/out" \
        && [ "$(refkinds "$f")" = bad_name ]; then pass "bad_name_${c}_finding"
    else fail "bad_name_${c}_finding" "$(head -c 400 "$T/out") / reference: $($REF "$f")"; fi
done
grep -q "blk.\\\\\\\\xff\\\\\\\\xfe.weight' is not valid UTF-8 (byte 4)" "$T/out" && pass bad_name_utf8_shown_escaped \
    || fail bad_name_utf8_shown_escaped "$(head -c 400 "$T/out")"
expect_exit 0 good_names_clean "$CKPT" check "$ROOT/examples/demo.safetensors"

# ---- TF.js bare weights manifest (face-api.js style) -------------------------
mkdir -p "$T/face"
$PY - "$T/face" <<'PY'
import json, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(5)
f = rng.standard_normal((3, 3, 3, 16)).astype("<f4")
q = rng.integers(0, 256, 16, dtype=np.uint8)
q16 = rng.integers(0, 65536, (16, 4), dtype=np.uint16)
w = rng.standard_normal((64, 2)).astype("<f4")
blob = f.tobytes() + q.tobytes() + q16.astype("<u2").tobytes() + w.tobytes()
cut = 1000   # the second shard starts inside conv0/filters' neighbour: a weight straddles
open(d + "/tiny_face_detector_model-shard1", "wb").write(blob[:cut])
open(d + "/tiny_face_detector_model-shard2", "wb").write(blob[cut:])
json.dump([{"weights": [
    {"name": "conv0/filters", "shape": [3, 3, 3, 16], "dtype": "float32"},
    {"name": "conv0/bias", "shape": [16], "dtype": "float32",
     "quantization": {"dtype": "uint8", "scale": 0.0042, "min": -0.53}},
    {"name": "conv1/filters", "shape": [16, 4], "dtype": "float32",
     "quantization": {"dtype": "uint16", "scale": 3.1e-05, "min": -1.01}},
    {"name": "fc/weights", "shape": [64, 2], "dtype": "float32"}],
    "paths": ["tiny_face_detector_model-shard1", "tiny_face_detector_model-shard2"]}],
    open(d + "/tiny_face_detector_model-weights_manifest.json", "w"))
# NumPy's decoding, as tfjs-core decodeWeight: q * scale + min (in double), float32
np.savez(d + "/ref.npz", **{"conv0/filters": f, "conv0/bias": (q * 0.0042 + -0.53).astype("<f4"),
                            "conv1/filters": (q16 * 3.1e-05 + -1.01).astype("<f4"), "fc/weights": w})
PY
M=$T/face/tiny_face_detector_model-weights_manifest.json
expect_exit 0 bare_manifest_check "$CKPT" check "$M"
if "$CKPT" convert --quiet "$M" -o "$T/face/out.safetensors" 2>"$T/err"; then
    $PY - "$T/face" <<'PY' && pass bare_manifest_values || fail bare_manifest_values "values differ"
import json, struct, sys
import numpy as np
d = sys.argv[1]
b = open(d + "/out.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
ref = np.load(d + "/ref.npz")
assert sorted(k for k in h if k != "__metadata__") == sorted(ref.files), h.keys()
for k in ref.files:
    s, e = h[k]["data_offsets"]
    got = np.frombuffer(b[8 + n + s:8 + n + e], "<f4").reshape(h[k]["shape"])
    assert h[k]["dtype"] == "F32" and np.array_equal(got, ref[k]), k
PY
else fail bare_manifest_values "convert: $(cat "$T/err")"; fi
expect_exit 3 bare_manifest_shard_alone "$CKPT" check "$T/face/tiny_face_detector_model-shard2"
grep -q "not a checkpoint by itself: a TensorFlow.js weight shard: open .*tiny_face_detector_model-weights_manifest.json, which lists it" "$T/err" \
    && pass bare_manifest_shard_names_manifest || fail bare_manifest_shard_names_manifest "$(cat "$T/err")"
"$CKPT" info "$M" >"$T/info" 2>&1
grep -q "tfjs_format *weights manifest" "$T/info" && pass bare_manifest_info || fail bare_manifest_info "$(cat "$T/info")"

# ---- GGUF: a 10 kB multi-line chat template kept byte for byte ---------------
$PY - "$T" <<'PY'
import sys
import numpy as np
import ggufref
d = sys.argv[1]
line = "{%- for m in messages %}\t{{ '<|im_start|>' + m['role'] + '\\n' }}\"q\" \u00e9\u4e2d {{ m['content'] }}{% endfor %}\n"
tpl = "".join("%04d %s" % (i, line) for i in range(120))
assert len(tpl.encode()) > 10000
open(d + "/tpl.txt", "wb").write(tpl.encode())
ggufref.write(d + "/chat.gguf", [("general.architecture", ggufref.STR, "llama"),
              ("tokenizer.chat_template", ggufref.STR, tpl), ("tokenizer.ggml.pre", ggufref.STR, "qwen2\n")],
              [("tok_embd.weight", 0, (4, 2), np.arange(8, dtype="<f4").tobytes())])
PY
"$CKPT" info --json "$T/chat.gguf" >"$T/info.json" 2>"$T/err"
"$CKPT" convert --quiet "$T/chat.gguf" -o "$T/chat.safetensors" 2>>"$T/err"
$PY - "$T" <<'PY' && pass gguf_template_exact || fail gguf_template_exact "$(head -c 300 "$T/err")"
import json, struct, sys
d = sys.argv[1]
tpl = open(d + "/tpl.txt", "rb").read().decode()
meta = json.load(open(d + "/info.json"))["metadata"]
assert meta["tokenizer.chat_template"] == tpl, (len(meta["tokenizer.chat_template"]), len(tpl))
assert meta["tokenizer.ggml.pre"] == "qwen2\n"
b = open(d + "/chat.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
sm = json.loads(b[8:8 + n])["__metadata__"]
assert sm["tokenizer.chat_template"] == tpl and sm["tokenizer.ggml.pre"] == "qwen2\n"
PY
# the text output escapes and shortens: one line per key, says the length
"$CKPT" info "$T/chat.gguf" >"$T/info.txt" 2>&1
n=$($PY -c "print(len(open('$T/tpl.txt','rb').read()))")
grep -q "^  tokenizer.chat_template 0000 {%- for m in messages %}\\\\t{{ .*\\.\\.\\. ($n bytes)$" "$T/info.txt" \
    && grep -q '^  tokenizer.ggml.pre     qwen2\\n$' "$T/info.txt" && ! grep -q '^0001' "$T/info.txt" \
    && pass gguf_template_text_escaped || fail gguf_template_text_escaped "$(grep -n tokenizer "$T/info.txt" | head -c 600)"
# kept exactly, but bounded: a 17 MiB string value is refused with a clear line
$PY -c "
import sys, numpy as np, ggufref
ggufref.write(sys.argv[1], [('general.architecture', ggufref.STR, 'llama'), ('tokenizer.chat_template', ggufref.STR, 'x' * (17 << 20))],
              [('w', 0, (2,), np.zeros(2, '<f4').tobytes())])" "$T/huge.gguf"
expect_exit 3 gguf_huge_string_refused "$CKPT" info "$T/huge.gguf"
grep -q "string value of 17825792 bytes exceeds the limit of 16777216 bytes (metadata .tokenizer.chat_template.)" "$T/err" \
    && pass gguf_huge_string_message || fail gguf_huge_string_message "$(cat "$T/err")"
rm -f "$T/huge.gguf"

# the README lists every kind `check --json` can print, each with an example
$PY - "$ROOT" <<'PY' && pass kinds_documented || fail kinds_documented "README kinds table and include/ckpt/check.h differ"
import re, sys
root = sys.argv[1]
h = open(root + "/include/ckpt/check.h").read()
kinds = re.findall(r'_\(\w+,\s*"(\w+)"\)', h[h.index("#define CKPT_FINDINGS"):h.index("typedef enum ckpt_finding_kind")])
readme = open(root + "/README.md").read()
rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| `[^`]+` ", readme, re.M)
assert kinds and sorted(kinds) == sorted(rows), (kinds, rows)
PY
