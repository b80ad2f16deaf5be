# tests/khgen.py: tiny Hugging Face checkpoints for the KerasHub families,
# and the independent check of the preset ckpt writes from them.
#
#   khgen.py gen FAMILY DIR            config.json, model.safetensors, tokenizer files
#   khgen.py check FAMILY SRC PRESET   exit 0 when PRESET is what KerasHub would hold
#
# The HF side uses transformers' names and shapes (nn.Linear weights are
# (out, in); GPT-2's Conv1D are (in, out)). The expected preset is derived
# here from KerasHub's and Keras' source, not from ckpt:
#  - HDF5 paths: keras/src/saving/saving_lib.py (_save_state walks a
#    Functional model's `layers` first, naming each by its class in
#    snake_case, numbered per class; inside a layer sorted attribute names,
#    public before private (_name_key); variables at vars/<i>), applied to
#    the classes and attribute names of keras_hub/src/models/<family>/
#    (see each EXPECT_* function below);
#  - values: the hook_fn of keras_hub/src/utils/transformers/convert_<family>.py;
#  - config: convert_backbone_config of the same files.
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stio  # noqa: E402

CONFIGS = {
    "gpt2": {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_embd": 8, "n_head": 2,
             "vocab_size": 11, "n_positions": 6, "n_inner": None, "resid_pdrop": 0.1, "activation_function": "gelu_new",
             "layer_norm_epsilon": 1e-5},
    "bert": {"model_type": "bert", "architectures": ["BertModel"], "num_hidden_layers": 2, "hidden_size": 8,
             "num_attention_heads": 2, "intermediate_size": 12, "vocab_size": 13, "max_position_embeddings": 7,
             "type_vocab_size": 2, "hidden_dropout_prob": 0.1, "hidden_act": "gelu", "layer_norm_eps": 1e-12},
    "llama": {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2, "hidden_size": 8,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 12, "vocab_size": 13,
              "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "hidden_act": "silu",
              "max_position_embeddings": 64},
    "llama3": {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": 3, "hidden_size": 8,
               "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 10, "vocab_size": 12,
               "rope_theta": 500000.0, "rms_norm_eps": 1e-5, "tie_word_embeddings": True, "hidden_act": "silu",
               "max_position_embeddings": 64,
               "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                "original_max_position_embeddings": 32}},
    "mistral": {"model_type": "mistral", "architectures": ["MistralForCausalLM"], "num_hidden_layers": 2, "hidden_size": 8,
                "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 12, "vocab_size": 13,
                "rope_theta": 1000000.0, "rms_norm_eps": 1e-5, "sliding_window": 4096, "hidden_act": "silu",
                "max_position_embeddings": 64},
    "gemma": {"model_type": "gemma", "architectures": ["GemmaForCausalLM"], "num_hidden_layers": 2, "hidden_size": 8,
              "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 6, "intermediate_size": 10,
              "vocab_size": 13, "rms_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh", "max_position_embeddings": 64},
    "qwen2": {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "num_hidden_layers": 2, "hidden_size": 8,
              "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 12, "vocab_size": 14,
              "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": False, "use_sliding_window": False,
              "sliding_window": 32768, "hidden_act": "silu", "max_position_embeddings": 64},
}


def hf_tensors(fam, c, rng):
    """HF names and shapes, as transformers' modeling_<family>.py creates them."""
    t = {}

    def r(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    if fam == "gpt2":
        H, V, P, L = c["n_embd"], c["vocab_size"], c["n_positions"], c["n_layer"]
        t["wte.weight"] = r(V, H)
        t["wpe.weight"] = r(P, H)
        for i in range(L):
            p = f"h.{i}."
            t[p + "ln_1.weight"], t[p + "ln_1.bias"] = r(H), r(H)
            t[p + "attn.bias"] = np.tril(np.ones((1, 1, P, P), np.float32))   # a buffer, dropped
            t[p + "attn.c_attn.weight"], t[p + "attn.c_attn.bias"] = r(H, 3 * H), r(3 * H)
            t[p + "attn.c_proj.weight"], t[p + "attn.c_proj.bias"] = r(H, H), r(H)
            t[p + "ln_2.weight"], t[p + "ln_2.bias"] = r(H), r(H)
            t[p + "mlp.c_fc.weight"], t[p + "mlp.c_fc.bias"] = r(H, 4 * H), r(4 * H)
            t[p + "mlp.c_proj.weight"], t[p + "mlp.c_proj.bias"] = r(4 * H, H), r(H)
        t["ln_f.weight"], t["ln_f.bias"] = r(H), r(H)
    elif fam == "bert":
        H, V, P, S, I, L = (c["hidden_size"], c["vocab_size"], c["max_position_embeddings"], c["type_vocab_size"],
                            c["intermediate_size"], c["num_hidden_layers"])
        t["embeddings.position_ids"] = np.arange(P, dtype=np.int64)[None]   # a buffer, dropped
        t["embeddings.word_embeddings.weight"] = r(V, H)
        t["embeddings.position_embeddings.weight"] = r(P, H)
        t["embeddings.token_type_embeddings.weight"] = r(S, H)
        t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"] = r(H), r(H)
        for i in range(L):
            p = f"encoder.layer.{i}."
            for n in ("query", "key", "value"):
                t[p + f"attention.self.{n}.weight"], t[p + f"attention.self.{n}.bias"] = r(H, H), r(H)
            t[p + "attention.output.dense.weight"], t[p + "attention.output.dense.bias"] = r(H, H), r(H)
            t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"] = r(H), r(H)
            t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = r(I, H), r(I)
            t[p + "output.dense.weight"], t[p + "output.dense.bias"] = r(H, I), r(H)
            t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"] = r(H), r(H)
        t["pooler.dense.weight"], t["pooler.dense.bias"] = r(H, H), r(H)
    else:
        H, V, I, L = c["hidden_size"], c["vocab_size"], c["intermediate_size"], c["num_hidden_layers"]
        Q, K = c["num_attention_heads"], c["num_key_value_heads"]
        D = c.get("head_dim", H // Q)
        t["model.embed_tokens.weight"] = r(V, H)
        for i in range(L):
            p = f"model.layers.{i}."
            t[p + "input_layernorm.weight"] = r(H)
            t[p + "self_attn.q_proj.weight"] = r(Q * D, H)
            t[p + "self_attn.k_proj.weight"] = r(K * D, H)
            t[p + "self_attn.v_proj.weight"] = r(K * D, H)
            if fam == "qwen2":
                t[p + "self_attn.q_proj.bias"] = r(Q * D)
                t[p + "self_attn.k_proj.bias"] = r(K * D)
                t[p + "self_attn.v_proj.bias"] = r(K * D)
            t[p + "self_attn.o_proj.weight"] = r(H, Q * D)
            t[p + "post_attention_layernorm.weight"] = r(H)
            t[p + "mlp.gate_proj.weight"] = r(I, H)
            t[p + "mlp.up_proj.weight"] = r(I, H)
            t[p + "mlp.down_proj.weight"] = r(H, I)
        t["model.norm.weight"] = r(H)
        if fam != "gemma" and not c.get("tie_word_embeddings", False):
            t["lm_head.weight"] = r(V, H)
    return t


def bpe_tokenizer_json(pairs):
    vocab = {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "\u0120a": 5, "\u0120": 6}
    merges = [["a", "b"], ["ab", "c"], ["\u0120", "a"]] if pairs else ["a b", "ab c", "\u0120 a"]
    return {"version": "1.0", "added_tokens": [
        {"id": 7, "content": "<|endoftext|>", "special": True},
        {"id": 8, "content": "<|reserved_special_token_0|>", "special": True}],
        "model": {"type": "BPE", "vocab": vocab, "merges": merges}}


def gen(fam, d):
    os.makedirs(d, exist_ok=True)
    c = CONFIGS[fam]
    rng = np.random.default_rng(sum(map(ord, fam)))
    stio.write(os.path.join(d, "model.safetensors"), hf_tensors(fam, c, rng), {"format": "pt"})
    json.dump(c, open(os.path.join(d, "config.json"), "w"), indent=1)
    if fam == "gpt2":
        json.dump({"a": 0, "b": 1, "ab": 2}, open(os.path.join(d, "vocab.json"), "w"))
        open(os.path.join(d, "merges.txt"), "w").write("#version: 0.2\na b\n")
    elif fam == "bert":
        open(os.path.join(d, "vocab.txt"), "w").write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n")
        json.dump({"do_lower_case": True}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    elif fam in ("llama", "mistral", "gemma"):
        # stands in for a SentencePiece ModelProto: copied byte for byte
        open(os.path.join(d, "tokenizer.model"), "wb").write(bytes(rng.integers(0, 256, 3000, dtype=np.uint8)))
    else:
        json.dump(bpe_tokenizer_json(fam == "qwen2"), open(os.path.join(d, "tokenizer.json"), "w"))
        json.dump({"bos_token": "<|begin_of_text|>", "eos_token": {"content": "<|end_of_text|>"}},
                  open(os.path.join(d, "tokenizer_config.json"), "w"))


def sfx(i):
    return "" if i == 0 else f"_{i}"


# ---- expected model.weights.h5: path -> function of the HF tensors ----

def EXPECT_gpt2(c, t):
    # keras_hub/src/models/gpt2/gpt2_backbone.py: ReversibleEmbedding (tied), PositionEmbedding,
    # TransformerDecoder x n_layer, LayerNormalization; layers/modeling/transformer_decoder.py:
    # _self_attention_layer (CachedMultiHeadAttention -> keras MHA, reached as query_dense ...),
    # _self_attention_layer_norm, _feedforward_{intermediate,output}_dense, _feedforward_layer_norm.
    H, Q = c["n_embd"], c["n_head"]
    D = H // Q
    e = {"layers/reversible_embedding/vars/0": t["wte.weight"],
         "layers/position_embedding/vars/0": t["wpe.weight"],
         "layers/layer_normalization/vars/0": t["ln_f.weight"],
         "layers/layer_normalization/vars/1": t["ln_f.bias"]}
    for i in range(c["n_layer"]):
        T, h = f"layers/transformer_decoder{sfx(i)}", f"h.{i}."
        w, b = t[h + "attn.c_attn.weight"], t[h + "attn.c_attn.bias"]
        for k, n in enumerate(("query", "key", "value")):     # convert_gpt2.py: slices then np.reshape
            e[f"{T}/_self_attention_layer/{n}_dense/vars/0"] = w[:, k * H:(k + 1) * H].reshape(H, Q, D)
            e[f"{T}/_self_attention_layer/{n}_dense/vars/1"] = b[k * H:(k + 1) * H].reshape(Q, D)
        e[f"{T}/_self_attention_layer/output_dense/vars/0"] = t[h + "attn.c_proj.weight"].reshape(Q, D, H)
        e[f"{T}/_self_attention_layer/output_dense/vars/1"] = t[h + "attn.c_proj.bias"]
        for a, hf in (("_self_attention_layer_norm", "ln_1"), ("_feedforward_layer_norm", "ln_2")):
            e[f"{T}/{a}/vars/0"], e[f"{T}/{a}/vars/1"] = t[h + hf + ".weight"], t[h + hf + ".bias"]
        for a, hf in (("_feedforward_intermediate_dense", "mlp.c_fc"), ("_feedforward_output_dense", "mlp.c_proj")):
            e[f"{T}/{a}/vars/0"], e[f"{T}/{a}/vars/1"] = t[h + hf + ".weight"], t[h + hf + ".bias"]
    return e


def EXPECT_bert(c, t):
    # keras_hub/src/models/bert/bert_backbone.py: ReversibleEmbedding, PositionEmbedding, Embedding
    # (segments), LayerNormalization, TransformerEncoder x num_hidden_layers, Dense (pooled);
    # layers/modeling/transformer_encoder.py: the same attribute names as the decoder.
    H, Q = c["hidden_size"], c["num_attention_heads"]
    D = H // Q
    e = {"layers/reversible_embedding/vars/0": t["embeddings.word_embeddings.weight"],
         "layers/position_embedding/vars/0": t["embeddings.position_embeddings.weight"],
         "layers/embedding/vars/0": t["embeddings.token_type_embeddings.weight"],
         "layers/layer_normalization/vars/0": t["embeddings.LayerNorm.weight"],
         "layers/layer_normalization/vars/1": t["embeddings.LayerNorm.bias"],
         "layers/dense/vars/0": t["pooler.dense.weight"].T,
         "layers/dense/vars/1": t["pooler.dense.bias"]}
    for i in range(c["num_hidden_layers"]):
        T, h = f"layers/transformer_encoder{sfx(i)}", f"encoder.layer.{i}."
        for n in ("query", "key", "value"):        # convert_bert.py: transpose_and_reshape
            e[f"{T}/_self_attention_layer/{n}_dense/vars/0"] = t[h + f"attention.self.{n}.weight"].T.reshape(H, Q, D)
            e[f"{T}/_self_attention_layer/{n}_dense/vars/1"] = t[h + f"attention.self.{n}.bias"].reshape(Q, D)
        e[f"{T}/_self_attention_layer/output_dense/vars/0"] = t[h + "attention.output.dense.weight"].T.reshape(Q, D, H)
        e[f"{T}/_self_attention_layer/output_dense/vars/1"] = t[h + "attention.output.dense.bias"]
        e[f"{T}/_self_attention_layer_norm/vars/0"] = t[h + "attention.output.LayerNorm.weight"]
        e[f"{T}/_self_attention_layer_norm/vars/1"] = t[h + "attention.output.LayerNorm.bias"]
        e[f"{T}/_feedforward_intermediate_dense/vars/0"] = t[h + "intermediate.dense.weight"].T
        e[f"{T}/_feedforward_intermediate_dense/vars/1"] = t[h + "intermediate.dense.bias"]
        e[f"{T}/_feedforward_output_dense/vars/0"] = t[h + "output.dense.weight"].T
        e[f"{T}/_feedforward_output_dense/vars/1"] = t[h + "output.dense.bias"]
        e[f"{T}/_feedforward_layer_norm/vars/0"] = t[h + "output.LayerNorm.weight"]
        e[f"{T}/_feedforward_layer_norm/vars/1"] = t[h + "output.LayerNorm.bias"]
    return e


def expect_llamalike(c, t, block, final, biases=False):
    # LlamaTransformerDecoder / MistralTransformerDecoder / QwenTransformerDecoder build():
    # _self_attention_layer (its _query_dense ... EinsumDense), _self_attention_layernorm,
    # _feedforward_{gate,intermediate,output}_dense (no bias), _feedforward_layernorm.
    H, Q, K = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    D = H // Q
    e = {"layers/reversible_embedding/vars/0": t["model.embed_tokens.weight"], final: t["model.norm.weight"]}
    if "lm_head.weight" in t:                       # convert_llama3.py: transposed into reverse_embeddings
        e["layers/reversible_embedding/vars/1"] = t["lm_head.weight"].T
    for i in range(c["num_hidden_layers"]):
        T, h = f"layers/{block}{sfx(i)}", f"model.layers.{i}."
        A = f"{T}/_self_attention_layer"
        e[f"{A}/_query_dense/vars/0"] = t[h + "self_attn.q_proj.weight"].T.reshape(H, Q, D)
        e[f"{A}/_key_dense/vars/0"] = t[h + "self_attn.k_proj.weight"].T.reshape(H, K, D)
        e[f"{A}/_value_dense/vars/0"] = t[h + "self_attn.v_proj.weight"].T.reshape(H, K, D)
        e[f"{A}/_output_dense/vars/0"] = t[h + "self_attn.o_proj.weight"].T.reshape(Q, D, H)
        if biases:                                  # convert_qwen.py: the biases through transpose_and_reshape
            e[f"{A}/_query_dense/vars/1"] = t[h + "self_attn.q_proj.bias"].reshape(Q, D)
            e[f"{A}/_key_dense/vars/1"] = t[h + "self_attn.k_proj.bias"].reshape(K, D)
            e[f"{A}/_value_dense/vars/1"] = t[h + "self_attn.v_proj.bias"].reshape(K, D)
        e[f"{T}/_self_attention_layernorm/vars/0"] = t[h + "input_layernorm.weight"]
        e[f"{T}/_feedforward_layernorm/vars/0"] = t[h + "post_attention_layernorm.weight"]
        e[f"{T}/_feedforward_gate_dense/vars/0"] = t[h + "mlp.gate_proj.weight"].T
        e[f"{T}/_feedforward_intermediate_dense/vars/0"] = t[h + "mlp.up_proj.weight"].T
        e[f"{T}/_feedforward_output_dense/vars/0"] = t[h + "mlp.down_proj.weight"].T
    return e


def EXPECT_llama(c, t):
    # keras_hub/src/models/llama/llama_backbone.py: ReversibleEmbedding(tie_weights=tie_word_embeddings),
    # LlamaTransformerDecoder x num_layers (llama_decoder.py, llama_attention.py), LlamaLayerNorm.
    return expect_llamalike(c, t, "llama_transformer_decoder", "layers/llama_layer_norm/vars/0")


EXPECT_llama3 = EXPECT_llama   # llama3/llama3_backbone.py subclasses LlamaBackbone


def EXPECT_mistral(c, t):
    # keras_hub/src/models/mistral/mistral_backbone.py: ReversibleEmbedding(tie_weights=False),
    # MistralTransformerDecoder, MistralLayerNormalization.
    return expect_llamalike(c, t, "mistral_transformer_decoder", "layers/mistral_layer_normalization/vars/0")


def EXPECT_qwen2(c, t):
    # keras_hub/src/models/qwen/qwen_backbone.py: QwenTransformerDecoder (qwen_decoder.py,
    # QwenAttention with q/k/v biases), QwenLayerNorm.
    return expect_llamalike(c, t, "qwen_transformer_decoder", "layers/qwen_layer_norm/vars/0", biases=True)


def EXPECT_gemma(c, t):
    # keras_hub/src/models/gemma/gemma_backbone.py: ReversibleEmbedding (tied), GemmaDecoderBlock
    # (public attributes: pre_attention_norm, attention (query_dense ...), pre_ffw_norm, gating_ffw,
    # gating_ffw_2, ffw_linear), RMSNormalization; convert_gemma.py hook_fns for the values.
    H, Q, K, D = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
    e = {"layers/reversible_embedding/vars/0": t["model.embed_tokens.weight"],
         "layers/rms_normalization/vars/0": t["model.norm.weight"]}
    for i in range(c["num_hidden_layers"]):
        T, h = f"layers/gemma_decoder_block{sfx(i)}", f"model.layers.{i}."
        e[f"{T}/pre_attention_norm/vars/0"] = t[h + "input_layernorm.weight"]
        e[f"{T}/pre_ffw_norm/vars/0"] = t[h + "post_attention_layernorm.weight"]
        e[f"{T}/attention/query_dense/vars/0"] = np.transpose(t[h + "self_attn.q_proj.weight"].reshape(Q, D, H), (0, 2, 1))
        e[f"{T}/attention/key_dense/vars/0"] = np.transpose(t[h + "self_attn.k_proj.weight"].reshape(K, D, H), (0, 2, 1))
        e[f"{T}/attention/value_dense/vars/0"] = np.transpose(t[h + "self_attn.v_proj.weight"].reshape(K, D, H), (0, 2, 1))
        e[f"{T}/attention/output_dense/vars/0"] = np.transpose(t[h + "self_attn.o_proj.weight"].reshape(H, Q, D), (1, 2, 0))
        e[f"{T}/gating_ffw/vars/0"] = t[h + "mlp.gate_proj.weight"].T
        e[f"{T}/gating_ffw_2/vars/0"] = t[h + "mlp.up_proj.weight"].T
        e[f"{T}/ffw_linear/vars/0"] = t[h + "mlp.down_proj.weight"].T
    return e


# ---- expected config.json: convert_backbone_config of each converter ----
CLASSES = {"gpt2": ("keras_hub.src.models.gpt2.gpt2_backbone", "GPT2Backbone"),
           "bert": ("keras_hub.src.models.bert.bert_backbone", "BertBackbone"),
           "llama": ("keras_hub.src.models.llama.llama_backbone", "LlamaBackbone"),
           "llama3": ("keras_hub.src.models.llama3.llama3_backbone", "Llama3Backbone"),
           "mistral": ("keras_hub.src.models.mistral.mistral_backbone", "MistralBackbone"),
           "gemma": ("keras_hub.src.models.gemma.gemma_backbone", "GemmaBackbone"),
           "qwen2": ("keras_hub.src.models.qwen.qwen_backbone", "QwenBackbone")}


def expected_config(fam, c):
    if fam == "gpt2":
        return {"vocabulary_size": c["vocab_size"], "num_layers": c["n_layer"], "num_heads": c["n_head"],
                "hidden_dim": c["n_embd"], "intermediate_dim": c["n_embd"] * 4, "dropout": c["resid_pdrop"],
                "max_sequence_length": c["n_positions"]}
    if fam == "bert":
        return {"vocabulary_size": c["vocab_size"], "num_layers": c["num_hidden_layers"],
                "num_heads": c["num_attention_heads"], "hidden_dim": c["hidden_size"],
                "intermediate_dim": c["intermediate_size"], "max_sequence_length": c["max_position_embeddings"],
                "num_segments": c["type_vocab_size"]}
    base = {"vocabulary_size": c["vocab_size"], "num_layers": c["num_hidden_layers"],
            "num_query_heads": c["num_attention_heads"], "hidden_dim": c["hidden_size"],
            "num_key_value_heads": c["num_key_value_heads"]}
    if fam == "gemma":
        base.update(intermediate_dim=c["intermediate_size"] * 2, head_dim=c["head_dim"])
        return base
    base.update(intermediate_dim=c["intermediate_size"], rope_max_wavelength=c["rope_theta"],
                layer_norm_epsilon=c["rms_norm_eps"])
    if fam in ("llama", "llama3", "qwen2"):
        base["tie_word_embeddings"] = c["tie_word_embeddings"]
    if fam == "llama3":
        rs = c["rope_scaling"]
        base.update(rope_frequency_adjustment_factor=rs["factor"], rope_low_freq_factor=rs["low_freq_factor"],
                    rope_high_freq_factor=rs["high_freq_factor"],
                    rope_pretraining_sequence_length=rs["original_max_position_embeddings"])
    if fam == "mistral":
        base["sliding_window"] = c["sliding_window"]
    if fam == "qwen2":
        base.update(use_sliding_window_attention=c["use_sliding_window"], sliding_window_size=c["sliding_window"])
    return base


def datasets(f):
    out = {}
    f.visititems(lambda n, o: out.__setitem__(n, o) if isinstance(o, h5py.Dataset) else None)
    return out


def check(fam, src, out):
    c = json.load(open(os.path.join(src, "config.json")))
    t = stio.read(os.path.join(src, "model.safetensors"))
    exp = globals()["EXPECT_" + fam](c, t)
    bad = []
    with h5py.File(os.path.join(out, "model.weights.h5"), "r") as f:
        got = datasets(f)
        for p in sorted(set(exp) - set(got)):
            bad.append(f"missing {p}")
        for p in sorted(set(got) - set(exp)):
            bad.append(f"unexpected {p}")
        for p in sorted(set(exp) & set(got)):
            a = got[p][()]
            if a.shape != exp[p].shape:
                bad.append(f"shape {p}: {a.shape} != {exp[p].shape}")
            elif not np.array_equal(a, exp[p]):
                bad.append(f"values {p}")
    cfg = json.load(open(os.path.join(out, "config.json")))
    mod, cls = CLASSES[fam]
    if (cfg.get("module"), cfg.get("class_name"), cfg.get("registered_name")) != (mod, cls, "keras_hub>" + cls):
        bad.append(f"config.json class: {cfg.get('module')} {cfg.get('class_name')} {cfg.get('registered_name')}")
    for k, v in expected_config(fam, c).items():
        if cfg["config"].get(k) != v:
            bad.append(f"config.json {k}: {cfg['config'].get(k)!r} != {v!r}")
    meta = json.load(open(os.path.join(out, "metadata.json")))
    nparams = sum(int(np.prod(v.shape)) for v in exp.values())
    if meta.get("parameter_count") != nparams or not str(meta.get("keras_version", "")).startswith("3."):
        bad.append(f"metadata.json: {meta}")
    if "keras_hub_version" not in meta:
        bad.append("metadata.json: no keras_hub_version")
    bad += check_tokenizer(fam, src, out)
    for b in bad:
        print(b)
    return 1 if bad else 0


def check_tokenizer(fam, src, out):
    bad = []
    tok = json.load(open(os.path.join(out, "tokenizer.json")))
    if not tok.get("registered_name", "").startswith("keras_hub>") or "Tokenizer" not in tok.get("class_name", ""):
        bad.append(f"tokenizer.json: {tok}")
    a = os.path.join(out, "assets", "tokenizer")

    def same(x, y):
        return open(os.path.join(src, x), "rb").read() == open(os.path.join(a, y), "rb").read()

    if fam == "gpt2":
        if not (same("vocab.json", "vocabulary.json") and same("merges.txt", "merges.txt")):
            bad.append("gpt2 assets differ from vocab.json / merges.txt")
    elif fam == "bert":
        if not same("vocab.txt", "vocabulary.txt") or tok["config"].get("lowercase") is not True:
            bad.append("bert vocabulary.txt or lowercase")
    elif fam in ("llama", "mistral", "gemma"):
        if not same("tokenizer.model", "vocabulary.spm"):
            bad.append("vocabulary.spm differs from tokenizer.model")
    else:
        # convert_llama3.py / convert_qwen.py convert_tokenizer: vocab + non-reserved added tokens, merges "a b"
        hf = json.load(open(os.path.join(src, "tokenizer.json")))
        vocab = dict(hf["model"]["vocab"])
        special = [x["content"] for x in hf["added_tokens"] if not x["content"].startswith("<|reserved_special_token_")]
        for x in hf["added_tokens"]:
            if x["content"] in special:
                vocab[x["content"]] = x["id"]
        merges = [" ".join(m) if isinstance(m, list) else m for m in hf["model"]["merges"]]
        if json.load(open(os.path.join(a, "vocabulary.json"))) != vocab:
            bad.append("vocabulary.json")
        if open(os.path.join(a, "merges.txt")).read().splitlines() != merges:
            bad.append("merges.txt")
        key = "misc_special_tokens" if fam == "llama3" else "unsplittable_tokens"
        if tok["config"].get(key) != special:
            bad.append(f"tokenizer.json {key}: {tok['config'].get(key)}")
        if fam == "llama3" and (tok["config"].get("bos_token"), tok["config"].get("eos_token")) != (
                "<|begin_of_text|>", "<|end_of_text|>"):
            bad.append("llama3 bos/eos")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4]))
