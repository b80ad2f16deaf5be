/* src/export/scaffold.c: `ckpt scaffold kerashub` (see ckpt/scaffold.h).
 *
 * The analysis is arch.c's (the facts `ckpt info` shows); the choices the
 * templates need are read from the same config.json: attention kind from
 * the key/value head count, RMSNorm from rms_norm_eps, a gated MLP with
 * RMSNorm (the Llama family's shape), RoPE / ALiBi / learned positions,
 * tied embeddings, q/k/v biases, encoder or decoder. The weights rules are
 * the closest shipped preset (src/presets.c) and the variables list comes
 * from the matching KerasHub layout (kerashub_family.c), so
 * `ckpt check CKPT --map NAME_rules.txt --expect NAME_variables.txt`
 * checks a real checkpoint against the scaffold. Files are written through
 * one transaction: all of them, or none. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/remap.h"
#include "ckpt/scaffold.h"
#include "export/kerashub.h"
#include "export/template.h"
#include "remap_int.h"

typedef struct strv { char **s; int n; } strv;

static void push(strv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void push(strv *v, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **ns = realloc(v->s, (size_t)(v->n + 1) * sizeof *ns);
    if (!ns) return;
    v->s = ns;
    v->s[v->n++] = ckpt__strdup(buf);
}

static double num(const cJSON *c, const char *k, double def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    return cJSON_IsNumber(it) && isfinite(it->valuedouble) ? it->valuedouble : def;
}

static const char *str(const cJSON *c, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, k);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static int has(const cJSON *c, const char *k) { return cJSON_GetObjectItemCaseSensitive(c, k) != NULL; }

static char *load_config(const char *src, ckpt_err *err)
{
    char *path;
    if (ckpt_path_is_remote(src) && !ckpt__ends_with(src, ".json")) path = ckpt__asprintf("%s/config.json", src);
    else if (!ckpt_path_is_remote(src) && ckpt__is_dir(src)) path = ckpt__path_join(src, "config.json");
    else path = ckpt__strdup(src);
    if (!path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    char *text = NULL;
    size_t len = 0;
    if (ckpt_src_slurp(path, 4u << 20, &text, &len, err)) { ckpt_err_at_path(err, path); free(path); return NULL; }
    cJSON *c = cJSON_ParseWithLength(text, len);
    int ok = cJSON_IsObject(c) && (has(c, "model_type") || has(c, "architectures"));
    cJSON_Delete(c);
    if (!ok) {
        ckpt_err_set(err, CKPT_E_FORMAT, "%s: not a Hugging Face config.json (no model_type or architectures)", path);
        free(text);
        text = NULL;
    }
    free(path);
    return text;
}

/* the summary: arch.c's facts for this config, then the tasks */
static int summarize(const char *json, strv *out, ckpt_err *err)
{
    ckpt_model *m = calloc(1, sizeof *m);
    if (!m) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = ckpt__arch_analyze_json(m, json, err);
    for (int i = 0; !rc && i < m->nfacts; i++) {
        if (!strncmp(m->fact_k[i], "params_", 7)) continue;   /* no weights here */
        push(out, "%-22s %s", m->fact_k[i], m->fact_v[i]);
    }
    ckpt_close(m);
    return rc;
}

/* tasks from the architectures the config names */
static void tasks_of(const cJSON *c, int encoder, char *tasks, size_t n, const char **main_task)
{
    static const struct { const char *suffix, *task; } map[] = {
        {"ForCausalLM", "CausalLM"}, {"LMHeadModel", "CausalLM"}, {"ForMaskedLM", "MaskedLM"},
        {"ForSequenceClassification", "TextClassifier"}, {"ForPreTraining", "MaskedLM"},
        {"ForConditionalGeneration", "Seq2SeqLM"},
    };
    tasks[0] = 0;
    *main_task = NULL;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "architectures");
    for (const cJSON *it = cJSON_IsArray(a) ? a->child : NULL; it; it = it->next)
        for (size_t k = 0; cJSON_IsString(it) && k < sizeof map / sizeof map[0]; k++)
            if (ckpt__ends_with(it->valuestring, map[k].suffix) && !strstr(tasks, map[k].task)) {
                snprintf(tasks + strlen(tasks), n - strlen(tasks), "%s%s", tasks[0] ? ", " : "", map[k].task);
                if (!*main_task) *main_task = map[k].task;
            }
    if (!*main_task) *main_task = encoder ? "MaskedLM" : "CausalLM";
    if (!tasks[0]) snprintf(tasks, n, "%s (assumed: the config names no task architecture)", *main_task);
}

