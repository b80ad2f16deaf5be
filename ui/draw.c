/* draw.c: drawing helpers (see draw.h). Everything goes to stdscr; the
 * main loop ends each frame with one doupdate(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "ckpt/human.h"
#include "draw.h"

static const glyphs g_utf8 = {
    .tee = "\u251c\u2500", .ell = "\u2514\u2500", .vert = "\u2502 ", .horiz = "\u2500",
    .open = "\u25be ", .closed = "\u25b8 ", .leaf = "  ",
    .ellipsis = "\u2026", .arrow = "\u2192",
    .blocks = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"},
    .spin = {"\u280b", "\u2819", "\u2839", "\u2838", "\u283c", "\u2834", "\u2826", "\u2827"},
    .nspin = 8,
    .bar_full = "\u2588", .bar_empty = "\u2591",
};
static const glyphs g_ascii = {
    .tee = "|-", .ell = "`-", .vert = "| ", .horiz = "-",
    .open = "v ", .closed = "> ", .leaf = "  ",
    .ellipsis = "~", .arrow = "->",
    .blocks = {" ", ".", ".", "_", "-", "=", "+", "*", "#"},
    .spin = {"|", "/", "-", "\\"},
    .nspin = 4,
    .bar_full = "#", .bar_empty = ".",
};

const glyphs *G = &g_ascii;
int draw_utf8;

void draw_init(int utf8)
{
    draw_utf8 = utf8;
    G = utf8 ? &g_utf8 : &g_ascii;
}

/* Decode one character at s: its byte length, its display width, and
 * whether it is printable. In an ASCII locale, bytes >= 0x80 are '?'. */
static size_t char_at(const char *s, int *width, int *ok)
{
    unsigned char c = (unsigned char)*s;
    if (c < 0x80) {
        *width = 1;
        *ok = c >= 0x20 && c != 0x7f;
        return 1;
    }
    if (!draw_utf8) {
        *width = 1;
        *ok = 0;
        return 1;
    }
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    size_t k = mbrtowc(&wc, s, MB_CUR_MAX, &st);
    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *width = 1;
        *ok = 0;
        return 1;
    }
    int w = wcwidth(wc);
    *ok = w >= 0;
    *width = w < 0 ? 1 : w;
    return k;
}

int text_width(const char *s)
{
    int w = 0, cw, ok;
    while (*s) {
        s += char_at(s, &cw, &ok);
        w += cw;
    }
    return w;
}

/* Append [s, s+n) to out, sanitised; returns columns used. */
static int put_run(int y, int x, const char *s, size_t n, int maxw, attr_t a)
{
    char buf[1024];
    size_t bl = 0;
    int used = 0, x0 = x, total = 0;
    const char *e = s + n;
    attr_t old;
    short pair;
    attr_get(&old, &pair, NULL);
    attrset(a);
    while (s < e && *s) {
        int cw, ok;
        size_t k = char_at(s, &cw, &ok);
        if (used + cw > maxw) break;
        if (bl + k + 1 >= sizeof buf) {
            buf[bl] = 0;
            mvaddstr(y, x, buf);
            x += used;
            maxw -= used;
            total += used;
            used = 0;
            bl = 0;
            continue;
        }
        if (ok) {
            memcpy(buf + bl, s, k);
            bl += k;
        } else buf[bl++] = '?';
        used += cw;
        s += k;
    }
    buf[bl] = 0;
    mvaddstr(y, x, buf);
    attrset(old);
    (void)x0;
    return total + used;
}

/* Byte offset where the last `w` columns of s start. */
static size_t tail_start(const char *s, int w)
{
    size_t n = strlen(s), best = n;
    int total = text_width(s);
    int skip = total - w, acc = 0;
    size_t i = 0;
    while (i < n) {
        if (acc >= skip) return i;
        int cw, ok;
        i += char_at(s + i, &cw, &ok);
        acc += cw;
    }
    (void)best;
    return i;
}

