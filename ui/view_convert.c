/* view_convert.c: the convert dialog: output format (only those that can
 * be written from this model), output path, naming, dtype, shard size,
 * optimizer state, packaging (one zip with labels and a model type) and
 * writer options; Enter starts the conversion in the background and shows
 * the progress screen.
 *
 * What fits the model (formats, naming schemes, file endings) comes from
 * the engine (ckpt_format_can_write, ckpt_model_namings, ckpt_format_exts);
 * the dialog only lays it out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "ckpt/remap.h"
#include "draw.h"
#include "keys.h"

enum {
    F_FORMAT, F_OUT, F_NAMING, F_CAST, F_SHARD, F_OPTIM, F_PACKAGE, F_LABELS, F_MTYPE, F_OPTIONS, F_REMAP, F_GO,
    F_COUNT
};

static const char *const casts[] = {"keep", "F32", "F16", "BF16", "F64"};
#define NCASTS 5
static const char *const mtypes[] = {"auto", "image_classifier", "sound_classifier", "text_classifier"};
#define NMTYPES 4

static struct {
    int fmts[64], nfmt, fi;     /* writable format indices, chosen one */
    char out[1024], shard[32], options[256], labels[512];
    char namings[8][32];        /* "default" then the model's schemes */
    int nnaming, naming;
    int cast, use_remap, optim, package, mtype;
    int field;
    int ftop;                   /* first field row shown (short terminals) */
    int confirm;                /* Enter again to go ahead (overwrite, odd name) */
    char not_offered[512];      /* writable formats this model cannot go to, and why */
    int no_fmt[64], nno;        /* the same, one entry each, for the `w` list */
    char no_why[64][256];
    int whynot;                 /* the `w` list is open */
    int why_top, why_more;      /* its first reason shown; 1 when some are below */
    /* what the running conversion points into */
    char *kv[24];
    int nkv;
    char kvbuf[256], kvextra[3][600];
    ckpt_remap *remap;
} V;

/* The fields shown: labels and model type only for a zip package. */
static int field_shown(int f)
{
    if (f == F_LABELS || f == F_MTYPE) return V.package;
    return 1;
}

static int step_field(int f, int d)
{
    do f = (f + d + F_COUNT) % F_COUNT;
    while (!field_shown(f));
    return f;
}

/* The usual ending of format i (first of its list); "" for a folder
 * (TF.js "model.json"), ".zip" when packaging. */
static void ext_of(int fi, char *buf, size_t n)
{
    const char *e = ckpt_format_exts(fi);
    size_t l = e ? strcspn(e, " ") : 0;
    if (l && e[0] == '.') snprintf(buf, n, "%.*s", (int)l, e);
    else if (l) snprintf(buf, n, "%s", "");
    else snprintf(buf, n, ".%s", ckpt_format_name(fi));
}

static void cur_ext(char *buf, size_t n)
{
    if (V.package) snprintf(buf, n, ".zip");
    else ext_of(V.fmts[V.fi], buf, n);
}

static int ends_with(const char *s, const char *e)
{
    size_t a = strlen(s), b = strlen(e);
    return b <= a && !strcmp(s + a - b, e);
}

static void default_out(void)
{
    if (V.nfmt == 0) return;
    char base[1024];
    snprintf(base, sizeof base, "%.900s", A.model_path);
    size_t L = strlen(base);
    while (L > 1 && base[L - 1] == '/') base[--L] = 0;
    char *sl = strrchr(base, '/');
    char *name = sl ? sl + 1 : base;
    char *dot = strchr(name, '.');
    if (dot && dot != name) *dot = 0;
    char ext[64];
    cur_ext(ext, sizeof ext);
    if (strstr(A.model_path, "://")) snprintf(V.out, sizeof V.out, "%.900s-converted%.60s", name, ext);
    else snprintf(V.out, sizeof V.out, "%.900s-converted%.60s", base, ext);
}

/* The format or packaging changed: swap the output's ending when it is the
 * old one, so an edited path keeps its folder and name. */
