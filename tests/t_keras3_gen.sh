# Keras 3 files written here with h5py as Keras' H5IOStore writes them:
# bfloat16 as a 2-byte opaque type with attr dtype="bfloat16", float16, bool;
# a sharded model.weights.json + 2 shards; an old file using
# _layer_checkpoint_dependencies; an unknown layer class kept as vars/N and
# noted by the check. Values read back through safetensors equal h5py's.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
mkdir -p "$T/sh" "$T/old" "$T/unk"
$PY - "$T" <<'PY'
import json, sys
import h5py, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(1)
def vars_group(f, obj, name, arrays, bf16=()):
    g = f.create_group(obj + "/vars" if obj else "vars")
    g.attrs["name"] = name
    for i, a in enumerate(arrays):
        if i in bf16:   # h5py has no bfloat16: Keras stores the raw 2 bytes as np.void
            ds = g.create_dataset(str(i), data=a.view("V2"))
            ds.attrs["dtype"] = "bfloat16"
        else:
            g.create_dataset(str(i), data=a)
k = (rng.standard_normal((4, 3)).astype("<f4").view("<u4") >> 16).astype("<u2")   # bf16 bits
with h5py.File(d + "/types.weights.h5", "w") as f:
    vars_group(f, "", "sequential", [])
    vars_group(f, "layers/dense", "dense", [k, rng.standard_normal(3).astype("<f2")], bf16=(0,))
    vars_group(f, "layers/embedding", "emb", [rng.integers(0, 2, (5,)).astype(bool)])
np.save(d + "/bf16_bits.npy", k)
# sharded: layers split over two files, indexed by model.weights.json
cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "hidden", "units": 8, "use_bias": True}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "out", "units": 2, "use_bias": True}}]}}
json.dump(cfg, open(d + "/sh/config.json", "w"))
with h5py.File(d + "/sh/model_00000.weights.h5", "w") as f:
    vars_group(f, "layers/dense", "hidden", [rng.standard_normal((4, 8)).astype("<f4"), np.zeros(8, "<f4")])
with h5py.File(d + "/sh/model_00001.weights.h5", "w") as f:
    vars_group(f, "layers/dense_1", "out", [rng.standard_normal((8, 2)).astype("<f4"), np.ones(2, "<f4")])
json.dump({"metadata": {"total_size": 120}, "weight_map": {
    "/layers/dense/vars": ["model_00000.weights.h5"], "/layers/dense_1/vars": ["model_00001.weights.h5"]}},
    open(d + "/sh/model.weights.json", "w"))
# Keras <= 2.13-era keras_v3 file: _layer_checkpoint_dependencies, no vars@name
with h5py.File(d + "/old/model.weights.h5", "w") as f:
    f.create_dataset("_layer_checkpoint_dependencies/dense/vars/0", data=rng.standard_normal((3, 2)).astype("<f4"))
    f.create_dataset("_layer_checkpoint_dependencies/dense/vars/1", data=np.zeros(2, "<f4"))
# an unknown layer class with weights, in a config
json.dump({"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
    {"module": None, "class_name": "MyLayer", "registered_name": "pkg>MyLayer", "config": {"name": "mine"}}]}},
    open(d + "/unk/config.json", "w"))
with h5py.File(d + "/unk/model.weights.h5", "w") as f:
    vars_group(f, "layers/my_layer", "mine", [np.arange(6, dtype="<f4")])
PY

