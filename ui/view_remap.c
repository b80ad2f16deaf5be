/* view_remap.c: the remap editor. Rules on top (one per line, edited in
 * place), a target (a second checkpoint to match names against), and a
 * live preview of old -> new names below. The preview maps only the rows
 * on screen; the totals (renamed, dropped, not in the target) take one
 * pass over the names per edit, like the filter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ckpt/remap.h"
#include "draw.h"
#include "keys.h"

#define MAXLINES 128
#define LINELEN 512

enum { FOC_RULES, FOC_TARGET, FOC_PREVIEW };
enum { PR_NONE, PR_SAVE, PR_LOAD };

static struct {
    char line[MAXLINES][LINELEN];
    int nlines;
    int cl, cc;               /* cursor line, column (bytes) */
    int rtop;
    int focus;
    char target_spec[1024];
    ckpt_target *target;      /* names to match against */
    char *text;               /* joined rules, for convert */
    ckpt_remap *r;            /* last rules that parsed */
    char perr[1024];          /* parse error of the current text */
    int renamed, dropped, unmatched, counted;
    int ptop, pcur, prows;
    int prompt;
    char pbuf[1024];
    int only_changed;
} R;

static void join(void)
{
    size_t cap = 1;
    for (int i = 0; i < R.nlines; i++) cap += strlen(R.line[i]) + 1;
    free(R.text);
    R.text = malloc(cap);
    if (!R.text) return;
    size_t o = 0;
    for (int i = 0; i < R.nlines; i++) {
        size_t L = strlen(R.line[i]);
        memcpy(R.text + o, R.line[i], L);
        o += L;
        R.text[o++] = '\n';
    }
    R.text[o] = 0;
    /* nothing but blank lines and comments: no rules */
    int any = 0;
    for (int i = 0; i < R.nlines; i++) {
        const char *p = R.line[i];
        while (*p == ' ' || *p == '\t') p++;
        if (*p && *p != '#') any = 1;
    }
    if (!any) R.text[0] = 0;
}

const char *remap_rules_text(void) { return R.text ? R.text : ""; }

/* Re-parse the rules and recount: the only O(model) work per edit. */
static void update(void)
{
    join();
    R.perr[0] = 0;
    ckpt_remap *nr = NULL;
    if (R.text && R.text[0]) {
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_remap_parse(R.text, "rules", &nr, &e)) {
            ckpt_err_line(&e, R.perr, sizeof R.perr);
            return; /* keep previewing the last rules that parsed */
        }
    }
    ckpt_remap_free(R.r);
    R.r = nr;
    R.renamed = R.dropped = R.unmatched = 0;
    R.counted = 0;
    if (!A.m) return;
    int nt = ckpt_model_ntensors(A.m);
    char out[1024];
    for (int i = 0; i < nt; i++) {
        const char *nm = ckpt_model_tensor(A.m, i)->name;
        int k = R.r ? ckpt_remap_tensor_name(R.r, A.m, i, out, sizeof out) : 0;
        if (k < 0) {
            R.dropped++;
            continue;
        }
        if (k > 0) R.renamed++;
        if (R.target && !ckpt_target_has(R.target, k > 0 ? out : nm)) R.unmatched++;
    }
    R.counted = 1;
}

void remap_reset(void)
{
    ckpt_remap_free(R.r);
    ckpt_target_free(R.target);
    free(R.text);
    memset(&R, 0, sizeof R);
}

void remap_open(void)
{
    if (!A.m) return;
    if (R.nlines == 0) {
        R.nlines = 1;
        R.line[0][0] = 0;
    }
    R.prompt = PR_NONE;
    update();
    A.screen = SCR_REMAP;
}

static void load_target(void)
{
    ckpt_target_free(R.target);
    R.target = NULL;
    if (!R.target_spec[0]) {
        update();
        return;
    }
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_target_load(R.target_spec, &R.target, &e)) {
        app_err_ckpt(&e);
        R.target = NULL;
    } else {
        app_msg("target: %d names", ckpt_target_count(R.target));
    }
    update();
}

static void set_text(const char *t)
{
    R.nlines = 0;
    const char *p = t;
    while (*p && R.nlines < MAXLINES) {
        const char *nl = strchr(p, '\n');
        size_t L = nl ? (size_t)(nl - p) : strlen(p);
        if (L >= LINELEN) L = LINELEN - 1;
        memcpy(R.line[R.nlines], p, L);
        R.line[R.nlines][L] = 0;
        if (L && R.line[R.nlines][L - 1] == '\r') R.line[R.nlines][L - 1] = 0;
        R.nlines++;
        if (!nl) break;
        p = nl + 1;
    }
    if (R.nlines == 0) R.line[R.nlines++][0] = 0;
    R.cl = R.cc = 0;
    R.rtop = 0;
}

