/* view_progress.c: a running conversion: bar, current tensor, bytes,
 * rate, ETA; Esc cancels (the engine removes partial output); at the end a
 * summary and the path written. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "keys.h"

static int g_finished;

void progress_finished(void) { g_finished = 1; }

/* ended with an error (not a cancel): the dialog is where to fix it */
static int failed(const job *j) { return !j->running && j->rc != 0 && j->rc != CKPT_E_CANCELLED; }

void progress_draw(void)
{
    draw_header();
    job *j = &A.job;
    int w = COLS > 84 ? 80 : COLS - 4, h = 12;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    char title[128];
    snprintf(title, sizeof title, "Converting to %s", j->copts.to ? j->copts.to : "?");
    draw_box(y, x, h, w, theme_attr(T_BORDER), title);
    pthread_mutex_lock(&j->mu);
    uint64_t done = j->bytes_done, tot = j->bytes_total;
    int idone = j->items_done, itot = j->items_total;
    char cur[256];
    snprintf(cur, sizeof cur, "%s", j->current);
    double t_end = j->t_end;
    pthread_mutex_unlock(&j->mu);
    double el = (t_end > 0 ? t_end : now_sec()) - j->t0;
    double frac = tot ? (double)done / (double)tot : 0;
    char a[32], b[32], c[32], d[32], line[1400];
    int iw = w - 4;
    snprintf(line, sizeof line, "to %s", j->copts.out ? j->copts.out : "");
    draw_text(y + 1, x + 2, line, iw, theme_attr(T_DIALOG), CLIP_LEFT);
    draw_bar(y + 3, x + 2, iw - 6, frac);
    draw_textf(y + 3, x + iw - 3, 5, theme_attr(T_VALUE), "%3.0f%%", frac * 100);
    if (itot > 0) { /* nothing to name before the first tensor (a refusal up front) */
        snprintf(line, sizeof line, "tensor %d of %d: %s", idone < itot ? idone + 1 : idone, itot, cur);
        draw_text(y + 4, x + 2, line, iw, theme_attr(T_TENSOR), CLIP_RIGHT);
    }
    double rate = el > 0 ? (double)done / el : 0;
    snprintf(line, sizeof line, "%s of %s   %s/s   elapsed %s", fmt_bytes(done, a, sizeof a), fmt_bytes(tot, b, sizeof b),
             fmt_bytes((uint64_t)rate, c, sizeof c), fmt_duration(el, d, sizeof d));
    if (j->running && rate > 0 && tot > done) {
        char e[32];
        size_t L = strlen(line);
        snprintf(line + L, sizeof line - L, "   ETA %s", fmt_duration((double)(tot - done) / rate, e, sizeof e));
    }
    draw_text(y + 5, x + 2, line, iw, theme_attr(T_NUMBER), CLIP_RIGHT);
    if (j->running) {
        snprintf(line, sizeof line, "%s %s", G->spin[A.spin % G->nspin], j->cancel ? "cancelling..." : "working  (Esc cancels)");
        draw_text(y + 7, x + 2, line, iw, theme_attr(T_DIM), CLIP_RIGHT);
    } else if (j->rc == 0) {
        snprintf(line, sizeof line, "Done: %d tensors, %s in %d file%s", j->cres.ntensors, fmt_bytes(j->cres.nbytes, a, sizeof a),
                 j->cres.nfiles, j->cres.nfiles == 1 ? "" : "s");
        draw_text(y + 7, x + 2, line, iw, theme_attr(T_VALUE), CLIP_RIGHT);
        snprintf(line, sizeof line, "wrote %s", j->cres.main_path[0] ? j->cres.main_path : j->copts.out);
        draw_text(y + 8, x + 2, line, iw, theme_attr(T_NEW_NAME), CLIP_LEFT);
    } else if (j->rc == CKPT_E_CANCELLED) {
        draw_text(y + 7, x + 2, "Cancelled: no output was written.", iw, theme_attr(T_MESSAGE), CLIP_RIGHT);
    } else {
        ckpt_err_line(&j->err, line, sizeof line);
        draw_text(y + 7, x + 2, "Failed:", iw, theme_attr(T_ERROR), CLIP_RIGHT);
        draw_text_wrap(y + 8, x + 2, h - 9, iw, line, theme_attr(T_ERROR));
    }
    static const char *const run_hints[] = {"Esc", "cancel", NULL};
    static const char *const end_hints[] = {"Enter", "back to the tree", "c", "convert again", NULL};
    static const char *const fail_hints[] = {"Enter", "back to the dialog", "q", "back to the tree", NULL};
    draw_hints(j->running ? run_hints : failed(j) ? fail_hints : end_hints);
}

int progress_key(int key)
{
    job *j = &A.job;
    if (j->running) {
        if (key == KEY_ESC || key == 'q' || key == KEY_CTRL('c')) job_cancel();
        return R_REDRAW;
    }
    g_finished = 0;
    if (failed(j) && (key == '\n' || key == '\r' || key == KEY_ENTER || key == 'c')) {
        A.screen = SCR_CONVERT; /* the fields as they were, to fix what failed */
        return R_REDRAW;
    }
    if (key == 'c') convert_open();
    else if (key == KEY_CTRL('c') || key == 'Q') return R_QUIT;
    else A.screen = SCR_MODEL;
    return R_REDRAW;
}
