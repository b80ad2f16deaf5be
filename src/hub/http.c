/* http.c: libcurl wrappers for the Hub.
 *
 * Why by hand instead of CURLOPT_FOLLOWLOCATION: the token must reach only
 * the endpoint's scheme://host:port, never the CDN a download redirects to,
 * whatever libcurl version is installed (CVE-2022-27776 leaked it across
 * ports). Retries follow huggingface_hub: 408/429/5xx and dropped
 * connections, exponential backoff, integer Retry-After honoured; a dropped
 * Range read continues from the byte reached. The token is never printed. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hub_int.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static CURL *g_easy;              /* reused for sync requests: keeps connections alive */
static char *g_endpoint, *g_token;
static uint64_t g_rx;

static void init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_endpoint = ckpt__hub_endpoint();
    g_token = ckpt__hub_token();
}

uint64_t ckpt__http_bytes_received(void) { return __atomic_load_n(&g_rx, __ATOMIC_RELAXED); }

static void add_rx(size_t n) { __atomic_add_fetch(&g_rx, (uint64_t)n, __ATOMIC_RELAXED); }

/* ---------------------------------------------------------------------- */
/* header value parsers                                                   */
/* ---------------------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t')) p++;
    return p;
}

/* RFC 8288: `<url>; rel="next", <url2>; rel="prev"`. */
char *ckpt__http_link_next(const char *v, size_t n)
{
    const char *p = v, *e = v + n;
    while (p < e) {
        p = skip_ws(p, e);
        if (p >= e || *p != '<') return NULL;
        const char *us = ++p;
        while (p < e && *p != '>') p++;
        if (p >= e) return NULL;
        const char *ue = p++;
        int is_next = 0;
        /* parameters up to the next ',' outside quotes */
        while (p < e && *p != ',') {
            p = skip_ws(p, e);
            if (p < e && *p == ';') { p++; continue; }
            const char *ks = p;
            while (p < e && *p != '=' && *p != ';' && *p != ',') p++;
            const char *ke = p;
            while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
            const char *vs = NULL, *ve = NULL;
            if (p < e && *p == '=') {
                p = skip_ws(p + 1, e);
                if (p < e && *p == '"') {
                    vs = ++p;
                    while (p < e && *p != '"') p++;
                    ve = p;
                    if (p < e) p++;
                } else {
                    vs = p;
                    while (p < e && *p != ';' && *p != ',' && *p != ' ') p++;
                    ve = p;
                }
            }
            if (ke - ks == 3 && !strncasecmp(ks, "rel", 3) && vs) {
                /* rel may hold several space-separated types */
                const char *t = vs;
                while (t < ve) {
                    while (t < ve && *t == ' ') t++;
                    const char *te = t;
                    while (te < ve && *te != ' ') te++;
                    if (te - t == 4 && !strncasecmp(t, "next", 4)) is_next = 1;
                    t = te;
                }
            }
            if (p < e && *p != ',' && *p != ';') p++;
        }
        if (is_next && ue > us) return ckpt__strndup(us, (size_t)(ue - us));
        if (p < e && *p == ',') p++;
    }
    return NULL;
}

long ckpt__http_retry_after(const char *v, size_t n)
{
    const char *p = skip_ws(v, v + n), *e = v + n;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
    if (p == e) return -1;
    long s = 0;
    for (; p < e; p++) {
        if (!isdigit((unsigned char)*p)) return -1;  /* HTTP-date form: not supported, as huggingface_hub */
        if (s > 86400) return 86400;
        s = s * 10 + (*p - '0');
    }
    return s;
}

