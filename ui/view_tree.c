/* view_tree.c: the model screen: the layer tree (left), the selected
 * node's detail (right, view_tensor.c), and the name filter.
 *
 * The tree is virtualized: the screen is drawn by walking from the top
 * row's node to the next visible node, so moving, expanding and drawing
 * cost O(rows x depth) whatever the model's size. Only the filter scans
 * all names (and narrows its previous matches when the pattern grows).
 * The nodes themselves are made as groups are opened (ckpt_model_tree):
 * a 1M-tensor model holds the nodes of what was shown, not 2M.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ckpt/regex.h"

#include "app.h"
#include "draw.h"
#include "keys.h"

static struct {
    ckpt_model *m;
    const ckpt_node *nodes;   /* the model's, node i at [i]: made as groups open (sync_nodes) */
    int nn, cap;              /* nodes; room in prev_sib, last_child, open */
    int *prev_sib, *last_child;
    unsigned char *open;
    int cur, top;         /* node indices; -1 when the tree is empty */
    int focus;            /* 0 tree, 1 detail */
    int info;             /* the detail pane shows the model summary ('i') */
    int rows;             /* rows last drawn */
    /* filter */
    char pat[256];        /* as typed */
    int editing;          /* typing the pattern */
    int list;             /* showing the flat list of matches */
    int is_re;            /* pat has a regex character */
    char re_err[160];     /* pat does not compile: why (the list stays last_pat's) */
    int *match;           /* tensor indices, ascending */
    int nmatch, capmatch;
    /* the pattern `match` is (being) computed for: pat once it compiles */
    char last_pat[256];
    size_t last_len;
    int last_re, last_icase;
    ckpt_regex *re;       /* last_pat compiled when last_re (PCRE2, Python syntax) */
    int fcur, ftop;
    /* a scan in progress (filter_step): candidates are tensors pos..end
     * (full) or match[pos..end) (narrowing); matches found so far are
     * match[0..nmatch) */
    int scanning, scan_list, scan_pos, scan_end;
} T;

static const ckpt_node *N(int i) { return &T.nodes[i]; }

/* ---- tree structure ---- */

void tree_detach(void)
{
    free(T.prev_sib);
    free(T.last_child);
    free(T.open);
    free(T.match);
    ckpt_regex_free(T.re);
    memset(&T, 0, sizeof T);
}

/* Take the node array again after nodes were made: grow the per-node
 * arrays, and link each new sibling chain (new nodes are whole child
 * lists of groups just unfolded, or the whole tree at first). */
static int sync_nodes(void)
{
    int nn = 0;
    T.nodes = ckpt_model_tree(T.m, &nn);
    if (nn > T.cap) {
        int nc = nn > 2 * T.cap ? nn : 2 * T.cap;
        int *ps = realloc(T.prev_sib, (size_t)nc * sizeof *ps);
        if (ps) T.prev_sib = ps;
        int *lc = ps ? realloc(T.last_child, (size_t)nc * sizeof *lc) : NULL;
        if (lc) T.last_child = lc;
        unsigned char *op = lc ? realloc(T.open, (size_t)nc) : NULL;
        if (!op) { app_err("out of memory for the tree"); return -1; }
        T.open = op;
        T.cap = nc;
    }
    for (int i = T.nn; i < nn; i++) {
        T.prev_sib[i] = T.last_child[i] = -1;
        T.open[i] = 0;
    }
    for (int i = T.nn; i < nn; i++) {
        int p = N(i)->parent;
        if (p < 0 || N(p)->first_child != i) continue;
        int prev = -1;
        for (int c = i; c >= 0; c = N(c)->next_sibling) {
            T.prev_sib[c] = prev;
            prev = c;
        }
        T.last_child[p] = prev;
    }
    T.nn = nn;
    return 0;
}

/* A folded group's children, made now (with all: its whole subtree) */
static void unfold(int n, int all)
{
    if (!(N(n)->flags & CKPT_NF_FOLDED) && !all) return;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt_model_unfold(T.m, n, all, &e)) app_err("%s", e.msg);
    sync_nodes();
}

static void open_node(int n)
{
    unfold(n, 0);
    /* children made but not taken (no memory for the arrays): stays shut */
    if (N(n)->first_child < T.nn) T.open[n] = 1;
}

