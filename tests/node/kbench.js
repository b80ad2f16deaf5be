// tests/node/kbench.js: TensorFlow.js CPU predict time of a layers model, for
// bench_export_c: the seeded inputs kpredict.js wrote for batch B, one
// warm-up predict, then the best of R timed predicts (milliseconds).
//   node kbench.js MODEL_JSON IN_B.bin B R
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

(async () => {
  tf.setBackend('cpu');
  const [modelPath, inPath, bs, rs] = process.argv.slice(2);
  const b = Number(bs), reps = Number(rs);
  const m = await tf.loadLayersModel(fileHandler(modelPath));
  const raw = fs.readFileSync(inPath), all = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  let o = 0;
  const xs = m.inputs.map((t) => {
    const shape = [b, ...t.shape.slice(1)], n = shape.reduce((p, d) => p * d, 1);
    const x = tf.tensor(all.slice(o, o + n), shape);
    o += n;
    return x;
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