typedef struct arch_choice {
    int encoder, rms, gated, rope, alibi, tied, qkv_bias;
    const char *family;        /* closest kerashub family: rules and variables */
} arch_choice;

static void unsupported(const cJSON *c, strv *u)
{
    const char *t = str(c, "model_type");
    t = t ? t : "";
    const cJSON *ed = cJSON_GetObjectItemCaseSensitive(c, "is_encoder_decoder");
    if (cJSON_IsTrue(ed) || !strcmp(t, "t5") || !strcmp(t, "mt5") || !strcmp(t, "bart") || !strcmp(t, "whisper"))
        push(u, "encoder-decoder model (%s): the scaffold writes one encoder or one decoder stack", t);
    if (!strcmp(t, "t5") || !strcmp(t, "mt5") || has(c, "relative_attention_num_buckets"))
        push(u, "relative position bias (T5 buckets): not one of absolute, RoPE, ALiBi");
    if (num(c, "num_experts", 0) > 0 || num(c, "num_local_experts", 0) > 0 || num(c, "n_routed_experts", 0) > 0)
        push(u, "mixture of experts (num_experts / num_local_experts): routed MLPs are not templated");
    if (has(c, "vision_config") || has(c, "audio_config"))
        push(u, "multimodal config (vision_config / audio_config): only the text stack is templated");
    if (num(c, "hidden_size", num(c, "n_embd", num(c, "d_model", 0))) <= 0)
        push(u, "no hidden size (hidden_size, n_embd or d_model)");
}

static void choose(const cJSON *c, arch_choice *a)
{
    memset(a, 0, sizeof *a);
    const char *t = str(c, "model_type");
    t = t ? t : "";
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(c, "architectures");
    const char *a0 = cJSON_IsArray(arch) && cJSON_IsString(arch->child) ? arch->child->valuestring : "";
    a->encoder = !strcmp(t, "bert") || !strcmp(t, "roberta") || !strcmp(t, "distilbert") || !strcmp(t, "electra")
        || strstr(a0, "ForMaskedLM") || (has(c, "type_vocab_size") && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "is_decoder")));
    a->rms = has(c, "rms_norm_eps");
    a->gated = a->rms && !a->encoder;   /* RMSNorm decoders of the Llama line gate their MLP */
    a->alibi = !strcmp(t, "bloom") || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "alibi"));
    a->rope = !a->alibi && (has(c, "rope_theta") || has(c, "rotary_emb_base") || a->rms);
    const cJSON *tie = cJSON_GetObjectItemCaseSensitive(c, "tie_word_embeddings");
    a->tied = cJSON_IsBool(tie) ? cJSON_IsTrue(tie) : !a->rms || !strcmp(t, "gemma");
    a->qkv_bias = !strcmp(t, "qwen2") || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "attention_bias"))
        || (!a->rms && !a->gated);
    a->family = a->encoder ? "bert" : !a->rms ? "gpt2" : a->qkv_bias ? "qwen2" : "llama";
}

static void camel(const char *snake, char *out, size_t n)
{
    size_t o = 0;
    int up = 1;
    for (const char *p = snake; *p && o + 1 < n; p++) {
        if (*p == '_' || *p == '-' || *p == '.') { up = 1; continue; }
        out[o++] = up ? (char)toupper((unsigned char)*p) : *p;
        up = 0;
    }
    out[o] = 0;
}

static void snake_name(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < n; p++)
        out[o++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    out[o] = 0;
    if (!o || isdigit((unsigned char)out[0])) snprintf(out, n, "model_%s", in);
}

