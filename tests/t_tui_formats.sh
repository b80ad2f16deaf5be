#!/bin/bash
# TUI on the real fixtures, in an 80x24 pane as over SSH: a Keras HDF5 model
# tree shows its layers with their classes in config order (h5py reads the
# config) and a nested model expands to its inner layers; the header counts
# tensors as `ckpt info --json` does (torch, gguf, and a Keras file with
# optimizer state); `i` shows the GGUF metadata; the browser's tensor column
# agrees with `ckpt info --json`; the convert dialog offers exactly the
# writable formats for a Keras source and only safetensors for a GGUF one.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
need_shared tui_formats || exit 0
export TUI_W=80 TUI_H=24

XC=$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5
PT=$FIX/pytorch/burn-mnist/mnist.pt
GG=$FIX/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf

# info NAME FILE: a field of `ckpt info --json FILE`
info() { "$CKPT" info --json "$2" | "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }

# ---- Keras HDF5: layer names and classes in config order --------------------
tui_start -- "$XC"
if tui_wait "Layers"; then
    if "$PY" - "$XC" "$T/screen" <<'EOF'
import json, sys, h5py
cfg = json.loads(h5py.File(sys.argv[1], "r").attrs["model_config"])
layers = [(l["config"]["name"], l["class_name"]) for l in cfg["config"]["layers"]]
rows = open(sys.argv[2], encoding="utf-8").read().split("\n")[2:23]
seen = 0
for (name, cls), row in zip(layers, rows):
    left = row.split("\u2502")[0][2:]          # the tree pane, after the expander
    tok = left.split()
    assert tok[0] == name, (name, row)
    # the class follows the name; a long one is cut with an ellipsis
    c = tok[1]
    assert c == cls or (c.endswith("\u2026") and cls.startswith(c[:-1])), (cls, row)
    seen += 1
assert seen == 21, seen
EOF
    then pass tui_keras_tree_classes
    else fail tui_keras_tree_classes "rows differ from the model_config layers: $(sed -n 3,6p "$T/screen" | tr '\n' '|')"; fi
    # header: weights and optimizer state counted apart, as `ckpt info` does
    nt=$(info tensors "$XC"); no=$(info optimizer_tensors "$XC")
    if head -1 "$T/screen" | grep -qE " $nt tensors \(\+$no opt(imizer)?\)"; then pass tui_keras_header_counts
    else fail tui_keras_header_counts "want $nt tensors +$no optimizer: $(head -1 "$T/screen")"; fi
    # a layer without weights has nothing to expand: no expander glyph
    if sed -n 3p "$T/screen" | grep -qE '^  input_1 InputLayer'; then pass tui_weightless_layer_plain
    else fail tui_weightless_layer_plain "$(sed -n 3p "$T/screen")"; fi
else fail tui_keras_tree_classes "model screen did not appear"; fi

# ---- the convert dialog for a Keras source: every writable format ----------
tui_keys c
if tui_wait "Convert"; then
    # every writable format but gguf, which describes GGUF and Hugging Face Llama sources only,
    # and the code exporters (write-only) that take a Keras model
    want=$( { "$CKPT" formats | awk 'NR > 1 && $2 ~ /^rw/ && $1 != "gguf" {print $1}'
              "$CKPT" formats | awk 'NR > 1 && ($1 == "numpy" || $1 == "c") {print $1}'; } | sort | tr '\n' ' ')
    # the field's "also:" list is cut at 80 columns: Right through the formats
    # (it wraps around) and collect the chosen one each time
    cur() { grep -m1 'Format ' "$T/screen" | sed -n 's/.*< *\([a-z0-9-]*\) *>.*/\1/p'; }
    first=$(cur) got=$first
    for _ in $(seq 30); do
        # up to 10 s for the key to show: on a loaded machine 2 s was too
        # little, and a late screen read the same format twice
        prev=$(cur); tui_keys Right
        for _ in $(seq 200); do tui_screen >/dev/null; [ "$(cur)" != "$prev" ] && break; sleep 0.05; done
        [ "$(cur)" = "$first" ] && break
        got="$got $(cur)"
    done
    got=$(echo "$got" | tr ' ' '\n' | grep . | sort | tr '\n' ' ')
    if [ -n "$want" ] && [ "$got" = "$want" ]; then pass tui_convert_formats_keras
    else fail tui_convert_formats_keras "offered '$got', writable '$want'"; fi
    # keras-weights gets its own file ending from the engine (.weights.h5)
    tui_keys Right Right
    if tui_wait "< keras-weights >" && tui_wait "converted.weights.h5"; then pass tui_convert_keras_weights_ext
    else fail tui_convert_keras_weights_ext "$(grep 'Output' "$T/screen")"; fi
else fail tui_convert_formats_keras "dialog did not open"; fi
tui_keys Escape q
tui_wait "EXIT:0" >/dev/null || fail tui_formats_quit "keras view did not quit"

# ---- a nested model (Sequential inside a functional model) ------------------
if "$PY" -c "import h5py" 2>/dev/null; then
    PYTHONPATH="$ROOT/tests" "$PY" - "$T/nested.h5" <<'EOF'
import sys
from kgen import write, dense
inner = {"class_name": "Sequential", "name": "sequential", "config": {"name": "sequential", "layers": [dense("dense", 8), dense("dense_1", 2)]},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]}
cfg = {"class_name": "Functional", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "name": "input_1", "config": {"name": "input_1", "batch_input_shape": [None, 4]}, "inbound_nodes": []},
    inner,
    {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 3}, "inbound_nodes": [[["sequential", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["head", 0, 0]]}}
