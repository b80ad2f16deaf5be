#!/bin/bash
# Keras 2 -> Keras 3 naming on the real Keras 2 files: `--map preset:keras2-keras3`
# and `--to keras-weights` put every weight at the path Keras 3 loads it from.
# The reference (tests/k3paths.py) derives those paths from the file's config
# with Python alone (class -> snake_case, counter per container, vars/i in
# weight_names order) and reads the values with h5py.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
need_shared remap_keras_real || exit 0

run() { # NAME SRC [ARCH.json]
    local n=$1 src=$2 arch=${3:-}
    $PY "$ROOT/tests/k3paths.py" "$src" $arch > "$T/$n.want.json" || { fail "remap_keras_ref_$n" "k3paths.py failed"; return; }
    expect_exit 0 "remap_keras_preset_$n" "$CKPT" convert "$src" -o "$T/$n.safetensors" --map preset:keras2-keras3 --quiet
    check "remap_keras_preset_${n}_paths" $PY - "$T/$n.want.json" "$T/$n.safetensors" "$src" <<'EOF2'
import json, sys, h5py, numpy as np, stio
want = json.load(open(sys.argv[1]))
got = stio.read(sys.argv[2])
src = h5py.File(sys.argv[3], "r")
assert set(got) == set(want), ("missing", sorted(set(want) - set(got)), "extra", sorted(set(got) - set(want)))
for path, ds in want.items():
    a = got[path]
    b = src[ds][()]
    assert a.shape == b.shape and np.array_equal(a, b), (path, ds)
EOF2
    expect_exit 0 "remap_keras_weights_$n" "$CKPT" convert "$src" -o "$T/$n.weights.h5" --to keras-weights --quiet
    check "remap_keras_weights_${n}_paths" $PY - "$T/$n.want.json" "$T/$n.weights.h5" "$src" <<'EOF2'
import json, sys, h5py, numpy as np
want = json.load(open(sys.argv[1]))
out = h5py.File(sys.argv[2], "r")
src = h5py.File(sys.argv[3], "r")
got = []
out.visititems(lambda name, o: got.append(name) if isinstance(o, h5py.Dataset) else None)
assert set(got) == set(want), ("missing", sorted(set(want) - set(got)), "extra", sorted(set(got) - set(want)))
for path, ds in want.items():
    assert np.array_equal(out[path][()], src[ds][()]), (path, ds)
EOF2
}

X=$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5
run xception "$X"
# the reference must be one that renumbers: Keras 2.0.5 named the first conv conv2d_1
check remap_keras_renumbered $PY -c "
import json; w = json.load(open('$T/xception.want.json'))
assert w['layers/conv2d/vars/0'] == '/model_weights/conv2d_1/conv2d_1/kernel:0', w.get('layers/conv2d/vars/0')"
run rnn "$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5"
H=$FIX/keras2_weights_h5/hls4ml-KERAS_3layer
run hls4ml "$H/KERAS_3layer_weights.h5" "$H/KERAS_3layer.json"

# maps --preview shows the same names, and the config-less fallback is said
expect_exit 0 remap_keras_preview "$CKPT" maps --preview "$X" --map preset:keras2-keras3 --json
check remap_keras_preview_names $PY -c "
import json; j = json.load(open('$T/out')); w = json.load(open('$T/xception.want.json'))
assert {t['name'] for t in j['tensors']} == set(w) and not j['warnings'], j['warnings']"
$PY - "$T" <<'EOF2'
import sys, numpy as np, stio
stio.write(f"{sys.argv[1]}/k2.safetensors", {"dense_1/kernel:0": np.zeros((3, 4), np.float32), "dense_1/bias:0": np.zeros((4,), np.float32)})
EOF2
expect_exit 0 remap_keras_noconfig "$CKPT" convert "$T/k2.safetensors" -o "$T/k3.safetensors" --map preset:keras2-keras3
grep -q "2 tensors matched but have no @keras3 name (no Keras model config places them)" "$T/err" \
    && pass remap_keras_noconfig_warned || fail remap_keras_noconfig_warned "$(cat "$T/err")"
check remap_keras_noconfig_fallback $PY -c "
import stio; got = set(stio.read('$T/k3.safetensors'))
assert got == {'layers/dense_1/vars/0', 'layers/dense_1/vars/1'}, got"
