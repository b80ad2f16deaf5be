# `ckpt convert --to c`: the generated C, compiled with -std=c99 -Wall -Wextra
# -Werror and ASan+UBSan, against TensorFlow.js 4.22's model.predict (CPU
# backend) on seeded random inputs, batch 1 and 7, through the layer test
# harness (tests/klayers_lib.sh): a model per layer family built with tfjs's
# layers API, GRU reset_after=True against tests/kgru_ref.py (NumPy), the
# TF.js layers fixtures, the Keras .h5/.keras fixtures through ckpt's own
# --to tfjs output; tests/kcmp.py compares (1e-5 relative, 1e-4 recurrent).
# Also --weights file (and a missing or short .bin), every sample alone
# against its batch row (bit for bit, in the driver), and bad input:
# unsupported layer class and option, no architecture.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node_lib.sh" export_c_tfjs
source "$(dirname "$0")/klayers_lib.sh"
D=$ROOT/tests/data/export_c
CC=${CC:-cc}
CFLAGS="-std=c99 -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -g"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if ! command -v "$CC" >/dev/null; then skip export_c "no C compiler"; exit 0; fi

# build NAME's C (already converted into DIR/NAME.c) with the test driver
build() {  # DIR NAME
    (cd "$1" && $CC $CFLAGS -I. -DMODEL_H="\"$2.h\"" "-DM(x)=$2_##x" "$D/driver.c" "$2.c" -lm -o drv) >"$T/cc.log" 2>&1
}

# one harness case: export, compile, run batch 1 and 7 clean, compare
export_case() {  # CASEDIR [convert options]
    local case=$1 name src dir id; shift
    name=$(basename "$case")
    id=m_$(echo "$name" | tr -c 'A-Za-z0-9_\n' '_')     # the file name gives the C identifiers
    src=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["src"])' "$case/meta.json")
    [ "${src#/}" = "$src" ] && src=$case/$src
    dir=$T/c/$name
    mkdir -p "$dir/got"
    if ! "$CKPT" convert --quiet "$src" --to c -o "$dir/$id.c" "$@" 2>"$T/err"; then
        fail "c_$name" "convert: $(head -c 400 "$T/err")"; return
    fi
    if ! build "$dir" "$id"; then
        fail "c_$name" "cc $CFLAGS: $(head -c 600 "$T/cc.log")"; return
    fi
    # ASan/UBSan reports go to stderr: a clean run prints nothing
    if ! (cd "$dir" && ./drv "$case" got 1 7) >"$T/run.log" 2>&1 || [ -s "$T/run.log" ]; then
        fail "c_$name" "run: $(head -c 600 "$T/run.log" | tr '\n' ' ')"; return
    fi
    if $PY "$ROOT/tests/kcmp.py" "$case" "$dir/got" >"$T/cmp.log" 2>&1; then pass "c_$name ($(cat "$T/cmp.log"))"
    else fail "c_$name" "$(cat "$T/cmp.log")"; fi
}

if [ "$have_tfjs" = 1 ]; then
    # every layer family of issue 11 (tests/node/klayers_gen.js; GRU reset_after=True vs tests/kgru_ref.py)
    klayers_gen "$T/gen"
    while read -r c; do export_case "$c"; done <"$T/gen/cases"
fi

if need_shared export_c_fixtures && [ "$have_tfjs" = 1 ]; then
    # the TF.js layers fixtures, and the Keras .h5/.keras ones through ckpt's --to tfjs output
    klayers_fixtures "$T/fix"
    while read -r c; do export_case "$c"; done <"$T/fix/cases"
    [ -f "$T/fix/skipped" ] && sed 's/^/    no reference: /' "$T/fix/skipped"
    L=$FIX/tfjs_layers
    AB=$T/fix/tfjs_tfjsex-abalone

    # ---- --weights file: NAME.bin beside, read at start-up -----------------
    W=$T/wfile
    mkdir -p "$W"
    if "$CKPT" convert --quiet "$L/tfjsex-abalone/model.json" --to c --weights file -o "$W/abw.c" 2>"$T/err" &&
        [ -f "$W/abw.bin" ] && ! grep -q "static const float w_" "$W/abw.c"; then pass wfile_convert
    else fail wfile_convert "$(cat "$T/err"; ls "$W")"; fi
    # the .bin holds exactly the float32 weights, in the order the header lists
    if $PY - "$W/abw.bin" "$W/abw.c" "$T/c/tfjs_tfjsex-abalone/m_tfjs_tfjsex_abalone.c" <<'PY'
import re, sys
import numpy as np
b = np.fromfile(sys.argv[1], dtype="<f4")
src = open(sys.argv[2]).read()
emb = open(sys.argv[3]).read()
for name, off, n in re.findall(r"#define (w_\w+) \(ck_wdata \+ (\d+)\) /\* '[^']*', (\d+) floats", src):
    m = re.search(r"static const float %s\[(\d+)\] = \{([^}]*)\}" % name, emb)
    vals = np.array([float(v.strip().rstrip("f")) for v in m.group(2).replace("\n", " ").split(",")], dtype=np.float32)
    if int(m.group(1)) != int(n) or not np.array_equal(vals, b[int(off):int(off) + int(n)]):
        print(name, "differs between the .bin and the embedded array"); sys.exit(1)