int draw_text(int y, int x, const char *s, int w, attr_t a, int clip)
{
    if (w <= 0 || !s) return 0;
    int tw = text_width(s);
    if (tw <= w) return put_run(y, x, s, strlen(s), w, a);
    int ew = text_width(G->ellipsis);
    if (w <= ew) return put_run(y, x, s, strlen(s), w, a);
    if (clip == CLIP_LEFT) {
        int u = put_run(y, x, G->ellipsis, strlen(G->ellipsis), w, a);
        size_t st = tail_start(s, w - u);
        return u + put_run(y, x + u, s + st, strlen(s + st), w - u, a);
    }
    if (clip == CLIP_MID && w >= 12) {
        /* keep both ends: "long_model_name…1.safetensors" */
        int tw2 = (w - ew) * 2 / 5;
        int u = put_run(y, x, s, strlen(s), w - ew - tw2, a);
        u += put_run(y, x + u, G->ellipsis, strlen(G->ellipsis), w - u, a);
        size_t st = tail_start(s, w - u);
        return u + put_run(y, x + u, s + st, strlen(s + st), w - u, a);
    }
    int u = put_run(y, x, s, strlen(s), w - ew, a);
    return u + put_run(y, x + u, G->ellipsis, strlen(G->ellipsis), w - u, a);
}

/* Byte length of the next line of s wrapped at w columns: a break after
 * the last space that fits, else a hard break; *next skips that space. */
static size_t wrap_line(const char *s, int w, size_t *next)
{
    size_t i = 0, sp = 0;
    int acc = 0;
    while (s[i]) {
        int cw, ok;
        size_t k = char_at(s + i, &cw, &ok);
        if (acc + cw > w) break;
        if (s[i] == ' ') sp = i;
        acc += cw;
        i += k;
    }
    if (!s[i]) { *next = i; return i; }
    if (sp > 0 && sp > i / 2) { *next = sp + 1; return sp; }
    if (i == 0) i = char_at(s, &acc, &(int){0}); /* a character wider than w */
    *next = i;
    return i;
}

int text_lines(const char *s, int w)
{
    if (w <= 0 || !s || !*s) return 1;
    int n = 0;
    while (*s) {
        size_t next;
        wrap_line(s, w, &next);
        s += next;
        n++;
    }
    return n;
}

const char *text_wrap_skip(const char *s, int w, int lines)
{
    if (w <= 0 || !s) return s;
    while (*s && lines-- > 0) {
        size_t next;
        wrap_line(s, w, &next);
        s += next;
    }
    return s;
}

int draw_text_wrap(int y, int x, int h, int w, const char *s, attr_t a)
{
    if (w <= 0 || h <= 0 || !s) return 0;
    int r = 0;
    while (*s && r < h) {
        size_t next, L = wrap_line(s, w, &next);
        if (r == h - 1 && s[next]) { /* the last line that fits: cut with an ellipsis */
            draw_text(y + r, x, s, w, a, CLIP_RIGHT);
            return r + 1;
        }
        put_run(y + r, x, s, L, w, a);
        s += next;
        r++;
    }
    return r;
}

int draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return draw_text(y, x, buf, w, a, CLIP_RIGHT);
}

