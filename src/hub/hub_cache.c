/* hub_cache.c: huggingface_hub's cache, shared with it file for file:
 *   $HF_HUB_CACHE/models--org--name/blobs/<etag>          content
 *                                  /blobs/<etag>.incomplete while downloading (resumed across runs)
 *                                  /snapshots/<commit>/<path>  relative symlink to ../../blobs/<etag>
 *                                  /refs/<revision>      the commit, written atomically
 *                                  /trees/<commit>.json  the listing (for offline use)
 *   $HF_HUB_CACHE/.locks/models--org--name/<etag>.lock
 * and the downloads into it: parallel (curl multi), resumed with Range,
 * retried, verified (sha256 for LFS files, git blob sha1 for the others)
 * before a blob gets its final name, so nothing corrupt is ever cached. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "hub_int.h"

char *ckpt__hub_repo_dir(const hub_ref *r)
{
    char *c = ckpt__hub_cache_dir();
    if (!c) return NULL;
    char *d = NULL;
    size_t n = strlen(r->repo);
    char *rid = malloc(2 * n + 1);
    if (rid) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (r->repo[i] == '/') { rid[k++] = '-'; rid[k++] = '-'; }
            else rid[k++] = r->repo[i];
        }
        rid[k] = 0;
        d = ckpt__asprintf("%s/%s--%s", c, ckpt__hub_type_plural(r->type), rid);
    }
    free(rid);
    free(c);
    return d;
}

static int mkdirs(const char *path)
{
    char *p = ckpt__strdup(path);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) { free(p); return -1; }
        *s = '/';
    }
    int rc = mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static int mkparent(const char *path)
{
    char *d = ckpt__path_dirname(path);
    int rc = d ? mkdirs(d) : -1;
    free(d);
    return rc;
}

/* Write a small file atomically (tmp + rename), as huggingface_hub writes refs. */
static int write_atomic(const char *path, const char *data, size_t n, ckpt_err *err)
{
    if (mkparent(path)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create folder for %s", path);
    char *tmp = ckpt__asprintf("%s.%d.tmp", path, (int)getpid());
    if (!tmp) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0 || ckpt__write_full(fd, data, n) || close(fd) || rename(tmp, path)) {
        int e = errno;
        if (fd >= 0) close(fd);
        unlink(tmp);
        rc = ckpt_err_sys(err, CKPT_E_IO, e, "cannot write %s", path);
    }
    free(tmp);
    return rc;
}

int ckpt__hub_cached_commit(const hub_ref *r, const char *rev, char **commit, ckpt_err *err)
{
    *commit = NULL;
    char *rd = ckpt__hub_repo_dir(r);
    if (!rd) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = 0;
    if (ckpt__hub_is_commit(rev)) {
        char *s = ckpt__asprintf("%s/snapshots/%s", rd, rev);
        if (s && ckpt__is_dir(s)) *commit = ckpt__strdup(rev);
        free(s);
    }
    if (!*commit && ckpt__hub_path_safe(rev)) {
        char *rp = ckpt__asprintf("%s/refs/%s", rd, rev);
        FILE *f = rp ? fopen(rp, "r") : NULL;
        if (f) {
            char buf[64] = "";
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = 0;
            if (ckpt__hub_is_commit(buf)) *commit = ckpt__strdup(buf);
        }
        free(rp);
    }
    if (!*commit)
        rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "offline (HF_HUB_OFFLINE=1) and revision '%s' of %s is not in the cache (%s)",
                          rev, r->repo, rd);
    free(rd);
    return rc;
}

char *ckpt__hub_cached_file(const hub_ref *r, const char *commit, const char *path)
{
    if (!ckpt__hub_is_commit(commit) || !ckpt__hub_path_safe(path)) return NULL;
    char *rd = ckpt__hub_repo_dir(r);
    char *p = rd ? ckpt__asprintf("%s/snapshots/%s/%s", rd, commit, path) : NULL;
    free(rd);
    struct stat st;
    if (p && stat(p, &st) == 0 && S_ISREG(st.st_mode)) return p;
    free(p);
    return NULL;
}