static const char *keras_act(const char *hf)
{
    if (!hf) return NULL;
    if (!strcmp(hf, "silu") || !strcmp(hf, "swish")) return "silu";
    if (!strcmp(hf, "gelu")) return "gelu";
    if (!strcmp(hf, "gelu_new") || !strcmp(hf, "gelu_pytorch_tanh") || !strcmp(hf, "gelu_fast")) return "gelu_approximate";
    if (!strcmp(hf, "relu")) return "relu";
    return NULL;
}

static void set_vars(const cJSON *c, const arch_choice *a, const char *name, const char *task, tpl_vars *v)
{
    char cls[96];
    camel(name, cls, sizeof cls);
    double H = num(c, "hidden_size", num(c, "n_embd", 0)), Q = num(c, "num_attention_heads", num(c, "n_head", 1));
    double K = num(c, "num_key_value_heads", Q);
    ckpt__tpl_set(v, "NAME", "%s", name);
    ckpt__tpl_set(v, "CLASS", "%s", cls);
    ckpt__tpl_set(v, "MODEL_TYPE", "%s", str(c, "model_type") ? str(c, "model_type") : name);
    ckpt__tpl_set(v, "L", "%.0f", num(c, "num_hidden_layers", num(c, "n_layer", 2)));
    ckpt__tpl_set(v, "H", "%.0f", H);
    ckpt__tpl_set(v, "Q", "%.0f", Q);
    ckpt__tpl_set(v, "K", "%.0f", K);
    ckpt__tpl_set(v, "D", "%.0f", num(c, "head_dim", Q > 0 ? floor(H / Q) : 0));
    ckpt__tpl_set(v, "I", "%.0f", num(c, "intermediate_size", num(c, "n_inner", 4 * H)));
    ckpt__tpl_set(v, "V", "%.0f", num(c, "vocab_size", 0));
    ckpt__tpl_set(v, "P", "%.0f", num(c, "max_position_embeddings", num(c, "n_positions", 2048)));
    ckpt__tpl_set(v, "EPS", "%g", num(c, "rms_norm_eps", num(c, "layer_norm_eps", num(c, "layer_norm_epsilon", 1e-5))));
    ckpt__tpl_set(v, "THETA", "%g", num(c, "rope_theta", num(c, "rotary_emb_base", 10000)));
    const char *act = keras_act(str(c, "hidden_act") ? str(c, "hidden_act") : str(c, "activation_function"));
    ckpt__tpl_set(v, "ACT", "%s", act ? act : a->gated ? "silu" : "gelu");
    ckpt__tpl_set(v, "ACT_KNOWN", "%d", act != NULL);
    ckpt__tpl_set(v, "HF_ACT", "%s", str(c, "hidden_act") ? str(c, "hidden_act") : str(c, "activation_function") ? str(c, "activation_function") : "(not set)");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(c, "rope_scaling");
    double factor = cJSON_IsObject(rs) ? num(rs, "factor", 1) : 1;
    const char *rtype = cJSON_IsObject(rs) ? (str(rs, "rope_type") ? str(rs, "rope_type") : str(rs, "type")) : NULL;
    ckpt__tpl_set(v, "ROPE_SCALED", "%d", cJSON_IsObject(rs));
    ckpt__tpl_set(v, "ROPE_FACTOR", "%g", factor);
    ckpt__tpl_set(v, "ROPE_TYPE", "%s", rtype ? rtype : "none");
    ckpt__tpl_set(v, "ROPE_LINEAR", "%d", rtype && !strcmp(rtype, "linear"));
    ckpt__tpl_set(v, "ATTN_DESC", "%s", K == Q ? "equal to the query heads: multi-head attention"
            : K == 1 ? "1: multi-query attention" : "fewer than the query heads: grouped-query attention");
    ckpt__tpl_set(v, "OUT_BIAS", "%d", !a->rms);
    ckpt__tpl_set(v, "MHA", "%d", K == Q);
    ckpt__tpl_set(v, "GQA", "%d", K != Q && K > 1);
    ckpt__tpl_set(v, "MQA", "%d", K == 1 && Q > 1);
    ckpt__tpl_set(v, "RMS", "%d", a->rms);
    ckpt__tpl_set(v, "GATED", "%d", a->gated);
    ckpt__tpl_set(v, "ROPE", "%d", a->rope);
    ckpt__tpl_set(v, "ALIBI", "%d", a->alibi);
    ckpt__tpl_set(v, "ABSPOS", "%d", !a->rope && !a->alibi);
    ckpt__tpl_set(v, "TIED", "%d", a->tied);
    ckpt__tpl_set(v, "QKV_BIAS", "%d", a->qkv_bias);
    ckpt__tpl_set(v, "ENCODER", "%d", a->encoder);
    ckpt__tpl_set(v, "BLOCK", "%s", a->encoder ? "encoder" : "decoder");
    ckpt__tpl_set(v, "BLOCK_CLASS", "%s", a->encoder ? "Encoder" : "Decoder");
    ckpt__tpl_set(v, "NORM_CLASS", "%s", a->rms ? "LayerNorm" : "");
    ckpt__tpl_set(v, "TASK", "%s", task);
    ckpt__tpl_set(v, "TASK_SNAKE", "%s", !strcmp(task, "MaskedLM") ? "masked_lm" : !strcmp(task, "TextClassifier") ? "text_classifier" : "causal_lm");
    const char *t = str(c, "model_type") ? str(c, "model_type") : "";
    int spm = !strcmp(t, "llama") || !strcmp(t, "mistral") || !strcmp(t, "gemma") || !strcmp(t, "t5");
    int wp = a->encoder;
    ckpt__tpl_set(v, "SPM", "%d", spm && !wp);
    ckpt__tpl_set(v, "WORDPIECE", "%d", wp);
    ckpt__tpl_set(v, "BPE", "%d", !spm && !wp);
    ckpt__tpl_set(v, "TOK_KNOWN", "%d", spm || wp || !strcmp(t, "gpt2") || !strcmp(t, "qwen2"));
    ckpt__tpl_set(v, "TOK_BASE", "%s", wp ? "WordPieceTokenizer" : spm ? "SentencePieceTokenizer" : "BytePairTokenizer");
    ckpt__tpl_set(v, "NORM_EPS_KEY", "%s", a->rms ? "rms_norm_eps" : "layer_norm_eps");
}