int draw_text_hl(int y, int x, const char *s, int w, attr_t a, size_t hf, size_t ht, attr_t ha)
{
    size_t n = strlen(s);
    if (hf >= ht || ht > n || text_width(s) > w) {
        /* too long: keep the match in view by cutting the left when needed */
        if (hf < ht && ht <= n && text_width(s) > w) {
            char head[1024];
            size_t k = hf < sizeof head - 1 ? hf : sizeof head - 1;
            memcpy(head, s, k);
            head[k] = 0;
            int hw = text_width(head);
            if (hw + 12 > w) { /* the match would be cut: show the tail */
                int used = draw_text(y, x, s, w, a, CLIP_LEFT);
                return used;
            }
            int used = put_run(y, x, s, hf, w, a);
            used += put_run(y, x + used, s + hf, ht - hf, w - used, ha);
            char tmp[1024];
            snprintf(tmp, sizeof tmp, "%s", s + ht);
            used += draw_text(y, x + used, tmp, w - used, a, CLIP_RIGHT);
            return used;
        }
        return draw_text(y, x, s, w, a, CLIP_RIGHT);
    }
    int used = put_run(y, x, s, hf, w, a);
    used += put_run(y, x + used, s + hf, ht - hf, w - used, ha);
    used += put_run(y, x + used, s + ht, n - ht, w - used, a);
    return used;
}

void draw_fill(int y, int x, int w, attr_t a)
{
    if (w <= 0) return;
    attr_t old;
    short pair;
    attr_get(&old, &pair, NULL);
    attrset(a);
    mvhline(y, x, ' ', w);
    attrset(old);
}

void draw_hline(int y, int x, int w, attr_t a)
{
    for (int i = 0; i < w; i++) put_run(y, x + i, G->horiz, strlen(G->horiz), 1, a);
}

void draw_vline(int y, int x, int h, attr_t a)
{
    const char *v = draw_utf8 ? "\u2502" : "|";
    for (int i = 0; i < h; i++) put_run(y + i, x, v, strlen(v), 1, a);
}

void draw_box(int y, int x, int h, int w, attr_t frame, const char *title)
{
    if (h < 2 || w < 2) return;
    const char *tl = draw_utf8 ? "\u250c" : "+", *tr = draw_utf8 ? "\u2510" : "+";
    const char *bl = draw_utf8 ? "\u2514" : "+", *br = draw_utf8 ? "\u2518" : "+";
    for (int i = 1; i < h - 1; i++) draw_fill(y + i, x + 1, w - 2, theme_attr(T_DIALOG));
    put_run(y, x, tl, strlen(tl), 1, frame);
    draw_hline(y, x + 1, w - 2, frame);
    put_run(y, x + w - 1, tr, strlen(tr), 1, frame);
    draw_vline(y + 1, x, h - 2, frame);
    draw_vline(y + 1, x + w - 1, h - 2, frame);
    put_run(y + h - 1, x, bl, strlen(bl), 1, frame);
    draw_hline(y + h - 1, x + 1, w - 2, frame);
    put_run(y + h - 1, x + w - 1, br, strlen(br), 1, frame);
    if (title && *title) {
        char t[256];
        snprintf(t, sizeof t, " %s ", title);
        draw_text(y, x + 2, t, w - 4, theme_attr(T_TITLE), CLIP_RIGHT);
    }
}

void draw_bar(int y, int x, int w, double frac)
{
    if (w <= 0) return;
    if (frac < 0) frac = 0;
    if (frac > 1) frac = 1;
    int full = (int)(frac * w + 0.5);
    for (int i = 0; i < w; i++) {
        const char *g = i < full ? G->bar_full : G->bar_empty;
        put_run(y, x + i, g, strlen(g), 1, theme_attr(i < full ? T_BAR : T_BAR_EMPTY));
    }
}

const char *fmt_bytes(uint64_t n, char *buf, size_t len)
{
    return ckpt_human_bytes(n, buf, len);
}

const char *fmt_count(uint64_t n, char *buf, size_t len)
{
    return ckpt_human_short(n, buf, len);
}

const char *fmt_count_full(uint64_t n, char *buf, size_t len)
{
    return ckpt_human_count(n, buf, len);
}

const char *fmt_duration(double s, char *buf, size_t len)
{
    if (s < 0 || s != s) s = 0;
    long t = (long)(s + 0.5);
    if (t < 60) snprintf(buf, len, "%lds", t);
    else if (t < 3600) snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, len, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    return buf;
}

double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
