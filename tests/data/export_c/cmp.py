# tests/data/export_c/cmp.py GOT.bin REF.bin RTOL: the exported code's outputs
# against the reference's, elementwise: |got - ref| <= RTOL * (|ref| + mean|ref|)
# (relative, with the mean magnitude keeping values near zero from counting
# as infinitely off). Prints the worst ratio; exit 1 when over.
import sys
import numpy as np
got = np.fromfile(sys.argv[1], dtype="<f4").astype(np.float64)
ref = np.fromfile(sys.argv[2], dtype="<f4").astype(np.float64)
rtol = float(sys.argv[3])
if got.shape != ref.shape:
    print("sizes differ: got %d values, reference %d" % (got.size, ref.size)); sys.exit(1)
if not np.all(np.isfinite(got)):
    print("non-finite values in the output"); sys.exit(1)
scale = np.abs(ref) + np.mean(np.abs(ref)) + 1e-30
worst = float(np.max(np.abs(got - ref) / scale))
print("%d values, worst error %.3g (tolerance %.0e)" % (got.size, worst, rtol))
sys.exit(0 if worst <= rtol else 1)