/* ---- output files ---- */

typedef struct outf { const char *tpl, *name; const char *cond; } outf;

static const outf files[] = {
    {"backbone.py.tpl", "{NAME}_backbone.py", NULL},
    {"attention.py.tpl", "{NAME}_attention.py", NULL},
    {"block.py.tpl", "{NAME}_{BLOCK}.py", NULL},
    {"layernorm.py.tpl", "{NAME}_layernorm.py", "RMS"},
    {"tokenizer.py.tpl", "{NAME}_tokenizer.py", NULL},
    {"task.py.tpl", "{NAME}_{TASK_SNAKE}.py", NULL},
    {"preprocessor.py.tpl", "{NAME}_{TASK_SNAKE}_preprocessor.py", NULL},
    {"presets.py.tpl", "{NAME}_presets.py", NULL},
    {"convert.py.tpl", "convert_{NAME}_checkpoints.py", NULL},
    {"backbone_test.py.tpl", "{NAME}_backbone_test.py", NULL},
    {"tokenizer_test.py.tpl", "{NAME}_tokenizer_test.py", NULL},
    {"rules.txt.tpl", "{NAME}_rules.txt", NULL},
};

static char *file_name(const char *pat, const tpl_vars *v)
{
    char buf[256];
    size_t o = 0;
    for (const char *p = pat; *p && o + 1 < sizeof buf; ) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            char k[32];
            snprintf(k, sizeof k, "%.*s", (int)(e - p - 1), p + 1);
            const char *val = ckpt__tpl_get(v, k);
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", val ? val : "");
            p = e + 1;
        } else buf[o++] = *p++;
    }
    buf[o] = 0;
    return ckpt__strdup(buf);
}

