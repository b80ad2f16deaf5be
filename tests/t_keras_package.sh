# convert --package zip: the zip holds the weights (values equal to h5py's),
# config.json (source architecture + metadata), labels.txt (given or found
# beside the model), README.md; nothing else is left in the output directory.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
need_shared keras_package || exit 0
W=$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5
mkdir -p "$T/o1" "$T/o2" "$T/m2"
printf 'angry\nhappy\nneutral\nsad\nsurprised\n' >"$T/labels.txt"

if "$CKPT" convert "$W" --package zip --labels "$T/labels.txt" --model-type image_classifier --naming index \
       -o "$T/o1/pkg.zip" >/dev/null 2>"$T/err"; then
    $PY - "$W" "$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer.json" "$T/o1/pkg.zip" "$T/labels.txt" <<'PY' && pass package_zip_contents || fail package_zip_contents
import io, json, struct, sys, zipfile
import h5py, numpy as np
h5, arch, zp, labels = sys.argv[1:5]
z = zipfile.ZipFile(zp)
assert sorted(z.namelist()) == ["README.md", "config.json", "labels.txt", "model.safetensors"], z.namelist()
cfg = json.loads(z.read("config.json"))
assert cfg["architecture"] == json.load(open(arch))
f = h5py.File(h5, "r")
n = 0
want = {}
for ln in f.attrs["layer_names"]:
    ln = ln.decode()
    for i, w in enumerate(f[ln].attrs["weight_names"]):
        a = f[ln][w.decode()][()]
        want["%s.weight_%d" % (ln, i)] = a
        n += a.size
md = cfg["metadata"]
assert md["parameter_count"] == n and md["num_classes"] == 5 and md["model_type"] == "image_classifier", md
kv = f.attrs["keras_version"]
kv = kv.decode() if isinstance(kv, bytes) else kv
assert md["keras_version"] == kv, (md, kv)
assert md["input_shape"] == "(None, 16)" and md["output_shape"] == "(None, 5)" and md["naming"] == "index", md
assert z.read("labels.txt").decode() == open(labels).read()
b = z.read("model.safetensors")
hl = struct.unpack("<Q", b[:8])[0]
hd = json.loads(b[8:8 + hl])
hd.pop("__metadata__", None)
assert set(hd) == set(want), (sorted(hd), sorted(want))
for k, v in hd.items():
    s, e = v["data_offsets"]
    arr = np.frombuffer(b[8 + hl + s:8 + hl + e], dtype="<f4").reshape(v["shape"])
    assert np.array_equal(arr, want[k]), k
readme = z.read("README.md").decode()
assert "weight_{i}" in readme and "model.safetensors" in readme
PY
else fail package_zip_contents "$(cat "$T/err")"; fi
[ "$(ls -A "$T/o1")" = "pkg.zip" ] && pass package_leaves_only_the_zip || fail package_leaves_only_the_zip "$(ls -A "$T/o1")"

# labels.json beside the model is found and written as labels.txt
$PY - "$T/m2" <<'PY'
import json, sys
from kgen import write, dense, seq
d = sys.argv[1]
write(d + "/clf.h5", seq(dense("dense", 3, 4)), [["dense", [["kernel", (4, 3)], ["bias", (3,)]]]])
json.dump(["cat", "dog", "bird"], open(d + "/labels.json", "w"))
PY
if "$CKPT" convert "$T/m2/clf.h5" --package zip --to keras -o "$T/o2/clf.zip" >/dev/null 2>"$T/err"; then
    $PY - "$T/o2/clf.zip" <<'PY' && pass package_labels_found_beside || fail package_labels_found_beside
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.read("labels.txt").decode() == "cat\ndog\nbird\n", z.read("labels.txt")
assert "model.keras" in z.namelist(), z.namelist()
assert json.loads(z.read("config.json"))["metadata"]["num_classes"] == 3
PY
else fail package_labels_found_beside "$(cat "$T/err")"; fi

expect_exit 2 package_bad_model_type "$CKPT" convert "$W" --package zip --model-type toaster -o "$T/o1/x.zip"
expect_exit 2 package_not_zip "$CKPT" convert "$W" --package tar --to safetensors -o "$T/o1/x.tar"
[ "$(ls -A "$T/o1")" = "pkg.zip" ] && pass package_failures_write_nothing || fail package_failures_write_nothing "$(ls -A "$T/o1")"

# S0's package exactly: the weights are model.<ext> whatever the zip is called,
# config.json is laid out as Hugging Face's json.dumps(indent=2)
mkdir -p "$T/o3"
if "$CKPT" convert "$W" --package zip -o "$T/o3/Some Name-v2.zip" >/dev/null 2>"$T/err" &&
   "$CKPT" convert "$W" -o "$T/o3/auto.zip" >/dev/null 2>>"$T/err" &&
   "$CKPT" convert "$W" --to package -o "$T/o3/to.zip" >/dev/null 2>>"$T/err" &&
   "$CKPT" convert "$W" --package zip --to keras-weights -o "$T/o3/kw.zip" >/dev/null 2>>"$T/err" &&
   "$CKPT" convert "$W" --package zip --shard-size 10KB -o "$T/o3/sh.zip" >/dev/null 2>>"$T/err"; then
    $PY - "$T/o3" "$W" <<'PY' && pass package_s0_names_and_indent || fail package_s0_names_and_indent
import json, sys, zipfile, h5py, numpy as np
d, h5 = sys.argv[1:3]
for z in ("Some Name-v2.zip", "auto.zip", "to.zip"):
    n = zipfile.ZipFile(d + "/" + z).namelist()
    assert sorted(n) == ["README.md", "config.json", "model.safetensors"], (z, n)
assert "model.weights.h5" in zipfile.ZipFile(d + "/kw.zip").namelist()
sh = sorted(zipfile.ZipFile(d + "/sh.zip").namelist())
assert "model.safetensors.index.json" in sh and any(x.startswith("model-00001-of-") for x in sh), sh
raw = zipfile.ZipFile(d + "/auto.zip").read("config.json").decode()
assert "\t" not in raw
assert raw == json.dumps(json.loads(raw), indent=2, ensure_ascii=False) + "\n", raw[:200]
assert json.loads(raw)["metadata"]["weights_file"] == "model.safetensors"
PY
else fail package_s0_names_and_indent "$(cat "$T/err")"; fi
# --verify of a package reads the weights back out of the zip
expect_exit 0 package_verify "$CKPT" convert "$W" --package zip --verify -o "$T/o3/v.zip"
grep -q '^verified 8 tensors' "$T/err" && pass package_verify_count || fail package_verify_count "$(cat "$T/err")"
