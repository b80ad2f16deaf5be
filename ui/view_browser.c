/* view_browser.c: folders and model files. The format, size and tensor
 * count of each entry are found lazily, only for the rows on screen, one
 * entry per idle turn of the loop, so a large folder opens at once. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "ckpt/hub.h"
#include "draw.h"
#include "hubtask.h"
#include "keys.h"

typedef struct entry {
    char *name;
    int is_dir;
    int is_reg;
    uint64_t size;
    long long mtime_ns;   /* to keep a probe across a refresh */
    int probed;
    char fmt[32];         /* detected format, "" if none */
    int ntensors;         /* -1 unknown */
    uint64_t nparams;
    char *err;            /* why it does not open, or NULL */
} entry;

static struct {
    int remote;           /* listing a Hub repo: dir is "hf://org/name[@rev]" */
    char dir[PATH_MAX];
    entry *e;
    int n;
    int cur, top;
    int rows;             /* list rows last drawn */
} B;

/* The browser's one-line prompt ('H' Hub search, 'o' go to a path or
 * URL), and where a Hub search came from, so going back returns there. */
enum { P_NONE, P_SEARCH, P_GOTO };
static struct {
    int mode;
    char buf[512];
} P;
static struct {
    int results;          /* the list shows search results */
    char query[256];      /* last search, "" if none */
    char home[PATH_MAX];  /* the local folder the search started from */
} H;

static void free_entries(void)
{
    for (int i = 0; i < B.n; i++) {
        free(B.e[i].name);
        free(B.e[i].err);
    }
    free(B.e);
    B.e = NULL;
    B.n = 0;
}

void browser_free(void) { free_entries(); }

/* natural order: "layer2" < "layer10" */
static int natcmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *a0 = a, *b0 = b;
            while (*a == '0') a++;
            while (*b == '0') b++;
            const char *as = a, *bs = b;
            while (*a >= '0' && *a <= '9') a++;
            while (*b >= '0' && *b <= '9') b++;
            if (a - as != b - bs) return (int)((a - as) - (b - bs));
            int c = strncmp(as, bs, (size_t)(a - as));
            if (c) return c;
            (void)a0;
            (void)b0;
            continue;
        }
        if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (!strcmp(a->name, "..")) return -1;
    if (!strcmp(b->name, "..")) return 1;
    if (a->is_dir != b->is_dir) return b->is_dir - a->is_dir;
    return natcmp(a->name, b->name);
}

static int load_dir(const char *dir, const char *select)
{
    char real[PATH_MAX];
    if (!realpath(dir, real)) snprintf(real, sizeof real, "%s", dir);
    DIR *d = opendir(real);
    if (!d) {
        app_err("%s: cannot open folder", real);
        return -1;
    }
    free_entries();
    snprintf(B.dir, sizeof B.dir, "%s", real);
    int cap = 64;
    B.e = calloc((size_t)cap, sizeof *B.e);
    struct dirent *de;
    while (B.e && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".")) continue;
        if (!strcmp(de->d_name, "..") && !strcmp(real, "/")) continue;
        if (de->d_name[0] == '.' && strcmp(de->d_name, "..")) continue; /* hidden */
        if (B.n == cap) {
            cap *= 2;
            entry *ne = realloc(B.e, (size_t)cap * sizeof *ne);
            if (!ne) break;
            B.e = ne;
        }
        entry *e = &B.e[B.n];
        memset(e, 0, sizeof *e);
        e->name = strdup(de->d_name);
        if (!e->name) break;
        e->ntensors = -1;
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", real, de->d_name);
        struct stat st;
        if (stat(p, &st) == 0) {
            e->is_dir = S_ISDIR(st.st_mode);
            e->is_reg = S_ISREG(st.st_mode);
            e->size = (uint64_t)st.st_size;
            e->mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        }
        if (!strcmp(e->name, "..")) e->probed = 1;
        B.n++;
    }
    closedir(d);
    if (B.n > 1) qsort(B.e, (size_t)B.n, sizeof *B.e, cmp_entry);
    B.cur = B.top = 0;
    if (select)
        for (int i = 0; i < B.n; i++)
            if (!strcmp(B.e[i].name, select)) B.cur = i;
    return 0;
}