/* n's only child (n unfolded first), or -1 */
static int only_child(int n)
{
    unfold(n, 0);
    int c = N(n)->first_child;
    return c >= 0 && N(c)->next_sibling < 0 ? c : -1;
}

void tree_attach(ckpt_model *m)
{
    tree_detach();
    T.m = m;
    if (sync_nodes()) T.nn = 0;
    if (T.nn > 0) open_node(0);
    /* open chains of single children ("model" -> "layers") */
    int n = 0, c;
    while (T.nn > 0 && (c = only_child(n)) >= 0) {
        T.open[n] = 1;
        n = c;
        if (only_child(n) >= 0) T.open[n] = 1;
    }
    T.cur = T.top = T.nn > 0 ? N(0)->first_child : -1;
}

const ckpt_node *tree_node(int n) { return T.m && n >= 0 && n < T.nn ? N(n) : NULL; }

static int has_kids(int n) { return N(n)->first_child >= 0 || (N(n)->flags & CKPT_NF_FOLDED); }

static int next_vis(int n)
{
    if (T.open[n] && N(n)->first_child >= 0) return N(n)->first_child;
    while (n > 0) {
        if (N(n)->next_sibling >= 0) return N(n)->next_sibling;
        n = N(n)->parent;
    }
    return -1;
}

static int prev_vis(int n)
{
    int p = T.prev_sib[n];
    if (p >= 0) {
        while (T.open[p] && T.last_child[p] >= 0) p = T.last_child[p];
        return p;
    }
    int par = N(n)->parent;
    return par > 0 ? par : -1;
}

static int walk(int n, int k)
{
    while (k-- > 0) {
        int x = next_vis(n);
        if (x < 0) break;
        n = x;
    }
    return n;
}

static int walk_back(int n, int k)
{
    while (k-- > 0) {
        int x = prev_vis(n);
        if (x < 0) break;
        n = x;
    }
    return n;
}

static int is_visible(int n)
{
    for (int p = N(n)->parent; p > 0; p = N(p)->parent)
        if (!T.open[p]) return 0;
    return 1;
}

/* dir: -1 moved up, 1 moved down, 0 jumped */
static void ensure_visible(int dir)
{
    if (T.cur < 0) return;
    int h = T.rows > 0 ? T.rows : 10;
    if (T.top < 0 || !is_visible(T.top)) {
        int t = T.top >= 0 ? T.top : T.cur;
        while (!is_visible(t)) t = N(t)->parent;
        T.top = t;
    }
    int n = T.top, found = 0;
    for (int i = 0; i < h && n >= 0; i++, n = next_vis(n))
        if (n == T.cur) { found = 1; break; }
    if (!found) {
        if (dir < 0) T.top = T.cur;
        else if (dir > 0) T.top = walk_back(T.cur, h - 1);
        else T.top = walk_back(T.cur, h / 3);
    }
    /* no blank rows at the bottom while rows above are hidden */
    int cnt = 0;
    for (n = T.top; n >= 0 && cnt < h; n = next_vis(n)) cnt++;
    if (cnt < h) T.top = walk_back(T.top, h - cnt);
}

void tree_jump_tensor(int t)
{
    int n = ckpt_model_tensor_node(T.m, t);   /* unfolds the groups above it */
    sync_nodes();
    if (n < 0 || n >= T.nn) return;
    for (int p = N(n)->parent; p >= 0; p = N(p)->parent) T.open[p] = 1;
    T.cur = n;
    T.list = 0;
    T.editing = 0;
    ensure_visible(0);
}

static int in_list(void) { return T.list || (T.editing && T.pat[0]); }

int tree_selected_node(void)
{
    if (in_list()) {
        if (T.fcur >= T.nmatch) return -1;
        int n = ckpt_model_tensor_node(T.m, T.match[T.fcur]);
        if (n >= T.nn) sync_nodes();   /* its groups were just made */
        return n < T.nn ? n : -1;
    }
    return T.cur;
}

int tree_selected_tensor(void)
{
    int n = tree_selected_node();
    return n >= 0 ? N(n)->tensor : -1;
}

static void open_subtree(int n)
{
    /* iterative: deep trees must not recurse */
    unfold(n, 1);
    T.open[n] = 1;
    for (int c = N(n)->first_child; c >= 0;) {
        T.open[c] = 1;
        if (N(c)->first_child >= 0) {
            c = N(c)->first_child;
            continue;
        }
        while (c >= 0 && c != n && N(c)->next_sibling < 0) c = N(c)->parent;
        if (c < 0 || c == n) break;
        c = N(c)->next_sibling;
    }
}

