# `ckpt convert --to c`: the generated C, compiled with -std=c99 -Wall -Wextra
# -Werror and ASan+UBSan, against TensorFlow.js 4.22's model.predict (CPU
# backend, tests/node/kpredict.js) on seeded random inputs, batch 1 and 7:
# the TF.js layers fixtures, the Keras .h5/.keras fixtures through ckpt's own
# --to tfjs output, --weights file (and a missing or short .bin), every
# sample alone against its batch row (bit for bit, in the driver), and bad
# input: unsupported layer class and option, no architecture.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node_lib.sh" export_c_tfjs
D=$ROOT/tests/data/export_c
CC=${CC:-cc}
CFLAGS="-std=c99 -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all -g"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if ! command -v "$CC" >/dev/null; then skip export_c "no C compiler"; exit 0; fi

# reference predictions of a TF.js layers model: REFDIR/{in,out}_{1,7}.bin
tfjs_ref() {  # MODEL_JSON REFDIR
    [ $have_tfjs = 1 ] || return 1
    (cd "$NODEDIR" && node kpredict.js "$1" "$2" 1 7) >"$T/node.log" 2>&1
}

# build NAME's C (already converted into DIR/NAME.c) with the test driver
build() {  # DIR NAME
    (cd "$1" && $CC $CFLAGS -I. -DMODEL_H="\"$2.h\"" "-DM(x)=$2_##x" "$D/driver.c" "$2.c" -lm -o drv) >"$T/cc.log" 2>&1
}

# run DIR/drv on REFDIR's batch B inputs and compare with TF.js
run_cmp() {  # TEST DIR REFDIR RTOL
    local b ok=1 msg=""
    for b in 1 7; do
        if ! (cd "$2" && ./drv "$3/in_$b.bin" $b "got_$b.bin") >"$T/run.log" 2>&1 || [ -s "$T/run.log" ]; then
            fail "$1" "batch $b: $(head -c 400 "$T/run.log" | tr '\n' ' ')"; return
        fi
        msg="$msg b$b: $($PY "$D/cmp.py" "$2/got_$b.bin" "$3/out_$b.bin" "$4")" || ok=0
    done
    [ $ok = 1 ] && pass "$1" || fail "$1" "$msg"
    echo "    $1:$msg"
}

# TEST MODEL REF_MODEL_JSON RTOL [convert options]
export_check() {
    local t=$1 model=$2 ref=$3 rtol=$4; shift 4
    local dir=$T/$t name=$t
    mkdir -p "$dir"
    if ! "$CKPT" convert --quiet "$model" --to c -o "$dir/$name.c" "$@" 2>"$T/err"; then
        fail "${t}_convert" "$(cat "$T/err")"; return
    fi
    [ -f "$dir/$name.h" ] && pass "${t}_convert" || { fail "${t}_convert" "no $name.h"; return; }
    if build "$dir" "$name"; then pass "${t}_compiles_c99_werror_asan"
    else fail "${t}_compiles_c99_werror_asan" "$(head -c 600 "$T/cc.log")"; return; fi
    if [ ! -f "$T/ref_$t/out_7.bin" ] && ! tfjs_ref "$ref" "$T/ref_$t"; then
        [ $have_tfjs = 1 ] && fail "${t}_vs_tfjs" "reference: $(tail -3 "$T/node.log")"; return
    fi
    run_cmp "${t}_vs_tfjs" "$dir" "$T/ref_$t" "$rtol"
}

# ---- TF.js layers fixtures ------------------------------------------------
if need_shared export_c_fixtures; then
    L=$FIX/tfjs_layers
    export_check abalone "$L/tfjsex-abalone/model.json" "$L/tfjsex-abalone/model.json" 1e-5
    # Embedding + GRU (reset_after=False, hard_sigmoid, go_backwards): recurrent tolerance
    export_check e2e_gru "$L/tfjs-e2e-layers_model/model.json" "$L/tfjs-e2e-layers_model/model.json" 1e-4

    # ---- Keras fixtures: ckpt's --to tfjs output is what TF.js predicts with
    keras_check() {  # TEST MODEL RTOL
        rm -rf "$T/tj_$1"
        if ! "$CKPT" convert --quiet "$2" --to tfjs -o "$T/tj_$1/" 2>"$T/err"; then
            fail "$1_to_tfjs" "$(cat "$T/err")"; return
        fi
        export_check "$1" "$2" "$T/tj_$1/model.json" "$3"
    }
    keras_check k2_rnn "$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5" 1e-4
    keras_check k2_xception "$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5" 1e-5
    keras_check k2_3layer_json "$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5" 1e-5
    keras_check k3_lstm_masking "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" 1e-4

    # ---- --weights file: NAME.bin beside, read at start-up -----------------
    W=$T/wfile
    mkdir -p "$W"
    if "$CKPT" convert --quiet "$L/tfjsex-abalone/model.json" --to c --weights file -o "$W/abw.c" 2>"$T/err" &&
        [ -f "$W/abw.bin" ] && ! grep -q "static const float w_" "$W/abw.c"; then pass wfile_convert
    else fail wfile_convert "$(cat "$T/err"; ls "$W")"; fi
    # the .bin holds exactly the float32 weights, in the order the header lists
    if $PY - "$W/abw.bin" "$W/abw.c" "$T/abalone/abalone.c" <<'PY'
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
        [ -f "$T/ref_abalone/out_7.bin" ] && run_cmp wfile_vs_tfjs "$W" "$T/ref_abalone" 1e-5
        mv "$W/abw.bin" "$W/abw.bin.keep"
        (cd "$W" && ./drv "$T/ref_abalone/in_1.bin" 1 got.bin) >"$T/out" 2>&1
        rc=$?
        if [ $rc = 1 ] && grep -q "abw.bin: cannot open the weights file: No such file" "$T/out"; then pass wfile_missing_message
        else fail wfile_missing_message "exit $rc: $(cat "$T/out")"; fi
        head -c 1000 "$W/abw.bin.keep" >"$W/abw.bin"
        (cd "$W" && ./drv "$T/ref_abalone/in_1.bin" 1 got.bin) >"$T/out" 2>&1
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