write(sys.argv[1], cfg, [["input_1", []],
    ["sequential", [["dense/kernel", (4, 8)], ["dense/bias", (8,)], ["dense_1/kernel", (8, 2)], ["dense_1/bias", (2,)]]],
    ["head", [["kernel", (2, 3)], ["bias", (3,)]]]])
EOF
    tui_start -- "$T/nested.h5"
    tui_wait "Layers" >/dev/null
    tui_keys j '*'
    if tui_wait "nested model" && tui_wait_re 'dense_1 Dense'; then
        # every tensor of the nested model shows under it with its shape (ckpt ls --json)
        "$CKPT" ls --json "$T/nested.h5" >"$T/nested.json"
        if "$PY" - "$T/nested.json" "$T/screen" <<'EOF'
import json, re, sys
ts = [t for t in json.load(open(sys.argv[1]))["tensors"] if t["name"].startswith("sequential/")]
scr = open(sys.argv[2], encoding="utf-8").read()
assert re.search(r"^. sequential Sequential ", scr, re.M), "no nested model row"
for t in ts:
    leaf = t["name"].split("/")[-1]
    shape = "[" + ", ".join(map(str, t["shape"])) + "]"
    assert re.search(r"[\u2502 ]+[\u251c\u2514]\u2500%s +%s %s" % (leaf, t["dtype"], re.escape(shape)), scr), (leaf, shape)
assert len(ts) == 4, ts
EOF
        then pass tui_keras_nested_model
        else fail tui_keras_nested_model "$(sed -n 3,12p "$T/screen" | tr '\n' '|')"; fi
    else fail tui_keras_nested_model "nested model not shown: $(sed -n 3,8p "$T/screen" | tr '\n' '|')"; fi
    tui_keys q
else
    skip tui_keras_nested_model "python3-h5py missing"
fi

# ---- torch .pt: header count --------------------------------------------------
tui_start -- "$PT"
nt=$(info tensors "$PT")
if tui_wait "Layers" && head -1 "$T/screen" | grep -qE "mnist\.pt +torch +$nt tensors "; then pass tui_torch_header_count
else fail tui_torch_header_count "want $nt tensors: $(head -1 "$T/screen")"; fi
# the dotted names make the groups: conv1 expands to its tensors
tui_keys g l
if tui_wait_re 'weight +F32 \[8, 1, 3, 3\]'; then pass tui_torch_dotted_tree
else fail tui_torch_dotted_tree "conv1.weight row missing"; fi
tui_keys q

# ---- gguf: header count, blk.N tree, metadata, convert offers ---------------
tui_start -- "$GG"
nt=$(info tensors "$GG")
if tui_wait "Layers" && head -1 "$T/screen" | grep -qE "gguf +$nt tensors "; then pass tui_gguf_header_count
else fail tui_gguf_header_count "want $nt tensors: $(head -1 "$T/screen")"; fi
tui_keys g '*'
if tui_wait_re '└─▾ 0 ' && tui_wait_re 'attn_q'; then pass tui_gguf_blk_tree
else fail tui_gguf_blk_tree "blk > 0 > attn_q not shown"; fi
# i: the model summary with the GGUF key/values (long keys on their own line)
arch=$("$CKPT" info --json "$GG" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['metadata']['general.architecture'])")
tui_keys i Tab
for k in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do tui_keys j; done
if tui_wait "general.architecture" && grep -A1 'general.architecture' "$T/screen" | tail -1 | grep -q "│   $arch *\$"; then
    pass tui_gguf_metadata_info
else fail tui_gguf_metadata_info "general.architecture=$arch not shown: $(grep -A1 general.arch "$T/screen" | tr '\n' '|')"; fi
tui_keys Tab i c
if tui_wait "Convert"; then
    row=$(grep -m1 'Format ' "$T/screen")
    # the reasons for the others: under the field when they fit, else behind `w`
    if echo "$row" | grep -q '< safetensors >  also:.* gguf' &&
        { grep -q "not offered: keras" "$T/screen" ||
          { tui_wait "w lists why" >/dev/null && tui_keys w && tui_wait "keras: Keras 3" >/dev/null && tui_keys x &&
            tui_wait "w lists why" >/dev/null; }; }; then pass tui_convert_formats_gguf
    else fail tui_convert_formats_gguf "$row"; fi
    # GGUF -> GGUF is offered, with its own file ending
    tui_keys Right
    if tui_wait "< gguf >" && tui_wait_re "Output.*\.gguf"; then pass tui_convert_gguf_offered
    else fail tui_convert_gguf_offered "$(grep -E 'Format|Output' "$T/screen" | tr '\n' '|')"; fi