/* ---- filter ---- */

static int pat_is_regex(const char *p) { return strpbrk(p, "^$*+?[](){}|\\") != NULL; }

/* Smart case: case-insensitive unless the pattern has a capital; in a
 * regex the letter of an escape (\D, \W, \S, \B) is not one. */
static int pat_icase(const char *p, int is_re)
{
    for (; *p; p++) {
        if (is_re && *p == '\\' && p[1]) p++;
        else if (isupper((unsigned char)*p)) return 0;
    }
    return 1;
}

/* ASCII case-insensitive strstr for the filter's scan (glibc's strcasestr
 * sets up a two-way search per call, most of a million-name scan): `low`
 * has no capital (else the filter is case-sensitive); its first byte is
 * looked for in either case. */
static const char *icase_find(const char *s, const char *low, size_t L)
{
    static unsigned char fold[256];
    if (!fold['A']) for (int c = 0; c < 256; c++) fold[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    unsigned char a = (unsigned char)low[0], b = a >= 'a' && a <= 'z' ? (unsigned char)(a - 32) : a;
    for (; *s; s++) {
        if ((unsigned char)*s != a && (unsigned char)*s != b) continue;
        size_t k = 1;
        while (k < L && fold[(unsigned char)s[k]] == (unsigned char)low[k]) k++;
        if (k == L) return s;
    }
    return NULL;
}

/* Match position of the list's pattern in s: 1 and [*f, *t) or 0. */
static int match_at(const char *s, size_t *f, size_t *t)
{
    if (!T.last_pat[0]) return 0;
    if (T.last_re) return T.re && ckpt_regex_search(T.re, s, strlen(s), f, t) == 1;
    const char *p = T.last_icase ? icase_find(s, T.last_pat, T.last_len) : strstr(s, T.last_pat);
    if (!p) return 0;
    *f = (size_t)(p - s);
    *t = *f + T.last_len;
    return 1;
}

static void filter_update(void)
{
    int is_re = pat_is_regex(T.pat), icase = pat_icase(T.pat, is_re);
    ckpt_regex *re = NULL;
    T.is_re = is_re;
    T.re_err[0] = 0;
    if (is_re && T.pat[0]) {
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_regex_compile(T.pat, icase ? CKPT_REGEX_ICASE : 0, &re, &e)) {
            snprintf(T.re_err, sizeof T.re_err, "%.159s", e.msg);
            return; /* half-typed: the list (and its scan) stays the last pattern's */
        }
    }
    int nt = ckpt_model_ntensors(T.m);
    if (T.capmatch < nt) {
        int *nm = realloc(T.match, (size_t)(nt > 0 ? nt : 1) * sizeof(int));
        if (!nm) {
            ckpt_regex_free(re);
            app_err("out of memory for the filter");
            return;
        }
        T.match = nm;
        T.capmatch = nt;
    }
    /* a longer substring only narrows: rescan just the previous matches,
     * with what an unfinished scan had not reached yet (a shorter one, or
     * another case rule, cannot contain the last: a full scan) */
    int narrow = !is_re && !T.last_re && T.last_pat[0] && icase == T.last_icase &&
                 (icase ? strcasestr(T.pat, T.last_pat) : strstr(T.pat, T.last_pat)) != NULL;
    int n = 0;
    if (narrow) {
        n = T.nmatch;
        if (T.scanning && T.scan_list) {
            memmove(T.match + n, T.match + T.scan_pos, (size_t)(T.scan_end - T.scan_pos) * sizeof(int));
            n += T.scan_end - T.scan_pos;
        } else if (T.scanning) {
            for (int i = T.scan_pos; i < T.scan_end; i++) T.match[n++] = i;
        }
    }
    T.scanning = T.pat[0] != 0;
    T.scan_list = narrow;
    T.scan_pos = 0;
    T.scan_end = narrow ? n : nt;
    T.nmatch = 0;
    snprintf(T.last_pat, sizeof T.last_pat, "%s", T.pat);
    T.last_len = strlen(T.last_pat);
    T.last_re = is_re;
    T.last_icase = icase;
    ckpt_regex_free(T.re);
    T.re = re;
    T.fcur = T.ftop = 0;
    tree_filter_step();   /* the first slice now: the frame after the key shows matches */
}

