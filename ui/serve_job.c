/* serve_job.c: the predictions of `ckpt serve` (serve.h). Each runs in a
 * worker thread that starts a `ckpt convert --package zip --verify` child
 * (child.c), collects its log lines, posts webhooks, and turns the zip into
 * the output: a data URL, or a path under --output-dir. */
#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ckpt/hub.h"
#include "child.h"
#include "serve.h"

#define MAX_LOGS (64u << 10)
#define KEEP_FINISHED 256
#define KILL_AFTER 5.0

serve_cfg S;
pthread_mutex_t serve_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t serve_cv = PTHREAD_COND_INITIALIZER;
static pred *preds;        /* newest first */
static int running, counter;

double serve_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

char *serve_scrub(const char *s)
{
    const char *tok = getenv("HF_TOKEN");
    char *out = strdup(s ? s : "");
    if (!out || !tok || strlen(tok) < 4) return out;
    size_t tl = strlen(tok);
    for (char *p; (p = strstr(out, tok));) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + tl, strlen(p + tl) + 1);
    }
    return out;
}

static void iso_time(double t, char *buf, size_t n)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t l = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + l, n - l, ".%06dZ", (int)((t - (double)s) * 1e6));
}

static const char *const status_names[] = {"starting", "processing", "succeeded", "failed", "canceled"};

char *serve_pred_json(const pred *p)
{
    cJSON *j = cJSON_CreateObject();
    char t[64];
    cJSON_AddStringToObject(j, "id", p->id);
    cJSON *in = p->input_json ? cJSON_Parse(p->input_json) : NULL;
    cJSON_AddItemToObject(j, "input", in ? in : cJSON_CreateObject());
    if (p->output) cJSON_AddStringToObject(j, "output", p->output);
    else cJSON_AddNullToObject(j, "output");
    char *logs = serve_scrub(p->logs);
    cJSON_AddStringToObject(j, "logs", logs ? logs : "");
    free(logs);
    if (p->error) {
        char *e = serve_scrub(p->error);
        cJSON_AddStringToObject(j, "error", e ? e : "");
        free(e);
    } else cJSON_AddNullToObject(j, "error");
    cJSON_AddStringToObject(j, "status", status_names[p->status]);
    iso_time(p->created, t, sizeof t);
    cJSON_AddStringToObject(j, "created_at", t);
    if (p->started) { iso_time(p->started, t, sizeof t); cJSON_AddStringToObject(j, "started_at", t); }
    if (p->completed) { iso_time(p->completed, t, sizeof t); cJSON_AddStringToObject(j, "completed_at", t); }
    cJSON *m = cJSON_AddObjectToObject(j, "metrics");
    if (p->completed && p->started) cJSON_AddNumberToObject(m, "predict_time", p->completed - p->started);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static void add_log(pred *p, const char *line)
{
    size_t l = strlen(line);
    if (p->nlogs + l + 2 > MAX_LOGS) return;
    char *n = realloc(p->logs, p->nlogs + l + 2);
    if (!n) return;
    p->logs = n;
    memcpy(p->logs + p->nlogs, line, l);
    p->nlogs += l;
    p->logs[p->nlogs++] = '\n';
    p->logs[p->nlogs] = 0;
}

static size_t discard(char *b, size_t s, size_t n, void *u) { (void)b; (void)u; return s * n; }

/* POST the prediction to its webhook (Cog sends the whole prediction object). */
static void webhook(pred *p, unsigned ev)
{
    if (!p->req.webhook || !(p->req.events & ev)) return;
    pthread_mutex_lock(&serve_mu);
    char *body = serve_pred_json(p);
    pthread_mutex_unlock(&serve_mu);
    CURL *c = body ? curl_easy_init() : NULL;
    if (c) {
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, p->req.webhook);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
            pthread_mutex_lock(&serve_mu);
            add_log(p, "ckpt serve: webhook failed");
            pthread_mutex_unlock(&serve_mu);
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
    }
    free(body);
}

