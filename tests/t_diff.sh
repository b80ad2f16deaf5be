# `ckpt diff`: planted differences found, renames guessed, --values numbers
# equal to NumPy's on the same data, exit codes 0 (same) / 1 (differ).
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then
    skip diff_all "safetensors format not built in"; exit 0
fi
$PY - "$T" <<'EOF2'
import sys, numpy as np, stio
d = sys.argv[1]
r = np.random.default_rng(4)
q = r.standard_normal((8, 8)).astype(np.float32)
noisy = r.standard_normal((300, 70)).astype(np.float32)
same = r.standard_normal((10,)).astype(np.float32)
a = {"encoder.layer.0.attention.self.query.weight": q, "common.same": same, "common.noisy": noisy,
     "common.shape": np.zeros((4, 4), np.float32), "common.dtype": np.arange(6, dtype=np.float32), "only.a": np.zeros(3, np.float32),
     "common.bf": np.linspace(-2, 2, 9).astype(np.float16)}
b = {"encoder.layers.0.attention.self.query.weight": q, "common.same": same,
     "common.noisy": noisy + (r.standard_normal(noisy.shape) * 1e-3).astype(np.float32),
     "common.shape": np.zeros((4, 5), np.float32), "common.dtype": np.arange(6, dtype=np.float16), "only.b": np.zeros(7, np.float32),
     "common.bf": (np.linspace(-2, 2, 9) * 1.5).astype(np.float32)}
stio.write(f"{d}/a.safetensors", a)
stio.write(f"{d}/b.safetensors", b)
EOF2
expect_exit 1 diff_differs "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --json
check diff_json_findings $PY - "$T/out" <<'EOF2'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["differ"] is True
assert [x["name"] for x in j["only_a"]] == ["only.a"], j["only_a"]
assert [x["name"] for x in j["only_b"]] == ["only.b"], j["only_b"]
ch = {x["a"]: x for x in j["changed"]}
assert set(ch) == {"common.shape", "common.dtype", "common.bf"}, ch
assert ch["common.shape"]["shape_differs"] and ch["common.shape"]["shape_b"] == [4, 5]
assert ch["common.dtype"]["dtype_differs"] and ch["common.dtype"]["dtype_b"] == "F16" and not ch["common.dtype"]["shape_differs"]
rn = j["renames"]
assert len(rn) == 1 and rn[0]["a"] == "encoder.layer.0.attention.self.query.weight" \
    and rn[0]["b"] == "encoder.layers.0.attention.self.query.weight" and 0.5 < rn[0]["score"] < 1, rn
s = j["summary"]
assert (s["common"], s["only_a"], s["only_b"], s["shape"], s["dtype"], s["renames"]) == (5, 1, 1, 1, 2, 1), s
EOF2
expect_exit 1 diff_values "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --values --json --quiet
check diff_values_match_numpy $PY - "$T" <<'EOF2'
import json, sys, numpy as np, stio
d = sys.argv[1]
j = json.load(open(f"{d}/out"))
a, b = stio.read(f"{d}/a.safetensors"), stio.read(f"{d}/b.safetensors")
v = {x["name"]: x for x in j["values"]}
assert set(v) == {"common.same", "common.noisy", "common.dtype", "common.bf"}, v
for n in v:
    x, y = a[n].astype(np.float64), b[n].astype(np.float64)
    diff = np.abs(x - y)
    m = np.maximum(np.abs(x), np.abs(y))
    rel = np.where(m > 0, diff / np.where(m > 0, m, 1), 0)
    assert v[n]["max_abs"] == diff.max(), (n, v[n]["max_abs"], diff.max())
    assert abs(v[n]["max_rel"] - rel.max()) <= 1e-12 * max(1, rel.max()), (n, v[n]["max_rel"], rel.max())
    assert v[n]["over_tolerance"] == int((diff > 0).sum()), n
    assert v[n]["elements"] == x.size
