/* tui.c: the TUI's start, main loop, background job, status line and
 * terminal protection.
 *
 * Test and bench hooks (hidden): CKPT_TUI_SCRIPT=FILE reads keys from FILE
 * (one per line: a character, a key name such as Down, Enter, Esc, PgDn,
 * Tab, Backspace, C-x, or "text:abc" for several characters; "@wait" waits
 * for the background job; "@typing" makes later keys arrive while the
 * filter still scans, as typed keys do, instead of after it ends) and
 * quits at its end; CKPT_TUI_TIMING=FILE writes, per key, the
 * microseconds from reading it (under @typing: from the start of the scan
 * slice it landed in, which then yields to it) to the end of the frame's
 * doupdate(), and, when a filter scan ends, "@filtered" and the
 * microseconds since its key. CKPT_TUI_SLOW_MS=N sleeps N ms in each
 * progress callback (to test cancellation on small inputs).
 */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curses.h>

#include "app.h"
#include "ckpt/hub.h"
#include "draw.h"
#include "hubtask.h"
#include "keys.h"
#include "theme.h"
#include "tui.h"

app A;

static int g_curses_on;
static int g_saved_stderr = -1;

static void draw_frame(void);

/* ====================================================================== */
/* Terminal protection                                                     */
/* ====================================================================== */

static void restore_terminal(void)
{
    if (g_curses_on && !isendwin()) endwin();
    g_curses_on = 0;
    if (g_saved_stderr >= 0) {
        dup2(g_saved_stderr, 2);
        close(g_saved_stderr);
        g_saved_stderr = -1;
    }
}

static void on_quit_signal(int sig)
{
    if (A.quit_signal) { /* second one: leave now */
        if (g_curses_on) endwin();
        _exit(128 + sig);
    }
    A.quit_signal = sig;
}

static void on_crash(int sig)
{
    /* endwin is not async-signal-safe, but a crashed TUI that leaves the
     * terminal in raw mode is worse (htop and tig do the same). */
    if (g_curses_on) endwin();
    static const char m[] = "ckpt: crashed; terminal restored\n";
    if (g_saved_stderr >= 0) (void)!write(g_saved_stderr, m, sizeof m - 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal; /* no SA_RESTART: getch returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ====================================================================== */
/* Status line                                                             */
/* ====================================================================== */

void app_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(A.msg, sizeof A.msg, fmt, ap);
    va_end(ap);
    A.msg_err = 0;
}

void app_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(A.msg, sizeof A.msg, fmt, ap);
    va_end(ap);
    A.msg_err = 1;
}

void app_err_ckpt(const ckpt_err *e)
{
    char line[1400];
    ckpt_err_line(e, line, sizeof line);
    app_err("%s", line);
}

void draw_header(void)
{
    int w = COLS;
    attr_t h = theme_attr(T_HEADER);
    draw_fill(0, 0, w, h);
    char buf[1024];
    if (!A.m) {
        draw_text(0, 1, "ckpt " CKPT_VERSION, w - 2, h, CLIP_RIGHT);
        return;
    }
    char pb[32], sb[32];
    const char *p = ckpt_model_path(A.m);
    const char *base = strrchr(p, '/');
    base = base && base[1] ? base + 1 : p;
    /* counted as `ckpt info` counts them: optimizer state apart */
    int nt = A.nt_weights;
    char opt[48] = "";
    if (A.nt_opt) snprintf(opt, sizeof opt, " (+%d optimizer)", A.nt_opt);
    snprintf(buf, sizeof buf, "  %s  %d tensor%s%s  %s params  %s", ckpt_model_format(A.m), nt,
             nt == 1 ? "" : "s", opt, fmt_count(ckpt_model_nparams(A.m), pb, sizeof pb),
             fmt_bytes(ckpt_model_nbytes(A.m), sb, sizeof sb));
    /* the numbers matter more than the whole file name: the name gives way first */
    if (A.nt_opt && 1 + text_width(base) + text_width(buf) > w) {
        snprintf(opt, sizeof opt, " (+%d opt)", A.nt_opt);
        snprintf(buf, sizeof buf, "  %s  %d tensor%s%s  %s params  %s", ckpt_model_format(A.m), nt,
                 nt == 1 ? "" : "s", opt, fmt_count(ckpt_model_nparams(A.m), pb, sizeof pb),
                 fmt_bytes(ckpt_model_nbytes(A.m), sb, sizeof sb));
    }
    int rw = text_width(buf);
    int nw = w - 1 - rw;
    if (nw < 12) nw = 12;
    int u = draw_text(0, 1, base, nw, h, CLIP_RIGHT);
    draw_text(0, 1 + u, buf, w - 1 - u, h, CLIP_RIGHT);
}

