/* src/formats/shards.c: splitting a plan into shard files and writing the
 * index transformers and huggingface_hub write beside them
 * ({"metadata": {"total_size": N}, "weight_map": {name: file}}). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/shards.h"

void ckpt__shards_free(ckpt_shards *s)
{
    if (!s) return;
    for (int k = 0; s->paths && k < s->n; k++) free(s->paths[k]);
    free(s->paths);
    free(s->first);
    free(s->of);
    free(s->index_path);
    memset(s, 0, sizeof *s);
}

static int split(const ckpt_plan *p, uint64_t limit, ckpt_shards *s)
{
    s->first = calloc((size_t)p->n + 2, sizeof *s->first);
    s->of = calloc((size_t)p->n + 1, sizeof *s->of);
    if (!s->first || !s->of) return -1;
    s->n = 1;
    uint64_t cur = 0;
    for (int i = 0; i < p->n; i++) {
        uint64_t nb = p->e[i].nbytes;
        if (limit && i > s->first[s->n - 1] && (nb > limit || cur + nb > limit)) {
            s->first[s->n++] = i;
            cur = 0;
        }
        s->of[i] = s->n - 1;
        cur += nb;
        s->total += nb;
    }
    s->first[s->n] = p->n;
    return 0;
}

int ckpt__shards_plan(const ckpt_plan *p, uint64_t limit, const char *out, const char *single,
                      const char *ext, ckpt_shards *s, ckpt_err *err)
{
    memset(s, 0, sizeof *s);
    if (split(p, limit, s) || !(s->paths = calloc((size_t)s->n, sizeof *s->paths)))
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int dirmode = ckpt__ends_with(out, "/") || ckpt__is_dir(out);
    if (s->n == 1) {
        s->paths[0] = dirmode ? ckpt__path_join(out, single) : ckpt__strdup(out);
        return s->paths[0] ? CKPT_OK : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    const char *bn = dirmode ? single : ckpt__path_basename(out);
    size_t k = strlen(bn);
    if (*ext && ckpt__ends_with(bn, ext)) k -= strlen(ext);
    char *dir = dirmode ? ckpt__strdup(out) : ckpt__path_dirname(out);
    char *base = ckpt__strndup(bn, k);
    int rc = dir && base ? CKPT_OK : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int j = 0; !rc && j < s->n; j++) {
        char *name = ckpt__asprintf("%s-%05d-of-%05d%s", base, j + 1, s->n, ext);
        s->paths[j] = name ? ckpt__path_join(dir, name) : NULL;
        free(name);
        if (!s->paths[j]) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    if (!rc) {
        char *name = ckpt__asprintf("%s%s.index.json", base, ext);
        s->index_path = name ? ckpt__path_join(dir, name) : NULL;
        free(name);
        if (!s->index_path) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    free(dir);
    free(base);
    return rc;
}

static int cmp_entry_name(const void *a, const void *b, void *ud)
{
    const ckpt_plan *p = ud;
    return strcmp(p->e[*(const int *)a].name, p->e[*(const int *)b].name);
}

/* A JSON string literal as Python's json.dumps writes it (ensure_ascii:
 * non-ASCII as \uXXXX, surrogate pairs above U+FFFF), so the index is
 * byte for byte what transformers writes. Invalid UTF-8 bytes are kept. */
static char *jstr(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(12 * n + 3), *q = o;
    if (!o) return NULL;
    *q++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p, len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        for (unsigned k = 1; k < len; k++)
            if ((p[k] & 0xC0) != 0x80) len = 0;
        if (len == 0) { *q++ = (char)*p++; continue; }
        uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (unsigned k = 1; k < len; k++) cp = cp << 6 | (p[k] & 0x3F);
        p += len;
        if (cp == '"' || cp == '\\') { *q++ = '\\'; *q++ = (char)cp; }
        else if (cp == '\n') q += sprintf(q, "\\n");
        else if (cp == '\r') q += sprintf(q, "\\r");
        else if (cp == '\t') q += sprintf(q, "\\t");
        else if (cp == '\b') q += sprintf(q, "\\b");
        else if (cp == '\f') q += sprintf(q, "\\f");
        else if (cp < 0x20 || (cp >= 0x7F && cp < 0x10000)) q += sprintf(q, "\\u%04x", cp);
        else if (cp >= 0x10000) q += sprintf(q, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10), 0xDC00 + ((cp - 0x10000) & 0x3FF));
        else *q++ = (char)cp;
    }
    *q++ = '"';
    *q = 0;
    return o;
}

static char *index_text(const ckpt_shards *s, const ckpt_plan *p, size_t *len)
{
    int *ord = malloc(((size_t)p->n + 1) * sizeof *ord);
    if (!ord) return NULL;
    for (int i = 0; i < p->n; i++) ord[i] = i;
    qsort_r(ord, (size_t)p->n, sizeof *ord, cmp_entry_name, (void *)p);
    char *txt = ckpt__asprintf("{\n  \"metadata\": {\n    \"total_size\": %llu\n  },\n  \"weight_map\": {",
                               (unsigned long long)s->total);
    size_t n = txt ? strlen(txt) : 0, cap = n + 1;
    for (int j = 0; txt && j < p->n; j++) {
        char *k = jstr(p->e[ord[j]].name), *v = jstr(ckpt__path_basename(s->paths[s->of[ord[j]]]));
        char *line = k && v ? ckpt__asprintf("%s%s: %s", j ? ",\n    " : "\n    ", k, v) : NULL;
        free(k);
        free(v);
        size_t l = line ? strlen(line) : 0;
        char *nt = line && n + l + 16 > cap ? realloc(txt, cap = 2 * (n + l + 16)) : txt;
        if (!line || !nt) { free(line); free(txt); txt = NULL; break; }
        txt = nt;
        memcpy(txt + n, line, l + 1);
        n += l;
        free(line);
    }
    free(ord);
    if (!txt) return NULL;
    const char *tail = p->n ? "\n  }\n}\n" : "}\n}\n";
    char *nt = realloc(txt, n + strlen(tail) + 1);
    if (!nt) { free(txt); return NULL; }
    strcpy(nt + n, tail);
    *len = n + strlen(tail);
    return nt;
}

int ckpt__shards_write_index(const ckpt_shards *s, const ckpt_plan *p, ckpt_txn *txn, ckpt_err *err)
{
    size_t len = 0;
    char *txt = index_text(s, p, &len);
    if (!txt) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int fd = ckpt_txn_create(txn, s->index_path, err), rc = CKPT_OK;
    if (fd < 0) {
        ckpt_err_at_path(err, s->index_path);
        rc = err && err->code ? (int)err->code : CKPT_E_IO;
    } else if (ckpt__write_full(fd, txt, len)) {
        rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        ckpt_err_at_path(err, s->index_path);
    } else {
        ckpt_txn_close_fd(txn, fd);
    }
    free(txt);
    return rc;
}
