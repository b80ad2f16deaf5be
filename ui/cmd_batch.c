/* cmd_batch.c: `ckpt convert --batch FILE [--jobs N] [--part K/N] [OPTIONS]`.
 *
 * The manifest holds one job a line: `INPUT -o OUTPUT [options]` (words
 * split as a shell would, with '' "" and \), or a JSON object with the same
 * keys ({"input":..., "output":..., "dtype":"F16", "map":[...], "verify":true});
 * blank lines and lines starting with # are skipped. OPTIONS after the
 * batch's own are added to every job. Each job runs as a child
 * `ckpt convert ... --resume --json --progress=json` (libhdf5 is not
 * thread-safe, and a crash stays in its job), --jobs at a time; --resume
 * verifies every output and skips one that exists and verifies, so a
 * re-run does only what failed. --part K/N keeps jobs K, K+N, K+2N, ...
 * (1-based), so N machines together run every job once. */
#include <cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "safe.h"

#define MAX_JOBS 64

typedef struct job {
    int line;                 /* manifest line */
    char **argv;              /* INPUT -o OUTPUT [options] */
    int argc;
    const char *out;          /* points into argv */
    pid_t pid;
    int ofd, efd;             /* child's stdout (result JSON) and stderr (progress, errors) */
    char obuf[4096], ebuf[4096];
    size_t on, en;
    char last_err[512];
    unsigned long long done, total;
    int state;                /* 0 waiting, 1 running, 2 converted, 3 skipped, 4 failed */
} job;

static void words_free(char **w, int n)
{
    for (int i = 0; i < n; i++) free(w[i]);
    free(w);
}

static int push(char ***w, int *n, const char *s, size_t l)
{
    char **nw = realloc(*w, (size_t)(*n + 2) * sizeof **w);
    if (!nw) return -1;
    *w = nw;
    if (!(nw[*n] = strndup(s, l))) return -1;
    nw[++*n] = NULL;
    return 0;
}

/* Shell-like words: quotes and backslashes, no expansion. -1 on an open quote. */
static int split_words(const char *s, char ***out, int *n)
{
    *out = NULL;
    *n = 0;
    char *cur = malloc(strlen(s) + 1);
    if (!cur) return -1;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) break;
        size_t l = 0;
        char q = 0;
        for (; *p && (q || (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')); p++) {
            if (q) {
                if (*p == q) q = 0;
                else if (q == '"' && *p == '\\' && p[1]) cur[l++] = *++p;
                else cur[l++] = *p;
            } else if (*p == '\'' || *p == '"') q = *p;
            else if (*p == '\\' && p[1]) cur[l++] = *++p;
            else cur[l++] = *p;
        }
        if (q || push(out, n, cur, l)) { free(cur); return -1; }
    }
    free(cur);
    return 0;
}

/* {"input":..., "output":..., KEY: VALUE}: the same words as a text line. */
static int json_words(const char *s, char ***out, int *n, char *why, size_t wn)
{
    *out = NULL;
    *n = 0;
    cJSON *j = cJSON_Parse(s);
    if (!cJSON_IsObject(j)) { cJSON_Delete(j); snprintf(why, wn, "not a JSON object"); return -1; }
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(j, "input");
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "output");
    int rc = 0;
    if (!cJSON_IsString(in) || !cJSON_IsString(o)) { snprintf(why, wn, "wants string keys \"input\" and \"output\""); rc = -1; }
    if (!rc) rc = push(out, n, in->valuestring, strlen(in->valuestring)) || push(out, n, "-o", 2) ||
                  push(out, n, o->valuestring, strlen(o->valuestring));
    for (const cJSON *c = j->child; !rc && c; c = c->next) {
        if (!strcmp(c->string, "input") || !strcmp(c->string, "output")) continue;
        char opt[128];
        snprintf(opt, sizeof opt, "--%s", c->string);
        const cJSON *v = c;
        int many = cJSON_IsArray(c), k = 0;
        for (v = many ? c->child : c; !rc && v; v = many ? v->next : NULL, k++) {
            char num[64];
            if (cJSON_IsTrue(v)) rc = push(out, n, opt, strlen(opt));
            else if (cJSON_IsFalse(v)) continue;
            else if (cJSON_IsString(v)) rc = push(out, n, opt, strlen(opt)) || push(out, n, v->valuestring, strlen(v->valuestring));
            else if (cJSON_IsNumber(v)) {
                snprintf(num, sizeof num, "%.17g", v->valuedouble);
                rc = push(out, n, opt, strlen(opt)) || push(out, n, num, strlen(num));
            } else { snprintf(why, wn, "key \"%s\" wants a string, number, boolean or list", c->string); rc = -1; }
        }
    }
    cJSON_Delete(j);
    if (rc) { words_free(*out, *n); *out = NULL; *n = 0; }
    return rc;
}

