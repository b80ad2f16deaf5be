/* test_remap.c: the rules language (errors with line and column, regex
 * translation, renames, drops, chaining) and the transforms (transpose,
 * reshape, split, cast, permute) on an in-memory model, checked against
 * naive index arithmetic written out here independently of xform.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remap_int.h"
#include "check.h"


/* ---- an in-memory format: tensors are float32 with value = index + 1000*t ---- */
typedef struct memt { const char *name; int ndim; int64_t shape[4]; } memt;
static const memt *g_tensors;
static int g_n;
static float *g_data[64];

static int mem_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    (void)path;
    if (ckpt__model_add_file(m, "mem", 0, err) < 0) return err->code;
    for (int i = 0; i < g_n; i++) {
        if (ckpt__model_add_tensor(m, g_tensors[i].name, NULL, CKPT_F32, g_tensors[i].ndim,
                                   g_tensors[i].shape, 0, CKPT_NO_OFFSET, err) < 0)
            return err->code;
    }
    return 0;
}
static int mem_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    (void)m; (void)err;
    memcpy(buf, (unsigned char *)g_data[t] + off, n);
    return 0;
}
static void mem_close(ckpt_model *m) { (void)m; }
static const ckpt_format fmt_mem = {.name = "mem", .desc = "test", .flags = CKPT_FMT_READ,
                                    .open = mem_open, .read = mem_read, .close = mem_close};

static ckpt_model *mem_model(const memt *t, int n)
{
    g_tensors = t; g_n = n;
    for (int i = 0; i < n; i++) {
        int64_t ne = 1;
        for (int d = 0; d < t[i].ndim; d++) ne *= t[i].shape[d];
        free(g_data[i]);
        g_data[i] = malloc(sizeof(float) * (size_t)(ne ? ne : 1));
        for (int64_t k = 0; k < ne; k++) g_data[i][k] = (float)(k + 1000 * i);
    }
    ckpt_model *m = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__open_with(&fmt_mem, "mem", &m, &e)) { printf("FAIL mem_open: %s\n", e.msg); failures++; }
    return m;
}

/* ---- parse errors ---- */
static void expect_err(const char *name, const char *text, const char *want_loc, const char *want_sub)
{
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt_remap_parse(text, "map.txt", &r, &e);
    int ok = rc != 0 && r == NULL && !strncmp(e.msg, want_loc, strlen(want_loc)) && (!want_sub || strstr(e.msg, want_sub));
    if (!ok) printf("  got rc=%d msg='%s'\n", rc, e.msg);
    CHECK(name, ok);
    ckpt_remap_free(r);
}

