/* src/export/kerashub_family.c: the KerasHub backbones ckpt writes presets
 * for, as data: HF config -> backbone config, and each backbone's layout.
 *
 * Config mapping: keras_hub/src/utils/transformers/convert_{gpt2,bert,
 * llama3,mistral,gemma,qwen}.py convert_backbone_config (keras-team/keras-hub),
 * plus the sizes those leave at a default that the weights contradict
 * (BERT's max_sequence_length/num_segments, Llama's rope_theta/rms_norm_eps).
 *
 * Layouts: the HDF5 paths Keras 3's save_weights gives each variable
 * (keras/src/saving/saving_lib.py): a Functional model stores its `layers`
 * first, each named after its class in snake_case and numbered per class
 * (transformer_decoder, transformer_decoder_1, ...); inside a layer the
 * walk follows sorted attribute names, public ones before private ones
 * (_name_key), so keras' MultiHeadAttention is reached as `query_dense`
 * (its property) and LlamaAttention's as `_query_dense`; variables are
 * vars/<i> in creation order (kernel, bias; embeddings, reverse_embeddings).
 * Attribute and class names from keras_hub/src/models/<family>/<family>_backbone.py,
 * the decoder and attention files, and layers/modeling/transformer_{decoder,
 * encoder}.py, reversible_embedding.py, position_embedding.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/kerashub.h"

/* ---- layouts ---- */