static int add_file(ckpt_hub_listing *l, const char *path, uint64_t size, const char *oid, const char *sha)
{
    ckpt_hub_file *nf = realloc(l->files, (size_t)(l->nfiles + 1) * sizeof *nf);
    if (!nf) return -1;
    l->files = nf;
    ckpt_hub_file *f = &l->files[l->nfiles];
    memset(f, 0, sizeof *f);
    f->path = ckpt__strdup(path);
    f->oid = ckpt__strdup(oid);
    f->lfs_sha256 = ckpt__strdup(sha);
    f->size = size;
    if (!f->path) return -1;
    l->nfiles++;
    return 0;
}

static int walk(ckpt_hub_listing *l, const char *root, const char *rel)
{
    char *dir = *rel ? ckpt__path_join(root, rel) : ckpt__strdup(root);
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) { free(dir); return 0; }
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *r2 = *rel ? ckpt__path_join(rel, e->d_name) : ckpt__strdup(e->d_name);
        char *full = r2 ? ckpt__path_join(root, r2) : NULL;
        struct stat st;
        if (full && stat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode)) rc = walk(l, root, r2);
            else if (S_ISREG(st.st_mode)) rc = add_file(l, r2, (uint64_t)st.st_size, NULL, NULL);
        }
        free(full);
        free(r2);
    }
    closedir(d);
    free(dir);
    return rc;
}

int ckpt__hub_cached_listing(const hub_ref *r, const char *rev, ckpt_hub_listing **out, ckpt_err *err)
{
    *out = NULL;
    char *commit = NULL;
    int rc = ckpt__hub_cached_commit(r, rev, &commit, err);
    if (rc) return rc;
    ckpt_hub_listing *l = calloc(1, sizeof *l);
    char *rd = ckpt__hub_repo_dir(r);
    char *tp = rd ? ckpt__asprintf("%s/trees/%s.json", rd, commit) : NULL;
    char *sp = rd ? ckpt__asprintf("%s/snapshots/%s", rd, commit) : NULL;
    if (!l || !tp || !sp) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    l->repo = ckpt__strdup(r->repo);
    l->revision = ckpt__strdup(rev);
    l->commit = commit;
    commit = NULL;
    char *text = NULL;
    ckpt_err e2;
    ckpt_err_clear(&e2);
    int from_tree = 0;
    if (ckpt__file_exists(tp) && !ckpt_src_slurp(tp, 256u << 20, &text, NULL, &e2)) {
        cJSON *j = cJSON_Parse(text);
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(j, "files"), *f;
        if (cJSON_IsObject(files)) {
            from_tree = 1;
            cJSON_ArrayForEach(f, files) {
                if (!f->string || !ckpt__hub_path_safe(f->string)) continue;
                const cJSON *sz = cJSON_GetObjectItemCaseSensitive(f, "size");
                const cJSON *bid = cJSON_GetObjectItemCaseSensitive(f, "blob_id");
                const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "lfs_sha256");
                if (add_file(l, f->string, cJSON_IsNumber(sz) && sz->valuedouble >= 0 ? (uint64_t)sz->valuedouble : 0,
                             cJSON_IsString(bid) ? bid->valuestring : NULL,
                             cJSON_IsString(sha) ? sha->valuestring : NULL)) {
                    rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
                    break;
                }
            }
        }
        cJSON_Delete(j);
    }
    free(text);
    if (!rc && !from_tree && walk(l, sp, "")) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
out:
    free(rd); free(tp); free(sp); free(commit);
    if (rc) ckpt_hub_listing_free(l);
    else *out = l;
    return rc;
}

/* ---------------------------------------------------------------------- */
/* hashing                                                                */
/* ---------------------------------------------------------------------- */

static EVP_MD_CTX *md_new(int git_sha1, uint64_t size)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return NULL;
    if (!EVP_DigestInit_ex(c, git_sha1 ? EVP_sha1() : EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(c);
        return NULL;
    }
    if (git_sha1) {
        /* git's blob id: sha1("blob <len>\0" + content) */
        char pre[40];
        int k = snprintf(pre, sizeof pre, "blob %llu", (unsigned long long)size);
        EVP_DigestUpdate(c, pre, (size_t)k + 1);
    }
    return c;
}