static char *b64(const unsigned char *d, size_t n, const char *prefix)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t pl = strlen(prefix);
    char *o = malloc(pl + (n + 2) / 3 * 4 + 1), *q;
    if (!o) return NULL;
    memcpy(o, prefix, pl);
    q = o + pl;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        *q++ = tab[v >> 18 & 63];
        *q++ = tab[v >> 12 & 63];
        *q++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *q = 0;
    return o;
}

/* The zip as a data URL, bounded by --max-output. */
static int zip_output(pred *p, char **why)
{
    struct stat st;
    if (stat(p->out_path, &st)) return *why = strdup("the conversion left no output"), -1;
    if ((unsigned long long)st.st_size > S.max_output) {
        char m[256];
        snprintf(m, sizeof m, "the package is %lld bytes, over the server's --max-output %llu", (long long)st.st_size, S.max_output);
        return *why = strdup(m), -1;
    }
    if (S.output_dir) return p->output = strdup(p->out_path), 0;
    FILE *f = fopen(p->out_path, "rb");
    unsigned char *d = malloc((size_t)st.st_size + 1);
    size_t got = f && d ? fread(d, 1, (size_t)st.st_size, f) : 0;
    if (f) fclose(f);
    if (got == (size_t)st.st_size) p->output = b64(d, got, "data:application/zip;base64,");
    free(d);
    unlink(p->out_path);
    if (!p->output) return *why = strdup("cannot read the package"), -1;
    return 0;
}

static char *path_join2(const char *a, const char *b)
{
    char *s = malloc(strlen(a) + strlen(b) + 2);
    if (s) sprintf(s, "%s/%s", a, b);
    return s;
}

/* What the child opens: a local path (joined with h5_filename, still under
 * root), or hf://repo[@rev]/FILE, FILE being h5_filename or the repo's one
 * .h5/.keras file (several: the error lists them). */
static char *resolve_input(pred *p, char **why)
{
    const ckpt_predict_req *r = &p->req;
    if (r->local) {
        char *path = r->h5_filename ? path_join2(r->repo, r->h5_filename) : strdup(r->repo);
        char real[4096];
        size_t rl = S.root ? strlen(S.root) : 0;
        if (!path || !realpath(path, real) || strncmp(real, S.root, rl) || (real[rl] && real[rl] != '/')) {
            free(path);
            *why = strdup("h5_filename: no such file under the server's --root");
            return NULL;
        }
        free(path);
        return strdup(real);
    }
    char base[512];
    snprintf(base, sizeof base, "hf://%s%s%s", r->repo, r->revision ? "@" : "", r->revision ? r->revision : "");
    if (r->h5_filename) return path_join2(base, r->h5_filename);
    ckpt_hub_listing *l = NULL;
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt_hub_list(base, &l, &err)) {
        char m[700];
        snprintf(m, sizeof m, "%.200s: %.480s", r->repo, err.msg);
        *why = strdup(m);
        return NULL;
    }
    int n = 0;
    const char *pick = NULL;
    char names[400] = "";
    for (int i = 0; i < l->nfiles; i++) {
        const char *f = l->files[i].path;
        size_t fl = strlen(f);
        int h5 = (fl > 3 && !strcmp(f + fl - 3, ".h5")) || (fl > 5 && !strcmp(f + fl - 5, ".hdf5")) || (fl > 6 && !strcmp(f + fl - 6, ".keras"));
        if (!h5 || l->files[i].is_dir) continue;
        if (!n++) pick = f;
        size_t nl = strlen(names);
        snprintf(names + nl, sizeof names - nl, "%s%s", nl ? ", " : "", f);
    }
    char *res = NULL;
    if (n > 1) {
        char m[600];
        snprintf(m, sizeof m, "%s holds %d model files (%s): say which with h5_filename", r->repo, n, names);
        *why = strdup(m);
    } else {
        res = pick ? path_join2(base, pick) : strdup(base);   /* none: the repo itself (safetensors, ...) */
    }
    ckpt_hub_listing_free(l);
    return res;
}