/* Scan on for about FILTER_SLICE_S, or until a key waits; the main loop
 * calls this between keys while tree_filter_pending(), so a keystroke on a
 * million names costs about one slice (its own first) and the list fills
 * in behind it. The clock is read every 256 names of a substring and
 * after every name of a regex (one that backtracks hard can take
 * milliseconds a name), the terminal every 256 names or half a
 * millisecond. Returns 1 when the matches changed. */
#define FILTER_SLICE_S 0.004
int tree_filter_step(void)
{
    if (!T.scanning) return 0;
    double t0 = now_sec(), looked = t0;
    size_t f, t;
    int k = T.nmatch, i = T.scan_pos, every = T.last_re ? 1 : 256, looked_i = i;
    while (i < T.scan_end) {
        int stop = i + every < T.scan_end ? i + every : T.scan_end;
        for (; i < stop; i++) {
            int ti = T.scan_list ? T.match[i] : i;
            if (match_at(ckpt_model_tensor(T.m, ti)->name, &f, &t)) T.match[k++] = ti;
        }
        double now = now_sec();
        if (now - t0 > FILTER_SLICE_S) break;
        if (i - looked_i >= 256 || now - looked > 0.0005) {
            if (tui_key_waiting()) break;
            looked = now;
            looked_i = i;
        }
    }
    T.nmatch = k;
    T.scan_pos = i;
    if (i >= T.scan_end) T.scanning = 0;
    return 1;
}

int tree_filter_pending(void) { return T.scanning; }

static void filter_clear(void)
{
    T.scanning = 0;
    T.pat[0] = 0;
    T.last_pat[0] = 0;
    T.nmatch = 0;
    T.list = 0;
    T.editing = 0;
    ckpt_regex_free(T.re);
    T.re = NULL;
}

static void next_match(int dir)
{
    if (!T.pat[0] || T.nmatch == 0) {
        app_msg(T.pat[0] ? "no match for '%s'" : "no filter: press / first", T.pat);
        return;
    }
    int t = tree_selected_tensor();
    int pick = -1;
    if (dir > 0) {
        int lo = 0, hi = T.nmatch; /* first match > t */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (T.match[mid] > t) hi = mid;
            else lo = mid + 1;
        }
        pick = lo < T.nmatch ? lo : 0;
    } else {
        int lo = 0, hi = T.nmatch; /* first match >= t, then one before */
        int tt = t < 0 ? 0 : t;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (T.match[mid] >= tt) hi = mid;
            else lo = mid + 1;
        }
        pick = lo > 0 ? lo - 1 : T.nmatch - 1;
    }
    tree_jump_tensor(T.match[pick]);
    app_msg("match %d of %d", pick + 1, T.nmatch);
}

/* ---- drawing ---- */

