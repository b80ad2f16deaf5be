#!/bin/bash
# bench_export_numpy: the NumPy code export (--to numpy) of the largest Keras
# fixture (tiny_XCEPTION_KDEF.hdf5, 64x64x1 conv net) against TensorFlow.js's
# CPU predict (tfjs 4.22, pure JS, of ckpt's --to tfjs output) in the same
# run: a batch of 8, best of 5 predicts after a warm-up, model loading left
# out. Also the exported weights' size (.npz) against the source file's. No
# target: the figures are for comparison with the C export's.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$ROOT/ckpt}
PY=/usr/bin/python3
SRC=$ROOT/../shared/fixtures/real/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5
NODEDIR=$ROOT/tests/node
if [ ! -f "$SRC" ]; then echo "bench_export_numpy: skipped (../shared missing)"; exit 0; fi
if [ ! -d "$NODEDIR/node_modules/@tensorflow/tfjs" ] && ! (cd "$NODEDIR" && npm ci --no-audit --no-fund >/dev/null 2>&1); then
    echo "bench_export_numpy: skipped (no @tensorflow/tfjs)"; exit 0
fi
B=$(mktemp -d /tmp/ckpt-bench-npx.XXXXXX)
trap 'rm -rf "$B"' EXIT
"$CKPT" convert "$SRC" --to numpy -o "$B/m.py" --quiet || exit 1
"$CKPT" convert "$SRC" --to tfjs -o "$B/tfjs/model.json" --quiet || exit 1
tn=$($PY - "$B" <<'PYEOF'
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
import m
x = np.random.default_rng(0).uniform(0, 1, (8,) + m.INPUTS[0][1]).astype(np.float32)
m.predict(x)
best = min((lambda t: (m.predict(x), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print('%.4f' % best)
PYEOF
) || exit 1
tj=$(cd "$NODEDIR" && node -e '
const tf = require("@tensorflow/tfjs");
const { fileHandler } = require("./tfjs_io");
(async () => {
  tf.setBackend("cpu");
  const mdl = await tf.loadLayersModel(fileHandler(process.argv[1]));
  const x = tf.randomUniform([8, ...mdl.inputs[0].shape.slice(1)], 0, 1);
  mdl.predict(x).dataSync();
  let best = 1e9;
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    mdl.predict(x).dataSync();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(best.toFixed(4));
})();' "$B/tfjs/model.json" 2>/dev/null | tail -n 1) || exit 1
sz=$(stat -c %s "$SRC")
nz=$(stat -c %s "$B/m.npz")
echo "numpy predict, batch 8: ${tn}s, TF.js CPU ${tj}s: numpy takes $(awk "BEGIN{printf \"%.2f\", $tn / $tj}")x TF.js's time"
echo "weights: m.npz $nz bytes, source .hdf5 $sz bytes ($(awk "BEGIN{printf \"%.2f\", $nz / $sz}")x; the source also holds optimizer state)"
