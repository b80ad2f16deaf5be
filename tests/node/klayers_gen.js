// tests/node/klayers_gen.js: the layer test harness of the code exporters
// (--to numpy, --to c). TensorFlow.js 4.22 (pure-JS CPU backend), whose
// layers implement Keras semantics, is the reference.
//
//   node klayers_gen.js gen OUTDIR          build every test model
//   node klayers_gen.js ref MODEL_JSON CASEDIR [NAME [SRC]]   a saved layers model
//                                              (SRC: the model to export, default MODEL_JSON)
//
// `gen` builds small models with tfjs's own layers API (Sequential and
// functional, several inputs/outputs, shared layers, every layer class of
// issue 11), gives them seeded random weights, saves each through
// tf.io.withSaveHandler as OUTDIR/NAME/model.json + weights.bin, and writes
// random inputs and model.predict outputs for batch 1 and batch 7:
//   meta.json   {"name", "src": "model.json", "tol", "inputs": [per-sample shapes],
//                "outputs": [per-sample shapes], "batches": [1, 7], "ref": "tfjs"}
//   in{K}_b{B}.f32 / out{K}_b{B}.f32   raw little-endian float32, C order,
//                                       batch first
// A few Keras classes or options TF.js lacks (Subtract, ZeroPadding1D,
// Cropping1D, SpatialDropout2D, the activations "exponential" and
// "leaky_relu") are built as an equivalent TF.js graph whose predict is the
// reference, and the saved config is then rewritten to the Keras class
// (see `patch` below). GRU reset_after=True has no TF.js layer at all: its
// case is written without outputs ("ref": "kgru") and tests/kgru_ref.py
// computes them from Keras's GRU equations.
//
// `ref` loads an existing layers model (a fixture, or ckpt --to tfjs output
// of a Keras file) and writes the same case files for it.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { fileHandler } = require('./tfjs_io');

const L = tf.layers;
const TOL = 1e-5, TOL_RNN = 1e-4, STEPS = 20;

// ---- seeded random numbers (same files on every run) ----
let seed = 12345;
function rnd() {              // uniform [0, 1), LCG (Numerical Recipes)
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
function uniform(n, lo, hi) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd();
  return a;
}
const prod = (s) => s.reduce((a, b) => a * b, 1);

function randomizeWeights(model, scale) {
  const vals = model.weights.map((w) => {
    const n = prod(w.shape), variance = /variance/.test(w.originalName);
    return tf.tensor(variance ? uniform(n, 0.5, 1.5) : uniform(n, -scale, scale), w.shape);
  });
  model.setWeights(vals);
}