/* Re-read the folder shown (back from a model: a conversion may have
 * added files), keeping the selection, the scroll and what is known of
 * files that did not change. */
void browser_refresh(void)
{
    if (B.remote || H.results || !B.dir[0]) return;
    int old_n = B.n, old_top = B.top;
    entry *old = B.e;
    char sel[NAME_MAX + 1] = "";
    if (B.cur < B.n) snprintf(sel, sizeof sel, "%.255s", B.e[B.cur].name);
    B.e = NULL; /* load_dir frees the current list: keep it for the merge */
    B.n = 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", B.dir);
    if (load_dir(dir, sel[0] ? sel : NULL) != 0) {
        B.e = old;
        B.n = old_n;
        return;
    }
    /* both lists are in cmp_entry order: one merge walk, O(n) for a big folder */
    for (int i = 0, j = 0; i < B.n && j < old_n;) {
        entry *o = &old[j], *e = &B.e[i];
        int c = o->name ? cmp_entry(o, e) : -1;
        if (c < 0) { j++; continue; }
        if (c > 0) { i++; continue; }
        if (!strcmp(o->name, e->name) && o->size == e->size && o->mtime_ns == e->mtime_ns && !o->is_dir &&
            !e->is_dir && o->probed) {
            e->probed = 1;
            memcpy(e->fmt, o->fmt, sizeof e->fmt);
            e->ntensors = o->ntensors;
            e->nparams = o->nparams;
            e->err = o->err;
            o->err = NULL;
        }
        i++;
        j++;
    }
    for (int j = 0; j < old_n; j++) {
        free(old[j].name);
        free(old[j].err);
    }
    free(old);
    B.top = old_top < B.n ? old_top : 0;
}

int browser_init(const char *dir)
{
    free_entries();
    memset(&B, 0, sizeof B);
    H.results = 0;
    return load_dir(dir, NULL);
}

/* Hub search results as rows (repo ids); Enter lists a repo's files. */
static void search_done(ht_result *r)
{
    if (r->rc) {
        if (r->rc != CKPT_E_CANCELLED) app_err_ckpt(&r->err);
        return;
    }
    const char *query = r->arg;
    int n = r->nids;
    if (!B.remote && !H.results) snprintf(H.home, sizeof H.home, "%s", B.dir);
    snprintf(H.query, sizeof H.query, "%.255s", query);
    free_entries();
    memset(&B, 0, sizeof B);
    H.results = 1;
    snprintf(B.dir, sizeof B.dir, "Hub search '%.255s': %d repo%s", query, n, n == 1 ? "" : "s");
    B.e = calloc((size_t)(n > 0 ? n : 1), sizeof *B.e);
    for (int i = 0; i < n; i++) {
        if (B.e && B.n < n && (B.e[B.n].name = r->ids[i])) {
            B.e[B.n].is_dir = 1;
            B.e[B.n].probed = 1;
            B.e[B.n].ntensors = -1;
            B.n++;
        } else {
            free(r->ids[i]);
        }
    }
    free(r->ids);
    r->ids = NULL;
    r->nids = 0;
    if (n == 0) app_msg("no Hub repo matches '%s'", query);
}

/* The search runs in the background (hubtask.c): keys keep working. */
static int show_search(const char *query)
{
    char what[400];
    snprintf(what, sizeof what, "searching the Hub for '%.300s'", query);
    return hubtask_start(HT_SEARCH, query, 0, what, search_done);
}

/* A Hub repo's files (the same screen as a folder, flat: paths keep
 * their folders). Formats and counts are probed lazily, as for files. */