static void test_parse_errors(void)
{
    expect_err("err_no_arrow", "# c\nfoo bar\n", "map.txt:2:1:", "->");
    expect_err("err_at_empty", "^a -> @\n", "map.txt:1:7:", "@NAMING");
    expect_err("err_at_upper", "^a -> @Keras3\n", "map.txt:1:7:", "@NAMING");
    expect_err("err_at_split", "^a -> @keras3, b | split(0)\n", "map.txt:1:7:", "cannot be split");
    expect_err("err_bad_paren", "ok -> x\n  ^a(b -> x\n", "map.txt:2:5:", "bad regex");
    expect_err("err_unmatched_close", "^ab)c -> x\n", "map.txt:1:4:", "bad regex");
    expect_err("err_bad_bracket", "^a[b -> x\n", "map.txt:1:3:", "unterminated");
    expect_err("err_posix_class", "^a[[:digit:]] -> x\n", "map.txt:1:4:", "POSIX class");
    expect_err("err_quote_escape", "^a\\Q.\\E -> x\n", "map.txt:1:3:", "\\Q");
    expect_err("err_lookbehind_width", "(?<=a+)b -> x\n", "map.txt:1:", "lookbehind");
    expect_err("err_named_ref", "^(?P<l>a)b -> x${m}\n", "map.txt:1:16:", "no group 'm'");
    expect_err("err_locale_flag", "(?L)a -> x\n", "map.txt:1:3:", "(?L)");
    expect_err("err_bad_repeat", "^a{2,1} -> x\n", "map.txt:1:", "bad regex");
    expect_err("err_group_ref", "^(a)b -> x$2\n", "map.txt:1:11:", "$2");
    expect_err("err_unknown_op", "^a -> b | frobnicate\n", "map.txt:1:11:", "unknown operation");
    expect_err("err_reshape_two_infer", "^a -> b | reshape(-1, 2, -1)\n", "map.txt:1:26:", "one -1");
    expect_err("err_split_names", "^a -> b, c\n", "map.txt:1:", "split");
    expect_err("err_bad_dtype", "^a -> b | cast(F17)\n", "map.txt:1:16:", "dtype");
    expect_err("err_drop_ops", "^a -> drop | transpose\n", "map.txt:1:", "dropped");
    expect_err("err_set_value", "set n = x\n", "map.txt:1:9:", "integer");
    expect_err("err_escape", "^a\\qb -> x\n", "map.txt:1:", "unrecognized character follows");
    expect_err("err_empty_target", "^a -> b, , c | split(0)\n", "map.txt:1:", "empty");
    /* more groups than a match copies out: only those a target may name */
    {
        char rule[400] = "^", name[80] = "";
        for (int i = 0; i < 70; i++) { strcat(rule, "(a)"); strcat(name, "a"); }
        strcat(rule, " -> x$9");
        ckpt_remap *g = NULL;
        ckpt_err ge;
        ckpt_err_clear(&ge);
        char out[128];
        CHECK("many_groups", ckpt_remap_parse(rule, "map.txt", &g, &ge) == 0
                                 && ckpt_remap_name(g, name, out, sizeof out) == 1 && !strcmp(out, "xa"));
        ckpt_remap_free(g);
        rule[strlen(rule) - 2] = 0;
        strcat(rule, "${64}");
        g = NULL;
        CHECK("group_64_refused", ckpt_remap_parse(rule, "map.txt", &g, &ge) != 0 && strstr(ge.msg, "$64"));
        ckpt_remap_free(g);
    }
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    CHECK("rename_inline_bad", ckpt_remap_add_rename(&r, "noequals", &e) != 0 && e.code == CKPT_E_USAGE);
    ckpt_remap_free(r);
}

static void test_names(void)
{
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    const char *rules =
        "# issue example, with \\d\n"
        "^model\\.layers\\.(\\d+)\\.self_attn\\.q_proj\\.weight$ -> decoder_layer_$1/attention/query/kernel\n"
        "\\.weight$ -> /kernel      # sed-like: only the match is replaced\n"
        "^opt\\. -> drop\n"
        "? ^never -> x\n"
        "^a(\\w+)_(\\d)$ -> ${2}_$1_$$\n";
    int rc = ckpt_remap_parse(rules, "m.txt", &r, &e);
    CHECK("parse_ok", rc == 0 && r && ckpt_remap_nrules(r) == 5);
    if (rc) { printf("  %s\n", e.msg); return; }
    char out[256];
    CHECK("map_issue_example", ckpt_remap_name(r, "model.layers.12.self_attn.q_proj.weight", out, sizeof out) == 1
                                   && !strcmp(out, "decoder_layer_12/attention/query/kernel"));
    CHECK("map_suffix", ckpt_remap_name(r, "dense.weight", out, sizeof out) == 1 && !strcmp(out, "dense/kernel"));
    CHECK("map_drop", ckpt_remap_name(r, "opt.m", out, sizeof out) == -1);
    CHECK("map_none", ckpt_remap_name(r, "zzz", out, sizeof out) == 0 && !strcmp(out, "zzz"));
    CHECK("map_groups", ckpt_remap_name(r, "abc_7", out, sizeof out) == 1 && !strcmp(out, "7_bc_$"));
    CHECK("rule_text", !strcmp(ckpt_remap_rule_text(r, 1), "\\.weight$ -> /kernel      # sed-like: only the match is replaced")
                           || strstr(ckpt_remap_rule_text(r, 1), "\\.weight$ -> /kernel"));
    CHECK("rule_line", ckpt_remap_rule_line(r, 0) == 2);
    /* \d must not match letters (translation is [0-9], not 'd') */
    CHECK("digit_class", ckpt_remap_name(r, "model.layers.d.self_attn.q_proj.weight", out, sizeof out) == 1
                             && !strcmp(out, "model.layers.d.self_attn.q_proj/kernel"));
    ckpt_remap_free(r);

    r = NULL;
    CHECK("inline_rename", ckpt_remap_add_rename(&r, "encoder=enc", &e) == 0);
    CHECK("inline_prefix", ckpt_remap_name(r, "encoder.layer.0", out, sizeof out) == 1 && !strcmp(out, "enc.layer.0"));
    CHECK("inline_exact", ckpt_remap_name(r, "encoder", out, sizeof out) == 1 && !strcmp(out, "enc"));
    CHECK("inline_not_partial", ckpt_remap_name(r, "encoder2.x", out, sizeof out) == 0);
    CHECK("inline_literal_dot", ckpt_remap_add_rename(&r, "a.b=c", &e) == 0
                                    && ckpt_remap_name(r, "axb.w", out, sizeof out) == 0);
    ckpt_remap_free(r);
}