// ---- saving ----
async function artifacts(model) {
  let art;
  await model.save(tf.io.withSaveHandler(async (a) => {
    art = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const parts = Array.isArray(art.weightData) ? art.weightData : [art.weightData];
  const buf = Buffer.concat(parts.map((p) => Buffer.from(p)));
  const weights = [];
  let off = 0;
  for (const s of art.weightSpecs) {
    const n = prod(s.shape) * 4;
    if (s.dtype !== 'float32') throw new Error(`weight ${s.name}: dtype ${s.dtype}`);
    const b = Buffer.from(buf.subarray(off, off + n));
    weights.push({ name: s.name, shape: s.shape, data: new Float32Array(b.buffer, b.byteOffset, n / 4) });
    off += n;
  }
  return { topology: art.modelTopology, weights };
}

function writeModel(dir, topology, weights) {
  fs.mkdirSync(dir, { recursive: true });
  const specs = weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' }));
  const bin = Buffer.concat(weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));
  const mj = {
    format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: null,
    modelTopology: topology, weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(mj));
  fs.writeFileSync(path.join(dir, 'weights.bin'), bin);
}

function writeF32(p, arr) {
  const a = arr instanceof Float32Array ? arr : Float32Array.from(arr);
  fs.writeFileSync(p, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

// ---- inputs and reference outputs ----
// gen(k, n) gives n random values for input k (default uniform [-1, 1)).
function makeInputs(inShapes, batch, gen) {
  return inShapes.map((s, k) => {
    const n = batch * prod(s);
    const v = gen ? gen(k, n, s) : uniform(n, -1, 1);
    return tf.tensor(v, [batch, ...s]);
  });
}

// model.predict on xs, in chunks of a fixed batch size when the model
// declares one (a Keras 3 batch_shape [2, ...]): rows are independent.
function predict(model, xs, fixedBatch) {
  const run = (ins) => {
    let ys = model.predict(ins.length === 1 ? ins[0] : ins);
    return Array.isArray(ys) ? ys : [ys];
  };
  if (!fixedBatch) return run(xs).map((y) => y.dataSync());
  const B = xs[0].shape[0], outs = [];
  for (let b = 0; b < B; b++) {
    const ins = xs.map((x) => tf.tile(x.slice([b], [1]), [fixedBatch, ...x.shape.slice(1).map(() => 1)]));
    run(ins).forEach((y, k) => {
      const row = y.slice([0], [1]).dataSync();
      (outs[k] = outs[k] || []).push(...row);
    });
  }
  return outs.map((o) => Float32Array.from(o));
}

function checkFinite(name, ys) {
  for (const y of ys)
    for (const v of y) if (!Number.isFinite(v)) throw new Error(`${name}: reference output not finite`);
}

// Write the case files of one model: inputs and reference outputs.
function writeCase(dir, name, model, opt) {
  const inShapes = model.inputs.map((t) => t.shape.slice(1));
  const outShapes = model.outputs.map((t) => t.shape.slice(1));
  for (const s of [...inShapes, ...outShapes])
    if (s.some((d) => d == null)) throw new Error(`${name}: shape with None ${s}`);
  const batches = [1, 7];
  for (const B of batches) {
    const xs = makeInputs(inShapes, B, opt.inputs);
    xs.forEach((x, k) => writeF32(path.join(dir, `in${k}_b${B}.f32`), x.dataSync()));
    if (opt.ref === 'kgru') continue;
    let ys = predict(model, xs, opt.fixedBatch);
    if (opt.post) ys = opt.post(ys);
    checkFinite(name, ys);
    ys.forEach((y, k) => writeF32(path.join(dir, `out${k}_b${B}.f32`), y));
  }
  const meta = {
    name, src: opt.src || 'model.json', tol: opt.tol || TOL, inputs: inShapes, outputs: outShapes,
    batches, ref: opt.ref || 'tfjs', refuse: opt.refuse || null, layers: model.layers.map((l) => l.getClassName()),
    verifies: opt.verifies || [],
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 1));
}

// ---- config rewriting (for Keras classes TF.js lacks) ----
function topoLayers(topo) {
  return topo.config.layers;
}
function findLayer(topo, name) {
  const l = topoLayers(topo).find((x) => x.config.name === name || x.name === name);
  if (!l) throw new Error(`no layer ${name} in the topology`);
  return l;
}
// Replace the Sequential layers named `names` (consecutive) by one layer.
function replaceSeq(topo, names, layer) {
  const ls = topoLayers(topo);
  const i = ls.findIndex((x) => x.config.name === names[0]);
  if (i < 0) throw new Error(`no layer ${names[0]}`);
  for (let k = 0; k < names.length; k++)
    if (ls[i + k].config.name !== names[k]) throw new Error(`layers ${names} are not consecutive`);
  if (layer) ls.splice(i, names.length, layer);
  else ls.splice(i, names.length);
}

// ---- the test models ----
const input = (shape, name) => tf.input({ shape, name });
const ACTS = ['linear', 'relu', 'relu6', 'elu', 'selu', 'gelu', 'gelu_new', 'swish', 'sigmoid', 'hardSigmoid',
              'tanh', 'softmax', 'softplus', 'softsign', 'mish'];

const cases = {
  // functional, one input, one output per activation (Dense's activation=)
  dense_acts() {
    const x = input([6], 'x');
    const outs = ACTS.map((a) => L.dense({ units: 5, activation: a, name: `dense_${a}` }).apply(x));
    const nb = L.dense({ units: 4, useBias: false, name: 'dense_nobias' }).apply(x);
    return { model: tf.model({ inputs: x, outputs: [...outs, nb] }), scale: 1.0,
             verifies: ['Dense', ...ACTS.map((a) => 'activation:' + a)] };
  },
  // the Activation layer and the advanced activation layers
  act_layers() {
    const x = input([3, 7], 'x');
    const h = L.dense({ units: 6, name: 'pre' }).apply(x);
    // at most 16 outputs (KG_MAXIN): the Activation layers are concatenated
    const outs = [L.concatenate({ name: 'acts' }).apply(ACTS.map((a) => L.activation({ activation: a, name: `act_${a}` }).apply(h)))];
    outs.push(L.leakyReLU({ alpha: 0.15, name: 'leaky' }).apply(h));
    outs.push(L.elu({ name: 'elu_layer' }).apply(h));
    outs.push(L.reLU({ name: 'relu_layer' }).apply(h));
    outs.push(L.reLU({ maxValue: 6, name: 'relu6_layer' }).apply(L.dense({ units: 4, name: 'big' }).apply(x)));
    outs.push(L.softmax({ axis: -1, name: 'softmax_layer' }).apply(h));
    return { model: tf.model({ inputs: x, outputs: outs }), scale: 2.0,
             verifies: ['Activation', 'LeakyReLU', 'ELU', 'ReLU', 'Softmax'] };
  },
  // activations TF.js lacks: Dense(linear) + tf op as the reference
  acts_extra() {
    const m = tf.sequential({ name: 'acts_extra' });
    m.add(L.dense({ inputShape: [5], units: 6, name: 'dense_exp' }));
    m.add(L.dense({ units: 4, name: 'dense_leaky' }));
    return {
      model: m, scale: 0.8, verifies: ['activation:exponential', 'activation:leaky_relu'],
      // reference: the chain exp -> dense_leaky -> leaky_relu(0.2) in tf ops
      custom(ws, xs) {
        const [k1, b1, k2, b2] = ws;
        return [tf.leakyRelu(tf.add(tf.matMul(tf.exp(tf.add(tf.matMul(xs[0], k1), b1)), k2), b2), 0.2)];
      },
      patch(topo) {
        findLayer(topo, 'dense_exp').config.activation = 'exponential';
        findLayer(topo, 'dense_leaky').config.activation = 'leaky_relu';
      },
    };
  },
  // Sequential shape layers and TimeDistributed(Dense)
  shapes() {
    const m = tf.sequential({ name: 'shapes' });
    m.add(L.permute({ inputShape: [4, 6], dims: [2, 1], name: 'permute' }));
    m.add(L.reshape({ targetShape: [3, 8], name: 'reshape' }));
    m.add(L.dropout({ rate: 0.5, name: 'dropout' }));
    m.add(L.flatten({ name: 'flatten' }));
    m.add(L.dense({ units: 10, activation: 'tanh', name: 'dense' }));
    m.add(L.repeatVector({ n: 3, name: 'repeat' }));
    m.add(L.spatialDropout1d({ rate: 0.3, name: 'sdrop1d' }));
    m.add(L.timeDistributed({ layer: L.dense({ units: 4, name: 'td_dense' }), name: 'td' }));
    m.add(L.reshape({ targetShape: [2, 3, 2], name: 'reshape3' }));
    m.add(L.permute({ dims: [3, 1, 2], name: 'permute3' }));
    return { model: m, verifies: ['Permute', 'Reshape', 'Dropout', 'Flatten', 'RepeatVector', 'TimeDistributed',
                                  'SpatialDropout1D'] };
  },
  norms() {
    const m = tf.sequential({ name: 'norms' });
    m.add(L.batchNormalization({ inputShape: [5, 6], epsilon: 0.01, name: 'bn' }));
    m.add(L.layerNormalization({ name: 'ln' }));
    m.add(L.dense({ units: 4, name: 'dense' }));
    m.add(L.batchNormalization({ center: false, scale: false, name: 'bn_plain' }));
    m.add(L.layerNormalization({ center: false, scale: false, epsilon: 1e-5, name: 'ln_plain' }));
    return { model: m, verifies: ['BatchNormalization', 'LayerNormalization'] };
  },
  conv1d() {
    const m = tf.sequential({ name: 'conv1d' });
    m.add(L.conv1d({ inputShape: [16, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c_same' }));
    m.add(L.conv1d({ filters: 5, kernelSize: 3, dilationRate: 2, activation: 'relu', name: 'c_dil' }));
    m.add(L.maxPooling1d({ poolSize: 2, name: 'maxpool' }));
    m.add(L.reshape({ targetShape: [1, 2, 5], name: 'zp_a' }));
    m.add(L.zeroPadding2d({ padding: [[0, 0], [1, 2]], name: 'zp_b' }));
    m.add(L.reshape({ targetShape: [5, 5], name: 'zp_c' }));
    m.add(L.averagePooling1d({ poolSize: 2, strides: 1, padding: 'same', name: 'avgpool' }));
    m.add(L.reshape({ targetShape: [1, 5, 5], name: 'cr_a' }));
    m.add(L.cropping2D({ cropping: [[0, 0], [1, 0]], name: 'cr_b' }));
    m.add(L.reshape({ targetShape: [4, 5], name: 'cr_c' }));
    // causal padding (TF.js has none): its left zero padding, then valid
    m.add(L.reshape({ targetShape: [1, 4, 5], name: 'ca_a' }));
    m.add(L.zeroPadding2d({ padding: [[0, 0], [2, 0]], name: 'ca_b' }));
    m.add(L.reshape({ targetShape: [6, 5], name: 'ca_c' }));
    m.add(L.conv1d({ filters: 4, kernelSize: 2, dilationRate: 2, name: 'c_causal' }));
    m.add(L.conv1d({ filters: 3, kernelSize: 1, useBias: false, name: 'c_1x1' }));
    return {
      model: m, verifies: ['Conv1D', 'Conv1D padding=causal', 'MaxPooling1D', 'AveragePooling1D', 'ZeroPadding1D',
                           'Cropping1D'],
      patch(topo) {
        replaceSeq(topo, ['ca_a', 'ca_b', 'ca_c'], null);
        findLayer(topo, 'c_causal').config.padding = 'causal';
        replaceSeq(topo, ['zp_a', 'zp_b', 'zp_c'], { class_name: 'ZeroPadding1D',
          config: { name: 'zeropad1d', trainable: true, dtype: 'float32', padding: [1, 2] } });
        replaceSeq(topo, ['cr_a', 'cr_b', 'cr_c'], { class_name: 'Cropping1D',
          config: { name: 'crop1d', trainable: true, dtype: 'float32', cropping: [1, 0] } });
      },
    };
  },
  gpool1d() {
    const x = input([9, 4], 'x');
    const h = L.conv1d({ filters: 3, kernelSize: 2, name: 'conv' }).apply(x);
    return { model: tf.model({ inputs: x, outputs: [L.globalAveragePooling1d({ name: 'gap' }).apply(h),
                                                    L.globalMaxPooling1d({ name: 'gmp' }).apply(h)] }),
             verifies: ['GlobalAveragePooling1D', 'GlobalMaxPooling1D'] };
  },
  conv2d() {
    const m = tf.sequential({ name: 'conv2d' });
    m.add(L.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c_same' }));
    m.add(L.conv2d({ filters: 4, kernelSize: [2, 3], dilationRate: [2, 1], padding: 'valid', activation: 'relu', name: 'c_dil' }));
    m.add(L.dropout({ rate: 0.2, name: 'sdrop2d' }));
    m.add(L.zeroPadding2d({ padding: [[1, 0], [0, 2]], name: 'zpad' }));
    m.add(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }));
    m.add(L.separableConv2d({ filters: 5, kernelSize: 2, depthMultiplier: 2, activation: 'elu', name: 'sep' }));
    m.add(L.maxPooling2d({ poolSize: 2, padding: 'same', name: 'maxpool' }));
    m.add(L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'avgpool' }));
    m.add(L.upSampling2d({ size: [2, 1], name: 'up' }));
    m.add(L.cropping2D({ cropping: [[1, 1], [0, 1]], name: 'crop' }));
    m.add(L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'ct_same' }));
    m.add(L.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [1, 2], padding: 'valid', name: 'ct_valid' }));
    m.add(L.flatten({ name: 'flatten' }));
    return {
      model: m, scale: 0.6,
      verifies: ['Conv2D', 'SpatialDropout2D', 'ZeroPadding2D', 'DepthwiseConv2D', 'SeparableConv2D', 'MaxPooling2D',
                 'AveragePooling2D', 'UpSampling2D', 'Cropping2D', 'Conv2DTranspose'],
      patch(topo) {
        findLayer(topo, 'sdrop2d').class_name = 'SpatialDropout2D';
        // tfjs 4.22 leaves depth_multiplier out of SeparableConv2D's config
        // (it could not load its own file); Keras writes it
        findLayer(topo, 'sep').config.depth_multiplier = 2;
      },
    };
  },
  pool2d() {
    const x = input([7, 6, 3], 'img');
    const mp = L.maxPooling2d({ poolSize: [3, 2], strides: [2, 1], name: 'mp_valid' }).apply(x);
    const ap = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'ap_valid' }).apply(x);
    const ap2 = L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap_same' }).apply(x);
    const g1 = L.globalAveragePooling2d({ name: 'gap' }).apply(x);
    const g2 = L.globalMaxPooling2d({ name: 'gmp' }).apply(x);
    const dw = L.depthwiseConv2d({ kernelSize: [3, 2], strides: 2, useBias: false, activation: 'relu', name: 'dw_s2' }).apply(x);
    return { model: tf.model({ inputs: x, outputs: [mp, ap, ap2, g1, g2, dw] }),
             verifies: ['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D',
                        'DepthwiseConv2D strides'] };
  },
  // functional: three inputs, merges, a layer shared by two calls, two outputs
  merges() {
    const a = input([6], 'a'), b = input([6], 'b'), c = input([6], 'c');
    const da = L.dense({ units: 5, name: 'da' }).apply(a);
    const db = L.dense({ units: 5, name: 'db' }).apply(b);
    const dc = L.dense({ units: 5, name: 'dc' }).apply(c);
    const shared = L.dense({ units: 5, activation: 'tanh', name: 'shared' });
    const sa = shared.apply(a), sb = shared.apply(b);
    const dn = L.dense({ units: 5, name: 'dn' }).apply(b);
    const sub = L.add({ name: 'sub' }).apply([da, dn]);           // Subtract(da, dn') after the patch
    const parts = [
      L.add({ name: 'add3' }).apply([da, db, dc]), sub, L.multiply({ name: 'mul' }).apply([da, dc]),
      L.average({ name: 'avg' }).apply([da, db, sa]), L.maximum({ name: 'max' }).apply([sa, sb, dc]),
      L.minimum({ name: 'min' }).apply([da, sb]),
    ];
    const cat = L.concatenate({ name: 'cat' }).apply(parts);
    // (tfjs gives -1 an unknown static size: a second Reshape fixes it)
    const r1 = L.reshape({ targetShape: [2, 15], name: 'r1b' }).apply(
      L.reshape({ targetShape: [-1, 5], name: 'r1' }).apply(cat));
    const r2 = L.reshape({ targetShape: [3, 5], name: 'r2' }).apply(L.concatenate({ name: 'cat_s' }).apply([sa, sb, dc]));
    const r3 = L.reshape({ targetShape: [3, 5], name: 'r3' }).apply(L.concatenate({ name: 'cat_d' }).apply([da, db, dc]));
    const cat1 = L.concatenate({ axis: 1, name: 'cat_axis1' }).apply([r2, r3]);
    return {
      model: tf.model({ inputs: [a, b, c], outputs: [r1, cat1] }),
      verifies: ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'shared layer',
                 'several inputs', 'several outputs'],
      // the reference computes da + dn: the saved weights of dn are negated
      // and Add becomes Subtract, so the exported graph computes da - (-dn)
      patch(topo, weights) {
        findLayer(topo, 'sub').class_name = 'Subtract';
        for (const w of weights)
          if (/^dn\//.test(w.name)) w.data = w.data.map((v) => -v);
      },
    };
  },
  // names that read the same as identifiers ('d-1', 'd_1'; a layer 'sh_1'
  // beside the second call of the shared 'sh'; inputs 'in-a', 'in_a')
  names() {
    const a = input([4], 'in-a'), b = input([4], 'in_a');
    const sh = L.dense({ units: 3, name: 'sh' });
    const y1 = L.dense({ units: 3, name: 'd-1' }).apply(a), y2 = L.dense({ units: 3, name: 'd_1' }).apply(b);
    const s1 = sh.apply(a), s2 = sh.apply(b), s3 = L.dense({ units: 3, name: 'sh_1' }).apply(a);
    return { model: tf.model({ inputs: [a, b], outputs: [L.add({ name: 'sum' }).apply([y1, y2, s1, s2, s3]), s2] }),
             verifies: ['names that clash as identifiers'] };
  },
  embedding() {
    const m = tf.sequential({ name: 'embedding' });
    m.add(L.embedding({ inputShape: [7], inputDim: 20, outputDim: 4, name: 'emb' }));
    m.add(L.flatten({ name: 'flat' }));
    m.add(L.dense({ units: 3, name: 'dense' }));
    return { model: m, verifies: ['Embedding'], inputs: (k, n) => Float32Array.from(uniform(n, 0, 20), Math.floor) };
  },
  simple_rnn() {
    const m = tf.sequential({ name: 'simple_rnn' });
    m.add(L.simpleRNN({ inputShape: [STEPS, 5], units: 6, returnSequences: true, name: 'rnn_seq' }));
    m.add(L.simpleRNN({ units: 5, returnSequences: true, goBackwards: true, activation: 'relu', name: 'rnn_back_seq' }));
    m.add(L.simpleRNN({ units: 4, goBackwards: true, name: 'rnn_back' }));
    m.add(L.dense({ units: 3, name: 'dense' }));
    return { model: m, tol: TOL_RNN, scale: 0.4, verifies: ['SimpleRNN', 'return_sequences', 'go_backwards'] };
  },
  lstm() {
    const m = tf.sequential({ name: 'lstm' });
    m.add(L.lstm({ inputShape: [STEPS, 5], units: 6, returnSequences: true, goBackwards: true, name: 'lstm_back_seq' }));
    m.add(L.lstm({ units: 5, returnSequences: true, recurrentActivation: 'hardSigmoid', name: 'lstm_seq' }));
    m.add(L.lstm({ units: 4, useBias: false, name: 'lstm_last' }));
    return { model: m, tol: TOL_RNN, scale: 0.5, verifies: ['LSTM', 'return_sequences', 'go_backwards'] };
  },
  gru() {
    const m = tf.sequential({ name: 'gru' });
    m.add(L.gru({ inputShape: [STEPS, 4], units: 6, returnSequences: true, name: 'gru_seq' }));
    m.add(L.gru({ units: 5, returnSequences: true, goBackwards: true, name: 'gru_back_seq' }));
    m.add(L.gru({ units: 3, goBackwards: true, recurrentActivation: 'hardSigmoid', name: 'gru_back' }));
    return { model: m, tol: TOL_RNN, scale: 0.5, verifies: ['GRU reset_after=False', 'return_sequences', 'go_backwards'] };
  },
  bidirectional() {
    const x = input([STEPS, 4], 'seq');
    const b1 = L.bidirectional({ layer: L.lstm({ units: 5, returnSequences: true, name: 'lstm' }), mergeMode: 'concat', name: 'bi_lstm' }).apply(x);
    const b2 = L.bidirectional({ layer: L.gru({ units: 3, name: 'gru' }), mergeMode: 'sum', name: 'bi_gru' }).apply(b1);
    const b3 = L.bidirectional({ layer: L.simpleRNN({ units: 3, returnSequences: true, name: 'rnn' }), mergeMode: 'mul', name: 'bi_rnn' }).apply(x);
    const b4 = L.bidirectional({ layer: L.simpleRNN({ units: 2, goBackwards: true, name: 'rnn2' }), mergeMode: 'ave', name: 'bi_rnn_ave' }).apply(x);
    const b5 = L.bidirectional({ layer: L.lstm({ units: 2, goBackwards: true, returnSequences: true, name: 'lstm3' }), name: 'bi_back_seq' }).apply(x);
    return { model: tf.model({ inputs: x, outputs: [b2, b3, b4, b5] }), tol: TOL_RNN, scale: 0.5,
             verifies: ['Bidirectional', 'Bidirectional backward_layer', 'return_sequences', 'go_backwards'],
             // Keras writes backward_layer (go_backwards flipped) beside layer
             patch(topo) {
               const c = findLayer(topo, 'bi_gru').config;
               const bl = JSON.parse(JSON.stringify(c.layer));
               bl.config.name = 'backward_gru';
               bl.config.go_backwards = !bl.config.go_backwards;
               c.backward_layer = bl;
             } };
  },
  masking() {
    const x = input([STEPS, 3], 'x');
    const mk = L.masking({ maskValue: 0, name: 'mask' }).apply(x);
    const outs = [L.lstm({ units: 4, returnSequences: true, name: 'lstm' }).apply(mk),
                  L.gru({ units: 3, name: 'gru' }).apply(mk),
                  L.simpleRNN({ units: 3, goBackwards: true, returnSequences: true, name: 'rnn' }).apply(mk)];
    return {
      model: tf.model({ inputs: x, outputs: outs }), tol: TOL_RNN, verifies: ['Masking'],
      // every third time step masked (all zeros)
      inputs: (k, n, s) => uniform(n, -1, 1).map((v, i) => (Math.floor(i / s[1]) % s[0]) % 3 === 1 ? 0 : v),
    };
  },
  // GRU reset_after=True: a TF.js GRU's config rewritten (bias [2, 3u]);
  // outputs from tests/kgru_ref.py
  gru_reset_after() {
    const m = tf.sequential({ name: 'gru_reset_after' });
    m.add(L.gru({ inputShape: [STEPS, 3], units: 5, returnSequences: true, name: 'gru_ra_seq' }));
    m.add(L.gru({ units: 4, goBackwards: true, name: 'gru_ra_back' }));
    return {
      model: m, tol: TOL_RNN, ref: 'kgru', scale: 0.5, verifies: ['GRU reset_after=True'],
      patch(topo, weights) {
        for (const l of topoLayers(topo)) l.config.reset_after = true;
        findLayer(topo, 'gru_ra_seq').config.recurrent_activation = 'sigmoid';   // Keras's default
        for (const w of weights)
          if (/\/bias$/.test(w.name)) {
            w.shape = [2, w.shape[0]];
            w.data = uniform(prod(w.shape), -0.5, 0.5);
          }
      },
    };
  },

  // what the exporters must refuse, naming the layer (meta "refuse": the message)
  bad_prelu() {
    const m = tf.sequential({ name: 'bad_prelu' });
    m.add(L.dense({ inputShape: [4], units: 3, name: 'dense' }));
    m.add(L.prelu({ name: 'prelu' }));
    return { model: m, refuse: "layer 'prelu' (PReLU): layer class not supported by code export" };
  },
  bad_mask_dense() {
    const m = tf.sequential({ name: 'bad_mask_dense' });
    m.add(L.masking({ inputShape: [5, 3], name: 'mask' }));
    m.add(L.dense({ units: 3, name: 'dense' }));
    m.add(L.lstm({ units: 2, name: 'lstm' }));
    return { model: m, refuse: "layer 'dense' (Dense): its input carries a Keras mask" };
  },
};