static void show_listing(const ckpt_hub_listing *l)
{
    if (!B.remote && !H.results) snprintf(H.home, sizeof H.home, "%s", B.dir);
    free_entries();
    memset(&B, 0, sizeof B);
    H.results = 0;
    B.remote = 1;
    if (l->revision && strcmp(l->revision, "main"))
        snprintf(B.dir, sizeof B.dir, "hf://%s@%s", l->repo, l->revision);
    else snprintf(B.dir, sizeof B.dir, "hf://%s", l->repo);
    B.e = calloc((size_t)(l->nfiles > 0 ? l->nfiles : 1), sizeof *B.e);
    for (int i = 0; B.e && i < l->nfiles; i++) {
        if (l->files[i].is_dir) continue;
        entry *x = &B.e[B.n];
        x->name = strdup(l->files[i].path);
        if (!x->name) break;
        x->is_reg = 1;
        x->size = l->files[i].size;
        x->ntensors = -1;
        B.n++;
    }
    if (B.n > 1) qsort(B.e, (size_t)B.n, sizeof *B.e, cmp_entry);
}

/* flag: then open the repo's model: 1 once its files are listed (a typed
 * hf:// URL), 2 even when the listing failed (the command line's) */
static void listing_done(ht_result *r)
{
    if (r->rc == 0) show_listing(r->listing);
    else if (r->rc != CKPT_E_CANCELLED) app_err_ckpt(&r->err);
    if (r->rc == CKPT_E_CANCELLED || !r->flag || (r->rc && r->flag == 1)) return;
    char keep[sizeof A.msg];
    snprintf(keep, sizeof keep, "%s", A.msg);
    int was_err = A.msg_err;
    if (app_open_model_bg(r->arg) && keep[0]) { /* busy: keep the listing's error */
        snprintf(A.msg, sizeof A.msg, "%s", keep);
        A.msg_err = was_err;
    }
}

void browser_go_remote(const char *url, int open_model)
{
    char what[600];
    snprintf(what, sizeof what, "listing %.500s", url);
    hubtask_start(HT_LIST, url, open_model, what, listing_done);
}

static void entry_path(const entry *e, char *buf, size_t n)
{
    if (B.remote) snprintf(buf, n, "%s/%s", B.dir, e->name);
    else snprintf(buf, n, "%s%s%s", B.dir, strcmp(B.dir, "/") ? "/" : "", e->name);
}

static int list_rows(void) { return LINES - 3; }

int browser_pending(void)
{
    int h = list_rows();
    for (int i = B.top; i < B.n && i < B.top + h; i++)
        if (!B.e[i].probed) return 1;
    return 0;
}

static void probe(entry *e)
{
    e->probed = 1;
    if (!e->is_dir && !e->is_reg) return; /* fifos, sockets: never read */
    char p[PATH_MAX + 256];
    entry_path(e, p, sizeof p);
    ckpt_err err;
    ckpt_err_clear(&err);
    const char *f = ckpt_detect(p, &err);
    if (!f) return; /* not a checkpoint: shown plain */
    snprintf(e->fmt, sizeof e->fmt, "%s", f);
    ckpt_model *m = NULL;
    ckpt_err_clear(&err);
    if (ckpt_open(p, &m, &err)) {
        char line[1400];
        ckpt_err_line(&err, line, sizeof line);
        e->err = strdup(line);
        return;
    }
    int nopt;
    model_tensor_counts(m, &e->ntensors, &nopt); /* as the header and `ckpt info` count */
    e->nparams = ckpt_model_nparams(m);
    if (e->is_dir) e->size = model_file_bytes(m); /* on disk, like a file's size */
    ckpt_close(m);
}

static void probe_done(ht_result *r)
{
    if (!B.remote) return;       /* the listing is gone */
    char p[PATH_MAX + 256];
    int i = r->flag;
    if (i < B.n) entry_path(&B.e[i], p, sizeof p);
    if (i >= B.n || strcmp(p, r->arg))
        for (i = 0; i < B.n; i++) {
            entry_path(&B.e[i], p, sizeof p);
            if (!strcmp(p, r->arg)) break;
        }
    if (i >= B.n) return;
    entry *e = &B.e[i];
    e->probed = 1;
    snprintf(e->fmt, sizeof e->fmt, "%s", r->fmt);
    e->ntensors = r->ntensors;
    e->nparams = r->nparams;
    free(e->err);
    e->err = r->errline;
    r->errline = NULL;
}