static const char *job_output(char **w, int n)
{
    for (int i = 0; i + 1 < n; i++)
        if (!strcmp(w[i], "-o") || !strcmp(w[i], "--output")) return w[i + 1];
    return NULL;
}

/* Jobs of the manifest (all of them; --part picks later). Usage errors name the line. */
static int read_manifest(const char *path, job **out, int *njobs)
{
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "ckpt: %s: cannot open the batch manifest: %s\n", cli_esc(path), strerror(errno)); return EXIT_INPUT; }
    char *line = NULL;
    size_t cap = 0;
    int ln = 0, n = 0, rc = 0;
    job *jobs = NULL;
    while (!rc && getline(&line, &cap, f) >= 0) {
        ln++;
        const char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n' || *p == '\r' || *p == '#') continue;
        char **w = NULL, why[160] = "open quote";
        int wn = 0;
        int bad = *p == '{' ? json_words(p, &w, &wn, why, sizeof why) : split_words(p, &w, &wn);
        if (!bad && (wn < 3 || w[0][0] == '-' || !job_output(w, wn))) { bad = 1; snprintf(why, sizeof why, "wants INPUT -o OUTPUT [options]"); }
        if (bad) {
            fprintf(stderr, "ckpt: %s:%d: %s\n", cli_esc(path), ln, why);
            words_free(w, wn);
            rc = EXIT_USAGE;
            break;
        }
        job *nj = realloc(jobs, (size_t)(n + 1) * sizeof *jobs);
        if (!nj) { words_free(w, wn); rc = EXIT_INPUT; break; }
        jobs = nj;
        memset(&jobs[n], 0, sizeof jobs[n]);
        jobs[n].line = ln;
        jobs[n].argv = w;
        jobs[n].argc = wn;
        jobs[n].out = job_output(w, wn);
        n++;
    }
    free(line);
    fclose(f);
    *out = jobs;
    *njobs = n;
    return rc;
}

static int start_job(job *j, char **common, int ncommon)
{
    char **av = calloc((size_t)(j->argc + ncommon + 6), sizeof *av);
    if (!av) return -1;
    int k = 0;
    av[k++] = "ckpt";
    av[k++] = "convert";
    for (int i = 0; i < j->argc; i++) av[k++] = j->argv[i];
    for (int i = 0; i < ncommon; i++) av[k++] = common[i];
    av[k++] = "--resume";          /* verifies; skips an output that exists and verifies */
    av[k++] = "--json";
    av[k++] = "--progress=json";
    int rc = child_spawn(av, &j->pid, &j->ofd, &j->efd);
    free(av);
    if (!rc) j->state = 1;
    return rc;
}

/* stderr lines: progress JSON, or a message (the last "ckpt: ..." is the job's error) */
static void job_line(job *j, char *l)
{
    if (!strncmp(l, "{\"phase\"", 8)) {
        cJSON *p = cJSON_Parse(l);
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "bytes_done"), *t = cJSON_GetObjectItemCaseSensitive(p, "bytes_total");
        if (cJSON_IsNumber(d) && cJSON_IsNumber(t)) { j->done = (unsigned long long)d->valuedouble; j->total = (unsigned long long)t->valuedouble; }
        cJSON_Delete(p);
    } else if (!strncmp(l, "ckpt: ", 6) && !strstr(l, "exists but does not verify")) {
        snprintf(j->last_err, sizeof j->last_err, "%s", l + 6);
    }
}