/* argv of the child: ckpt convert IN --package zip -o OUT --verify ... */
static int child_argv(pred *p, const char *in, char **av, char *mapfile)
{
    int k = 0;
    av[k++] = "ckpt";
    av[k++] = "convert";
    av[k++] = (char *)in;
    av[k++] = "--package";
    av[k++] = "zip";
    av[k++] = "-o";
    av[k++] = p->out_path;
    av[k++] = "--verify";
    av[k++] = "--json";
    av[k++] = "--progress=json";
    const ckpt_predict_req *r = &p->req;
    if (r->to) { av[k++] = "--to"; av[k++] = r->to; }
    if (r->model_type) { av[k++] = "--model-type"; av[k++] = r->model_type; }
    if (r->naming) { av[k++] = "--naming"; av[k++] = r->naming; }
    if (r->dtype) { av[k++] = "--dtype"; av[k++] = r->dtype; }
    if (r->map) {
        FILE *f = fopen(mapfile, "w");
        if (!f || fputs(r->map, f) < 0 || fclose(f)) return -1;
        av[k++] = "--map";
        av[k++] = mapfile;
    }
    av[k] = NULL;
    return k;
}

/* Run the child to its end; its stderr lines (not progress) are the logs,
 * the last "ckpt: " one the error. */
static int run_child(pred *p, char **av, char **why)
{
    int ofd, efd;
    pid_t pid;
    if (child_spawn(av, &pid, &ofd, &efd)) return *why = strdup("cannot start the conversion"), -1;
    pthread_mutex_lock(&serve_mu);
    p->pid = pid;
    int cancelled = p->cancel;
    pthread_mutex_unlock(&serve_mu);
    if (cancelled) kill(pid, SIGTERM);
    char buf[8192], line[2048] = "", last[1024] = "";
    size_t ll = 0;
    close(ofd);   /* the result is the zip itself */
    double cancel_at = 0, last_logs_hook = 0;
    for (;;) {
        /* a child cancelled while it cannot see it (inside a download) is
         * killed after KILL_AFTER seconds: its outputs are nameless
         * temporaries until commit, so nothing partial is left */
        struct pollfd pf = {.fd = efd, .events = POLLIN};
        int pr = poll(&pf, 1, 200);
        pthread_mutex_lock(&serve_mu);
        int c = p->cancel;
        pthread_mutex_unlock(&serve_mu);
        if (c && !cancel_at) cancel_at = serve_now();
        if (c && serve_now() - cancel_at > KILL_AFTER) kill(pid, SIGKILL);
        if (pr == 0 || (pr < 0 && errno == EINTR)) continue;
        ssize_t r = read(efd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] != '\n') { if (ll < sizeof line - 1) line[ll++] = buf[i]; continue; }
            line[ll] = 0;
            ll = 0;
            if (!strncmp(line, "{\"phase\"", 8)) continue;
            if (!strncmp(line, "ckpt: ", 6)) snprintf(last, sizeof last, "%.1000s", line + 6);
            pthread_mutex_lock(&serve_mu);
            add_log(p, line);
            pthread_mutex_unlock(&serve_mu);
            if (serve_now() - last_logs_hook >= 0.5) {   /* Cog: logs events at most every 500 ms */
                webhook(p, CKPT_WH_LOGS);
                last_logs_hook = serve_now();
            }
        }
    }
    close(efd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    pthread_mutex_lock(&serve_mu);
    p->pid = 0;
    pthread_mutex_unlock(&serve_mu);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    *why = strdup(last[0] ? last : "the conversion failed");
    return -1;
}

