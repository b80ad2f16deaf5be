// tests/node/tf_pb_ref.js: TensorFlow's own protobuf schema as the reference
// for ckpt's GraphDef and SavedModel writers, independently of ckpt's .proto
// files: @tensorflow/tfjs-converter@0.8.4 ships dist/src/data/compiled_api.js,
// a protobufjs decoder generated from TensorFlow's protos. The file is
// decoded with it, a TF.js graph model is rebuilt from the decoded nodes and
// Const tensors (tensor_content becomes the weight data), and both it and
// the original model.json run in @tensorflow/tfjs 4.22 (CPU) on the same
// random inputs.
//   node tf_pb_ref.js frozen|saved MODEL_JSON OUT.pb|OUT_DIR [TOLERANCE]
//   node tf_pb_ref.js dump OUT.pb      the decoded GraphDef's nodes as model.json's JSON form
// Prints one line "SUMMARY {json}" (ops, fused ops left, signature, output
// differences; OUTPUTS=A,B in the environment limits the comparison);
// exits 1 when outputs differ by more than TOLERANCE (default 0: equal), 2
// on a decode or run error.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const api = require('@tensorflow/tfjs-converter/dist/src/data/compiled_api.js').tensorflow;
const { fileHandler } = require('./tfjs_io');

const DT = api.DataType;            // name -> number and number -> name
const JSDT = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool' };
const has = (m, k) => Object.prototype.hasOwnProperty.call(m, k);
const b64 = (u8) => Buffer.from(u8).toString('base64');
const str = (v) => v.toString();    // Long or number -> decimal string

// decoded protobuf objects -> the proto3 JSON form model.json uses
function shapeJson(s) {
  const o = {};
  if (s.dim && s.dim.length) o.dim = s.dim.map((d) => (has(d, 'size') ? { size: str(d.size) } : {}));
  if (s.unknownRank) o.unknownRank = true;
  return o;
}
function tensorJson(t) {
  const o = { dtype: DT[t.dtype] };
  if (t.tensorShape) o.tensorShape = shapeJson(t.tensorShape);
  for (const k of ['floatVal', 'intVal', 'boolVal', 'doubleVal']) if (t[k] && t[k].length) o[k] = Array.from(t[k]);
  return o;
}
function attrJson(a) {
  if (has(a, 's')) return { s: b64(a.s) };
  if (has(a, 'i')) return { i: str(a.i) };
  if (has(a, 'f')) return { f: a.f };
  if (has(a, 'b')) return { b: a.b };
  if (has(a, 'type')) return { type: DT[a.type] };
  if (has(a, 'shape')) return { shape: shapeJson(a.shape) };
  if (has(a, 'tensor')) return { tensor: tensorJson(a.tensor) };
  if (has(a, 'list')) {
    const l = a.list, o = {};
    if (l.s && l.s.length) o.s = l.s.map(b64);
    if (l.i && l.i.length) o.i = l.i.map(str);
    if (l.f && l.f.length) o.f = Array.from(l.f);
    if (l.b && l.b.length) o.b = Array.from(l.b);
    if (l.type && l.type.length) o.type = l.type.map((t) => DT[t]);
    if (l.shape && l.shape.length) o.shape = l.shape.map(shapeJson);
    return { list: o };
  }
  if (has(a, 'func')) return { func: { name: a.func.name } };
  return {};
}

// A TF.js graph model (topology, weight specs and data) from a GraphDef.
function rebuild(gd) {
  const nodes = [], specs = [], bufs = [];
  for (const n of gd.node) {
    const attr = {};
    for (const [k, v] of Object.entries(n.attr || {})) attr[k] = attrJson(v);
    if (n.op === 'Const' && n.attr.value && n.attr.value.tensor) {
      const t = n.attr.value.tensor;
      const dt = JSDT[DT[t.dtype]];
      if (!dt) throw new Error(`Const ${n.name}: dtype ${DT[t.dtype]} has no TF.js weight type`);
      const shape = (t.tensorShape && t.tensorShape.dim || []).map((d) => Number(str(d.size)));
      const c = t.tensorContent || new Uint8Array(0);
      const want = shape.reduce((a, b) => a * b, 1) * (dt === 'bool' ? 1 : 4);
      if (c.length !== want) throw new Error(`Const ${n.name}: ${c.length} content bytes, shape needs ${want}`);
      specs.push({ name: n.name, shape, dtype: dt });
      bufs.push(Buffer.from(c));
    }
    const o = { name: n.name, op: n.op, attr };
    if (n.input && n.input.length) o.input = Array.from(n.input);
    if (n.device) o.device = n.device;
    nodes.push(o);
  }
  const topo = { node: nodes };
  if (gd.versions) topo.versions = { producer: gd.versions.producer, minConsumer: gd.versions.minConsumer };
  if (gd.library) topo.library = {};
  const wd = Buffer.concat(bufs);
  return { modelTopology: topo, weightSpecs: specs, weightData: wd.buffer.slice(wd.byteOffset, wd.byteOffset + wd.length),
           format: 'graph-model' };
}

