# Keras readers against h5py: every real Keras fixture is listed with the
# same datasets, shapes and dtypes as h5py sees, converted to safetensors and
# read back with NumPy with values equal to h5py's; names follow the rules
# (legacy layer/weight, Keras 3 vars@name + semantic names); info facts.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
need_shared keras_read || exit 0

K2=$FIX/keras2_h5
files=(
  "$K2/konverter-rnn_model/rnn_model.h5"
  "$K2/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5"
  "$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5"
  "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras"
  "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras"
  "$FIX/keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5"
)
for f in "${files[@]}"; do
    n=$(basename "$f" | tr -c 'a-zA-Z0-9\n' _)
    if ! "$CKPT" ls --json "$f" >"$T/ls.json" 2>"$T/err"; then fail "ls_$n" "$(cat "$T/err")"; continue; fi
    if ! "$CKPT" convert "$f" --include-optimizer -o "$T/$n.safetensors" >/dev/null 2>"$T/err"; then
        fail "convert_$n" "$(cat "$T/err")"; continue
    fi
    check "ls_and_values_vs_h5py_$n" $PY "$ROOT/tests/kref.py" ls "$f" "$T/ls.json" "$T/$n.safetensors"
    case "$f" in
      *.h5|*.hdf5) case "$f" in *.weights.h5) ;; *) check "legacy_names_$n" $PY "$ROOT/tests/kref.py" legacy-names "$f" "$T/ls.json";; esac;;
    esac
    rm -f "$T/$n.safetensors"
done

# Keras 3: real layer names from vars@name, semantic names from the class
check k3_names_lstm $PY "$ROOT/tests/kref.py" k3-names "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" \
    <("$CKPT" ls --json "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras") \
    '{"/layers/lstm/cell/vars/0":"kernel","/layers/lstm/cell/vars/1":"recurrent_kernel","/layers/lstm/cell/vars/2":"bias"}'
check k3_names_subclassed $PY "$ROOT/tests/kref.py" k3-names "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras" \
    <("$CKPT" ls --json "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras") \
    '{"/layers/dense/vars/0":"kernel","/layers/dense_1/vars/0":"kernel","/layers/dense_2/vars/0":"kernel","/layers/dense_3/vars/0":"kernel","/layers/dense_3/vars/1":"bias"}'

# optimizer state is listed but not converted unless asked
"$CKPT" convert "$K2/konverter-rnn_model/rnn_model.h5" -o "$T/noopt.safetensors" >/dev/null 2>"$T/err"
$PY -c "
import stio,sys
t=stio.read('$T/noopt.safetensors')
assert len(t)==10 and not any(k.startswith('optimizer/') for k in t), sorted(t)
" && pass optimizer_not_converted_by_default || fail optimizer_not_converted_by_default "$(cat "$T/err")"

# info: facts from the config and the weights, checked against h5py + json
"$CKPT" info --json "$K2/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5" >"$T/info.json" 2>"$T/err"
$PY - "$K2/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5" "$T/info.json" <<'PY' && pass info_facts_xception || fail info_facts_xception "$(head -c 400 "$T/info.json")"
import h5py, json, sys
import numpy as np
f = h5py.File(sys.argv[1], "r")
d = json.load(open(sys.argv[2]))["facts"]
cfg = json.loads(f.attrs["model_config"])
layers = [l for l in cfg["config"]["layers"] if l["class_name"] != "InputLayer"]
tr = ntr = 0
def v(name, o):
    global tr, ntr
    if isinstance(o, h5py.Dataset):
        if "moving_" in name: ntr += o.size
        else: tr += o.size
f["model_weights"].visititems(v)
assert d["keras_version"] == f.attrs["keras_version"], d
assert d["backend"] == "tensorflow", d
assert int(d["layers"]) == len(layers), (d["layers"], len(layers))
assert int(d["trainable_params"]) == tr and int(d["non_trainable_params"]) == ntr, (d, tr, ntr)
shape = cfg["config"]["layers"][0]["config"]["batch_input_shape"]
assert d["input_shape"] == "(" + ", ".join("None" if x is None else str(x) for x in shape) + ")", d
# last conv has 7 filters, then global pooling and softmax: (None, 7)
assert d["output_shape"] == "(None, 7)", d
PY
"$CKPT" info --json "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" >"$T/info3.json" 2>"$T/err"
$PY - "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" "$T/info3.json" <<'PY' && pass info_facts_keras3 || fail info_facts_keras3 "$(head -c 400 "$T/info3.json")"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
meta = json.loads(z.read("metadata.json"))
cfg = json.loads(z.read("config.json"))
d = json.load(open(sys.argv[2]))
assert d["facts"]["keras_version"] == meta["keras_version"], d
assert d["metadata"]["date_saved"] == meta["date_saved"], d
units = [l for l in cfg["config"]["layers"] if l["class_name"] == "LSTM"][0]["config"]["units"]
bs = cfg["build_config"]["input_shape"]
assert d["facts"]["input_shape"] == "(%d, %d, %d)" % tuple(bs), d
assert d["facts"]["output_shape"] == "(%d, %d)" % (bs[0], units), d
PY

# temporary extraction of model.weights.h5 leaves nothing behind
before=$(ls -a /tmp /var/tmp ${TMPDIR:-/tmp} 2>/dev/null | grep -c '^\.ckpt-keras' || true)
"$CKPT" ls "$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras" >/dev/null
after=$(ls -a /tmp /var/tmp ${TMPDIR:-/tmp} 2>/dev/null | grep -c '^\.ckpt-keras' || true)
[ "$before" = "$after" ] && pass keras_zip_no_temp_left || fail keras_zip_no_temp_left "$before -> $after"