void draw_status(void)
{
    if (!*A.msg) return;
    attr_t a = theme_attr(A.msg_err ? T_ERROR : T_MESSAGE);
    /* a long message (an error naming a path and a tensor) wraps upwards
     * over up to 4 lines rather than losing its end */
    int n = text_lines(A.msg, COLS - 2);
    if (n > 4) n = 4;
    for (int i = 0; i < n; i++) draw_fill(LINES - n + i, 0, COLS, a);
    draw_text_wrap(LINES - n, 1, n, COLS - 2, A.msg, a);
}

void draw_hints(const char *const *pairs)
{
    int y = LINES - 1, x = 0, w = COLS;
    draw_fill(y, 0, w, theme_attr(T_HINT));
    if (*A.msg) {
        draw_status();
        return;
    }
    if (hubtask_busy()) { /* a Hub call in the background: spinner, elapsed time */
        char line[800];
        hubtask_status(line, sizeof line);
        draw_text(y, 1, line, w - 2, theme_attr(T_MESSAGE), CLIP_RIGHT);
        return;
    }
    for (int i = 0; pairs[i] && pairs[i + 1]; i += 2) {
        int need = text_width(pairs[i]) + text_width(pairs[i + 1]) + 2;
        if (x + need > w) break;
        x += draw_text(y, x + 1, pairs[i], w - x - 1, theme_attr(T_HINT_KEY), CLIP_RIGHT) + 1;
        x += draw_text(y, x + 1, pairs[i + 1], w - x - 1, theme_attr(T_HINT), CLIP_RIGHT) + 1;
    }
}

void tui_next_theme(void)
{
    if (!A.color) {
        app_msg("colours are off (NO_COLOR or a monochrome terminal)");
        return;
    }
    char **names;
    int n = theme_list(&names);
    int next = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], theme_current())) next = (i + 1) % n;
    char msg[1024] = "";
    if (n > 0 && theme_load(names[next], msg, sizeof msg) == 0) app_msg("theme: %s", theme_current());
    else if (*msg) app_err("%s", msg);
    theme_list_free(names, n);
}

/* ====================================================================== */
/* Model                                                                   */
/* ====================================================================== */

void model_tensor_counts(const ckpt_model *m, int *nweights, int *nopt)
{
    int n = ckpt_model_ntensors(m), o = 0;
    for (int i = 0; i < n; i++)
        if (ckpt_model_tensor(m, i)->flags & CKPT_TF_OPTIMIZER) o++;
    *nweights = n - o;
    *nopt = o;
}

uint64_t model_file_bytes(const ckpt_model *m)
{
    uint64_t tot = 0;
    for (int i = 0; i < ckpt_model_nfiles(m); i++) {
        uint64_t sz = 0;
        ckpt_model_file(m, i, &sz);
        tot += sz;
    }
    return tot;
}

void app_close_model(void)
{
    if (job_busy()) {
        job_cancel();
        while (job_busy()) {
            usleep(10000);
            job_poll();
        }
    }
    if (A.m) {
        tree_detach();
        tensor_stats_reset();
        check_reset();
        ckpt_close(A.m);
        A.m = NULL;
    }
}

/* the model opened (by either path below) becomes the one shown */
static void adopt_model(ckpt_model *m, const char *path)
{
    app_close_model();
    A.m = m;
    model_tensor_counts(m, &A.nt_weights, &A.nt_opt); /* once per open, not per frame */
    snprintf(A.model_path, sizeof A.model_path, "%s", path);
    tree_attach(m);
    A.screen = SCR_MODEL;
    A.msg[0] = 0;
}

int app_open_model(const char *path)
{
    ckpt_model *m = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    app_msg("opening %s ...", path);
    if (g_curses_on) draw_frame(); /* a large header can take a moment */
    if (ckpt_open(path, &m, &e)) {
        app_err_ckpt(&e);
        return -1;
    }
    adopt_model(m, path);
    return 0;
}

static void open_done(ht_result *r)
{
    if (r->rc) {
        if (r->rc != CKPT_E_CANCELLED) app_err_ckpt(&r->err);
        return;
    }
    adopt_model(r->model, r->arg);
    r->model = NULL;   /* ours now */
}