static int write_out(ckpt_txn *txn, const char *dir, const char *name, const char *text, strv *written, strv *todos, ckpt_err *err)
{
    char *path = ckpt__path_join(dir, name);
    if (!path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int fd = ckpt_txn_create(txn, path, err);
    int rc = fd < 0 ? (int)err->code : 0;
    if (!rc && ckpt__write_full(fd, text, strlen(text))) rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", path);
    if (!rc) {
        push(written, "%s", path);
        int line = 1;
        for (const char *p = text; *p; line++) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);
            const char *t = memmem(p, len, "TODO", 4);
            if (t) push(todos, "%s:%d: %.*s", path, line, (int)(len - (size_t)(t - p)), t);
            p = nl ? nl + 1 : p + len;
        }
    }
    free(path);
    return rc;
}

/* NAME_variables.txt: the variables the scaffold's backbone creates (the
 * closest KerasHub layout), one "NAME [SHAPE]" a line, for check --expect */
static char *variables_text(const cJSON *c, const arch_choice *a, ckpt_err *err)
{
    const kh_family *f = NULL;
    for (int i = 0; i < ckpt__kh_family_count(); i++)
        if (!strcmp(ckpt__kh_family_at(i)->name, a->family)) f = ckpt__kh_family_at(i);
    kh_dims d;
    char why[256];
    if (!f || ckpt__kh_dims_from(f, c, &d, why, sizeof why)) return ckpt__strdup("# TODO: the sizes could not be read from config.json\n");
    d.D = (int64_t)num(c, "head_dim", (double)d.D);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "tie_word_embeddings");
    d.tied = cJSON_IsBool(t) ? cJSON_IsTrue(t) : a->tied;
    kh_var *v = NULL;
    int n = 0;
    if (ckpt__kh_layout(f, &d, &v, &n, err)) return NULL;
    size_t cap = 256 + (size_t)n * 160, o = 0;
    char *s = malloc(cap);
    if (s) o += (size_t)snprintf(s, cap, "# variables of the scaffold's backbone (KerasHub %s layout), for\n"
                                         "# ckpt check CKPT --map RULES --expect THIS_FILE\n", f->cls);
    for (int i = 0; s && i < n; i++) {
        o += (size_t)snprintf(s + o, cap - o, "%s [", v[i].var);
        for (int k = 0; k < v[i].ndim; k++) o += (size_t)snprintf(s + o, cap - o, "%s%lld", k ? ", " : "", (long long)v[i].shape[k]);
        o += (size_t)snprintf(s + o, cap - o, "]\n");
    }
    ckpt__kh_layout_free(v, n);
    if (!s) ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return s;
}

static int render_all(const cJSON *c, const arch_choice *a, tpl_vars *v, const char *outdir, strv *written, strv *todos, ckpt_err *err)
{
    char *tdir = ckpt__tpl_dir("kerashub");
    if (!tdir) return ckpt_err_set(err, CKPT_E_IO, "templates/kerashub not found (set CKPT_TEMPLATES, or install ckpt with its templates)");
    const kh_family *f = NULL;
    for (int i = 0; i < ckpt__kh_family_count(); i++)
        if (!strcmp(ckpt__kh_family_at(i)->name, a->family)) f = ckpt__kh_family_at(i);
    const char *mt = ckpt__tpl_get(v, "MODEL_TYPE");
    ckpt__tpl_set(v, "PRESET", "%s", f->preset);
    ckpt__tpl_set(v, "PRESET_RULES", "%s", ckpt_preset_text(f->preset));
    ckpt__tpl_set(v, "SAME_FAMILY", "%d", mt && !strcmp(mt, f->model_type));
    ckpt_txn *txn = ckpt_txn_new();
    int rc = txn ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < sizeof files / sizeof files[0]; i++) {
        if (files[i].cond && !strcmp(ckpt__tpl_get(v, files[i].cond), "0")) continue;
        char *tp = ckpt__path_join(tdir, files[i].tpl), *text = NULL, *out = NULL, *name = file_name(files[i].name, v);
        size_t len = 0;
        rc = tp && name ? ckpt_src_slurp(tp, 1u << 20, &text, &len, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (!rc && !(out = ckpt__tpl_render(text, v, tp, err))) rc = err->code;
        if (!rc) rc = write_out(txn, outdir, name, out, written, todos, err);
        free(tp); free(text); free(out); free(name);
    }
    char *vars = rc ? NULL : variables_text(c, a, err);
    char *vn = rc ? NULL : ckpt__asprintf("%s_variables.txt", ckpt__tpl_get(v, "NAME"));
    if (!rc) rc = vars && vn ? write_out(txn, outdir, vn, vars, written, todos, err) : (int)err->code ? (int)err->code : CKPT_E_NOMEM;
    free(vars);
    free(vn);
    if (!rc) rc = ckpt_txn_commit(txn, err);
    ckpt_txn_free(txn);   /* aborts when not committed: no file is left */
    free(tdir);
    return rc;
}

