#!/usr/bin/python3
# Regenerates examples/demo.safetensors and examples/config.json: a tiny
# llama-style model (random weights, Hugging Face names) for `make demo`.
# It writes the safetensors layout by hand (8-byte length, JSON, data) so
# the demo does not depend on ckpt's own writer.
import json, os, struct
import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
rng = np.random.default_rng(7)
H, V, L, I = 16, 64, 2, 32
KV = 2 * (H // 4)
t = {}
t["model.embed_tokens.weight"] = rng.standard_normal((V, H)).astype(np.float16)
for i in range(L):
    p = f"model.layers.{i}."
    # 4 query heads, 2 key/value heads of dim 4 (grouped-query attention)
    for n, rows in (("q_proj", H), ("k_proj", KV), ("v_proj", KV), ("o_proj", H)):
        t[p + f"self_attn.{n}.weight"] = (rng.standard_normal((rows, H)) * 0.1).astype(np.float16)
    t[p + "mlp.gate_proj.weight"] = (rng.standard_normal((I, H)) * 0.1).astype(np.float16)
    t[p + "mlp.up_proj.weight"] = (rng.standard_normal((I, H)) * 0.1).astype(np.float16)
    t[p + "mlp.down_proj.weight"] = (rng.standard_normal((H, I)) * 0.1).astype(np.float16)
    t[p + "input_layernorm.weight"] = np.ones(H, np.float32)
    t[p + "post_attention_layernorm.weight"] = np.ones(H, np.float32)
t["model.norm.weight"] = np.ones(H, np.float32)
t["lm_head.weight"] = (rng.standard_normal((V, H)) * 0.1).astype(np.float16)
names = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32"}
hdr = {"__metadata__": {"format": "pt", "note": "ckpt demo model: random weights"}}
off = 0
for k, a in t.items():
    hdr[k] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
h = json.dumps(hdr, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(os.path.join(out, "demo.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for a in t.values():
        f.write(a.tobytes())
json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": H,
           "intermediate_size": I, "num_hidden_layers": L, "num_attention_heads": 4,
           "num_key_value_heads": 2, "vocab_size": V, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
           "hidden_act": "silu", "tie_word_embeddings": False, "max_position_embeddings": 128,
           "torch_dtype": "float16"}, open(os.path.join(out, "config.json"), "w"), indent=2)