static void md_hex(EVP_MD_CTX *c, char hex[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(c, d, &n);
    for (unsigned i = 0; i < n && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    hex[2 * (n < 32 ? n : 32)] = 0;
}

/* Feed the first n bytes of fd to c. */
static int md_file(EVP_MD_CTX *c, int fd, uint64_t n)
{
    enum { CH = 1 << 20 };
    char *buf = malloc(CH);
    if (!buf) return -1;
    uint64_t off = 0;
    while (off < n) {
        size_t k = n - off < CH ? (size_t)(n - off) : CH;
        if (ckpt__pread_full(fd, buf, k, off)) { free(buf); return -1; }
        EVP_DigestUpdate(c, buf, k);
        off += k;
    }
    free(buf);
    return 0;
}

int ckpt__hub_hash_file(const char *path, int git_sha1, char hex[65], ckpt_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0) close(fd);
        return ckpt_err_sys(err, CKPT_E_IO, e, "cannot read %s", path);
    }
    EVP_MD_CTX *c = md_new(git_sha1, (uint64_t)st.st_size);
    int rc = !c || md_file(c, fd, (uint64_t)st.st_size) ? ckpt_err_sys(err, CKPT_E_IO, errno, "cannot hash %s", path) : 0;
    if (!rc) md_hex(c, hex);
    EVP_MD_CTX_free(c);
    close(fd);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* downloads                                                              */
/* ---------------------------------------------------------------------- */

/* The hash runs in its own thread, reading back what the transfer wrote
 * (from the page cache): verification then costs no time on the transfer's
 * path, and a resumed file's prefix is hashed while the rest arrives. */
typedef struct hasher {
    pthread_t th;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    EVP_MD_CTX *md;
    int fd, git_sha1, failed;
    uint64_t size, hashed, avail;
    int stop;
} hasher;

static void *hasher_main(void *arg)
{
    hasher *h = arg;
    enum { CH = 4 << 20 };
    char *buf = malloc(CH);
    if (!buf) h->failed = 1;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (h->hashed == h->avail && !h->stop) pthread_cond_wait(&h->cv, &h->mu);
        uint64_t a = h->avail;
        int stop = h->stop;
        pthread_mutex_unlock(&h->mu);
        if (h->hashed == a && stop) break;
        while (buf && !h->failed && h->hashed < a) {
            size_t k = a - h->hashed < CH ? (size_t)(a - h->hashed) : CH;
            if (ckpt__pread_full(h->fd, buf, k, h->hashed)) { h->failed = 1; break; }
            EVP_DigestUpdate(h->md, buf, k);
            h->hashed += k;
        }
        if (h->failed) {
            pthread_mutex_lock(&h->mu);
            h->hashed = h->avail;  /* let a waiter finish */
            pthread_mutex_unlock(&h->mu);
            if (stop) break;
        }
    }
    free(buf);
    return NULL;
}

static int hasher_start(hasher *h, int fd, int git_sha1, uint64_t size, uint64_t avail)
{
    memset(h, 0, sizeof *h);
    h->fd = fd;
    h->git_sha1 = git_sha1;
    h->size = size;
    h->avail = avail;
    if (!(h->md = md_new(git_sha1, size))) return -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    if (pthread_create(&h->th, NULL, hasher_main, h)) {
        EVP_MD_CTX_free(h->md);
        h->md = NULL;
        return -1;
    }
    h->running = 1;
    return 0;
}