static void *worker(void *arg)
{
    pred *p = arg;
    pthread_mutex_lock(&serve_mu);
    p->started = serve_now();
    pthread_mutex_unlock(&serve_mu);
    webhook(p, CKPT_WH_START);              /* Cog: once, with status "starting" */
    pthread_mutex_lock(&serve_mu);
    p->status = PS_PROCESSING;
    pthread_mutex_unlock(&serve_mu);
    char *why = NULL, mapfile[4200];
    snprintf(mapfile, sizeof mapfile, "%s/map.txt", p->work);
    char *in = resolve_input(p, &why);
    char *av[32];
    int ok = in && child_argv(p, in, av, mapfile) > 0 && run_child(p, av, &why) == 0;
    if (in && !ok && !why) why = strdup("cannot write the map rules");
    pthread_mutex_lock(&serve_mu);
    int cancel = p->cancel;
    pthread_mutex_unlock(&serve_mu);
    if (ok && !cancel) ok = zip_output(p, &why) == 0;
    if (ok && !cancel) webhook(p, CKPT_WH_OUTPUT);
    if (!ok || cancel) unlink(p->out_path);   /* never a partial or unwanted package */
    unlink(mapfile);                          /* the job's folder holds the map and, data-URL mode, the zip */
    if (!S.output_dir) unlink(p->out_path);
    rmdir(p->work);
    if (S.output_dir && (!ok || cancel)) {
        char *d = strdup(p->out_path), *sl = d ? strrchr(d, '/') : NULL;
        if (sl) { *sl = 0; rmdir(d); }
        free(d);
    }
    free(in);
    pthread_mutex_lock(&serve_mu);
    p->status = cancel ? PS_CANCELED : ok ? PS_SUCCEEDED : PS_FAILED;
    if (!ok && !cancel) p->error = why ? why : strdup("failed");
    else free(why);
    if (cancel) { free(p->output); p->output = NULL; }
    p->completed = serve_now();
    pthread_mutex_unlock(&serve_mu);
    webhook(p, CKPT_WH_COMPLETED);
    pthread_mutex_lock(&serve_mu);
    running--;
    pthread_cond_broadcast(&serve_cv);
    pthread_mutex_unlock(&serve_mu);
    serve_unref(p);
    return NULL;
}

static void pred_free(pred *p)
{
    ckpt_predict_req_free(&p->req);
    free(p->input_json);
    free(p->output);
    free(p->error);
    free(p->logs);
    free(p->out_path);
    free(p->work);
    free(p);
}

void serve_unref(pred *p)
{
    if (!p) return;
    pthread_mutex_lock(&serve_mu);
    int last = --p->refs == 0;
    pthread_mutex_unlock(&serve_mu);
    if (last) pred_free(p);
}

/* Keep the newest KEEP_FINISHED finished predictions (cancel and PUT look them up). */
static void evict_locked(void)
{
    int n = 0;
    for (pred **pp = &preds; *pp;) {
        pred *p = *pp;
        if (p->status >= PS_SUCCEEDED && ++n > KEEP_FINISHED) {
            *pp = p->next;
            if (--p->refs == 0) pred_free(p);
        } else pp = &p->next;
    }
}

static pred *find_locked(const char *id)
{
    for (pred *p = preds; p; p = p->next)
        if (!strcmp(p->id, id)) return p;
    return NULL;
}

pred *serve_find(const char *id)
{
    pthread_mutex_lock(&serve_mu);
    pred *p = find_locked(id);
    if (p) p->refs++;
    pthread_mutex_unlock(&serve_mu);
    return p;
}

static void new_id(char *id, size_t n)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char r[26];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof r, f) != sizeof r)
        for (size_t i = 0; i < sizeof r; i++) r[i] = (unsigned char)(rand() ^ (int)i * 131 ^ counter);
    if (f) fclose(f);
    size_t k = 0;
    for (; k < sizeof r && k + 1 < n; k++) id[k] = al[r[k] & 31];
    id[k] = 0;
}

