# Keras writers: legacy h5 -> Keras 3 .weights.h5 / .keras read back with h5py
# under the paths Keras 3 uses (computed here independently from the config
# with Keras' own snake_case rule), values equal; .keras round trip keeps
# config.json; --naming index; refusals when there is no config.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
need_shared keras_write || exit 0

cat > "$T/k3ref.py" <<'PY'
# k3ref.py LEGACY_H5 OUT(.weights.h5|.keras): every legacy weight is at the
# Keras 3 path derived from the config, with equal values; vars@name = layer.
import io, json, re, sys, zipfile
import h5py
import numpy as np

def snake(name):                       # keras/src/utils/naming.py to_snake_case
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()

src = h5py.File(sys.argv[1], "r")
out = sys.argv[2]
dst = h5py.File(io.BytesIO(zipfile.ZipFile(out).read("model.weights.h5")), "r") if out.endswith(".keras") else h5py.File(out, "r")
cfg = json.loads(src.attrs["model_config"])
seq = cfg["class_name"] == "Sequential"
counts, where = {}, {}
for l in cfg["config"]["layers"]:
    if seq and l["class_name"] == "InputLayer":
        continue
    s = snake(l["class_name"])
    n = counts.get(s, 0)
    counts[s] = n + 1
    where[l["config"]["name"]] = (s if n == 0 else "%s_%d" % (s, n), l["class_name"])
mw = src["model_weights"]
checked = 0
for ln in mw.attrs["layer_names"]:
    ln = ln.decode() if isinstance(ln, bytes) else ln
    wn = [w.decode() if isinstance(w, bytes) else w for w in mw[ln].attrs.get("weight_names", [])]
    seg, cls = where[ln]
    obj = "layers/" + seg + ("/cell" if cls in ("LSTM", "GRU", "SimpleRNN") else "")
    if wn:
        assert dst["layers/" + seg + "/vars"].attrs["name"] == ln, (ln, dict(dst["layers/" + seg + "/vars"].attrs))
    for i, w in enumerate(wn):
        a, b = mw[ln][w][()], dst["%s/vars/%d" % (obj, i)][()]
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), (ln, w)
        checked += 1
n = []
dst.visititems(lambda k, o: n.append(k) if isinstance(o, h5py.Dataset) else None)
assert len(n) == checked and checked > 0, (len(n), checked)
print("checked", checked)
PY

for f in "$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5" "$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5"; do
    n=$(basename "$f" | tr -c 'a-zA-Z0-9\n' _)
    if "$CKPT" convert "$f" --to keras-weights -o "$T/$n.weights.h5" >/dev/null 2>"$T/err"; then
        check "legacy_to_keras_weights_$n" $PY "$T/k3ref.py" "$f" "$T/$n.weights.h5"
    else fail "legacy_to_keras_weights_$n" "$(cat "$T/err")"; fi
    if "$CKPT" convert "$f" --to keras -o "$T/$n.keras" >/dev/null 2>"$T/err"; then
        check "legacy_to_keras_$n" $PY "$T/k3ref.py" "$f" "$T/$n.keras"
        $PY - "$f" "$T/$n.keras" <<'PY' && pass "keras_zip_members_$n" || fail "keras_zip_members_$n"
import json, sys, zipfile, h5py
z = zipfile.ZipFile(sys.argv[2])
assert [i.filename for i in z.infolist()] == ["metadata.json", "config.json", "model.weights.h5"]
assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
assert json.loads(z.read("config.json")) == json.loads(h5py.File(sys.argv[1], "r").attrs["model_config"])
assert json.loads(z.read("metadata.json"))["keras_version"].startswith("3.")
PY
        # ckpt reads its own output back with the same names and no findings
        expect_exit 0 "keras_output_checks_clean_$n" "$CKPT" check "$T/$n.keras"
    else fail "legacy_to_keras_$n" "$(cat "$T/err")"; fi
done

# .keras round trip: config.json intact, same weights at the same paths
K3=$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras
"$CKPT" convert "$K3" --to keras -o "$T/rt.keras" >/dev/null 2>"$T/err" || fail keras_roundtrip "$(cat "$T/err")"
$PY - "$K3" "$T/rt.keras" <<'PY' && pass keras_roundtrip_config_and_weights || fail keras_roundtrip_config_and_weights
import io, json, sys, zipfile, h5py, numpy as np
a, b = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2])
assert json.loads(a.read("config.json")) == json.loads(b.read("config.json"))
fa = h5py.File(io.BytesIO(a.read("model.weights.h5")), "r")
fb = h5py.File(io.BytesIO(b.read("model.weights.h5")), "r")
da, db = {}, {}
fa.visititems(lambda k, o: da.__setitem__(k, o[()]) if isinstance(o, h5py.Dataset) else None)
fb.visititems(lambda k, o: db.__setitem__(k, o[()]) if isinstance(o, h5py.Dataset) else None)
assert da.keys() == db.keys() and da, (sorted(da), sorted(db))
for k in da:
    assert da[k].dtype == db[k].dtype and np.array_equal(da[k], db[k]), k
PY
expect_exit 0 keras_weights_from_keras3 "$CKPT" convert "$FIX/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras" --to keras-weights -o "$T/nested.weights.h5"

# --naming index: {layer}.weight_{i} in Keras weight order; keras is the default
RNN=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
"$CKPT" convert "$RNN" --naming index -o "$T/idx.safetensors" >/dev/null 2>"$T/err"
$PY - "$RNN" "$T/idx.safetensors" <<'PY' && pass naming_index || fail naming_index "$(cat "$T/err")"
import sys, h5py, numpy as np, stio
src = h5py.File(sys.argv[1], "r")["model_weights"]
st = stio.read(sys.argv[2])
want = {}
for ln in src.attrs["layer_names"]:
    ln = ln.decode()
    for i, w in enumerate(src[ln].attrs["weight_names"]):
        want["%s.weight_%d" % (ln, i)] = src[ln][w.decode()][()]
