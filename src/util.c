/* util.c: small helpers shared by the engine's modules. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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
        /* ASCII runs (nearly all of a header) eight bytes at a time */
        while (e - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w & 0x8080808080808080ull) break;
            p += 8;
        }
        if (p >= e) break;
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

/* The brackets of JSON text outside strings: the deepest nesting, the
 * depth at the end, whether a string is still open and any bracket seen. */
typedef struct json_shape { long max, end; int in_str, seen; } json_shape;

static json_shape json_scan(const char *s, size_t n)
{
    json_shape j = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (j.in_str) {
            if (c == '\\') i++;
            else if (c == '"') j.in_str = 0;
        } else if (c == '"') j.in_str = 1;
        else if (c == '{' || c == '[') {
            j.seen = 1;
            if (++j.end > j.max) j.max = j.end;
        } else if (c == '}' || c == ']') j.end--;
    }
    return j;
}

/* 1 when JSON text ends with an object, array or string still open: what
 * a download cut short leaves (an empty file included). */
int ckpt__json_cut_short(const char *s, size_t n)
{
    json_shape j = json_scan(s, n);
    return j.in_str || j.end > 0 || !j.seen;
}

/* 1 when JSON text nests arrays/objects deeper than cJSON parses
 * (CJSON_NESTING_LIMIT): to say so instead of "parse error at byte N". */
int ckpt__json_too_deep(const char *s, size_t n)
{
    return json_scan(s, n).max > CKPT_JSON_MAX_DEPTH;
}

const char *ckpt__path_problem(const char *p, unsigned flags)
{
    if (!p || !*p) return "empty path";
    if (p[0] == '/' || p[0] == '\\') return "absolute path";
    if ((flags & CKPT_PATH_NO_DRIVE) &&
        (strstr(p, "://") || (p[1] == ':' && ((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z'))))
        return "URL or drive path";
    for (const unsigned char *q = (const unsigned char *)p; *q; q++) {
        if (*q == '\\') return "backslash in path";
        if (*q < 0x20 || *q == 0x7f) return "control character in path";
    }
    for (const char *s = p;;) {
        size_t k = strcspn(s, "/");
        if (k == 2 && s[0] == '.' && s[1] == '.') return "'..' in path";
        if ((flags & CKPT_PATH_NO_DOT) && (k == 0 || (k == 1 && s[0] == '.'))) return "'.' or empty part in path";
        if (!s[k]) return NULL;
        s += k + 1;
    }
}

int ckpt__json_u64(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || (double)(uint64_t)d != d) return -1;
    *out = (uint64_t)d;
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

int ckpt__mkdirs(const char *dir, char ***made, int *nmade, ckpt_err *err)
{
    if (ckpt__is_dir(dir)) return 0;
    char *parent = ckpt__path_dirname(dir);
    if (!parent) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = strcmp(parent, dir) ? ckpt__mkdirs(parent, made, nmade, err) : 0;
    free(parent);
    if (rc) return rc;
    if (mkdir(dir, 0777) != 0) {
        if (errno == EEXIST) return 0;  /* made meanwhile by someone else */
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create directory");
        ckpt_err_at_path(err, dir);
        return CKPT_E_IO;
    }
    if (!made) return 0;
    char **nd = realloc(*made, (size_t)(*nmade + 1) * sizeof *nd);
    if (!nd) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    *made = nd;
    if (!(nd[*nmade] = strdup(dir))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    (*nmade)++;
    return 0;
}

char *ckpt__read_head(const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(n);
    size_t k = buf ? fread(buf, 1, n - 1, f) : 0;
    fclose(f);
    if (buf) buf[k] = 0;
    return buf;
}

int ckpt__file_exists(const char *path)
{
    if (ckpt_path_is_remote(path)) return ckpt_remote_exists_hook ? ckpt_remote_exists_hook(path) : 0;
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

/* ---- name index: open addressing, keys are borrowed pointers ----
 * Each slot keeps 32 bits of the hash beside the key, so a probe compares
 * strings only when the hashes agree; FNV-1a alone leaves its low bits (the
 * slot) weakly mixed for names that share a suffix (".weight"), hence the
 * final mix. Grown at 3/4 full. */

typedef struct ix_slot {
    const char *key;
    uint32_t hash;
    int val;
} ix_slot;

struct ckpt_name_index {
    ix_slot *s;
    size_t cap, n;
};

uint32_t ckpt__name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ull; }
    h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33;   /* murmur3's fmix64 */
    return (uint32_t)h;
}

struct ckpt_name_index *ckpt__index_new(void)
{
    return calloc(1, sizeof(struct ckpt_name_index));
}

void ckpt__index_free(struct ckpt_name_index *ix)
{
    if (!ix) return;
    ckpt__big_free(ix->s);
    free(ix);
}

static int grow_to(struct ckpt_name_index *ix, size_t ncap)
{
    ix_slot *ns = ckpt__big_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->s[i].key) continue;
        size_t j = ix->s[i].hash & (ncap - 1);
        while (ns[j].key) j = (j + 1) & (ncap - 1);
        ns[j] = ix->s[i];
    }
    ckpt__big_free(ix->s);
    ix->s = ns;
    ix->cap = ncap;
    return 0;
}

/* The slot holding `name`, or the empty slot where it would go. */
static size_t ix_find(const struct ckpt_name_index *ix, const char *name, uint32_t h)
{
    size_t j = h & (ix->cap - 1);
    while (ix->s[j].key && (ix->s[j].hash != h || strcmp(ix->s[j].key, name)))
        j = (j + 1) & (ix->cap - 1);
    return j;
}

static int grow(struct ckpt_name_index *ix) { return grow_to(ix, ix->cap ? ix->cap * 2 : 64); }

int ckpt__index_reserve(struct ckpt_name_index *ix, size_t n)
{
    size_t cap = ix->cap ? ix->cap : 64;
    while ((n + 1) * 4 > cap * 3) cap *= 2;
    return cap > ix->cap ? grow_to(ix, cap) : 0;
}

int ckpt__index_put(struct ckpt_name_index *ix, const char *name, int value)
{
    if ((ix->n + 1) * 4 > ix->cap * 3 && grow(ix)) return -2;
    uint32_t h = ckpt__name_hash(name);
    size_t j = ix_find(ix, name, h);
    if (ix->s[j].key) return ix->s[j].val;
    ix->s[j] = (ix_slot){name, h, value};
    ix->n++;
    return -1;
}

int ckpt__index_get(const struct ckpt_name_index *ix, const char *name)
{
    if (!ix || !ix->cap) return -1;
    size_t j = ix_find(ix, name, ckpt__name_hash(name));
    return ix->s[j].key ? ix->s[j].val : -1;
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

void ckpt__output_date(char *buf, size_t n)
{
    time_t t = ckpt__output_time();
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%d@%H:%M:%S", &tmv);   /* Keras' date_saved form */
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