/* Paths of a new prediction: its scratch folder and the zip the child writes. */
static int job_paths(pred *p)
{
    const ckpt_predict_req *r = &p->req;
    const char *b = strrchr(r->repo, '/');
    char name[200];
    snprintf(name, sizeof name, "%s", b ? b + 1 : r->repo);
    char *dot = r->local ? strrchr(name, '.') : NULL;
    if (dot && dot != name) *dot = 0;
    if (!name[0] || name[0] == '.') snprintf(name, sizeof name, "model");
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s.work", S.tmp, p->id);
    if (mkdir(buf, 0700)) return -1;
    p->work = strdup(buf);
    if (S.output_dir) snprintf(buf, sizeof buf, "%s/%s/%s.zip", S.output_dir, p->id, name);
    else snprintf(buf, sizeof buf, "%s/%s.zip", p->work, name);
    p->out_path = strdup(buf);
    return p->work && p->out_path ? 0 : -1;
}

pred *serve_start(ckpt_predict_req *req, const char *input_json, int async, int *http, char *why, size_t wn)
{
    pthread_mutex_lock(&serve_mu);
    if (running >= S.jobs) {
        pthread_mutex_unlock(&serve_mu);
        *http = 503;
        snprintf(why, wn, "all %d job slot%s are busy: retry later", S.jobs, S.jobs == 1 ? "" : "s");
        return NULL;
    }
    if (req->id && find_locked(req->id)) {
        pthread_mutex_unlock(&serve_mu);
        *http = 409;
        snprintf(why, wn, "a prediction with id '%s' exists", req->id);
        return NULL;
    }
    pred *p = calloc(1, sizeof *p);
    if (!p) { pthread_mutex_unlock(&serve_mu); *http = 500; snprintf(why, wn, "out of memory"); return NULL; }
    counter++;
    if (req->id) snprintf(p->id, sizeof p->id, "%s", req->id);
    else new_id(p->id, sizeof p->id);
    p->req = *req;
    memset(req, 0, sizeof *req);
    p->input_json = strdup(input_json ? input_json : "{}");
    p->async = async;
    p->created = serve_now();
    p->refs = 3;                  /* the table, the worker, the caller */
    if (job_paths(p)) {
        pthread_mutex_unlock(&serve_mu);
        *http = 500;
        snprintf(why, wn, "cannot make the job's folder: %s", strerror(errno));
        p->refs = 1;
        serve_unref(p);
        return NULL;
    }
    p->next = preds;
    preds = p;
    running++;
    evict_locked();
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&th, &at, worker, p)) {
        running--;
        p->status = PS_FAILED;
        p->error = strdup("cannot start a worker thread");
        p->completed = serve_now();
        p->refs--;
    }
    pthread_attr_destroy(&at);
    pthread_mutex_unlock(&serve_mu);
    return p;
}

void serve_wait(pred *p)
{
    pthread_mutex_lock(&serve_mu);
    while (p->status < PS_SUCCEEDED) pthread_cond_wait(&serve_cv, &serve_mu);
    pthread_mutex_unlock(&serve_mu);
}

static void cancel_locked(pred *p)
{
    if (p->status >= PS_SUCCEEDED) return;
    p->cancel = 1;
    if (p->pid > 0) kill(p->pid, SIGTERM);
}

void serve_cancel(pred *p)
{
    pthread_mutex_lock(&serve_mu);
    cancel_locked(p);
    pthread_mutex_unlock(&serve_mu);
}

void serve_cancel_all(void)
{
    pthread_mutex_lock(&serve_mu);
    for (pred *p = preds; p; p = p->next) cancel_locked(p);
    pthread_mutex_unlock(&serve_mu);
}

int serve_running(void)
{
    pthread_mutex_lock(&serve_mu);
    int n = running;
    pthread_mutex_unlock(&serve_mu);
    return n;
}
