# Architecture facts from a Hugging Face config.json beside the weights
# (`ckpt info`, `info --json`), checked against the config's own numbers and
# a parameter count NumPy computes from the weights written.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then
    skip arch_all "safetensors format not built in"; exit 0
fi

# name config -> writes DIR/config.json and DIR/model.safetensors (HF names and shapes)
$PY - "$T" <<'EOF2'
import json, os, sys, numpy as np, stio
d = sys.argv[1]
def save(name, cfg, shapes, extra=None):
    os.makedirs(f"{d}/{name}", exist_ok=True)
    json.dump(cfg, open(f"{d}/{name}/config.json", "w"))
    stio.write(f"{d}/{name}/model.safetensors", {k: np.zeros(s, np.float16) for k, s in shapes.items()})
    n = sum(int(np.prod(s)) for k, s in shapes.items() if not (extra and extra(k)))
    open(f"{d}/{name}/count", "w").write(str(n))

# llama-style: GQA, RoPE with llama3 scaling, untied
L, H, NQ, NKV, I, V = 2, 16, 4, 2, 24, 32
s = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,), "lm_head.weight": (V, H)}
for i in range(L):
    p = f"model.layers.{i}."
    s.update({p + "input_layernorm.weight": (H,), p + "self_attn.q_proj.weight": (H, H), p + "self_attn.k_proj.weight": (NKV * 4, H),
              p + "self_attn.v_proj.weight": (NKV * 4, H), p + "self_attn.o_proj.weight": (H, H), p + "post_attention_layernorm.weight": (H,),
              p + "mlp.gate_proj.weight": (I, H), p + "mlp.up_proj.weight": (I, H), p + "mlp.down_proj.weight": (H, I),
              p + "self_attn.rotary_emb.inv_freq": (2,)})
cfg = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": L, "hidden_size": H,
       "num_attention_heads": NQ, "num_key_value_heads": NKV, "intermediate_size": I, "vocab_size": V, "hidden_act": "silu",
       "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0},
       "max_position_embeddings": 2048, "tie_word_embeddings": False}
save("llama", cfg, s, lambda k: k.endswith("inv_freq"))
cfg2 = dict(cfg, intermediate_size=I + 8)
save("llama_bad", cfg2, s, lambda k: k.endswith("inv_freq"))
# multi-query
save("mqa", dict(cfg, num_key_value_heads=1), {"model.norm.weight": (H,)})

# gpt2-style: learned positions, LayerNorm, tied head, attn.bias buffers
L, H, V, P = 2, 8, 20, 16
s = {"wte.weight": (V, H), "wpe.weight": (P, H), "ln_f.weight": (H,), "ln_f.bias": (H,)}
for i in range(L):
    p = f"h.{i}."
    s.update({p + "ln_1.weight": (H,), p + "ln_1.bias": (H,), p + "attn.c_attn.weight": (H, 3 * H), p + "attn.c_attn.bias": (3 * H,),
              p + "attn.c_proj.weight": (H, H), p + "attn.c_proj.bias": (H,), p + "ln_2.weight": (H,), p + "ln_2.bias": (H,),
              p + "mlp.c_fc.weight": (H, 4 * H), p + "mlp.c_fc.bias": (4 * H,), p + "mlp.c_proj.weight": (4 * H, H),
              p + "mlp.c_proj.bias": (H,), p + "attn.bias": (1, 1, P, P)})
save("gpt2", {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": L, "n_embd": H, "n_head": 2, "n_inner": None,
              "vocab_size": V, "n_positions": P, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05},
     s, lambda k: k.endswith("attn.bias") and ".c_" not in k)
# bert (BertModel with pooler), gpt_neox (untied), phi (partial rotary, lm_head bias), opt (learned positions + 2)
L, H, I, V, P = 2, 8, 32, 30, 24
s = {"embeddings.word_embeddings.weight": (V, H), "embeddings.position_embeddings.weight": (P, H),
     "embeddings.token_type_embeddings.weight": (2, H), "embeddings.LayerNorm.weight": (H,), "embeddings.LayerNorm.bias": (H,),
     "pooler.dense.weight": (H, H), "pooler.dense.bias": (H,), "embeddings.position_ids": (1, P)}
