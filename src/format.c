/* format.c: the format registry and detection. Adding a format is one
 * file (src/formats/fmt_NAME.c) and one line in CKPT_FORMAT_LIST below. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
#include "internal.h"

/* The registry: one line per format (its `const ckpt_format ckpt_fmt_NAME`),
 * in probe tie-break order. */
#define CKPT_FORMAT_LIST(X) \
    X(safetensors)          \
    X(keras_h5)             \
    X(keras)                \
    X(keras_weights)        \
    X(gguf)                 \
    X(tfjs)                 \
    X(torch)                \
    X(npz)                  \
    X(tf_frozen)            \
    X(tf_saved_model)       \
    X(kerashub)             \
    X(numpy)                \
    X(c)                    \
    X(package)              \
    /* end of the list */

#define CKPT_FORMAT_DECLARE_(n) extern const ckpt_format ckpt_fmt_##n;
#define CKPT_FORMAT_ENTRY_(n) &ckpt_fmt_##n,
CKPT_FORMAT_LIST(CKPT_FORMAT_DECLARE_)
static const ckpt_format *const formats[] = {CKPT_FORMAT_LIST(CKPT_FORMAT_ENTRY_) NULL /* sentinel */};
#define NFORMATS ((int)(sizeof formats / sizeof formats[0]) - 1)

const ckpt_format *ckpt__format_find(const char *name)
{
    for (int i = 0; i < NFORMATS; i++)
        if (!strcmp(formats[i]->name, name)) return formats[i];
    return NULL;
}

int ckpt_format_count(void) { return NFORMATS; }
const char *ckpt_format_name(int i) { return i >= 0 && i < NFORMATS ? formats[i]->name : NULL; }
const char *ckpt_format_desc(int i) { return i >= 0 && i < NFORMATS ? formats[i]->desc : NULL; }
unsigned ckpt_format_flags(int i) { return i >= 0 && i < NFORMATS ? formats[i]->flags : 0; }
const char *ckpt_format_exts(int i) { return i >= 0 && i < NFORMATS ? formats[i]->exts : NULL; }

const char *ckpt_format_opts(int i)
{
    return i >= 0 && i < NFORMATS && formats[i]->opts ? formats[i]->opts : "";
}

int ckpt__format_has_opt(const ckpt_format *f, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = f && f->opts ? f->opts : ""; l && *p; ) {
        size_t w = strcspn(p, " ");
        int flag = w > 0 && p[w - 1] == '!';
        if (w - (size_t)flag == l && !strncmp(p, name, l)) return flag ? 2 : 1;
        p += w;
        while (*p == ' ') p++;
    }
    return 0;
}

int ckpt_writer_opt_kind(const char *name)
{
    for (int i = 0; i < NFORMATS; i++) {
        int k = ckpt__format_has_opt(formats[i], name);
        if (k) return k;
    }
    return 0;
}

const char *ckpt_model_namings(const ckpt_model *m)
{
    return m && m->fmt && m->fmt->name_as ? m->fmt->namings : NULL;
}

int ckpt_format_can_write(const char *format, const ckpt_model *m, char *why, size_t n)
{
    const ckpt_format *f = ckpt__format_find(format);
    if (!f || !(f->flags & CKPT_FMT_WRITE) || !f->write_begin) {
        if (why && n) snprintf(why, n, "ckpt cannot write %s", format);
        return 0;
    }
    if (f->can_write && m) return f->can_write(m, why, n);
    return 1;
}

/* ---- what the Hub asks the formats (their hub_files, remote_ranges, companions) ---- */

/* Rank of `base` in a "PATTERN[=RANK] ..." list: the first pattern that
 * matches gives its rank (1 without one), 0 = none. */
/* The next word of a space-separated list into w (NUL-terminated; a word
 * longer than n-1 is skipped); 0 at the end. */
