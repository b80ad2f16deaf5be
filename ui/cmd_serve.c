/* cmd_serve.c: `ckpt serve`: Cog's prediction HTTP API on libmicrohttpd
 * (a thread per connection; a synchronous prediction's thread waits for its
 * job). Routes, bounded request bodies, one JSON log line per request on
 * stderr, and SIGTERM: stop accepting, let running jobs finish for --grace
 * seconds, then cancel them (their children remove partial outputs). */
#include <arpa/inet.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt/convert.h"
#include "args.h"
#include "cli.h"
#include "serve.h"

#define RETRY_AFTER "5"

static volatile int shutting;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

typedef struct reqctx {
    char *body;
    size_t n;
    int too_big, answered;
    double t0;
} reqctx;

static void log_json(cJSON *j)
{
    char t[40];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(j, "time", t);
    char *s = cJSON_PrintUnformatted(j);
    char *c = serve_scrub(s);
    pthread_mutex_lock(&log_mu);
    if (c) fprintf(stderr, "%s\n", c);
    fflush(stderr);
    pthread_mutex_unlock(&log_mu);
    free(s);
    free(c);
    cJSON_Delete(j);
}

static void log_request(struct MHD_Connection *c, const char *method, const char *url, int status, reqctx *x,
                        const char *id, size_t bytes)
{
    cJSON *j = cJSON_CreateObject();
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, ip, sizeof ip);
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, ip, sizeof ip);
    cJSON_AddStringToObject(j, "remote", ip);
    cJSON_AddStringToObject(j, "method", method);
    cJSON_AddStringToObject(j, "path", url);
    cJSON_AddNumberToObject(j, "status", status);
    cJSON_AddNumberToObject(j, "bytes", (double)bytes);
    cJSON_AddNumberToObject(j, "ms", (double)(long)((serve_now() - x->t0) * 1000));
    if (id) cJSON_AddStringToObject(j, "id", id);
    log_json(j);
}

/* Queue a response (takes body) and log the request. */
static enum MHD_Result respond(struct MHD_Connection *c, const char *method, const char *url, reqctx *x, int status,
                               char *body, const char *ctype, const char *id)
{
    size_t n = body ? strlen(body) : 0;
    struct MHD_Response *r = MHD_create_response_from_buffer(n, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) { free(body); return MHD_NO; }
    MHD_add_response_header(r, "Content-Type", ctype ? ctype : "application/json");
    if (status == 503) MHD_add_response_header(r, "Retry-After", RETRY_AFTER);
    enum MHD_Result q = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    x->answered = 1;
    log_request(c, method, url, status, x, id, n);
    return q;
}

static enum MHD_Result respond_err(struct MHD_Connection *c, const char *method, const char *url, reqctx *x, int status,
                                   const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    char *m = serve_scrub(msg);
    cJSON_AddStringToObject(j, "detail", m ? m : "error");
    free(m);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return respond(c, method, url, x, status, s, NULL, NULL);
}

static enum MHD_Result respond_pred(struct MHD_Connection *c, const char *method, const char *url, reqctx *x, int status,
                                    pred *p)
{
    pthread_mutex_lock(&serve_mu);
    char *s = serve_pred_json(p);
    char id[80];
    snprintf(id, sizeof id, "%s", p->id);
    pthread_mutex_unlock(&serve_mu);
    return respond(c, method, url, x, status, s, NULL, id);
}

/* The request's "input" object as compact JSON, for the prediction's echo. */
static char *input_json(const char *body, size_t n)
{
    cJSON *j = cJSON_ParseWithLength(body, n);
    char *s = j ? cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "input")) : NULL;
    cJSON_Delete(j);
    return s;
}

static int wants_async(struct MHD_Connection *c)
{
    const char *p = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer");
    return p && strstr(p, "respond-async");
}

