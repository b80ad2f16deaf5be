/* theme.c: colour themes (see theme.h for the file format). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "theme.h"

typedef struct spec {
    short fg, bg;       /* curses colour numbers, -1 = default */
    attr_t attrs;
} spec;

static const char *const elem_names[T_COUNT] = {
#define THEME_NAME_(e, n, fg, bg, at, mono) n,
    THEME_ELEMENTS(THEME_NAME_)
#undef THEME_NAME_
};
static const char *const def_fg[T_COUNT] = {
#define THEME_FG_(e, n, fg, bg, at, mono) fg,
    THEME_ELEMENTS(THEME_FG_)
#undef THEME_FG_
};
static const char *const def_bg[T_COUNT] = {
#define THEME_BG_(e, n, fg, bg, at, mono) bg,
    THEME_ELEMENTS(THEME_BG_)
#undef THEME_BG_
};
static const char *const def_at[T_COUNT] = {
#define THEME_AT_(e, n, fg, bg, at, mono) at,
    THEME_ELEMENTS(THEME_AT_)
#undef THEME_AT_
};
static const char *const def_mono[T_COUNT] = {
#define THEME_MONO_(e, n, fg, bg, at, mono) mono,
    THEME_ELEMENTS(THEME_MONO_)
#undef THEME_MONO_
};

static int g_color;            /* colours in use */
static attr_t g_attr[T_COUNT]; /* what drawing uses */
static char g_name[128] = "default";

const char *theme_elem_name(theme_elem e) { return e < T_COUNT ? elem_names[e] : "?"; }
attr_t theme_attr(theme_elem e) { return e < T_COUNT ? g_attr[e] : A_NORMAL; }
const char *theme_current(void) { return g_name; }

/* ---- parsing ---- */

static const char *const color_names[8] = {"black", "red",     "green", "yellow",
                                           "blue",  "magenta", "cyan",  "white"};

/* Nearest of the 8 basic colours for an xterm-256 index. */
static short approx8(int n)
{
    if (n < 16) return (short)(n % 8);
    if (n >= 232) return n >= 244 ? COLOR_WHITE : COLOR_BLACK;
    int c = n - 16, r = c / 36, g = (c / 6) % 6, b = c % 6;
    return (short)((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0));
}

static int ncolors(void) { return g_color ? COLORS : 8; }

/* One colour word; 0 ok, -1 unknown. */
static int parse_color(const char *w, short *out)
{
    const char *slash = strchr(w, '/');
    if (slash) { /* "N/name": N when the terminal has it */
        char num[16];
        size_t len = (size_t)(slash - w);
        if (len == 0 || len >= sizeof num) return -1;
        memcpy(num, w, len);
        num[len] = 0;
        short hi, lo;
        if (parse_color(num, &hi) || parse_color(slash + 1, &lo)) return -1;
        char *end;
        long v = strtol(num, &end, 10);
        *out = (*end == 0 && v < ncolors()) ? (short)v : lo;
        return 0;
    }
    if (!strcasecmp(w, "default") || !strcasecmp(w, "none")) { *out = -1; return 0; }
    for (int i = 0; i < 8; i++) {
        if (!strcasecmp(w, color_names[i])) { *out = (short)i; return 0; }
        if (!strncasecmp(w, "bright", 6) && !strcasecmp(w + 6, color_names[i])) {
            *out = (short)(ncolors() >= 16 ? i + 8 : i);
            return 0;
        }
    }
    if (!strcasecmp(w, "grey") || !strcasecmp(w, "gray")) { *out = (short)(ncolors() >= 16 ? 8 : 7); return 0; }
    char *end;
    errno = 0;
    long v = strtol(w, &end, 10);
    if (end == w || *end || errno || v < 0 || v > 255) return -1;
    *out = v < ncolors() ? (short)v : approx8((int)v);
    return 0;
}

