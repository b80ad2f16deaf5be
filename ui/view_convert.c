/* view_convert.c: the convert dialog: output format (only those that can
 * be written from this model), output path, naming, dtype, shard size and
 * writer options; Enter starts the conversion in the background and shows
 * the progress screen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "ckpt/remap.h"
#include "draw.h"
#include "keys.h"

enum { F_FORMAT, F_OUT, F_NAMING, F_CAST, F_SHARD, F_OPTIONS, F_REMAP, F_GO, F_COUNT };

static const char *const casts[] = {"keep", "F32", "F16", "BF16", "F64"};
#define NCASTS 5

static struct {
    int fmts[64], nfmt, fi;     /* writable format indices, chosen one */
    char out[1024], naming[64], shard[32], options[256];
    int cast, use_remap;
    int field;
    int confirm_overwrite;
    /* what the running conversion points into */
    char *kv[16];
    int nkv;
    char kvbuf[256];
    ckpt_remap *remap;
} V;

/* A suggested file name for the format (only a default; the user edits it). */
static const char *ext_for(const char *fmt)
{
    static const struct { const char *f, *e; } t[] = {
        {"safetensors", ".safetensors"}, {"gguf", ".gguf"}, {"pytorch", ".pt"}, {"npz", ".npz"},
        {"keras", ".keras"}, {"keras3", ".keras"}, {"keras_h5", ".h5"}, {"h5", ".h5"}, {"hdf5", ".h5"},
        {"tfjs", ""}, {"tfjs_layers", ""}, {"tfjs_graph", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(t[i].f, fmt)) return t[i].e;
    return NULL;
}

static void default_out(void)
{
    if (V.nfmt == 0) return;
    const char *fmt = ckpt_format_name(V.fmts[V.fi]);
    char base[1024];
    snprintf(base, sizeof base, "%.1000s", A.model_path);
    size_t L = strlen(base);
    while (L > 1 && base[L - 1] == '/') base[--L] = 0;
    char *sl = strrchr(base, '/');
    char *name = sl ? sl + 1 : base;
    char *dot = strchr(name, '.');
    if (dot && dot != name) *dot = 0;
    const char *e = ext_for(fmt);
    char ext[64];
    if (e) snprintf(ext, sizeof ext, "%s", e);
    else snprintf(ext, sizeof ext, ".%s", fmt);
    if (strstr(A.model_path, "://")) snprintf(V.out, sizeof V.out, "%s-converted%s", name, ext);
    else snprintf(V.out, sizeof V.out, "%s-converted%s", base, ext);
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
    for (int i = 0; i < ckpt_format_count() && V.nfmt < 64; i++) {
        if (!(ckpt_format_flags(i) & CKPT_FMT_WRITE)) continue;
        char why[256];
        if (!ckpt_format_can_write(ckpt_format_name(i), A.m, why, sizeof why)) continue;
        if (i == keep) V.fi = V.nfmt;
        V.fmts[V.nfmt++] = i;
    }
    if (V.nfmt == 0) {
        app_err("no output format can be written from this model");
        return;
    }
    if (keep < 0 || !V.out[0]) default_out();
    V.field = F_FORMAT;
    V.confirm_overwrite = 0;
    V.use_remap = remap_rules_text()[0] != 0;
    A.screen = SCR_CONVERT;
}

static char *text_of(int f, size_t *cap)
{
    switch (f) {
    case F_OUT: *cap = sizeof V.out; return V.out;
    case F_NAMING: *cap = sizeof V.naming; return V.naming;
    case F_SHARD: *cap = sizeof V.shard; return V.shard;
    case F_OPTIONS: *cap = sizeof V.options; return V.options;
    default: return NULL;
    }
}

void convert_draw(void)
{
    draw_header();
    int w = COLS > 84 ? 80 : COLS - 4, h = 16;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    if (y < 1) y = 1;
    draw_box(y, x, h, w, theme_attr(T_BORDER), "Convert");
    static const char *const labels[F_COUNT] = {"Format", "Output", "Naming", "Cast to", "Shard size", "Options", "Remap", ""};
    static const char *const help[F_COUNT] = {
        "\u2190/\u2192 chooses; only formats this model can be written to",
        "file, or folder for sharded and TF.js output",
        "format naming scheme, empty = the format's default",
        "\u2190/\u2192: cast float tensors",
        "e.g. 5GB or 500MiB, empty = one file",
        "key=value ... for the writer, e.g. package=zip",
        "\u2190/\u2192: apply the remap editor's rules",
        "Enter starts; Esc goes back"};
    int lx = x + 2, fx = x + 15, fw = w - 17;
    for (int f = 0; f < F_COUNT; f++) {
        int fy = y + 2 + f;
        if (f == F_GO) fy += 1;
        int foc = f == V.field;
        attr_t fa = theme_attr(foc ? T_FIELD_FOCUS : T_FIELD);
        if (f != F_GO) draw_text(fy, lx, labels[f], 12, theme_attr(T_LABEL), CLIP_RIGHT);
        char buf[1100];
        size_t cap;
        char *t = text_of(f, &cap);
        if (t) {
            draw_fill(fy, fx, fw, fa);
            int u = draw_text(fy, fx, t, fw - 1, fa, CLIP_LEFT);
            if (foc) draw_text(fy, fx + u, "_", 1, fa, CLIP_RIGHT);
            continue;
        }
        switch (f) {
        case F_FORMAT:
            snprintf(buf, sizeof buf, "< %s >  %s", ckpt_format_name(V.fmts[V.fi]), ckpt_format_desc(V.fmts[V.fi]) ? ckpt_format_desc(V.fmts[V.fi]) : "");
            break;
        case F_CAST: snprintf(buf, sizeof buf, "< %s >", casts[V.cast]); break;
        case F_REMAP: {
            const char *r = remap_rules_text();
            int n = 0;
            for (const char *p = r; *p; p++) n += *p == '\n';
            if (*r && r[strlen(r) - 1] != '\n') n++;
            if (!*r) snprintf(buf, sizeof buf, "none (press m in the tree to write rules)");
            else snprintf(buf, sizeof buf, "< %s >  %d rule line%s from the editor", V.use_remap ? "yes" : "no", n, n == 1 ? "" : "s");
            break;
        }
        case F_GO: snprintf(buf, sizeof buf, "[ Convert ]"); break;
        }
        if (f == F_GO) draw_text(fy, x + (w - 11) / 2, buf, 11, theme_attr(foc ? T_CURSOR : T_BUTTON), CLIP_RIGHT);
        else draw_text(fy, fx, buf, fw, foc ? fa : theme_attr(T_VALUE), CLIP_RIGHT);
    }
    const char *hl = help[V.field];
    if (!A.utf8) hl = V.field == F_FORMAT ? "Left/Right chooses; only formats this model can be written to"
                      : V.field == F_CAST ? "Left/Right: cast float tensors"
                      : V.field == F_REMAP ? "Left/Right: apply the remap editor's rules" : hl;
    draw_text(y + h - 3, x + 2, hl, w - 4, theme_attr(T_DIM), CLIP_RIGHT);
    static const char *const hints[] = {"Tab/\u2193", "next field", "Enter", "convert", "Esc", "back", NULL};
    static const char *const hints_a[] = {"Tab/Down", "next field", "Enter", "convert", "Esc", "back", NULL};
    draw_hints(A.utf8 ? hints : hints_a);
}

static void split_options(void)
{
    snprintf(V.kvbuf, sizeof V.kvbuf, "%s", V.options);
    V.nkv = 0;
    for (char *sv, *w = strtok_r(V.kvbuf, " \t,", &sv); w && V.nkv < 16; w = strtok_r(NULL, " \t,", &sv))
        V.kv[V.nkv++] = w;
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
    if (access(V.out, F_OK) == 0 && !V.confirm_overwrite) {
        app_err("%s exists: press Enter again to replace it", V.out);
        V.confirm_overwrite = 1;
        return;
    }
    for (int i = 0; i < V.nkv; i++) V.kv[i] = NULL;
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
    o->to = ckpt_format_name(V.fmts[V.fi]);
    o->out = V.out;
    o->shard_size = shard;
    o->cast = V.cast == 0 ? CKPT_DT_INVALID : ckpt_dtype_from_name(casts[V.cast]);
    o->naming = V.naming[0] ? V.naming : NULL;
    o->kv = (const char *const *)V.kv;
    o->nkv = V.nkv;
    o->remap = V.remap;
    if (job_start_convert() == 0) A.screen = SCR_PROGRESS;
}

int convert_key(int key)
{
    size_t cap = 0;
    char *t = text_of(V.field, &cap);
    if (key != '\n' && key != '\r' && key != KEY_ENTER) V.confirm_overwrite = 0;
    switch (key) {
    case KEY_ESC: A.screen = SCR_MODEL; return R_REDRAW;
    case KEY_DOWN: case KEY_TAB: V.field = (V.field + 1) % F_COUNT; return R_REDRAW;
    case KEY_UP: case KEY_BTAB: V.field = (V.field + F_COUNT - 1) % F_COUNT; return R_REDRAW;
    case '\n': case '\r': case KEY_ENTER: start(); return R_REDRAW;
    case KEY_LEFT: case KEY_RIGHT: {
        int d = key == KEY_RIGHT ? 1 : -1;
        if (V.field == F_FORMAT && V.nfmt) {
            V.fi = (V.fi + d + V.nfmt) % V.nfmt;
            default_out();
        } else if (V.field == F_CAST) V.cast = (V.cast + d + NCASTS) % NCASTS;
        else if (V.field == F_REMAP && remap_rules_text()[0]) V.use_remap = !V.use_remap;
        return R_REDRAW;
    }
    case KEY_CTRL('c'): return R_QUIT;
    default: break;
    }
    if (!t) {
        if (key == 'q') A.screen = SCR_MODEL;
        else if (key == '?') { A.help = 1; A.help_top = 0; }
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