/* A remote entry is probed on the Hub worker (quiet: a search or an open
 * the user starts takes its place). */
static void probe_remote(int i)
{
    if (hubtask_running()) return;
    char p[PATH_MAX + 256];
    entry_path(&B.e[i], p, sizeof p);
    hubtask_start(HT_PROBE, p, i, "", probe_done);
}

int browser_idle(void)
{
    int h = list_rows();
    for (int i = B.top; i < B.n && i < B.top + h; i++)
        if (!B.e[i].probed) {
            if (B.remote) {
                probe_remote(i);
                return 0;
            }
            probe(&B.e[i]);
            return 1;
        }
    return 0;
}

static void draw_browser_prompt(void)
{
    int y = LINES - 1;
    draw_fill(y, 0, COLS, theme_attr(T_NORMAL));
    const char *label = P.mode == P_SEARCH ? "Search the Hub: " : "Open: ";
    int x = draw_text(y, 0, label, COLS, theme_attr(T_TITLE), CLIP_RIGHT);
    x += draw_text(y, x, P.buf, COLS - x - 1, theme_attr(T_FIELD_FOCUS), CLIP_LEFT);
    if (x < COLS) draw_text(y, x, "_", 1, theme_attr(T_FIELD_FOCUS) | A_BLINK, CLIP_RIGHT);
}

void browser_draw(void)
{
    attr_t h = theme_attr(T_HEADER);
    draw_fill(0, 0, COLS, h);
    char title[PATH_MAX + 32];
    snprintf(title, sizeof title, " ckpt  %s", B.dir);
    draw_text(0, 0, title, COLS, h, CLIP_LEFT);
    /* the selected entry's error takes lines above the hints: keep the
     * cursor row out from under it */
    const char *cur_err = B.cur < B.n && !*A.msg ? B.e[B.cur].err : NULL;
    int errn = cur_err ? text_lines(cur_err, COLS - 2) : 0;
    if (errn > 4) errn = 4;
    int rows = list_rows();
    B.rows = rows;
    if (B.cur >= B.top + rows - errn) B.top = B.cur - (rows - errn) + 1;
    if (B.cur < B.top) B.top = B.cur;
    if (B.cur >= B.top + rows) B.top = B.cur - rows + 1;
    /* name | format (14: "keras-weights") | size (10) | tensors (8) */
    int wname = COLS - 36;
    if (wname < 12) wname = 12;
    draw_textf(1, 0, COLS, theme_attr(T_TITLE), " %-*s %-14s %9s %8s", wname - 1, "name", "format",
               "size", "tensors");
    for (int r = 0; r < rows; r++) {
        int i = B.top + r;
        if (i >= B.n) break;
        entry *e = &B.e[i];
        int y = 2 + r;
        int sel = i == B.cur;
        attr_t base = sel ? theme_attr(T_CURSOR) : theme_attr(T_NORMAL);
        if (sel) draw_fill(y, 0, COLS, base);
        char nm[PATH_MAX];
        snprintf(nm, sizeof nm, "%s%s", e->name, e->is_dir ? "/" : "");
        attr_t na = sel ? base : e->is_dir && !e->fmt[0] ? theme_attr(T_DIRECTORY)
                                 : e->fmt[0]            ? theme_attr(T_TENSOR)
                                                        : theme_attr(T_DIM);
        draw_text(y, 1, nm, wname - 1, na, CLIP_MID);
        int x = wname + 1;
        if (e->err) {
            draw_text(y, x, "error", 14, sel ? base : theme_attr(T_FLAGGED), CLIP_RIGHT);
        } else if (e->fmt[0]) {
            draw_text(y, x, e->fmt, 14, sel ? base : theme_attr(T_FORMAT), CLIP_RIGHT);
        } else if (!e->probed) {
            draw_text(y, x, G->ellipsis, 14, sel ? base : theme_attr(T_DIM), CLIP_RIGHT);
        }
        char sb[32];
        /* a folder's size is known only once it opened as a model */
        if (!e->is_dir || (e->fmt[0] && !e->err)) {
            fmt_bytes(e->size, sb, sizeof sb);
            draw_textf(y, x + 15, 9, sel ? base : theme_attr(T_NUMBER), "%9s", sb);
        }
        if (e->ntensors >= 0)
            draw_textf(y, x + 25, 8, sel ? base : theme_attr(T_NUMBER), "%8d", e->ntensors);
    }
    if (B.n == 0) draw_text(3, 2, H.results ? "(no repo found)" : "(empty folder)", COLS - 4, theme_attr(T_DIM), CLIP_RIGHT);
    /* the selected entry's error, if any, above the hints */
    if (cur_err) {
        for (int i = 0; i < errn; i++) draw_fill(LINES - 1 - errn + i, 0, COLS, theme_attr(T_ERROR));
        draw_text_wrap(LINES - 1 - errn, 1, errn, COLS - 2, cur_err, theme_attr(T_ERROR));
    }
    if (P.mode) {
        draw_browser_prompt();
        return;
    }
    static const char *const hints[] = {"Enter", "open", "\u2190", "up", "o", "go to", "H", "Hub search",
                                        "?", "help", "q", "quit", NULL};
    static const char *const hints_a[] = {"Enter", "open", "h", "up", "o", "go to", "H", "Hub search",
                                          "?", "help", "q", "quit", NULL};
    draw_hints(A.utf8 ? hints : hints_a);
}