static enum MHD_Result predict(struct MHD_Connection *c, const char *method, const char *url, reqctx *x, const char *path_id)
{
    if (shutting) return respond_err(c, method, url, x, 503, "the server is shutting down");
    int async = wants_async(c);
    if (path_id) {
        pred *old = serve_find(path_id);
        if (old) {   /* idempotent: the existing prediction, not a new one */
            if (!async) serve_wait(old);
            enum MHD_Result q = respond_pred(c, method, url, x, async ? 202 : 200, old);
            serve_unref(old);
            return q;
        }
    }
    ckpt_predict_req req;
    ckpt_err err;
    ckpt_err_clear(&err);
    int http = 0;
    if (ckpt_predict_req_parse(x->body, x->n, S.root, &req, &http, &err)) return respond_err(c, method, url, x, http, err.msg);
    if (path_id) {
        free(req.id);
        req.id = strdup(path_id);
    }
    char *in = input_json(x->body, x->n), why[256];
    pred *p = serve_start(&req, in, async, &http, why, sizeof why);
    free(in);
    ckpt_predict_req_free(&req);
    if (!p) return respond_err(c, method, url, x, http, why);
    if (!async) serve_wait(p);
    enum MHD_Result q = respond_pred(c, method, url, x, async ? 202 : 200, p);
    serve_unref(p);
    return q;
}

static int id_ok(const char *s, size_t n)
{
    if (!n || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static char *root_doc(void)
{
    return strdup("{\"cog_version\":\"ckpt " CKPT_VERSION "\",\"docs_url\":\"/docs\",\"openapi_url\":\"/openapi.json\","
                  "\"healthcheck_url\":\"/health-check\",\"predictions_url\":\"/predictions\","
                  "\"predictions_idempotent_url\":\"/predictions/{prediction_id}\","
                  "\"predictions_cancel_url\":\"/predictions/{prediction_id}/cancel\"}");
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, reqctx *x)
{
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST"), put = !strcmp(method, "PUT");
    if (!strcmp(url, "/health-check") && get) {
        char b[160];
        int busy = serve_running() >= S.jobs;
        snprintf(b, sizeof b, "{\"status\":\"%s\",\"setup\":{\"status\":\"succeeded\",\"logs\":\"\"},\"version\":{\"ckpt\":\"%s\"}}",
                 shutting ? "DEFUNCT" : busy ? "BUSY" : "READY", CKPT_VERSION);
        return respond(c, method, url, x, 200, strdup(b), NULL, NULL);
    }
    if (!strcmp(url, "/openapi.json") && get) {
        size_t n = 0;
        const char *doc = ckpt_serve_openapi(&n);
        return doc ? respond(c, method, url, x, 200, strndup(doc, n), NULL, NULL) : respond_err(c, method, url, x, 500, "no OpenAPI document built in");
    }
    if (!strcmp(url, "/") && get) return respond(c, method, url, x, 200, root_doc(), NULL, NULL);
    if (!strcmp(url, "/predictions")) {
        if (!post) return respond_err(c, method, url, x, 405, "POST /predictions");
        return predict(c, method, url, x, NULL);
    }
    if (!strncmp(url, "/predictions/", 13)) {
        const char *id = url + 13, *sl = strchr(id, '/');
        size_t il = sl ? (size_t)(sl - id) : strlen(id);
        if (!id_ok(id, il)) return respond_err(c, method, url, x, 404, "no such prediction (ids are 1-64 letters, digits, - or _)");
        char pid[80];
        snprintf(pid, sizeof pid, "%.*s", (int)il, id);
        if (sl && !strcmp(sl, "/cancel")) {
            if (!post) return respond_err(c, method, url, x, 405, "POST /predictions/ID/cancel");
            pred *p = serve_find(pid);
            if (!p) return respond_err(c, method, url, x, 404, "no such prediction");
            serve_cancel(p);
            enum MHD_Result q = respond_pred(c, method, url, x, 200, p);
            serve_unref(p);
            return q;
        }
        if (sl) return respond_err(c, method, url, x, 404, "not found");
        if (!put) return respond_err(c, method, url, x, 405, "PUT /predictions/ID");
        return predict(c, method, url, x, pid);
    }
    return respond_err(c, method, url, x, 404, "not found: see GET / for the endpoints");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls; (void)version;
    reqctx *x = *con_cls;
    if (!x) {
        if (!(x = calloc(1, sizeof *x))) return MHD_NO;
        x->t0 = serve_now();
        *con_cls = x;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > S.max_body) {
            char m[128];
            snprintf(m, sizeof m, "the request body is over the server's limit of %zu bytes", S.max_body);
            return respond_err(c, method, url, x, 413, m);
        }
        return MHD_YES;
    }
    if (*data_size) {
        if (!x->too_big && x->n + *data_size <= S.max_body) {
            char *nb = realloc(x->body, x->n + *data_size + 1);
            if (!nb) return MHD_NO;
            x->body = nb;
            memcpy(x->body + x->n, data, *data_size);
            x->n += *data_size;
            x->body[x->n] = 0;
        } else x->too_big = 1;
        *data_size = 0;
        return MHD_YES;
    }
    if (x->answered) return MHD_YES;
    if (x->too_big) {
        char m[128];
        snprintf(m, sizeof m, "the request body is over the server's limit of %zu bytes", S.max_body);
        return respond_err(c, method, url, x, 413, m);
    }
    return route(c, url, method, x);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode tc)
{
    (void)cls; (void)c; (void)tc;
    reqctx *x = *con_cls;
    if (x) { free(x->body); free(x); }
    *con_cls = NULL;
}

static int parse_listen(const char *v, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(v, ':');
    if (!colon || (size_t)(colon - v) >= sizeof host) return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - v), v);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* One option; 0 or the exit code after a usage message. */