const handler = (a) => ({ load: async () => a });

// deterministic pseudo-random inputs (no Math.random: reruns compare alike)
function randInput(shape, dtype, seed) {
  const s = shape.map((d) => (d < 0 ? 1 : d));
  const n = s.reduce((a, b) => a * b, 1);
  let x = seed >>> 0;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) { x = (x * 1664525 + 1013904223) >>> 0; v[i] = x / 4294967296 * 2 - 1; }
  return dtype === 'int32' ? tf.tensor(Int32Array.from(v, (f) => Math.round(f * 10)), s, 'int32') : tf.tensor(v, s, 'float32');
}

(async () => {
  tf.setBackend('cpu');
  const [mode, modelJson, out, tolArg] = process.argv.slice(2);
  if (mode === 'dump') {
    const r = rebuild(api.GraphDef.decode(fs.readFileSync(modelJson)));
    console.log(JSON.stringify({ modelTopology: r.modelTopology, weightSpecs: r.weightSpecs }));
    return;
  }
  const tol = Number(tolArg || 0);
  const summary = {};
  let gd;
  if (mode === 'frozen') {
    gd = api.GraphDef.decode(fs.readFileSync(out));
  } else {
    const sm = api.SavedModel.decode(fs.readFileSync(path.join(out, 'saved_model.pb')));
    summary.schema = str(sm.savedModelSchemaVersion);
    summary.metaGraphs = sm.metaGraphs.length;
    summary.variablesDir = fs.statSync(path.join(out, 'variables')).isDirectory();
    const mg = sm.metaGraphs[0];
    summary.tags = Array.from(mg.metaInfoDef.tags);
    summary.signatures = {};
    for (const [k, s] of Object.entries(mg.signatureDef)) {
      const io = (m) => Object.fromEntries(Object.entries(m).map(([kk, ti]) => [kk, { name: ti.name, dtype: DT[ti.dtype] }]));
      summary.signatures[k] = { inputs: io(s.inputs), outputs: io(s.outputs), methodName: s.methodName };
    }
    gd = mg.graphDef;
  }
  summary.nodes = gd.node.length;
  summary.consts = gd.node.filter((n) => n.op === 'Const').length;
  summary.ops = [...new Set(gd.node.map((n) => n.op))].sort();
  summary.fused = gd.node.filter((n) => /Fused/.test(n.op) || n.op === 'Prelu').length;
  summary.producer = gd.versions ? gd.versions.producer : null;

  const orig = await tf.loadGraphModel(fileHandler(modelJson));
  const rebuilt = await tf.loadGraphModel(handler(rebuild(gd)));
  const feeds = {};
  orig.inputs.forEach((t, i) => { feeds[t.name.replace(/:0$/, '')] = randInput(t.shape || [], t.dtype, 1234 + i); });
  // OUTPUTS=A,B compares those only (a graph pruned by --outputs)
  const outNames = process.env.OUTPUTS ? process.env.OUTPUTS.split(',') : orig.outputs.map((t) => t.name);
  const a = await orig.executeAsync(feeds, outNames);
  const b = await rebuilt.executeAsync(feeds, outNames);
  const as = Array.isArray(a) ? a : [a], bs = Array.isArray(b) ? b : [b];
  let maxDiff = 0, values = 0;
  as.forEach((t, i) => {
    const x = t.dataSync(), y = bs[i].dataSync();
    if (x.length !== y.length || JSON.stringify(t.shape) !== JSON.stringify(bs[i].shape)) maxDiff = Infinity;
    for (let k = 0; k < x.length; k++) maxDiff = Math.max(maxDiff, Math.abs(x[k] - y[k]));
    values += x.length;
  });
  summary.outputs = outNames;
  summary.values = values;
  summary.maxDiff = maxDiff;
  console.log('SUMMARY ' + JSON.stringify(summary));
  process.exit(maxDiff <= tol && values > 0 ? 0 : 1);
})().catch((e) => { console.log('ERROR ' + e.message); process.exit(2); });
