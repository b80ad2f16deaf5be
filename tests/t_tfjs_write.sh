# --to tfjs: TF.js layers models written from every Keras fixture (Keras 2
# .h5, weights .h5 + JSON, Keras 3 .keras, .weights.h5 + config.json), from
# generated Keras 3 Functional and nested Keras 2 models, and re-sharded /
# re-quantized from TF.js layers models. Each output is loaded by
# TensorFlow.js 4.22 in Node (tf.loadLayersModel, strict, through a file
# IOHandler: tests/node/tfjs_layers_load.js), predicts on random inputs, and
# model.getWeights() is compared by tests/tfjs_wref.py with the source read by
# h5py / zipfile / json: bit for bit, or as tensorflowjs_converter's
# quantization (its NumPy code) gives them, within its error bound.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node_lib.sh" tfjs_write_node
export PYTHONPATH=$ROOT/tests

clean_node() { grep -v -e '^Hi, looks like' -e '^====' -e '^$' -e 'tfjs-node' -e 'github.com/tensorflow' "$@"; }

# roundtrip NAME SRC [convert options...]: convert, load in TF.js, compare
roundtrip() {
    local name=$1 src=$2; shift 2
    local out=$T/o/$name ref=()
    local a=("$@")
    for ((k = 0; k < ${#a[@]}; k++)); do
        [ "${a[k]}" = --quantize ] && ref+=(--quantize "${a[k + 1]}")
        [ "${a[k]}" = --quantize-only ] && ref+=(--only "${a[k + 1]}")
    done
    if ! "$CKPT" convert --quiet "$src" --to tfjs -o "$out" "$@" 2>"$T/err"; then
        fail "${name}_convert" "$(cat "$T/err")"; return 1
    fi
    pass "${name}_convert"
    [ $have_tfjs = 1 ] || return 0
    if (cd "$NODEDIR" && node tfjs_layers_load.js "$out/model.json" "$T/$name.dump.json") >"$T/node.out" 2>&1 \
        && grep -q "^loaded .* predicted" "$T/node.out"; then
        pass "${name}_loads_and_predicts_in_tfjs"
    else
        fail "${name}_loads_and_predicts_in_tfjs" "$(clean_node "$T/node.out" | tail -3 | tr '\n' ' ')"; return 1
    fi
    if $PY "$ROOT/tests/tfjs_wref.py" "$src" "$T/$name.dump.json" "$out/model.json" "${ref[@]}" >"$T/ref.out" 2>&1; then
        pass "${name}_weights_equal_source"
    else
        fail "${name}_weights_equal_source" "$(tail -4 "$T/ref.out" | tr '\n' ' ')"; return 1
    fi
}

# nothing at OUT after a failed conversion (an empty directory that was
# there before stays empty)
nothing_left() {
    local name=$1 out=$2
    if [ ! -e "$out" ] || [ -z "$(ls -A "$out")" ]; then pass "${name}_nothing_left"
    else fail "${name}_nothing_left" "$(ls -A "$out" | head -3 | tr '\n' ' ')"; fi
}

# refused NAME CODE OUT PATTERN CMD...: CMD exits CODE, says PATTERN (grep
# regex) on stderr, and leaves nothing at OUT
refused() {
    local name=$1 code=$2 out=$3 pat=$4; shift 4
    expect_exit "$code" "${name}_refused" "$@"
    grep -q -- "$pat" "$T/err" && pass "${name}_message" || fail "${name}_message" "$(cat "$T/err")"
    nothing_left "$name" "$out"
}

# ---- generated models: Keras 3 Functional, Keras 2 nested Sequential ----------
mkdir -p "$T/gen/k3f" "$T/o"
$PY - "$T/gen" <<'PY'
import json, os, sys, zipfile
import h5py, numpy as np
import kgen
d = sys.argv[1]
rng = np.random.default_rng(7)
pol = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
def kt(layer, shape):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32", "keras_history": [layer, 0, 0]}}
def dense(name, units, src, shape, reg=None):
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "name": name,
            "config": {"name": name, "trainable": True, "dtype": pol, "units": units, "activation": "relu",
                       "use_bias": True, "kernel_regularizer": reg, "bias_regularizer": None,
                       "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                              "config": {"seed": None}, "registered_name": None}},
            "build_config": {"input_shape": shape},
            "inbound_nodes": [{"args": [kt(src, shape)], "kwargs": {}}]}
l2 = {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": None}
layers = [
    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "input_layer",
     "config": {"batch_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "input_layer"},
     "inbound_nodes": []},
    dense("left", 3, "input_layer", [None, 4], l2),
    dense("right", 5, "input_layer", [None, 4]),
    {"module": "keras.layers", "class_name": "Concatenate", "registered_name": None, "name": "concatenate",
     "config": {"name": "concatenate", "trainable": True, "dtype": pol, "axis": -1},
     "build_config": {"input_shape": [[None, 3], [None, 5]]},
     "inbound_nodes": [{"args": [[kt("left", [None, 3]), kt("right", [None, 5])]], "kwargs": {}}]},
    {"module": "keras.layers", "class_name": "BatchNormalization", "registered_name": None, "name": "bn",
     "config": {"name": "bn", "trainable": True, "dtype": pol, "axis": -1, "momentum": 0.99, "epsilon": 0.001,
                "center": True, "scale": True, "synchronized": False},
     "inbound_nodes": [{"args": [kt("concatenate", [None, 8])], "kwargs": {"training": False}}]},
    dense("out", 2, "bn", [None, 8]),
]
cfg = {"module": "keras", "class_name": "Functional", "registered_name": "Functional",
       "config": {"name": "functional", "trainable": True, "layers": layers,
                  "input_layers": ["input_layer", 0, 0], "output_layers": [["out", 0, 0]]},
       "build_config": {"input_shape": None}, "compile_config": None}
json.dump(cfg, open(f"{d}/k3f/config.json", "w"))
# Keras 3 H5IOStore paths: layers/<snake class name, numbered per class>/vars/<i>
with h5py.File(f"{d}/k3f/model.weights.h5", "w") as f:
    def put(path, arrays):
        g = f.create_group(path + "/vars")
        for i, a in enumerate(arrays):
            g.create_dataset(str(i), data=a.astype("<f4"))
    f.create_group("layers/input_layer/vars")
    put("layers/dense", [rng.standard_normal((4, 3)), rng.standard_normal(3)])
    put("layers/dense_1", [rng.standard_normal((4, 5)), rng.standard_normal(5)])
    f.create_group("layers/concatenate/vars")
    put("layers/batch_normalization", [rng.standard_normal(8), rng.standard_normal(8), rng.standard_normal(8),
                                       rng.uniform(0.5, 2, 8)])
    put("layers/dense_2", [rng.standard_normal((8, 2)), rng.standard_normal(2)])
    f.create_group("vars")
with zipfile.ZipFile(f"{d}/k3f.keras", "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0", "date_saved": "2026-12-03@00:00:00"}))
    z.writestr("config.json", json.dumps(cfg))
    z.write(f"{d}/k3f/model.weights.h5", "model.weights.h5")
# Keras 3 Sequential without an InputLayer: the input shape is only in build_input_shape
os.makedirs(f"{d}/k3s", exist_ok=True)
seq3 = {"module": "keras", "class_name": "Sequential", "registered_name": None,
        "config": {"name": "sequential", "trainable": True, "dtype": pol, "build_input_shape": [None, 6],
                   "layers": [{"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                               "config": {"name": "d", "units": 3, "dtype": pol, "use_bias": True},
                               "build_config": {"input_shape": [None, 6]}}]},
        "build_config": {"input_shape": [None, 6]}}
json.dump(seq3, open(f"{d}/k3s/config.json", "w"))
with h5py.File(f"{d}/k3s/model.weights.h5", "w") as f:
    g = f.create_group("layers/dense/vars")
    g.create_dataset("0", data=rng.standard_normal((6, 3)).astype("<f4"))
    g.create_dataset("1", data=rng.standard_normal(3).astype("<f4"))
    f.create_group("vars")
# Keras 2: a Sequential nested in a Sequential (h5 weight names "d1/kernel:0"
# in the group "inner"), and one Dense large enough for two default shards
inner = {"class_name": "Sequential", "config": {"name": "inner", "layers": [kgen.dense("d1", 3, 4), kgen.dense("d2", 5)]}}
kgen.write(f"{d}/nested.h5", {"class_name": "Sequential", "config": {"name": "outer", "layers": [inner, kgen.dense("d3", 2)]}},
           [["inner", [["d1/kernel", [4, 3]], ["d1/bias", [3]], ["d2/kernel", [3, 5]], ["d2/bias", [5]]]],
            ["d3", [["kernel", [5, 2]], ["bias", [2]]]]])
# Keras 2 wrappers and RNNs: Bidirectional(LSTM), TimeDistributed(Dense), GRU
# (tf.keras 2 weight names, with the cell scope TF.js drops); a GRU with
# reset_after=True, which tfjs-layers lacks
def rnn_model(reset_after):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Bidirectional", "config": {"name": "bidirectional", "batch_input_shape": [None, 3, 2], "merge_mode": "concat",
                                                   "layer": {"class_name": "LSTM", "config": {"name": "lstm", "units": 2, "return_sequences": True}}}},
        {"class_name": "TimeDistributed", "config": {"name": "td", "layer": {"class_name": "Dense", "config": {"name": "dd", "units": 2}}}},
        {"class_name": "GRU", "config": {"name": "gru", "units": 2, "reset_after": reset_after}}]}}