#define MHA(T, A)                                                                                   \
    {"transformer_layer_{L}/self_attention/query/kernel", T "/" A "/query_dense/vars/0", NULL, "H,Q,D", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention/query/bias", T "/" A "/query_dense/vars/1", NULL, "Q,D", KH_LAYER},     \
    {"transformer_layer_{L}/self_attention/key/kernel", T "/" A "/key_dense/vars/0", NULL, "H,Q,D", KH_LAYER},     \
    {"transformer_layer_{L}/self_attention/key/bias", T "/" A "/key_dense/vars/1", NULL, "Q,D", KH_LAYER},         \
    {"transformer_layer_{L}/self_attention/value/kernel", T "/" A "/value_dense/vars/0", NULL, "H,Q,D", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention/value/bias", T "/" A "/value_dense/vars/1", NULL, "Q,D", KH_LAYER},     \
    {"transformer_layer_{L}/self_attention/attention_output/kernel", T "/" A "/output_dense/vars/0", NULL, "Q,D,H", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention/attention_output/bias", T "/" A "/output_dense/vars/1", NULL, "H", KH_LAYER}

/* TransformerDecoder / TransformerEncoder blocks (GPT-2, BERT): LayerNorm
 * gamma, beta; Dense kernel, bias. */
#define POSTLN(T)                                                                                   \
    {"transformer_layer_{L}/self_attention_layer_norm/gamma", T "/_self_attention_layer_norm/vars/0", NULL, "H", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention_layer_norm/beta", T "/_self_attention_layer_norm/vars/1", NULL, "H", KH_LAYER},  \
    {"transformer_layer_{L}/feedforward_layer_norm/gamma", T "/_feedforward_layer_norm/vars/0", NULL, "H", KH_LAYER},       \
    {"transformer_layer_{L}/feedforward_layer_norm/beta", T "/_feedforward_layer_norm/vars/1", NULL, "H", KH_LAYER},        \
    {"transformer_layer_{L}/feedforward_intermediate_dense/kernel", T "/_feedforward_intermediate_dense/vars/0", NULL, "H,I", KH_LAYER}, \
    {"transformer_layer_{L}/feedforward_intermediate_dense/bias", T "/_feedforward_intermediate_dense/vars/1", NULL, "I", KH_LAYER},     \
    {"transformer_layer_{L}/feedforward_output_dense/kernel", T "/_feedforward_output_dense/vars/0", NULL, "I,H", KH_LAYER},             \
    {"transformer_layer_{L}/feedforward_output_dense/bias", T "/_feedforward_output_dense/vars/1", NULL, "H", KH_LAYER}

static const kh_entry gpt2_layout[] = {
    {"token_embedding/embeddings", "layers/reversible_embedding/vars/0", "wte.weight", "V,H", 0},
    {"position_embedding/embeddings", "layers/position_embedding/vars/0", "wpe.weight", "P,H", 0},
    MHA("layers/transformer_decoder{_L}", "_self_attention_layer"),
    POSTLN("layers/transformer_decoder{_L}"),
    {"layer_norm/gamma", "layers/layer_normalization/vars/0", "ln_f.weight", "H", 0},
    {"layer_norm/beta", "layers/layer_normalization/vars/1", "ln_f.bias", "H", 0},
};

static const kh_entry bert_layout[] = {
    {"token_embedding/embeddings", "layers/reversible_embedding/vars/0", "embeddings.word_embeddings.weight", "V,H", 0},
    {"position_embedding/embeddings", "layers/position_embedding/vars/0", "embeddings.position_embeddings.weight", "P,H", 0},
    {"segment_embedding/embeddings", "layers/embedding/vars/0", "embeddings.token_type_embeddings.weight", "S,H", 0},
    {"embeddings_layer_norm/gamma", "layers/layer_normalization/vars/0", "embeddings.LayerNorm.weight", "H", 0},
    {"embeddings_layer_norm/beta", "layers/layer_normalization/vars/1", "embeddings.LayerNorm.bias", "H", 0},
    MHA("layers/transformer_encoder{_L}", "_self_attention_layer"),
    POSTLN("layers/transformer_encoder{_L}"),
    {"pooled_dense/kernel", "layers/dense/vars/0", "pooler.dense.weight", "H,H", 0},
    {"pooled_dense/bias", "layers/dense/vars/1", "pooler.dense.bias", "H", 0},
};

/* Llama-style decoders (Llama, Mistral, Qwen2): RMS norms with `scale`,
 * bias-free gated MLP, attention denses as private attributes. */
#define GQA(T)                                                                                      \
    {"transformer_layer_{L}/self_attention/query/kernel", T "/_self_attention_layer/_query_dense/vars/0", "model.layers.{L}.self_attn.q_proj.weight", "H,Q,D", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention/key/kernel", T "/_self_attention_layer/_key_dense/vars/0", "model.layers.{L}.self_attn.k_proj.weight", "H,K,D", KH_LAYER},     \
    {"transformer_layer_{L}/self_attention/value/kernel", T "/_self_attention_layer/_value_dense/vars/0", "model.layers.{L}.self_attn.v_proj.weight", "H,K,D", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention/attention_output/kernel", T "/_self_attention_layer/_output_dense/vars/0", "model.layers.{L}.self_attn.o_proj.weight", "Q,D,H", KH_LAYER}, \
    {"transformer_layer_{L}/self_attention_layernorm/scale", T "/_self_attention_layernorm/vars/0", "model.layers.{L}.input_layernorm.weight", "H", KH_LAYER},              \
    {"transformer_layer_{L}/feedforward_gate_dense/kernel", T "/_feedforward_gate_dense/vars/0", "model.layers.{L}.mlp.gate_proj.weight", "H,I", KH_LAYER},                \
    {"transformer_layer_{L}/feedforward_intermediate_dense/kernel", T "/_feedforward_intermediate_dense/vars/0", "model.layers.{L}.mlp.up_proj.weight", "H,I", KH_LAYER},  \
    {"transformer_layer_{L}/feedforward_output_dense/kernel", T "/_feedforward_output_dense/vars/0", "model.layers.{L}.mlp.down_proj.weight", "I,H", KH_LAYER},            \
    {"transformer_layer_{L}/feedforward_layernorm/scale", T "/_feedforward_layernorm/vars/0", "model.layers.{L}.post_attention_layernorm.weight", "H", KH_LAYER}

#define EMB2                                                                                        \
    {"token_embedding/embeddings", "layers/reversible_embedding/vars/0", "model.embed_tokens.weight", "V,H", 0}, \
    {"token_embedding/reverse_embeddings", "layers/reversible_embedding/vars/1", "lm_head.weight", "H,V", KH_UNTIED}

static const kh_entry llama_layout[] = {
    EMB2,
    GQA("layers/llama_transformer_decoder{_L}"),
    {"sequence_output_layernorm/scale", "layers/llama_layer_norm/vars/0", "model.norm.weight", "H", 0},
};

static const kh_entry mistral_layout[] = {
    EMB2,
    GQA("layers/mistral_transformer_decoder{_L}"),
    {"sequence_output_layernorm/scale", "layers/mistral_layer_normalization/vars/0", "model.norm.weight", "H", 0},
};

static const kh_entry qwen2_layout[] = {
    EMB2,
    GQA("layers/qwen_transformer_decoder{_L}"),
    {"transformer_layer_{L}/self_attention/query/bias", "layers/qwen_transformer_decoder{_L}/_self_attention_layer/_query_dense/vars/1",
     "model.layers.{L}.self_attn.q_proj.bias", "Q,D", KH_LAYER},
    {"transformer_layer_{L}/self_attention/key/bias", "layers/qwen_transformer_decoder{_L}/_self_attention_layer/_key_dense/vars/1",
     "model.layers.{L}.self_attn.k_proj.bias", "K,D", KH_LAYER},
    {"transformer_layer_{L}/self_attention/value/bias", "layers/qwen_transformer_decoder{_L}/_self_attention_layer/_value_dense/vars/1",
     "model.layers.{L}.self_attn.v_proj.bias", "K,D", KH_LAYER},
    {"sequence_output_layernorm/scale", "layers/qwen_layer_norm/vars/0", "model.norm.weight", "H", 0},
};

/* GemmaDecoderBlock keeps its sublayers public (attention, pre_ffw_norm,
 * gating_ffw ...); CachedGemmaAttention's einsums are (heads, hidden, head_dim). */
#define GB "layers/gemma_decoder_block{_L}"
static const kh_entry gemma_layout[] = {
    {"token_embedding/embeddings", "layers/reversible_embedding/vars/0", "model.embed_tokens.weight", "V,H", 0},
    {"decoder_block_{L}/pre_attention_norm/scale", GB "/pre_attention_norm/vars/0", "model.layers.{L}.input_layernorm.weight", "H", KH_LAYER},
    {"decoder_block_{L}/attention/query/kernel", GB "/attention/query_dense/vars/0", "model.layers.{L}.self_attn.q_proj.weight", "Q,H,D", KH_LAYER},
    {"decoder_block_{L}/attention/key/kernel", GB "/attention/key_dense/vars/0", "model.layers.{L}.self_attn.k_proj.weight", "K,H,D", KH_LAYER},
    {"decoder_block_{L}/attention/value/kernel", GB "/attention/value_dense/vars/0", "model.layers.{L}.self_attn.v_proj.weight", "K,H,D", KH_LAYER},
    {"decoder_block_{L}/attention/attention_output/kernel", GB "/attention/output_dense/vars/0", "model.layers.{L}.self_attn.o_proj.weight", "Q,D,H", KH_LAYER},
    {"decoder_block_{L}/pre_ffw_norm/scale", GB "/pre_ffw_norm/vars/0", "model.layers.{L}.post_attention_layernorm.weight", "H", KH_LAYER},
    {"decoder_block_{L}/ffw_gating/kernel", GB "/gating_ffw/vars/0", "model.layers.{L}.mlp.gate_proj.weight", "H,G", KH_LAYER},
    {"decoder_block_{L}/ffw_gating_2/kernel", GB "/gating_ffw_2/vars/0", "model.layers.{L}.mlp.up_proj.weight", "H,G", KH_LAYER},
    {"decoder_block_{L}/ffw_linear/kernel", GB "/ffw_linear/vars/0", "model.layers.{L}.mlp.down_proj.weight", "G,H", KH_LAYER},
    {"final_normalization/scale", "layers/rms_normalization/vars/0", "model.norm.weight", "H", 0},
};
#undef GB

/* ---- config mapping ---- */

static double num(const cJSON *c, const char *k, double def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    return cJSON_IsNumber(it) && isfinite(it->valuedouble) ? it->valuedouble : def;
}

static void add_num(cJSON *o, const char *k, double v) { cJSON_AddNumberToObject(o, k, v); }

/* an HF number copied when present (else KerasHub's default stays) */
static void copy_num(cJSON *o, const char *kk, const cJSON *hf, const char *hk)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(hf, hk);
    if (cJSON_IsNumber(it) && isfinite(it->valuedouble)) add_num(o, kk, it->valuedouble);
}

static void sizes(cJSON *o, const kh_dims *d, const char *heads_key)
{
    add_num(o, "vocabulary_size", (double)d->V);
    add_num(o, "num_layers", (double)d->L);
    add_num(o, heads_key, (double)d->Q);
    add_num(o, "hidden_dim", (double)d->H);
}

static void cfg_gpt2(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    sizes(o, d, "num_heads");
    add_num(o, "intermediate_dim", (double)d->I);
    add_num(o, "dropout", num(hf, "resid_pdrop", 0.1));
    add_num(o, "max_sequence_length", (double)d->P);
}

static void cfg_bert(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    sizes(o, d, "num_heads");
    add_num(o, "intermediate_dim", (double)d->I);
    add_num(o, "dropout", num(hf, "hidden_dropout_prob", 0.1));
    add_num(o, "max_sequence_length", (double)d->P);
    add_num(o, "num_segments", (double)d->S);
}

static void gqa(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    sizes(o, d, "num_query_heads");
    add_num(o, "intermediate_dim", (double)d->I);
    add_num(o, "num_key_value_heads", (double)d->K);
    copy_num(o, "rope_max_wavelength", hf, "rope_theta");
    copy_num(o, "layer_norm_epsilon", hf, "rms_norm_eps");
}

static void cfg_llama(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    gqa(hf, d, o);
    cJSON_AddBoolToObject(o, "tie_word_embeddings", d->tied);
    /* Llama 3.1+ frequency scaling (rope_scaling.rope_type "llama3") */
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(hf, "rope_scaling");
    const cJSON *rt = cJSON_IsObject(rs) ? cJSON_GetObjectItemCaseSensitive(rs, "rope_type") : NULL;
    if (cJSON_IsString(rt) && !strcmp(rt->valuestring, "llama3")) {
        copy_num(o, "rope_frequency_adjustment_factor", rs, "factor");
        copy_num(o, "rope_low_freq_factor", rs, "low_freq_factor");
        copy_num(o, "rope_high_freq_factor", rs, "high_freq_factor");
        copy_num(o, "rope_pretraining_sequence_length", rs, "original_max_position_embeddings");
    }
}

static void cfg_mistral(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    gqa(hf, d, o);
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(hf, "sliding_window");
    if (cJSON_IsNumber(sw)) add_num(o, "sliding_window", sw->valuedouble);
    else cJSON_AddNullToObject(o, "sliding_window");
}

static void cfg_qwen2(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    gqa(hf, d, o);
    cJSON_AddBoolToObject(o, "tie_word_embeddings", d->tied);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(hf, "use_sliding_window");
    cJSON_AddBoolToObject(o, "use_sliding_window_attention", cJSON_IsTrue(u));
    copy_num(o, "sliding_window_size", hf, "sliding_window");
}

static void cfg_gemma(const cJSON *hf, const kh_dims *d, cJSON *o)
{
    sizes(o, d, "num_query_heads");
    add_num(o, "num_key_value_heads", (double)d->K);
    add_num(o, "intermediate_dim", (double)d->G * 2);   /* KerasHub counts both gate halves */
    add_num(o, "head_dim", (double)d->D);
    copy_num(o, "layer_norm_epsilon", hf, "rms_norm_eps");
}

#define L_(a) a, (int)(sizeof a / sizeof a[0])
static const kh_family families[] = {
    {"gpt2", "gpt2", "hf-gpt2-kerashub", "keras_hub.src.models.gpt2.gpt2_backbone", "GPT2Backbone",
     "keras_hub.src.models.gpt2.gpt2_tokenizer", "GPT2Tokenizer", KH_TOK_BPE, "CausalLM", L_(gpt2_layout), 1, cfg_gpt2},
    {"bert", "bert", "hf-bert-kerashub", "keras_hub.src.models.bert.bert_backbone", "BertBackbone",
     "keras_hub.src.models.bert.bert_tokenizer", "BertTokenizer", KH_TOK_WORDPIECE, "MaskedLM,TextClassifier",
     L_(bert_layout), 1, cfg_bert},
    {"llama", "llama", "hf-llama-kerashub", "keras_hub.src.models.llama.llama_backbone", "LlamaBackbone",
     "keras_hub.src.models.llama.llama_tokenizer", "LlamaTokenizer", KH_TOK_SPM, "CausalLM", L_(llama_layout), 0, cfg_llama},
    {"llama3", "llama", "hf-llama-kerashub", "keras_hub.src.models.llama3.llama3_backbone", "Llama3Backbone",
     "keras_hub.src.models.llama3.llama3_tokenizer", "Llama3Tokenizer", KH_TOK_BPE, "CausalLM", L_(llama_layout), 0, cfg_llama},
    {"mistral", "mistral", "hf-llama-kerashub", "keras_hub.src.models.mistral.mistral_backbone", "MistralBackbone",
     "keras_hub.src.models.mistral.mistral_tokenizer", "MistralTokenizer", KH_TOK_SPM, "CausalLM", L_(mistral_layout), -1,
     cfg_mistral},
    {"gemma", "gemma", "hf-gemma-kerashub", "keras_hub.src.models.gemma.gemma_backbone", "GemmaBackbone",
     "keras_hub.src.models.gemma.gemma_tokenizer", "GemmaTokenizer", KH_TOK_SPM, "CausalLM", L_(gemma_layout), 1, cfg_gemma},
    {"qwen2", "qwen2", "hf-qwen2-kerashub", "keras_hub.src.models.qwen.qwen_backbone", "QwenBackbone",
     "keras_hub.src.models.qwen.qwen_tokenizer", "QwenTokenizer", KH_TOK_BPE, "CausalLM", L_(qwen2_layout), 0, cfg_qwen2},
};
#undef L_
#define NFAM ((int)(sizeof families / sizeof families[0]))

int ckpt__kh_family_count(void) { return NFAM; }
const kh_family *ckpt__kh_family_at(int i) { return i >= 0 && i < NFAM ? &families[i] : NULL; }

const char *ckpt__kh_family_list(void)
{
    static char buf[160];
    if (!buf[0])
        for (int i = 0; i < NFAM; i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? ", " : "", families[i].name);
    return buf;
}

const kh_family *ckpt__kh_family_for(const cJSON *hf, int spm)
{
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(hf, "model_type");
    if (!cJSON_IsString(mt)) return NULL;
    for (int i = 0; i < NFAM; i++) {
        if (strcmp(families[i].model_type, mt->valuestring)) continue;
        /* Llama 2 ships a SentencePiece model, Llama 3 a BPE tokenizer.json */
        if (!strcmp(families[i].name, "llama") && !spm) continue;
        return &families[i];
    }
    return NULL;
}

/* a positive integer size, or -1 */
static int64_t need(const cJSON *c, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 1 && it->valuedouble <= 1e12) || it->valuedouble != floor(it->valuedouble))
        return -1;
    return (int64_t)it->valuedouble;
}

