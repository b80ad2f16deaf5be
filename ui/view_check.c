/* view_check.c: the mismatches screen: what `ckpt check` finds, one per
 * line; Enter jumps to the tensor in the tree. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "ckpt/check.h"
#include "draw.h"
#include "keys.h"

static struct {
    ckpt_findings f;
    int done;             /* the check ran for the open model */
    int rc;
    char err[1024];
    int cur, top, rows;
} C;

void check_reset(void)
{
    ckpt_findings_free(&C.f);
    memset(&C, 0, sizeof C);
}

void check_open(void)
{
    if (!A.m) return;
    if (!C.done) {
        ckpt_err e;
        ckpt_err_clear(&e);
        memset(&C.f, 0, sizeof C.f);
        C.rc = ckpt_check(A.m, &C.f, &e);
        if (C.rc) ckpt_err_line(&e, C.err, sizeof C.err);
        C.done = 1;
        C.cur = C.top = 0;
    }
    A.screen = SCR_CHECK;
}

void check_draw(void)
{
    draw_header();
    char t[128];
    snprintf(t, sizeof t, "Mismatches: %d finding%s", C.f.n, C.f.n == 1 ? "" : "s");
    if (C.f.nnotes) snprintf(t + strlen(t), sizeof t - strlen(t), ", %d note%s", C.f.nnotes, C.f.nnotes == 1 ? "" : "s");
    draw_text(1, 1, t, COLS - 2, theme_attr(T_TITLE), CLIP_RIGHT);
    int y0 = 2, rows = LINES - 4;
    C.rows = rows;
    if (C.rc) draw_text(y0++, 2, C.err, COLS - 4, theme_attr(T_ERROR), CLIP_RIGHT);
    if (C.f.n == 0 && !C.rc)
    {
        /* as `ckpt check` says it: what was compared depends on the input */
        char ok[128];
        snprintf(ok, sizeof ok, "No mismatches found (%d tensors checked).", ckpt_model_ntensors(A.m));
        draw_text(y0++, 2, ok, COLS - 4, theme_attr(T_DIM), CLIP_RIGHT);
        /* notes (a custom layer class, say) do not count, but say so */
        for (int i = 0; i < C.f.nnotes && y0 < LINES - 2; i++) {
            char nb[1024];
            snprintf(nb, sizeof nb, "note: %s", C.f.notes[i]);
            int h = text_lines(nb, COLS - 4);
            if (y0 + h > LINES - 2) h = LINES - 2 - y0;
            draw_text_wrap(y0, 2, h, COLS - 4, nb, theme_attr(T_NORMAL));
            y0 += h;
        }
    }
    /* the selected finding in full under the list, wrapped (up to 4 lines) */
    char full[2048] = "";
    int dn = 0;
    if (C.cur < C.f.n) {
        const ckpt_finding *f = &C.f.v[C.cur];
        snprintf(full, sizeof full, "%s%s%s", f->message ? f->message : "", f->suggestion ? "  suggestion: " : "",
                 f->suggestion ? f->suggestion : "");
        dn = text_lines(full, COLS - 2);
        if (dn > 4) dn = 4;
    }
    int detail_y = LINES - 2 - dn;
    int lrows = detail_y - y0;
    if (lrows < 1) lrows = 1;
    if (C.cur < C.top) C.top = C.cur;
    if (C.cur >= C.top + lrows) C.top = C.cur - lrows + 1;
    for (int r = 0; y0 + r < detail_y && C.top + r < C.f.n; r++) {
        int i = C.top + r;
        const ckpt_finding *f = &C.f.v[i];
        int y = y0 + r, sel = i == C.cur;
        attr_t base = sel ? theme_attr(T_CURSOR) : theme_attr(T_NORMAL);
        if (sel) draw_fill(y, 0, COLS, base);
        draw_text(y, 1, ckpt_finding_kind_str(f->kind), 12, sel ? base : theme_attr(T_FLAGGED), CLIP_RIGHT);
        const char *who = f->tensor && f->tensor[0] ? f->tensor : f->layer ? f->layer : "";
        int ww = COLS / 3;
        draw_text(y, 14, who, ww, sel ? base : theme_attr(T_TENSOR), CLIP_LEFT);
        draw_text(y, 15 + ww, f->message ? f->message : "", COLS - 16 - ww, base, CLIP_RIGHT);
    }
    /* the selected finding in full, with its suggestion */
    if (dn > 0) {
        draw_hline(detail_y, 0, COLS, theme_attr(T_BORDER));
        draw_text_wrap(detail_y + 1, 1, dn, COLS - 2, full, theme_attr(T_VALUE));
    }
    static const char *const hints[] = {"Enter", "jump to tensor", "m", "remap", "?", "help", "q", "back", NULL};
    draw_hints(hints);
}

int check_key(int key)
{
    int rows = C.rows > 2 ? C.rows - 2 : 1;
    switch (keys_action(key)) {
    case ACT_MOVE_UP: if (C.cur > 0) C.cur--; break;
    case ACT_MOVE_DOWN: if (C.cur < C.f.n - 1) C.cur++; break;
    case ACT_PAGE_UP: C.cur -= rows; if (C.cur < 0) C.cur = 0; break;
    case ACT_PAGE_DOWN: C.cur += rows; if (C.cur >= C.f.n) C.cur = C.f.n - 1; if (C.cur < 0) C.cur = 0; break;
    case ACT_FIRST: C.cur = 0; break;
    case ACT_LAST: C.cur = C.f.n > 0 ? C.f.n - 1 : 0; break;
    case ACT_OPEN:
    case ACT_EXPAND: {
        if (C.cur >= C.f.n) break;
        const ckpt_finding *f = &C.f.v[C.cur];
        int t = f->tensor_index;
        if (t < 0 && f->tensor) t = ckpt_model_find(A.m, f->tensor);
        if (t >= 0 && t < ckpt_model_ntensors(A.m)) {
            A.screen = SCR_MODEL;
            tree_jump_tensor(t);
        } else app_msg("this finding names no tensor in the file");
        break;
    }
    case ACT_REMAP: remap_open(); break;
    case ACT_HELP: A.help = 1; A.help_top = 0; break;
    case ACT_THEME: tui_next_theme(); break;
    case ACT_CONVERT: convert_open(); break;
    case ACT_REFRESH: return R_REDRAW | R_CLEAR;
    case ACT_BACK: A.screen = SCR_MODEL; break;
    case ACT_QUIT: return R_QUIT;
    default: break;
    }
    return R_REDRAW;
}
