/* src/formats/gguf_hf.c: GGUF key/values for a Hugging Face Llama-family
 * checkpoint, as llama.cpp's convert_hf_to_gguf.py writes them (LlamaModel
 * set_gguf_parameters, and the vocabulary of gguf-py's SpecialVocab and
 * the BPE / Llama-HF vocab loaders).
 *
 *  config.json            general.architecture "llama", general.name,
 *                         llama.{context_length, embedding_length, block_count,
 *                         feed_forward_length, attention.head_count(_kv),
 *                         rope.freq_base, attention.layer_norm_rms_epsilon,
 *                         vocab_size, rope.dimension_count, rope.scaling.*};
 *                         Llama 3.1's rope_scaling as the rope_freqs.weight tensor
 *  tokenizer.json         tokenizer.ggml.{model, pre, tokens, token_type,
 *                         merges, scores}: a byte-level BPE (Llama 3) is
 *                         "gpt2" with merges; a BPE with byte_fallback
 *                         (Llama 2's tokenizer.json) is "llama" (SentencePiece)
 *                         with scores = minus the merge rank of each piece
 *  tokenizer_config.json  special token ids, add_bos/add_eos, chat template
 *
 * What llama.cpp needs and the files do not say is an error naming the key
 * (and the file), never a guess that llama.cpp would reject at load.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf_write.h"

#define TOK_MAX (512u << 20)    /* tokenizer.json of the largest vocabularies is ~20 MB */

enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER = 4, TT_UNUSED = 5, TT_BYTE = 6 };

