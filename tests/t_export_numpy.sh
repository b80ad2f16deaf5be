#!/bin/bash
# --to numpy: Keras models as NumPy inference code (NAME.py + NAME.npz).
# Reference: TensorFlow.js 4.22 in Node (tests/node/klayers_gen.js builds a
# model per layer family with tfjs's layers API and predicts batch 1 and 7),
# tests/kgru_ref.py for GRU reset_after=True, and for the real Keras
# fixtures ckpt's own --to tfjs output loaded in TF.js. The generated code
# runs under /usr/bin/python3 with only NumPy (tests/knp_run.py), its
# outputs compared by tests/kcmp.py (1e-5 relative, 1e-4 recurrent).
source "$(dirname "$0")/lib.sh"
source "$ROOT/tests/node_lib.sh" export_numpy_node
source "$ROOT/tests/klayers_lib.sh"

if ! $PY -c 'import numpy' 2>/dev/null; then skip export_numpy "no numpy under $PY"; exit 0; fi

# ---- one case: export, py_compile, predict, compare ----
export_case() {   # CASEDIR
    local case=$1 name src out
    name=$(basename "$case")
    src=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["src"])' "$case/meta.json")
    [ "${src#/}" = "$src" ] && src=$case/$src
    out=$T/np/$name
    if ! "$CKPT" convert "$src" --to numpy -o "$out/model_$name.py" >"$T/conv.log" 2>&1; then
        fail "numpy_$name" "convert: $(head -c 400 "$T/conv.log")"; return
    fi
    if ! $PY -m py_compile "$out/model_$name.py" 2>"$T/pyc.log"; then
        fail "numpy_$name" "py_compile: $(head -c 300 "$T/pyc.log")"; return
    fi
    if ! $PY "$ROOT/tests/knp_run.py" "$out/model_$name.py" "$case" "$out/got" >"$T/run.log" 2>&1; then
        fail "numpy_$name" "predict: $(tail -n 3 "$T/run.log" | tr '\n' ' ')"; return
    fi
    if klayers_compare "$case" "$out/got" >"$T/cmp.log" 2>&1; then pass "numpy_$name ($(cat "$T/cmp.log"))"
    else fail "numpy_$name" "$(cat "$T/cmp.log")"; fi
}

# NumPy only; the .npz holds plain arrays under the model's weight names
# (for the generated models, every weight of the manifest)
check_files() {   # CASEDIR
    local case=$1 name py
    name=$(basename "$case")
    py=$T/np/$name/model_$name.py
    [ -f "$py" ] || return 0
    if grep -E '^\s*(import|from) ' "$py" | grep -vqE '^(import (math|os)|import numpy as np)$'; then
        fail "numpy_${name}_imports" "$(grep -E '^\s*(import|from) ' "$py" | tr '\n' ' ')"
    else pass "numpy_${name}_imports"; fi
    check "numpy_${name}_npz_names" $PY - "${py%.py}.npz" "$case/model.json" <<'PYEOF'
import json, sys
import numpy as np
with np.load(sys.argv[1], allow_pickle=False) as f:
    got = {k: f[k] for k in f.files}
mj = json.load(open(sys.argv[2]))
want = {w['name']: w['shape'] for g in mj['weightsManifest'] for w in g['weights']}
assert set(got) == set(want), (sorted(got), sorted(want))
for k, a in got.items():
    assert a.dtype == np.float32 and list(a.shape) == want[k], (k, a.dtype, a.shape)
PYEOF
}

# ---- a model the exporter must refuse: exit 3, the message, no output ----
refuse_case() {   # CASEDIR
    local case=$1 name want
    name=$(basename "$case")
    want=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["refuse"])' "$case/meta.json")
    expect_exit 3 "numpy_refuses_$name" "$CKPT" convert "$case/model.json" --to numpy -o "$T/bad/$name.py"
    if grep -qF -- "$want" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then pass "numpy_refuses_${name}_message"
    else fail "numpy_refuses_${name}_message" "wanted '$want', got: $(head -c 300 "$T/err")"; fi
    if [ -e "$T/bad/$name.py" ] || [ -e "$T/bad/$name.npz" ]; then fail "numpy_refuses_${name}_no_output" "output left"
    else pass "numpy_refuses_${name}_no_output"; fi
}

