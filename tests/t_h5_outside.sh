# HDF5 inputs that point outside themselves (issue 18): external raw storage,
# virtual datasets and external links are refused, naming the dataset and
# its target, and no byte of the outside file reaches any output or message;
# with --allow-external-data they are read through libhdf5 and match h5py.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
PYTHONPATH=$ROOT/tests $PY - "$T" <<'PY'
import sys, h5py, numpy as np
import kgen
d = sys.argv[1]
open(f"{d}/secret.bin", "wb").write(b"SECRETMARK" * 7)
with h5py.File(f"{d}/ext.weights.h5", "w") as f:      # as the issue: raw bytes from another file
    f.create_dataset("layers/dense/vars/0", shape=(16,), dtype="<f4", external=[(f"{d}/secret.bin", 0, 64)])
    f.create_dataset("layers/dense/vars/1", data=np.arange(4, dtype="<f4"))
with h5py.File(f"{d}/passwd.weights.h5", "w") as f:
    f.create_dataset("layers/dense/vars/0", shape=(16,), dtype="<u4", external=[("/etc/passwd", 0, 64)])
with h5py.File(f"{d}/src.h5", "w") as f:
    f.create_dataset("data", data=np.arange(16, dtype="<f4") * 3)
with h5py.File(f"{d}/vds.weights.h5", "w") as f:
    lay = h5py.VirtualLayout(shape=(16,), dtype="<f4")
    lay[:] = h5py.VirtualSource(f"{d}/src.h5", "data", shape=(16,))
    f.create_virtual_dataset("layers/dense/vars/0", lay)
with h5py.File(f"{d}/vds_missing.weights.h5", "w") as f:
    lay = h5py.VirtualLayout(shape=(16,), dtype="<f4")
    lay[:] = h5py.VirtualSource(f"{d}/gone.h5", "data", shape=(16,))
    f.create_virtual_dataset("layers/dense/vars/0", lay, fillvalue=9)
with h5py.File(f"{d}/other.h5", "w") as f:
    f.create_dataset("w", data=np.arange(16, dtype="<f4") * 7)
with h5py.File(f"{d}/elink.weights.h5", "w") as f:
    f.create_group("layers/dense/vars")
    f["layers/dense/vars/0"] = h5py.ExternalLink(f"{d}/other.h5", "/w")
# a legacy Keras 2 file whose kernel is an external link (the shape came from
# the other file, the bytes from this one's offsets: garbage with exit 0)
kgen.write(f"{d}/legacy.h5", kgen.seq(kgen.dense("dense", 4, 4)), [["dense", [["kernel", [4, 4]], ["bias", [4]]]]])
with h5py.File(f"{d}/legacy.h5", "a") as f:
    del f["model_weights/dense/dense/kernel:0"]
    f["model_weights/dense/dense/kernel:0"] = h5py.ExternalLink(f"{d}/other44.h5", "/k")
with h5py.File(f"{d}/other44.h5", "w") as f:
    f.create_dataset("k", data=np.arange(16, dtype="<f4").reshape(4, 4) + 0.5)
PY

# no_leak NAME: neither the secret nor /etc/passwd's first line in $T/out, $T/err or $T/o*
no_leak() {
    local hit
    hit=$(grep -l -a -e SECRETMARK -e "$(head -c 12 /etc/passwd)" "$T/out" "$T/err" "$T/res" -r 2>/dev/null)
    [ -z "$hit" ] && pass "$1" || fail "$1" "outside bytes in: $hit"
}

for c in "ext:external file '$T/secret.bin'" "passwd:external file '/etc/passwd'" \
         "vds:virtual dataset mapping $T/src.h5:data" "vds_missing:virtual dataset mapping $T/gone.h5:data" \
         "elink:'layers/dense/vars/0' points to $T/other.h5:/w"; do
    n=${c%%:*}; want=${c#*:}
    rm -rf "$T/res"; mkdir -p "$T/res"
    expect_exit 3 "${n}_ls_refused" "$CKPT" ls "$T/$n.weights.h5"
    grep -qF "$want" "$T/err" && grep -q "layers/dense/vars/0" "$T/err" && pass "${n}_names_target" \
        || fail "${n}_names_target" "$(cat "$T/err")"
    [ "$(wc -l < "$T/err")" -eq 1 ] && pass "${n}_one_line" || fail "${n}_one_line" "$(cat "$T/err")"
    no_leak "${n}_ls_no_leak"
    expect_exit 3 "${n}_convert_refused" "$CKPT" convert "$T/$n.weights.h5" -o "$T/res/o.safetensors"
    [ ! -e "$T/res/o.safetensors" ] && pass "${n}_no_output" || fail "${n}_no_output" "output written"
    no_leak "${n}_convert_no_leak"
    expect_exit 3 "${n}_dump_refused" "$CKPT" info "$T/$n.weights.h5"
done
expect_exit 3 legacy_elink_refused "$CKPT" convert "$T/legacy.h5" -o "$T/res/o.safetensors"
grep -qF "points to $T/other44.h5:/k" "$T/err" && pass legacy_elink_named || fail legacy_elink_named "$(cat "$T/err")"

# ---- allowed: read through libhdf5, as h5py reads them --------------------
for n in ext vds elink legacy; do
    f=$T/$n.weights.h5; [ $n = legacy ] && f=$T/legacy.h5
    rm -f "$T/a_$n.safetensors"
    expect_exit 0 "${n}_allowed_converts" "$CKPT" --allow-external-data convert "$f" -o "$T/a_$n.safetensors"
    PYTHONPATH=$ROOT/tests $PY - "$f" "$T/a_$n.safetensors" <<'PY' && pass "${n}_allowed_matches_h5py" || fail "${n}_allowed_matches_h5py" "differs"
import sys, h5py, numpy as np, stio
got = stio.read(sys.argv[2])
ref = []
with h5py.File(sys.argv[1]) as f:
    f.visititems(lambda n, o: ref.append(o[()]) if isinstance(o, h5py.Dataset) else None)
    for k in ("layers/dense/vars/0", "model_weights/dense/dense/kernel:0"):   # visititems skips external links
        if k in f and not any(np.array_equal(r, f[k][()]) for r in ref): ref.append(f[k][()])
assert len(got) == len(ref), (list(got), len(ref))
for r in ref:
    assert any(g.shape == r.shape and np.array_equal(g, r) for g in got.values()), r
PY
done
exit 0