static int64_t opt(const cJSON *c, const char *k, int64_t def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    return it && !cJSON_IsNull(it) ? need(c, k) : def;
}

int ckpt__kh_dims_from(const kh_family *f, const cJSON *hf, kh_dims *d, char *why, size_t n)
{
    memset(d, 0, sizeof *d);
    int gpt2 = !strcmp(f->name, "gpt2");
    const char *kl = gpt2 ? "n_layer" : "num_hidden_layers", *kh = gpt2 ? "n_embd" : "hidden_size";
    const char *kq = gpt2 ? "n_head" : "num_attention_heads";
    d->L = need(hf, kl);
    d->H = need(hf, kh);
    d->Q = need(hf, kq);
    d->V = need(hf, "vocab_size");
    const char *bad = d->L < 0 ? kl : d->H < 0 ? kh : d->Q < 0 ? kq : d->V < 0 ? "vocab_size" : NULL;
    if (!bad) {
        d->K = opt(hf, "num_key_value_heads", d->Q);
        d->D = d->H / d->Q;
        if (!strcmp(f->name, "gemma")) d->D = opt(hf, "head_dim", 256);
        d->I = gpt2 ? opt(hf, "n_inner", 4 * d->H) : need(hf, "intermediate_size");
        d->G = d->I;
        d->P = gpt2 ? opt(hf, "n_positions", 1024) : opt(hf, "max_position_embeddings", 512);
        d->S = opt(hf, "type_vocab_size", 2);
        bad = d->K < 0 ? "num_key_value_heads" : d->D < 1 ? "head_dim" : d->I < 0 ? (gpt2 ? "n_inner" : "intermediate_size")
            : d->P < 0 ? "max_position_embeddings" : d->S < 0 ? "type_vocab_size" : NULL;
    }
    if (bad) {
        snprintf(why, n, "config.json: '%s' is missing or not a positive integer (KerasHub %s needs it)", bad, f->cls);
        return -1;
    }
    /* transformers' defaults: Llama, Mistral, Qwen2 untied unless the config says so */
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(hf, "tie_word_embeddings");
    d->tied = f->tie > 0 ? 1 : f->tie < 0 ? 0 : cJSON_IsBool(t) ? cJSON_IsTrue(t) : 0;
    return 0;
}

