/* src/presets.c: remap rule sets shipped with ckpt (`ckpt maps`,
 * `--map preset:NAME`). Texts are compiled in; each is ordinary rules text
 * (see src/remap/rules.h), so `ckpt maps NAME` prints one to start a custom map from.
 */
#include <string.h>

#include "remap_int.h"

/* Hugging Face transformers GPT-2 -> KerasHub GPT2Backbone variable paths
 * (keras.Variable.path). Sources, keras-team/keras-hub:
 *  - keras_hub/src/utils/transformers/convert_gpt2.py: which HF weight feeds
 *    which variable; c_attn (Conv1D, (n_embd, 3*n_embd), no transpose) is
 *    sliced [:, :n], [:, n:2n], [:, 2n:] and reshaped to the EinsumDense
 *    kernels (hidden, heads, head_dim); biases to (heads, head_dim);
 *    c_proj reshaped to (heads, head_dim, hidden).
 *  - models/gpt2/gpt2_backbone.py: layer names token_embedding,
 *    position_embedding, transformer_layer_{i}, layer_norm.
 *  - layers/modeling/transformer_decoder.py: self_attention,
 *    self_attention_layer_norm, feedforward_intermediate_dense,
 *    feedforward_output_dense, feedforward_layer_norm; the attention is a
 *    keras MultiHeadAttention (query, key, value, attention_output).
 *  - layers/modeling/position_embedding.py: variable "embeddings".
 * GPT-2 ties the LM head to the token embedding (no reverse_embeddings). */
static const char gpt2_kerashub[] =
    "# Hugging Face GPT-2 -> KerasHub GPT2Backbone (keras-hub convert_gpt2.py)\n"
    "# needs n_embd and n_head: from config.json beside the weights, or `set` lines\n"
    "? ^(transformer\\.)?h\\.[0-9]+\\.attn\\.(masked_)?bias$ -> drop\n"
    "? ^lm_head\\.weight$ -> drop\n"
    "^(transformer\\.)?wte\\.weight$ -> token_embedding/embeddings\n"
    "^(transformer\\.)?wpe\\.weight$ -> position_embedding/embeddings\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.ln_1\\.weight$ -> transformer_layer_$2/self_attention_layer_norm/gamma\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.ln_1\\.bias$ -> transformer_layer_$2/self_attention_layer_norm/beta\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.attn\\.c_attn\\.weight$ -> "
    "transformer_layer_$2/self_attention/query/kernel, transformer_layer_$2/self_attention/key/kernel, "
    "transformer_layer_$2/self_attention/value/kernel | split(1) | reshape({n_embd|hidden_size}, {n_head|num_attention_heads}, -1)\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.attn\\.c_attn\\.bias$ -> "
    "transformer_layer_$2/self_attention/query/bias, transformer_layer_$2/self_attention/key/bias, "
    "transformer_layer_$2/self_attention/value/bias | split(0) | reshape({n_head|num_attention_heads}, -1)\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.attn\\.c_proj\\.weight$ -> transformer_layer_$2/self_attention/attention_output/kernel"
    " | reshape({n_head|num_attention_heads}, -1, {n_embd|hidden_size})\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.attn\\.c_proj\\.bias$ -> transformer_layer_$2/self_attention/attention_output/bias\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.ln_2\\.weight$ -> transformer_layer_$2/feedforward_layer_norm/gamma\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.ln_2\\.bias$ -> transformer_layer_$2/feedforward_layer_norm/beta\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.mlp\\.c_fc\\.weight$ -> transformer_layer_$2/feedforward_intermediate_dense/kernel\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.mlp\\.c_fc\\.bias$ -> transformer_layer_$2/feedforward_intermediate_dense/bias\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.mlp\\.c_proj\\.weight$ -> transformer_layer_$2/feedforward_output_dense/kernel\n"
    "^(transformer\\.)?h\\.([0-9]+)\\.mlp\\.c_proj\\.bias$ -> transformer_layer_$2/feedforward_output_dense/bias\n"
    "^(transformer\\.)?ln_f\\.weight$ -> layer_norm/gamma\n"
    "^(transformer\\.)?ln_f\\.bias$ -> layer_norm/beta\n";