static int serve_opt(int id, const char *v, const char **listen)
{
    enum { O_LISTEN = CLI_OPT_FIRST_CMD, O_JOBS, O_ROOT, O_OUTD, O_GRACE, O_MAXBODY, O_MAXOUT };
    uint64_t sz = 0;
    char *end = NULL;
    switch (id) {
    case O_LISTEN: *listen = v; break;
    case O_JOBS:
        S.jobs = (int)strtol(v, &end, 10);
        if (*end || S.jobs < 1 || S.jobs > 64) return cli_usage("serve", "--jobs wants 1..64, got '%s'", v);
        break;
    case O_ROOT: S.root = v; break;
    case O_OUTD: S.output_dir = v; break;
    case O_GRACE:
        S.grace = strtod(v, &end);
        if (*end || !(S.grace >= 0) || S.grace > 86400) return cli_usage("serve", "--grace wants seconds, got '%s'", v);
        break;
    case O_MAXBODY:
    case O_MAXOUT:
        if (!ckpt_parse_size(v, &sz)) return cli_usage("serve", "bad size '%s' (examples: 1MiB, 500MB)", v);
        if (id == O_MAXBODY) S.max_body = (size_t)sz;
        else S.max_output = sz;
        break;
    }
    return 0;
}

static int serve_args(int argc, char **argv, struct sockaddr_in *sa)
{
    static const struct option rows[] = {
        {"listen", required_argument, NULL, CLI_OPT_FIRST_CMD}, {"jobs", required_argument, NULL, CLI_OPT_FIRST_CMD + 1},
        {"root", required_argument, NULL, CLI_OPT_FIRST_CMD + 2}, {"output-dir", required_argument, NULL, CLI_OPT_FIRST_CMD + 3},
        {"grace", required_argument, NULL, CLI_OPT_FIRST_CMD + 4}, {"max-body", required_argument, NULL, CLI_OPT_FIRST_CMD + 5},
        {"max-output", required_argument, NULL, CLI_OPT_FIRST_CMD + 6}, {0}};
    const char *listen = "127.0.0.1:5000", *v;
    S.jobs = 2;
    S.grace = 30;
    S.max_body = 1u << 20;
    S.max_output = 512ull << 20;
    cli_args a;
    if (cli_args_init(&a, "serve", argc, argv, rows)) return cli_oom();
    int id, rc = 0;
    while (!rc && (id = cli_args_next(&a, &v)) > 0) rc = serve_opt(id, v, &listen);
    if (!rc && id < 0) rc = EXIT_USAGE;
    if (!rc && a.npos) rc = cli_usage("serve", "unexpected argument '%s'", a.pos[0]);
    cli_args_free(&a);
    if (!rc && parse_listen(listen, sa)) rc = cli_usage("serve", "--listen wants IPv4:PORT (127.0.0.1:5000), got '%s'", listen);
    return rc;
}

