// tests/node_gguf/llama_ref.mjs: llama.cpp (node-llama-cpp 3.21.1, its
// prebuilt CPU binary) as the reference for ckpt's GGUF writer.
//   node llama_ref.mjs FILE.gguf PROMPT NVOCAB
//       JSON: {tokens, bos, eos, logp: [[log p of each of the NVOCAB tokens]
//       per prompt position]}
// Probabilities come from llama.cpp's own softmax at temperature 1 with no
// sampling cut-offs, so log p = logits - logsumexp(logits). The KV cache is
// F32 (llama.cpp defaults to F16), so F32 weights are computed in F32 end to end.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [file, prompt, nvocab] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: file});
const ctx = await model.createContext({contextSize: 64, batchSize: 64, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
const seq = ctx.getSequence();
const tokens = model.tokenize(prompt, true);
const opts = {temperature: 1, topK: 0, topP: 1, minP: 0};
const res = await seq.controlledEvaluate(tokens.map(t => [t, {generateNext: {probabilities: true, options: opts}}]));
const logp = res.map(r => {
    const row = new Array(Number(nvocab)).fill(null);
    for (const [tok, p] of r.next.probabilities) row[tok] = Math.log(p);
    return row;
});
console.log(JSON.stringify({tokens: Array.from(tokens), bos: model.tokens.bos, eos: model.tokens.eos, logp}));
await ctx.dispose(); await model.dispose();