int app_open_model_bg(const char *path)
{
    if (!ckpt_is_hub_url(path)) return app_open_model(path);
    char what[600];
    snprintf(what, sizeof what, "opening %.500s", path);
    return hubtask_start(HT_OPEN, path, 0, what, open_done);
}

/* ====================================================================== */
/* Background job                                                          */
/* ====================================================================== */

int job_busy(void) { return A.job.running; }

static int job_cb(void *ud, const ckpt_progress *p)
{
    job *j = ud;
    pthread_mutex_lock(&j->mu);
    j->bytes_done = p->bytes_done;
    j->bytes_total = p->bytes_total;
    j->items_done = p->items_done;
    j->items_total = p->items_total;
    if (p->current) snprintf(j->current, sizeof j->current, "%s", p->current);
    pthread_mutex_unlock(&j->mu);
    if (A.slow_ms > 0) usleep((useconds_t)A.slow_ms * 1000);
    return j->cancel;
}

static int job_net_hook(void *ud, const ckpt_progress *p)
{
    (void)p;
    return ((job *)ud)->cancel;
}

static void *job_main(void *arg)
{
    job *j = arg;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc;
    ckpt_stats st;
    ckpt_convert_result res;
    memset(&st, 0, sizeof st);
    memset(&res, 0, sizeof res);
    /* a remote model's range reads stop on Esc too, not only between chunks */
    ckpt_hub_set_progress(job_net_hook, j);
    if (j->kind == JOB_STATS) rc = ckpt_tensor_stats(A.m, j->tensor, 0, &st, job_cb, j, &e);
    else rc = ckpt_convert(A.m, &j->copts, &res, &e);
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->err = e;
    j->stats = st;
    j->cres = res;
    j->t_end = now_sec();
    j->done = 1;
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

static int job_launch(job_kind k)
{
    job *j = &A.job;
    if (j->running) {
        app_err("busy: wait for the current task or press Esc to cancel it");
        return -1;
    }
    j->kind = k;
    j->cancel = 0;
    j->done = 0;
    j->rc = 0;
    j->bytes_done = j->bytes_total = 0;
    j->items_done = j->items_total = 0;
    j->current[0] = 0;
    ckpt_err_clear(&j->err);
    memset(&j->cres, 0, sizeof j->cres);
    j->copts.progress = job_cb;
    j->copts.progress_ud = j;
    j->t0 = now_sec();
    j->t_end = 0;
    if (pthread_create(&j->th, NULL, job_main, j)) {
        app_err("cannot start a thread: %s", strerror(errno));
        return -1;
    }
    j->running = 1;
    return 0;
}

int job_start_stats(int tensor)
{
    A.job.tensor = tensor;
    return job_launch(JOB_STATS);
}

int job_start_convert(void) { return job_launch(JOB_CONVERT); }

void job_cancel(void)
{
    if (A.job.running) A.job.cancel = 1;
}

int job_poll(void)
{
    job *j = &A.job;
    if (!j->running) return 0;
    pthread_mutex_lock(&j->mu);
    int done = j->done;
    pthread_mutex_unlock(&j->mu);
    if (!done) return 0;
    pthread_join(j->th, NULL);
    j->running = 0;
    if (j->kind == JOB_STATS) {
        if (j->rc == 0) tensor_stats_deliver(j->tensor, &j->stats);
        else if (j->rc != CKPT_E_CANCELLED) app_err_ckpt(&j->err);
        else app_msg("statistics cancelled");
    } else if (j->kind == JOB_CONVERT) {
        progress_finished();
    }
    return 1;
}

/* ====================================================================== */
/* Keys: the terminal or a script                                          */
/* ====================================================================== */

static FILE *g_script;
static FILE *g_timing;
static char g_pending[512];    /* "text:" characters not yet delivered */
static size_t g_pending_pos;
static char g_last_token[64];
static int g_typing;            /* script "@typing": keys do not wait for the filter */
static double g_arrival = -1;   /* the key's time starts here (before a scan slice) */
static double g_key_t0;         /* the last key's start, for "@filtered" */

static int parse_token(const char *t)
{
    static const struct { const char *n; int k; } names[] = {
        {"Up", KEY_UP},       {"Down", KEY_DOWN},   {"Left", KEY_LEFT},  {"Right", KEY_RIGHT},
        {"PgUp", KEY_PPAGE},  {"PgDn", KEY_NPAGE},  {"Home", KEY_HOME},  {"End", KEY_END},
        {"Enter", '\n'},      {"Esc", KEY_ESC},     {"Tab", KEY_TAB},    {"Space", ' '},
        {"Backspace", KEY_BACKSPACE}, {"F1", KEY_F(1)},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(t, names[i].n)) return names[i].k;
    if (t[0] == 'C' && t[1] == '-' && t[2] && !t[3]) return KEY_CTRL(t[2]);
    if (t[0] && !t[1]) return (unsigned char)t[0];
    return ERR;
}

/* Next key from the script; -2 = end of script, ERR = wait (job running). */
static int script_key(void)
{
    if (g_pending[g_pending_pos]) {
        snprintf(g_last_token, sizeof g_last_token, "%c", g_pending[g_pending_pos]);
        return (unsigned char)g_pending[g_pending_pos++];
    }
    char line[600];
    for (;;) {
        if (!fgets(line, sizeof line, g_script)) return -2;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (!strcmp(line, "@wait")) {
            while (job_busy() || hubtask_busy()) {
                usleep(5000);
                job_poll();
                hubtask_poll();
            }
            continue;
        }
        if (!strcmp(line, "@typing")) {
            g_typing = 1;
            continue;
        }
        if (!strncmp(line, "text:", 5)) {
            snprintf(g_pending, sizeof g_pending, "%.500s", line + 5);
            g_pending_pos = 0;
            return script_key();
        }
        int k = parse_token(line);
        if (k == ERR) continue;
        snprintf(g_last_token, sizeof g_last_token, "%.60s", line);
        return k;
    }
}

/* ====================================================================== */
/* Frame                                                                   */
/* ====================================================================== */

static void draw_frame(void)
{
    erase();
    if (COLS < 40 || LINES < 10) {
        draw_text(0, 0, "terminal too small", COLS, A_BOLD, CLIP_RIGHT);
        draw_text(1, 0, "(needs 40x10)", COLS, 0, CLIP_RIGHT);
    } else {
        switch (A.screen) {
        case SCR_BROWSER: browser_draw(); break;
        case SCR_MODEL: model_draw(); break;
        case SCR_CHECK: check_draw(); break;
        case SCR_REMAP: remap_draw(); break;
        case SCR_CONVERT: convert_draw(); break;
        case SCR_PROGRESS: progress_draw(); break;
        }
        if (A.help) help_draw();
    }
    wnoutrefresh(stdscr);
    doupdate();
}

void draw_frame_now(void)
{
    if (g_curses_on) draw_frame();
}

static int dispatch(int key)
{
    if (A.help) return help_key(key);
    switch (A.screen) {
    case SCR_BROWSER: return browser_key(key);
    case SCR_MODEL: return model_key(key);
    case SCR_CHECK: return check_key(key);
    case SCR_REMAP: return remap_key(key);
    case SCR_CONVERT: return convert_key(key);
    case SCR_PROGRESS: return progress_key(key);
    }
    return R_NONE;
}

/* Open /dev/tty for curses when stdio is redirected (ncdu does the same). */
static int g_in_fd = -1;   /* the terminal curses reads keys from */
static SCREEN *start_curses(void)
{
    SCREEN *s = NULL;
    if (isatty(0) && isatty(1)) {
        s = newterm(NULL, stdout, stdin);
        g_in_fd = 0;
    } else {
        FILE *tty = fopen("/dev/tty", "r+");
        if (tty && (s = newterm(NULL, tty, tty))) g_in_fd = fileno(tty);
    }
    return s;
}

/* A key is waiting to be read (curses reads the terminal a byte at a
 * time, so the kernel still holds it): the filter's scan yields to it.
 * Under the script's @typing a key arrives as an idle slice starts. */
static int g_idle_slice;
int tui_key_waiting(void)
{
    if (g_script) return g_typing && g_idle_slice;
    struct pollfd p = {.fd = g_in_fd, .events = POLLIN};
    return g_in_fd >= 0 && poll(&p, 1, 0) > 0;
}

/* Environment knobs: script and timing files, slow progress, colour. */
static int read_env(void)
{
    const char *cs = nl_langinfo(CODESET);
    A.utf8 = cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
    const char *nc = getenv("NO_COLOR");
    A.color = !(nc && *nc);
    const char *slow = getenv("CKPT_TUI_SLOW_MS");
    A.slow_ms = slow ? atoi(slow) : 0;
    const char *sp = getenv("CKPT_TUI_SCRIPT");
    if (sp && *sp && !(g_script = fopen(sp, "r"))) {
        fprintf(stderr, "ckpt: %s: %s\n", sp, strerror(errno));
        return 2;
    }
    const char *tp = getenv("CKPT_TUI_TIMING");
    if (tp && *tp && !(g_timing = fopen(tp, "w"))) {
        fprintf(stderr, "ckpt: %s: %s\n", tp, strerror(errno));
        return 2;
    }
    return 0;
}

/* curses on, stderr away from the screen, signals, theme; NULL if no terminal */
static SCREEN *setup_terminal(const char *theme_name, char *tmsg, size_t tn)
{
    if (!getenv("ESCDELAY")) set_escdelay(25);
    SCREEN *scr = start_curses();
    if (!scr) return NULL;
    g_curses_on = 1;
    /* libraries that print (HDF5's error stack) must not scribble on the screen */
    g_saved_stderr = dup(2);
    const char *trace = getenv("CKPT_TRACE");
    int nullfd = open(trace && *trace ? trace : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (nullfd >= 0) {
        dup2(nullfd, 2);
        close(nullfd);
    }
    atexit(restore_terminal);
    install_signals();
    raw();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    draw_init(A.utf8);
    theme_init(A.color);
    if (theme_name && *theme_name) {
        if (!A.color) snprintf(tmsg, tn, "NO_COLOR is set: theme '%s' not used", theme_name);
        else theme_load(theme_name, tmsg, tn);
    } else if (A.color) {
        theme_load("default", tmsg, tn);
    }
    return scr;
}

/* A model that did not open: its folder's files, with the error kept. */
static void browse_beside(const char *start, int is_dir)
{
    char msg[sizeof A.msg];
    memcpy(msg, A.msg, sizeof msg);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", start);
    char *sl = strrchr(dir, '/');
    if (is_dir) {} /* a folder that looks like a model but does not open: its files */
    else if (sl && sl != dir) *sl = 0;
    else if (sl) sl[1] = 0;
    else snprintf(dir, sizeof dir, ".");
    if (strstr(start, "://") || (!is_dir && !strcmp(dir, start))) snprintf(dir, sizeof dir, ".");
    browser_init(dir);
    A.have_browser = 1;
    A.screen = SCR_BROWSER;
    memcpy(A.msg, msg, sizeof msg);
    A.msg_err = 1;
}

/* What to show first: the browser, a model, or a Hub repo (listed and
 * opened in the background over the current folder). */
static void first_screen(const char *path)
{
    const char *start = path && *path ? path : ".";
    struct stat st;
    int is_dir = stat(start, &st) == 0 && S_ISDIR(st.st_mode);
    ckpt_err de;
    ckpt_err_clear(&de);
    if (!(path && *path) || (is_dir && !ckpt_detect(start, &de))) {
        browser_init(start);
        A.have_browser = 1;
        A.screen = SCR_BROWSER;
    } else if (ckpt_is_hub_url(start)) {
        browser_init(".");
        A.have_browser = 1;
        A.screen = SCR_BROWSER;
        browser_go_remote(start, 2);
    } else if (app_open_model(start) != 0) {
        browse_beside(start, is_dir);
    } else if (is_dir) {
        /* a folder opened as a model (shards, TF.js, a Hugging Face folder):
         * q shows its files, which may hold more than that model */
        browser_init(start);
        A.have_browser = 1;
    }
}

static int busy(void) { return job_busy() || hubtask_busy(); }

/* The filter's scan has just ended: its time since the key that started
 * or last narrowed it (the frame showing it may follow). */
static void filter_done_timing(void)
{
    if (g_timing && !tree_filter_pending()) fprintf(g_timing, "@filtered\t%.1f\n", (now_sec() - g_key_t0) * 1e6);
}

/* The next key: from the script (background work finished first, so runs
 * are deterministic) or the terminal (with a timeout while something runs
 * in the background, to animate it). ERR: nothing yet; -2: end of script. */
static int next_key(int *dirty)
{
    /* work between keys: the browser's probes, the filter's scan */
    int filtering = A.screen == SCR_MODEL && tree_filter_pending();
    int idle_work = (A.screen == SCR_BROWSER && !A.help && browser_pending()) || filtering;
    if (g_script) {
        if (filtering && g_typing) { /* the key lands as a slice starts, which yields to it */
            g_arrival = now_sec();
            g_idle_slice = 1;
            tree_filter_step();
            g_idle_slice = 0;
            draw_frame();
            filter_done_timing();
            return script_key();
        }
        if (filtering) { /* deterministic: finish filtering first, drawing as the loop does */
            while (tree_filter_step() && tree_filter_pending()) draw_frame();
            draw_frame();
            filter_done_timing();
            return ERR;
        }
        if (idle_work || hubtask_running()) {
            for (int guard = 0; guard < 100000; guard++) {
                if (hubtask_running()) { if (!hubtask_poll()) usleep(5000); continue; }
                if (!(A.screen == SCR_BROWSER && browser_pending())) break;
                if (!browser_idle() && !hubtask_running()) break;
            }
            *dirty = 1;
            return ERR;
        }
        return script_key();
    }
    /* a remote probe: look again soon, its result shows as it comes */
    timeout(busy() ? 100 : hubtask_running() ? 20 : idle_work ? 0 : -1);
    int k = getch();
    if (k == ERR) {
        if (idle_work && (filtering ? tree_filter_step() : browser_idle())) *dirty = 1;
        if (filtering && !tree_filter_pending()) filter_done_timing();
        if (busy() || hubtask_running()) {
            A.spin++;
            *dirty = 1;
        }
    }
    return k;
}

/* Mouse: wheel to Up/Down, click selects, double click opens. ERR when
 * nothing is left to dispatch. */
static int mouse_key(void)
{
    MEVENT ev;
    if (getmouse(&ev) != OK) return ERR;
    if (ev.bstate & BUTTON4_PRESSED) return KEY_UP;
    if (ev.bstate & BUTTON5_PRESSED) return KEY_DOWN;
    if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED)) || A.help) return ERR;
    int hit = A.screen == SCR_BROWSER ? browser_click(ev.y, ev.x)
              : A.screen == SCR_MODEL ? model_click(ev.y, ev.x) : 0;
    if (!hit) return ERR;
    if (ev.bstate & BUTTON1_DOUBLE_CLICKED) return '\n';
    A.msg[0] = 0;
    draw_frame();
    return ERR;
}