/* "{L}" and "{_L}" replaced */
static char *subst(const char *tpl, int64_t l)
{
    char buf[512];
    size_t o = 0;
    for (const char *p = tpl; *p && o + 24 < sizeof buf; ) {
        if (!strncmp(p, "{L}", 3)) { o += (size_t)snprintf(buf + o, sizeof buf - o, "%lld", (long long)l); p += 3; }
        else if (!strncmp(p, "{_L}", 4)) {
            if (l) o += (size_t)snprintf(buf + o, sizeof buf - o, "_%lld", (long long)l);
            p += 4;
        } else buf[o++] = *p++;
    }
    buf[o] = 0;
    return ckpt__strdup(buf);
}

static int64_t dim_of(const kh_dims *d, char c)
{
    switch (c) {
    case 'H': return d->H; case 'Q': return d->Q; case 'K': return d->K; case 'D': return d->D;
    case 'I': return d->I; case 'V': return d->V; case 'P': return d->P; case 'S': return d->S;
    case 'G': return d->G; default: return -1;
    }
}

void ckpt__kh_layout_free(kh_var *v, int n)
{
    for (int i = 0; v && i < n; i++) { free(v[i].var); free(v[i].h5); free(v[i].hf); }
    free(v);
}

int ckpt__kh_layout(const kh_family *f, const kh_dims *d, kh_var **out, int *n, ckpt_err *err)
{
    if (d->L > 4096) return ckpt_err_set(err, CKPT_E_FORMAT, "config.json: %lld layers is not a real model's", (long long)d->L);
    int cap = 0;
    for (int i = 0; i < f->nlayout; i++) cap += (f->layout[i].flags & KH_LAYER) ? (int)d->L : 1;
    kh_var *v = calloc((size_t)cap + 1, sizeof *v);
    if (!v) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int k = 0;
    /* globals before the first per-layer entry, then layer by layer, then the rest */
    int first = -1;
    for (int i = 0; i < f->nlayout && first < 0; i++)
        if (f->layout[i].flags & KH_LAYER) first = i;
    for (int pass = 0; pass < 3; pass++)
        for (int64_t l = 0; l < (pass == 1 ? d->L : 1); l++)
            for (int i = 0; i < f->nlayout; i++) {
                const kh_entry *e = &f->layout[i];
                int per = !!(e->flags & KH_LAYER);
                if (pass == 1 ? !per : per || (pass == 0) != (first < 0 || i < first)) continue;
                if ((e->flags & KH_UNTIED) && d->tied) continue;
                kh_var *x = &v[k++];
                x->var = subst(e->var, l);
                x->h5 = subst(e->h5, l);
                x->hf = e->hf ? subst(e->hf, l) : NULL;
                if (!x->var || !x->h5 || (e->hf && !x->hf)) { ckpt__kh_layout_free(v, k); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
                for (const char *s = e->shape; *s; s++)
                    if (*s != ',') x->shape[x->ndim++] = dim_of(d, *s);
            }
    *out = v;
    *n = k;
    return 0;
}

static cJSON *dtype_policy(const char *name)
{
    cJSON *p = cJSON_CreateObject(), *c = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "module", "keras");
    cJSON_AddStringToObject(p, "class_name", "DTypePolicy");
    cJSON_AddStringToObject(c, "name", name);
    cJSON_AddItemToObject(p, "config", c);
    cJSON_AddNullToObject(p, "registered_name");
    return p;
}