/* Hugging Face Llama (Llama 2/3 layout) -> KerasHub LlamaBackbone /
 * Llama3Backbone variable paths. Sources, keras-team/keras-hub:
 *  - keras_hub/src/utils/transformers/convert_llama3.py: transpose_and_reshape
 *    = np.reshape(np.transpose(x), keras_shape) for q/k/v/o; gate/up/down
 *    kernels transposed; lm_head transposed into reverse_embeddings unless
 *    tie_word_embeddings.
 *  - models/llama/llama_backbone.py (get_layout_map lists the paths and
 *    shapes: query/kernel (hidden, heads, head_dim), key/value (hidden,
 *    kv_heads, head_dim), attention_output (heads, head_dim, hidden)).
 *  - models/llama/llama_decoder.py, llama_attention.py, llama_layernorm.py
 *    (variable "scale"). */
/* the rules Llama, Mistral and Qwen2 share (their backbones name variables alike) */
#define LLAMA_KERASHUB_RULES \
    "? ^model\\.layers\\.[0-9]+\\.self_attn\\.rotary_emb\\.inv_freq$ -> drop\n" \
    "^model\\.embed_tokens\\.weight$ -> token_embedding/embeddings\n" \
    "? ^lm_head\\.weight$ -> token_embedding/reverse_embeddings | transpose\n" \
    "^model\\.layers\\.([0-9]+)\\.input_layernorm\\.weight$ -> transformer_layer_$1/self_attention_layernorm/scale\n" \
    "^model\\.layers\\.([0-9]+)\\.post_attention_layernorm\\.weight$ -> transformer_layer_$1/feedforward_layernorm/scale\n" \
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.q_proj\\.weight$ -> transformer_layer_$1/self_attention/query/kernel" \
    " | transpose | reshape({hidden_size}, {num_attention_heads}, -1)\n" \
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.k_proj\\.weight$ -> transformer_layer_$1/self_attention/key/kernel" \
    " | transpose | reshape({hidden_size}, {num_key_value_heads|num_attention_heads}, -1)\n" \
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.v_proj\\.weight$ -> transformer_layer_$1/self_attention/value/kernel" \
    " | transpose | reshape({hidden_size}, {num_key_value_heads|num_attention_heads}, -1)\n" \
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.o_proj\\.weight$ -> transformer_layer_$1/self_attention/attention_output/kernel" \
    " | transpose | reshape({num_attention_heads}, -1, {hidden_size})\n" \
    "^model\\.layers\\.([0-9]+)\\.mlp\\.gate_proj\\.weight$ -> transformer_layer_$1/feedforward_gate_dense/kernel | transpose\n" \
    "^model\\.layers\\.([0-9]+)\\.mlp\\.up_proj\\.weight$ -> transformer_layer_$1/feedforward_intermediate_dense/kernel | transpose\n" \
    "^model\\.layers\\.([0-9]+)\\.mlp\\.down_proj\\.weight$ -> transformer_layer_$1/feedforward_output_dense/kernel | transpose\n" \
    "^model\\.norm\\.weight$ -> sequence_output_layernorm/scale\n"

static const char llama_kerashub[] =
    "# Hugging Face Llama -> KerasHub LlamaBackbone / Llama3Backbone (keras-hub convert_llama3.py)\n"
    "# needs hidden_size, num_attention_heads, num_key_value_heads (config.json or `set`)\n"
    LLAMA_KERASHUB_RULES;

/* Hugging Face Qwen2 -> KerasHub QwenBackbone: Llama's rules plus the
 * q/k/v biases, reshaped to the EinsumDense bias (heads, head_dim)
 * (keras-hub convert_qwen.py transpose_and_reshape on 1-D = reshape). */
static const char qwen2_kerashub[] =
    "# Hugging Face Qwen2 -> KerasHub QwenBackbone (keras-hub convert_qwen.py)\n"
    "# needs hidden_size, num_attention_heads, num_key_value_heads (config.json or `set`)\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.q_proj\\.bias$ -> transformer_layer_$1/self_attention/query/bias"
    " | reshape({num_attention_heads}, -1)\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.(k|v)_proj\\.bias$ -> transformer_layer_$1/self_attention/$2_bias"
    " | reshape({num_key_value_heads|num_attention_heads}, -1)\n"
    "^(transformer_layer_[0-9]+/self_attention)/k_bias$ -> $1/key/bias\n"
    "^(transformer_layer_[0-9]+/self_attention)/v_bias$ -> $1/value/bias\n"
    LLAMA_KERASHUB_RULES;

