/* src/arch.c: architecture analysis of a Hugging Face config.json.
 *
 * Run at the end of ckpt_open: when the model has no HF config yet, read
 * config.json beside the weights (a local HF-style folder, or a Hub repo
 * through the remote source hook), keep it (ckpt_model_hf_config), and add
 * facts for `info` and the TUI: model type, layers, hidden size, heads,
 * key/value heads and the attention kind, head dim, intermediate size,
 * activation, normalization, position encoding, vocab size, tied
 * embeddings, and the parameter count the config predicts next to the
 * count in the weights. A missing or foreign config.json (Keras presets
 * have one too) is not an error: no facts.
 *
 * Field names per family follow transformers' configuration_*.py
 * defaults (GPT2Config n_layer/n_embd/n_head, LlamaConfig
 * num_key_value_heads defaulting to num_attention_heads, T5Config d_model/
 * d_kv/d_ff, ...).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ckpt/human.h"

#include "remap_int.h"


/* first numeric value among keys (top level, then text_config) */
static int num(const cJSON *c, double *v, const char *k1, const char *k2, const char *k3)
{
    const char *keys[3] = {k1, k2, k3};
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *o = pass ? cJSON_GetObjectItemCaseSensitive(c, "text_config") : c;
        if (!cJSON_IsObject(o)) continue;
        for (int i = 0; i < 3; i++) {
            if (!keys[i]) continue;
            const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
            /* sizes beyond 1e15 are not a real model's: treated as absent */
            if (cJSON_IsNumber(it) && isfinite(it->valuedouble) && fabs(it->valuedouble) <= 1e15) {
                *v = it->valuedouble;
                return 1;
            }
        }
    }
    return 0;
}

static const char *str(const cJSON *c, const char *k1, const char *k2)
{
    const char *keys[2] = {k1, k2};
    for (int i = 0; i < 2; i++) {
        if (!keys[i]) continue;
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, keys[i]);
        if (cJSON_IsString(it)) return it->valuestring;
    }
    return NULL;
}

static int boolean(const cJSON *c, const char *k, int def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    if (cJSON_IsBool(it)) return cJSON_IsTrue(it);
    return def;
}