static void do_load(const char *spec)
{
    if (!strncmp(spec, "preset:", 7)) {
        const char *t = ckpt_preset_text(spec + 7);
        if (!t) {
            app_err("no preset named '%s' (see ckpt maps)", spec + 7);
            return;
        }
        set_text(t);
        app_msg("loaded %s", spec);
        update();
        return;
    }
    FILE *f = fopen(spec, "r");
    if (!f) {
        app_err("%s: %s", spec, strerror(errno));
        return;
    }
    size_t cap = (size_t)MAXLINES * LINELEN;
    char *buf = malloc(cap + 1);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf) return;
    buf[n] = 0;
    set_text(buf);
    free(buf);
    app_msg("loaded %s", spec);
    update();
}

static void do_save(const char *path)
{
    join();
    /* write beside, then rename: a failed save keeps the old file */
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        app_err("%s: %s", path, strerror(errno));
        return;
    }
    for (int i = 0; i < R.nlines; i++) fprintf(f, "%s\n", R.line[i]);
    int bad = ferror(f);
    if (fclose(f) || bad || rename(tmp, path)) {
        app_err("%s: %s", path, strerror(errno));
        remove(tmp);
        return;
    }
    app_msg("saved %d line%s to %s", R.nlines, R.nlines == 1 ? "" : "s", path);
}