/* Hugging Face BERT -> KerasHub BertBackbone variable paths. Sources,
 * keras-team/keras-hub: utils/transformers/convert_bert.py (q/k/v and the
 * attention output transposed and reshaped to the EinsumDense kernels
 * (hidden, heads, head_dim) / (heads, head_dim, hidden), biases reshaped;
 * the MLP and pooler kernels transposed); models/bert/bert_backbone.py and
 * layers/modeling/transformer_encoder.py for the layer names. Checkpoints
 * of BertFor* heads carry a "bert." prefix; old ones name LayerNorm
 * weights gamma/beta. The MLM/NSP heads ("cls.") are not the backbone's. */
static const char bert_kerashub[] =
    "# Hugging Face BERT -> KerasHub BertBackbone (keras-hub convert_bert.py)\n"
    "# needs hidden_size, num_attention_heads (config.json or `set`)\n"
    "? ^(bert\\.)?embeddings\\.position_ids$ -> drop\n"
    "? ^cls\\..*$ -> drop\n"
    "^(bert\\.)?embeddings\\.word_embeddings\\.weight$ -> token_embedding/embeddings\n"
    "^(bert\\.)?embeddings\\.position_embeddings\\.weight$ -> position_embedding/embeddings\n"
    "^(bert\\.)?embeddings\\.token_type_embeddings\\.weight$ -> segment_embedding/embeddings\n"
    "^(bert\\.)?embeddings\\.LayerNorm\\.(weight|gamma)$ -> embeddings_layer_norm/gamma\n"
    "^(bert\\.)?embeddings\\.LayerNorm\\.(bias|beta)$ -> embeddings_layer_norm/beta\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.self\\.(query|key|value)\\.weight$ -> transformer_layer_$2/self_attention/$3/kernel"
    " | transpose | reshape({hidden_size}, {num_attention_heads}, -1)\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.self\\.(query|key|value)\\.bias$ -> transformer_layer_$2/self_attention/$3/bias"
    " | reshape({num_attention_heads}, -1)\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.output\\.dense\\.weight$ -> transformer_layer_$2/self_attention/attention_output/kernel"
    " | transpose | reshape({num_attention_heads}, -1, {hidden_size})\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.output\\.dense\\.bias$ -> transformer_layer_$2/self_attention/attention_output/bias\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.output\\.LayerNorm\\.(weight|gamma)$ -> transformer_layer_$2/self_attention_layer_norm/gamma\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.attention\\.output\\.LayerNorm\\.(bias|beta)$ -> transformer_layer_$2/self_attention_layer_norm/beta\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.intermediate\\.dense\\.weight$ -> transformer_layer_$2/feedforward_intermediate_dense/kernel | transpose\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.intermediate\\.dense\\.bias$ -> transformer_layer_$2/feedforward_intermediate_dense/bias\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.output\\.dense\\.weight$ -> transformer_layer_$2/feedforward_output_dense/kernel | transpose\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.output\\.dense\\.bias$ -> transformer_layer_$2/feedforward_output_dense/bias\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.output\\.LayerNorm\\.(weight|gamma)$ -> transformer_layer_$2/feedforward_layer_norm/gamma\n"
    "^(bert\\.)?encoder\\.layer\\.([0-9]+)\\.output\\.LayerNorm\\.(bias|beta)$ -> transformer_layer_$2/feedforward_layer_norm/beta\n"
    "^(bert\\.)?pooler\\.dense\\.weight$ -> pooled_dense/kernel | transpose\n"
    "^(bert\\.)?pooler\\.dense\\.bias$ -> pooled_dense/bias\n";

/* Hugging Face Gemma -> KerasHub GemmaBackbone. Sources, keras-team/keras-hub:
 * utils/transformers/convert_gemma.py: q/k/v (heads*head_dim, hidden) are
 * reshaped to (heads, head_dim, hidden) and transposed (0, 2, 1) to the
 * einsum kernels (heads, hidden, head_dim); o_proj (hidden, heads*head_dim)
 * to (hidden, heads, head_dim), transposed (1, 2, 0); gate/up/down
 * transposed; post_attention_layernorm feeds pre_ffw_norm; the LM head is
 * the tied embedding. models/gemma/gemma_decoder_block.py for the names. */