async function gen(out) {
  const names = process.env.KLAYERS_CASES ? process.env.KLAYERS_CASES.split(/[ ,]+/) : Object.keys(cases);
  for (const name of names) {
    if (!cases[name]) throw new Error(`no case ${name}`);
    const c = cases[name]();
    const dir = path.join(out, name);
    randomizeWeights(c.model, c.scale || 0.5);
    const { topology, weights } = await artifacts(c.model);
    if (c.custom) {      // reference from tf ops on the weights
      const ws = weights.map((w) => tf.tensor(w.data, w.shape));
      c.post = null;
      c.model = { inputs: c.model.inputs, outputs: c.model.outputs, layers: c.model.layers,
                  predict: (xs) => c.custom(ws, Array.isArray(xs) ? xs : [xs]) };
    }
    if (c.patch) c.patch(topology, weights);
    writeModel(dir, topology, weights);
    writeCase(dir, name, c.model, c);
    console.log(`${name}: ${c.model.layers.length} layers, ${weights.length} weights`);
  }
}

// Inputs a saved model's first layers read as meant: token ids below
// input_dim for an input an Embedding reads; for one a Masking layer reads,
// the trailing third of the steps of every even sample at its mask value
// (so the masked path is what gets compared).
function refInputs(m) {
  const readers = (k) => m.layers.filter((l) => l.inboundNodes.some((n) =>
    n.inboundLayers.some((x) => x.name === m.inputs[k].sourceLayer.name)));
  return (k, n, s) => {
    const rs = readers(k), emb = rs.find((l) => l.getClassName() === 'Embedding');
    const mask = rs.find((l) => l.getClassName() === 'Masking');
    const v = emb ? Float32Array.from(uniform(n, 0, 1), (u) => Math.floor(u * emb.getConfig().inputDim)) : uniform(n, -1, 1);
    if (mask && s.length === 2) {
      const [T, F] = s, B = n / (T * F);
      for (let b = 0; b < B; b += 2)
        for (let t = T - Math.max(1, Math.floor(T / 3)); t < T; t++)
          for (let f = 0; f < F; f++) v[(b * T + t) * F + f] = mask.getConfig().maskValue;
    }
    return v;
  };
}

async function ref(modelJson, dir, name, src) {
  const m = await tf.loadLayersModel(fileHandler(modelJson));
  fs.mkdirSync(dir, { recursive: true });
  const fixed = m.inputs[0].shape[0];
  const rec = m.layers.some((l) => /RNN|LSTM|GRU|Bidirectional/.test(l.getClassName()));
  writeCase(dir, name || path.basename(dir), m, { src: path.resolve(src || modelJson), tol: rec ? TOL_RNN : TOL,
                                                   fixedBatch: fixed || 0, inputs: refInputs(m) });
  console.log(`${name || dir}: ${m.layers.length} layers`);
}

(async () => {
  tf.setBackend('cpu');
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'gen') await gen(args[0]);
  else if (mode === 'ref') await ref(args[0], args[1], args[2], args[3]);
  else throw new Error('usage: klayers_gen.js gen OUTDIR | ref MODEL_JSON CASEDIR [NAME [SRC]]');
})().catch((e) => { console.log('klayers_gen error: ' + (e.stack || e.message)); process.exit(2); });