static void hasher_advance(hasher *h, uint64_t avail)
{
    pthread_mutex_lock(&h->mu);
    h->avail = avail;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Wait for the hash of everything written; hex gets it (or "" on failure). */
static void hasher_stop(hasher *h, char hex[65])
{
    if (hex) hex[0] = 0;
    if (!h->running) return;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->th, NULL);
    h->running = 0;
    if (hex && !h->failed) md_hex(h->md, hex);
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

enum { J_PENDING, J_RUNNING, J_DONE };

typedef struct job {
    const ckpt_hub_file *f;
    const char *etag;        /* lfs sha256, else git oid */
    int lfs;
    char *blob, *inc, *snap, *lockp, *url0, *url;
    int fd, lockfd;
    uint64_t have, from;     /* bytes in .incomplete; first byte asked */
    uint64_t attempt_start;
    hasher hs;
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
} fetch;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int link_rel(const char *snap, const char *path, const char *etag, ckpt_err *err)
{
    /* snapshots/<commit>/<path>: two levels, plus one per folder in path */
    size_t ups = 2;
    for (const char *p = path; *p; p++) ups += *p == '/';
    size_t tl = ups * 3 + 6 + strlen(etag) + 1;
    char *target = malloc(tl);
    if (!target) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    target[0] = 0;
    for (size_t i = 0; i < ups; i++) strcat(target, "../");
    strcat(target, "blobs/");
    strcat(target, etag);
    int rc = 0;
    char cur[PATH_MAX];
    ssize_t n = readlink(snap, cur, sizeof cur - 1);
    if (n >= 0) {
        cur[n] = 0;
        if (!strcmp(cur, target)) { free(target); return 0; }
    }
    char *tmp = ckpt__asprintf("%s.%d.lnk", snap, (int)getpid());
    if (!tmp || mkparent(snap)) {
        rc = tmp ? ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create folder for %s", snap)
                 : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    } else {
        unlink(tmp);
        if (symlink(target, tmp) || rename(tmp, snap)) {
            int e = errno;
            unlink(tmp);
            rc = ckpt_err_sys(err, CKPT_E_IO, e, "cannot link %s", snap);
        }
    }
    free(tmp);
    free(target);
    return rc;
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
    hasher_stop(&j->hs, NULL);
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
            hasher_stop(&j->hs, NULL);
            if (ftruncate(j->fd, 0) || lseek(j->fd, 0, SEEK_SET)) goto ioerr;
            j->have = j->from = 0;
            if (hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, 0)) goto ioerr;
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
    hasher_advance(&j->hs, j->have);
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
    hasher_stop(&j->hs, hex);
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
    return link_rel(j->snap, j->f->path, j->etag, err);
}

/* Open the lock and the partial file; hash what is already there. Returns
 * 1 when the blob appeared meanwhile (linked, nothing to do). */
