# tests/npzwref.py: checks of what `ckpt convert --to npz` writes, with
# NumPy and Python's zipfile, against a safetensors file read by hand.
#   npzwref.py TEST OUT.npz REF.safetensors stored|deflated [TEST OUT REF MODE ...]
# numpy.load(allow_pickle=False) gives REF's names (in order), dtypes,
# shapes and bytes; each member is exactly what np.save writes for that
# array; members are NAME.npy, stored or deflated as np.savez(_compressed).
import io
import sys
import zipfile

import numpy as np

import ptref


def check(out, ref_st, mode):
    bad = []
    ref = ptref.st_read(ref_st)
    z = np.load(out, allow_pickle=False)
    if z.files != list(ref):
        bad.append("names/order: %s vs %s" % (z.files[:4], list(ref)[:4]))
    zf = zipfile.ZipFile(out)
    want = zipfile.ZIP_STORED if mode == "stored" else zipfile.ZIP_DEFLATED
    for info in zf.infolist():
        if info.compress_type != want or not info.filename.endswith(".npy"):
            bad.append("%s: method %d" % (info.filename, info.compress_type))
    for k, (dt, a) in ref.items():
        if k not in z.files:
            continue
        g = z[k]
        if g.dtype != a.dtype or g.shape != a.shape or g.tobytes() != a.tobytes():
            bad.append("%s: %s %s vs reference %s %s or bytes differ" % (k, g.dtype, g.shape, a.dtype, a.shape))
            continue
        b = io.BytesIO()
        np.save(b, g)
        if b.getvalue() != zf.read(k + ".npy"):
            bad.append("%s: member is not what np.save writes" % k)
    return bad


if __name__ == "__main__":
    a = sys.argv[1:]
    for i in range(0, len(a), 4):
        try:
            bad = check(a[i + 1], a[i + 2], a[i + 3])
        except Exception as e:  # a loader error is this test's failure
            bad = ["%s: %s" % (type(e).__name__, str(e)[:300])]
        print("FAIL %s: %s" % (a[i], "; ".join(bad)[:700]) if bad else "PASS " + a[i])
