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

if [ "$have_tfjs" = 1 ]; then
    klayers_gen "$T/gen"
    while read -r c; do export_case "$c"; done <"$T/gen/cases"
    while read -r c; do refuse_case "$c"; done <"$T/gen/refuse"
    if need_shared numpy_fixtures; then
        klayers_fixtures "$T/fix"
        while read -r c; do export_case "$c"; done <"$T/fix/cases"
    fi
fi