/* naive reference: out[i,j] from a 2-D row-major source */
static void test_transforms(void)
{
    static const memt T[] = {
        {"w", 2, {6, 4}},            /* 0: transpose */
        {"qkv", 2, {4, 12}},         /* 1: split(1) into 3 + reshape(4, 2, 2) */
        {"b", 1, {12}},              /* 2: split(0) + reshape(2, 2) */
        {"q", 2, {8, 3}},            /* 3: llama.cpp permute with n_head = 2 */
        {"keep", 1, {5}},            /* 4: untouched */
        {"o", 2, {3, 6}},            /* 5: transpose | reshape(2, 3, 3) */
    };
    ckpt_model *m = mem_model(T, 6);
    if (!m) return;
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    const char *rules =
        "set heads = 2\n"
        "^w$ -> wt | transpose\n"
        "^qkv$ -> q_k, k_k, v_k | split(1) | reshape(4, {heads}, -1)\n"
        "^b$ -> q_b, k_b, v_b | split(0, 4, -1, 4) | reshape({heads}, -1)\n"
        "^q$ -> qp | reshape({heads}, 2, -1, 3) | transpose(0, 2, 1, 3) | reshape(-1, 3)\n"
        "^o$ -> ok | transpose | reshape({heads|9}, -1, 3) | cast(F16)\n"
        "^nothing$ -> x\n";
    int rc = ckpt_remap_parse(rules, "t.txt", &r, &e);
    CHECK("xf_parse", rc == 0);
    if (rc) { printf("  %s\n", e.msg); ckpt_close(m); return; }
    ckpt_remapped *v = NULL;
    rc = ckpt_remap_preview(r, m, &v, &e);
    CHECK("xf_preview", rc == 0 && v);
    if (rc) { printf("  %s\n", e.msg); ckpt_remap_free(r); ckpt_close(m); return; }
    CHECK("xf_count", ckpt_remapped_count(v) == 1 + 3 + 3 + 1 + 1 + 1);
    CHECK("xf_warning", ckpt_remapped_nwarnings(v) == 1 && strstr(ckpt_remapped_warning(v, 0), "t.txt:7:1:"));
    ckpt_remapped_info in;
    float buf[64];

    int i = ckpt_remapped_find(v, "wt");
    ckpt_remapped_entry(v, i, &in);
    CHECK("transpose_shape", in.ndim == 2 && in.shape[0] == 4 && in.shape[1] == 6 && in.xform);
    int bad = 0;
    /* read in odd-sized pieces to cross chunk edges */
    memset(buf, 0, sizeof buf);
    for (uint64_t off = 0; off < in.nbytes; off += 12) {
        size_t n = in.nbytes - off < 12 ? (size_t)(in.nbytes - off) : 12;
        if (ckpt_remapped_read(v, i, off, (unsigned char *)buf + off, n, &e)) bad++;
    }
    for (int a = 0; a < 4; a++) for (int b = 0; b < 6; b++) if (buf[a * 6 + b] != g_data[0][b * 4 + a]) bad++;
    CHECK("transpose_values", bad == 0);

    const char *qn[3] = {"q_k", "k_k", "v_k"};
    bad = 0;
    for (int p = 0; p < 3; p++) {
        i = ckpt_remapped_find(v, qn[p]);
        ckpt_remapped_entry(v, i, &in);
        if (!(in.ndim == 3 && in.shape[0] == 4 && in.shape[1] == 2 && in.shape[2] == 2)) bad++;
        if (ckpt_remapped_read(v, i, 0, buf, (size_t)in.nbytes, &e)) bad++;
        for (int a = 0; a < 4; a++) for (int h = 0; h < 2; h++) for (int d = 0; d < 2; d++)
            if (buf[a * 4 + h * 2 + d] != g_data[1][a * 12 + p * 4 + h * 2 + d]) bad++;
    }
    CHECK("split_reshape_values", bad == 0);

    bad = 0;
    for (int p = 0; p < 3; p++) {
        const char *bn[3] = {"q_b", "k_b", "v_b"};
        i = ckpt_remapped_find(v, bn[p]);
        ckpt_remapped_entry(v, i, &in);
        if (in.ndim != 2 || in.shape[0] != 2) bad++;
        if (ckpt_remapped_read(v, i, 0, buf, (size_t)in.nbytes, &e)) bad++;
        for (int k = 0; k < 4; k++) if (buf[k] != g_data[2][p * 4 + k]) bad++;
        if (in.xform != NULL && p == 0 && 0) bad++;
    }
    CHECK("split_sizes_values", bad == 0);

    /* permute: w.reshape(h, 2, r/h/2, c).swapaxes(1, 2).reshape(r, c) */
    i = ckpt_remapped_find(v, "qp");
    ckpt_remapped_entry(v, i, &in);
    bad = in.ndim != 2 || in.shape[0] != 8 || in.shape[1] != 3;
    ckpt_remapped_read(v, i, 0, buf, (size_t)in.nbytes, &e);
    for (int h = 0; h < 2; h++) for (int j = 0; j < 2; j++) for (int t = 0; t < 2; t++) for (int c = 0; c < 3; c++) {
        int orow = h * 4 + j * 2 + t;       /* out index (h, j, t) over (2, 2, 2) */
        int irow = h * 4 + t * 2 + j;       /* source (h, t, j) */
        if (buf[orow * 3 + c] != g_data[3][irow * 3 + c]) bad++;
    }
    CHECK("permute_values", bad == 0);

    i = ckpt_remapped_find(v, "keep");
    ckpt_remapped_entry(v, i, &in);
    CHECK("untouched_plain", in.xform == NULL && in.rule_line == 0 && in.shape[0] == 5);

    i = ckpt_remapped_find(v, "ok");
    ckpt_remapped_entry(v, i, &in);
    CHECK("cast_dtype", in.dtype == CKPT_F16 && in.nbytes == 18 * 2 && in.shape[0] == 2 && in.shape[1] == 3 && in.shape[2] == 3);
    uint16_t hb[18];
    ckpt_remapped_read(v, i, 0, hb, sizeof hb, &e);
    bad = 0;
    for (int a = 0; a < 6; a++) for (int b = 0; b < 3; b++)  /* transpose: out[a][b] = o[b][a] */
        if (hb[a * 3 + b] != ckpt_f32_to_f16(g_data[5][b * 6 + a])) bad++;
    CHECK("transpose_cast_values", bad == 0);
    ckpt_remapped_free(v);
    ckpt_remap_free(r);

    /* errors at apply time: reshape sizes, collisions, missing variable */
    static const struct { const char *name, *rules, *want; } bad_rules[] = {
        {"apply_reshape_mismatch", "^w$ -> w | reshape(5, -1)\n", "e.txt:1:12: reshape sizes disagree"},
        {"apply_reshape_exact", "^w$ -> w | reshape(5, 5)\n", "e.txt:1:12: reshape sizes disagree"},
        {"apply_collision", "^(w|b)$ -> same\n", "two tensors map to 'same'"},
        {"apply_missing_var", "^w$ -> w | reshape({n_head}, -1)\n", "e.txt:1:20: {n_head} is not set"},
        {"apply_split_uneven", "^w$ -> a, b, c, d, e | split(0)\n", "split sizes disagree"},
        {"apply_transpose_rank", "^w$ -> w | transpose(0, 1, 2)\n", "transpose of a 2-d tensor"},
    };
    for (size_t k = 0; k < sizeof bad_rules / sizeof bad_rules[0]; k++) {
        ckpt_err_clear(&e);
        r = NULL;
        rc = ckpt_remap_parse(bad_rules[k].rules, "e.txt", &r, &e);
        v = NULL;
        if (!rc) rc = ckpt_remap_preview(r, m, &v, &e);
        int ok = rc != 0 && strstr(e.msg, bad_rules[k].want) != NULL;
        if (!ok) printf("  got '%s'\n", e.msg);
        CHECK(bad_rules[k].name, ok);
        ckpt_remapped_free(v);
        ckpt_remap_free(r);
    }
    ckpt_close(m);
}