/* Llama 3's pre-tokenizer split (tokenizer.json, JSON-decoded) = llama.cpp "llama-bpe" */
static const char llama3_re[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int hf_fail(ckpt_err *err, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int hf_fail(ckpt_err *err, const char *path, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ckpt_err_set(err, CKPT_E_UNSUPPORTED, "gguf: %s", msg);
    if (path) ckpt_err_at_path(err, path);
    return CKPT_E_UNSUPPORTED;
}

static char *model_dir(const ckpt_model *m)
{
    if (m->path && ckpt__is_dir(m->path)) return ckpt__strdup(m->path);
    return ckpt__path_dirname(m->nfiles ? m->files[0].path : m->path);
}

int ckpt__gguf_hf_family(const ckpt_model *m, char *why, size_t n)
{
    cJSON *c = m->hf_config_json ? cJSON_Parse(m->hf_config_json) : NULL;
    const cJSON *mt = get(c, "model_type");
    int ok = cJSON_IsString(mt) && (!strcmp(mt->valuestring, "llama") || !strcmp(mt->valuestring, "mistral"));
    if (!ok && why && n) {
        if (!c) snprintf(why, n, "GGUF output needs a GGUF source or a Llama-family Hugging Face folder (config.json, tokenizer.json)");
        else snprintf(why, n, "GGUF output describes the llama family only; config.json says model_type %s",
                      cJSON_IsString(mt) ? mt->valuestring : "(none)");
    }
    cJSON_Delete(c);
    return ok;
}

/* ====================================================================== */
/* config.json                                                             */
/* ====================================================================== */

typedef struct {
    const cJSON *c;
    const char *path;
    ckpt_err *err;
    int rc;
    uint32_t hd;          /* head dimension */
    gguf_extra *x;
} cfg;

/* A positive integer config key, or 0 with the error naming it and the GGUF key. */
static uint32_t need_int(cfg *f, const char *k, const char *gk)
{
    const cJSON *v = get(f->c, k);
    if (f->rc) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 4294967295.0 ||
        v->valuedouble != (double)(uint32_t)v->valuedouble) {
        f->rc = v ? hf_fail(f->err, f->path, "config.json '%s' is not a positive integer (llama.cpp needs it as %s)", k, gk)
                  : hf_fail(f->err, f->path, "config.json has no '%s' (llama.cpp needs it as %s)", k, gk);
        return 0;
    }
    return (uint32_t)v->valuedouble;
}

static double num_or(const cJSON *o, const char *k, double dflt)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* rope_type "llama3": convert_hf_to_gguf.py LlamaModel.generate_extra_tensors
 * turns it into rope_freqs.weight, one factor per frequency (1 for high
 * frequencies, `factor` for low ones, smoothed between), which llama.cpp
 * divides each RoPE frequency by. */
static int llama3_freqs(cfg *f, const cJSON *rs)
{
    double base = num_or(f->c, "rope_theta", 10000.0), factor = num_or(rs, "factor", 8.0);
    double lo = num_or(rs, "low_freq_factor", 1.0), hi = num_or(rs, "high_freq_factor", 4.0);
    double old = num_or(rs, "original_max_position_embeddings", 8192);
    uint32_t n = f->hd / 2;
    if (!n || hi == lo) return hf_fail(f->err, f->path, "config.json rope_scaling llama3: bad head dimension or frequency factors");
    f->x->rope_freqs = malloc(n * sizeof(float));
    if (!f->x->rope_freqs) return ckpt_err_set(f->err, CKPT_E_NOMEM, "out of memory");
    f->x->nrope = n;
    for (uint32_t i = 0; i < n; i++) {
        float freq = 1.0f / (float)pow(base, (double)((float)(2 * i) / (float)f->hd));   /* torch float32 */
        double wl = 2 * M_PI / freq, r;
        if (wl < old / hi) r = 1;
        else if (wl > old / lo) r = factor;
        else {
            double smooth = (old / wl - lo) / (hi - lo);
            r = 1 / ((1 - smooth) / factor + smooth);
        }
        f->x->rope_freqs[i] = (float)r;
    }
    return 0;
}

static int rope_scaling(cfg *f, gguf_kv *kv)
{
    const cJSON *rs = get(f->c, "rope_scaling");
    if (!rs || cJSON_IsNull(rs)) return 0;
    const cJSON *t = get(rs, "rope_type");
    if (!cJSON_IsString(t)) t = get(rs, "type");
    const cJSON *fac = get(rs, "factor");
    const char *ty = cJSON_IsString(t) ? t->valuestring : "(none)";
    if (!strcmp(ty, "llama3")) return llama3_freqs(f, rs);
    if (strcmp(ty, "linear") && strcmp(ty, "yarn"))
        return hf_fail(f->err, f->path, "config.json rope_scaling type '%s': ckpt writes 'linear', 'yarn' and "
                       "'llama3' RoPE scaling only", ty);
    if (!cJSON_IsNumber(fac))
        return hf_fail(f->err, f->path, "config.json rope_scaling has no 'factor' (llama.rope.scaling.factor)");
    ckpt__gkv_str(kv, "llama.rope.scaling.type", ty, strlen(ty));
    ckpt__gkv_f32(kv, "llama.rope.scaling.factor", (float)fac->valuedouble);
    if (!strcmp(ty, "yarn")) {
        const cJSON *o = get(rs, "original_max_position_embeddings");
        if (!cJSON_IsNumber(o))
            return hf_fail(f->err, f->path, "config.json rope_scaling has no 'original_max_position_embeddings' "
                           "(llama.rope.scaling.original_context_length)");
        ckpt__gkv_u32(kv, "llama.rope.scaling.original_context_length", (uint32_t)o->valuedouble);
    }
    return 0;
}

/* The layer count and vocabulary rows the weights have. */
static void weight_dims(const ckpt_plan *p, uint32_t *layers, int64_t *vocab)
{
    *layers = 0;
    *vocab = -1;
    for (int i = 0; i < p->n; i++) {
        unsigned b;
        if (sscanf(p->e[i].name, "blk.%u.", &b) == 1 && b + 1 > *layers) *layers = b + 1;
        if (!strcmp(p->e[i].name, "token_embd.weight") && p->e[i].ndim == 2) *vocab = p->e[i].shape[0];
    }
}

static int hparams(cfg *f, const ckpt_plan *p, const char *name, int ftype, gguf_kv *kv, uint32_t *nvocab)
{
    ckpt__gkv_str(kv, "general.architecture", "llama", 5);
    ckpt__gkv_str(kv, "general.name", name, strlen(name));
    uint32_t nl = need_int(f, "num_hidden_layers", "llama.block_count");
    uint32_t ctx = need_int(f, "max_position_embeddings", "llama.context_length");
    uint32_t emb = need_int(f, "hidden_size", "llama.embedding_length");
    uint32_t ff = need_int(f, "intermediate_size", "llama.feed_forward_length");
    uint32_t nh = need_int(f, "num_attention_heads", "llama.attention.head_count");
    uint32_t nkv = get(f->c, "num_key_value_heads") ? need_int(f, "num_key_value_heads", "llama.attention.head_count_kv") : nh;
    uint32_t hd = get(f->c, "head_dim") ? need_int(f, "head_dim", "llama.rope.dimension_count") : (nh ? emb / nh : 0);
    const cJSON *eps = get(f->c, "rms_norm_eps"), *theta = get(f->c, "rope_theta");
    if (!f->rc && !cJSON_IsNumber(eps))
        f->rc = hf_fail(f->err, f->path, "config.json has no 'rms_norm_eps' (llama.cpp needs it as llama.attention.layer_norm_rms_epsilon)");
    if (f->rc) return f->rc;
    uint32_t wl;
    int64_t wv;
    weight_dims(p, &wl, &wv);
    if (wl != nl)
        return hf_fail(f->err, f->path, "config.json num_hidden_layers is %u but the weights have %u layers (llama.block_count)", nl, wl);
    if (wv < 0) return hf_fail(f->err, f->path, "the weights have no token embedding (token_embd.weight, from model.embed_tokens.weight)");
    *nvocab = (uint32_t)wv;
    f->hd = hd;
    ckpt__gkv_u32(kv, "llama.block_count", nl);
    ckpt__gkv_u32(kv, "llama.context_length", ctx);
    ckpt__gkv_u32(kv, "llama.embedding_length", emb);
    ckpt__gkv_u32(kv, "llama.feed_forward_length", ff);
    ckpt__gkv_u32(kv, "llama.attention.head_count", nh);
    ckpt__gkv_u32(kv, "llama.attention.head_count_kv", nkv);
    if (cJSON_IsNumber(theta)) ckpt__gkv_f32(kv, "llama.rope.freq_base", (float)theta->valuedouble);
    ckpt__gkv_f32(kv, "llama.attention.layer_norm_rms_epsilon", (float)eps->valuedouble);
    if (ftype >= 0) ckpt__gkv_u32(kv, "general.file_type", (uint32_t)ftype);
    ckpt__gkv_u32(kv, "llama.vocab_size", *nvocab);
    ckpt__gkv_u32(kv, "llama.rope.dimension_count", hd);
    if (hd != emb / nh) {
        ckpt__gkv_u32(kv, "llama.attention.key_length", hd);
        ckpt__gkv_u32(kv, "llama.attention.value_length", hd);
    }
    if (rope_scaling(f, kv)) return f->err ? (int)f->err->code : CKPT_E_UNSUPPORTED;
    ckpt__gkv_u32(kv, "general.quantization_version", 2);
    return 0;
}

/* ====================================================================== */
/* tokenizer.json                                                          */
/* ====================================================================== */

typedef struct {
    const char **text;        /* per id; NULL = a hole, padded as [PADn] */
    unsigned char *type;
    float *score;
    uint32_t n;
    const char *path;
    ckpt_err *err;
} vocab;

static int put_token(vocab *v, double id, const char *s, int type)
{
    if (id < 0 || id >= v->n || id != (double)(uint32_t)id)
        return hf_fail(v->err, v->path, "token '%.60s' has id %.0f, outside the %u rows of token_embd.weight "
                       "(llama.vocab_size)", s, id, v->n);
    uint32_t i = (uint32_t)id;
    if (v->text[i] && strcmp(v->text[i], s))
        return hf_fail(v->err, v->path, "tokens '%.60s' and '%.60s' share id %u", v->text[i], s, i);
    v->text[i] = s;
    v->type[i] = (unsigned char)type;
    return 0;
}

static int is_byte_token(const char *s)
{
    return strlen(s) == 6 && !strncmp(s, "<0x", 3) && s[5] == '>';
}

/* "a b" or ["a", "b"] (tokenizers >= 0.20) as "a b" in buf */
static const char *merge_text(const cJSON *mg, char *buf, size_t n)
{
    if (cJSON_IsString(mg)) return mg->valuestring;
    const cJSON *a = cJSON_GetArrayItem(mg, 0), *b = cJSON_GetArrayItem(mg, 1);
    if (!cJSON_IsString(a) || !cJSON_IsString(b) || cJSON_GetArraySize(mg) != 2) return NULL;
    if ((size_t)snprintf(buf, n, "%s %s", a->valuestring, b->valuestring) >= n) return NULL;
    return buf;
}

static int load_vocab(vocab *v, const cJSON *model, const cJSON *added, int spm)
{
    const cJSON *voc = get(model, "vocab"), *t;
    const cJSON *unk = get(model, "unk_token");
    if (!cJSON_IsObject(voc)) return hf_fail(v->err, v->path, "tokenizer.json model has no 'vocab' (tokenizer.ggml.tokens)");
    cJSON_ArrayForEach(t, voc) {
        int ty = TT_NORMAL;
        if (spm && is_byte_token(t->string)) ty = TT_BYTE;
        if (cJSON_IsString(unk) && !strcmp(unk->valuestring, t->string)) ty = TT_UNKNOWN;
        if (!cJSON_IsNumber(t)) return hf_fail(v->err, v->path, "tokenizer.json vocab entry '%.60s' has no id", t->string);
        if (put_token(v, t->valuedouble, t->string, ty)) return CKPT_E_UNSUPPORTED;
    }
    cJSON_ArrayForEach(t, added) {
        const cJSON *id = get(t, "id"), *c = get(t, "content"), *sp = get(t, "special");
        if (!cJSON_IsNumber(id) || !cJSON_IsString(c))
            return hf_fail(v->err, v->path, "tokenizer.json added_tokens entry without id and content");
        if (put_token(v, id->valuedouble, c->valuestring, cJSON_IsTrue(sp) ? TT_CONTROL : TT_USER)) return CKPT_E_UNSUPPORTED;
    }
    return 0;
}

/* SentencePiece BPE merges by score: a piece made by merge r scores -r;
 * pieces no merge makes score below all of them, in id order. */
static int spm_scores(vocab *v, const cJSON *model)
{
    const cJSON *merges = get(model, "merges"), *mg;
    int nm = cJSON_GetArraySize(merges), r = 0;
    for (uint32_t i = 0; i < v->n; i++) v->score[i] = -(float)nm - (float)i;
    /* piece text -> id, for the merges' results */
    struct ckpt_name_index *ix = ckpt__index_new();
    if (!ix) return ckpt_err_set(v->err, CKPT_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < v->n; i++)
        if (v->text[i] && ckpt__index_put(ix, v->text[i], (int)i) == -2) {
            ckpt__index_free(ix);
            return ckpt_err_set(v->err, CKPT_E_NOMEM, "out of memory");
        }
    char buf[1024], joined[1024];
    cJSON_ArrayForEach(mg, merges) {
        const char *s = merge_text(mg, buf, sizeof buf), *sp = s ? strchr(s, ' ') : NULL;
        if (!sp) continue;
        snprintf(joined, sizeof joined, "%.*s%s", (int)(sp - s), s, sp + 1);
        int id = ckpt__index_get(ix, joined);
        if (id >= 0 && v->score[id] <= -(float)nm) v->score[id] = -(float)r;   /* first merge making it */
        r++;
    }
    ckpt__index_free(ix);
    for (uint32_t i = 0; i < v->n; i++)
        if (v->type[i] == TT_CONTROL || v->type[i] == TT_BYTE || v->type[i] == TT_UNKNOWN) v->score[i] = 0;
    return 0;
}

static const char *pre_name(const cJSON *tj)
{
    const cJSON *pre = get(tj, "pre_tokenizer"), *ty = get(pre, "type");
    if (!cJSON_IsString(ty)) return NULL;
    if (!strcmp(ty->valuestring, "ByteLevel")) return cJSON_IsFalse(get(pre, "use_regex")) ? NULL : "gpt-2";
    if (strcmp(ty->valuestring, "Sequence")) return NULL;
    const cJSON *ps = get(pre, "pretokenizers");
    const cJSON *a = cJSON_GetArrayItem(ps, 0), *b = cJSON_GetArrayItem(ps, 1);
    const cJSON *re = get(get(a, "pattern"), "Regex");
    if (cJSON_GetArraySize(ps) == 2 && cJSON_IsString(get(a, "type")) && !strcmp(get(a, "type")->valuestring, "Split") &&
        cJSON_IsString(re) && !strcmp(re->valuestring, llama3_re) && cJSON_IsString(get(b, "type")) &&
        !strcmp(get(b, "type")->valuestring, "ByteLevel"))
        return "llama-bpe";
    return NULL;
}

/* SentencePiece's "▁" before the first word: a Prepend normalizer (Llama 2)
 * or a Metaspace pre-tokenizer that prepends */
static int space_prefix(const cJSON *tj)
{
    char *n = cJSON_PrintUnformatted(get(tj, "normalizer")), *pt = cJSON_PrintUnformatted(get(tj, "pre_tokenizer"));
    int yes = (n && strstr(n, "\"Prepend\"")) ||
              (pt && strstr(pt, "\"Metaspace\"") && !strstr(pt, "\"prepend_scheme\":\"never\""));
    free(n);
    free(pt);
    return yes;
}

static void put_tokens(const vocab *v, gguf_kv *kv, int spm)
{
    char pad[32];
    ckpt__gkv_arr(kv, "tokenizer.ggml.tokens", GGV_STR, v->n);
    for (uint32_t i = 0; i < v->n; i++) {
        if (v->text[i]) ckpt__gkv_raw_str(kv, v->text[i], strlen(v->text[i]));
        else ckpt__gkv_raw_str(kv, pad, (size_t)snprintf(pad, sizeof pad, "[PAD%u]", i));
    }
    ckpt__gkv_end(kv);
    if (spm) {
        ckpt__gkv_arr(kv, "tokenizer.ggml.scores", GGV_F32, v->n);
        for (uint32_t i = 0; i < v->n; i++) ckpt__gkv_raw_f32(kv, v->score[i]);
        ckpt__gkv_end(kv);
    }
    ckpt__gkv_arr(kv, "tokenizer.ggml.token_type", GGV_I32, v->n);
    for (uint32_t i = 0; i < v->n; i++) ckpt__gkv_raw_u32(kv, v->text[i] ? v->type[i] : TT_UNUSED);
    ckpt__gkv_end(kv);
}

static void put_merges(const cJSON *model, gguf_kv *kv)
{
    const cJSON *merges = get(model, "merges"), *mg;
    char buf[1024];
    uint64_t n = 0;
    cJSON_ArrayForEach(mg, merges) n += merge_text(mg, buf, sizeof buf) != NULL;
    ckpt__gkv_arr(kv, "tokenizer.ggml.merges", GGV_STR, n);
    cJSON_ArrayForEach(mg, merges) {
        const char *s = merge_text(mg, buf, sizeof buf);
        if (s) ckpt__gkv_raw_str(kv, s, strlen(s));
    }
    ckpt__gkv_end(kv);
}

/* ====================================================================== */
/* tokenizer_config.json: special tokens, add_bos/eos, chat template       */
/* ====================================================================== */

static int token_id(const vocab *v, const cJSON *tok)
{
    if (cJSON_IsObject(tok)) tok = get(tok, "content");
    if (!cJSON_IsString(tok)) return -1;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->text[i] && !strcmp(v->text[i], tok->valuestring)) return (int)i;
    return -1;
}

