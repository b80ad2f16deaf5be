/* view_tensor.c: the detail pane: the selected tensor (name, dtype, shape,
 * bytes, file and offset) or group (path, counts), and its statistics,
 * computed on demand in the background (tui.c's job) with a spinner. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "keys.h"
#include "shown.h"

static struct {
    ckpt_stats **cache;   /* per tensor, allocated on first use */
    int ncache;
    int scroll;
} D;

void tensor_stats_reset(void)
{
    for (int i = 0; i < D.ncache; i++) free(D.cache[i]);
    free(D.cache);
    memset(&D, 0, sizeof D);
}

void tensor_stats_deliver(int t, const ckpt_stats *s)
{
    if (!A.m) return;
    int nt = ckpt_model_ntensors(A.m);
    if (t < 0 || t >= nt) return;
    if (!D.cache) {
        D.cache = calloc((size_t)nt, sizeof *D.cache);
        if (!D.cache) return;
        D.ncache = nt;
    }
    if (!D.cache[t]) D.cache[t] = malloc(sizeof **D.cache);
    if (D.cache[t]) *D.cache[t] = *s;
}

void tensor_stats_request(int t)
{
    if (D.cache && t < D.ncache && D.cache[t]) return; /* already known */
    if (job_busy()) {
        app_err("busy: wait for the running task or press Esc to cancel it");
        return;
    }
    job_start_stats(t);
}

int tensor_detail_key(int key)
{
    switch (keys_action(key)) {
    case ACT_MOVE_UP: if (D.scroll > 0) D.scroll--; return 1;
    case ACT_MOVE_DOWN: D.scroll++; return 1;
    case ACT_PAGE_UP: D.scroll -= 10; if (D.scroll < 0) D.scroll = 0; return 1;
    case ACT_PAGE_DOWN: D.scroll += 10; return 1;
    case ACT_FIRST: D.scroll = 0; return 1;
    default: return 0;
    }
}

/* A line list drawn with a scroll offset. */
typedef struct dl {
    int y, x, h, w, row;
    int kw;               /* key column width, 0 = 10 */
} dl;

/* Draw lines [first, first + n) of the block that starts at list row
 * `row0`, clipped to the pane: s wrapped at w columns from column x. */
static void block_wrapped(dl *d, int row0, int x, int w, int n, const char *s, attr_t a)
{
    int r0 = row0 - D.scroll; /* pane row of the block's first line */
    int k = r0 < 0 ? -r0 : 0; /* lines hidden above */
    int h = n - k;
    if (r0 + k + h > d->h) h = d->h - (r0 + k);
    if (h <= 0) return;
    draw_text_wrap(d->y + r0 + k, x, h, w, text_wrap_skip(s, w, k), a);
}

/* key  value; a value too long wraps (up to 3 lines), a key too long
 * (GGUF metadata "llama.attention.head_count") takes its own line with
 * the value indented below it. Rows are counted whether drawn or not, so
 * scrolling moves everything alike. */
static void line_kv(dl *d, const char *k, const char *v, theme_elem ve)
{
    int kw = d->kw > 0 ? d->kw : 10;
    if (text_width(k) > kw) {
        int r = d->row++ - D.scroll;
        if (r >= 0 && r < d->h) draw_text(d->y + r, d->x, k, d->w, theme_attr(T_LABEL), CLIP_LEFT);
        int n = text_lines(v, d->w - 2);
        if (n > 3) n = 3;
        block_wrapped(d, d->row, d->x + 2, d->w - 2, n, v, theme_attr(ve));
        d->row += n;
        return;
    }
    int vw = d->w - kw - 1;
    int n = text_lines(v, vw);
    if (n > 3) n = 3;
    int r = d->row - D.scroll;
    if (r >= 0 && r < d->h) draw_text(d->y + r, d->x, k, kw, theme_attr(T_LABEL), CLIP_RIGHT);
    block_wrapped(d, d->row, d->x + kw + 1, vw, n, v, theme_attr(ve));
    d->row += n;
}

static void line_text(dl *d, const char *s, theme_elem e)
{
    int r = d->row++ - D.scroll;
    if (r < 0 || r >= d->h) return;
    draw_text(d->y + r, d->x, s, d->w, theme_attr(e), CLIP_RIGHT);
}

/* Long names wrap over several lines. */
static void line_wrapped(dl *d, const char *s, theme_elem e)
{
    size_t L = strlen(s), w = d->w > 4 ? (size_t)d->w : 4;
    for (size_t off = 0; off < L || off == 0; off += w) {
        char buf[512];
        size_t k = L - off < w ? L - off : w;
        if (k >= sizeof buf) k = sizeof buf - 1;
        memcpy(buf, s + off, k);
        buf[k] = 0;
        line_text(d, buf, e);
        if (d->row - D.scroll > d->h || L == 0) break;
    }
}

static const char *num(double v, char *b, size_t n)
{
    if (isnan(v)) snprintf(b, n, "-");
    else snprintf(b, n, "%.6g", v);
    return b;
}