static void draw_node_row(int y, int x, int w, int n, int sel)
{
    const ckpt_node *nd = N(n);
    attr_t base = sel ? theme_attr(T.focus == 0 ? T_CURSOR : T_CURSOR_IDLE) : theme_attr(T_NORMAL);
    if (sel) draw_fill(y, x, w, base);
    /* connectors: one column pair per ancestor level below the top */
    char pre[512];
    size_t pl = 0;
    int d = nd->depth;
    if (d >= 2) {
        int anc[64], na = 0;
        for (int p = nd->parent; p > 0 && na < 64; p = N(p)->parent) anc[na++] = p;
        /* anc[na-1] is depth 1; we need levels 1 .. d-1 in order */
        for (int i = na - 1; i >= 0 && pl + 8 < sizeof pre; i--) {
            /* the top level has no connectors: its column sits under the expander */
            const char *g = i == na - 1 ? "  " : N(anc[i])->next_sibling >= 0 ? G->vert : "  ";
            pl += (size_t)snprintf(pre + pl, sizeof pre - pl, "%s", g);
        }
        (void)d;
        if (pl + 8 < sizeof pre)
            pl += (size_t)snprintf(pre + pl, sizeof pre - pl, "%s", nd->next_sibling >= 0 ? G->tee : G->ell);
    }
    pre[pl] = 0;
    int used = draw_text(y, x, pre, w, sel ? base : theme_attr(T_TREE_LINE), CLIP_LEFT);
    /* right part */
    char right[160] = "";
    attr_t ra = theme_attr(T_NUMBER);
    if (nd->tensor >= 0) {
        const ckpt_tensor *t = ckpt_model_tensor(T.m, nd->tensor);
        char sh[128];
        ckpt_shape_str(t, sh, sizeof sh);
        snprintf(right, sizeof right, "%s %s", ckpt_dtype_name(t->dtype), sh);
        ra = theme_attr(T_SHAPE);
    } else {
        char a[32], b[32];
        snprintf(right, sizeof right, "%s %9s", fmt_count(nd->nparams, a, sizeof a), fmt_bytes(nd->nbytes, b, sizeof b));
    }
    int rw = text_width(right);
    if (rw > w / 2) rw = w / 2;
    int namew = w - used - rw - 1;
    if (nd->tensor < 0) {
        /* a layer without weights (InputLayer, Activation) has nothing to expand */
        const char *ex = !has_kids(n) ? G->leaf : T.open[n] ? G->open : G->closed;
        used += draw_text(y, x + used, ex, namew, sel ? base : theme_attr(T_TREE_LINE), CLIP_RIGHT);
        namew = w - used - rw - 1;
    } else if (d < 2) {
        used += draw_text(y, x + used, G->leaf, namew, base, CLIP_RIGHT);
        namew = w - used - rw - 1;
    }
    int flagged = (nd->flags & CKPT_NF_FLAGGED) ||
                  (nd->tensor >= 0 && (ckpt_model_tensor(T.m, nd->tensor)->flags & CKPT_TF_FLAGGED));
    attr_t na = sel ? base : flagged ? theme_attr(T_FLAGGED) : nd->tensor >= 0 ? theme_attr(T_TENSOR) : theme_attr(T_GROUP);
    char name[512];
    if (nd->kind && nd->tensor < 0) snprintf(name, sizeof name, "%s%s", nd->name, flagged ? " !" : "");
    else snprintf(name, sizeof name, "%s%s", nd->name, flagged ? " !" : "");
    int nw = draw_text(y, x + used, name, namew, na, CLIP_RIGHT);
    if (nd->kind && nd->tensor < 0 && namew - nw > 4) {
        char k[160];
        snprintf(k, sizeof k, " %s", nd->kind);
        draw_text(y, x + used + nw, k, namew - nw, sel ? base : theme_attr(T_DIM), CLIP_RIGHT);
    }
    if (rw > 0) {
        if (nd->tensor >= 0) {
            const ckpt_tensor *t = ckpt_model_tensor(T.m, nd->tensor);
            const char *dn = ckpt_dtype_name(t->dtype);
            int dw = (int)strlen(dn);
            int rx = x + w - rw;
            draw_text(y, rx, dn, rw, sel ? base : theme_attr(T_DTYPE), CLIP_RIGHT);
            if (rw > dw + 1) draw_text(y, rx + dw + 1, right + dw + 1, rw - dw - 1, sel ? base : ra, CLIP_LEFT);
        } else {
            draw_text(y, x + w - rw, right, rw, sel ? base : ra, CLIP_LEFT);
        }
    }
}

static void draw_list_row(int y, int x, int w, int i, int sel)
{
    int ti = T.match[i];
    const ckpt_tensor *t = ckpt_model_tensor(T.m, ti);
    attr_t base = sel ? theme_attr(T.focus == 0 ? T_CURSOR : T_CURSOR_IDLE) : theme_attr(T_TENSOR);
    if (sel) draw_fill(y, x, w, base);
    char sh[128], right[160];
    ckpt_shape_str(t, sh, sizeof sh);
    snprintf(right, sizeof right, "%s %s", ckpt_dtype_name(t->dtype), sh);
    int rw = text_width(right);
    if (rw > w / 2) rw = w / 2;
    size_t f = 0, to = 0;
    if (!match_at(t->name, &f, &to)) f = to = 0;
    draw_text_hl(y, x + 1, t->name, w - rw - 2, base, f, to, theme_attr(T_MATCH));
    draw_text(y, x + w - rw, right, rw, sel ? base : theme_attr(T_SHAPE), CLIP_LEFT);
}