static const char gemma_kerashub[] =
    "# Hugging Face Gemma -> KerasHub GemmaBackbone (keras-hub convert_gemma.py)\n"
    "# needs hidden_size, num_attention_heads, num_key_value_heads, head_dim (config.json or `set`)\n"
    "? ^model\\.layers\\.[0-9]+\\.self_attn\\.rotary_emb\\.inv_freq$ -> drop\n"
    "? ^lm_head\\.weight$ -> drop\n"
    "^model\\.embed_tokens\\.weight$ -> token_embedding/embeddings\n"
    "^model\\.layers\\.([0-9]+)\\.input_layernorm\\.weight$ -> decoder_block_$1/pre_attention_norm/scale\n"
    "^model\\.layers\\.([0-9]+)\\.post_attention_layernorm\\.weight$ -> decoder_block_$1/pre_ffw_norm/scale\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.q_proj\\.weight$ -> decoder_block_$1/attention/query/kernel"
    " | reshape({num_attention_heads}, {head_dim}, {hidden_size}) | transpose(0, 2, 1)\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.(k|v)_proj\\.weight$ -> decoder_block_$1/attention/$2_kernel"
    " | reshape({num_key_value_heads|num_attention_heads}, {head_dim}, {hidden_size}) | transpose(0, 2, 1)\n"
    "^(decoder_block_[0-9]+/attention)/k_kernel$ -> $1/key/kernel\n"
    "^(decoder_block_[0-9]+/attention)/v_kernel$ -> $1/value/kernel\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.o_proj\\.weight$ -> decoder_block_$1/attention/attention_output/kernel"
    " | reshape({hidden_size}, {num_attention_heads}, {head_dim}) | transpose(1, 2, 0)\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.gate_proj\\.weight$ -> decoder_block_$1/ffw_gating/kernel | transpose\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.up_proj\\.weight$ -> decoder_block_$1/ffw_gating_2/kernel | transpose\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.down_proj\\.weight$ -> decoder_block_$1/ffw_linear/kernel | transpose\n"
    "^model\\.norm\\.weight$ -> final_normalization/scale\n";

/* Hugging Face Llama -> GGUF tensor names, as llama.cpp gguf-py
 * TensorNameMap (gguf-py/gguf/tensor_mapping.py, MODEL_ARCH.LLAMA) maps
 * them, with convert_hf_to_gguf.py LlamaModel.permute on q and k:
 * w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)
 * (n_head_kv for k). Shapes here are in NumPy order; a GGUF writer stores
 * them reversed. */
static const char llama_gguf[] =
    "# Hugging Face Llama -> GGUF names (llama.cpp tensor_mapping.py, with the q/k permute)\n"
    "? ^model\\.layers\\.[0-9]+\\.self_attn\\.rotary_emb\\.inv_freq$ -> drop\n"
    "^model\\.embed_tokens\\.weight$ -> token_embd.weight\n"
    "^model\\.norm\\.weight$ -> output_norm.weight\n"
    "? ^lm_head\\.weight$ -> output.weight\n"
    "^model\\.layers\\.([0-9]+)\\.input_layernorm\\.weight$ -> blk.$1.attn_norm.weight\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.q_proj\\.weight$ -> blk.$1.attn_q.weight"
    " | reshape({num_attention_heads}, 2, -1, {hidden_size}) | transpose(0, 2, 1, 3) | reshape(-1, {hidden_size})\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.k_proj\\.weight$ -> blk.$1.attn_k.weight"
    " | reshape({num_key_value_heads|num_attention_heads}, 2, -1, {hidden_size}) | transpose(0, 2, 1, 3) | reshape(-1, {hidden_size})\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.v_proj\\.weight$ -> blk.$1.attn_v.weight\n"
    "^model\\.layers\\.([0-9]+)\\.self_attn\\.o_proj\\.weight$ -> blk.$1.attn_output.weight\n"
    "^model\\.layers\\.([0-9]+)\\.post_attention_layernorm\\.weight$ -> blk.$1.ffn_norm.weight\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.gate_proj\\.weight$ -> blk.$1.ffn_gate.weight\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.up_proj\\.weight$ -> blk.$1.ffn_up.weight\n"
    "^model\\.layers\\.([0-9]+)\\.mlp\\.down_proj\\.weight$ -> blk.$1.ffn_down.weight\n";