int ckpt_scaffold_kerashub(const char *src, const char *outdir, const char *name, ckpt_scaffold_result *res, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    memset(res, 0, sizeof *res);
    char *json = load_config(src, err);
    if (!json) return err->code;
    cJSON *c = cJSON_Parse(json);
    strv sum = {0}, u = {0}, wr = {0}, td = {0};
    int rc = summarize(json, &sum, err);
    arch_choice a;
    choose(c, &a);
    const char *main_task;
    char tasks[160];
    tasks_of(c, a.encoder, tasks, sizeof tasks, &main_task);
    push(&sum, "%-22s %s", "tasks", tasks);
    unsupported(c, &u);
    if (!rc && u.n) rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s: %d thing%s the KerasHub scaffold does not support (listed above)",
                                      src, u.n, u.n > 1 ? "s" : "");
    char nm[64];
    snake_name(name ? name : str(c, "model_type") ? str(c, "model_type") : "model", nm, sizeof nm);
    tpl_vars v = {0};
    if (!rc) {
        set_vars(c, &a, nm, main_task, &v);
        rc = render_all(c, &a, &v, outdir, &wr, &td, err);
    }
    ckpt__tpl_vars_free(&v);
    cJSON_Delete(c);
    free(json);
    res->summary = sum.s; res->nsummary = sum.n;
    res->unsupported = u.s; res->nunsupported = u.n;
    res->files = wr.s; res->nfiles = rc ? 0 : wr.n;
    res->todos = td.s; res->ntodos = rc ? 0 : td.n;
    if (rc) { for (int i = 0; i < wr.n; i++) free(wr.s[i]); for (int i = 0; i < td.n; i++) free(td.s[i]); wr.n = td.n = 0; }
    return rc;
}

int ckpt__scaffold_dry(const char *json)
{
    cJSON *c = cJSON_Parse(json);
    if (!cJSON_IsObject(c)) { cJSON_Delete(c); return -1; }
    strv sum = {0}, u = {0};
    ckpt_err e;
    ckpt_err_clear(&e);
    summarize(json, &sum, &e);
    arch_choice a;
    choose(c, &a);
    const char *task;
    char tasks[160];
    tasks_of(c, a.encoder, tasks, sizeof tasks, &task);
    unsupported(c, &u);
    tpl_vars v = {0};
    set_vars(c, &a, "fuzz", task, &v);
    char *vars = variables_text(c, &a, &e);
    int n = v.n;
    free(vars);
    ckpt__tpl_vars_free(&v);
    for (int i = 0; i < sum.n; i++) free(sum.s[i]);
    for (int i = 0; i < u.n; i++) free(u.s[i]);
    free(sum.s);
    free(u.s);
    cJSON_Delete(c);
    return n;
}

static void freev(char **s, int n)
{
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
}

void ckpt_scaffold_result_free(ckpt_scaffold_result *r)
{
    if (!r) return;
    freev(r->summary, r->nsummary);
    freev(r->files, r->nfiles);
    freev(r->todos, r->ntodos);
    freev(r->unsupported, r->nunsupported);
    memset(r, 0, sizeof *r);
}