static int parse_attr(const char *w, attr_t *a)
{
    static const struct { const char *n; attr_t a; } t[] = {
        {"bold", A_BOLD},   {"dim", A_DIM},           {"underline", A_UNDERLINE},
        {"reverse", A_REVERSE}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},
        {"blink", A_BLINK}, {"normal", A_NORMAL},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcasecmp(w, t[i].n)) { *a |= t[i].a; return 0; }
    return -1;
}

static int parse_attrs(const char *s, attr_t *a)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *sv, *w = strtok_r(buf, " \t", &sv); w; w = strtok_r(NULL, " \t", &sv))
        if (parse_attr(w, a)) return -1;
    return 0;
}

static int elem_find(const char *w)
{
    for (int i = 0; i < T_COUNT; i++)
        if (!strcmp(w, elem_names[i])) return i;
    return -1;
}

static void builtin(spec *s)
{
    for (int i = 0; i < T_COUNT; i++) {
        s[i].fg = s[i].bg = -1;
        s[i].attrs = 0;
        parse_color(def_fg[i], &s[i].fg);
        parse_color(def_bg[i], &s[i].bg);
        parse_attrs(def_at[i], &s[i].attrs);
    }
}

/* Parse a theme file over `s`. 0 ok, else -1 and "FILE:LINE: why". */
static int parse_file(const char *path, spec *s, char *msg, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(msg, n, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *h = strchr(line, '#');
        if (h) *h = 0;
        char *w[16];
        int nw = 0;
        for (char *sv, *t = strtok_r(line, " \t\r\n", &sv); t && nw < 16; t = strtok_r(NULL, " \t\r\n", &sv))
            w[nw++] = t;
        if (nw == 0) continue;
#define BAD(...)                                                       \
    do {                                                               \
        int k_ = snprintf(msg, n, "%s:%d: ", path, lineno);           \
        if (k_ >= 0 && (size_t)k_ < n)                                 \
            snprintf(msg + k_, n - (size_t)k_, __VA_ARGS__);          \
        rc = -1;                                                       \
        goto out;                                                      \
    } while (0)
        if (strcmp(w[0], "color") && strcmp(w[0], "colour")) BAD("unknown command '%s' (expected 'color')", w[0]);
        if (nw < 4) BAD("expected 'color ELEMENT FG BG [ATTR...]'");
        int e = elem_find(w[1]);
        if (e < 0) BAD("unknown element '%s'", w[1]);
        spec x = {-1, -1, 0};
        if (parse_color(w[2], &x.fg)) BAD("unknown colour '%s'", w[2]);
        if (parse_color(w[3], &x.bg)) BAD("unknown colour '%s'", w[3]);
        for (int i = 4; i < nw; i++)
            if (parse_attr(w[i], &x.attrs)) BAD("unknown attribute '%s'", w[i]);
        s[e] = x;
#undef BAD
    }
    if (ferror(f)) {
        snprintf(msg, n, "%s: read error", path);
        rc = -1;
    }
out:
    fclose(f);
    return rc;
}

static void apply(const spec *s)
{
    for (int i = 0; i < T_COUNT; i++) {
        if (g_color) {
            init_pair((short)(i + 1), s[i].fg, s[i].bg);
            g_attr[i] = COLOR_PAIR(i + 1) | s[i].attrs;
        } else {
            attr_t a = 0;
            parse_attrs(def_mono[i], &a);
            g_attr[i] = a;
        }
    }
    bkgdset(' ' | g_attr[T_NORMAL]); /* erase() paints the theme's background */
}

void theme_init(int use_color)
{
    g_color = use_color && has_colors();
    if (g_color) {
        start_color();
        use_default_colors();
    }
    spec s[T_COUNT];
    builtin(s);
    apply(s);
    snprintf(g_name, sizeof g_name, "default");
}

/* ---- where themes live ---- */

static int exe_dir(char *buf, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0) return -1;
    buf[k] = 0;
    char *sl = strrchr(buf, '/');
    if (!sl) return -1;
    *sl = 0;
    return 0;
}