static void test_presets(void)
{
    int ok = ckpt_preset_count() >= 5;
    for (int i = 0; i < ckpt_preset_count(); i++) {
        char spec[128];
        snprintf(spec, sizeof spec, "preset:%s", ckpt_preset_name(i));
        ckpt_remap *r = NULL;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_remap_load(spec, &r, &e)) { printf("  %s: %s\n", spec, e.msg); ok = 0; }
        ckpt_remap_free(r);
    }
    CHECK("presets_parse", ok);
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    CHECK("preset_unknown", ckpt_remap_load("preset:nope", &r, &e) == CKPT_E_USAGE && strstr(e.msg, "hf-llama-gguf"));
    char out[256];
    ckpt_remap_load("preset:hf-llama-gguf", &r, &e);
    CHECK("preset_gguf_names", ckpt_remap_name(r, "model.layers.3.mlp.down_proj.weight", out, sizeof out) == 1
                                   && !strcmp(out, "blk.3.ffn_down.weight"));
    ckpt_remap_free(r);
    r = NULL;
    ckpt_remap_load("preset:keras2-keras3", &r, &e);
    CHECK("preset_keras2_3", ckpt_remap_name(r, "batch_normalization_2/moving_variance:0", out, sizeof out) == 1
                                 && !strcmp(out, "layers/batch_normalization_2/vars/3"));
    CHECK("preset_keras2_3_lstm", ckpt_remap_name(r, "lstm/lstm_cell/recurrent_kernel", out, sizeof out) == 1
                                      && !strcmp(out, "layers/lstm/cell/vars/1"));
    ckpt_remap_free(r);
    r = NULL;
    ckpt_remap_load("preset:keras3-keras2", &r, &e);
    CHECK("preset_keras3_2", ckpt_remap_name(r, "layers/gru_1/cell/vars/2", out, sizeof out) == 1
                                 && !strcmp(out, "gru_1/bias"));
    ckpt_remap_free(r);
}