static int fact(ckpt_model *m, const char *k, ckpt_err *err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fact(ckpt_model *m, const char *k, ckpt_err *err, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    return ckpt__model_set_fact(m, k, v, err);
}

/* parameters that are buffers, not weights, in common HF checkpoints */
static int is_buffer(const ckpt_tensor *t)
{
    const char *n = t->name;
    return ckpt__ends_with(n, "rotary_emb.inv_freq") || ckpt__ends_with(n, "position_ids")
        || ckpt__ends_with(n, "num_batches_tracked") || ckpt__ends_with(n, ".attn.masked_bias")
        || (ckpt__ends_with(n, ".attn.bias") && t->ndim == 4)
        || ckpt__ends_with(n, ".attention.bias") || ckpt__ends_with(n, ".attention.masked_bias");
}

typedef struct arch {
    const char *type;
    double L, H, nq, nkv, hd, I, V, P;
    int tied, has_kv;
} arch;

/* Predicted weight count for the families whose layout we know; 0 if not. */
static double predict(const cJSON *c, const arch *a)
{
    const char *t = a->type;
    double L = a->L, H = a->H, I = a->I, V = a->V, P = a->P, nq = a->nq, nkv = a->nkv, hd = a->hd;
    if (!t || L <= 0 || H <= 0) return 0;
    if (!strcmp(t, "llama") || !strcmp(t, "mistral") || !strcmp(t, "qwen2") || !strcmp(t, "gemma")
        || !strcmp(t, "gemma2") || !strcmp(t, "qwen3") || !strcmp(t, "phi3")) {
        double q = nq * hd, kv = nkv * hd;
        double attn = H * q + 2 * H * kv + q * H;
        if (!strcmp(t, "qwen2")) attn += q + 2 * kv;                  /* q/k/v biases */
        else if (boolean(c, "attention_bias", 0)) attn += q + 2 * kv + H;
        if (!strcmp(t, "qwen3")) attn += 2 * hd;                      /* q_norm, k_norm */
        double mlp = 3 * H * I;
        double norms = !strcmp(t, "gemma2") ? 4 * H : 2 * H;
        double per = attn + mlp + norms;
        return V * H + L * per + H + (a->tied ? 0 : V * H);
    }
    if (!strcmp(t, "gpt2")) {
        double per = 2 * H + (H * 3 * H + 3 * H) + (H * H + H) + 2 * H + (H * I + I) + (I * H + H);
        return V * H + P * H + L * per + 2 * H;
    }
    if (!strcmp(t, "bert") || !strcmp(t, "roberta")) {
        double tv = 2;
        num(c, &tv, "type_vocab_size", NULL, NULL);
        double emb = V * H + P * H + tv * H + 2 * H;
        double per = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
        return emb + L * per + (H * H + H); /* BertModel with its pooler */
    }
    if (!strcmp(t, "opt")) {
        double F = I, pd = H;
        num(c, &pd, "word_embed_proj_dim", NULL, NULL);
        double emb = V * pd + (P + 2) * H + (pd != H ? 2 * pd * H : 0);
        double per = 4 * (H * H + H) + 2 * 2 * H + (H * F + F) + (F * H + H);
        double fin = boolean(c, "do_layer_norm_before", 1) && pd == H ? 2 * H : 0;
        return emb + L * per + fin;
    }
    if (!strcmp(t, "gpt_neox")) {
        double per = 2 * 2 * H + (H * 3 * H + 3 * H) + (H * H + H) + (H * I + I) + (I * H + H);
        return V * H + L * per + 2 * H + (a->tied ? 0 : V * H);
    }
    if (!strcmp(t, "phi")) {
        double per = 2 * H + 4 * (H * H + H) + (H * I + I) + (I * H + H);
        return V * H + L * per + 2 * H + (a->tied ? 0 : V * H + V);
    }
    if (!strcmp(t, "bloom")) {
        double per = 2 * H + (3 * H * H + 3 * H) + (H * H + H) + 2 * H + (4 * H * H + 4 * H) + (4 * H * H + H);
        return V * H + 2 * H + L * per + 2 * H;
    }
    if (!strcmp(t, "t5") || !strcmp(t, "mt5")) {
        double dkv = hd, ff = I, Ld = L, buckets = 32;
        num(c, &Ld, "num_decoder_layers", NULL, NULL);
        num(c, &buckets, "relative_attention_num_buckets", NULL, NULL);
        const char *fp = str(c, "feed_forward_proj", NULL);
        int gated = fp && !strncmp(fp, "gated", 5);
        double att = 4 * H * nq * dkv;
        double ffn = gated ? 3 * H * ff : 2 * H * ff;
        double enc = Ld >= 0 ? L * (att + H + ffn + H) + buckets * nq + H : 0;
        double dec = Ld * (2 * att + 3 * H + ffn) + buckets * nq + H;
        return V * H + enc + dec + (a->tied ? 0 : V * H);
    }
    return 0;
}

static int analyze(ckpt_model *m, const cJSON *c, ckpt_err *err)
{
    int rc = 0;
    arch a;
    memset(&a, 0, sizeof a);
    a.type = str(c, "model_type", NULL);
    const cJSON *archs = cJSON_GetObjectItemCaseSensitive(c, "architectures");
    const char *arch0 = cJSON_IsArray(archs) && cJSON_IsString(cJSON_GetArrayItem(archs, 0))
                            ? cJSON_GetArrayItem(archs, 0)->valuestring : NULL;
    const char *t = a.type ? a.type : "";
    int is_t5 = !strcmp(t, "t5") || !strcmp(t, "mt5");
#define TRY(x) do { if (!rc) rc = (x); } while (0)
    TRY(fact(m, "model_type", err, "%s", a.type ? a.type : "unknown"));
    if (arch0) TRY(fact(m, "architecture", err, "%s", arch0));
    int hasL = num(c, &a.L, "num_hidden_layers", "n_layer", is_t5 ? "num_layers" : "num_layers");
    int hasH = num(c, &a.H, "hidden_size", "n_embd", "d_model");
    int hasQ = num(c, &a.nq, "num_attention_heads", "n_head", "num_heads");
    a.has_kv = num(c, &a.nkv, "num_key_value_heads", "num_kv_heads", "n_head_kv");
    if (!a.has_kv && boolean(c, "multi_query", 0)) { a.nkv = 1; a.has_kv = 1; }
    if (!a.has_kv) a.nkv = a.nq;
    int hasI = num(c, &a.I, "intermediate_size", "n_inner", is_t5 ? "d_ff" : "ffn_dim");
    if (!hasI && is_t5) hasI = num(c, &a.I, "d_ff", NULL, NULL);
    if (!hasI && !strcmp(t, "gpt2") && hasH) { a.I = 4 * a.H; hasI = 1; }   /* n_inner null = 4*n_embd */
    if (!hasI && !strcmp(t, "bloom") && hasH) { a.I = 4 * a.H; hasI = 1; }
    int hasV = num(c, &a.V, "vocab_size", "n_vocab", NULL);
    int hasP = num(c, &a.P, "max_position_embeddings", "n_positions", "n_ctx");
    int hasHD = num(c, &a.hd, "head_dim", is_t5 ? "d_kv" : "d_kv", NULL);
    if (!hasHD && hasH && hasQ && a.nq > 0) { a.hd = floor(a.H / a.nq); hasHD = 1; }
    /* tied embeddings: transformers' default is True except where the config class says otherwise */
    int tie_default = !(!strcmp(t, "gpt_neox") || !strcmp(t, "phi") || !strcmp(t, "llama") || !strcmp(t, "mistral")
                        || !strcmp(t, "qwen2") || !strcmp(t, "phi3"));
    a.tied = boolean(c, "tie_word_embeddings", tie_default);

    if (hasL) TRY(fact(m, "layers", err, "%.0f", a.L));
    if (is_t5) {
        double Ld;
        if (num(c, &Ld, "num_decoder_layers", NULL, NULL)) TRY(fact(m, "decoder_layers", err, "%.0f", Ld));
    }
    if (hasH) TRY(fact(m, "hidden_size", err, "%.0f", a.H));
    if (hasQ) TRY(fact(m, "heads", err, "%.0f", a.nq));
    if (hasQ) TRY(fact(m, "kv_heads", err, "%.0f", a.nkv));
    if (hasQ && a.nq > 0) {
        if (a.nkv == a.nq) TRY(fact(m, "attention", err, "multi-head (MHA)"));
        else if (a.nkv == 1) TRY(fact(m, "attention", err, "multi-query (MQA, 1 kv head for %.0f query heads)", a.nq));
        else TRY(fact(m, "attention", err, "grouped-query (GQA: %.0f query heads, %.0f kv heads, %.0f queries per kv head)",
                      a.nq, a.nkv, a.nkv > 0 ? a.nq / a.nkv : 0));
    }
    if (hasHD) TRY(fact(m, "head_dim", err, "%.0f", a.hd));
    if (hasI) TRY(fact(m, "intermediate_size", err, "%.0f", a.I));
    const char *act = str(c, "hidden_act", "activation_function");
    if (!act) act = str(c, "hidden_activation", "feed_forward_proj");
    if (act) TRY(fact(m, "activation", err, "%s", act));
    /* normalization */
    double eps;
    if (num(c, &eps, "rms_norm_eps", NULL, NULL)) TRY(fact(m, "norm", err, "RMSNorm (eps %g)", eps));
    else if (is_t5 && num(c, &eps, "layer_norm_epsilon", NULL, NULL)) TRY(fact(m, "norm", err, "RMSNorm (T5LayerNorm, eps %g)", eps));
    else if (num(c, &eps, "layer_norm_eps", "layer_norm_epsilon", "layernorm_epsilon")) TRY(fact(m, "norm", err, "LayerNorm (eps %g)", eps));
    else if (!strcmp(t, "opt")) TRY(fact(m, "norm", err, "LayerNorm (eps 1e-05)"));
    /* position encoding */
    {
        double theta = 0, pct = 1;
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(c, "rope_scaling");
        int rope = num(c, &theta, "rope_theta", "rotary_emb_base", NULL);
        num(c, &pct, "partial_rotary_factor", "rotary_pct", NULL);
        int alibi = !strcmp(t, "bloom") || boolean(c, "alibi", 0);
        const cJSON *ac = cJSON_GetObjectItemCaseSensitive(c, "attn_config");
        if (cJSON_IsObject(ac) && boolean(ac, "alibi", 0)) alibi = 1;
        const char *pet = str(c, "position_embedding_type", NULL);
        if (alibi) TRY(fact(m, "position", err, "ALiBi"));
        else if (is_t5) TRY(fact(m, "position", err, "relative (T5 bucketed bias)"));
        else if (rope || !strcmp(t, "llama") || !strcmp(t, "mistral") || !strcmp(t, "qwen2") || !strcmp(t, "gemma")
                 || !strcmp(t, "gpt_neox") || !strcmp(t, "phi")) {
            if (!rope) theta = 10000;
            char sc[160] = "";
            if (cJSON_IsObject(rs)) {
                const char *rt = str(rs, "rope_type", "type");
                double f = 0;
                num(rs, &f, "factor", NULL, NULL);
                snprintf(sc, sizeof sc, ", scaling %s x%g", rt ? rt : "?", f);
            }
            char part[48] = "";
            if (pct < 1) snprintf(part, sizeof part, ", on %.0f%% of head dims", pct * 100);
            TRY(fact(m, "position", err, "RoPE (theta %g%s%s)", theta, sc, part));
        } else if (pet && strcmp(pet, "absolute")) TRY(fact(m, "position", err, "%s", pet));
        else if (hasP) TRY(fact(m, "position", err, "absolute (learned, %.0f positions)", a.P));
    }
    if (hasP) TRY(fact(m, "max_positions", err, "%.0f", a.P));
    if (hasV) TRY(fact(m, "vocab_size", err, "%.0f", a.V));
    if (a.type) TRY(fact(m, "tied_embeddings", err, "%s", a.tied ? "yes" : "no"));
    double sw;
    if (num(c, &sw, "sliding_window", NULL, NULL) && sw > 0) TRY(fact(m, "sliding_window", err, "%.0f", sw));

    /* parameters: what the config predicts vs what the weights hold */
    uint64_t counted = 0;
    for (int i = 0; i < m->ntensors; i++) {
        const ckpt_tensor *tt = &m->tensors[i];
        if (tt->flags & CKPT_TF_OPTIMIZER || is_buffer(tt)) continue;
        counted += tt->nelems;
    }
    double pred = hasL && hasH ? predict(c, &a) : 0;
    if (!isfinite(pred) || pred > 1e18) pred = 0;   /* nonsense config: no prediction */
    char b1[40], b2[40];
    if (pred > 0) {
        TRY(fact(m, "params_config", err, "%s", ckpt_human_count((uint64_t)pred, b1, sizeof b1)));
        if (m->ntensors) {
            TRY(fact(m, "params_weights", err, "%s", ckpt_human_count(counted, b2, sizeof b2)));
            double diff = (double)counted - pred;
            if (fabs(diff) < 0.5) TRY(fact(m, "params_match", err, "yes"));
            else TRY(fact(m, "params_match", err, "no: weights have %s %s (%+.2f%%)",
                          ckpt_human_count((uint64_t)fabs(diff), b1, sizeof b1), diff > 0 ? "more" : "fewer", 100.0 * diff / pred));
        }
    } else if (m->ntensors) {
        TRY(fact(m, "params_weights", err, "%s", ckpt_human_count(counted, b2, sizeof b2)));
    }
#undef TRY
    return rc;
}

int ckpt__arch_after_open(ckpt_model *m, ckpt_err *err)
{
    if (!m->hf_config_json) {
        char *dir = NULL;
        if (m->nfiles > 0 && m->files[0].path) dir = ckpt__path_dirname(m->files[0].path);
        else if (m->path && ckpt__is_dir(m->path)) dir = ckpt__strdup(m->path);
        if (!dir) return 0;
        char *cp = ckpt__path_join(dir, "config.json");
        free(dir);
        if (!cp) return 0;
        if (!ckpt_path_is_remote(cp) && !ckpt__file_exists(cp)) { free(cp); return 0; }
        char *text = NULL;
        size_t len = 0;
        ckpt_err e2;
        ckpt_err_clear(&e2);
        int rc = ckpt_src_slurp(cp, 4u << 20, &text, &len, &e2);
        free(cp);
        if (rc || !text) { free(text); return 0; }  /* no readable config: nothing to add */
        cJSON *c = cJSON_Parse(text);
        int hf = cJSON_IsObject(c) && (cJSON_GetObjectItemCaseSensitive(c, "model_type")
                                       || cJSON_GetObjectItemCaseSensitive(c, "architectures"));
        cJSON_Delete(c);
        if (hf) rc = ckpt__model_set_hf_config(m, text, err);
        free(text);
        if (rc) return rc;
        if (!hf) return 0;
    }
    return ckpt__arch_analyze_json(m, m->hf_config_json, err);
}

int ckpt__arch_analyze_json(ckpt_model *m, const char *json, ckpt_err *err)
{
    cJSON *c = cJSON_Parse(json);
    if (!cJSON_IsObject(c)) { cJSON_Delete(c); return 0; }
    int rc = analyze(m, c, err);
    cJSON_Delete(c);
    return rc;
}