static void swap_ext(const char *old_ext)
{
    char ext[64];
    cur_ext(ext, sizeof ext);
    size_t L = strlen(V.out), ol = strlen(old_ext);
    if (!V.out[0]) {
        default_out();
        return;
    }
    if (ol && ends_with(V.out, old_ext) && L - ol + strlen(ext) < sizeof V.out) {
        V.out[L - ol] = 0;
        strncat(V.out, ext, sizeof V.out - strlen(V.out) - 1);
    } else if (!ol && strlen(ext) && L + strlen(ext) < sizeof V.out && !ends_with(V.out, ext)) {
        strncat(V.out, ext, sizeof V.out - strlen(V.out) - 1);
    }
}

void convert_open(void)
{
    if (!A.m) return;
    if (job_busy()) {
        app_err("busy: wait for the running task or press Esc to cancel it");
        return;
    }
    int keep = V.nfmt > 0 ? V.fmts[V.fi] : -1;
    V.nfmt = 0;
    V.fi = 0;
    V.not_offered[0] = 0;
    V.nno = 0;
    V.whynot = 0;
    size_t no = 0;
    for (int i = 0; i < ckpt_format_count() && V.nfmt < 64; i++) {
        if (!(ckpt_format_flags(i) & CKPT_FMT_WRITE) || (ckpt_format_flags(i) & CKPT_FMT_WRAP)) continue;
        char why[256] = "";
        if (!ckpt_format_can_write(ckpt_format_name(i), A.m, why, sizeof why)) {
            if (V.nno < 64) {
                V.no_fmt[V.nno] = i;
                snprintf(V.no_why[V.nno++], sizeof V.no_why[0], "%s", why);
            }
            if (no < sizeof V.not_offered - 1)
                no += (size_t)snprintf(V.not_offered + no, sizeof V.not_offered - no, "%s%s: %s",
                                       no ? "; " : "not offered: ", ckpt_format_name(i), why);
            continue;
        }
        if (i == keep) V.fi = V.nfmt;
        V.fmts[V.nfmt++] = i;
    }
    if (no >= sizeof V.not_offered) no = sizeof V.not_offered - 1;
    if (V.nfmt == 0) {
        app_err("no output format can be written from this model%s%s", V.not_offered[0] ? ": " : "",
                V.not_offered);
        return;
    }
    /* naming schemes of this model: "default" and the engine's list */
    V.nnaming = 1;
    snprintf(V.namings[0], sizeof V.namings[0], "default");
    const char *ns = ckpt_model_namings(A.m);
    while (ns && *ns && V.nnaming < 8) {
        while (*ns == ' ') ns++;
        size_t l = strcspn(ns, " ");
        if (!l) break;
        snprintf(V.namings[V.nnaming++], sizeof V.namings[0], "%.*s", (int)l, ns);
        ns += l;
    }
    if (V.naming >= V.nnaming) V.naming = 0;
    if (!A.nt_opt) V.optim = 0;
    if (keep < 0 || !V.out[0]) default_out();
    V.field = F_FORMAT;
    V.ftop = 0;
    V.confirm = 0;
    V.use_remap = remap_rules_text()[0] != 0;
    A.screen = SCR_CONVERT;
}

static char *text_of(int f, size_t *cap)
{
    switch (f) {
    case F_OUT: *cap = sizeof V.out; return V.out;
    case F_SHARD: *cap = sizeof V.shard; return V.shard;
    case F_LABELS: *cap = sizeof V.labels; return V.labels;
    case F_OPTIONS: *cap = sizeof V.options; return V.options;
    default: return NULL;
    }
}