static void draw_histogram(dl *d, const ckpt_stats *s)
{
    int nb = CKPT_STATS_BINS, group = 1;
    while (nb / group > d->w - 1 && group < nb) group *= 2;
    int cols = nb / group;
    uint64_t v[CKPT_STATS_BINS] = {0}, mx = 0;
    for (int i = 0; i < nb; i++) v[i / group] += s->hist[i];
    for (int i = 0; i < cols; i++)
        if (v[i] > mx) mx = v[i];
    /* 4 rows, fewer when the pane ends sooner (80x24): the scale line stays visible */
    int H = d->h - (d->row - D.scroll) - 1;
    if (H > 4) H = 4;
    if (H < 2) H = 2;
    for (int row = 0; row < H; row++) {
        int r = d->row++ - D.scroll;
        if (r < 0 || r >= d->h) continue;
        for (int c = 0; c < cols; c++) {
            /* eighths filled in this row, from the bottom */
            double frac = mx ? (double)v[c] / (double)mx : 0;
            int eighths = (int)(frac * H * 8 + 0.5);
            if (v[c] && eighths == 0) eighths = 1;
            int here = eighths - (H - 1 - row) * 8;
            if (here < 0) here = 0;
            if (here > 8) here = 8;
            draw_text(d->y + r, d->x + c, G->blocks[here], 1, theme_attr(T_HISTOGRAM), CLIP_RIGHT);
        }
    }
    /* the range under the bars: lo at the left, hi at the right edge (or
     * after lo when the bars are narrower than both) */
    char lo[32], hi[32], line[128];
    snprintf(lo, sizeof lo, "%.4g", s->hist_lo);
    snprintf(hi, sizeof hi, "%.4g", s->hist_hi);
    int gap = cols - (int)strlen(lo) - (int)strlen(hi);
    if (gap < 1) gap = 1;
    snprintf(line, sizeof line, "%s%*s%s", lo, gap, "", hi);
    line_text(d, line, T_DIM);
}

static void stats_section(dl *d, int t)
{
    line_text(d, "", T_NORMAL);
    line_text(d, "Statistics", T_TITLE);
    const ckpt_stats *s = D.cache && t < D.ncache ? D.cache[t] : NULL;
    char b[64], c[64];
    if (!s) {
        if (A.job.running && A.job.kind == JOB_STATS && A.job.tensor == t) {
            pthread_mutex_lock(&A.job.mu);
            uint64_t done = A.job.bytes_done, tot = A.job.bytes_total;
            pthread_mutex_unlock(&A.job.mu);
            char line[128];
            snprintf(line, sizeof line, "%s computing %3.0f%%  (Esc cancels)", G->spin[A.spin % G->nspin],
                     tot ? 100.0 * (double)done / (double)tot : 0.0);
            line_text(d, line, T_VALUE);
        } else {
            line_text(d, "press s to compute", T_DIM);
        }
        return;
    }
    line_kv(d, "min", num(s->min, b, sizeof b), T_NUMBER);
    line_kv(d, "max", num(s->max, b, sizeof b), T_NUMBER);
    line_kv(d, "mean", num(s->mean, b, sizeof b), T_NUMBER);
    line_kv(d, "std", num(s->std, b, sizeof b), T_NUMBER);
    double pz = s->count ? 100.0 * (double)s->zeros / (double)s->count : 0;
    snprintf(c, sizeof c, "%s (%.1f%%)", fmt_count_full(s->zeros, b, sizeof b), pz);
    line_kv(d, "zeros", c, T_NUMBER);
    line_kv(d, "NaN", fmt_count_full(s->nans, b, sizeof b), s->nans ? T_FLAGGED : T_NUMBER);
    line_kv(d, "Inf", fmt_count_full(s->infs, b, sizeof b), s->infs ? T_FLAGGED : T_NUMBER);
    if (s->finite) {
        line_text(d, "", T_NORMAL);
        draw_histogram(d, s);
    }
}

static void tensor_section(dl *d, int ti)
{
    const ckpt_tensor *t = ckpt_model_tensor(A.m, ti);
    char b[256], c[64];
    line_text(d, "Tensor", T_TITLE);
    line_wrapped(d, t->name, T_VALUE);
    if (t->src_name && strcmp(t->src_name, t->name)) {
        line_text(d, "stored as", T_LABEL);
        line_wrapped(d, t->src_name, T_NORMAL);
    }
    line_kv(d, "dtype", ckpt_dtype_name(t->dtype), T_DTYPE);
    line_kv(d, "shape", ckpt_shape_str(t, b, sizeof b), T_SHAPE);
    line_kv(d, "elements", fmt_count_full(t->nelems, b, sizeof b), T_NUMBER);
    snprintf(b, sizeof b, "%s (%s)", fmt_bytes(t->nbytes, c, sizeof c), fmt_count_full(t->nbytes, c + 32, 32));
    line_kv(d, "bytes", b, T_NUMBER);
    uint64_t fsz = 0;
    const char *f = ckpt_model_file(A.m, t->file, &fsz);
    if (f) {
        const char *base = strrchr(f, '/');
        line_kv(d, "file", base ? base + 1 : f, T_NORMAL);
    }
    if (t->offset != CKPT_NO_OFFSET) {
        snprintf(b, sizeof b, "%llu", (unsigned long long)t->offset);
        line_kv(d, "offset", b, T_NUMBER);
    } else line_kv(d, "offset", "not contiguous", T_DIM);
    if (t->flags) {
        snprintf(b, sizeof b, "%s%s%s", t->flags & CKPT_TF_OPTIMIZER ? "optimizer " : "",
                 t->flags & CKPT_TF_NONTRAINABLE ? "non-trainable " : "",
                 t->flags & CKPT_TF_FLAGGED ? "flagged (see d)" : "");
        line_kv(d, "flags", b, t->flags & CKPT_TF_FLAGGED ? T_FLAGGED : T_NORMAL);
    }
    stats_section(d, ti);
}