static int next_word(const char **p, char *w, size_t n)
{
    for (;;) {
        while (**p == ' ') (*p)++;
        size_t l = strcspn(*p, " ");
        if (!l) return 0;
        const char *s = *p;
        *p += l;
        if (l < n) {
            memcpy(w, s, l);
            w[l] = 0;
            return 1;
        }
    }
}

static int pattern_rank(const char *list, const char *base)
{
    const char *p = list ? list : "";
    char pat[128];
    while (next_word(&p, pat, sizeof pat)) {
        char *eq = strrchr(pat, '=');
        int rank = 1;
        if (eq) { *eq = 0; rank = atoi(eq + 1); }
        if (!fnmatch(pat, base, 0)) return rank;
    }
    return 0;
}

int ckpt__format_hub_rank(const char *base)
{
    int best = 0;
    for (int i = 0; i < NFORMATS; i++) {
        int r = pattern_rank(formats[i]->hub_files, base);
        if (r > best) best = r;
    }
    return best;
}

int ckpt__format_remote_ranges(const char *path)
{
    const char *base = ckpt__path_basename(path);
    for (int i = 0; i < NFORMATS; i++)
        if (pattern_rank(formats[i]->remote_ranges, base)) return 1;
    return 0;
}

int ckpt__format_is_companion(const char *model_base, const char *base)
{
    const ckpt_format *best = NULL;
    int br = 0;
    for (int i = 0; i < NFORMATS; i++) {
        int r = pattern_rank(formats[i]->hub_files, model_base);
        if (r > br) { br = r; best = formats[i]; }
    }
    return best && pattern_rank(best->companions, base) > 0;
}


void ckpt__writers_for(const ckpt_model *m, const char *skip_prefix, char *buf, size_t n)
{
    /* can_write of some formats lists the others (this function): asked
     * again from inside such a listing, give nothing instead of looping */
    static __thread int listing;
    buf[0] = 0;
    if (listing) return;
    listing = 1;
    for (int i = 0; i < NFORMATS; i++) {
        const ckpt_format *f = formats[i];
        char why[8];
        if (!(f->flags & CKPT_FMT_WRITE) || !strncmp(f->name, skip_prefix, strlen(skip_prefix))) continue;
        if (!ckpt_format_can_write(f->name, m, why, sizeof why)) continue;
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", l ? ", " : "", f->name);
    }
    listing = 0;
}

/* An unrecognised file is often one part of a model that is opened through
 * another file: the formats say which (their part_of slot). */
static const char *why_not_a_model(const char *path, const unsigned char *head, size_t n, char *buf, size_t bn)
{
    if (ckpt_is_hub_url(path) || strstr(path, "://")) return NULL;
    for (int i = 0; i < NFORMATS; i++) {
        const char *why = formats[i]->part_of ? formats[i]->part_of(path, head, n, buf, bn) : NULL;
        if (why) return why;
    }
    return NULL;
}

/* 1 when a file this short (< 8 bytes) begins like a format ckpt reads:
 * nothing that small is whole, so it was cut short. */
static int truncated_magic(const unsigned char *b, size_t n)
{
    for (int i = 0; n && i < NFORMATS; i++)
        for (const ckpt_magic *g = formats[i]->magics; g && g->bytes; g++)
            if (!memcmp(b, g->bytes, n < g->len ? n : g->len)) return 1;
    return 0;
}