static void specials(const vocab *v, const cJSON *tc, const cJSON *config, const cJSON *tj, gguf_kv *kv)
{
    static const struct { const char *tc, *cfg, *gk; } sp[] = {
        {"bos_token", "bos_token_id", "tokenizer.ggml.bos_token_id"},
        {"eos_token", "eos_token_id", "tokenizer.ggml.eos_token_id"},
        {"unk_token", NULL, "tokenizer.ggml.unknown_token_id"},
        {"pad_token", "pad_token_id", "tokenizer.ggml.padding_token_id"},
    };
    for (size_t k = 0; k < sizeof sp / sizeof sp[0]; k++) {
        int id = token_id(v, get(tc, sp[k].tc));
        const cJSON *c = sp[k].cfg ? get(config, sp[k].cfg) : NULL;
        if (cJSON_IsArray(c)) c = cJSON_GetArrayItem(c, 0);
        if (id < 0 && cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble < v->n) id = (int)c->valuedouble;
        if (id >= 0) ckpt__gkv_u32(kv, sp[k].gk, (uint32_t)id);
    }
    const cJSON *ab = get(tc, "add_bos_token"), *ae = get(tc, "add_eos_token");
    if (cJSON_IsBool(ab)) ckpt__gkv_bool(kv, "tokenizer.ggml.add_bos_token", cJSON_IsTrue(ab));
    else {   /* a TemplateProcessing post-processor that starts with a special token adds BOS */
        const cJSON *pp = get(tj, "post_processor"), *single = get(pp, "single");
        if (cJSON_IsString(get(pp, "type")) && !strcmp(get(pp, "type")->valuestring, "TemplateProcessing"))
            ckpt__gkv_bool(kv, "tokenizer.ggml.add_bos_token", get(cJSON_GetArrayItem(single, 0), "SpecialToken") != NULL);
    }
    if (cJSON_IsBool(ae)) ckpt__gkv_bool(kv, "tokenizer.ggml.add_eos_token", cJSON_IsTrue(ae));
}

