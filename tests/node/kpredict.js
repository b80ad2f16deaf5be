// tests/node/kpredict.js: TensorFlow.js predictions as the reference for
// ckpt's code exporters. Loads a TF.js layers model (model.json and its
// shards, through the file IOHandler), draws seeded random inputs for each
// batch size (integer ids in [0, input_dim) for an input read by an
// Embedding, else uniform in [-1, 1]), runs model.predict on the CPU
// backend and writes, per batch size B:
//   OUTDIR/in_B.bin   inputs, float32 LE: input 0 for the whole batch, then input 1, ...
//   OUTDIR/out_B.bin  the outputs of model.predict, laid out the same way
//   OUTDIR/meta.json  per-sample input/output sizes and shapes
// With a Masking layer, the trailing steps of every even sample are set to
// its mask value, so the masked path is what is compared.
//   node kpredict.js MODEL_JSON OUTDIR B...
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

function rng(seed) {  // mulberry32: the same inputs on every run
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The Embedding (if any) an input feeds directly: its vocabulary size.
function vocabOf(m, k) {
  const inName = m.inputs[k].name.split('/')[0].replace(/:\d+$/, '');
  for (const l of m.layers) {
    if (l.getClassName() !== 'Embedding') continue;
    const ins = l.inboundNodes.flatMap((n) => n.inboundLayers.map((x) => x.name));
    if (ins.includes(inName) || (m.layers[0] === l && k === 0)) return l.getConfig().inputDim;
  }
  return 0;
}

// A Masking layer's mask value when the model has one (first input only).
function maskOf(m) {
  const l = m.layers.find((x) => x.getClassName() === 'Masking');
  return l ? l.getConfig().maskValue : null;
}

function f32(arrs) {
  const n = arrs.reduce((s, a) => s + a.length, 0), out = new Float32Array(n);
  let o = 0;
  for (const a of arrs) { out.set(a, o); o += a.length; }
  return Buffer.from(out.buffer);
}

(async () => {
  tf.setBackend('cpu');
  const [modelPath, outDir, ...bs] = process.argv.slice(2);
  const m = await tf.loadLayersModel(fileHandler(modelPath));
  fs.mkdirSync(outDir, { recursive: true });
  const r = rng(12345);
  const meta = { inputs: m.inputs.map((t) => t.shape.slice(1)), outputs: m.outputs.map((t) => t.shape.slice(1)) };
  for (const b of bs.map(Number)) {
    const xs = m.inputs.map((t, k) => {
      const shape = [b, ...t.shape.slice(1)], n = shape.reduce((p, d) => p * d, 1), v = new Float32Array(n);
      const vocab = vocabOf(m, k);
      for (let i = 0; i < n; i++) v[i] = vocab ? Math.floor(r() * vocab) : 2 * r() - 1;
      // with Masking: the last third of the steps of every even sample are masked
      const mv = k === 0 ? maskOf(m) : null;
      if (mv !== null && shape.length === 3) {
        const [, T, F] = shape;
        for (let s = 0; s < b; s += 2)
          for (let t = T - Math.max(1, Math.floor(T / 3)); t < T; t++)
            for (let f = 0; f < F; f++) v[(s * T + t) * F + f] = mv;
      }
      return tf.tensor(v, shape);
    });
    let ys = m.predict(xs.length === 1 ? xs[0] : xs);
    if (!Array.isArray(ys)) ys = [ys];
    fs.writeFileSync(path.join(outDir, `in_${b}.bin`), f32(xs.map((x) => x.dataSync())));
    fs.writeFileSync(path.join(outDir, `out_${b}.bin`), f32(ys.map((y) => y.dataSync())));
  }
  fs.writeFileSync(path.join(outDir, 'meta.json'), JSON.stringify(meta));
  console.log(`predicted ${bs.join(',')} with inputs ${JSON.stringify(meta.inputs)}`);
})().catch((e) => { console.log('tfjs error: ' + e.message); process.exit(2); });