int ckpt__http_content_range(const char *v, size_t n, uint64_t *from, uint64_t *to, uint64_t *total)
{
    const char *p = skip_ws(v, v + n), *e = v + n;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
    if (e - p < 6 || strncasecmp(p, "bytes", 5) || (p[5] != ' ' && p[5] != '\t')) return -1;
    p = skip_ws(p + 5, e);
    uint64_t x[3];
    for (int k = 0; k < 3; k++) {
        if (k == 2 && p < e && *p == '*' && p + 1 == e) { x[2] = UINT64_MAX; p++; break; }
        if (p >= e || !isdigit((unsigned char)*p)) return -1;
        uint64_t val = 0;
        for (; p < e && isdigit((unsigned char)*p); p++) {
            if (val > (UINT64_MAX - 9) / 10) return -1;
            val = val * 10 + (uint64_t)(*p - '0');
        }
        x[k] = val;
        if (k < 2) {
            if (p >= e || *p != (k == 0 ? '-' : '/')) return -1;
            p++;
        }
    }
    if (p != e || x[1] < x[0] || (x[2] != UINT64_MAX && x[1] >= x[2])) return -1;
    *from = x[0];
    *to = x[1];
    *total = x[2];
    return 0;
}

char *ckpt__http_etag_norm(const char *v, size_t n)
{
    const char *p = skip_ws(v, v + n), *e = v + n;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) e--;
    if (e - p >= 2 && p[0] == 'W' && p[1] == '/') p += 2;
    if (e > p && *p == '"') p++;
    if (e > p && e[-1] == '"') e--;
    return ckpt__strndup(p, (size_t)(e - p));
}

static void clean_cr(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; src && *src && k + 1 < n; src++)
        dst[k++] = (unsigned char)*src < 0x20 || (unsigned char)*src >= 0x7f ? '?' : *src;
    dst[k] = 0;
    if (!src) snprintf(dst, n, "(none)");
}

static void set_str(char **dst, const char *v, size_t n)
{
    free(*dst);
    *dst = ckpt__strndup(v, n);
}

static void resp_clear_headers(http_resp *r)
{
    free(r->etag); free(r->linked_etag); free(r->repo_commit); free(r->location);
    free(r->link_next); free(r->error_code); free(r->error_message); free(r->content_range);
    r->etag = r->linked_etag = r->repo_commit = r->location = r->link_next = NULL;
    r->error_code = r->error_message = r->content_range = NULL;
    r->linked_size = r->content_length = -1;
    r->retry_after = -1;
}

void ckpt__http_resp_free(http_resp *r)
{
    if (!r) return;
    resp_clear_headers(r);
    free(r->body);
    free(r->url);
    memset(r, 0, sizeof *r);
}

static int64_t parse_i64(const char *p, const char *e)
{
    p = skip_ws(p, e);
    if (p == e) return -1;
    int64_t v = 0;
    for (; p < e && isdigit((unsigned char)*p); p++) {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (*p - '0');
    }
    return skip_ws(p, e) == e ? v : -1;
}

void ckpt__http_header_line(http_resp *r, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n')) n--;
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        /* a new response (after 100-continue too): forget the previous headers */
        resp_clear_headers(r);
        const char *sp = memchr(line, ' ', n);
        r->status = 0;
        if (sp) {
            const char *p = sp + 1, *e = line + n;
            long st = 0;
            int k = 0;
            while (p < e && isdigit((unsigned char)*p) && k < 3) { st = st * 10 + (*p++ - '0'); k++; }
            if (k == 3) r->status = st;
        }
        return;
    }
    const char *c = memchr(line, ':', n);
    if (!c) return;
    size_t kn = (size_t)(c - line);
    const char *v = skip_ws(c + 1, line + n), *e = line + n;
    size_t vn = (size_t)(e - v);
#define IS(name) (kn == sizeof(name) - 1 && !strncasecmp(line, name, kn))
    if (IS("etag")) { free(r->etag); r->etag = ckpt__http_etag_norm(v, vn); }
    else if (IS("x-linked-etag")) { free(r->linked_etag); r->linked_etag = ckpt__http_etag_norm(v, vn); }
    else if (IS("x-repo-commit")) set_str(&r->repo_commit, v, vn);
    else if (IS("location")) set_str(&r->location, v, vn);
    else if (IS("link")) { free(r->link_next); r->link_next = ckpt__http_link_next(v, vn); }
    else if (IS("x-error-code")) set_str(&r->error_code, v, vn);
    else if (IS("x-error-message")) set_str(&r->error_message, v, vn);
    else if (IS("content-range")) set_str(&r->content_range, v, vn);
    else if (IS("x-linked-size")) r->linked_size = parse_i64(v, e);
    else if (IS("content-length")) r->content_length = parse_i64(v, e);
    else if (IS("retry-after")) r->retry_after = ckpt__http_retry_after(v, vn);
