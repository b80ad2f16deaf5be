/* util.c: small helpers shared by the engine's modules. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

int ckpt__pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) {
            errno = 0; /* EOF: caller reports truncation */
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int ckpt__write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int ckpt__mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

int ckpt__add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

int ckpt__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) { p++; continue; }
        int len;
        unsigned min;
        if ((c & 0xe0) == 0xc0) { len = 2; min = 0x80; c &= 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; min = 0x800; c &= 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; min = 0x10000; c &= 0x07; }
        else return 0;
        if (e - p < len) return 0;
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            c = (c << 6) | (p[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
        p += len;
    }
    return 1;
}

char *ckpt__strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *ckpt__strndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r) return NULL;
    memcpy(r, s, n);
    r[n] = 0;
    return r;
}

char *ckpt__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = NULL;
    if (vasprintf(&r, fmt, ap) < 0) r = NULL;
    va_end(ap);
    return r;
}

char *ckpt__path_join(const char *dir, const char *name)
{
    if (!dir || !*dir || !strcmp(dir, ".")) return strdup(name);
    size_t l = strlen(dir);
    return ckpt__asprintf("%s%s%s", dir, dir[l - 1] == '/' ? "" : "/", name);
}

char *ckpt__path_dirname(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) return strdup(".");
    if (s == path) return strdup("/");
    return ckpt__strndup(path, (size_t)(s - path));
}

const char *ckpt__path_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* 1 when JSON text ends with an object, array or string still open: what
 * a download cut short leaves (an empty file included). */
int ckpt__json_cut_short(const char *s, size_t n)
{
    long depth = 0;
    int in_str = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') in_str = 1;
        else if (c == '{' || c == '[') depth++, seen = 1;
        else if (c == '}' || c == ']') depth--;
    }
    return in_str || depth > 0 || !seen;
}

/* 1 when JSON text nests arrays/objects deeper than cJSON parses
 * (CJSON_NESTING_LIMIT): to say so instead of "parse error at byte N". */
int ckpt__json_too_deep(const char *s, size_t n)
{
    long depth = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') in_str = 1;
        else if ((c == '{' || c == '[') && ++depth > CKPT_JSON_MAX_DEPTH) return 1;
        else if (c == '}' || c == ']') depth--;
    }
    return 0;
}

int ckpt__ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int ckpt__is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ckpt__file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ckpt__natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            const char *sa = a, *sb = b;
            while (*sa == '0') sa++;
            while (*sb == '0') sb++;
            const char *ea = sa, *eb = sb;
            while (isdigit((unsigned char)*ea)) ea++;
            while (isdigit((unsigned char)*eb)) eb++;
            if (ea - sa != eb - sb) return (ea - sa) < (eb - sb) ? -1 : 1;
            int c = strncmp(sa, sb, (size_t)(ea - sa));
            if (c) return c;
            /* equal value: fewer leading zeros first */
            if ((sa - a) != (sb - b)) return (sa - a) < (sb - b) ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

/* ---- name index: open addressing, FNV-1a, keys are borrowed pointers ---- */

struct ckpt_name_index {
    const char **keys;
    int *vals;
    size_t cap, n;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    return h;
}

struct ckpt_name_index *ckpt__index_new(void)
{
    return calloc(1, sizeof(struct ckpt_name_index));
}

void ckpt__index_free(struct ckpt_name_index *ix)
{
    if (!ix) return;
    free(ix->keys);
    free(ix->vals);
    free(ix);
}

static int grow(struct ckpt_name_index *ix)
{
    size_t ncap = ix->cap ? ix->cap * 2 : 64;
    const char **nk = calloc(ncap, sizeof *nk);
    int *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) { free(nk); free(nv); return -1; }
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->keys[i]) continue;
        size_t j = fnv(ix->keys[i]) & (ncap - 1);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = ix->keys[i];
        nv[j] = ix->vals[i];
    }
    free(ix->keys);
    free(ix->vals);
    ix->keys = nk;
    ix->vals = nv;
    ix->cap = ncap;
    return 0;
}

int ckpt__index_put(struct ckpt_name_index *ix, const char *name, int value)
{
    if ((ix->n + 1) * 2 > ix->cap && grow(ix)) return -2;
    size_t j = fnv(name) & (ix->cap - 1);
    while (ix->keys[j]) {
        if (!strcmp(ix->keys[j], name)) return ix->vals[j];
        j = (j + 1) & (ix->cap - 1);
    }
    ix->keys[j] = name;
    ix->vals[j] = value;
    ix->n++;
    return -1;
}

int ckpt__index_get(const struct ckpt_name_index *ix, const char *name)
{
    if (!ix || !ix->cap) return -1;
    size_t j = fnv(name) & (ix->cap - 1);
    while (ix->keys[j]) {
        if (!strcmp(ix->keys[j], name)) return ix->vals[j];
        j = (j + 1) & (ix->cap - 1);
    }
    return -1;
}

time_t ckpt__output_time(void)
{
    /* https://reproducible-builds.org/specs/source-date-epoch/ */
    const char *e = getenv("SOURCE_DATE_EPOCH");
    if (e && *e) {
        char *end;
        errno = 0;
        long long v = strtoll(e, &end, 10);
        if (!*end && !errno && v >= 0) return (time_t)v;
    }
    return (time_t)315532800;   /* 1980-01-01 00:00:00 UTC, the first time a zip can hold */
}

int ckpt__path_check_inside(const char *dir, const char *path, const char *shown, ckpt_err *err)
{
    if (ckpt_path_is_remote(path)) return 0;
    char *real = realpath(path, NULL);
    if (!real) return 0;   /* missing: the open says so */
    char *root = realpath(dir, NULL);
    int rc = 0;
    if (root) {
        /* a Hugging Face cache snapshot (REPO/snapshots/REV) links to REPO/blobs */
        char *par = ckpt__path_dirname(root);
        if (par && !strcmp(ckpt__path_basename(par), "snapshots")) {
            char *repo = ckpt__path_dirname(par);
            if (repo) { free(root); root = repo; }
        }
        free(par);
    }
    size_t rl = root ? strlen(root) : 0;
    if (!root || strncmp(real, root, rl) || (real[rl] != '/' && strcmp(root, "/"))) {
        ckpt_err_set(err, CKPT_E_UNSAFE, "shard '%s' resolves to %s, outside the model's folder: refused", shown, real);
        ckpt_err_at_path(err, path);
        rc = CKPT_E_UNSAFE;
    }
    free(root);
    free(real);
    return rc;
}

char *ckpt__utf8_escape(const char *s, int *changed)
{
    size_t n = strlen(s);
    char *r = malloc(n * 4 + 1), *o = r;
    if (changed) *changed = 0;
    if (!r) return NULL;
    for (const unsigned char *p = (const unsigned char *)s, *e = p + n; p < e;) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (len && (size_t)(e - p) >= len && ckpt__utf8_valid((const char *)p, len)) {
            memcpy(o, p, len);
            o += len;
            p += len;
        } else {
            o += sprintf(o, "\\x%02x", c);
            p++;
            if (changed) *changed = 1;
        }
    }
    *o = 0;
    return r;
}