/* {"module","class_name","config":{name, trainable, dtype, ...},"registered_name"} */
static char *serialized(const char *module, const char *cls, const char *snake, const char *dtype, cJSON *cfg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "module", module);
    cJSON_AddStringToObject(o, "class_name", cls);
    cJSON_AddStringToObject(c, "name", snake);
    cJSON_AddBoolToObject(c, "trainable", 1);
    cJSON_AddItemToObject(c, "dtype", dtype_policy(dtype));
    for (cJSON *it = cfg ? cfg->child : NULL; it; it = it->next)
        cJSON_AddItemToObject(c, it->string, cJSON_Duplicate(it, 1));
    cJSON_AddItemToObject(o, "config", c);
    char reg[96];
    snprintf(reg, sizeof reg, "keras_hub>%s", cls);
    cJSON_AddStringToObject(o, "registered_name", reg);
    char *r = cJSON_Print(o);
    cJSON_Delete(o);
    return r;
}

static void snake_of(const char *module, char *out, size_t n)
{
    const char *dot = strrchr(module, '.');
    snprintf(out, n, "%s", dot ? dot + 1 : module);
}

char *ckpt__kh_backbone_config(const kh_family *f, const cJSON *hf, const kh_dims *d, const char *dtype)
{
    cJSON *cfg = cJSON_CreateObject();
    if (!cfg) return NULL;
    f->config(hf, d, cfg);
    char sn[64];
    snake_of(f->module, sn, sizeof sn);
    char *r = serialized(f->module, f->cls, sn, dtype, cfg);
    cJSON_Delete(cfg);
    return r;
}

