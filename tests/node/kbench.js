// tests/node/kbench.js: TensorFlow.js CPU predict time of a layers model, for
// bench_export_c: the inputs of a layer-harness case for batch B
// (CASE/in{K}_bB.f32, from klayers_gen.js), one warm-up predict, then the
// best of R timed predicts (milliseconds).
//   node kbench.js MODEL_JSON CASE B R
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

(async () => {
  tf.setBackend('cpu');
  const [modelPath, caseDir, bs, rs] = process.argv.slice(2);
  const b = Number(bs), reps = Number(rs);
  const m = await tf.loadLayersModel(fileHandler(modelPath));
  const xs = m.inputs.map((t, k) => {
    const raw = fs.readFileSync(path.join(caseDir, `in${k}_b${b}.f32`));
    return tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4).slice(), [b, ...t.shape.slice(1)]);
  });
  const run = () => { const y = m.predict(xs.length === 1 ? xs[0] : xs); (Array.isArray(y) ? y : [y]).forEach((t) => { t.dataSync(); t.dispose(); }); };
  run();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(best.toFixed(3));
})().catch((e) => { console.log('tfjs error: ' + e.message); process.exit(2); });