static void draw_prompt(void)
{
    int y = LINES - 1;
    attr_t a = theme_attr(T_NORMAL);
    draw_fill(y, 0, COLS, a);
    char info[240];
    char scan[48] = "";
    if (T.scanning) /* the list so far is every match in the part scanned */
        snprintf(scan, sizeof scan, ", filtering %d%%", (int)(100.0 * T.scan_pos / (T.scan_end > 0 ? T.scan_end : 1)));
    if (T.re_err[0]) snprintf(info, sizeof info, "  regex: %s", T.re_err);
    else snprintf(info, sizeof info, "  %d match%s%s%s", T.nmatch, T.nmatch == 1 ? "" : "es",
                  T.is_re ? " (regex)" : "", scan);
    int iw = text_width(info);
    int x = draw_text(y, 0, "/", COLS, theme_attr(T_TITLE), CLIP_RIGHT);
    int pw = COLS - x - iw - 1;
    x += draw_text(y, x, T.pat, pw, theme_attr(T_FIELD_FOCUS), CLIP_LEFT);
    if (x < COLS - iw) draw_text(y, x, "_", 1, theme_attr(T_FIELD_FOCUS) | A_BLINK, CLIP_RIGHT);
    draw_text(y, COLS - iw, info, iw, theme_attr(T.re_err[0] ? T_ERROR : T_DIM), CLIP_RIGHT);
}

void model_draw(void)
{
    draw_header();
    int top = 1, h = LINES - 2;
    int lw = COLS * 3 / 5;
    if (COLS < 90) lw = COLS - 34;
    if (lw < 30) lw = COLS;
    T.rows = h - 1;
    /* pane title */
    char title[400];
    if (in_list())
        snprintf(title, sizeof title, "Filter '%s': %d of %d tensors", T.last_pat[0] ? T.last_pat : T.pat, T.nmatch,
                 ckpt_model_ntensors(T.m));
    else snprintf(title, sizeof title, "Layers");
    draw_text(top, 1, title, lw - 2, theme_attr(T_TITLE), CLIP_RIGHT);
    if (!in_list() && lw >= 40) /* over the groups' two number columns */
        draw_text(top, lw - 16, "params     bytes", 16, theme_attr(T_DIM), CLIP_RIGHT);
    int y0 = top + 1, rows = T.rows;
    if (in_list()) {
        if (T.fcur >= T.nmatch) T.fcur = T.nmatch > 0 ? T.nmatch - 1 : 0;
        if (T.fcur < T.ftop) T.ftop = T.fcur;
        if (T.fcur >= T.ftop + rows) T.ftop = T.fcur - rows + 1;
        for (int r = 0; r < rows && T.ftop + r < T.nmatch; r++)
            draw_list_row(y0 + r, 0, lw, T.ftop + r, T.ftop + r == T.fcur);
        if (T.nmatch == 0) draw_text(y0, 2, "(no match)", lw - 4, theme_attr(T_DIM), CLIP_RIGHT);
    } else if (T.cur < 0) {
        draw_text(y0, 2, "(no tensors)", lw - 4, theme_attr(T_DIM), CLIP_RIGHT);
    } else {
        ensure_visible(0);
        int n = T.top;
        for (int r = 0; r < rows && n >= 0; r++, n = next_vis(n)) draw_node_row(y0 + r, 0, lw, n, n == T.cur);
    }
    int dnode = T.info ? -1 : tree_selected_node();
    if (lw < COLS) {
        draw_vline(top, lw, h, theme_attr(T_BORDER));
        tensor_detail_draw(top, lw + 2, h, COLS - lw - 3, dnode, T.focus == 1);
    } else if (T.focus == 1 || T.info) {
        /* too narrow for two panes: the detail takes the screen (Tab returns) */
        for (int r = top; r < top + h; r++) draw_fill(r, 0, COLS, theme_attr(T_NORMAL));
        tensor_detail_draw(top, 1, h, COLS - 2, dnode, T.focus == 1);
    }
    if (T.editing) {
        draw_prompt();
        return;
    }
    static const char *const hints[] = {"?", "help", "/", "filter", "s", "stats", "d", "mismatches", "m", "remap",
                                        "c", "convert", "i", "info", "t", "theme", "q", "back", NULL};
    draw_hints(hints);
}

/* ---- mouse ---- */

