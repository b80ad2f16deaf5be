// tests/node/tfjs_io.js: a TensorFlow.js IOHandler that reads model.json and
// its shard files from disk (what tf.io's file:// handler of tfjs-node does,
// for the pure-JS package), shared by the Node reference scripts.
const fs = require('fs');
const path = require('path');

function fileHandler(p) {
  return {
    load: async () => {
      const mj = JSON.parse(fs.readFileSync(p, 'utf8'));
      const dir = path.dirname(p);
      const specs = [], bufs = [];
      for (const g of mj.weightsManifest) {
        specs.push(...g.weights);
        for (const s of g.paths) bufs.push(fs.readFileSync(path.join(dir, s)));
      }
      const wd = Buffer.concat(bufs);
      return {
        modelTopology: mj.modelTopology, format: mj.format, generatedBy: mj.generatedBy,
        convertedBy: mj.convertedBy, signature: mj.signature,
        userDefinedMetadata: mj.userDefinedMetadata, modelInitializer: mj.modelInitializer,
        weightSpecs: specs,
        weightData: wd.buffer.slice(wd.byteOffset, wd.byteOffset + wd.length),
      };
    },
  };
}

module.exports = { fileHandler };