static void go_up(void)
{
    if (B.remote && H.query[0]) { /* a repo opened from a search: back to the results */
        show_search(H.query);
        return;
    }
    if (B.remote || H.results) { /* back to the folder the Hub was reached from */
        if (H.home[0]) {
            H.results = 0;
            H.query[0] = 0;
            B.remote = 0;
            load_dir(H.home, NULL);
        }
        return;
    }
    if (!strcmp(B.dir, "/")) return;
    char cur[PATH_MAX];
    snprintf(cur, sizeof cur, "%s", B.dir);
    char *sl = strrchr(cur, '/');
    const char *name = sl ? sl + 1 : cur;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%.*s", sl && sl != cur ? (int)(sl - cur) : 1, cur);
    char sel[NAME_MAX + 1];
    snprintf(sel, sizeof sel, "%.255s", name);
    if (load_dir(parent, NULL) == 0)
        for (int i = 0; i < B.n; i++)
            if (!strcmp(B.e[i].name, sel)) B.cur = i;
}

static void enter(int force_folder)
{
    if (B.cur >= B.n) return;
    entry *e = &B.e[B.cur];
    if (!strcmp(e->name, "..")) {
        go_up();
        return;
    }
    char p[PATH_MAX + 256];
    if (H.results) { /* a search result: the repo's files */
        snprintf(p, sizeof p, "hf://%s", e->name);
        browser_go_remote(p, 0);
        return;
    }
    entry_path(e, p, sizeof p);
    if (e->is_dir && (force_folder || (!e->fmt[0] && e->probed))) {
        load_dir(p, NULL);
        return;
    }
    if (e->is_dir && !e->probed) probe(e);
    if (e->is_dir && (!e->fmt[0] || e->err)) {
        /* not a model, or one that does not open: its files, and why */
        char why[1400] = "";
        if (e->err) snprintf(why, sizeof why, "%s", e->err);
        if (load_dir(p, NULL) == 0 && why[0]) app_err("%s", why);
        return;
    }
    if (B.remote && !e->probed) { /* not probed yet: open it in the background */
        app_open_model_bg(p);
        return;
    }
    if (!e->probed) probe(e);
    if (e->err) { /* known not to open: say why without trying again */
        app_err("%s", e->err);
        return;
    }
    app_open_model_bg(p); /* on failure the error is in the status line */
}