for i in range(L):
    p = f"encoder.layer.{i}."
    for n in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
        s.update({p + n + ".weight": (H, H), p + n + ".bias": (H,)})
    s.update({p + "attention.output.LayerNorm.weight": (H,), p + "attention.output.LayerNorm.bias": (H,),
              p + "intermediate.dense.weight": (I, H), p + "intermediate.dense.bias": (I,), p + "output.dense.weight": (H, I),
              p + "output.dense.bias": (H,), p + "output.LayerNorm.weight": (H,), p + "output.LayerNorm.bias": (H,)})
save("bert", {"model_type": "bert", "num_hidden_layers": L, "hidden_size": H, "num_attention_heads": 2, "intermediate_size": I,
              "vocab_size": V, "max_position_embeddings": P, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "position_embedding_type": "absolute"}, s, lambda k: k.endswith("position_ids"))
s = {"gpt_neox.embed_in.weight": (V, H), "gpt_neox.final_layer_norm.weight": (H,), "gpt_neox.final_layer_norm.bias": (H,),
     "embed_out.weight": (V, H)}
for i in range(L):
    p = f"gpt_neox.layers.{i}."
    s.update({p + "input_layernorm.weight": (H,), p + "input_layernorm.bias": (H,), p + "post_attention_layernorm.weight": (H,),
              p + "post_attention_layernorm.bias": (H,), p + "attention.query_key_value.weight": (3 * H, H),
              p + "attention.query_key_value.bias": (3 * H,), p + "attention.dense.weight": (H, H), p + "attention.dense.bias": (H,),
              p + "mlp.dense_h_to_4h.weight": (I, H), p + "mlp.dense_h_to_4h.bias": (I,), p + "mlp.dense_4h_to_h.weight": (H, I),
              p + "mlp.dense_4h_to_h.bias": (H,)})
save("neox", {"model_type": "gpt_neox", "num_hidden_layers": L, "hidden_size": H, "num_attention_heads": 2, "intermediate_size": I,
              "vocab_size": V, "max_position_embeddings": P, "rotary_pct": 0.25, "rotary_emb_base": 10000, "hidden_act": "gelu",
              "layer_norm_eps": 1e-5, "tie_word_embeddings": False}, s)
s = {"model.decoder.embed_tokens.weight": (V, H), "model.decoder.embed_positions.weight": (P + 2, H),
     "model.decoder.final_layer_norm.weight": (H,), "model.decoder.final_layer_norm.bias": (H,)}
for i in range(L):
    p = f"model.decoder.layers.{i}."
    for n in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj"):
        s.update({p + n + ".weight": (H, H), p + n + ".bias": (H,)})
    s.update({p + "self_attn_layer_norm.weight": (H,), p + "self_attn_layer_norm.bias": (H,), p + "fc1.weight": (I, H),
              p + "fc1.bias": (I,), p + "fc2.weight": (H, I), p + "fc2.bias": (H,), p + "final_layer_norm.weight": (H,),
              p + "final_layer_norm.bias": (H,)})
save("opt", {"model_type": "opt", "num_hidden_layers": L, "hidden_size": H, "num_attention_heads": 2, "ffn_dim": I,
             "vocab_size": V, "max_position_embeddings": P, "word_embed_proj_dim": H, "activation_function": "relu",
             "do_layer_norm_before": True}, s)
# an unknown family: what can be read is shown
save("weird", {"model_type": "frobnet", "hidden_size": 64, "num_hidden_layers": 3, "alibi": True}, {"x": (2,)})
# a Keras preset config.json is not a Hugging Face one: no facts
save("keras", {"module": "keras_hub.src.models.gpt2.gpt2_backbone", "class_name": "GPT2Backbone", "config": {}}, {"x": (2,)})
EOF2