/* Read what a child wrote; 1 when both pipes are at EOF. */
static int job_read(job *j, int fd)
{
    int is_err = fd == j->efd;
    char *b = is_err ? j->ebuf : j->obuf;
    size_t *n = is_err ? &j->en : &j->on;
    ssize_t r = read(fd, b + *n, sizeof j->ebuf - 1 - *n);
    if (r <= 0) {
        if (r < 0 && errno == EINTR) return 0;
        close(fd);
        if (is_err) j->efd = -1;
        else j->ofd = -1;
        return j->efd < 0 && j->ofd < 0;
    }
    *n += (size_t)r;
    b[*n] = 0;
    if (!is_err) {
        if (*n >= sizeof j->obuf - 1) *n = 0;   /* the result line is short: a flood is not it */
        return 0;
    }
    char *nl;
    while ((nl = memchr(b, '\n', *n))) {
        *nl = 0;
        job_line(j, b);
        size_t used = (size_t)(nl - b) + 1;
        memmove(b, nl + 1, *n - used);
        *n -= used;
        b[*n] = 0;
    }
    if (*n >= sizeof j->ebuf - 1) *n = 0;
    return 0;
}

static void job_finish(job *j)
{
    int st = 0;
    while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR) {}
    if (j->en) job_line(j, j->ebuf);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    j->state = !ok ? 4 : strstr(j->obuf, "\"skipped\":true") ? 3 : 2;
    if (!ok && !j->last_err[0])
        snprintf(j->last_err, sizeof j->last_err, WIFSIGNALED(st) ? "killed by signal %d" : "exit status %d",
                 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static const char *state_name(int s)
{
    static const char *const n[] = {"waiting", "running", "converted", "skipped", "FAILED"};
    return s >= 0 && s <= 4 ? n[s] : "?";
}

typedef struct board {
    int tty, quiet, lines;  /* lines drawn last time (TTY redraw) */
    double last;
} board;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One progress display: a line per running job and a total line (TTY), or a line per finished job. */
static void draw(board *b, job **sel, int n, int force)
{
    if (b->quiet || !b->tty) return;
    double t = mono();
    if (!force && t - b->last < 0.1) return;
    b->last = t;
    FILE *f = cli_term_err ? cli_term_err : stderr;
    if (b->lines) fprintf(f, "\033[%dA", b->lines);
    int lines = 0, c[5] = {0};
    for (int i = 0; i < n; i++) {
        c[sel[i]->state]++;
        if (sel[i]->state != 1) continue;
        char o[64];
        cli_esc_into(sel[i]->out, o, sizeof o);
        fprintf(f, "\033[2K  %-60s %3.0f%%\n", o, sel[i]->total ? 100.0 * (double)sel[i]->done / (double)sel[i]->total : 0.0);
        lines++;
    }
    fprintf(f, "\033[2K  batch: %d/%d done (%d converted, %d skipped, %d failed), %d running\n", c[2] + c[3] + c[4], n,
            c[2], c[3], c[4], c[1]);
    lines++;
    for (int i = lines; i < b->lines; i++) fprintf(f, "\033[2K\n");
    if (b->lines > lines) fprintf(f, "\033[%dA", b->lines - lines);
    b->lines = lines;
    fflush(f);
}

static void said_done(board *b, const job *j, int k, int n)
{
    if (b->quiet || b->tty) return;
    fprintf(stderr, "ckpt: batch [%d/%d] %s: %s%s%s\n", k, n, state_name(j->state), cli_esc(j->out),
            j->state == 4 ? ": " : "", j->state == 4 ? cli_esc(j->last_err) : "");
}

static void summary(job **sel, int n)
{
    int c[5] = {0};
    size_t w = 6;
    for (int i = 0; i < n; i++) { size_t l = strlen(cli_esc(sel[i]->out)); if (l > w) w = l; }
    if (w > 60) w = 60;
    printf("%-5s %-9s %-*s  %s\n", "LINE", "STATUS", (int)w, "OUTPUT", "DETAIL");
    for (int i = 0; i < n; i++) {
        c[sel[i]->state]++;
        printf("%-5d %-9s %-*s  %s\n", sel[i]->line, state_name(sel[i]->state), (int)w, cli_esc(sel[i]->out),
               sel[i]->state == 4 ? cli_esc(sel[i]->last_err) : "");
    }
    printf("batch: %d job%s: %d converted, %d skipped (exist and verify), %d failed\n", n, n == 1 ? "" : "s", c[2], c[3], c[4]);
}

/* Run the selected jobs, `par` at a time. */
static void run_jobs(job **sel, int n, int par, char **common, int ncommon, board *b)
{
    int next = 0, running = 0, finished = 0, stopping = 0;
    struct pollfd pf[2 * MAX_JOBS];
    job *who[2 * MAX_JOBS];
    while (finished < n) {
        if (cli_cancelled && !stopping) {
            stopping = 1;
            for (int i = 0; i < n; i++)
                if (sel[i]->state == 1) kill(sel[i]->pid, SIGTERM);   /* each child removes its partial output */
        }
        while (!stopping && running < par && next < n) {
            if (start_job(sel[next], common, ncommon)) {
                sel[next]->state = 4;
                snprintf(sel[next]->last_err, sizeof sel[next]->last_err, "cannot start: %s", strerror(errno));
                said_done(b, sel[next], ++finished, n);
            } else running++;
            next++;
        }
        if (stopping && !running) {
            for (; next < n; next++) {
                sel[next]->state = 4;
                snprintf(sel[next]->last_err, sizeof sel[next]->last_err, "not started: cancelled");
                finished++;
            }
            break;
        }
        int np = 0;
        for (int i = 0; i < n; i++) {
            if (sel[i]->state != 1) continue;
            if (sel[i]->ofd >= 0) { pf[np] = (struct pollfd){.fd = sel[i]->ofd, .events = POLLIN}; who[np++] = sel[i]; }
            if (sel[i]->efd >= 0) { pf[np] = (struct pollfd){.fd = sel[i]->efd, .events = POLLIN}; who[np++] = sel[i]; }
        }
        draw(b, sel, n, 0);
        if (poll(pf, (nfds_t)np, 200) <= 0) continue;
        for (int k = 0; k < np; k++) {
            if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (job_read(who[k], pf[k].fd) && who[k]->state == 1) {
                job_finish(who[k]);
                running--;
                said_done(b, who[k], ++finished, n);
            }
        }
    }
    draw(b, sel, n, 1);
}

int cmd_convert_batch(int argc, char **argv)
{
    const char *manifest = NULL;
    int par = 1, part_k = 1, part_n = 1, ncommon = 0;
    board b = {.tty = isatty(2)};
    char **common = calloc((size_t)argc + 1, sizeof *common);
    if (!common) return EXIT_INPUT;
    /* the batch's own options (--opt v or --opt=v); the others go to every
     * job, whose `ckpt convert` parses them */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        char name[16] = "";
        if (!strncmp(a, "--", 2) && eq && eq - a < (int)sizeof name) snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
        const char *n = name[0] ? name : a;
        if (!strcmp(n, "--batch") || !strcmp(n, "--jobs") || !strcmp(n, "--part")) {
            if (!name[0] && i + 1 >= argc) { free(common); return cli_usage("convert", "%s needs a value", a); }
            const char *v = name[0] ? eq + 1 : argv[++i];
            a = n;
            char *end;
            if (a[2] == 'b') manifest = v;
            else if (a[2] == 'j') {
                par = (int)strtol(v, &end, 10);
                if (*end || par < 1 || par > MAX_JOBS) { free(common); return cli_usage("convert", "--jobs wants 1..%d, got '%s'", MAX_JOBS, v); }
            } else if (sscanf(v, "%d/%d", &part_k, &part_n) != 2 || part_n < 1 || part_k < 1 || part_k > part_n ||
                       !strchr(v, '/')) {
                free(common);
                return cli_usage("convert", "--part wants K/N with 1 <= K <= N, got '%s'", v);
            }
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q") || !strcmp(a, "--progress=none")) b.quiet = 1;
        else if (!strcmp(a, "--progress=bar")) b.tty = 1;
        else if (!strcmp(a, "--progress=json")) b.tty = 0;
        else if (!strcmp(a, "--verify") || !strcmp(a, "--resume") || !strcmp(a, "--json")) continue;  /* always on */
        else common[ncommon++] = argv[i];
    }
    job *jobs = NULL;
    int njobs = 0;
    int rc = read_manifest(manifest, &jobs, &njobs);
    job **sel = rc ? NULL : calloc((size_t)njobs + 1, sizeof *sel);
    int n = 0;
    for (int i = 0; sel && i < njobs; i++)
        if (i % part_n == part_k - 1) sel[n++] = &jobs[i];
    if (!rc && !sel) rc = EXIT_INPUT;
    if (!rc) {
        cli_install_signals();
        run_jobs(sel, n, par, common, ncommon, &b);
        summary(sel, n);
        for (int i = 0; i < n; i++)
            if (sel[i]->state == 4) rc = EXIT_INPUT;
    }
    for (int i = 0; i < njobs; i++) words_free(jobs[i].argv, jobs[i].argc);
    free(jobs);
    free(sel);
    free(common);
    return rc;
}
