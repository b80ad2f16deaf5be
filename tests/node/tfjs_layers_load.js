// tests/node/tfjs_layers_load.js: TensorFlow.js as the reference for ckpt's
// TF.js layers writer (--to tfjs). Loads MODEL_JSON with tf.loadLayersModel
// (strict: every manifest weight must find its variable and every variable
// its weight) through a file IOHandler, predicts on random inputs (None
// dimensions set to 2), and writes DUMP.json: every weight of
// model.getWeights() with the layer holding it, its index in that layer,
// its name, dtype, shape and its values as base64 bytes, for a Python
// reference to compare with the source model.
//   node tfjs_layers_load.js MODEL_JSON DUMP.json
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

(async () => {
  tf.setBackend('cpu');
  const [modelPath, dumpPath] = process.argv.slice(2);
  const m = await tf.loadLayersModel(fileHandler(modelPath));
  // predict on random inputs
  const xs = m.inputs.map((t) => tf.randomUniform(t.shape.map((d) => (d == null ? 2 : d)), -1, 1, t.dtype));
  let ys = m.predict(xs.length === 1 ? xs[0] : xs);
  if (!Array.isArray(ys)) ys = [ys];
  const outShapes = [];
  for (const [k, y] of ys.entries()) {
    const want = m.outputs[k].shape;
    if (y.shape.length !== want.length || want.some((d, i) => d != null && d !== y.shape[i]))
      throw new Error(`output ${k}: shape ${y.shape} vs model output ${want}`);
    const v = y.dataSync();
    for (const x of v) if (!Number.isFinite(x)) throw new Error(`output ${k}: non-finite value ${x}`);
    outShapes.push(y.shape);
  }
  const owner = new Map();
  for (const layer of m.layers)
    layer.weights.forEach((w, i) => owner.set(w.id, [layer.name, i, layer.getClassName()]));
  const vals = m.getWeights();
  const weights = m.weights.map((w, k) => {
    const t = vals[k], d = t.dataSync();
    const [layer, index, cls] = owner.get(w.id) || [null, -1, null];
    return { layer, index, cls, name: w.originalName, dtype: t.dtype, shape: t.shape,
             b64: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64') };
  });
  fs.writeFileSync(dumpPath, JSON.stringify({ outputs: outShapes, weights }));
  console.log(`loaded ${weights.length} weights, predicted ${outShapes.map((s) => '[' + s + ']').join(' ')}`);
})().catch((e) => { console.log('tfjs error: ' + e.message); process.exit(2); });