static void group_section(dl *d, int n)
{
    const ckpt_node *nd = tree_node(n);
    char b[64];
    line_text(d, nd->kind ? "Layer" : "Group", T_TITLE);
    line_wrapped(d, nd->path && *nd->path ? nd->path : nd->name, T_VALUE);
    if (nd->kind) line_kv(d, "class", nd->kind, T_NORMAL);
    if (nd->flags & CKPT_NF_MODEL) line_kv(d, "kind", "nested model", T_NORMAL);
    if (nd->alt_name) line_kv(d, "alt name", nd->alt_name, T_NORMAL);
    line_kv(d, "tensors", fmt_count_full((uint64_t)nd->ntensors, b, sizeof b), T_NUMBER);
    line_kv(d, "params", fmt_count_full(nd->nparams, b, sizeof b), T_NUMBER);
    line_kv(d, "bytes", fmt_bytes(nd->nbytes, b, sizeof b), T_NUMBER);
    if (nd->flags & CKPT_NF_UNKNOWN) line_kv(d, "note", "layer class unknown to ckpt", T_FLAGGED);
    if (nd->flags & CKPT_NF_FLAGGED) line_kv(d, "note", "flagged: see mismatches (d)", T_FLAGGED);
}

static void model_section(dl *d)
{
    char b[64];
    /* the key column fits the facts' keys, within a cap (below) */
    int kw = 10;
    for (int i = 0; i < ckpt_model_nfacts(A.m); i++) {
        const char *k, *v;
        ckpt_model_fact(A.m, i, &k, &v);
        if (text_width(k) > kw) kw = text_width(k);
    }
    /* values need the room more than keys: longer keys take their own line */
    int cap = d->w < 50 ? 12 : d->w / 3;
    if (kw > cap) kw = cap;
    d->kw = kw;
    line_text(d, "Model", T_TITLE);
    line_wrapped(d, ckpt_model_path(A.m), T_VALUE);
    line_kv(d, "format", ckpt_model_format(A.m), T_FORMAT);
    int nf = ckpt_model_nfiles(A.m);
    line_kv(d, "files", fmt_count_full((uint64_t)nf, b, sizeof b), T_NUMBER);
    line_kv(d, "tensors", fmt_count_full((uint64_t)A.nt_weights, b, sizeof b), T_NUMBER);
    if (A.nt_opt) line_kv(d, "optimizer", fmt_count_full((uint64_t)A.nt_opt, b, sizeof b), T_NUMBER);
    line_kv(d, "params", fmt_count_full(ckpt_model_nparams(A.m), b, sizeof b), T_NUMBER);
    line_kv(d, "bytes", fmt_bytes(ckpt_model_nbytes(A.m), b, sizeof b), T_NUMBER);
    for (int i = 0; i < ckpt_model_nfacts(A.m); i++) {
        const char *k, *v;
        ckpt_model_fact(A.m, i, &k, &v);
        char *sv = shown_value(v, 1024);
        line_kv(d, k, sv ? sv : "", T_NORMAL);
        free(sv);
    }
    if (ckpt_model_nmeta(A.m)) line_text(d, "metadata", T_TITLE);
    for (int i = 0; i < ckpt_model_nmeta(A.m); i++) {
        const char *k, *v;
        ckpt_model_meta(A.m, i, &k, &v);
        char *sv = shown_value(v, 1024);   /* line_kv shows up to 3 lines of it */
        line_kv(d, k, sv ? sv : "", T_NORMAL);
        free(sv);
    }
}

void tensor_detail_draw(int y, int x, int h, int w, int node, int focused)
{
    static int last_node = -2;
    if (node != last_node) D.scroll = 0;
    last_node = node;
    if (!A.m || w < 8) return;
    dl d = {y, x, h, w, 0, 0};
    const ckpt_node *nd = tree_node(node);
    if (!nd) model_section(&d);
    else {
        if (nd->tensor >= 0) tensor_section(&d, nd->tensor);
        else group_section(&d, node);
    }
    if (D.scroll > 0 && D.scroll >= d.row) D.scroll = d.row > 0 ? d.row - 1 : 0;
    if (focused) draw_text(y, x + w - 1, "*", 1, theme_attr(T_TITLE), CLIP_RIGHT);
}