/* Keras 2 (tf.keras legacy h5: "layer/weight", optional ":0") -> Keras 3
 * model.weights.h5 paths. Keras 3 names objects by class with a per-container
 * counter (dense, dense_1, ...; keras saving_lib _save_container_state) and
 * variables by position (vars/0, vars/1) in add_weight order
 * (Layer.save_own_variables). A Keras 2 file often calls its first Dense
 * `dense_1` (names count per session), so the layer's own name cannot be
 * kept: the first rule asks the Keras reader for the path Keras 3 loads the
 * weight from, computed from the model config exactly as `--to keras-weights`
 * writes it (keras_h5io.c ckpt__kx_k3_path). Without a config (a bare weights file,
 * or a safetensors file with Keras names) the rules below keep the layer names
 * and map weights by position: Dense/Conv kernel, bias; BatchNormalization
 * gamma, beta, moving_mean, moving_variance; LayerNormalization gamma, beta;
 * Embedding embeddings; RNN cells kernel, recurrent_kernel, bias under
 * ".../cell" (ckpt shows those as "lstm/kernel"). BatchNormalization with
 * center/scale off shifts the positions and is not handled by that fallback. */
static const char keras2_keras3[] =
    "# Keras 2 h5 names (dense_1/kernel) -> Keras 3 paths (layers/dense/vars/0)\n"
    "# with the model config: the path Keras 3 loads each weight from (layers\n"
    "# renumbered per class, as Keras 3 counts them; same as --to keras-weights)\n"
    "? ^.*$ -> @keras3\n"
    "# no config: keep the layer names, weights by position\n"
    "? ^(.*):0$ -> $1\n"
    "? ^model_weights/(.*)$ -> $1\n"
    "? ^((dense|conv[123]d|conv[123]d_transpose|conv_lstm[123]d)(_[0-9]+)?)/kernel$ -> layers/$1/vars/0\n"
    "? ^((dense|conv[123]d|conv[123]d_transpose)(_[0-9]+)?)/bias$ -> layers/$1/vars/1\n"
    "? ^(depthwise_conv[12]d(_[0-9]+)?)/depthwise_kernel$ -> layers/$1/vars/0\n"
    "? ^(depthwise_conv[12]d(_[0-9]+)?)/bias$ -> layers/$1/vars/1\n"
    "? ^(separable_conv[12]d(_[0-9]+)?)/depthwise_kernel$ -> layers/$1/vars/0\n"
    "? ^(separable_conv[12]d(_[0-9]+)?)/pointwise_kernel$ -> layers/$1/vars/1\n"
    "? ^(separable_conv[12]d(_[0-9]+)?)/bias$ -> layers/$1/vars/2\n"
    "? ^((batch|layer)_normalization(_[0-9]+)?)/gamma$ -> layers/$1/vars/0\n"
    "? ^((batch|layer)_normalization(_[0-9]+)?)/beta$ -> layers/$1/vars/1\n"
    "? ^(batch_normalization(_[0-9]+)?)/moving_mean$ -> layers/$1/vars/2\n"
    "? ^(batch_normalization(_[0-9]+)?)/moving_variance$ -> layers/$1/vars/3\n"
    "? ^(embedding(_[0-9]+)?)/embeddings$ -> layers/$1/vars/0\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/[a-z_]+cell(_[0-9]+)?/kernel$ -> layers/$1/cell/vars/0\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/[a-z_]+cell(_[0-9]+)?/recurrent_kernel$ -> layers/$1/cell/vars/1\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/[a-z_]+cell(_[0-9]+)?/bias$ -> layers/$1/cell/vars/2\n"
    "# ckpt's own Keras names leave the cell out: lstm/kernel\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/kernel$ -> layers/$1/cell/vars/0\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/recurrent_kernel$ -> layers/$1/cell/vars/1\n"
    "? ^((lstm|gru|simple_rnn)(_[0-9]+)?)/bias$ -> layers/$1/cell/vars/2\n"
    "# any other layer with the usual kernel/bias pair\n"
    "? ^([^/]+)/kernel$ -> layers/$1/vars/0\n"
    "? ^([^/]+)/bias$ -> layers/$1/vars/1\n";