int model_click(int y, int x)
{
    int lw = COLS * 3 / 5;
    if (COLS < 90) lw = COLS - 34;
    if (lw < 30) lw = COLS;
    int r = y - 2;
    if (r < 0 || r >= T.rows || T.editing) return 0;
    if (x > lw) { /* the detail pane */
        T.focus = 1;
        return 1;
    }
    T.focus = 0;
    if (in_list()) {
        if (T.ftop + r >= T.nmatch) return 0;
        T.fcur = T.ftop + r;
        return 1;
    }
    if (T.top < 0) return 0;
    int n = walk(T.top, r);
    /* walk stops at the last row: a click below it hits nothing */
    int k = 0;
    for (int m = T.top; m >= 0 && m != n; m = next_vis(m)) k++;
    if (k != r) return 0;
    T.cur = n;
    return 1;
}

/* ---- keys ---- */

static int filter_edit_key(int key)
{
    size_t L = strlen(T.pat);
    if (key == KEY_ESC) {
        filter_clear();
        return R_REDRAW;
    }
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        T.editing = 0;
        T.list = T.pat[0] != 0;
        return R_REDRAW;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (L) {
            /* drop a whole UTF-8 character */
            do L--;
            while (L > 0 && ((unsigned char)T.pat[L] & 0xC0) == 0x80);
            T.pat[L] = 0;
            filter_update();
        }
        return R_REDRAW;
    }
    if (key == KEY_CTRL('u')) {
        T.pat[0] = 0;
        filter_update();
        return R_REDRAW;
    }
    if (key == KEY_DOWN) { if (T.fcur < T.nmatch - 1) T.fcur++; return R_REDRAW; }
    if (key == KEY_UP) { if (T.fcur > 0) T.fcur--; return R_REDRAW; }
    if (key >= 32 && key < 256 && key != 127 && L + 1 < sizeof T.pat) {
        T.pat[L] = (char)key;
        T.pat[L + 1] = 0;
        filter_update();
    }
    return R_REDRAW;
}

static int list_key(int key, action a)
{
    int rows = T.rows > 0 ? T.rows : 1;
    switch (a) {
    case ACT_MOVE_UP: if (T.fcur > 0) T.fcur--; return R_REDRAW;
    case ACT_MOVE_DOWN: if (T.fcur < T.nmatch - 1) T.fcur++; return R_REDRAW;
    case ACT_PAGE_UP: T.fcur -= rows; if (T.fcur < 0) T.fcur = 0; return R_REDRAW;
    case ACT_PAGE_DOWN: T.fcur += rows; if (T.fcur >= T.nmatch) T.fcur = T.nmatch - 1; if (T.fcur < 0) T.fcur = 0; return R_REDRAW;
    case ACT_FIRST: T.fcur = 0; return R_REDRAW;
    case ACT_LAST: T.fcur = T.nmatch > 0 ? T.nmatch - 1 : 0; return R_REDRAW;
    case ACT_OPEN:
    case ACT_EXPAND:
        if (T.fcur < T.nmatch) tree_jump_tensor(T.match[T.fcur]);
        return R_REDRAW;
    case ACT_BACK:
        filter_clear();
        return R_REDRAW;
    case ACT_NEXT_MATCH: if (T.fcur < T.nmatch - 1) T.fcur++; return R_REDRAW;
    case ACT_PREV_MATCH: if (T.fcur > 0) T.fcur--; return R_REDRAW;
    default: return -1; /* not a list key */
    }
    (void)key;
}