assert v["common.same"]["max_abs"] == 0 and v["common.dtype"]["max_abs"] == 0
assert j["summary"]["values"] == 2
EOF2
# tolerances: numpy.isclose semantics |a-b| <= atol + rtol*|b|
expect_exit 1 diff_tolerance "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --values --atol 0.01 --json --quiet
check diff_tolerance_counts $PY - "$T" <<'EOF2'
import json, sys, numpy as np, stio
d = sys.argv[1]
v = {x["name"]: x for x in json.load(open(f"{d}/out"))["values"]}
a, b = stio.read(f"{d}/a.safetensors"), stio.read(f"{d}/b.safetensors")
for n in v:
    x, y = a[n].astype(np.float64), b[n].astype(np.float64)
    assert v[n]["over_tolerance"] == int((~np.isclose(x, y, rtol=0, atol=0.01)).sum()), n
assert v["common.noisy"]["over_tolerance"] == 0
EOF2
expect_exit 0 diff_same "$CKPT" diff "$T/a.safetensors" "$T/a.safetensors" --values --quiet
grep -q "^7 common, 0 only in A, 0 only in B" "$T/out" && pass diff_same_text || fail diff_same_text "$(cat "$T/out")"
# a map on A's names turns the rename and the only-in-A into matches
printf '^encoder\\.layer\\. -> encoder.layers.\n^only\\.a$ -> drop\n' > "$T/m.txt"
expect_exit 1 diff_map "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --map "$T/m.txt" --json
check diff_map_applied $PY -c "
import json; s = json.load(open('$T/out'))['summary']
assert (s['renames'], s['only_a'], s['only_b'], s['common']) == (0, 0, 1, 6), s"
expect_exit 2 diff_one_arg "$CKPT" diff "$T/a.safetensors"
expect_exit 2 diff_tol_without_values "$CKPT" diff "$T/a.safetensors" "$T/b.safetensors" --atol 1
expect_exit 3 diff_missing "$CKPT" diff "$T/a.safetensors" "$T/nope.safetensors"

# optimizer state: left out unless --include-optimizer, and said so (a real
# Keras 2 file with Adam slots; counts from h5py)
if need_shared diff_optimizer; then
    R=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
    $PY - "$R" "$T" <<'EOF2'
import sys, shutil, h5py
src, d = sys.argv[1], sys.argv[2]
shutil.copy(src, f"{d}/opt2.h5")      # a temporary copy with one Adam slot changed
f = h5py.File(f"{d}/opt2.h5", "r+")
names = []
f["optimizer_weights"].visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
allds = []
f.visititems(lambda n, o: allds.append(n) if isinstance(o, h5py.Dataset) else None)
ds = f["optimizer_weights/Adam/dense_1/bias/m:0"]
ds[...] = ds[()] + 1
open(f"{d}/opt_counts", "w").write(f"{len(names)} {len(allds)}\n")
EOF2
    read NOPT NALL < "$T/opt_counts"
    expect_exit 0 diff_optimizer_skipped "$CKPT" diff --values "$R" "$T/opt2.h5"
    grep -qx "$((2 * NOPT)) optimizer tensors not compared (A: $NOPT, B: $NOPT); --include-optimizer to compare" "$T/out" \
        && pass diff_optimizer_note || fail diff_optimizer_note "want $NOPT per side: $(cat "$T/out")"
    expect_exit 1 diff_optimizer_included "$CKPT" diff --values --include-optimizer --json "$R" "$T/opt2.h5"
    check diff_optimizer_included_counts $PY -c "
import json; j = json.load(open('$T/out')); s = j['summary']
assert s['common'] == $NALL and s['optimizer_not_compared'] == 0 and s['values'] == 1, s
assert [v['name'] for v in j['values'] if v['over_tolerance']] == ['optimizer/Adam/dense_1/bias/m'], j['values']"
    expect_exit 0 diff_optimizer_json_count "$CKPT" diff --json "$R" "$T/opt2.h5"
    check diff_optimizer_json_counted $PY -c "
import json; s = json.load(open('$T/out'))['summary']
assert s['optimizer_not_compared'] == 2 * $NOPT and s['common'] == $NALL - $NOPT, s"
fi