/* Keras 3 paths -> Keras 2 names: the inverse of the table above. */
static const char keras3_keras2[] =
    "# Keras 3 paths (layers/dense_1/vars/0) -> Keras 2 h5 names (dense_1/kernel)\n"
    "? ^/(.*)$ -> $1\n"
    "? ^layers/((dense|conv[123]d|conv[123]d_transpose)(_[0-9]+)?)/vars/0$ -> $1/kernel\n"
    "? ^layers/((dense|conv[123]d|conv[123]d_transpose)(_[0-9]+)?)/vars/1$ -> $1/bias\n"
    "? ^layers/(depthwise_conv[12]d(_[0-9]+)?)/vars/0$ -> $1/depthwise_kernel\n"
    "? ^layers/(depthwise_conv[12]d(_[0-9]+)?)/vars/1$ -> $1/bias\n"
    "? ^layers/(separable_conv[12]d(_[0-9]+)?)/vars/0$ -> $1/depthwise_kernel\n"
    "? ^layers/(separable_conv[12]d(_[0-9]+)?)/vars/1$ -> $1/pointwise_kernel\n"
    "? ^layers/(separable_conv[12]d(_[0-9]+)?)/vars/2$ -> $1/bias\n"
    "? ^layers/((batch|layer)_normalization(_[0-9]+)?)/vars/0$ -> $1/gamma\n"
    "? ^layers/((batch|layer)_normalization(_[0-9]+)?)/vars/1$ -> $1/beta\n"
    "? ^layers/(batch_normalization(_[0-9]+)?)/vars/2$ -> $1/moving_mean\n"
    "? ^layers/(batch_normalization(_[0-9]+)?)/vars/3$ -> $1/moving_variance\n"
    "? ^layers/(embedding(_[0-9]+)?)/vars/0$ -> $1/embeddings\n"
    "? ^layers/((lstm|gru|simple_rnn)(_[0-9]+)?)/cell/vars/0$ -> $1/kernel\n"
    "? ^layers/((lstm|gru|simple_rnn)(_[0-9]+)?)/cell/vars/1$ -> $1/recurrent_kernel\n"
    "? ^layers/((lstm|gru|simple_rnn)(_[0-9]+)?)/cell/vars/2$ -> $1/bias\n"
    "# any other layer with the usual kernel/bias pair\n"
    "? ^layers/([^/]+)/vars/0$ -> $1/kernel\n"
    "? ^layers/([^/]+)/vars/1$ -> $1/bias\n";

/* The source names a preset expects (`check --expect preset:NAME` lists the
 * missing ones). Lines: "layers KEY|KEY2" (config.json keys giving the layer
 * count), then one name a line, {L} = 0..layers-1; "NAME unless KEY": not
 * expected when config.json sets KEY true (a tied LM head). A name counts as
 * present when some tensor maps through the preset to the same output, so
 * GPT-2's `h.0.ln_1.weight` and `transformer.h.0.ln_1.weight` are one. The
 * lists are the weights the presets' sources (convert_gpt2.py,
 * convert_llama3.py, convert_hf_to_gguf.py) read. */
static const char gpt2_expect[] =
    "layers n_layer|num_hidden_layers\n"
    "wte.weight\nwpe.weight\nln_f.weight\nln_f.bias\n"
    "h.{L}.ln_1.weight\nh.{L}.ln_1.bias\nh.{L}.attn.c_attn.weight\nh.{L}.attn.c_attn.bias\n"
    "h.{L}.attn.c_proj.weight\nh.{L}.attn.c_proj.bias\nh.{L}.ln_2.weight\nh.{L}.ln_2.bias\n"
    "h.{L}.mlp.c_fc.weight\nh.{L}.mlp.c_fc.bias\nh.{L}.mlp.c_proj.weight\nh.{L}.mlp.c_proj.bias\n";

/* the per-layer names of Llama, Gemma and Qwen2 */
#define LLAMA_LAYER_EXPECT \
    "model.layers.{L}.input_layernorm.weight\nmodel.layers.{L}.post_attention_layernorm.weight\n" \
    "model.layers.{L}.self_attn.q_proj.weight\nmodel.layers.{L}.self_attn.k_proj.weight\n" \
    "model.layers.{L}.self_attn.v_proj.weight\nmodel.layers.{L}.self_attn.o_proj.weight\n" \
    "model.layers.{L}.mlp.gate_proj.weight\nmodel.layers.{L}.mlp.up_proj.weight\nmodel.layers.{L}.mlp.down_proj.weight\n"

static const char llama_expect[] =
    "layers num_hidden_layers\n"
    "model.embed_tokens.weight\nmodel.norm.weight\nlm_head.weight unless tie_word_embeddings\n"
    LLAMA_LAYER_EXPECT;