assert list(st) == list(want), (list(st), list(want))
for k in want:
    assert np.array_equal(st[k], want[k]), k
PY
expect_exit 2 naming_unknown_is_usage "$CKPT" convert "$RNN" --naming nope -o "$T/x.safetensors"

# refusals: no config -> no Keras 3 paths; non-Keras input
$PY -c "
import sys; sys.path.insert(0, '$ROOT/tests')
from kgen import write
write('$T/noconf.h5', None, [['dense', [['kernel', (4, 8)], ['bias', (8,)]]]], weights_only=True)
"
expect_exit 3 keras_weights_needs_config "$CKPT" convert "$T/noconf.h5" --to keras-weights -o "$T/nc.weights.h5"
grep -q "config" "$T/err" && pass keras_weights_refusal_says_why || fail keras_weights_refusal_says_why "$(cat "$T/err")"
[ ! -e "$T/nc.weights.h5" ] && pass keras_refusal_writes_nothing || fail keras_refusal_writes_nothing
"$CKPT" convert "$RNN" -o "$T/plain.safetensors" >/dev/null 2>&1
expect_exit 3 keras_from_safetensors_refused "$CKPT" convert "$T/plain.safetensors" --to keras -o "$T/p.keras"

# a Sequential nested in a functional model (legacy): weights under the
# nested group, names sequential/dense/kernel, Keras 3 paths layers/sequential/layers/dense
$PY - "$T" <<'PY'
import sys
from kgen import write, dense
d = sys.argv[1]
inner = {"class_name": "Sequential", "name": "sequential", "config": {"name": "sequential", "layers": [dense("dense", 8), dense("dense_1", 2)]},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]}
cfg = {"class_name": "Functional", "config": {"name": "model", "layers": [
    {"class_name": "InputLayer", "name": "input_1", "config": {"name": "input_1", "batch_input_shape": [None, 4]}, "inbound_nodes": []},
    inner,
    {"class_name": "Dense", "name": "head", "config": {"name": "head", "units": 3}, "inbound_nodes": [[["sequential", 0, 0, {}]]]}],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["head", 0, 0]]}}
write(d + "/nested.h5", cfg, [["input_1", []],
    ["sequential", [["dense/kernel", (4, 8)], ["dense/bias", (8,)], ["dense_1/kernel", (8, 2)], ["dense_1/bias", (2,)]]],
    ["head", [["kernel", (2, 3)], ["bias", (3,)]]]])
PY
"$CKPT" ls --json "$T/nested.h5" >"$T/nested.json" 2>"$T/err"
$PY -c "
import json
n = [t['name'] for t in json.load(open('$T/nested.json'))['tensors']]
assert n == ['sequential/dense/kernel', 'sequential/dense/bias', 'sequential/dense_1/kernel', 'sequential/dense_1/bias', 'head/kernel', 'head/bias'], n
" && pass nested_legacy_names || fail nested_legacy_names "$(cat "$T/err") $(head -c 300 "$T/nested.json")"
expect_exit 0 nested_legacy_check_clean "$CKPT" check "$T/nested.h5"
"$CKPT" info --json "$T/nested.h5" | grep -q '"output_shape":"(None, 3)"' && pass nested_output_shape || fail nested_output_shape
"$CKPT" convert "$T/nested.h5" --to keras-weights -o "$T/nested.weights.h5" >/dev/null 2>"$T/err"
$PY - "$T" <<'PY' && pass nested_keras3_paths || fail nested_keras3_paths "$(cat "$T/err")"
import sys, h5py, numpy as np
d = sys.argv[1]
a, b = h5py.File(d + "/nested.h5", "r")["model_weights"], h5py.File(d + "/nested.weights.h5", "r")
pairs = {"sequential/dense/kernel:0": "layers/sequential/layers/dense/vars/0", "sequential/dense/bias:0": "layers/sequential/layers/dense/vars/1",
         "sequential/dense_1/kernel:0": "layers/sequential/layers/dense_1/vars/0", "head/head/kernel:0": "layers/dense/vars/0",
         "head/head/bias:0": "layers/dense/vars/1"}
for s, t in pairs.items():
    assert np.array_equal(a[s][()], b[t][()]), (s, t)
assert b["layers/dense/vars"].attrs["name"] == "head" and b["layers/sequential/layers/dense_1/vars"].attrs["name"] == "dense_1"
PY

# the Keras writers make one HDF5 file: a shard size or a .weights.json name
# is a usage error, and nothing is written
KS=$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras
if need_shared keras_write_no_shards; then
    mkdir -p "$T/ns"
    expect_exit 2 keras_weights_shard_size_refused "$CKPT" convert "$KS" -o "$T/ns/x.weights.h5" --shard-size 4KB
    grep -q "shard-size is not supported" "$T/err" && pass keras_weights_shard_size_says_why || fail keras_weights_shard_size_says_why "$(cat "$T/err")"
    expect_exit 2 keras_weights_json_name_refused "$CKPT" convert "$KS" -o "$T/ns/x.weights.json"
    grep -q "name it NAME.weights.h5" "$T/err" && pass keras_weights_json_name_says_why || fail keras_weights_json_name_says_why "$(cat "$T/err")"
    expect_exit 2 keras_archive_shard_size_refused "$CKPT" convert "$KS" -o "$T/ns/x.keras" --shard-size 4KB
    [ -z "$(ls -A "$T/ns")" ] && pass keras_no_shards_nothing_written || fail keras_no_shards_nothing_written "$(ls -A "$T/ns")"
fi
