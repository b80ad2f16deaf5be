# Sourced by the code-export tests (t_export_numpy.sh, t_export_c.sh) after
# lib.sh and node_lib.sh: the layer test harness.
#
#   klayers_gen DIR       the generated models (tests/node/klayers_gen.js,
#                         TF.js 4.22 as the reference; the GRU reset_after=True
#                         case from tests/kgru_ref.py): one case folder each
#   klayers_fixtures DIR  cases for the real fixtures: the TF.js layers models
#                         in $FIX/tfjs_layers, and the Keras .h5/.keras ones
#                         through ckpt's own --to tfjs output loaded in TF.js
#   klayers_compare CASE GOT  tests/kcmp.py: GOT/out{K}_b{B}.f32 against the case
#
# A case folder holds meta.json ({"name", "src", "tol", "inputs", "outputs",
# "batches", ...}: src is the model to export, relative to the folder or
# absolute), in{K}_b{B}.f32 and out{K}_b{B}.f32 (raw float32, batch first).
# Both functions print a FAIL line for what they cannot build and list the
# case folders built in DIR/cases. klayers_gen also lists in DIR/refuse the
# models an exporter must refuse: their meta.json "refuse" holds the start of
# the one-line error expected (it names the layer and its class).
KL_NODE=$ROOT/tests/node

klayers_gen() {
    local dir=$1
    mkdir -p "$dir"
    : >"$dir/cases"
    : >"$dir/refuse"
    if ! (cd "$KL_NODE" && node klayers_gen.js gen "$dir") >"$dir/gen.log" 2>&1; then
        fail klayers_gen "$(grep -v -e '^Hi, looks like' -e '^====' "$dir/gen.log" | tail -n 3 | tr '\n' ' ')"
        return 1
    fi
    local m name
    for m in "$dir"/*/meta.json; do
        name=$(basename "$(dirname "$m")")
        if grep -q '"refuse": "' "$m"; then echo "$dir/$name" >>"$dir/refuse"; continue; fi
        if grep -q '"ref": "kgru"' "$m" && ! $PY "$ROOT/tests/kgru_ref.py" "$dir/$name" >"$dir/$name.ref.log" 2>&1; then
            fail "klayers_ref_$name" "$(tail -n 2 "$dir/$name.ref.log" | tr '\n' ' ')"
            continue
        fi
        echo "$dir/$name" >>"$dir/cases"
    done
}

klayers_fixtures() {
    local dir=$1 f name
    mkdir -p "$dir"
    : >"$dir/cases"
    for f in "$FIX"/tfjs_layers/*/model.json; do
        [ -f "$f" ] || continue
        name=tfjs_$(basename "$(dirname "$f")")
        klayers_ref "$dir" "$name" "$f" "$f"
    done
    for f in "$FIX"/keras2_h5/*/*.h5 "$FIX"/keras2_h5/*/*.hdf5 "$FIX"/keras3_keras/*/*.keras "$FIX"/keras2_weights_h5/*/*.h5; do
        [ -f "$f" ] || continue
        name=keras_$(basename "$(dirname "$f")")
        # the TF.js reference needs ckpt's --to tfjs output; models it cannot
        # write (a subclassed Keras 3 model) have no reference here
        if ! "$CKPT" convert "$f" --to tfjs -o "$dir/$name.tfjs/model.json" >"$dir/$name.tfjs.log" 2>&1; then
            echo "$name: no --to tfjs output: $(head -c 200 "$dir/$name.tfjs.log")" >>"$dir/skipped"
            continue
        fi
        klayers_ref "$dir" "$name" "$dir/$name.tfjs/model.json" "$f"
    done
}

# klayers_ref DIR NAME MODEL_JSON SRC: a case from a saved layers model
klayers_ref() {
    local dir=$1 name=$2 mj=$3 src=$4
    if (cd "$KL_NODE" && node klayers_gen.js ref "$mj" "$dir/$name" "$name" "$src") >"$dir/$name.log" 2>&1; then
        echo "$dir/$name" >>"$dir/cases"
    else
        fail "klayers_ref_$name" "$(grep -v -e '^Hi, looks like' -e '^====' "$dir/$name.log" | tail -n 2 | tr '\n' ' ')"
    fi
}

klayers_compare() {
    $PY "$ROOT/tests/kcmp.py" "$1" "$2"
}
