/* ui/safe.c: escaping for the terminal and for JSON (see safe.h). */
#include "safe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

FILE *cli_term_err;

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 when
 * it is not one (overlong, surrogate, past U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n) return 0;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* How one input unit is shown: `len` bytes of input, kept as they are
 * (esc = 0) or written as escapes (esc = 1). `incomplete` is set when the
 * bytes may be the start of a sequence that continues past n. */
static size_t unit(const unsigned char *s, size_t n, int *esc, int *incomplete)
{
    *incomplete = 0;
    unsigned c = s[0];
    if (c < 0x20 || c == 0x7f) { *esc = 1; return 1; }
    if (c < 0x80) { *esc = 0; return 1; }
    size_t len = utf8_len(s, n);
    if (!len) {
        size_t want = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (want > n) {  /* may complete later: all present bytes are continuations */
            int ok = 1;
            for (size_t i = 1; i < n; i++) ok &= (s[i] & 0xc0) == 0x80;
            *incomplete = ok;
        }
        *esc = 1;
        return 1;
    }
    *esc = len == 2 && c == 0xc2 && s[1] < 0xa0;   /* C1 controls U+0080..U+009F */
    return len;
}

/* Append the escape of byte c to out (room for 4 bytes + NUL assumed). */
static size_t esc_byte(unsigned char c, char *out)
{
    switch (c) {
    case '\n': memcpy(out, "\\n", 2); return 2;
    case '\t': memcpy(out, "\\t", 2); return 2;
    case '\r': memcpy(out, "\\r", 2); return 2;
    default: {
        static const char hex[] = "0123456789abcdef";
        out[0] = '\\'; out[1] = 'x'; out[2] = hex[c >> 4]; out[3] = hex[c & 15];
        return 4;
    }
    }
}

/* Escape [s, s+n) into out (cap bytes, NUL-terminated, cut on a unit). */
static size_t esc_span(const unsigned char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        int esc, inc;
        size_t k = unit(s + i, n - i, &esc, &inc);
        size_t need = esc ? 4 * k : k;
        if (o + need + 1 > cap) break;
        if (!esc) memcpy(out + o, s + i, k), o += k;
        else for (size_t j = 0; j < k; j++) o += esc_byte(s[i + j], out + o);
        i += k;
    }
    out[o] = 0;
    return o;
}

char *cli_esc_into(const char *s, char *out, size_t n)
{
    if (!n) return out;
    if (!s) s = "";
    esc_span((const unsigned char *)s, strlen(s), out, n);
    return out;
}

const char *cli_esc(const char *s)
{
    static char *ring[CLI_ESC_RING];
    static size_t cap[CLI_ESC_RING];
    static int next;
    if (!s) return "";
    size_t need = 4 * strlen(s) + 1;
    int i = next;
    next = (next + 1) % CLI_ESC_RING;
    if (cap[i] < need) {
        char *p = realloc(ring[i], need);
        if (!p) return "?";
        ring[i] = p;
        cap[i] = need;
    }
    return cli_esc_into(s, ring[i], cap[i]);
}

char *cli_json_safe(char *json)
{
    if (!json) return NULL;
    size_t n = strlen(json);
    char *out = malloc(6 * n + 1);
    if (!out) { free(json); return NULL; }
    const unsigned char *s = (const unsigned char *)json;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80 && s[i] != 0x7f) { out[o++] = (char)s[i++]; continue; }
        int esc, inc;
        size_t k = unit(s + i, n - i, &esc, &inc);
        if (!esc) { memcpy(out + o, s + i, k); o += k; i += k; continue; }
        /* DEL and C1 as their code points; a byte that is not UTF-8 as a lone surrogate */
        unsigned cp = s[i] == 0x7f ? 0x7f : (k == 2 && s[i] == 0xc2) ? s[i + 1] : 0xdc00u | s[i];
        o += (size_t)sprintf(out + o, "\\u%04x", cp);
        i += k;
    }
    out[o] = 0;
    free(json);
    return out;
}

/* ---- the stream filter ---- */

typedef struct {
    int fd;
    unsigned char pend[4];  /* a UTF-8 sequence cut by the buffer's end */
    size_t npend;
} filt;