void remap_draw(void)
{
    draw_header();
    int w = COLS;
    int ed_rows = R.nlines + 1;
    if (ed_rows > 8) ed_rows = 8;
    if (ed_rows < 3) ed_rows = 3;
    int y = 1;
    draw_text(y, 1, "Remap rules  (REGEX -> REPLACEMENT, or REGEX -> drop; applied top to bottom)", w - 2,
              theme_attr(T_TITLE), CLIP_RIGHT);
    y++;
    if (R.cl < R.rtop) R.rtop = R.cl;
    if (R.cl >= R.rtop + ed_rows) R.rtop = R.cl - ed_rows + 1;
    for (int r = 0; r < ed_rows; r++) {
        int i = R.rtop + r;
        if (i >= R.nlines) break;
        int foc = R.focus == FOC_RULES && i == R.cl;
        attr_t a = theme_attr(foc ? T_FIELD_FOCUS : T_FIELD);
        draw_textf(y + r, 0, 4, theme_attr(T_DIM), "%3d", i + 1);
        draw_fill(y + r, 4, w - 5, a);
        if (foc) {
            /* the cursor as an inverted cell */
            char head[LINELEN];
            snprintf(head, sizeof head, "%.*s", R.cc, R.line[i]);
            int u = draw_text(y + r, 4, head, w - 6, a, CLIP_LEFT);
            const char *rest = R.line[i] + R.cc;
            char cch[8] = " ";
            if (*rest) {
                size_t k = 1;
                while (((unsigned char)rest[k] & 0xC0) == 0x80) k++;
                snprintf(cch, sizeof cch, "%.*s", (int)k, rest);
                rest += k;
            }
            u += draw_text(y + r, 4 + u, cch, 1, a | A_REVERSE, CLIP_RIGHT);
            draw_text(y + r, 4 + u, rest, w - 6 - u, a, CLIP_RIGHT);
        } else draw_text(y + r, 4, R.line[i], w - 6, a, CLIP_RIGHT);
    }
    y += ed_rows;
    /* target */
    {
        int foc = R.focus == FOC_TARGET;
        attr_t a = theme_attr(foc ? T_FIELD_FOCUS : T_FIELD);
        draw_text(y, 1, "Target", 8, theme_attr(T_LABEL), CLIP_RIGHT);
        draw_fill(y, 9, w - 10, a);
        /* typed text keeps its end in view; the placeholder its start */
        int typed = R.target_spec[0] || foc;
        int u = draw_text(y, 9, typed ? R.target_spec : "(a checkpoint, a names list or preset:NAME to match against; Enter loads)",
                          w - 11, typed ? a : theme_attr(T_DIM), typed ? CLIP_LEFT : CLIP_RIGHT);
        if (foc) draw_text(y, 9 + u, "_", 1, a, CLIP_RIGHT);
    }
    y++;
    /* totals or the parse error */
    char line[1400];
    if (R.perr[0]) draw_text(y, 1, R.perr, w - 2, theme_attr(T_ERROR), CLIP_RIGHT);
    else if (R.counted) {
        int nt = ckpt_model_ntensors(A.m);
        int n = snprintf(line, sizeof line, "%d renamed, %d dropped, %d unchanged", R.renamed, R.dropped,
                         nt - R.renamed - R.dropped);
        if (R.target)
            snprintf(line + n, sizeof line - (size_t)n, "   unmatched vs target: %d of %d", R.unmatched,
                     nt - R.dropped);
        draw_text(y, 1, line, w - 2, theme_attr(R.target && R.unmatched ? T_FLAGGED : T_VALUE), CLIP_RIGHT);
    }
    y++;
    draw_hline(y, 0, w, theme_attr(T_BORDER));
    draw_text(y, 2, R.only_changed ? " Preview: changed names " : " Preview: old -> new ", w - 4, theme_attr(T_TITLE), CLIP_RIGHT);
    y++;
    int rows = LINES - 1 - y;
    R.prows = rows;
    int nt = ckpt_model_ntensors(A.m);
    if (R.pcur >= nt) R.pcur = nt - 1;
    if (R.pcur < 0) R.pcur = 0;
    if (R.pcur < R.ptop) R.ptop = R.pcur;
    if (R.pcur >= R.ptop + rows) R.ptop = R.pcur - rows + 1;
    int half = (w - 4) / 2;
    char out[1024];
    int i = R.ptop;
    for (int r = 0; r < rows && i < nt; i++) {
        const char *nm = ckpt_model_tensor(A.m, i)->name;
        int k = R.r ? ckpt_remap_tensor_name(R.r, A.m, i, out, sizeof out) : 0;
        if (R.only_changed && k == 0) continue;
        int sel = R.focus == FOC_PREVIEW && i == R.pcur;
        attr_t base = sel ? theme_attr(T_CURSOR) : theme_attr(T_NORMAL);
        if (sel) draw_fill(y + r, 0, w, base);
        draw_text(y + r, 1, nm, half - 1, sel ? base : theme_attr(k ? T_OLD_NAME : T_DIM), CLIP_LEFT);
        draw_text(y + r, half, G->arrow, 2, sel ? base : theme_attr(T_DIM), CLIP_RIGHT);
        const char *nn = k < 0 ? "(dropped)" : k > 0 ? out : nm;
        int miss = k >= 0 && R.target && !ckpt_target_has(R.target, nn);
        char shown[1100];
        snprintf(shown, sizeof shown, "%s%s", nn, miss ? "  !not in target" : "");
        draw_text(y + r, half + 3, shown, w - half - 4,
                  sel ? base : theme_attr(k < 0 || miss ? T_FLAGGED : k > 0 ? T_NEW_NAME : T_DIM), CLIP_LEFT);
        r++;
    }
    if (R.prompt) {
        draw_fill(LINES - 1, 0, w, theme_attr(T_NORMAL));
        const char *lab = R.prompt == PR_SAVE ? "Save rules to: " : "Load rules from (file or preset:NAME): ";
        int u = draw_text(LINES - 1, 0, lab, w, theme_attr(T_TITLE), CLIP_RIGHT);
        u += draw_text(LINES - 1, u, R.pbuf, w - u - 1, theme_attr(T_FIELD_FOCUS), CLIP_LEFT);
        draw_text(LINES - 1, u, "_", 1, theme_attr(T_FIELD_FOCUS), CLIP_RIGHT);
        return;
    }
    static const char *const hints[] = {"Tab", "rules/target/preview", "C-s", "save", "C-o", "load", "C-t", "changed only",
                                        "Esc", "back", NULL};
    draw_hints(hints);
}

static int edit_text(char *t, size_t cap, int *col, int key)
{
    size_t L = strlen(t);
    int c = col ? *col : (int)L;
    if (c > (int)L) c = (int)L;
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (c > 0) {
            int s = c;
            do s--;
            while (s > 0 && ((unsigned char)t[s] & 0xC0) == 0x80);
            memmove(t + s, t + c, L - (size_t)c + 1);
            c = s;
        }
    } else if (key == KEY_DC) {
        if (c < (int)L) {
            int e = c + 1;
            while (((unsigned char)t[e] & 0xC0) == 0x80) e++;
            memmove(t + c, t + e, L - (size_t)e + 1);
        }
    } else if (key == KEY_LEFT) {
        while (c > 0) {
            c--;
            if (((unsigned char)t[c] & 0xC0) != 0x80) break;
        }
    } else if (key == KEY_RIGHT) {
        if (c < (int)L) {
            c++;
            while (((unsigned char)t[c] & 0xC0) == 0x80) c++;
        }
    } else if (key == KEY_HOME || key == KEY_CTRL('a')) c = 0;
    else if (key == KEY_END || key == KEY_CTRL('e')) c = (int)L;
    else if (key == KEY_CTRL('u')) {
        t[0] = 0;
        c = 0;
    } else if (key >= 32 && key < 256 && key != 127 && L + 1 < cap) {
        memmove(t + c + 1, t + c, L - (size_t)c + 1);
        t[c++] = (char)key;
    } else return 0;
    if (col) *col = c;
    return 1;
}