"$CKPT" ls --json "$T/types.weights.h5" >"$T/ls.json" 2>"$T/err" || fail types_ls "$(cat "$T/err")"
"$CKPT" convert "$T/types.weights.h5" -o "$T/types.safetensors" >/dev/null 2>"$T/err" || fail types_convert "$(cat "$T/err")"
$PY - "$T" <<'PY' && pass keras3_bf16_f16_bool_values || fail keras3_bf16_f16_bool_values "$(head -c 300 "$T/ls.json")"
import json, struct, sys
import h5py, numpy as np
d = sys.argv[1]
ls = {t["name"]: t for t in json.load(open(d + "/ls.json"))["tensors"]}
assert ls["dense/kernel"]["dtype"] == "BF16" and ls["dense/kernel"]["shape"] == [4, 3], ls
assert ls["dense/bias"]["dtype"] == "F16" and ls["emb/embeddings"]["dtype"] == "BOOL", ls
b = open(d + "/types.safetensors", "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
def raw(k):
    s, e = h[k]["data_offsets"]
    return b[8 + n + s:8 + n + e]
f = h5py.File(d + "/types.weights.h5", "r")
assert raw("dense/kernel") == np.load(d + "/bf16_bits.npy").astype("<u2").tobytes()
assert raw("dense/bias") == f["layers/dense/vars/1"][()].astype("<f2").tobytes()
assert raw("emb/embeddings") == f["layers/embedding/vars/0"][()].astype("u1").tobytes()
PY
# Keras 3 output keeps bfloat16 as Keras stores it
"$CKPT" convert "$T/types.weights.h5" --to keras-weights -o "$T/types2.weights.h5" >/dev/null 2>"$T/err"
$PY - "$T" <<'PY' && pass keras3_bf16_written_as_keras || fail keras3_bf16_written_as_keras "$(cat "$T/err")"
import sys, h5py, numpy as np
d = sys.argv[1]
a, b = h5py.File(d + "/types.weights.h5", "r"), h5py.File(d + "/types2.weights.h5", "r")
x = b["layers/dense/vars/0"]
assert x.attrs["dtype"] == "bfloat16" and x.dtype.itemsize == 2 and x.dtype.kind == "V", (x.dtype, dict(x.attrs))
assert x[()].tobytes() == a["layers/dense/vars/0"][()].tobytes()
assert np.array_equal(b["layers/dense/vars/1"][()], a["layers/dense/vars/1"][()])
PY

"$CKPT" ls --json "$T/sh/model.weights.json" >"$T/sh.json" 2>"$T/err" || fail sharded_ls "$(cat "$T/err")"
"$CKPT" convert "$T/sh/model.weights.json" -o "$T/sh.safetensors" >/dev/null 2>"$T/err" || fail sharded_convert "$(cat "$T/err")"
check sharded_values_vs_h5py $PY "$ROOT/tests/kref.py" ls "$T/sh/model.weights.json" "$T/sh.json" "$T/sh.safetensors"
$PY -c "
import json
n = [t['name'] for t in json.load(open('$T/sh.json'))['tensors']]
assert n == ['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias'], n
" && pass sharded_names_from_config || fail sharded_names_from_config "$(head -c 300 "$T/sh.json")"
expect_exit 0 sharded_check_clean "$CKPT" check "$T/sh/model.weights.json"

"$CKPT" ls --json "$T/old/model.weights.h5" >"$T/old.json" 2>"$T/err"
$PY -c "
import json
n = {t['name']: t['source_name'] for t in json.load(open('$T/old.json'))['tensors']}
assert n == {'dense/kernel': '/_layer_checkpoint_dependencies/dense/vars/0', 'dense/bias': '/_layer_checkpoint_dependencies/dense/vars/1'}, n
" && pass old_layer_checkpoint_dependencies || fail old_layer_checkpoint_dependencies "$(cat "$T/err") $(head -c 300 "$T/old.json")"

"$CKPT" ls --json "$T/unk/model.weights.h5" >"$T/unk.json" 2>"$T/err"
grep -q '"mine/vars/0"' "$T/unk.json" && pass unknown_class_keeps_vars_n || fail unknown_class_keeps_vars_n "$(cat "$T/err") $(head -c 300 "$T/unk.json")"
# a class ckpt does not know is a note (custom layers load fine), not a finding
expect_exit 0 unknown_class_noted_by_check "$CKPT" check --json "$T/unk/model.weights.h5"
grep -q '"findings":\[\]' "$T/out" && grep -q '"notes":\["layer class unknown to ckpt (custom or third-party): MyLayer; 1 layer, 1 weight' "$T/out" \
    && pass unknown_class_note || fail unknown_class_note "$(head -c 300 "$T/out")"

# Keras 3 paths numbered one off from the config (layers/dense_1, dense_2 for
# the config's two Dense layers): reported as renames with the pairing, in order
mkdir -p "$T/shift"
$PY - "$T/shift" <<'PY'
import json, sys, h5py, numpy as np
d = sys.argv[1]
json.dump({"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "a", "units": 8}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "b", "units": 2}}]}}, open(d + "/config.json", "w"))
with h5py.File(d + "/model.weights.h5", "w") as f:
    f["layers/dense_1/vars/0"] = np.zeros((4, 8), "f4"); f["layers/dense_1/vars/1"] = np.zeros(8, "f4")
    f["layers/dense_2/vars/0"] = np.zeros((8, 2), "f4"); f["layers/dense_2/vars/1"] = np.zeros(2, "f4")
PY
expect_exit 1 keras3_shift_exit1 "$CKPT" check --json "$T/shift/model.weights.h5"
$PY - "$T/out" <<'PY' && pass keras3_shift_paired || fail keras3_shift_paired "$(head -c 600 "$T/out")"
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
r = {(x["tensor"], x["layer"]) for x in f if x["kind"] == "rename"}
assert r == {("layers/dense_1", "a"), ("layers/dense_2", "b")}, f
assert len(f) == 2, f
PY

# A path in two shards (a re-saved set): the first shard's dataset is the
# tensor, once; the set has 4 datasets, 3 distinct paths.
mkdir -p "$T/dup"
$PY - "$T/dup" <<'PY'
import json, sys, h5py, numpy as np
d = sys.argv[1]
with h5py.File(d + "/model_00000.weights.h5", "w") as f:
    f["layers/dense/vars/0"] = np.full((4, 8), 1.5, "f4"); f["layers/dense/vars/1"] = np.full(8, 2.5, "f4")
with h5py.File(d + "/model_00001.weights.h5", "w") as f:
    f["layers/dense/vars/0"] = np.full((4, 8), -7.0, "f4"); f["layers/dense_1/vars/0"] = np.full((8, 2), 3.5, "f4")
json.dump({"metadata": {}, "weight_map": {"/layers/dense/vars": ["model_00000.weights.h5", "model_00001.weights.h5"],
    "/layers/dense_1/vars": ["model_00001.weights.h5"]}}, open(d + "/model.weights.json", "w"))
PY
"$CKPT" convert "$T/dup/model.weights.json" -o "$T/dup.safetensors" >/dev/null 2>"$T/err" || fail keras3_dup_path_convert "$(cat "$T/err")"
$PY - "$T/dup.safetensors" <<'PY' && pass keras3_dup_path_first_shard || fail keras3_dup_path_first_shard "$(head -c 300 "$T/err")"
import json, struct, sys
import numpy as np
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = {k: v for k, v in json.loads(b[8:8 + n]).items() if k != "__metadata__"}
assert len(h) == 3, sorted(h)
vals = {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], "<f4") for k, v in h.items()}
firsts = sorted(float(a[0]) for a in vals.values())
assert firsts == [1.5, 2.5, 3.5], (firsts, sorted(h))
PY