/* Folders searched, user's first. Returns how many were written. */
static int theme_dirs(char dirs[][PATH_MAX], int max)
{
    int k = 0;
    const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (x && *x) snprintf(dirs[k++], PATH_MAX, "%s/ckpt/themes", x);
    else if (home && *home) snprintf(dirs[k++], PATH_MAX, "%s/.config/ckpt/themes", home);
    const char *env = getenv("CKPT_THEME_DIR");
    if (env && *env && k < max) snprintf(dirs[k++], PATH_MAX, "%s", env);
    char ed[PATH_MAX - 64];
    if (exe_dir(ed, sizeof ed) == 0) {
        /* ./ckpt in the source tree, build/asan/ckpt-asan, PREFIX/bin/ckpt */
        static const char *const rel[] = {"themes", "../../themes", "../share/ckpt/themes"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0] && k < max; i++)
            snprintf(dirs[k++], PATH_MAX, "%s/%s", ed, rel[i]);
    }
    return k;
}

static int find_theme(const char *name, char *path, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(path, n, "%s", name);
        return access(path, R_OK) == 0 ? 0 : -1;
    }
    char dirs[8][PATH_MAX];
    int nd = theme_dirs(dirs, 8);
    for (int i = 0; i < nd; i++) {
        snprintf(path, n, "%.3000s/%.200s.theme", dirs[i], name);
        if (access(path, R_OK) == 0) return 0;
    }
    return -1;
}

int theme_check_file(const char *path, char *msg, size_t n)
{
    spec s[T_COUNT];
    builtin(s);
    return parse_file(path, s, msg, n);
}

int theme_load(const char *name, char *msg, size_t n)
{
    spec s[T_COUNT];
    builtin(s);
    if (msg && n) *msg = 0;
    if (!name || !*name) name = "default";
    char path[PATH_MAX];
    if (find_theme(name, path, sizeof path)) {
        apply(s);
        snprintf(g_name, sizeof g_name, "default");
        if (!strcmp(name, "default")) return 0; /* built in */
        snprintf(msg, n, "theme '%s' not found (looked in ~/.config/ckpt/themes and the shipped themes); using default", name);
        return -1;
    }
    char why[600];
    if (parse_file(path, s, why, sizeof why)) {
        builtin(s);
        apply(s);
        snprintf(g_name, sizeof g_name, "default");
        snprintf(msg, n, "theme: %s; using default", why);
        return -1;
    }
    apply(s);
    /* the name without folder and extension */
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(g_name, sizeof g_name, "%.120s", b);
    char *dot = strstr(g_name, ".theme");
    if (dot && dot[6] == 0) *dot = 0;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    if (!strcmp(x, "default")) return -1;
    if (!strcmp(y, "default")) return 1;
    return strcmp(x, y);
}

int theme_list(char ***out)
{
    char **v = NULL;
    int nv = 0, cap = 0;
    char dirs[8][PATH_MAX];
    int nd = theme_dirs(dirs, 8);
    for (int i = 0; i <= nd; i++) {
        DIR *d = i < nd ? opendir(dirs[i]) : NULL;
        struct dirent *e;
        const char *only = i == nd ? "default.theme" : NULL; /* always offer the built-in */
        for (;;) {
            const char *fn;
            if (d) {
                if (!(e = readdir(d))) break;
                fn = e->d_name;
            } else if (only) {
                fn = only;
                only = NULL;
            } else break;
            size_t L = strlen(fn);
            if (L <= 6 || strcmp(fn + L - 6, ".theme")) continue;
            int dup = 0;
            for (int j = 0; j < nv; j++)
                if (strlen(v[j]) == L - 6 && !strncmp(v[j], fn, L - 6)) dup = 1;
            if (dup) continue;
            if (nv == cap) {
                cap = cap ? cap * 2 : 8;
                char **nvp = realloc(v, (size_t)cap * sizeof *v);
                if (!nvp) break;
                v = nvp;
            }
            v[nv] = strndup(fn, L - 6);
            if (v[nv]) nv++;
        }
        if (d) closedir(d);
    }
    if (nv > 1) qsort(v, (size_t)nv, sizeof *v, cmp_names);
    *out = v;
    return nv;
}

void theme_list_free(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}