fact() { # dir key -> value from info --json
    "$CKPT" info --json "$T/$1/model.safetensors" | $PY -c "import json,sys; print(json.load(sys.stdin)['facts'].get('$2', '<none>'))"
}
expect_exit 0 info_llama "$CKPT" info "$T/llama/model.safetensors"
grep -q "^  attention .*grouped-query" "$T/out" && pass info_text_shows_attention || fail info_text_shows_attention "$(cat "$T/out")"
check llama_facts $PY - "$T" "$CKPT" <<'EOF2'
import json, subprocess, sys
d, ck = sys.argv[1], sys.argv[2]
f = json.loads(subprocess.run([ck, "info", "--json", f"{d}/llama/model.safetensors"], capture_output=True, text=True, check=True).stdout)["facts"]
cfg = json.load(open(f"{d}/llama/config.json"))
n = int(open(f"{d}/llama/count").read())
exp = {"model_type": "llama", "layers": str(cfg["num_hidden_layers"]), "hidden_size": "16", "heads": "4", "kv_heads": "2",
       "head_dim": "4", "intermediate_size": "24", "activation": "silu", "norm": "RMSNorm (eps 1e-05)", "vocab_size": "32",
       "tied_embeddings": "no", "max_positions": "2048", "params_config": f"{n:,}", "params_weights": f"{n:,}", "params_match": "yes"}
bad = {k: (f.get(k), v) for k, v in exp.items() if f.get(k) != v}
assert not bad, bad
assert f["attention"].startswith("grouped-query"), f["attention"]
assert f["position"] == "RoPE (theta 500000, scaling llama3 x8)", f["position"]
EOF2
v=$(fact llama_bad params_match)
case "$v" in "no: weights have 768 fewer"*) pass params_mismatch_flagged;; *) fail params_mismatch_flagged "$v";; esac
v=$(fact mqa attention); case "$v" in multi-query*) pass mqa_attention;; *) fail mqa_attention "$v";; esac
check gpt2_facts $PY - "$T" "$CKPT" <<'EOF2'
import json, subprocess, sys
d, ck = sys.argv[1], sys.argv[2]
f = json.loads(subprocess.run([ck, "info", "--json", f"{d}/gpt2/model.safetensors"], capture_output=True, text=True, check=True).stdout)["facts"]
n = int(open(f"{d}/gpt2/count").read())
exp = {"model_type": "gpt2", "layers": "2", "hidden_size": "8", "heads": "2", "kv_heads": "2", "attention": "multi-head (MHA)",
       "head_dim": "4", "intermediate_size": "32", "activation": "gelu_new", "norm": "LayerNorm (eps 1e-05)",
       "position": "absolute (learned, 16 positions)", "vocab_size": "20", "tied_embeddings": "yes",
       "params_config": f"{n:,}", "params_match": "yes"}
bad = {k: (f.get(k), v) for k, v in exp.items() if f.get(k) != v}
assert not bad, bad
EOF2
for fam in bert neox opt; do
    v=$(fact $fam params_match); c=$(fact $fam params_config); n=$($PY -c "print(f'{int(open(\"$T/$fam/count\").read()):,}')")
    [ "$v" = yes ] && [ "$c" = "$n" ] && pass "params_${fam}" || fail "params_${fam}" "match=$v config=$c weights=$n"
done
v=$(fact bert norm); [ "$v" = "LayerNorm (eps 1e-12)" ] && pass bert_norm || fail bert_norm "$v"
v=$(fact bert position); [ "$v" = "absolute (learned, 24 positions)" ] && pass bert_position || fail bert_position "$v"
v=$(fact neox position); [ "$v" = "RoPE (theta 10000, on 25% of head dims)" ] && pass neox_partial_rope || fail neox_partial_rope "$v"
v=$(fact neox tied_embeddings); [ "$v" = no ] && pass neox_untied || fail neox_untied "$v"
v=$(fact weird model_type); [ "$v" = frobnet ] && pass unknown_type_shown || fail unknown_type_shown "$v"
v=$(fact weird layers); [ "$v" = 3 ] && pass unknown_type_layers || fail unknown_type_layers "$v"
v=$(fact weird position); [ "$v" = ALiBi ] && pass alibi_detected || fail alibi_detected "$v"
v=$(fact keras model_type); [ "$v" = "<none>" ] && pass keras_config_ignored || fail keras_config_ignored "$v"