static int chat_template(const char *dir, const cJSON *tc, gguf_kv *kv, ckpt_err *err)
{
    const cJSON *ct = get(tc, "chat_template"), *e;
    if (cJSON_IsString(ct)) {
        ckpt__gkv_str(kv, "tokenizer.chat_template", ct->valuestring, strlen(ct->valuestring));
        return 0;
    }
    if (cJSON_IsArray(ct)) {   /* [{"name": "default", "template": ...}, ...] */
        cJSON_ArrayForEach(e, ct) {
            const cJSON *n = get(e, "name"), *t = get(e, "template");
            if (!cJSON_IsString(n) || !cJSON_IsString(t)) continue;
            char *k = !strcmp(n->valuestring, "default") ? ckpt__strdup("tokenizer.chat_template")
                                                         : ckpt__asprintf("tokenizer.chat_template.%s", n->valuestring);
            if (!k) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            ckpt__gkv_str(kv, k, t->valuestring, strlen(t->valuestring));
            free(k);
        }
        return 0;
    }
    char *p = ckpt__path_join(dir, "chat_template.jinja"), *text = NULL;
    size_t len = 0;
    ckpt_err e2;
    ckpt_err_clear(&e2);
    if (p && ckpt__file_exists(p) && !ckpt_src_slurp(p, 16u << 20, &text, &len, &e2))
        ckpt__gkv_str(kv, "tokenizer.chat_template", text, len);
    free(text);
    free(p);
    return 0;
}