else fail tui_convert_formats_gguf "dialog did not open"; fi
tui_keys Escape q
tui_stop

# ---- the browser: tensor column as `ckpt info --json` counts -----------------
tui_start -- "$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF"
nt=$(info tensors "$XC")
if tui_wait_re 'tiny_XCEPTION_KDEF\.hdf5 +keras-h5 +[0-9.]+ KiB +[0-9]+' \
    && grep -qE "tiny_XCEPTION_KDEF\.hdf5 +keras-h5 +[0-9.]+ KiB +$nt *\$" "$T/screen"; then pass tui_browser_count
else fail tui_browser_count "want $nt: $(grep tiny_X "$T/screen")"; fi
tui_stop

# ---- back from a model, the browser shows what a conversion wrote -----------
mkdir -p "$T/work"
gen_model "$T/work/small.safetensors" "$SMALL_SPEC"
head -c 100 "$T/work/small.safetensors" >"$T/work/trunc.safetensors"
tui_start -- "$T/work"
tui_wait "small.safetensors" >/dev/null
# the truncated file's error is shown whole (wrapped), as `ckpt info` words it
tui_keys G
"$CKPT" info "$T/work/trunc.safetensors" 2>"$T/trunc.err" >/dev/null
want=$(sed 's/^ckpt: //' "$T/trunc.err")
tui_wait "trunc.safetensors" >/dev/null; sleep 0.3; tui_screen >/dev/null
got=$(tail -n 4 "$T/screen" | sed 's/^ //; s/ *$//' | tr '\n' ' ' | sed 's/  */ /g')
case "$got" in
    *"$want"*) pass tui_browser_error_whole ;;
    *) fail tui_browser_error_whole "want '$want' in '$got'" ;;
esac
tui_keys g j Enter
tui_wait "Layers" >/dev/null
tui_keys c
tui_wait "Convert" >/dev/null
tui_keys Enter
tui_wait "Done:" 20 >/dev/null
tui_keys Enter q
nt=$(info tensors "$T/work/small.safetensors")
if tui_wait_re "small-converted\.safetensors +safetensors +[0-9.]+ KiB +$nt *\$"; then pass tui_browser_refreshed
else fail tui_browser_refreshed "converted file not listed after going back"; fi
tui_stop

# ---- a folder opened as a model (TF.js): q shows the folder's files ---------
AB=$FIX/tfjs_layers/tfjsex-abalone
tui_start -- "$AB"
nt=$(info tensors "$AB")
if tui_wait "Layers" && head -1 "$T/screen" | grep -qE "tfjs +$nt tensors "; then
    tui_keys q
    ok=1
    for f in $(ls "$AB"); do tui_wait "$f" 3 >/dev/null || ok=0; done
    if [ $ok = 1 ] && ! grep -q "EXIT:" "$T/screen"; then pass tui_folder_model_back_to_files
    else fail tui_folder_model_back_to_files "$(head -6 "$T/screen" | tr '\n' '|')"; fi
else fail tui_folder_model_back_to_files "TF.js folder did not open with $nt tensors"; fi
tui_stop

# ---- a conversion the engine refuses: its whole error, then the dialog back --
RNN=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
"$CKPT" convert "$RNN" --to keras-weights --include-optimizer -o "$T/cli.weights.h5" >/dev/null 2>"$T/cli.err"
want=$(sed 's/^ckpt: //' "$T/cli.err" | head -1)
tui_start -- "$RNN"
tui_wait "Layers" >/dev/null
tui_keys c Right Right Down C-u
tui_type "$T/tui.weights.h5"
# Optimizer is the 6th row: include it
tui_keys Down Down Down Down Right
tui_wait "< include >" >/dev/null
tui_keys Enter
if tui_wait "Failed:" 20; then
    got=$(sed -n '/Failed:/,/└/p' "$T/screen" | sed '1d;$d; s/^ *│ //; s/ *│ *$//' | tr '\n' ' ' | sed 's/  */ /g; s/ $//')
    case "$got" in
        *"${want#*: }"*) pass tui_convert_failure_whole ;;
        *) fail tui_convert_failure_whole "want '$want' got '$got'" ;;
    esac
    tui_keys Enter
    if tui_wait "< include >" && tui_wait "$T/tui.weights.h5" && [ ! -e "$T/tui.weights.h5" ]; then pass tui_convert_failure_back_to_dialog
    else fail tui_convert_failure_back_to_dialog "dialog not restored"; fi
else fail tui_convert_failure_whole "no failure shown (CLI said: $want)"; fi
tui_stop