/* One key through the screens; 1 to quit. */
static int handle_key(int k, double t0)
{
    if (k == KEY_MOUSE && (k = mouse_key()) == ERR) return 0;
    A.msg[0] = 0;
    if (k == KEY_ESC && hubtask_busy() && !A.help && !browser_prompt_open()) {
        hubtask_cancel();      /* Esc cancels the Hub call before anything else */
        draw_frame();
        return 0;
    }
    g_key_t0 = t0;
    int r = dispatch(k);
    if (r & R_QUIT) return 1;
    if (r & R_CLEAR) clearok(curscr, TRUE);
    draw_frame();
    if (g_timing)
        fprintf(g_timing, "%s\t%.1f\n", g_script ? g_last_token : keyname(k), (now_sec() - t0) * 1e6);
    return 0;
}

static void main_loop(void)
{
    int dirty = 1;
    for (;;) {
        if (job_poll()) dirty = 1;
        if (hubtask_poll()) dirty = 1;
        if (A.quit_signal) break;
        if (dirty) draw_frame();
        dirty = 0;
        int k = next_key(&dirty);
        if (k == -2) break;
        if (k == ERR) continue;
        if (k == KEY_RESIZE) {
            clearok(curscr, TRUE);
            dirty = 1;
            continue;
        }
        double t0 = g_arrival >= 0 ? g_arrival : now_sec();
        g_arrival = -1;
        if (handle_key(k, t0)) break;
    }
}

static void teardown(SCREEN *scr)
{
    if (job_busy()) {
        job_cancel();
        while (job_busy()) {
            usleep(10000);
            job_poll();
        }
    }
    hubtask_shutdown();
    restore_terminal();
    delscreen(scr);
    app_close_model();
    browser_free();
    remap_reset();
    if (g_script) fclose(g_script);
    if (g_timing) fclose(g_timing);
}

int tui_main(const char *path, const char *theme_name)
{
    memset(&A, 0, sizeof A);
    pthread_mutex_init(&A.job.mu, NULL);
    int rc = read_env();
    if (rc) return rc;
    char tmsg[1024] = "";
    SCREEN *scr = setup_terminal(theme_name, tmsg, sizeof tmsg);
    if (!scr) {
        fprintf(stderr, "ckpt: cannot start the terminal interface (TERM=%s); try 'ckpt info PATH'\n",
                getenv("TERM") ? getenv("TERM") : "");
        return 3;
    }
    first_screen(path);
    if (*tmsg && !*A.msg) app_err("%s", tmsg);
    main_loop();
    teardown(scr);
    return A.quit_signal ? 128 + A.quit_signal : 0;
}
