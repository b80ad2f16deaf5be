/* ui/draw.h: drawing helpers on stdscr: clipped text by display width,
 * line glyphs with an ASCII fallback, bars, sizes. */
#ifndef CKPT_UI_DRAW_H
#define CKPT_UI_DRAW_H

#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "theme.h"

typedef struct glyphs {
    const char *tee, *ell, *vert, *horiz; /* ├ └ │ ─ */
    const char *open, *closed, *leaf;     /* expander marks */
    const char *ellipsis;
    const char *arrow;                    /* → */
    const char *blocks[9];                /* histogram: " " then 1/8 .. 8/8 */
    const char *spin[8];
    int nspin;
    const char *bar_full, *bar_empty;
} glyphs;

extern const glyphs *G;
extern int draw_utf8;

void draw_init(int utf8);

/* Display width of a UTF-8 string (invalid bytes count 1). */
int text_width(const char *s);

/* Clip modes for draw_text. */
enum { CLIP_RIGHT = 0, CLIP_LEFT = 1, CLIP_MID = 2 /* both ends kept (file names) */ };

/* Draw `s` at (y, x) in at most `w` columns with attribute `a`; a string
 * too long is cut with an ellipsis (at its end, or at its start for
 * CLIP_LEFT). Control characters and invalid bytes show as '?'.
 * Returns the columns used. */
int draw_text(int y, int x, const char *s, int w, attr_t a, int clip);
int draw_textf(int y, int x, int w, attr_t a, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same, highlighting bytes [hl_from, hl_to) of s with attribute `ha`. */
int draw_text_hl(int y, int x, const char *s, int w, attr_t a, size_t hl_from, size_t hl_to, attr_t ha);
/* s wrapped at w columns over at most h lines (the last one cut with an
 * ellipsis if more remains); returns the lines drawn. */
int draw_text_wrap(int y, int x, int h, int w, const char *s, attr_t a);
/* Where line `lines` of s wrapped at w columns starts. */
const char *text_wrap_skip(const char *s, int w, int lines);
/* Lines s takes wrapped at w columns (1 for an empty string). */
int text_lines(const char *s, int w);
void draw_fill(int y, int x, int w, attr_t a);
void draw_hline(int y, int x, int w, attr_t a);
void draw_vline(int y, int x, int h, attr_t a);
/* A framed box with a title; clears its inside. */
void draw_box(int y, int x, int h, int w, attr_t frame, const char *title);
/* Progress bar of width w, fraction 0..1. */
void draw_bar(int y, int x, int w, double frac);

/* "1.5 MiB", "123 B" */
const char *fmt_bytes(uint64_t n, char *buf, size_t len);
/* "1.23M", "45.6K", "999" */
const char *fmt_count(uint64_t n, char *buf, size_t len);
/* "1,234,567" */
const char *fmt_count_full(uint64_t n, char *buf, size_t len);
/* "1m05s", "12s", "1h02m" */
const char *fmt_duration(double sec, char *buf, size_t len);
double now_sec(void);

#endif