PY
    then pass wfile_bin_equals_embedded; else fail wfile_bin_equals_embedded; fi
    if build "$W" abw; then
        pass wfile_compiles
        mkdir -p "$W/got"
        if (cd "$W" && ./drv "$AB" got 1 7) >"$T/run.log" 2>&1 && [ ! -s "$T/run.log" ] &&
            $PY "$ROOT/tests/kcmp.py" "$AB" "$W/got" >"$T/cmp.log" 2>&1; then pass "wfile_vs_tfjs ($(cat "$T/cmp.log"))"
        else fail wfile_vs_tfjs "$(cat "$T/run.log" "$T/cmp.log" 2>/dev/null | head -c 400)"; fi
        mv "$W/abw.bin" "$W/abw.bin.keep"
        (cd "$W" && ./drv "$AB" got 1) >"$T/out" 2>&1
        rc=$?
        if [ $rc = 1 ] && grep -q "abw.bin: cannot open the weights file: No such file" "$T/out"; then pass wfile_missing_message
        else fail wfile_missing_message "exit $rc: $(cat "$T/out")"; fi
        head -c 1000 "$W/abw.bin.keep" >"$W/abw.bin"
        (cd "$W" && ./drv "$AB" got 1) >"$T/out" 2>&1
        rc=$?
        want=$(stat -c %s "$W/abw.bin.keep")
        if [ $rc = 1 ] && grep -q "abw.bin: the weights file has 1000 bytes, abw needs $want" "$T/out"; then pass wfile_short_message
        else fail wfile_short_message "exit $rc: $(cat "$T/out")"; fi
    else fail wfile_compiles "$(head -c 600 "$T/cc.log")"; fi
fi

# ---- bad input: one line naming the layer, its class and the option ---------
bad_case() {  # TEST PATTERN CODE MODEL [convert args]
    local t=$1 pat=$2 code=$3 model=$4; shift 4
    rm -rf "$T/bad"; mkdir -p "$T/bad"
    expect_exit "$code" "$t" "$CKPT" convert "$model" --to c -o "$T/bad/m.c" "$@"
    if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -qF -- "$pat" "$T/err" && [ -z "$(ls -A "$T/bad")" ]; then pass "${t}_message"
    else fail "${t}_message" "$(head -c 400 "$T/err"; ls -A "$T/bad")"; fi
}
if need_shared export_c_bad; then
    edit() {  # NAME PYTHON (on mj, the abalone model.json)
        rm -rf "$T/$1"; mkdir -p "$T/$1"; cp "$FIX/tfjs_layers/tfjsex-abalone/weights.bin" "$T/$1/"
        $PY - "$FIX/tfjs_layers/tfjsex-abalone/model.json" "$T/$1/model.json" "$2" <<'PY'
import json, sys
mj = json.load(open(sys.argv[1])); L = mj["modelTopology"]["config"]["layers"]
exec(sys.argv[3]); json.dump(mj, open(sys.argv[2], "w"))
PY
    }
    edit badcls 'L[1]["class_name"] = "Conv3DTranspose"'
    bad_case unsupported_class "layer 'dense_Dense2' (Conv3DTranspose): layer class not supported by code export" 3 "$T/badcls/model.json"
    edit badact 'L[1]["config"]["activation"] = "crelu"'
    bad_case unsupported_activation "layer 'dense_Dense2' (Dense): option activation='crelu' is not supported by code export" 3 "$T/badact/model.json"
    edit badopt 'L.insert(1, {"class_name": "Reshape", "config": {"name": "rs", "target_shape": [5, 10]}}); L.insert(2, {"class_name": "Conv1D", "config": {"name": "cv", "filters": 2, "kernel_size": 3, "data_format": "channels_first"}})'
    bad_case unsupported_option "layer 'cv' (Conv1D): option data_format=channels_first is not supported by code export" 3 "$T/badopt/model.json"
    bad_case weights_only "code export needs the architecture" 3 "$FIX/keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5"
    bad_case no_keras "code export needs the architecture" 3 "$FIX/safetensors/burn-mnist/mnist.safetensors"
    bad_case subclassed "code export needs the layer graph in the config" 3 "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras"
    bad_case bad_weights_opt "--weights takes embed or file, got 'inline'" 2 "$FIX/tfjs_layers/tfjsex-abalone/model.json" --weights inline
    rm -rf "$T/bad"; mkdir -p "$T/bad"
    expect_exit 2 wrong_extension "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" --to c -o "$T/bad/m.py"
    grep -q "writes NAME.c: give -o a file name ending in .c" "$T/err" && [ -z "$(ls -A "$T/bad")" ] && pass wrong_extension_message \
        || fail wrong_extension_message "$(cat "$T/err")"
fi