#undef IS
}

/* ---------------------------------------------------------------------- */
/* URLs and origins                                                       */
/* ---------------------------------------------------------------------- */

static int url_parts(const char *url, char **scheme, char **host, long *port)
{
    CURLU *u = curl_url();
    if (!u) return -1;
    *scheme = *host = NULL;
    char *ps = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &ps, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        *port = strtol(ps, NULL, 10);
        rc = 0;
    }
    curl_free(ps);
    curl_url_cleanup(u);
    if (rc) { curl_free(*scheme); curl_free(*host); *scheme = *host = NULL; }
    return rc;
}

int ckpt__http_same_origin(const char *url, const char *endpoint)
{
    if (!url || !endpoint) return 0;
    char *s1, *h1, *s2, *h2;
    long p1, p2;
    if (url_parts(url, &s1, &h1, &p1)) return 0;
    if (url_parts(endpoint, &s2, &h2, &p2)) { curl_free(s1); curl_free(h1); return 0; }
    int same = !strcasecmp(s1, s2) && !strcasecmp(h1, h2) && p1 == p2;
    curl_free(s1); curl_free(h1); curl_free(s2); curl_free(h2);
    return same;
}

char *ckpt__http_resolve(const char *base, const char *loc)
{
    CURLU *u = curl_url();
    if (!u) return NULL;
    char *out = NULL, *res = NULL;
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, loc, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
        if (!strncmp(out, "http://", 7) || !strncmp(out, "https://", 8)) res = ckpt__strdup(out);
    }
    curl_free(out);
    curl_url_cleanup(u);
    return res;
}

/* ---------------------------------------------------------------------- */
/* easy handles                                                           */
/* ---------------------------------------------------------------------- */

static long env_secs(const char *name, long dflt)
{
    const char *v = getenv(name);
    if (!v || !*v) return dflt;
    char *e;
    double d = strtod(v, &e);
    if (*e || d <= 0) return dflt;
    return d < 1 ? 1 : (long)d;
}

void *ckpt__http_easy_setup(void *curl, const char *url, int head, int has_range, uint64_t from,
                            uint64_t to, struct curl_slist **hdrs, char *errbuf)
{
    pthread_once(&g_once, init_once);
    CURL *h = curl;
    errbuf[0] = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "ckpt/" CKPT_VERSION);
    /* huggingface_hub's HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT (10 s):
     * connect within it; abort a transfer slower than 1 KiB/s for that long
     * (a stalled or trickling connection), then retry with a Range. */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, env_secs("HF_HUB_ETAG_TIMEOUT", 10));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, env_secs("HF_HUB_DOWNLOAD_TIMEOUT", 10));
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_NOBODY, head ? 1L : 0L);
    if (has_range) {
        char rg[64];
        if (to == UINT64_MAX) snprintf(rg, sizeof rg, "%llu-", (unsigned long long)from);
        else snprintf(rg, sizeof rg, "%llu-%llu", (unsigned long long)from, (unsigned long long)to);
        curl_easy_setopt(h, CURLOPT_RANGE, rg);
    } else {
        curl_easy_setopt(h, CURLOPT_RANGE, NULL);
    }
    struct curl_slist *l = NULL;
    l = curl_slist_append(l, "Accept-Encoding: identity");
    if (g_token && *g_token && ckpt__http_same_origin(url, g_endpoint)) {
        char *a = ckpt__asprintf("Authorization: Bearer %s", g_token);
        if (a) {
            l = curl_slist_append(l, a);
            memset(a, 0, strlen(a));
            free(a);
        }
    }
    *hdrs = l;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    return h;
}

