/* hub_fetch.c: downloads into the Hub cache (hub_cache.c): parallel (curl
 * multi), resumed with Range, retried, verified (sha256 for LFS files, git
 * blob sha1 for the others) before a blob gets its final name, so nothing
 * corrupt is ever cached. One lock file per blob lets concurrent pulls
 * into one cache share the work. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hub_int.h"

enum { J_PENDING, J_RUNNING, J_DONE };

typedef struct job {
    const ckpt_hub_file *f;
    const char *etag;        /* lfs sha256, else git oid */
    int lfs;
    char *blob, *inc, *snap, *lockp, *url0, *url;
    int fd, lockfd;
    uint64_t have, from;     /* bytes in .incomplete; first byte asked */
    uint64_t attempt_start;
    ckpt__hub_hasher hs;
    CURL *h;
    struct curl_slist *hd;
    char errbuf[CURL_ERROR_SIZE];
    http_resp resp;
    int state, attempt, hops, body_started, abort_code;
    char abort_msg[300];
    double not_before;
    struct fetch *F;
} job;

typedef struct fetch {
    const hub_ref *r;
    const ckpt_hub_listing *l;
    char *repo_dir, *ep;
    ckpt_progress_fn fn;
    void *ud;
    uint64_t total, done_bytes;  /* done_bytes: finished files + skipped */
    int nitems, items_done;
    int cancelled;
    const char *current;
    job *J;                      /* one per file to download */
    int nj, left, parallel;
    CURLM *m;
} fetch;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(fetch *F)
{
    if (!F->fn || F->cancelled) return;
    ckpt_progress p = {.phase = "download", .bytes_total = F->total, .items_total = F->nitems,
                       .items_done = F->items_done, .current = F->current};
    p.bytes_done = F->done_bytes;
    if (F->fn(F->ud, &p)) F->cancelled = 1;
}

static uint64_t in_flight(job *J, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        if (J[i].state != J_DONE) s += J[i].have;
    return s;
}

static void job_close(job *j)
{
    if (j->h) { curl_easy_cleanup(j->h); j->h = NULL; }
    curl_slist_free_all(j->hd);
    j->hd = NULL;
    if (j->fd >= 0) { close(j->fd); j->fd = -1; }
    if (j->lockfd >= 0) { flock(j->lockfd, LOCK_UN); close(j->lockfd); j->lockfd = -1; }
    ckpt__hub_hasher_stop(&j->hs, NULL);
    ckpt__http_resp_free(&j->resp);
}

static void job_free(job *j)
{
    job_close(j);
    free(j->blob); free(j->inc); free(j->snap); free(j->lockp); free(j->url0); free(j->url);
}