static const char bert_expect[] =
    "layers num_hidden_layers\n"
    "embeddings.word_embeddings.weight\nembeddings.position_embeddings.weight\nembeddings.token_type_embeddings.weight\n"
    "embeddings.LayerNorm.weight\nembeddings.LayerNorm.bias\npooler.dense.weight\npooler.dense.bias\n"
    "encoder.layer.{L}.attention.self.query.weight\nencoder.layer.{L}.attention.self.query.bias\n"
    "encoder.layer.{L}.attention.self.key.weight\nencoder.layer.{L}.attention.self.key.bias\n"
    "encoder.layer.{L}.attention.self.value.weight\nencoder.layer.{L}.attention.self.value.bias\n"
    "encoder.layer.{L}.attention.output.dense.weight\nencoder.layer.{L}.attention.output.dense.bias\n"
    "encoder.layer.{L}.attention.output.LayerNorm.weight\nencoder.layer.{L}.attention.output.LayerNorm.bias\n"
    "encoder.layer.{L}.intermediate.dense.weight\nencoder.layer.{L}.intermediate.dense.bias\n"
    "encoder.layer.{L}.output.dense.weight\nencoder.layer.{L}.output.dense.bias\n"
    "encoder.layer.{L}.output.LayerNorm.weight\nencoder.layer.{L}.output.LayerNorm.bias\n";

static const char gemma_expect[] =
    "layers num_hidden_layers\nmodel.embed_tokens.weight\nmodel.norm.weight\n" LLAMA_LAYER_EXPECT;

static const char qwen2_expect[] =
    "layers num_hidden_layers\nmodel.embed_tokens.weight\nmodel.norm.weight\nlm_head.weight unless tie_word_embeddings\n"
    LLAMA_LAYER_EXPECT
    "model.layers.{L}.self_attn.q_proj.bias\nmodel.layers.{L}.self_attn.k_proj.bias\nmodel.layers.{L}.self_attn.v_proj.bias\n";

static const struct preset {
    const char *name, *desc, *text, *expect;
} presets[] = {
    {"hf-gpt2-kerashub", "HF GPT-2 -> KerasHub GPT2Backbone (q/k/v split + reshape)", gpt2_kerashub, gpt2_expect},
    {"hf-llama-kerashub", "HF Llama -> KerasHub Llama(3)Backbone (transpose + reshape)", llama_kerashub, llama_expect},
    {"hf-bert-kerashub", "HF BERT -> KerasHub BertBackbone (transpose + reshape)", bert_kerashub, bert_expect},
    {"hf-gemma-kerashub", "HF Gemma -> KerasHub GemmaBackbone (reshape + transpose, tied head)", gemma_kerashub, gemma_expect},
    {"hf-qwen2-kerashub", "HF Qwen2 -> KerasHub QwenBackbone (Llama's rules + q/k/v biases)", qwen2_kerashub, qwen2_expect},
    {"hf-llama-gguf", "HF Llama -> GGUF tensor names (llama.cpp, q/k permuted)", llama_gguf, llama_expect},
    {"keras2-keras3", "Keras 2 -> Keras 3 paths, renumbered (layers/dense/vars/0)", keras2_keras3, NULL},
    {"keras3-keras2", "Keras 3 paths -> Keras 2 names (dense_1/kernel)", keras3_keras2, NULL},
};

int ckpt_preset_count(void) { return (int)(sizeof presets / sizeof presets[0]); }
const char *ckpt_preset_name(int i) { return i >= 0 && i < ckpt_preset_count() ? presets[i].name : NULL; }
const char *ckpt_preset_desc(int i) { return i >= 0 && i < ckpt_preset_count() ? presets[i].desc : NULL; }

const char *ckpt__preset_text(const char *name)
{
    for (int i = 0; i < ckpt_preset_count(); i++)
        if (!strcmp(presets[i].name, name)) return presets[i].text;
    return NULL;
}

const char *ckpt_preset_text(const char *name) { return ckpt__preset_text(name); }

/* The names list of a preset (see gpt2_expect), NULL if it has none. */
const char *ckpt__preset_expect(const char *name)
{
    for (int i = 0; i < ckpt_preset_count(); i++)
        if (!strcmp(presets[i].name, name)) return presets[i].expect;
    return NULL;
}