int ckpt__http_retryable_status(long st)
{
    return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

double ckpt__http_backoff(int attempt, long retry_after)
{
    if (retry_after >= 0) return retry_after > 60 ? 60 : (double)retry_after;
    double base = 0.5;
    const char *v = getenv("CKPT_HTTP_BACKOFF");  /* seconds, for tests */
    if (v && *v) base = strtod(v, NULL);
    double d = base;
    for (int i = 1; i < attempt && d < 8; i++) d *= 2;
    return d > 8 ? 8 : d;
}

static void sleep_s(double s)
{
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) && errno == EINTR) {}
}

static int net_retryable(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE: case CURLE_RECV_ERROR: case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING:
    case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
        return 1;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------------- */
/* sync requests                                                          */
/* ---------------------------------------------------------------------- */

typedef struct sink {
    http_resp *r;
    const http_req *q;
    uint64_t fixed_got;      /* bytes filled into q->buf over all attempts */
    uint64_t want_from;      /* first byte asked in this attempt */
    int fixed_full;          /* buffer filled: stop the transfer */
    int ignored_range;
    int bad_range;           /* a 206 whose Content-Range is not the range asked */
    uint64_t body_pos;       /* bytes of this answer's body seen */
    uint64_t spill_got;      /* whole-body bytes written to q->spill_fd */
    int spill_err;
    size_t cap;
    size_t errlen;
} sink;

static int ckpt__pwrite_full(int fd, const void *b, size_t n, uint64_t off)
{
    const char *p = b;
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static size_t hdr_cb(char *b, size_t sz, size_t n, void *ud)
{
    sink *s = ud;
    ckpt__http_header_line(s->r, b, sz * n);
    return sz * n;
}

static size_t body_cb(char *b, size_t sz, size_t n, void *ud)
{
    sink *s = ud;
    http_resp *r = s->r;
    size_t len = sz * n;
    add_rx(len);
    r->got += len;
    int ok2xx = r->status >= 200 && r->status < 300;
    const http_req *q = s->q;
    uint64_t pos = s->body_pos;
    s->body_pos += len;
    if (q->buf && q->has_range && q->spill && r->status == 200) {
        /* the server ignored the Range: keep the whole body (once), and
         * hand the caller the part it asked for as it passes */
        if (pos + len > s->spill_got) {
            uint64_t from = pos > s->spill_got ? pos : s->spill_got;
            if (ckpt__pwrite_full(q->spill_fd, b + (from - pos), (size_t)(pos + len - from), from)) {
                s->spill_err = errno ? errno : EIO;
                return 0;
            }
            s->spill_got = pos + len;
        }
        uint64_t lo = pos > q->from ? pos : q->from, hi = pos + len < q->to + 1 ? pos + len : q->to + 1;
        if (lo < hi) {
            memcpy((char *)q->buf + (lo - q->from), b + (lo - pos), (size_t)(hi - lo));
            if (hi - q->from > s->fixed_got) s->fixed_got = hi - q->from;
        }
        return len;
    }
    if (q->buf && r->status == 206 && pos == 0) {
        /* the answer must be the bytes asked for, of the file we know */
        uint64_t a, z, t;
        uint64_t want_to = q->to == UINT64_MAX ? UINT64_MAX : q->to;
        if (!r->content_range ||
            ckpt__http_content_range(r->content_range, strlen(r->content_range), &a, &z, &t) ||
            a != s->want_from || (want_to != UINT64_MAX && z != want_to) ||
            (q->expect_size && t != q->expect_size)) {
            s->bad_range = 1;
            return 0;
        }
    }
    if (s->q->buf && ok2xx) {
        if (r->status == 200 && s->q->has_range) {
            /* server ignored the Range: usable only when we asked from byte 0 */
            if (s->want_from != 0) { s->ignored_range = 1; return 0; }
        }
        size_t room = s->q->bufn - (size_t)s->fixed_got;
        size_t k = len < room ? len : room;
        memcpy((char *)s->q->buf + s->fixed_got, b, k);
        s->fixed_got += k;
        if (s->fixed_got == s->q->bufn && len > k) {
            s->fixed_full = 1;   /* more than asked: stop here */
            return 0;
        }
        return len;
    }
    if (r->status >= 300 && r->status < 400) return len;
    /* memory body (API answers, error pages) */
    size_t cap = s->q->buf ? 65536 : s->cap;
    if (r->len + len > cap) {
        if (s->q->buf) return len;  /* error page: keep the start only */
        return 0;                   /* too large: aborts with CURLE_WRITE_ERROR */
    }
    char *nb = realloc(r->body, r->len + len + 1);
    if (!nb) return 0;
    r->body = nb;
    memcpy(r->body + r->len, b, len);
    r->len += len;
    r->body[r->len] = 0;
    return len;
}

int ckpt__http_do(const http_req *q, http_resp *r, ckpt_err *err)
{
    pthread_once(&g_once, init_once);
    memset(r, 0, sizeof *r);
    r->linked_size = r->content_length = -1;
    r->retry_after = -1;
    int tries = q->max_tries > 0 ? q->max_tries : 5;
    sink s = {.r = r, .q = q, .cap = q->max_body ? q->max_body : (64u << 20)};
    pthread_mutex_lock(&g_mu);
    if (!g_easy) g_easy = curl_easy_init();
    CURL *h = g_easy;
    if (!h) {
        pthread_mutex_unlock(&g_mu);
        return ckpt_err_set(err, CKPT_E_NOMEM, "cannot create an HTTP handle");
    }
    int rc = 0;
    char errbuf[CURL_ERROR_SIZE];
    char lasterr[CURL_ERROR_SIZE + 64] = "";
    for (int attempt = 1;; attempt++) {
        char *cur = ckpt__strdup(q->url);
        CURLcode cc = CURLE_OK;
        int hops = 0;
        for (;;) {
            free(r->body);
            r->body = NULL;
            r->len = 0;
            r->got = 0;
            r->status = 0;
            resp_clear_headers(r);
            s.want_from = q->from + s.fixed_got;
            s.body_pos = 0;
            struct curl_slist *hd = NULL;
            curl_easy_reset(h);
            ckpt__http_easy_setup(h, cur, q->head, q->has_range, q->from + s.fixed_got, q->to, &hd, errbuf);
            curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, hdr_cb);
            curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
            curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
            curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
            cc = curl_easy_perform(h);
            curl_slist_free_all(hd);
            if (cc == CURLE_WRITE_ERROR && s.fixed_full) cc = CURLE_OK;
            if (cc != CURLE_OK) break;
            if (r->status >= 300 && r->status < 400 && r->location && !q->no_follow) {
                char *nx = ckpt__http_resolve(cur, r->location);
                if (!nx || ++hops > 10) {
                    free(nx);
                    free(cur);
                    rc = ckpt_err_set(err, CKPT_E_NET, nx ? "too many redirects" : "bad redirect location");
                    goto done;
                }
                free(cur);
                cur = nx;
                continue;
            }
            break;
        }
        free(r->url);
        r->url = cur;
        if (s.bad_range) {
            char cr[96];
            clean_cr(cr, sizeof cr, r->content_range);
            char of[32] = "";
            if (q->expect_size) snprintf(of, sizeof of, "/%llu", (unsigned long long)q->expect_size);
            rc = ckpt_err_set(err, CKPT_E_NET, "wrong Content-Range from the server: asked bytes %llu-%llu%s, got '%s'",
                              (unsigned long long)s.want_from, (unsigned long long)q->to, of, cr);
            goto done;
        }
        if (s.spill_err) {
            rc = ckpt_err_sys(err, CKPT_E_IO, s.spill_err, "cannot keep the whole answer of a server that ignores Range");
            goto done;
        }
        if (q->spill && q->has_range && r->status == 200 && cc == CURLE_OK) {
            r->range_ignored = 1;
            r->spilled = s.spill_got;
        }
        if (s.ignored_range) {
            rc = ckpt_err_set(err, CKPT_E_NET, "server ignored the Range request (answered 200)");
            goto done;
        }
        if (cc == CURLE_OK && q->buf && r->status >= 200 && r->status < 300 && s.fixed_got < q->bufn) {
            /* body shorter than asked: treat as a dropped connection */
            cc = CURLE_PARTIAL_FILE;
            snprintf(errbuf, sizeof errbuf, "body ended after %llu of %zu bytes",
                     (unsigned long long)s.fixed_got, q->bufn);
        }
        if (cc != CURLE_OK) {
            snprintf(lasterr, sizeof lasterr, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
            if (net_retryable(cc) && attempt < tries) {
                sleep_s(ckpt__http_backoff(attempt, -1));
                continue;
            }
            rc = ckpt_err_set(err, CKPT_E_NET, "%s (after %d attempt%s)", lasterr, attempt,
                              attempt > 1 ? "s" : "");
            goto done;
        }
        if (ckpt__http_retryable_status(r->status) && attempt < tries) {
            sleep_s(ckpt__http_backoff(attempt, r->retry_after));
            continue;
        }
        break;
    }
done:
    pthread_mutex_unlock(&g_mu);
    if (rc) ckpt_err_at_path(err, q->url);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* errors with the Hub's hints                                            */
/* ---------------------------------------------------------------------- */

static void clean_msg(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; src && *src && k + 1 < n; src++)
        dst[k++] = (unsigned char)*src < 0x20 || (unsigned char)*src == 0x7f ? ' ' : *src;
    dst[k] = 0;
}

#define TOKEN_HINT "give a token: export HF_TOKEN=hf_... or save it in $HF_HOME/token (default ~/.cache/huggingface/token)"

int ckpt__hub_http_error(const http_resp *r, const char *what, const char *repo, ckpt_err *err)
{
    pthread_once(&g_once, init_once);
    char m[200];
    clean_msg(m, sizeof m, r->error_message);
    const char *code = r->error_code ? r->error_code : "";
    int rc;
    long st = r->status;
    if (st == 401) {
        if (g_token && *g_token)
            rc = ckpt_err_set(err, CKPT_E_AUTH, "%s: access refused with the token given (401): repository %s is private, gated or does not exist; check the token's permissions",
                              what, repo);
        else
            rc = ckpt_err_set(err, CKPT_E_AUTH, "%s: authentication required (401): repository %s is private, gated or does not exist; %s",
                              what, repo, TOKEN_HINT);
    } else if (st == 403) {
        if (!strcmp(code, "GatedRepo"))
            rc = ckpt_err_set(err, CKPT_E_AUTH, "%s: %s is a gated repository: accept its conditions on the Hub page, then %s%s%s",
                              what, repo, TOKEN_HINT, *m ? "; server says: " : "", m);
        else
            rc = ckpt_err_set(err, CKPT_E_AUTH, "%s: access forbidden (403)%s%s; %s", what, *m ? ": " : "", m, TOKEN_HINT);
    } else if (st == 404) {
        if (!strcmp(code, "RepoNotFound"))
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "repository %s not found on the Hub (if it is private, %s)", repo, TOKEN_HINT);
        else if (!strcmp(code, "RevisionNotFound"))
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "%s: revision not found in %s", what, repo);
        else if (!strcmp(code, "EntryNotFound"))
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "%s: no such file in %s", what, repo);
        else
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "%s: not found (404)%s%s", what, *m ? ": " : "", m);
    } else if (st == 416) {
        rc = ckpt_err_set(err, CKPT_E_NET, "%s: range not satisfiable (416)", what);
    } else if (st == 429) {
        rc = ckpt_err_set(err, CKPT_E_NET, "%s: rate limited by the server (429), still after retries", what);
    } else if (st >= 500) {
        rc = ckpt_err_set(err, CKPT_E_NET, "%s: server error %ld, still after retries%s%s", what, st, *m ? ": " : "", m);
    } else {
        rc = ckpt_err_set(err, CKPT_E_NET, "%s: unexpected HTTP status %ld%s%s", what, st, *m ? ": " : "", m);
    }
    return rc;
}