/* The value column of a choice field. */
static void choice_text(int f, char *buf, size_t n)
{
    buf[0] = 0;
    switch (f) {
    case F_FORMAT: {
        size_t o = (size_t)snprintf(buf, n, "< %s >", ckpt_format_name(V.fmts[V.fi]));
        if (V.nfmt == 1) snprintf(buf + o, n - o, "  (the only one for this model)");
        else {
            o += (size_t)snprintf(buf + o, n - o, "  also:");
            for (int i = 0; i < V.nfmt && o < n; i++)
                if (i != V.fi) o += (size_t)snprintf(buf + o, n - o, " %s", ckpt_format_name(V.fmts[i]));
        }
        break;
    }
    case F_NAMING:
        if (V.nnaming > 1) snprintf(buf, n, "< %s >", V.namings[V.naming]);
        else snprintf(buf, n, "as stored (this input has no other naming)");
        break;
    case F_CAST: snprintf(buf, n, "< %s >", casts[V.cast]); break;
    case F_OPTIM:
        if (A.nt_opt) snprintf(buf, n, "< %s >  %d optimizer tensor%s", V.optim ? "include" : "leave out", A.nt_opt,
                               A.nt_opt == 1 ? "" : "s");
        else snprintf(buf, n, "none in this model");
        break;
    case F_PACKAGE:
        snprintf(buf, n, "< %s >%s", V.package ? "zip" : "no", V.package ? "  weights + config.json + labels + README" : "");
        break;
    case F_MTYPE: snprintf(buf, n, "< %s >", mtypes[V.mtype]); break;
    case F_REMAP: {
        const char *r = remap_rules_text();
        int k = 0;
        for (const char *p = r; *p; p++) k += *p == '\n';
        if (*r && r[strlen(r) - 1] != '\n') k++;
        if (!*r) snprintf(buf, n, "none (press m in the tree to write rules)");
        else snprintf(buf, n, "< %s >  %d rule line%s from the editor", V.use_remap ? "yes" : "no", k, k == 1 ? "" : "s");
        break;
    }
    case F_GO: snprintf(buf, n, "[ Convert ]"); break;
    }
}

static const char *field_help(int f, char *buf, size_t n)
{
    const char *lr = A.utf8 ? "\u2190/\u2192" : "Left/Right";
    switch (f) {
    case F_FORMAT: {
        const char *d = ckpt_format_desc(V.fmts[V.fi]);
        snprintf(buf, n, "%s chooses. %s", lr, d ? d : "");
        break;
    }
    case F_OUT: snprintf(buf, n, "file, or folder for sharded output; C-u clears"); break;
    case F_NAMING:
        snprintf(buf, n, V.nnaming > 1 ? "%s: names in the output (keras: layer/weight, index: layer.weight_N, keras3: Keras 3 path)"
                                       : "only Keras inputs have a choice of names", lr);
        break;
    case F_CAST: snprintf(buf, n, "%s: cast floating-point tensors", lr); break;
    case F_SHARD: snprintf(buf, n, "e.g. 5GB or 500MiB; empty = one file"); break;
    case F_OPTIM: snprintf(buf, n, A.nt_opt ? "%s: optimizer state is left out unless asked" : "", lr); break;
    case F_PACKAGE: snprintf(buf, n, "%s: one zip with the weights, config.json, labels.txt and a README", lr); break;
    case F_LABELS: snprintf(buf, n, "labels file for the package; empty = labels.txt/classes.txt beside the model"); break;
    case F_MTYPE: snprintf(buf, n, "%s: model type written in the package's config.json", lr); break;
    case F_OPTIONS: snprintf(buf, n, "more writer options: key=value ..."); break;
    case F_REMAP: snprintf(buf, n, "%s: apply the remap editor's rules", lr); break;
    default: snprintf(buf, n, "Enter starts; Esc goes back"); break;
    }
    return buf;
}

/* `w`: every writable format this model cannot go to, each reason whole;
 * when they do not fit (80x24 with many refusals), Up/Down scroll by reason */