static const ckpt_format *detect(const char *path, ckpt_err *err)
{
    ckpt_src *s;
    if (ckpt_src_open(path, &s, err)) return NULL;
    unsigned char head[64] = {0};
    size_t n = 0;
    if (!s->is_dir) {
        n = s->size < sizeof head ? (size_t)s->size : sizeof head;
        if (n && ckpt_src_pread(s, head, n, 0, err)) {
            ckpt_src_close(s);
            return NULL;
        }
    }
    int is_dir = s->is_dir;
    uint64_t size = s->size;
    ckpt_src_close(s);
    const ckpt_format *best = NULL;
    int best_score = 0;
    for (int i = 0; i < NFORMATS; i++) {
        if (!(formats[i]->flags & CKPT_FMT_READ) || !formats[i]->probe) continue;
        int sc = formats[i]->probe(path, is_dir, head, n);
        if (sc > best_score) {
            best_score = sc;
            best = formats[i];
        }
    }
    if (!best) {
        if (is_dir)
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "no checkpoint found in this directory");
        else if (size == 0)
            ckpt_err_set(err, CKPT_E_FORMAT, "empty file");
        else {
            char hex[3 * 8 + 1] = "";
            for (size_t i = 0; i < n && i < 8; i++) snprintf(hex + 3 * i, 4, "%02x ", head[i]);
            if (*hex) hex[strlen(hex) - 1] = 0;
            char hb[1200];
            const char *why = why_not_a_model(path, head, n, hb, sizeof hb);
            if (why) ckpt_err_set(err, CKPT_E_UNSUPPORTED, "not a checkpoint by itself: %s", why);
            else if (size < 8 && truncated_magic(head, n))
                /* the start of a known signature and nothing more: a cut download */
                ckpt_err_set(err, CKPT_E_FORMAT, "truncated: only %llu byte%s (first bytes: %s)",
                             (unsigned long long)size, size == 1 ? "" : "s", hex);
            else ckpt_err_set(err, CKPT_E_UNSUPPORTED, "unrecognised checkpoint format (first bytes: %s)", hex);
        }
        ckpt_err_at_path(err, path);
    }
    return best;
}

/* hf:// and Hub web URLs: the hub module picks the model file and says
 * what the reader opens (a pinned remote file or a path in the cache). */
static int hub_resolve(const char **path, char **owned, ckpt_err *err)
{
    *owned = NULL;
    if (!ckpt_is_hub_url(*path)) return 0;
    int rc = ckpt__hub_resolve(*path, owned, err);
    if (!rc) *path = *owned;
    return rc;
}

const char *ckpt_detect(const char *path, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    char *res;
    if (hub_resolve(&path, &res, err)) return NULL;
    const ckpt_format *f = detect(path, err);
    free(res);
    return f ? f->name : NULL;
}

int ckpt_open(const char *path, ckpt_model **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    *out = NULL;
    char *res;
    int rc = hub_resolve(&path, &res, err);
    if (rc) return rc;
    const ckpt_format *f = detect(path, err);
    rc = f ? ckpt__open_with(f, path, out, err) : err && err->code ? (int)err->code : CKPT_E_UNSUPPORTED;
    free(res);
    return rc;
}

int ckpt_open_as(const char *path, const char *format, ckpt_model **out, ckpt_err *err)
{
    CKPT__ERR_LOCAL(err);
    *out = NULL;
    const ckpt_format *f = ckpt__format_find(format);
    if (!f || !(f->flags & CKPT_FMT_READ))
        return ckpt_err_set(err, CKPT_E_USAGE, "unknown input format '%s'", format);
    char *res;
    int rc = hub_resolve(&path, &res, err);
    if (!rc) rc = ckpt__open_with(f, path, out, err);
    free(res);
    return rc;
}

void ckpt_abort_outputs_signal_safe(void) { ckpt_txn_abort_all_signal_safe(); }

const char *ckpt_format_for_output(const char *path)
{
    const ckpt_format *best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < NFORMATS; i++) {
        if (!(formats[i]->flags & CKPT_FMT_WRITE) || !formats[i]->exts) continue;
        const char *e = formats[i]->exts;
        char ext[64];
        while (next_word(&e, ext, sizeof ext)) {
            size_t l = strlen(ext);
            if (l > best_len && ckpt__ends_with(path, ext)) { best = formats[i]; best_len = l; }
        }
    }
    return best ? best->name : NULL;
}