lstm = [[f"bidirectional/{d}_lstm/lstm_cell/{w}", s] for d in ("forward", "backward")
        for w, s in (("kernel", [2, 8]), ("recurrent_kernel", [2, 8]), ("bias", [8]))]
for ra, bias in ((False, [6]), (True, [2, 6])):
    kgen.write(f"{d}/wrappers{'_reset_after' if ra else ''}.h5", rnn_model(ra),
               [["bidirectional", lstm], ["td", [["td/kernel", [4, 2]], ["td/bias", [2]]]],
                ["gru", [["gru/gru_cell/kernel", [2, 6]], ["gru/gru_cell/recurrent_kernel", [2, 6]], ["gru/gru_cell/bias", bias]]]])
kgen.write(f"{d}/big.h5", kgen.seq(kgen.dense("wide", 1100, 1000)), [["wide", [["kernel", [1000, 1100]], ["bias", [1100]]]]])
PY

roundtrip gen_keras3_functional "$T/gen/k3f/model.weights.h5"
roundtrip gen_keras3_functional_zip "$T/gen/k3f.keras"
if $PY -c '
import json, sys
c = json.load(open(sys.argv[1]))["modelTopology"]["model_config"]
s = json.dumps(c)
L = {l["name"]: l for l in c["config"]["layers"]}
ok = ("module" not in s and "registered_name" not in s and "__keras_tensor__" not in s and "DTypePolicy" not in s
      and L["input_layer"]["config"]["batch_input_shape"] == [None, 4]
      and L["concatenate"]["inbound_nodes"] == [[["left", 0, 0, {}], ["right", 0, 0, {}]]]
      and L["bn"]["inbound_nodes"] == [[["concatenate", 0, 0, {"training": False}]]]
      and L["left"]["config"]["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0, "l2": 0.01}}
      and L["left"]["config"]["dtype"] == "float32"
      and c["config"]["input_layers"] == [["input_layer", 0, 0]])
sys.exit(0 if ok else 1)' "$T/o/gen_keras3_functional/model.json"; then pass keras3_functional_translated
else fail keras3_functional_translated "$(head -c 400 "$T/o/gen_keras3_functional/model.json")"; fi
roundtrip gen_keras3_sequential_no_input "$T/gen/k3s/model.weights.h5"
grep -q '"class_name":"Dense","config":{"name":"d","units":3,"dtype":"float32","use_bias":true,"batch_input_shape":\[null,6\]}' \
    "$T/o/gen_keras3_sequential_no_input/model.json" && pass keras3_build_input_shape_moved \
    || fail keras3_build_input_shape_moved "$(head -c 400 "$T/o/gen_keras3_sequential_no_input/model.json")"
roundtrip gen_nested_sequential "$T/gen/nested.h5"
grep -q '"name":"d1/kernel"' "$T/o/gen_nested_sequential/model.json" && pass nested_names_as_tfjs \
    || fail nested_names_as_tfjs "$(grep -o '"weights":.*' "$T/o/gen_nested_sequential/model.json" | head -c 200)"

roundtrip gen_wrappers_rnn "$T/gen/wrappers.h5"
refused gru_reset_after 3 "$T/bad/gru" "layer 'gru': GRU with reset_after=true has no TF.js equivalent" \
    "$CKPT" convert "$T/gen/wrappers_reset_after.h5" --to tfjs -o "$T/bad/gru"

# default shard size: 4 MiB, as tensorflowjs_converter (4,404,400 weight bytes)
roundtrip gen_big "$T/gen/big.h5"
s1=$(stat -c %s "$T/o/gen_big/group1-shard1of2.bin" 2>/dev/null) s2=$(stat -c %s "$T/o/gen_big/group1-shard2of2.bin" 2>/dev/null)
[ "${s1:-}" = 4194304 ] && [ "${s2:-}" = $((4404400 - 4194304)) ] && pass default_shards_4mib \
    || fail default_shards_4mib "$(ls -l "$T/o/gen_big")"

# ---- the real Keras fixtures --------------------------------------------------
if need_shared tfjs_write_fixtures; then
    K2=$FIX/keras2_h5 K3=$FIX/keras3_keras
    roundtrip rnn_h5 "$K2/konverter-rnn_model/rnn_model.h5"
    roundtrip xception_h5 "$K2/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5"
    # optimizer state goes to the "optimizer" group, which TF.js keeps apart from the layers
    roundtrip rnn_h5_optimizer "$K2/konverter-rnn_model/rnn_model.h5" --include-optimizer
    n=$(grep -o '"group":"optimizer"' "$T/o/rnn_h5_optimizer/model.json" | wc -l)
    [ "$n" = 21 ] && pass optimizer_group || fail optimizer_group "$n optimizer weights"
    roundtrip hls4ml_weights_json "$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5"
    roundtrip lstm_keras "$K3/keras-mlx_lstm_sequential/model.keras"
    # the Keras 3 .weights.h5 with its config beside it (config.json from the .keras)
    mkdir -p "$T/k3w"
    cp "$FIX/keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5" "$T/k3w/"
    unzip -p "$K3/keras-mlx_lstm_sequential/model.keras" config.json >"$T/k3w/config.json"
    roundtrip lstm_weights_h5 "$T/k3w/model.weights.h5"
    grep -q '"mask_value":0' "$T/o/lstm_keras/model.json" && grep -q '"batch_input_shape":\[2,3,2\]' "$T/o/lstm_keras/model.json" \
        && pass keras3_sequential_translated || fail keras3_sequential_translated "$(head -c 300 "$T/o/lstm_keras/model.json")"

    # quantization, as tensorflowjs_converter --quantize_uint8/uint16/float16
    X=$K2/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5
    roundtrip xception_uint8 "$X" --quantize uint8
    roundtrip xception_uint16 "$X" --quantize uint16
    roundtrip xception_float16 "$X" --quantize float16
    roundtrip rnn_uint8 "$K2/konverter-rnn_model/rnn_model.h5" --quantize uint8
    roundtrip lstm_keras_float16 "$K3/keras-mlx_lstm_sequential/model.keras" --quantize float16
    roundtrip xception_only "$X" --quantize uint8 --quantize-only 'conv2d_*,*/depthwise_kernel'
    n=$(grep -o '"quantization"' "$T/o/xception_only/model.json" | wc -l)
    nw=$(grep -o '"original_dtype"' "$T/o/xception_uint8/model.json" | wc -l)
    [ "$n" -gt 0 ] && [ "$n" -lt "$nw" ] && pass quantize_only_subset || fail quantize_only_subset "$n of $nw quantized"
    s8=$(cat "$T"/o/xception_uint8/*.bin | wc -c) s32=$(cat "$T"/o/xception_h5/*.bin | wc -c)
    [ $((s8 * 4)) = "$s32" ] && pass uint8_quarter_size || fail uint8_quarter_size "$s8 vs $s32"

    # ---- TF.js layers models: re-shard, re-quantize ----------------------------
    L=$FIX/tfjs_layers
    roundtrip e2e_layers "$L/tfjs-e2e-layers_model"
    roundtrip abalone "$L/tfjsex-abalone/model.json"
    roundtrip e2e_reshard "$L/tfjs-e2e-layers_model/model.json" --shard-size 4KiB
    paths=$($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["weightsManifest"][0]["paths"]))' "$T/o/e2e_reshard/model.json")
    sizes=$(cd "$T/o/e2e_reshard" && stat -c %s $paths 2>/dev/null | tr '\n' ' ')
    [ "$paths" = "group1-shard1of3.bin group1-shard2of3.bin group1-shard3of3.bin" ] && [ "$sizes" = "4096 4096 1008 " ] \
        && pass reshard_names_sizes || fail reshard_names_sizes "$paths / $sizes"
    # a quantized TF.js model in, float16 out: the source values are its dequantized ones
    roundtrip requantize "$T/o/xception_uint8/model.json" --quantize float16
    roundtrip abalone_uint16 "$L/tfjsex-abalone" --quantize uint16
    # -o DIR/model.json, several shards
    "$CKPT" convert --quiet "$X" -o "$T/named/model.json" --shard-size 20000 2>"$T/err" \
        && [ "$(ls "$T/named" | tr '\n' ' ')" = "group1-shard1of4.bin group1-shard2of4.bin group1-shard3of4.bin group1-shard4of4.bin model.json " ] \
        && pass output_named_model_json || fail output_named_model_json "$(cat "$T/err"; ls "$T/named")"

    # the reference sees a wrong value (one byte of a shard flipped)
    if [ $have_tfjs = 1 ] && [ -f "$T/o/abalone/group1-shard1of1.bin" ]; then
        cp -r "$T/o/abalone" "$T/flip"
        printf '\x55' | dd of="$T/flip/group1-shard1of1.bin" bs=1 seek=4001 conv=notrunc 2>/dev/null
        (cd "$NODEDIR" && node tfjs_layers_load.js "$T/flip/model.json" "$T/flip.dump.json") >/dev/null 2>&1
        if ! $PY "$ROOT/tests/tfjs_wref.py" "$L/tfjsex-abalone" "$T/flip.dump.json" "$T/flip/model.json" >"$T/ref.out" 2>&1 \
            && grep -q "values differ" "$T/ref.out"; then pass reference_sees_a_flipped_byte
        else fail reference_sees_a_flipped_byte "$(tail -2 "$T/ref.out")"; fi
    fi

    # ---- what cannot be written ----------------------------------------------
    G=$FIX/tfjs_graph/tfjs-e2e-graph_model/model.json
    refused graph_model 3 "$T/bad/g" "graph_model/model.json: a TF.js graph model has no Keras model config.*convert it to .*safetensors" \
        "$CKPT" convert "$G" --to tfjs -o "$T/bad/g"
    refused subclassed 3 "$T/bad/s" "subclassed model NestedDenseModel lists no layers.*convert it to safetensors" \
        "$CKPT" convert "$K3/keras-nested_container/pre_pr22362_nested_container.keras" --to tfjs -o "$T/bad/s"
    refused safetensors 3 "$T/bad/st" "mnist.safetensors: this input has no Keras model config" \
        "$CKPT" convert "$FIX/safetensors/burn-mnist/mnist.safetensors" --to tfjs -o "$T/bad/st"
    # a layer class TF.js has not, a dtype policy it cannot compute in
    mkdir -p "$T/lam" "$T/mixed" "$T/nan" "$T/bad/pre"
    cp "$L/tfjsex-abalone/weights.bin" "$T/lam/"
    $PY - "$L/tfjsex-abalone/model.json" "$T/lam/model.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["modelTopology"]["config"]["layers"][1]["class_name"] = "Lambda"
json.dump(m, open(sys.argv[2], "w"))
PY
    refused unknown_layer 3 "$T/bad/pre" "layer 'dense_Dense2': class Lambda has no TF.js layers equivalent" \
        "$CKPT" convert "$T/lam" --to tfjs -o "$T/bad/pre"
    cp "$T/k3w/model.weights.h5" "$T/mixed/"
    $PY - "$T/k3w/config.json" "$T/mixed/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["config"]["layers"][2]["config"]["dtype"]["config"]["name"] = "mixed_float16"
json.dump(c, open(sys.argv[2], "w"))
PY
    refused mixed_policy 3 "$T/bad/m" "layer 'lstm': dtype policy 'mixed_float16' has no TF.js equivalent" \
        "$CKPT" convert "$T/mixed/model.weights.h5" --to tfjs -o "$T/bad/m"
    # NaN in a weight to quantize: refused, naming the tensor, nothing left
    cp "$L/tfjsex-abalone/model.json" "$T/nan/"
    $PY -c 'import numpy as np, sys; a = np.fromfile(sys.argv[1], "<f4"); a[3] = np.nan; a.tofile(sys.argv[2])' \
        "$L/tfjsex-abalone/weights.bin" "$T/nan/weights.bin"
    refused nan_quantize 3 "$T/bad/n" "tensor 'dense_Dense1/kernel': element 3 is NaN: uint8 quantization needs finite values" \
        "$CKPT" convert "$T/nan" --to tfjs -o "$T/bad/n" --quantize uint8
    "$CKPT" convert --quiet "$T/nan" --to tfjs -o "$T/o/nan_plain" --quantize float16 2>"$T/err" \
        && pass nan_float16_written || fail nan_float16_written "$(cat "$T/err")"
    refused bad_quantize 2 "$T/bad/q" "quantize wants uint8, uint16 or float16" \
        "$CKPT" convert "$X" --to tfjs -o "$T/bad/q" --quantize int4
    refused naming_index 2 "$T/bad/q" "only --naming keras applies" \
        "$CKPT" convert "$X" --to tfjs -o "$T/bad/q" --naming index
    refused quantize_only_alone 2 "$T/bad/q" "quantize-only needs --quantize" \
        "$CKPT" convert "$X" --to tfjs -o "$T/bad/q" --quantize-only 'conv*'
fi

"$CKPT" formats >"$T/out.txt" 2>&1
grep -q "^tfjs  *rw " "$T/out.txt" && pass formats_lists_tfjs_rw || fail formats_lists_tfjs_rw "$(grep tfjs "$T/out.txt")"