int browser_click(int y, int x)
{
    int i = B.top + (y - 2);
    (void)x;
    if (y < 2 || y >= 2 + B.rows || i >= B.n) return 0;
    B.cur = i;
    return 1;
}

/* 'o': a local folder is listed, a model opened; a Hub URL opens its
 * model, else lists its files. */
static void go_to(const char *where)
{
    if (!*where) return;
    if (ckpt_is_hub_url(where)) {
        H.query[0] = 0;
        browser_go_remote(where, 1); /* then its model; on failure the files stay, with the error */
        return;
    }
    char p[PATH_MAX];
    if (where[0] == '~' && (where[1] == '/' || !where[1]) && getenv("HOME"))
        snprintf(p, sizeof p, "%s%s", getenv("HOME"), where + 1);
    else snprintf(p, sizeof p, "%s", where);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
        ckpt_err de;
        ckpt_err_clear(&de);
        if (!ckpt_detect(p, &de)) {
            H.results = 0;
            H.query[0] = 0;
            load_dir(p, NULL);
            return;
        }
    }
    app_open_model(p);
}

static int prompt_key(int key)
{
    size_t L = strlen(P.buf);
    if (key == KEY_ESC) {
        P.mode = P_NONE;
    } else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        int mode = P.mode;
        P.mode = P_NONE;
        char text[sizeof P.buf];
        snprintf(text, sizeof text, "%s", P.buf);
        if (mode == P_SEARCH) {
            if (text[0]) show_search(text);
        } else {
            go_to(text);
        }
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (L) {
            do L--;
            while (L > 0 && ((unsigned char)P.buf[L] & 0xC0) == 0x80);
            P.buf[L] = 0;
        }
    } else if (key == KEY_CTRL('u')) {
        P.buf[0] = 0;
    } else if (key >= 32 && key < 256 && key != 127 && L + 1 < sizeof P.buf) {
        P.buf[L] = (char)key;
        P.buf[L + 1] = 0;
    }
    return R_REDRAW;
}

int browser_prompt_open(void) { return A.screen == SCR_BROWSER && P.mode != P_NONE; }

int browser_key(int key)
{
    if (P.mode) return prompt_key(key);
    int rows = B.rows > 0 ? B.rows : 1;
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        go_up();
        return R_REDRAW;
    }
    switch (keys_action(key)) {
    case ACT_MOVE_UP: if (B.cur > 0) B.cur--; break;
    case ACT_MOVE_DOWN: if (B.cur < B.n - 1) B.cur++; break;
    case ACT_PAGE_UP: B.cur -= rows; if (B.cur < 0) B.cur = 0; break;
    case ACT_PAGE_DOWN: B.cur += rows; if (B.cur > B.n - 1) B.cur = B.n - 1; if (B.cur < 0) B.cur = 0; break;
    case ACT_FIRST: B.cur = 0; break;
    case ACT_LAST: B.cur = B.n > 0 ? B.n - 1 : 0; break;
    case ACT_COLLAPSE: go_up(); break;
    case ACT_EXPAND: enter(1); break;
    case ACT_OPEN: enter(0); break;
    case ACT_HELP: A.help = 1; A.help_top = 0; break;
    case ACT_HUB_SEARCH:
        P.mode = P_SEARCH;
        snprintf(P.buf, sizeof P.buf, "%s", H.query);
        break;
    case ACT_GOTO:
        P.mode = P_GOTO;
        P.buf[0] = 0;
        break;
    case ACT_THEME: tui_next_theme(); break;
    case ACT_MISMATCHES: case ACT_REMAP: case ACT_CONVERT: case ACT_STATS: case ACT_INFO: case ACT_FILTER:
        /* the model screens' keys: say how to get there rather than nothing */
        app_msg("open a model first: Enter on a file (or a model folder)");
        break;
    case ACT_REFRESH: browser_refresh(); return R_REDRAW | R_CLEAR;
    case ACT_BACK:
        if (key == KEY_ESC) break;
        return R_QUIT;
    case ACT_QUIT: return R_QUIT;
    default: break;
    }
    return R_REDRAW;
}