# ---- bad input (no TF.js needed) ----
if need_shared numpy_bad_inputs; then
    # a weights-only Keras 3 file with no config beside it
    expect_exit 3 numpy_weights_only "$CKPT" convert "$FIX/keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5" \
        --to numpy -o "$T/wo/m.py"
    grep -q 'code export needs the architecture' "$T/err" && [ ! -e "$T/wo" ] && pass numpy_weights_only_message ||
        fail numpy_weights_only_message "$(cat "$T/err")"
    # a Keras 2 weights-only .h5 without its JSON architecture beside it
    mkdir -p "$T/wo2"
    cp "$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5" "$T/wo2/"
    expect_exit 3 numpy_weights_only_h5 "$CKPT" convert "$T/wo2/KERAS_3layer_weights.h5" --to numpy -o "$T/wo2/out/m.py"
    grep -q "KERAS_3layer_weights.h5: code export needs the architecture" "$T/err" && [ ! -e "$T/wo2/out" ] &&
        pass numpy_weights_only_h5_message || fail numpy_weights_only_h5_message "$(cat "$T/err")"
    # a subclassed Keras 3 model: its call() is Python code
    expect_exit 3 numpy_subclassed "$CKPT" convert "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras" \
        --to numpy -o "$T/sub/m.py"
    grep -q "is not a Sequential or functional model" "$T/err" && pass numpy_subclassed_message ||
        fail numpy_subclassed_message "$(cat "$T/err")"
    # an activation outside the list names the layer, its class and the option
    mkdir -p "$T/act"
    cp "$FIX/tfjs_layers/tfjsex-abalone/weights.bin" "$T/act/"
    $PY - "$FIX/tfjs_layers/tfjsex-abalone/model.json" "$T/act/model.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
m['modelTopology']['config']['layers'][1]['config']['activation'] = 'logSoftmax'
json.dump(m, open(sys.argv[2], 'w'))
PYEOF
    layer=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["modelTopology"]["config"]["layers"][1]["config"]["name"])' "$T/act/model.json")
    expect_exit 3 numpy_bad_activation "$CKPT" convert "$T/act/model.json" --to numpy -o "$T/act/out/m.py"
    grep -qF "layer '$layer' (Dense): option activation='logSoftmax' is not supported by code export" "$T/err" &&
        [ ! -e "$T/act/out" ] && pass numpy_bad_activation_message || fail numpy_bad_activation_message "$(cat "$T/err")"
    # Keras 3's hard_sigmoid (relu6(x+3)/6) has no reference here: refused
    $PY - "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" "$T/hs.keras" <<'PYEOF'
import json, sys, zipfile
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], 'w')
for i in src.infolist():
    data = src.read(i)
    if i.filename == 'config.json':
        c = json.loads(data)
        for l in c['config']['layers']:
            if l['class_name'] == 'LSTM':
                l['config']['recurrent_activation'] = 'hard_sigmoid'
        data = json.dumps(c).encode()
    dst.writestr(i, data)
dst.close()
PYEOF
    expect_exit 3 numpy_keras3_hard_sigmoid "$CKPT" convert "$T/hs.keras" --to numpy -o "$T/hs/m.py"
    grep -q "(LSTM): option recurrent_activation='hard_sigmoid'" "$T/err" && pass numpy_keras3_hard_sigmoid_message ||
        fail numpy_keras3_hard_sigmoid_message "$(cat "$T/err")"
    expect_exit 2 numpy_dtype "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" --to numpy --dtype F16 -o "$T/dt/m.py"
    grep -q -- '--dtype F16: code export computes in float32' "$T/err" && [ ! -e "$T/dt" ] && pass numpy_dtype_message ||
        fail numpy_dtype_message "$(cat "$T/err")"
    # -o NAME.py picks --to numpy by itself
    check numpy_by_extension "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" -o "$T/ext/ab.py"
    [ -f "$T/ext/ab.py" ] && [ -f "$T/ext/ab.npz" ] && pass numpy_by_extension_files || fail numpy_by_extension_files "$(ls "$T/ext")"
    # the output must be NAME.py
    expect_exit 2 numpy_needs_py "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" --to numpy -o "$T/x.txt"
    grep -q 'give -o a file name ending in .py' "$T/err" && pass numpy_needs_py_message || fail numpy_needs_py_message "$(cat "$T/err")"
fi

if [ "$have_tfjs" = 1 ]; then
    klayers_gen "$T/gen"
    while read -r c; do export_case "$c"; done <"$T/gen/cases"
    for c in merges conv2d bidirectional; do check_files "$T/gen/$c"; done
    # the GRU reset_after=True reference (tests/kgru_ref.py) against TF.js on
    # the reset_after=False model, which both implement
    mkdir -p "$T/kgru_check"
    if $PY "$ROOT/tests/kgru_ref.py" "$T/gen/gru" "$T/kgru_check" >"$T/kgru.log" 2>&1 &&
        klayers_compare "$T/gen/gru" "$T/kgru_check" >>"$T/kgru.log" 2>&1; then pass "kgru_ref_matches_tfjs ($(tail -n 1 "$T/kgru.log"))"
    else fail kgru_ref_matches_tfjs "$(tail -n 2 "$T/kgru.log" | tr '\n' ' ')"; fi
    while read -r c; do refuse_case "$c"; done <"$T/gen/refuse"
    if need_shared numpy_fixtures; then
        klayers_fixtures "$T/fix"
        while read -r c; do export_case "$c"; done <"$T/fix/cases"
    fi
fi