static int tree_move_key(action a)
{
    int rows = T.rows > 0 ? T.rows : 1;
    if (T.cur < 0) return R_NONE;
    const ckpt_node *nd = N(T.cur);
    int n;
    switch (a) {
    case ACT_MOVE_UP:
        if ((n = prev_vis(T.cur)) >= 0) T.cur = n;
        ensure_visible(-1);
        break;
    case ACT_MOVE_DOWN:
        if ((n = next_vis(T.cur)) >= 0) T.cur = n;
        ensure_visible(1);
        break;
    case ACT_PAGE_UP:
        T.cur = walk_back(T.cur, rows - 1);
        T.top = walk_back(T.top, rows - 1);
        ensure_visible(-1);
        break;
    case ACT_PAGE_DOWN:
        T.cur = walk(T.cur, rows - 1);
        T.top = walk(T.top, rows - 1);
        ensure_visible(1);
        break;
    case ACT_FIRST:
        T.cur = T.top = N(0)->first_child;
        break;
    case ACT_LAST:
        n = T.last_child[0];
        while (n >= 0 && T.open[n] && T.last_child[n] >= 0) n = T.last_child[n];
        if (n >= 0) T.cur = n;
        ensure_visible(1);
        break;
    case ACT_COLLAPSE:
        if (has_kids(T.cur) && T.open[T.cur]) T.open[T.cur] = 0;
        else if (nd->parent > 0) T.cur = nd->parent;
        ensure_visible(-1);
        break;
    case ACT_EXPAND:
        if (has_kids(T.cur)) {
            if (!T.open[T.cur]) open_node(T.cur);
            else T.cur = N(T.cur)->first_child;
        }
        ensure_visible(1);
        break;
    case ACT_OPEN:
        if (has_kids(T.cur) && T.open[T.cur]) T.open[T.cur] = 0;
        else if (has_kids(T.cur)) open_node(T.cur);
        else T.focus = 1;
        ensure_visible(0);
        break;
    case ACT_EXPAND_ALL:
        if (has_kids(T.cur)) open_subtree(T.cur);
        break;
    case ACT_COLLAPSE_ALL:
        memset(T.open, 0, (size_t)T.nn);
        T.open[0] = 1;
        while (N(T.cur)->parent > 0) T.cur = N(T.cur)->parent;
        T.top = N(0)->first_child;
        ensure_visible(0);
        break;
    default: return R_NONE;
    }
    return R_REDRAW;
}

int model_key(int key)
{
    if (T.editing) return filter_edit_key(key);
    action a = keys_action(key);
    if (T.focus == 1 && a != ACT_SWITCH_PANE && tensor_detail_key(key)) return R_REDRAW;
    if (T.list) {
        int r = list_key(key, a);
        if (r >= 0) return r;
    }
    switch (a) {
    case ACT_FILTER:
        T.editing = 1;
        T.focus = 0;
        if (!T.list) { /* a fresh filter */
            T.pat[0] = 0;
            T.last_pat[0] = 0;
            T.nmatch = 0;
            T.scanning = 0;
        }
        return R_REDRAW;
    case ACT_NEXT_MATCH: next_match(1); return R_REDRAW;
    case ACT_PREV_MATCH: next_match(-1); return R_REDRAW;
    case ACT_SWITCH_PANE: T.focus = !T.focus; return R_REDRAW;
    case ACT_STATS: {
        int t = tree_selected_tensor();
        int n = tree_selected_node();
        /* a group holding one tensor (gguf "token_embd", a bias-less layer): that tensor */
        if (t < 0 && n >= 0 && N(n)->ntensors == 1) {
            int c = n;
            while (c >= 0 && N(c)->tensor < 0) {
                unfold(c, 0);
                int k = N(c)->first_child;
                while (k >= 0 && N(k)->ntensors == 0) k = N(k)->next_sibling;
                c = k;
            }
            if (c >= 0) {
                t = N(c)->tensor;
                tree_jump_tensor(t); /* show it: the statistics are the tensor's */
            }
        }
        if (t < 0) app_msg("select a tensor to compute its statistics");
        else {
            if (T.info) T.info = 0;
            tensor_stats_request(t);
        }
        return R_REDRAW;
    }
    case ACT_INFO: T.info = !T.info; return R_REDRAW;
    case ACT_MISMATCHES: check_open(); return R_REDRAW;
    case ACT_REMAP: remap_open(); return R_REDRAW;
    case ACT_CONVERT: convert_open(); return R_REDRAW;
    case ACT_THEME: tui_next_theme(); return R_REDRAW;
    case ACT_HELP: A.help = 1; A.help_top = 0; return R_REDRAW;
    case ACT_REFRESH: return R_REDRAW | R_CLEAR;
    case ACT_BACK:
        if (T.focus == 1) {
            T.focus = 0;
            return R_REDRAW;
        }
        if (key == KEY_ESC) {
            if (job_busy()) job_cancel();
            return R_REDRAW;
        }
        if (A.have_browser) {
            app_close_model();
            A.screen = SCR_BROWSER;
            browser_refresh(); /* a conversion may have written into it */
            return R_REDRAW;
        }
        return R_QUIT;
    case ACT_QUIT: return R_QUIT;
    default: break;
    }
    if (T.focus == 1) return R_NONE;
    int r = tree_move_key(a);
    if (r != R_NONE) T.info = 0; /* moving shows the new selection again */
    return r;
}