static int write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t filt_write(void *cookie, const char *buf, size_t size)
{
    filt *f = cookie;
    unsigned char tmp[4096 + 4];
    char out[4 * sizeof tmp + 1];
    size_t done = 0;
    /* printable ASCII and newlines (ls --json of 100k names: all of it)
     * go out as they are, without a pass per byte through unit() */
    if (!f->npend) {
        while (done < size && (((unsigned char)buf[done] >= 0x20 && (unsigned char)buf[done] < 0x7f) || buf[done] == '\n'))
            done++;
        if (done && write_all(f->fd, buf, done) < 0) return -1;
    }
    while (done < size) {
        size_t take = size - done < 4096 ? size - done : 4096;
        memcpy(tmp, f->pend, f->npend);
        memcpy(tmp + f->npend, buf + done, take);
        size_t n = f->npend + take, i = 0, o = 0;
        f->npend = 0;
        while (i < n) {
            int esc, inc;
            size_t k = unit(tmp + i, n - i, &esc, &inc);
            if (inc) { memcpy(f->pend, tmp + i, n - i); f->npend = n - i; break; }
            if (!esc || tmp[i] == '\n') memcpy(out + o, tmp + i, k), o += k;
            else for (size_t j = 0; j < k; j++) o += esc_byte(tmp[i + j], out + o);
            i += k;
        }
        if (write_all(f->fd, out, o) < 0) return done ? (ssize_t)done : -1;
        done += take;
    }
    return (ssize_t)size;
}

static int filt_close(void *cookie)
{
    filt *f = cookie;
    char out[16];
    size_t o = 0;
    for (size_t j = 0; j < f->npend; j++) o += esc_byte(f->pend[j], out + o);
    if (o) write_all(f->fd, out, o);
    f->npend = 0;
    return 0;
}

/* one filter per std stream, for the life of the process (static: nothing
 * to free at exit) */
static filt filters[3];

static FILE *filtered(int fd, int mode)
{
    filt *f = &filters[fd];
    memset(f, 0, sizeof *f);
    f->fd = fd;
    cookie_io_functions_t io = {.write = filt_write, .close = filt_close};
    FILE *s = fopencookie(f, "w", io);
    if (!s) return NULL;
    setvbuf(s, NULL, mode, 0);
    return s;
}

FILE *cli_safe_streams(void)
{
    cli_term_err = stderr;
    int efd = dup(2);
    FILE *raw = efd >= 0 ? fdopen(efd, "w") : NULL;
    FILE *o = filtered(1, isatty(1) ? _IOLBF : _IOFBF), *e = filtered(2, _IOLBF);
    if (!raw || !o || !e) {
        if (raw) fclose(raw);
        if (o) fclose(o);
        if (e) fclose(e);
        return NULL;
    }
    setvbuf(raw, NULL, _IONBF, 0);
    fflush(stdout);
    fflush(stderr);
    stdout = o;   /* glibc's std streams are assignable variables */
    stderr = e;
    cli_term_err = raw;
    return raw;
}

/* ---- one JSON string, as cJSON prints it and cli_json_safe then rewrites it ---- */

size_t cli_json_str_into(const char *str, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t o = 0, n = strlen((const char *)s);
    out[o++] = '"';
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        unsigned cp;
        if (c >= 0x20 && c < 0x7f) {
            if (c == '"' || c == '\\') out[o++] = '\\';
            out[o++] = (char)c;
            i++;
            continue;
        }
        if (c < 0x20) {   /* cJSON's escapes */
            const char *e = c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
            if (e) { memcpy(out + o, e, 2); o += 2; i++; continue; }
            cp = c;
            i++;
        } else {
            int esc, inc;
            size_t k = unit(s + i, n - i, &esc, &inc);
            if (!esc) { memcpy(out + o, s + i, k); o += k; i += k; continue; }
            /* DEL and C1 as their code points; a byte that is not UTF-8 as a lone surrogate */
            cp = c == 0x7f ? 0x7f : (k == 2 && c == 0xc2) ? s[i + 1] : 0xdc00u | c;
            i += k;
        }
        out[o++] = '\\'; out[o++] = 'u';
        out[o++] = hex[(cp >> 12) & 15]; out[o++] = hex[(cp >> 8) & 15];
        out[o++] = hex[(cp >> 4) & 15]; out[o++] = hex[cp & 15];
    }
    out[o++] = '"';
    out[o] = 0;
    return o;
}
