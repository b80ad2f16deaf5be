/* format.c: the format registry and detection. Adding a format is one
 * file (fmt_NAME.c) and one line in `formats` below. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
#include "internal.h"

extern const ckpt_format ckpt_fmt_safetensors;
extern const ckpt_format ckpt_fmt_keras_h5, ckpt_fmt_keras, ckpt_fmt_keras_weights;
extern const ckpt_format ckpt_fmt_gguf, ckpt_fmt_tfjs;
extern const ckpt_format ckpt_fmt_torch, ckpt_fmt_npz;
extern const ckpt_format ckpt_fmt_tf_frozen, ckpt_fmt_tf_saved_model;
extern const ckpt_format ckpt_fmt_kerashub;
extern const ckpt_format ckpt_fmt_numpy;
extern const ckpt_format ckpt_fmt_c;

/* registry: one line per format, in probe tie-break order */
static const ckpt_format *const formats[] = {
    &ckpt_fmt_safetensors,
    &ckpt_fmt_keras_h5, &ckpt_fmt_keras, &ckpt_fmt_keras_weights,
    &ckpt_fmt_gguf, &ckpt_fmt_tfjs,
    &ckpt_fmt_torch, &ckpt_fmt_npz,
    &ckpt_fmt_tf_frozen, &ckpt_fmt_tf_saved_model,
    &ckpt_fmt_kerashub,
    &ckpt_fmt_numpy,
    &ckpt_fmt_c,
    NULL /* sentinel */
};
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

/* Up to n-1 bytes of a small local file, NUL-terminated (malloc'd). */
static char *read_head(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(n);
    size_t k = buf ? fread(buf, 1, n - 1, f) : 0;
    fclose(f);
    if (buf) buf[k] = 0;
    return buf;
}

/* A TF.js manifest beside a shard names it as "base" in weightsManifest,
 * or in a bare manifest (a JSON array of {paths, weights}). */
static int json_lists(const char *json_path, const char *quoted_base)
{
    char *js = read_head(json_path, 1 << 18);
    const char *p = js;
    while (p && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    int manifest = js && (strstr(js, "\"weightsManifest\"") || (*p == '[' && strstr(js, "\"paths\"")));
    int hit = manifest && strstr(js, quoted_base);
    free(js);
    return hit;
}

/* An unrecognised file is often one part of a model that is opened through
 * another file: say which, instead of only "unrecognised". */
static const char *why_not_a_model(const char *path, const unsigned char *head, size_t n, char *buf, size_t bn)
{
    if (ckpt_is_hub_url(path) || strstr(path, "://")) return NULL;
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (i < n && head[i] == '{') {
        char *js = read_head(path, 16384);
        int keras = js && strstr(js, "\"class_name\"") && strstr(js, "\"config\"");
        free(js);
        return keras ? "a Keras model config (architecture only, no weights): open the weights file saved "
                       "with it; ckpt reads a config beside the .h5 by itself"
                     : NULL;
    }
    char *dir = ckpt__path_dirname(path);
    if (!dir) return NULL;
    char q[512];
    snprintf(q, sizeof q, "\"%s\"", ckpt__path_basename(path));
    const char *hit = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    for (int seen = 0; d && !hit && seen < 64 && (e = readdir(d)); ) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json")) continue;
        seen++;
        char *jp = ckpt__path_join(dir, e->d_name);
        if (jp && json_lists(jp, q)) {
            snprintf(buf, bn, "a TensorFlow.js weight shard: open %s, which lists it", jp);
            hit = buf;
        }
        free(jp);
    }
    if (d) closedir(d);
    free(dir);
    return hit;
}

/* 1 when a file this short (< 8 bytes) begins like a format ckpt reads:
 * nothing that small is whole, so it was cut short. */
static int truncated_magic(const unsigned char *b, size_t n)
{
    static const struct { const char *m; size_t len; } magics[] = {
        {"\x89HDF\r\n\x1a\n", 8}, {"PK\x03\x04", 4}, {"GGUF", 4}, {"\x93NUMPY", 6},
        {"\x80", 1},   /* a pickle's protocol marker: legacy torch.save */
    };
    for (size_t i = 0; n && i < sizeof magics / sizeof *magics; i++)
        if (!memcmp(b, magics[i].m, n < magics[i].len ? n : magics[i].len)) return 1;
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
    char *res;
    if (hub_resolve(&path, &res, err)) return NULL;
    const ckpt_format *f = detect(path, err);
    free(res);
    return f ? f->name : NULL;
}

int ckpt_open(const char *path, ckpt_model **out, ckpt_err *err)
{
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
        while (*e) {
            while (*e == ' ') e++;
            size_t l = strcspn(e, " ");
            if (!l) break;
            char ext[64];
            if (l < sizeof ext) {
                memcpy(ext, e, l);
                ext[l] = 0;
                if (l > best_len && ckpt__ends_with(path, ext)) { best = formats[i]; best_len = l; }
            }
            e += l;
        }
    }
    return best ? best->name : NULL;
}