static const char *tok_str(const cJSON *tc, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(tc, k);
    if (cJSON_IsString(it)) return it->valuestring;
    if (cJSON_IsObject(it)) {   /* {"content": "<s>", ...} (AddedToken) */
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (cJSON_IsString(c)) return c->valuestring;
    }
    return NULL;
}

char *ckpt__kh_tokenizer_config(const kh_family *f, const cJSON *tok_cfg, const cJSON *specials)
{
    cJSON *cfg = cJSON_CreateObject();
    if (!cfg) return NULL;
    cJSON_AddStringToObject(cfg, "config_file", "tokenizer.json");
    if (f->tok_kind == KH_TOK_WORDPIECE) {
        const cJSON *lc = tok_cfg ? cJSON_GetObjectItemCaseSensitive(tok_cfg, "do_lower_case") : NULL;
        cJSON_AddBoolToObject(cfg, "lowercase", cJSON_IsTrue(lc));
    }
    if (f->tok_kind == KH_TOK_SPM) cJSON_AddNullToObject(cfg, "proto");
    if (!strcmp(f->name, "llama3")) {
        const char *b = tok_cfg ? tok_str(tok_cfg, "bos_token") : NULL, *e = tok_cfg ? tok_str(tok_cfg, "eos_token") : NULL;
        if (b) cJSON_AddStringToObject(cfg, "bos_token", b);
        if (e) cJSON_AddStringToObject(cfg, "eos_token", e);
        if (specials) cJSON_AddItemToObject(cfg, "misc_special_tokens", cJSON_Duplicate(specials, 1));
    }
    if (!strcmp(f->name, "qwen2") && specials) cJSON_AddItemToObject(cfg, "unsplittable_tokens", cJSON_Duplicate(specials, 1));
    char sn[64];
    snake_of(f->tok_module, sn, sizeof sn);
    char *r = serialized(f->tok_module, f->tok_cls, sn, "int32", cfg);
    cJSON_Delete(cfg);
    return r;
}