/* --root and --output-dir as real paths (the prefix checks compare those). */
static int serve_dirs(char *root, char *outd, char *tmp)
{
    if (S.root) {
        if (!realpath(S.root, root)) { fprintf(stderr, "ckpt: serve: --root %s: %s\n", S.root, strerror(errno)); return EXIT_INPUT; }
        S.root = root;
    }
    if (S.output_dir) {
        mkdir(S.output_dir, 0755);
        if (!realpath(S.output_dir, outd)) { fprintf(stderr, "ckpt: serve: --output-dir %s: %s\n", S.output_dir, strerror(errno)); return EXIT_INPUT; }
        S.output_dir = outd;
    }
    const char *t = getenv("TMPDIR");
    snprintf(tmp, PATH_MAX, "%s/ckpt-serve-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp)) { fprintf(stderr, "ckpt: serve: cannot make a scratch folder: %s\n", strerror(errno)); return EXIT_INPUT; }
    S.tmp = tmp;
    return 0;
}

/* SIGTERM/SIGINT: no new connections or jobs; running jobs get --grace
 * seconds, then are cancelled; returns once none runs. */
static void drain(int sig)
{
    shutting = 1;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "event", "shutdown");
    cJSON_AddStringToObject(j, "signal", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP");
    cJSON_AddNumberToObject(j, "running", serve_running());
    cJSON_AddNumberToObject(j, "grace", S.grace);
    log_json(j);
    double until = serve_now() + S.grace;
    int cancelled = 0;
    pthread_mutex_lock(&serve_mu);
    for (;;) {
        pthread_mutex_unlock(&serve_mu);
        int n = serve_running();
        pthread_mutex_lock(&serve_mu);
        if (!n) break;
        if (!cancelled && serve_now() >= until) {
            pthread_mutex_unlock(&serve_mu);
            serve_cancel_all();
            pthread_mutex_lock(&serve_mu);
            cancelled = 1;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&serve_cv, &serve_mu, &ts);
    }
    pthread_mutex_unlock(&serve_mu);
}

int cmd_serve(int argc, char **argv)
{
    struct sockaddr_in sa;
    int rc = serve_args(argc, argv, &sa);
    if (rc) return rc;
    static char root[PATH_MAX], outd[PATH_MAX], tmp[PATH_MAX];
    if ((rc = serve_dirs(root, outd, tmp))) return rc;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);   /* every thread; the main one waits for them */
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC,
                                            0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_CONNECTION_TIMEOUT,
                                            (unsigned)300, MHD_OPTION_END);
    if (!d) {
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sa.sin_addr, a, sizeof a);
        fprintf(stderr, "ckpt: serve: cannot listen on %s:%u: %s\n", a, ntohs(sa.sin_port), strerror(errno));
        rmdir(tmp);
        return EXIT_INPUT;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char a[INET_ADDRSTRLEN], url[64];
    inet_ntop(AF_INET, &sa.sin_addr, a, sizeof a);
    snprintf(url, sizeof url, "http://%s:%u", a, di ? di->port : ntohs(sa.sin_port));
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "event", "listening");
    cJSON_AddStringToObject(j, "url", url);
    cJSON_AddNumberToObject(j, "jobs", S.jobs);
    cJSON_AddStringToObject(j, "output", S.output_dir ? S.output_dir : "data-url");
    log_json(j);
    int sig = 0;
    while (sigwait(&set, &sig)) {}
    MHD_socket ls = MHD_quiesce_daemon(d);   /* no new connections */
    if (ls != MHD_INVALID_SOCKET) close(ls);
    drain(sig);
    MHD_stop_daemon(d);
    curl_global_cleanup();
    rmdir(tmp);
    j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "event", "stopped");
    log_json(j);
    return EXIT_OK;
}