/* "-> @keras3" on a format without that naming: the rule does not apply,
 * the rules below name the tensor, and a warning counts it */
static void test_at_naming(void)
{
    static const memt t[] = {{"a", 1, {4}}, {"b", 1, {2}}};
    ckpt_model *m = mem_model(t, 2);
    ckpt_remap *r = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt_remap_parse("? ^a$ -> @keras3\n^a$ -> x\n", "map.txt", &r, &e);
    ckpt_remapped *v = NULL;
    if (!rc) rc = ckpt_remap_preview(r, m, &v, &e);
    CHECK("at_naming_fallback", rc == 0 && ckpt_remapped_find(v, "x") == 0 && ckpt_remapped_find(v, "b") == 1);
    CHECK("at_naming_warned", ckpt_remapped_nwarnings(v) == 1
                                  && strstr(ckpt_remapped_warning(v, 0), "map.txt:1:3: 1 tensor matched but has no @keras3 name"));
    char out[64];
    CHECK("at_naming_name_only", ckpt_remap_name(r, "a", out, sizeof out) == 1 && !strcmp(out, "x"));
    ckpt_remapped_free(v);
    ckpt_remap_free(r);
    ckpt_close(m);
}

/* The literal prefilters (rx.c: an anchored literal prefix, a required
 * literal run, checked before PCRE2 runs) against PCRE2 alone on the same
 * pattern, sed-like expansion written out here, over patterns of every
 * shape the prefilter reads (and those it must leave alone). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
static void ref_map(const char *pat, const char *tgt, const char *name, char *out, size_t n, int *matched)
{
    int ec;
    PCRE2_SIZE eo;
    *matched = 0;
    snprintf(out, n, "%s", name);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &ec, &eo, NULL);
    if (!re) return;
    pcre2_match_data *md = pcre2_match_data_create(10, NULL);
    if (pcre2_match(re, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL) > 0) {
        const PCRE2_SIZE *m = pcre2_get_ovector_pointer(md);
        *matched = 1;
        size_t l = 0;
        l += (size_t)snprintf(out + l, n - l, "%.*s", (int)m[0], name);
        for (const char *t = tgt; *t && l < n; t++) {
            if (*t == '$' && t[1] >= '0' && t[1] <= '9') {
                int g = t[1] - '0';
                if (m[2 * g] != PCRE2_UNSET) l += (size_t)snprintf(out + l, n - l, "%.*s", (int)(m[2 * g + 1] - m[2 * g]), name + m[2 * g]);
                t++;
            } else out[l++] = *t, out[l] = 0;
        }
        if (l < n) snprintf(out + l, n - l, "%s", name + m[1]);
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

static void test_literal_split(void)
{
    static const char *pats[] = {
        "^model\\.layers\\.([0-9]+)\\.self_attn\\.(q|k|v)_proj\\.weight$", "^model\\.layers\\.17\\.mlp$",
        "^abcd", "^abcd$", "^ab(c)?d\\.x$", "^abc[.]d(e+)fgh$", "^abcde*f$", "^abcd(x|y)z*$", "^a.*weight$",
        "^h\\.([0-9]+)\\.attn\\.c_attn\\.weight$", "^(transformer\\.)?h\\.([0-9]+)\\.ln_1\\.bias$", "^abcd(e)$",
        "^ab[0-9]cdef$", "^layers/([^/]+)/vars/0$", "^xyzw+$", "^abcd{2}$", "^pre(fix)$", "bias$",
        "^a\\.b\\.c\\.d\\.(.*)\\.e\\.f$",
        /* what the prefilter must read right or leave alone */
        "^ab(?:c|x)d", "^abc|^xyz", "(?i)^ABCD", "^a\\x62cd", "^ab\\d12", "^abcd?e", "^ab\\.c*?d", "^\xc3\xa9?abcd",
        "^\303\251abc", "weight\\b", "^(?P<p>ab)cd(?P=p)", "^a(?=b)bcd", "\\Aabcd", "^abc(?#x)d", "^ab{0,2}cd$", "^x{1,23}y$",
    };
    static const char *names[] = {
        "model.layers.3.self_attn.q_proj.weight", "model.layers.17.mlp", "model.layers.17.mlpx", "abcd", "abcdx",
        "abd.x", "abcd.x", "abc.deefgh", "abc.dfgh", "abcdef", "abcdf", "abcdxzz", "abcdy", "a.weight", "aweight",
        "h.11.attn.c_attn.weight", "transformer.h.0.ln_1.bias", "h.2.ln_1.bias", "abcde", "ab7cdef", "layers/dense_1/vars/0",
        "xyzwww", "xyz", "abcdd", "prefix", "dense.bias", "a.b.c.d.q.r.e.f", "a.b.c.d..e.f", "", "model.layers.",
        "abxd", "xyz.w", "ABCD", "abcdef", "ab712", "abce", "ab.cccd", "ab.d", "\xc3\xa9" "abcd", "abc\n", "abcdab", "abd",
        "ab.weight.x", "abbcd", "acd", "abbbcd", "abcdxy", "acd", "abbcd", "xy", "xxy", "x1,23y", "\xc3\xa9" "abc.x",
    };
    int bad = 0, n = 0;
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
        char text[300], tgt[64] = "T$0";
        int ng = 0;
        for (const char *q = pats[i]; *q; q++) ng += *q == '(' && (q[1] != '?' || !strncmp(q + 1, "?P<", 3));
        for (int g = 1; g <= ng; g++) snprintf(tgt + strlen(tgt), sizeof tgt - strlen(tgt), "_$%d", g);
        snprintf(text, sizeof text, "%s -> %s\n", pats[i], tgt);
        ckpt_remap *r = NULL;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_remap_parse(text, "map.txt", &r, &e)) { printf("  parse %s: %s\n", pats[i], e.msg); bad++; continue; }
        for (size_t j = 0; j < sizeof names / sizeof *names; j++) {
            char got[300], want[300];
            int wm;
            ref_map(pats[i], tgt, names[j], want, sizeof want, &wm);
            int gm = ckpt_remap_name(r, names[j], got, sizeof got);
            n++;
            if (gm != wm || strcmp(got, want)) { printf("  %s on '%s': got %d '%s', want %d '%s'\n", pats[i], names[j], gm, got, wm, want); bad++; }
        }
        ckpt_remap_free(r);
    }
    CHECK("literal_split_same_as_regexec", bad == 0 && n > 500);
}

int main(void)
{
    test_parse_errors();
    test_names();
    test_transforms();
    test_presets();
    test_at_naming();
    test_literal_split();
    for (int i = 0; i < 64; i++) free(g_data[i]);
    return failures ? 1 : 0;
}