static cJSON *slurp_json(const char *dir, const char *name, int required, char **pathp, ckpt_err *err, int *rc)
{
    char *p = ckpt__path_join(dir, name), *text = NULL;
    *pathp = p;
    *rc = 0;
    if (!p) { *rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); return NULL; }
    if (!ckpt_path_is_remote(p) && !ckpt__file_exists(p)) {
        if (required)
            *rc = hf_fail(err, p, "no %s beside the weights (llama.cpp needs the vocabulary: tokenizer.ggml.tokens)", name);
        return NULL;
    }
    size_t len;
    if ((*rc = ckpt_src_slurp(p, TOK_MAX, &text, &len, err))) return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *rc = ckpt_err_set(err, CKPT_E_FORMAT, "not valid JSON");
        ckpt_err_at_path(err, p);
    }
    return j;
}

static int tokenizer(const char *dir, const cJSON *config, uint32_t nvocab, gguf_kv *kv, ckpt_err *err)
{
    char *tpath = NULL, *cpath = NULL;
    int rc;
    cJSON *tj = slurp_json(dir, "tokenizer.json", 1, &tpath, err, &rc), *tc = NULL;
    if (!rc) tc = slurp_json(dir, "tokenizer_config.json", 0, &cpath, err, &rc);
    vocab v = {.n = nvocab, .path = tpath, .err = err};
    const cJSON *model = get(tj, "model"), *ty = get(model, "type");
    int spm = cJSON_IsTrue(get(model, "byte_fallback"));
    const char *pre = spm ? NULL : pre_name(tj);
    if (!rc && (!cJSON_IsString(ty) || strcmp(ty->valuestring, "BPE")))
        rc = hf_fail(err, tpath, "tokenizer.json model type %s: ckpt writes BPE vocabularies only (tokenizer.ggml.model)",
                     cJSON_IsString(ty) ? ty->valuestring : "(none)");
    if (!rc && !spm && !pre)
        rc = hf_fail(err, tpath, "tokenizer.json pre_tokenizer is neither GPT-2's ByteLevel nor Llama 3's split: "
                     "tokenizer.ggml.pre cannot be named");
    if (!rc) {
        v.text = calloc(nvocab ? nvocab : 1, sizeof *v.text);
        v.type = calloc(nvocab ? nvocab : 1, 1);
        v.score = calloc(nvocab ? nvocab : 1, sizeof *v.score);
        if (!v.text || !v.type || !v.score) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    if (!rc) rc = load_vocab(&v, model, get(tj, "added_tokens"), spm);
    if (!rc && spm) rc = spm_scores(&v, model);
    if (!rc) {
        ckpt__gkv_str(kv, "tokenizer.ggml.model", spm ? "llama" : "gpt2", spm ? 5 : 4);
        if (pre) ckpt__gkv_str(kv, "tokenizer.ggml.pre", pre, strlen(pre));
        if (spm) ckpt__gkv_bool(kv, "tokenizer.ggml.add_space_prefix", space_prefix(tj));
        put_tokens(&v, kv, spm);
        if (!spm) put_merges(model, kv);
        specials(&v, tc, config, tj, kv);
        rc = chat_template(dir, tc, kv, err);
    }
    free(v.text);
    free(v.type);
    free(v.score);
    cJSON_Delete(tj);
    cJSON_Delete(tc);
    free(tpath);
    free(cpath);
    return rc;
}

int ckpt__gguf_hf_kv(ckpt_model *m, const ckpt_plan *p, int ftype, gguf_kv *kv, gguf_extra *x, ckpt_err *err)
{
    char *dir = model_dir(m);
    if (!dir) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cJSON *c = m->hf_config_json ? cJSON_Parse(m->hf_config_json) : NULL;
    char *cpath = ckpt__path_join(dir, "config.json");
    int rc;
    if (!c) rc = hf_fail(err, m->path, "no Hugging Face config.json beside the weights: GGUF needs general.architecture "
                         "and the llama.* hyperparameters");
    else {
        cfg f = {c, cpath, err, 0, 0, x};
        const cJSON *np = get(c, "_name_or_path");
        const char *name = cJSON_IsString(np) && *np->valuestring ? ckpt__path_basename(np->valuestring)
                                                                   : ckpt__path_basename(dir);
        uint32_t nvocab = 0;
        rc = hparams(&f, p, name, ftype, kv, &nvocab);
        if (!rc) rc = tokenizer(dir, c, nvocab, kv, err);
    }
    cJSON_Delete(c);
    free(cpath);
    free(dir);
    return rc;
}
