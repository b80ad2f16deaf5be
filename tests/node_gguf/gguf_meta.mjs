// tests/node_gguf/gguf_meta.mjs: @huggingface/gguf (the Hub's own GGUF
// parser) reads a file ckpt wrote.
//   node gguf_meta.mjs FILE.gguf   JSON: {metadata, tensors: [{name, shape, dtype}]}
// Arrays of more than 8 elements are given as their length and first items;
// BigInt values (u64 and friends) as strings.
import {gguf} from "@huggingface/gguf";

const {metadata, tensorInfos} = await gguf(process.argv[2], {allowLocalFile: true});
const plain = v => typeof v === "bigint" ? v.toString()
    : Array.isArray(v) ? (v.length > 8 ? {length: v.length, head: v.slice(0, 5).map(plain), tail: v.slice(-3).map(plain)} : v.map(plain))
    : v;
const md = {};
for (const [k, v] of Object.entries(metadata)) md[k] = plain(v);
const tensors = tensorInfos.map(t => ({name: t.name, shape: t.shape.map(Number).reverse(), dtype: t.dtype, offset: Number(t.offset)}));
console.log(JSON.stringify({metadata: md, tensors}));