/* Compare the Hub's ETag headers with the listing's hash. */
static int etag_conflict(job *j)
{
    const char *h = j->lfs ? j->resp.linked_etag : (j->resp.linked_etag ? j->resp.linked_etag : j->resp.etag);
    if (!h) return 0;
    size_t want = j->lfs ? 64 : 40;
    if (strlen(h) != want) return 0;  /* a CDN's own etag: not ours to check */
    for (const char *p = h; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    if (strcmp(h, j->etag)) {
        snprintf(j->abort_msg, sizeof j->abort_msg, "%s: the server's ETag %s differs from the listing's %s %s",
                 j->f->path, h, j->lfs ? "sha256" : "git oid", j->etag);
        j->abort_code = CKPT_E_INTEGRITY;
        return 1;
    }
    return 0;
}

static size_t job_hdr(char *b, size_t sz, size_t n, void *ud)
{
    job *j = ud;
    ckpt__http_header_line(&j->resp, b, sz * n);
    return sz * n;
}

static size_t job_body(char *b, size_t sz, size_t n, void *ud)
{
    job *j = ud;
    size_t len = sz * n;
    long st = j->resp.status;
    if (st < 200 || st >= 300) return len;  /* redirect or error page: dropped */
    if (!j->body_started) {
        j->body_started = 1;
        if (etag_conflict(j)) return 0;
        if (st == 200 && j->from > 0) {
            /* the server ignored the Range: start over */
            ckpt__hub_hasher_stop(&j->hs, NULL);
            if (ftruncate(j->fd, 0) || lseek(j->fd, 0, SEEK_SET)) goto ioerr;
            j->have = j->from = 0;
            if (ckpt__hub_hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, 0)) goto ioerr;
        } else if (st == 206) {
            char want[48];
            snprintf(want, sizeof want, "bytes %llu-", (unsigned long long)j->from);
            if (!j->resp.content_range || strncmp(j->resp.content_range, want, strlen(want))) {
                snprintf(j->abort_msg, sizeof j->abort_msg, "%s: the server answered a different range (%s) than asked (%s)",
                         j->f->path, j->resp.content_range ? j->resp.content_range : "none", want);
                j->abort_code = CKPT_E_NET;
                return 0;
            }
        }
    }
    if (j->have + len > j->f->size) {
        snprintf(j->abort_msg, sizeof j->abort_msg, "%s: the server sent more than the listed size (%llu bytes)",
                 j->f->path, (unsigned long long)j->f->size);
        j->abort_code = CKPT_E_INTEGRITY;
        return 0;
    }
    if (ckpt__write_full(j->fd, b, len)) goto ioerr;
    j->have += len;
    ckpt__hub_hasher_advance(&j->hs, j->have);
    fetch *F = j->F;
    F->current = j->f->path;
    return F->cancelled ? 0 : len;
ioerr:
    snprintf(j->abort_msg, sizeof j->abort_msg, "%s: cannot write %s: %s", j->f->path, j->inc, strerror(errno));
    j->abort_code = CKPT_E_IO;
    return 0;
}

static int job_request(CURLM *m, job *j, ckpt_err *err)
{
    if (!j->h && !(j->h = curl_easy_init())) return ckpt_err_set(err, CKPT_E_NOMEM, "cannot create an HTTP handle");
    curl_easy_reset(j->h);
    curl_slist_free_all(j->hd);
    j->hd = NULL;
    ckpt__http_resp_free(&j->resp);
    j->resp.linked_size = j->resp.content_length = -1;
    j->resp.retry_after = -1;
    j->from = j->have;
    j->body_started = 0;
    ckpt__http_easy_setup(j->h, j->url, 0, j->have > 0, j->have, UINT64_MAX, &j->hd, j->errbuf);
    curl_easy_setopt(j->h, CURLOPT_HEADERFUNCTION, job_hdr);
    curl_easy_setopt(j->h, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, job_body);
    curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
    if (curl_multi_add_handle(m, j->h) != CURLM_OK) return ckpt_err_set(err, CKPT_E_NET, "cannot start a transfer");
    j->state = J_RUNNING;
    return 0;
}