static int job_open(job *j, ckpt_err *err)
{
    if (j->lockfd < 0) {
        j->lockfd = open(j->lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (j->lockfd < 0) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create %s", j->lockp);
    }
    if (flock(j->lockfd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK) return 2;  /* another process downloads it: wait */
        return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot lock %s", j->lockp);
    }
    struct stat st;
    if (stat(j->blob, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == j->f->size) {
        int rc = link_rel(j->snap, j->f->path, j->etag, err);
        return rc ? rc : 1;
    }
    j->fd = open(j->inc, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0 || fstat(j->fd, &st)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot open %s", j->inc);
    uint64_t k = (uint64_t)st.st_size;
    if (k > j->f->size) {
        if (ftruncate(j->fd, 0)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot truncate %s", j->inc);
        k = 0;
    }
    if (hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, k)) return ckpt_err_set(err, CKPT_E_NOMEM, "cannot start hashing");
    if (lseek(j->fd, (off_t)k, SEEK_SET) < 0) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot seek %s", j->inc);
    j->have = k;
    return 0;
}

/* 1 when `path` already holds exactly `data` (a cache that is read-only
 * but up to date is not written to). */
static int same_content(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[256];
    size_t k = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return k == n && n < sizeof buf && !memcmp(buf, data, n);
}

/* Append to a growing buffer (doubling). */
static int buf_put(char **b, size_t *len, size_t *cap, const char *s)
{
    size_t l = strlen(s);
    if (*len + l + 1 > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (*len + l + 1 > nc) nc *= 2;
        char *nb = realloc(*b, nc);
        if (!nb) return -1;
        *b = nb;
        *cap = nc;
    }
    memcpy(*b + *len, s, l + 1);
    *len += l;
    return 0;
}

/* trees/<commit>.json, printed entry by entry: a cJSON tree of a 10^6-file
 * listing would take hundreds of MB. A commit's tree never changes, so an
 * existing file is kept (and a read-only cache is not written to). */
static int write_tree_json(fetch *F, const char *rev, ckpt_err *err)
{
    (void)rev;
    char *p = ckpt__asprintf("%s/trees/%s.json", F->repo_dir, F->l->commit);
    if (!p) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (ckpt__file_exists(p)) { free(p); return 0; }
    char *b = NULL;
    size_t len = 0, cap = 0;
    int bad = buf_put(&b, &len, &cap, "{\"format_version\":1,\"files\":{");
    int first = 1;
    for (int i = 0; i < F->l->nfiles && !bad; i++) {
        const ckpt_hub_file *f = &F->l->files[i];
        if (f->is_dir) continue;
        cJSON *o = cJSON_CreateObject(), *k = cJSON_CreateString(f->path);
        cJSON_AddNumberToObject(o, "size", (double)f->size);
        if (f->oid) cJSON_AddStringToObject(o, "blob_id", f->oid);
        if (f->lfs_sha256) {
            cJSON_AddStringToObject(o, "lfs_sha256", f->lfs_sha256);
            cJSON_AddNumberToObject(o, "lfs_size", (double)f->size);
        }
        char *ks = k ? cJSON_PrintUnformatted(k) : NULL, *os = o ? cJSON_PrintUnformatted(o) : NULL;
        bad = !ks || !os || (!first && buf_put(&b, &len, &cap, ",")) || buf_put(&b, &len, &cap, ks) ||
              buf_put(&b, &len, &cap, ":") || buf_put(&b, &len, &cap, os);
        first = 0;
        free(ks);
        free(os);
        cJSON_Delete(o);
        cJSON_Delete(k);
    }
    if (!bad) bad = buf_put(&b, &len, &cap, "}}");
    int rc = bad ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : write_atomic(p, b, len, err);
    free(p);
    free(b);
    return rc;
}

int ckpt__hub_fetch(const hub_ref *r, const ckpt_hub_listing *l, const char *rev,
                    const unsigned char *want, int parallel, ckpt_progress_fn fn, void *ud, ckpt_err *err)
{
    fetch F = {.r = r, .l = l, .fn = fn, .ud = ud};
    job *J = NULL;
    int nj = 0, rc = 0;
    CURLM *m = NULL;
    char *qrev = NULL;
    F.repo_dir = ckpt__hub_repo_dir(r);
    F.ep = ckpt__hub_endpoint();
    if (!F.repo_dir || !F.ep) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if (parallel <= 0) parallel = 8;
    if (parallel > 64) parallel = 64;

    /* refs/<rev> -> commit, atomically (huggingface_hub writes it only for names) */
    /* the revision asked when the listing was made ("main"), even when this
     * fetch came through a commit-pinned URL */
    if (l->revision && strcmp(l->revision, l->commit)) rev = l->revision;
    if (strcmp(rev, l->commit) && ckpt__hub_path_safe(rev)) {
        char *rp = ckpt__asprintf("%s/refs/%s", F.repo_dir, rev);
        rc = !rp ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory")
             : same_content(rp, l->commit, strlen(l->commit)) ? 0 : write_atomic(rp, l->commit, strlen(l->commit), err);
        free(rp);
        if (rc) goto out;
    }
    if ((rc = write_tree_json(&F, rev, err))) goto out;

    /* a job for each file asked (not for every file listed: 10^6 of them) */
    int nwant = 0;
    for (int i = 0; i < l->nfiles; i++) nwant += want[i] && !l->files[i].is_dir;
    J = calloc((size_t)nwant + 1, sizeof *J);
    if (!J) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    qrev = ckpt__hub_quote(l->commit, 0);
    for (int i = 0; i < l->nfiles; i++) {
        const ckpt_hub_file *f = &l->files[i];
        if (!want[i] || f->is_dir) continue;
        F.nitems++;
        F.total += f->size;
        char *have = ckpt__hub_cached_file(r, l->commit, f->path);
        if (have) {
            /* cached: used, not fetched again */
            free(have);
            F.items_done++;
            F.done_bytes += f->size;
            continue;
        }
        job *j = &J[nj++];
        j->F = &F;
        j->f = f;
        j->fd = j->lockfd = -1;
        j->lfs = f->lfs_sha256 != NULL;
        j->etag = j->lfs ? f->lfs_sha256 : f->oid;
        if (!j->etag) {
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s: the listing gives no hash for it", f->path);
            goto out;
        }
        char *qp = ckpt__hub_quote(f->path, 1);
        j->blob = ckpt__asprintf("%s/blobs/%s", F.repo_dir, j->etag);
        j->inc = ckpt__asprintf("%s/blobs/%s.incomplete", F.repo_dir, j->etag);
        j->snap = ckpt__asprintf("%s/snapshots/%s/%s", F.repo_dir, l->commit, f->path);
        {
            char *c = ckpt__hub_cache_dir();
            j->lockp = c ? ckpt__asprintf("%s/.locks/%s/%s.lock", c, ckpt__path_basename(F.repo_dir), j->etag) : NULL;
            free(c);
        }
        j->url0 = qp && qrev ? ckpt__asprintf("%s/%s%s/resolve/%s/%s", F.ep, ckpt__hub_type_prefix(r->type), r->repo, qrev, qp) : NULL;
        j->url = ckpt__strdup(j->url0);
        free(qp);
        if (!j->blob || !j->inc || !j->snap || !j->lockp || !j->url) {
            rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            goto out;
        }
        if (mkparent(j->blob) || mkparent(j->lockp)) {
            rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create the cache folders in %s", F.repo_dir);
            goto out;
        }
    }
    report(&F);
    if (!nj) goto out;

    m = curl_multi_init();
    if (!m) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "cannot create an HTTP handle"); goto out; }
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)parallel);
    int left = nj;
    double last_report = 0;
    while (left > 0 && !rc) {
        double t = now_s();
        int running = 0;
        for (int i = 0; i < nj; i++) running += J[i].state == J_RUNNING;
        for (int i = 0; i < nj && running < parallel && !rc; i++) {
            job *j = &J[i];
            if (j->state != J_PENDING || j->not_before > t) continue;
            if (j->fd < 0) {
                int o = job_open(j, err);
                if (o == 2) { j->not_before = t + 0.2; continue; }
                if (o == 1) {
                    job_close(j);
                    j->state = J_DONE;
                    F.items_done++;
                    F.done_bytes += j->f->size;
                    left--;
                    continue;
                }
                if (o) { rc = o; break; }
                if (j->have == j->f->size) {
                    if ((rc = job_finish(j, err))) break;
                    job_close(j);
                    j->state = J_DONE;
                    F.items_done++;
                    F.done_bytes += j->f->size;
                    left--;
                    continue;
                }
            }
            j->attempt_start = j->have;
            if ((rc = job_request(m, j, err))) break;
            running++;
        }
        if (rc) break;
        int still;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int q;
        while (!rc && (msg = curl_multi_info_read(m, &q))) {
            if (msg->msg != CURLMSG_DONE) continue;
            job *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            CURLcode cc = msg->data.result;
            curl_multi_remove_handle(m, j->h);
            j->state = J_PENDING;
            long st = j->resp.status;
            if (F.cancelled) {
                rc = ckpt_err_set(err, CKPT_E_CANCELLED, "download cancelled (the partial file is kept and resumed next time)");
                break;
            }
            if (j->abort_code) {
                if (j->abort_code == CKPT_E_INTEGRITY) {
                    close(j->fd);
                    j->fd = -1;
                    unlink(j->inc);
                }
                rc = ckpt_err_set(err, (ckpt_code)j->abort_code, "%s", j->abort_msg);
                ckpt_err_at_path(err, j->url0);
                break;
            }
            if (cc == CURLE_OK && st >= 300 && st < 400 && j->resp.location) {
                if (etag_conflict(j)) {
                    rc = ckpt_err_set(err, CKPT_E_INTEGRITY, "%s", j->abort_msg);
                    break;
                }
                char *nx = ckpt__http_resolve(j->url, j->resp.location);
                if (!nx || ++j->hops > 10) {
                    free(nx);
                    rc = ckpt_err_set(err, CKPT_E_NET, "%s: %s", j->f->path, nx ? "too many redirects" : "bad redirect");
                    break;
                }
                free(j->url);
                j->url = nx;
                j->not_before = 0;
                continue;
            }
            int retry = 0;
            long ra = -1;
            char why[CURL_ERROR_SIZE + 80];
            if (cc == CURLE_OK && st >= 200 && st < 300) {
                if (j->have == j->f->size) {
                    if ((rc = job_finish(j, err))) break;
                    job_close(j);
                    j->state = J_DONE;
                    F.items_done++;
                    F.done_bytes += j->f->size;
                    left--;
                    continue;
                }
                snprintf(why, sizeof why, "body ended after %llu of %llu bytes", (unsigned long long)j->have,
                         (unsigned long long)j->f->size);
                retry = 1;
            } else if (cc == CURLE_OK && st == 416) {
                /* our partial file does not fit the server's: start over */
                hasher_stop(&j->hs, NULL);
                if (ftruncate(j->fd, 0) || lseek(j->fd, 0, SEEK_SET) ||
                    hasher_start(&j->hs, j->fd, !j->lfs, j->f->size, 0)) {
                    rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot restart %s", j->inc);
                    break;
                }
                j->have = 0;
                snprintf(why, sizeof why, "range not satisfiable (416)");
                retry = 1;
            } else if (cc == CURLE_OK && ckpt__http_retryable_status(st)) {
                snprintf(why, sizeof why, "HTTP %ld", st);
                ra = j->resp.retry_after;
                retry = 2;
            } else if (cc == CURLE_OK) {
                rc = ckpt__hub_http_error(&j->resp, j->f->path, r->repo, err);
                ckpt_err_at_path(err, j->url0);
                break;
            } else {
                snprintf(why, sizeof why, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
                retry = 1;
            }
            /* a retry that made progress does not count against the limit */
            if (j->have > j->attempt_start) j->attempt = 0;
            if (++j->attempt >= 6) {
                if (retry == 2) rc = ckpt__hub_http_error(&j->resp, j->f->path, r->repo, err);
                else rc = ckpt_err_set(err, CKPT_E_NET, "%s: download failed after %d attempts: %s (the partial file is kept and resumed next time)",
                                       j->f->path, j->attempt, why);
                ckpt_err_at_path(err, j->url0);
                break;
            }
            free(j->url);
            j->url = ckpt__strdup(j->url0);
            j->hops = 0;
            j->not_before = now_s() + ckpt__http_backoff(j->attempt, ra);
        }
        if (rc) break;
        if (F.cancelled) { rc = ckpt_err_set(err, CKPT_E_CANCELLED, "download cancelled (the partial file is kept and resumed next time)"); break; }
        t = now_s();
        if (F.fn && t - last_report > 0.05) {
            uint64_t save = F.done_bytes;
            F.done_bytes = save + in_flight(J, nj);
            report(&F);
            F.done_bytes = save;
            last_report = t;
        }
        if (left > 0) curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    if (!rc) {
        F.current = NULL;
        report(&F);
        if (F.cancelled) rc = ckpt_err_set(err, CKPT_E_CANCELLED, "download cancelled");
    }
out:
    for (int i = 0; i < nj; i++) {
        if (J[i].h && m) curl_multi_remove_handle(m, J[i].h);
        /* keep a partial file for the next run, but not an empty one */
        if (J[i].state != J_DONE && J[i].fd >= 0 && J[i].have == 0) unlink(J[i].inc);
        job_free(&J[i]);
    }
    if (m) curl_multi_cleanup(m);
    free(J);
    free(qrev);
    free(F.repo_dir);
    free(F.ep);
    return rc;
}