static void whynot_draw(void)
{
    int w = COLS - 4 > 76 ? 76 : COLS - 4, lines = 0;
    char item[400];
    for (int i = 0; i < V.nno; i++) {
        snprintf(item, sizeof item, "%s: %s", ckpt_format_name(V.no_fmt[i]), V.no_why[i]);
        lines += text_lines(item, w - 4);
    }
    int h = lines + 4 < LINES - 2 ? lines + 4 : LINES - 2, y = (LINES - h) / 2, x = (COLS - w) / 2;
    for (int r = 0; r < h; r++) draw_fill(y + r, x, w, theme_attr(T_NORMAL));
    draw_box(y, x, h, w, theme_attr(T_BORDER), "not offered for this model");
    int over = lines + 4 > h, row = y + (over ? 1 : 2), end = y + h - 1 - !over, i;
    if (V.why_top >= V.nno) V.why_top = V.nno ? V.nno - 1 : 0;
    for (i = V.why_top; i < V.nno && row < end; i++) {
        snprintf(item, sizeof item, "%s: %s", ckpt_format_name(V.no_fmt[i]), V.no_why[i]);
        if (i > V.why_top && text_lines(item, w - 4) > end - row) break;   /* whole reasons only */
        row += draw_text_wrap(row, x + 2, end - row, w - 4, item, theme_attr(T_VALUE));
    }
    V.why_more = i < V.nno;
    const char *foot = !(V.why_top || V.why_more) ? " any key closes "
                       : A.utf8 ? " \u2191\u2193 more \u00b7 any other key closes " : " Up/Down more, any other key closes ";
    draw_text(y + h - 1, x + 2, foot, w - 4, theme_attr(T_DIM), CLIP_RIGHT);
}

void convert_draw(void)
{
    draw_header();
    static const char *const labels[F_COUNT] = {"Format", "Output", "Naming", "Cast to", "Shard size", "Optimizer",
                                                "Package", "Labels", "Model type", "Options", "Remap", ""};
    int shown[F_COUNT], ns = 0, fpos = 0;
    for (int f = 0; f < F_GO; f++)
        if (field_shown(f)) {
            if (f == V.field) fpos = ns;
            shown[ns++] = f;
        }
    /* rows: border, blank, fields, blank, button, blank, help lines (3, or
     * 2 when short), border */
    int w = COLS > 84 ? 80 : COLS - 4;
    int helpn = 3;
    int h = ns + 6 + helpn, pad = 1, frows = ns;
    if (h > LINES - 2) {
        helpn = 2;
        h = ns + 6 + helpn;
    }
    if (h > LINES - 2) { /* short terminal: no blank rows, the fields scroll */
        h = LINES - 2;
        pad = 0;
        frows = h - 5;
        if (frows > ns) frows = ns;
        if (frows < 1) frows = 1;
    }
    if (V.field == F_GO) fpos = V.ftop;
    if (fpos < V.ftop) V.ftop = fpos;
    if (fpos >= V.ftop + frows) V.ftop = fpos - frows + 1;
    if (V.ftop > ns - frows) V.ftop = ns - frows > 0 ? ns - frows : 0;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    if (y < 1) y = 1;
    draw_box(y, x, h, w, theme_attr(T_BORDER), "Convert");
    int lx = x + 2, fx = x + 15, fw = w - 17;
    for (int r = 0; r < frows && V.ftop + r < ns; r++) {
        int f = shown[V.ftop + r];
        int fy = y + 1 + pad + r;
        int foc = f == V.field;
        attr_t fa = theme_attr(foc ? T_FIELD_FOCUS : T_FIELD);
        draw_text(fy, lx, labels[f], 12, theme_attr(T_LABEL), CLIP_RIGHT);
        size_t cap;
        char *t = text_of(f, &cap);
        if (t) {
            draw_fill(fy, fx, fw, fa);
            int u = draw_text(fy, fx, t, fw - 1, fa, CLIP_LEFT);
            if (foc) draw_text(fy, fx + u, "_", 1, fa, CLIP_RIGHT);
            continue;
        }
        char buf[1100];
        choice_text(f, buf, sizeof buf);
        int dim = (f == F_NAMING && V.nnaming < 2) || (f == F_OPTIM && !A.nt_opt);
        draw_text(fy, fx, buf, fw, foc ? fa : theme_attr(dim ? T_DIM : T_VALUE), CLIP_RIGHT);
    }
    /* more fields above / below: arrows on the frame */
    if (V.ftop > 0) draw_text(y + 1 + pad, x + w - 1, A.utf8 ? "\u2191" : "^", 1, theme_attr(T_BORDER), CLIP_RIGHT);
    if (V.ftop + frows < ns)
        draw_text(y + pad + frows, x + w - 1, A.utf8 ? "\u2193" : "v", 1, theme_attr(T_BORDER), CLIP_RIGHT);
    int by = y + 1 + pad + frows + pad;
    draw_text(by, x + (w - 11) / 2, "[ Convert ]", 11, theme_attr(V.field == F_GO ? T_CURSOR : T_BUTTON), CLIP_RIGHT);
    /* two lines of help for the focused field (the format's description,
     * and why the other formats are not offered) */
    char hb[700];
    field_help(V.field, hb, sizeof hb);
    int hy = y + h - 1 - helpn;
    int used = draw_text_wrap(hy, x + 2, helpn, w - 4, hb, theme_attr(T_DIM));
    if (V.field == F_FORMAT && used < helpn && V.not_offered[0]) {
        /* the whole list when it fits, else a count and the key for the list */
        char cnt[96];
        const char *t = V.not_offered;
        if (text_lines(t, w - 4) > helpn - used) {
            snprintf(cnt, sizeof cnt, "%d more format%s not offered for this model: w lists why", V.nno,
                     V.nno == 1 ? "" : "s");
            t = cnt;
        }
        draw_text_wrap(hy + used, x + 2, helpn - used, w - 4, t, theme_attr(T_DIM));
    }
    static const char *const hints[] = {"Tab/\u2193", "next field", "Enter", "convert", "Esc", "back", NULL};
    static const char *const hints_a[] = {"Tab/Down", "next field", "Enter", "convert", "Esc", "back", NULL};
    draw_hints(A.utf8 ? hints : hints_a);
    if (V.whynot) whynot_draw();
}