int remap_key(int key)
{
    if (R.prompt) {
        if (key == KEY_ESC) R.prompt = PR_NONE;
        else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
            if (R.pbuf[0]) {
                if (R.prompt == PR_SAVE) do_save(R.pbuf);
                else do_load(R.pbuf);
            }
            R.prompt = PR_NONE;
        } else edit_text(R.pbuf, sizeof R.pbuf, NULL, key);
        return R_REDRAW;
    }
    switch (key) {
    case KEY_ESC: A.screen = SCR_MODEL; return R_REDRAW;
    case KEY_CTRL('c'): return R_QUIT;
    case KEY_TAB: R.focus = (R.focus + 1) % 3; return R_REDRAW;
    case KEY_BTAB: R.focus = (R.focus + 2) % 3; return R_REDRAW;
    case KEY_CTRL('s'): R.prompt = PR_SAVE; return R_REDRAW;
    case KEY_CTRL('o'): R.prompt = PR_LOAD; return R_REDRAW;
    case KEY_CTRL('t'): R.only_changed = !R.only_changed; R.ptop = 0; return R_REDRAW;
    case KEY_F(1): A.help = 1; A.help_top = 0; return R_REDRAW;
    default: break;
    }
    if (R.focus == FOC_PREVIEW) {
        int nt = ckpt_model_ntensors(A.m), rows = R.prows > 0 ? R.prows : 1;
        switch (keys_action(key)) {
        case ACT_MOVE_UP: if (R.pcur > 0) R.pcur--; break;
        case ACT_MOVE_DOWN: if (R.pcur < nt - 1) R.pcur++; break;
        case ACT_PAGE_UP: R.pcur -= rows; break;
        case ACT_PAGE_DOWN: R.pcur += rows; break;
        case ACT_FIRST: R.pcur = 0; break;
        case ACT_LAST: R.pcur = nt - 1; break;
        case ACT_BACK: A.screen = SCR_MODEL; break;
        default: break;
        }
        if (R.pcur >= nt) R.pcur = nt - 1;
        if (R.pcur < 0) R.pcur = 0;
        return R_REDRAW;
    }
    if (R.focus == FOC_TARGET) {
        if (key == '\n' || key == '\r' || key == KEY_ENTER) load_target();
        else edit_text(R.target_spec, sizeof R.target_spec, NULL, key);
        return R_REDRAW;
    }
    /* rules editor */
    char *t = R.line[R.cl];
    switch (key) {
    case KEY_UP:
        if (R.cl > 0) R.cl--;
        break;
    case KEY_DOWN:
        if (R.cl < R.nlines - 1) R.cl++;
        break;
    case '\n': case '\r': case KEY_ENTER:
        if (R.nlines < MAXLINES) { /* split the line at the cursor */
            memmove(&R.line[R.cl + 2], &R.line[R.cl + 1], (size_t)(R.nlines - R.cl - 1) * LINELEN);
            memcpy(R.line[R.cl + 1], t + R.cc, strlen(t + R.cc) + 1);
            t[R.cc] = 0;
            R.nlines++;
            R.cl++;
            R.cc = 0;
            update();
        }
        return R_REDRAW;
    case KEY_BACKSPACE: case 127: case 8:
        if (R.cc == 0 && R.cl > 0) { /* join with the line above */
            char *up = R.line[R.cl - 1];
            size_t ul = strlen(up);
            if (ul + strlen(t) < LINELEN) {
                memcpy(up + ul, t, strlen(t) + 1);
                memmove(&R.line[R.cl], &R.line[R.cl + 1], (size_t)(R.nlines - R.cl - 1) * LINELEN);
                R.nlines--;
                R.cl--;
                R.cc = (int)ul;
                update();
            }
            return R_REDRAW;
        }
        break;
    default: break;
    }
    if (R.cc > (int)strlen(R.line[R.cl])) R.cc = (int)strlen(R.line[R.cl]);
    if (key == KEY_UP || key == KEY_DOWN) return R_REDRAW;
    char before[LINELEN];
    snprintf(before, sizeof before, "%s", R.line[R.cl]);
    if (edit_text(R.line[R.cl], LINELEN, &R.cc, key) && strcmp(before, R.line[R.cl])) update();
    return R_REDRAW;
}
