// tests/node/tfjs_ref.js: TensorFlow.js as the reference for ckpt's TF.js
// reader. Loads MODEL_JSON with tf.loadLayersModel / tf.loadGraphModel
// through an IOHandler that reads model.json and its shard files, then
// compares every weight (name, shape, dtype, values as TF.js decodes them,
// quantized ones included) with a safetensors file written by
// `ckpt convert`.
//   node tfjs_ref.js MODEL_JSON CKPT_OUT.safetensors
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

function readSafetensors(p) {
  const b = fs.readFileSync(p);
  const n = Number(b.readBigUInt64LE(0));
  const h = JSON.parse(b.slice(8, 8 + n).toString('utf8'));
  delete h.__metadata__;
  const out = {};
  for (const [k, e] of Object.entries(h))
    out[k] = { dtype: e.dtype, shape: e.shape, bytes: b.slice(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]) };
  return out;
}

(async () => {
  tf.setBackend('cpu');
  const [modelPath, stPath] = process.argv.slice(2);
  const mj = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const graph = mj.format === 'graph-model' || (mj.modelTopology && Array.isArray(mj.modelTopology.node));
  const ref = [];  // [name, tensor]
  if (graph) {
    const m = await tf.loadGraphModel(fileHandler(modelPath));
    for (const [name, ts] of Object.entries(m.weights)) ref.push([name, ts[0]]);
  } else {
    const m = await tf.loadLayersModel(fileHandler(modelPath));
    for (const w of m.weights) ref.push([w.originalName, w.read()]);
  }
  const got = readSafetensors(stPath);
  const DT = { float32: 'F32', int32: 'I32', bool: 'BOOL' };
  let bad = 0;
  for (const [name, t] of ref) {
    const g = got[name];
    if (!g) { console.log('missing in ckpt output: ' + name); bad++; continue; }
    delete got[name];
    if (JSON.stringify(g.shape) !== JSON.stringify(t.shape)) { console.log(`${name}: shape ${g.shape} vs ${t.shape}`); bad++; continue; }
    if (g.dtype !== DT[t.dtype]) { console.log(`${name}: dtype ${g.dtype} vs ${t.dtype}`); bad++; continue; }
    const v = t.dataSync();
    const vb = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (Buffer.compare(vb, g.bytes) !== 0) { console.log(`${name}: values differ`); bad++; }
  }
  for (const k of Object.keys(got)) { console.log('extra in ckpt output: ' + k); bad++; }
  console.log(`compared ${ref.length} weights, ${bad} bad`);
  process.exit(bad ? 1 : 0);
})().catch((e) => { console.log('tfjs error: ' + e.message); process.exit(2); });