static int add_kv(const char *k, const char *v, int slot)
{
    if (V.nkv >= (int)(sizeof V.kv / sizeof V.kv[0])) return -1;
    snprintf(V.kvextra[slot], sizeof V.kvextra[slot], "%s=%s", k, v);
    V.kv[V.nkv++] = V.kvextra[slot];
    return 0;
}

static void split_options(void)
{
    snprintf(V.kvbuf, sizeof V.kvbuf, "%s", V.options);
    V.nkv = 0;
    /* "a=1,b=2" is two options, but "tags=serve,gpu" one value with a
     * comma: a comma splits only where key= follows it */
    for (char *sv, *w = strtok_r(V.kvbuf, " \t", &sv); w && V.nkv < 16; w = strtok_r(NULL, " \t", &sv)) {
        V.kv[V.nkv++] = w;
        for (char *c = strchr(w, ','); c && V.nkv < 16; c = strchr(c + 1, ',')) {
            size_t seg = strcspn(c + 1, ",");
            char *eq = memchr(c + 1, '=', seg);
            if (eq && eq > c + 1) { *c = 0; V.kv[V.nkv++] = c + 1; }
        }
    }
    if (V.package) {
        add_kv("package", "zip", 0);
        if (V.labels[0]) add_kv("labels", V.labels, 1);
        if (V.mtype > 0) add_kv("model-type", mtypes[V.mtype], 2);
    }
}

static void start(void)
{
    if (!V.out[0]) {
        app_err("give an output path");
        V.field = F_OUT;
        return;
    }
    uint64_t shard = 0;
    if (V.shard[0]) {
        if (!ckpt_parse_size(V.shard, &shard) || shard == 0) {
            app_err("shard size '%s' is not a size (try 5GB or 500MiB)", V.shard);
            V.field = F_SHARD;
            return;
        }
    }
    const char *to = ckpt_format_name(V.fmts[V.fi]);
    /* an output named like another format is most likely a slip */
    const char *looks = V.package ? NULL : ckpt_format_for_output(V.out);
    int odd = looks && strcmp(looks, to);
    if (V.package && !ends_with(V.out, ".zip")) odd = 1;
    int exists = access(V.out, F_OK) == 0;
    if ((odd || exists) && !V.confirm) {
        if (odd && V.package) app_err("%s: a package is a .zip; press Enter again to write it under this name", V.out);
        else if (odd) app_err("%s is named like %s, but the format is %s: press Enter again to write %s anyway", V.out, looks, to, to);
        else app_err("%s exists: press Enter again to replace it", V.out);
        V.confirm = 1;
        return;
    }
    split_options();
    ckpt_remap_free(V.remap);
    V.remap = NULL;
    const char *rules = remap_rules_text();
    if (V.use_remap && *rules) {
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_remap_parse(rules, "<editor>", &V.remap, &e)) {
            app_err_ckpt(&e);
            return;
        }
    }
    ckpt_convert_opts *o = &A.job.copts;
    memset(o, 0, sizeof *o);
    o->to = to;
    o->out = V.out;
    o->shard_size = shard;
    o->cast = V.cast == 0 ? CKPT_DT_INVALID : ckpt_dtype_from_name(casts[V.cast]);
    o->naming = V.naming > 0 ? V.namings[V.naming] : NULL;
    o->include_optimizer = V.optim;
    o->kv = (const char *const *)V.kv;
    o->nkv = V.nkv;
    o->remap = V.remap;
    if (job_start_convert() == 0) A.screen = SCR_PROGRESS;
}