/* Verify and move into place; on a mismatch the partial file is deleted. */
static int job_finish(job *j, ckpt_err *err)
{
    char hex[65];
    ckpt__hub_hasher_stop(&j->hs, hex);
    if (!hex[0]) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot read back %s to verify it", j->inc);
    if (strcmp(hex, j->etag)) {
        close(j->fd);
        j->fd = -1;
        unlink(j->inc);
        ckpt_err_set(err, CKPT_E_INTEGRITY, "%s: %s mismatch: expected %s, got %s; the download was deleted",
                     j->f->path, j->lfs ? "sha256" : "git blob sha1", j->etag, hex);
        ckpt_err_at_path(err, j->url0);
        return CKPT_E_INTEGRITY;
    }
    if (close(j->fd)) {
        j->fd = -1;
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write %s", j->inc);
    }
    j->fd = -1;
    if (rename(j->inc, j->blob)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot rename %s", j->inc);
    return ckpt__hub_link_snapshot(j->snap, j->f->path, j->etag, err);
}

/* Open the lock and the partial file; hash what is already there. Returns
 * 1 when the blob appeared meanwhile (linked, nothing to do). */
static int job_open(job *j, ckpt_err *err)
{
    if (j->lockfd < 0) {
        j->lockfd = open(j->lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (j->lockfd < 0) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create %s", j->lockp);
    }
    if (flock(j->lockfd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK) return 2;  /* another process downloads it: wait */
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot lock %s", j->lockp);
    }
    struct stat st;
    if (stat(j->blob, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == j->f->size) {
        int rc = ckpt__hub_link_snapshot(j->snap, j->f->path, j->etag, err);
        return rc ? rc : 1;
    }
    j->fd = open(j->inc, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (j->fd < 0 || fstat(j->fd, &st)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot open %s", j->inc);
    uint64_t k = (uint64_t)st.st_size;
    if (k > j->f->size) {
        if (ftruncate(j->fd, 0)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot truncate %s", j->inc);
        k = 0;
    }
    if (ckpt__hub_hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, k)) return ckpt_err_set(err, CKPT_E_NOMEM, "cannot start hashing");
    if (lseek(j->fd, (off_t)k, SEEK_SET) < 0) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot seek %s", j->inc);
    j->have = k;
    return 0;
}

/* A job is finished (its blob verified and linked, or already there). */
static void job_done(fetch *F, job *j)
{
    job_close(j);
    j->state = J_DONE;
    F->items_done++;
    F->done_bytes += j->f->size;
    F->left--;
}

static int job_complete(fetch *F, job *j, ckpt_err *err)
{
    int rc = job_finish(j, err);
    if (!rc) job_done(F, j);
    return rc;
}

static int cancelled(ckpt_err *err)
{
    return ckpt_err_set(err, CKPT_E_CANCELLED, "download cancelled (the partial file is kept and resumed next time)");
}

/* Paths and URL of the job for file f. */
static int job_init(fetch *F, job *j, const ckpt_hub_file *f, const char *qrev, ckpt_err *err)
{
    j->F = F;
    j->f = f;
    j->fd = j->lockfd = -1;
    j->lfs = f->lfs_sha256 != NULL;
    j->etag = j->lfs ? f->lfs_sha256 : f->oid;
    if (!j->etag) return ckpt_err_set(err, CKPT_E_FORMAT, "%s: the listing gives no hash for it", f->path);
    char *qp = ckpt__hub_quote(f->path, 1), *c = ckpt__hub_cache_dir();
    j->blob = ckpt__asprintf("%s/blobs/%s", F->repo_dir, j->etag);
    j->inc = ckpt__asprintf("%s/blobs/%s.incomplete", F->repo_dir, j->etag);
    j->snap = ckpt__asprintf("%s/snapshots/%s/%s", F->repo_dir, F->l->commit, f->path);
    j->lockp = c ? ckpt__asprintf("%s/.locks/%s/%s.lock", c, ckpt__path_basename(F->repo_dir), j->etag) : NULL;
    j->url0 = qp && qrev ? ckpt__asprintf("%s/%s%s/resolve/%s/%s", F->ep, ckpt__hub_type_prefix(F->r->type),
                                          F->r->repo, qrev, qp) : NULL;
    j->url = ckpt__strdup(j->url0);
    free(qp);
    free(c);
    if (!j->blob || !j->inc || !j->snap || !j->lockp || !j->url) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = ckpt__hub_mkparent(j->blob, err);
    return rc ? rc : ckpt__hub_mkparent(j->lockp, err);
}

/* A job for each file asked and not cached yet (not for every file
 * listed: 10^6 of them). */
static int plan_jobs(fetch *F, const unsigned char *want, ckpt_err *err)
{
    const ckpt_hub_listing *l = F->l;
    int nwant = 0;
    for (int i = 0; i < l->nfiles; i++) nwant += want[i] && !l->files[i].is_dir;
    F->J = calloc((size_t)nwant + 1, sizeof *F->J);
    char *qrev = ckpt__hub_quote(l->commit, 0);
    int rc = F->J && qrev ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int i = 0; i < l->nfiles && !rc; i++) {
        const ckpt_hub_file *f = &l->files[i];
        if (!want[i] || f->is_dir) continue;
        F->nitems++;
        F->total += f->size;
        char *have = ckpt__hub_cached_file(F->r, l->commit, f->path);
        if (have) {
            /* cached: used, not fetched again */
            free(have);
            F->items_done++;
            F->done_bytes += f->size;
            continue;
        }
        rc = job_init(F, &F->J[F->nj++], f, qrev, err);
    }
    free(qrev);
    F->left = F->nj;
    return rc;
}

/* Start pending jobs, up to `parallel` running: open each (lock, partial
 * file), finish those already whole, request the rest. */
static int start_jobs(fetch *F, double t, ckpt_err *err)
{
    int running = 0;
    for (int i = 0; i < F->nj; i++) running += F->J[i].state == J_RUNNING;
    for (int i = 0; i < F->nj && running < F->parallel; i++) {
        job *j = &F->J[i];
        if (j->state != J_PENDING || j->not_before > t) continue;
        if (j->fd < 0) {
            int o = job_open(j, err);
            if (o == 2) { j->not_before = t + 0.2; continue; }
            if (o == 1) { job_done(F, j); continue; }
            if (o) return o;
            if (j->have == j->f->size) {
                if ((o = job_complete(F, j, err))) return o;
                continue;
            }
        }
        j->attempt_start = j->have;
        int rc = job_request(F->m, j, err);
        if (rc) return rc;
        running++;
    }
    return 0;
}

static int job_aborted(job *j, ckpt_err *err)
{
    if (j->abort_code == CKPT_E_INTEGRITY) {
        close(j->fd);
        j->fd = -1;
        unlink(j->inc);
    }
    int rc = ckpt_err_set(err, (ckpt_code)j->abort_code, "%s", j->abort_msg);
    ckpt_err_at_path(err, j->url0);
    return rc;
}

static int follow_redirect(job *j, ckpt_err *err)
{
    if (etag_conflict(j)) return ckpt_err_set(err, CKPT_E_INTEGRITY, "%s", j->abort_msg);
    char *nx = ckpt__http_resolve(j->url, j->resp.location);
    if (!nx || ++j->hops > 10) {
        int rc = ckpt_err_set(err, CKPT_E_NET, "%s: %s", j->f->path, nx ? "too many redirects" : "bad redirect");
        free(nx);
        return rc;
    }
    free(j->url);
    j->url = nx;
    j->not_before = 0;
    return 0;
}

/* A transfer that did not complete the file: schedule a retry (with
 * backoff), or fail after the sixth attempt without progress. */
static int retry_or_fail(fetch *F, job *j, CURLcode cc, long st, ckpt_err *err)
{
    int retry = 1;  /* 2: the server asked for it (429, 5xx) */
    long ra = -1;
    char why[CURL_ERROR_SIZE + 80];
    if (cc == CURLE_OK && st >= 200 && st < 300) {
        snprintf(why, sizeof why, "body ended after %llu of %llu bytes", (unsigned long long)j->have,
                 (unsigned long long)j->f->size);
    } else if (cc == CURLE_OK && st == 416) {
        /* our partial file does not fit the server's: start over */
        ckpt__hub_hasher_stop(&j->hs, NULL);
        if (ftruncate(j->fd, 0) || lseek(j->fd, 0, SEEK_SET) ||
            ckpt__hub_hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, 0))
            return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot restart %s", j->inc);
        j->have = 0;
        snprintf(why, sizeof why, "range not satisfiable (416)");
    } else if (cc == CURLE_OK && ckpt__http_retryable_status(st)) {
        snprintf(why, sizeof why, "HTTP %ld", st);
        ra = j->resp.retry_after;
        retry = 2;
    } else if (cc == CURLE_OK) {
        int rc = ckpt__hub_http_error(&j->resp, j->f->path, F->r->repo, err);
        ckpt_err_at_path(err, j->url0);
        return rc;
    } else {
        snprintf(why, sizeof why, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
    }
    /* a retry that made progress does not count against the limit */
    if (j->have > j->attempt_start) j->attempt = 0;
    if (++j->attempt >= 6) {
        int rc = retry == 2 ? ckpt__hub_http_error(&j->resp, j->f->path, F->r->repo, err)
                 : ckpt_err_set(err, CKPT_E_NET, "%s: download failed after %d attempts: %s (the partial file is kept and resumed next time)",
                                j->f->path, j->attempt, why);
        ckpt_err_at_path(err, j->url0);
        return rc;
    }
    free(j->url);
    j->url = ckpt__strdup(j->url0);
    j->hops = 0;
    j->not_before = now_s() + ckpt__http_backoff(j->attempt, ra);
    return 0;
}

/* A transfer ended: the file is complete, redirected, retried or failed. */
static int transfer_ended(fetch *F, CURLMsg *msg, ckpt_err *err)
{
    job *j = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
    CURLcode cc = msg->data.result;
    curl_multi_remove_handle(F->m, j->h);
    j->state = J_PENDING;
    long st = j->resp.status;
    if (F->cancelled) return cancelled(err);
    if (j->abort_code) return job_aborted(j, err);
    if (cc == CURLE_OK && st >= 300 && st < 400 && j->resp.location) return follow_redirect(j, err);
    if (cc == CURLE_OK && st >= 200 && st < 300 && j->have == j->f->size) return job_complete(F, j, err);
    return retry_or_fail(F, j, cc, st, err);
}

static int run_jobs(fetch *F, ckpt_err *err)
{
    if (!(F->m = curl_multi_init())) return ckpt_err_set(err, CKPT_E_NOMEM, "cannot create an HTTP handle");
    curl_multi_setopt(F->m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)F->parallel);
    double last_report = 0;
    int rc = 0;
    while (F->left > 0 && !rc) {
        if ((rc = start_jobs(F, now_s(), err))) break;
        int still, q;
        curl_multi_perform(F->m, &still);
        CURLMsg *msg;
        while (!rc && (msg = curl_multi_info_read(F->m, &q)))
            if (msg->msg == CURLMSG_DONE) rc = transfer_ended(F, msg, err);
        if (rc) break;
        if (F->cancelled) return cancelled(err);
        double t = now_s();
        if (F->fn && t - last_report > 0.05) {
            uint64_t save = F->done_bytes;
            F->done_bytes = save + in_flight(F->J, F->nj);
            report(F);
            F->done_bytes = save;
            last_report = t;
        }
        if (F->left > 0) curl_multi_poll(F->m, NULL, 0, 50, NULL);
    }
    return rc;
}

static void fetch_free(fetch *F)
{
    for (int i = 0; i < F->nj; i++) {
        job *j = &F->J[i];
        if (j->h && F->m) curl_multi_remove_handle(F->m, j->h);
        /* keep a partial file for the next run, but not an empty one */
        if (j->state != J_DONE && j->fd >= 0 && j->have == 0) unlink(j->inc);
        job_free(j);
    }
    if (F->m) curl_multi_cleanup(F->m);
    free(F->J);
    free(F->repo_dir);
    free(F->ep);
}

int ckpt__hub_fetch(const hub_ref *r, const ckpt_hub_listing *l, const char *rev,
                    const unsigned char *want, int parallel, ckpt_progress_fn fn, void *ud, ckpt_err *err)
{
    fetch F = {.r = r, .l = l, .fn = fn, .ud = ud};
    F.parallel = parallel <= 0 ? 8 : parallel > 64 ? 64 : parallel;
    F.repo_dir = ckpt__hub_repo_dir(r);
    F.ep = ckpt__hub_endpoint();
    int rc = F.repo_dir && F.ep ? 0 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc) rc = ckpt__hub_write_meta(F.repo_dir, l, rev, err);
    if (!rc) rc = plan_jobs(&F, want, err);
    if (!rc) report(&F);
    if (!rc && F.nj && !(rc = run_jobs(&F, err))) {
        F.current = NULL;
        report(&F);
        if (F.cancelled) rc = ckpt_err_set(err, CKPT_E_CANCELLED, "download cancelled");
    }
    fetch_free(&F);
    return rc;
}