static void choose(int d)
{
    char old[64];
    switch (V.field) {
    case F_FORMAT:
        if (V.nfmt < 2) break;
        cur_ext(old, sizeof old);
        V.fi = (V.fi + d + V.nfmt) % V.nfmt;
        swap_ext(old);
        break;
    case F_NAMING: if (V.nnaming > 1) V.naming = (V.naming + d + V.nnaming) % V.nnaming; break;
    case F_CAST: V.cast = (V.cast + d + NCASTS) % NCASTS; break;
    case F_OPTIM: if (A.nt_opt) V.optim = !V.optim; break;
    case F_PACKAGE:
        cur_ext(old, sizeof old);
        V.package = !V.package;
        swap_ext(old);
        break;
    case F_MTYPE: V.mtype = (V.mtype + d + NMTYPES) % NMTYPES; break;
    case F_REMAP: if (remap_rules_text()[0]) V.use_remap = !V.use_remap; break;
    default: break;
    }
}

int convert_key(int key)
{
    size_t cap = 0;
    char *t = text_of(V.field, &cap);
    if (key != '\n' && key != '\r' && key != KEY_ENTER) V.confirm = 0;
    if (V.whynot) {
        if ((key == KEY_DOWN || key == 'j' || key == KEY_NPAGE) && V.why_more) { V.why_top++; return R_REDRAW; }
        if ((key == KEY_UP || key == 'k' || key == KEY_PPAGE) && V.why_top) { V.why_top--; return R_REDRAW; }
        if (key == KEY_DOWN || key == KEY_UP || key == 'j' || key == 'k' || key == KEY_NPAGE || key == KEY_PPAGE)
            return R_REDRAW;   /* at an end: stays open */
        V.whynot = 0;
        return key == KEY_CTRL('c') ? R_QUIT : R_REDRAW;
    }
    if (key == 'w' && !t && V.nno) {
        V.whynot = 1;
        V.why_top = 0;
        return R_REDRAW;
    }
    switch (key) {
    case KEY_ESC: A.screen = SCR_MODEL; return R_REDRAW;
    case KEY_DOWN: case KEY_TAB: V.field = step_field(V.field, 1); return R_REDRAW;
    case KEY_UP: case KEY_BTAB: V.field = step_field(V.field, -1); return R_REDRAW;
    case '\n': case '\r': case KEY_ENTER: start(); return R_REDRAW;
    case KEY_LEFT: case KEY_RIGHT:
        if (!t) {
            choose(key == KEY_RIGHT ? 1 : -1);
            return R_REDRAW;
        }
        return R_REDRAW;
    case ' ':
        if (!t) {
            choose(1);
            return R_REDRAW;
        }
        break;
    case KEY_CTRL('c'): return R_QUIT;
    default: break;
    }
    if (!t) {
        if (key == 'q') A.screen = SCR_MODEL;
        else if (key == '?' || key == KEY_F(1)) { A.help = 1; A.help_top = 0; }
        return R_REDRAW;
    }
    size_t L = strlen(t);
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (L) {
            do L--;
            while (L > 0 && ((unsigned char)t[L] & 0xC0) == 0x80);
            t[L] = 0;
        }
    } else if (key == KEY_CTRL('u')) {
        t[0] = 0;
    } else if (key >= 32 && key < 256 && key != 127 && L + 1 < cap) {
        t[L] = (char)key;
        t[L + 1] = 0;
    }
    return R_REDRAW;
}
