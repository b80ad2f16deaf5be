/* src_http.c: the byte source for remote files (HTTP Range requests
 * through a block cache), and the remote open behind ckpt_src_open("hf://...").
 *
 * Every reader opens a remote file through here, so `ls` and `info` fetch
 * only the bytes the format's metadata occupies (safetensors headers, HDF5
 * object headers through the libhdf5 driver in formats/h5vfd.c, a zip's
 * central directory and the members opened, GGUF's header).
 *
 * The cache: each remote file (by its commit-pinned URL) is one entry,
 * shared by every source opened on it (a .keras zip and the HDF5 file
 * stored inside it, a re-open by convert); the fetched ranges are kept as
 * extents under one process-wide budget (CKPT_REMOTE_CACHE_MB, default 64),
 * least recently used dropped first. A file's first two reads are fetched as
 * asked (a magic number, then the header it announces); after them a random
 * read fetches the 4 KiB-aligned pages around it (HDF5 metadata is
 * scattered between tensor data: a 64 KiB block per object header would
 * fetch the data too, exact reads would cost a request per header); from the third read in sequence on, a read-ahead as
 * large as the sequential run so far (at most 4 MiB) is added, its end
 * aligned to a 64 KiB block, so walking a header costs at most about twice
 * its size and streaming tensor data costs few requests. Reads of 1 MiB or
 * more go straight into the caller's buffer.
 *
 * Every answer is checked (http.c): a 206 must carry the Content-Range
 * asked for, of the size the listing gave, else the read fails naming the
 * file; a dropped connection continues from the byte reached (retries). A
 * server that ignores Range and answers 200 with the whole body has that
 * body kept in an anonymous temporary file as it arrives: the file is then
 * read from there, downloaded once, and a note says so (a fact on the
 * model, see ckpt__remote_note). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hub_int.h"

enum { PAGE = 4096, BLOCK = 64 * 1024, RA_MAX = 4 << 20, BIG = 1 << 20, SMALL_FILE = 16 << 20 };

typedef struct ext {
    uint64_t off;
    size_t len;
    unsigned char *d;
    uint64_t used;       /* LRU clock */
} ext;

typedef struct rfile {
    char *url;           /* {endpoint}/{repo}/resolve/{commit}/{path} */
    char *cdn;           /* where it redirected, or NULL */
    char *repo, *shown;
    uint64_t size;
    ext *e; int ne, cap; /* sorted by off, disjoint */
    uint64_t seq_end, run;
    int seq_n, nreads;
    int spill_fd;        /* temporary file for a Range-ignoring answer, -1 */
    int ranges_ok;       /* a 206 seen: no spill file needed any more */
    int whole_fd;        /* the whole file, when the server ignored Range; -1 */
    char *note;          /* then: what the model's facts say of it */
    int refs;
    struct rfile *next;
} rfile;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static rfile *g_files;
static uint64_t g_cached, g_clock, g_budget;

/* The note of the first file of path's repo whose server ignored Range, so a
 * TUI session or a diff of two repos notes only the one that did. */
int ckpt__remote_note(const char *path, char *buf, size_t n)
{
    hub_ref r;
    ckpt_err e = {0};
    if (!ckpt_is_hub_url(path) || ckpt__hub_url_parse(path, &r, &e)) return 0;
    int found = 0;
    pthread_mutex_lock(&g_mu);
    for (rfile *f = g_files; f && !found; f = f->next)
        if (f->note && !strcmp(f->repo, r.repo)) found = snprintf(buf, n, "%s", f->note) > 0;
    pthread_mutex_unlock(&g_mu);
    ckpt__hub_ref_free(&r);
    return found;
}

static uint64_t budget(void)
{
    if (!g_budget) {
        const char *v = getenv("CKPT_REMOTE_CACHE_MB");
        long mb = v && *v ? strtol(v, NULL, 10) : 64;
        g_budget = (uint64_t)(mb > 0 ? mb : 64) << 20;
    }
    return g_budget;
}

/* drop least recently used extents (of any file) until `need` more fits */
static void evict(uint64_t need)
{
    while (g_cached && g_cached + need > budget()) {
        rfile *bf = NULL;
        int bi = -1;
        for (rfile *f = g_files; f; f = f->next)
            for (int i = 0; i < f->ne; i++)
                if (bi < 0 || f->e[i].used < bf->e[bi].used) { bf = f; bi = i; }
        if (bi < 0) break;
        g_cached -= bf->e[bi].len;
        free(bf->e[bi].d);
        memmove(bf->e + bi, bf->e + bi + 1, (size_t)(bf->ne - bi - 1) * sizeof *bf->e);
        bf->ne--;
    }
}

/* first extent ending after off (binary search) */
static int ext_at(const rfile *f, uint64_t off)
{
    int lo = 0, hi = f->ne;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (f->e[mid].off + f->e[mid].len <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void ext_put(rfile *f, uint64_t off, unsigned char *d, size_t len)
{
    if (len > budget() / 2) { free(d); return; }
    evict(len);
    if (f->ne == f->cap) {
        int nc = f->cap ? f->cap * 2 : 64;
        ext *ne = realloc(f->e, (size_t)nc * sizeof *ne);
        if (!ne) { free(d); return; }
        f->e = ne;
        f->cap = nc;
    }
    int i = ext_at(f, off);
    memmove(f->e + i + 1, f->e + i, (size_t)(f->ne - i) * sizeof *f->e);
    f->e[i] = (ext){off, len, d, ++g_clock};
    f->ne++;
    g_cached += len;
}

static int spill_file(void)
{
    const char *dirs[3] = {getenv("TMPDIR"), "/var/tmp", "/tmp"};
    for (int i = 0; i < 3; i++) {
        if (!dirs[i] || !*dirs[i]) continue;
        int fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0) return fd;
    }
    return -1;
}

/* The server ignored Range: the whole body is in the spill file now. */
static int went_whole(rfile *f, const http_resp *r, ckpt_err *err)
{
    if (r->spilled != f->size) {
        ckpt_err_set(err, CKPT_E_NET, "server ignored the Range request and its whole answer has %llu bytes, not the %llu listed",
                     (unsigned long long)r->spilled, (unsigned long long)f->size);
        return CKPT_E_NET;
    }
    f->whole_fd = f->spill_fd;
    f->spill_fd = -1;
    for (int i = 0; i < f->ne; i++) { g_cached -= f->e[i].len; free(f->e[i].d); }
    f->ne = 0;
    free(f->note);
    f->note = ckpt__asprintf("the server ignored Range requests for %s: read sequentially from one full download (%llu bytes)",
                             f->shown, (unsigned long long)f->size);
    return 0;
}

static int fetch(rfile *f, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    if (!f->ranges_ok && f->spill_fd < 0) f->spill_fd = spill_file();
    for (int pass = 0; pass < 2; pass++) {
        const char *u = f->cdn && pass == 0 ? f->cdn : f->url;
        http_req q = {.url = u, .has_range = 1, .from = off, .to = off + n - 1, .buf = buf, .bufn = n,
                      .expect_size = f->size, .spill = f->spill_fd >= 0, .spill_fd = f->spill_fd};
        http_resp r;
        int rc = ckpt__http_do(&q, &r, err);
        if (rc) {
            /* name the file, not the (signed) address it was fetched from */
            if (err) snprintf(err->path, sizeof err->path, "%s", f->shown);
            ckpt__http_resp_free(&r);
            return rc;
        }
        if (r.status == 206 || r.status == 200) {
            if (u == f->url && r.url && strcmp(r.url, f->url)) {
                free(f->cdn);
                f->cdn = ckpt__strdup(r.url);
            }
            if (r.range_ignored) rc = went_whole(f, &r, err);
            else if (r.status == 206 && !f->ranges_ok) {
                f->ranges_ok = 1;
                if (f->spill_fd >= 0) close(f->spill_fd);
                f->spill_fd = -1;
            }
            ckpt__http_resp_free(&r);
            return rc;
        }
        if (u != f->url && r.status >= 400 && r.status < 500) {
            /* the CDN address expired: ask the Hub again */
            free(f->cdn);
            f->cdn = NULL;
            ckpt__http_resp_free(&r);
            continue;
        }
        rc = ckpt__hub_http_error(&r, f->shown, f->repo, err);
        ckpt__http_resp_free(&r);
        return rc;
    }
    return ckpt_err_set(err, CKPT_E_NET, "range request failed");
}

/* Fill [off, off+n) from the cache and the network (g_mu held). */
static int cached_read(rfile *f, unsigned char *out, size_t n, uint64_t off, ckpt_err *err)
{
    int first = f->nreads++ < 2;
    int seq = off == f->seq_end;
    f->seq_n = seq ? f->seq_n + 1 : 0;
    f->run = seq ? f->run + n : n;
    f->seq_end = off + n;
    while (n) {
        if (f->whole_fd >= 0) {
            if (ckpt__pread_full(f->whole_fd, out, n, off))
                return ckpt_err_sys(err, CKPT_E_IO, errno ? errno : EIO, "cannot read the downloaded copy");
            return 0;
        }
        int i = ext_at(f, off);
        if (i < f->ne && f->e[i].off <= off) {
            ext *x = &f->e[i];
            size_t k = (size_t)(x->off + x->len - off);
            if (k > n) k = n;
            memcpy(out, x->d + (off - x->off), k);
            x->used = ++g_clock;
            out += k; off += k; n -= k;
            continue;
        }
        uint64_t limit = i < f->ne ? f->e[i].off : f->size;   /* the next cached byte */
        size_t g = limit - off < n ? (size_t)(limit - off) : n;
        if (g >= BIG) {
            int rc = fetch(f, out, g, off, err);
            if (rc) return rc;
            out += g; off += g; n -= g;
            continue;
        }
        uint64_t end = off + g, start = off;
        if (first) {
            /* a file's first two reads are exact: a magic number and the
             * header it announces (safetensors: 8 bytes, then the JSON) */
        } else if (f->seq_n < 2) {
            /* a random read: the aligned page(s) around it, so neighbouring
             * metadata (object headers next to each other) costs one request */
            uint64_t lo = i > 0 ? f->e[i - 1].off + f->e[i - 1].len : 0;
            start = off / PAGE * PAGE;
            if (start < lo) start = lo;
            end = (end + PAGE - 1) / PAGE * PAGE;
            if (end > limit) end = limit;
        } else {
            uint64_t ra = f->run < RA_MAX ? f->run : RA_MAX;
            end = (end + ra + BLOCK - 1) / BLOCK * BLOCK;
            if (end > limit) end = limit;
        }
        size_t want = (size_t)(end - start);
        unsigned char *d = malloc(want);
        if (!d) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        int rc = fetch(f, d, want, start, err);
        if (rc) { free(d); return rc; }
        if (f->whole_fd >= 0) { free(d); continue; }   /* now read from the full copy */
        memcpy(out, d + (off - start), g);
        ext_put(f, start, d, want);
        out += g; off += g; n -= g;
    }
    return 0;
}

static int http_pread(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    rfile *f = s->priv;
    if (ckpt__src_check_range(s, n, off, err)) return CKPT_E_FORMAT;
    pthread_mutex_lock(&g_mu);
    int rc = cached_read(f, buf, n, off, err);
    pthread_mutex_unlock(&g_mu);
    if (rc) { ckpt_err_at_path(err, s->path); ckpt_err_at_offset(err, off); }
    return rc;
}

static void rfile_free(rfile *f)
{
    for (int i = 0; i < f->ne; i++) { g_cached -= f->e[i].len; free(f->e[i].d); }
    free(f->e);
    if (f->spill_fd >= 0) close(f->spill_fd);
    if (f->whole_fd >= 0) close(f->whole_fd);
    free(f->url); free(f->cdn); free(f->repo); free(f->shown); free(f->note);
    free(f);
}

/* A file stays cached after its last close (convert re-opens what ls
 * opened), until the process ends or the budget pushes its extents out. */
static void http_close(ckpt_src *s)
{
    rfile *f = s->priv;
    if (!f) return;
    pthread_mutex_lock(&g_mu);
    f->refs--;
    pthread_mutex_unlock(&g_mu);
}

static void __attribute__((destructor)) rfiles_free(void)
{
    for (rfile *f = g_files, *n; f; f = n) { n = f->next; rfile_free(f); }
    g_files = NULL;
}

static const struct ckpt_src_ops http_ops = {http_pread, http_close};

/* The shared entry of a remote file (made on first open). */
static rfile *rfile_get(const char *url, const char *repo, const char *shown, uint64_t size)
{
    pthread_mutex_lock(&g_mu);
    rfile *f = g_files;
    while (f && strcmp(f->url, url)) f = f->next;
    if (!f && (f = calloc(1, sizeof *f))) {
        f->url = ckpt__strdup(url);
        f->repo = ckpt__strdup(repo);
        f->shown = ckpt__strdup(shown);
        f->size = size;
        f->seq_end = UINT64_MAX;
        f->spill_fd = f->whole_fd = -1;
        if (!f->url || !f->repo || !f->shown) { rfile_free(f); f = NULL; }
        else { f->next = g_files; g_files = f; }
    }
    if (f) f->refs++;
    pthread_mutex_unlock(&g_mu);
    return f;
}

static int dir_pread(ckpt_src *s, void *b, size_t n, uint64_t o, ckpt_err *err)
{
    (void)b; (void)n; (void)o;
    ckpt_err_set(err, CKPT_E_USAGE, "is a directory");
    ckpt_err_at_path(err, s->path);
    return CKPT_E_USAGE;
}
static void dir_close(ckpt_src *s) { (void)s; }
static const struct ckpt_src_ops dir_ops = {dir_pread, dir_close};

static int new_src(const char *url, const struct ckpt_src_ops *ops, ckpt_src **out, ckpt_err *err)
{
    ckpt_src *s = calloc(1, sizeof *s);
    if (!s || !(s->path = ckpt__strdup(url))) {
        free(s);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    s->ops = ops;
    s->fd = -1;
    *out = s;
    return 0;
}

int ckpt__hub_src_open(const char *url, ckpt_src **out, ckpt_err *err)
{
    *out = NULL;
    if (!ckpt_is_hub_url(url)) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "only Hugging Face Hub URLs (hf://org/name, $HF_ENDPOINT) are read remotely");
        ckpt_err_at_path(err, url);
        return CKPT_E_UNSUPPORTED;
    }
    hub_ref r;
    int rc = ckpt__hub_url_parse(url, &r, err);
    if (rc) return rc;
    const char *rev = r.rev ? r.rev : "main";
    char *local = NULL, *commit = NULL;
    if (ckpt__hub_offline()) {
        if (!(rc = ckpt__hub_cached_commit(&r, rev, &commit, err))) {
            local = *r.path ? ckpt__hub_cached_file(&r, commit, r.path) : NULL;
            if (!local)
                rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "offline (HF_HUB_OFFLINE=1) and %s@%s/%s is not in the cache",
                                  r.repo, rev, r.path);
        }
        goto out;
    }
    const ckpt_hub_listing *l;
    if ((rc = ckpt__hub_listing(&r, rev, &l, err))) goto out;
    const ckpt_hub_file *f = *r.path ? ckpt__hub_find(l, r.path) : NULL;
    if (!f) {
        size_t pl = strlen(r.path);
        int any = !pl;
        for (int i = 0; i < l->nfiles && !any; i++)
            any = !strncmp(l->files[i].path, r.path, pl) && l->files[i].path[pl] == '/';
        if (any) {
            rc = new_src(url, &dir_ops, out, err);
            if (!rc) (*out)->is_dir = 1;
        } else {
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "no such file in %s@%s: %s", r.repo, rev, r.path);
        }
        goto out;
    }
    if (f->is_dir) {
        rc = new_src(url, &dir_ops, out, err);
        if (!rc) (*out)->is_dir = 1;
        goto out;
    }
    /* in the cache already: read it there */
    if ((local = ckpt__hub_cached_file(&r, l->commit, f->path))) goto out;
    if (!ckpt__format_remote_ranges(f->path) && f->size <= SMALL_FILE) {
        /* small files read whole (configs, indexes, model.json): the cache */
        unsigned char *want = calloc((size_t)l->nfiles + 1, 1);
        if (!want) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
        want[f - l->files] = 1;
        rc = ckpt__hub_fetch(&r, l, rev, want, 1, NULL, NULL, err);
        free(want);
        if (!rc && !(local = ckpt__hub_cached_file(&r, l->commit, f->path)))
            rc = ckpt_err_set(err, CKPT_E_IO, "%s: downloaded but not in the cache", f->path);
        goto out;
    }
    char *ep = ckpt__hub_endpoint();
    char *qc = ckpt__hub_quote(l->commit, 0), *qp = ckpt__hub_quote(f->path, 1);
    char *hu = ep && qc && qp ? ckpt__asprintf("%s/%s%s/resolve/%s/%s", ep, ckpt__hub_type_prefix(r.type), r.repo, qc, qp) : NULL;
    free(ep); free(qc); free(qp);
    rfile *h = hu ? rfile_get(hu, r.repo, url, f->size) : NULL;
    free(hu);
    if (!h) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if ((rc = new_src(url, &http_ops, out, err))) {
        http_close(&(ckpt_src){.priv = h});
        goto out;
    }
    (*out)->priv = h;
    (*out)->size = f->size;
out:
    if (!rc && local) rc = ckpt_src_open(local, out, err);
    if (rc) ckpt_err_at_path(err, url);
    free(local);
    free(commit);
    ckpt__hub_ref_free(&r);
    return rc;
}

int ckpt__hub_exists(const char *url)
{
    if (!ckpt_is_hub_url(url)) return 0;
    hub_ref r;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__hub_url_parse(url, &r, &e)) return 0;
    const char *rev = r.rev ? r.rev : "main";
    int yes = 0;
    if (ckpt__hub_offline()) {
        ckpt_hub_listing *own = NULL;
        if (!ckpt__hub_cached_listing(&r, rev, &own, &e)) {
            char *p = ckpt__hub_cached_file(&r, own->commit, r.path);
            yes = p != NULL;
            free(p);
        }
        ckpt_hub_listing_free(own);
    } else {
        const ckpt_hub_listing *l;
        const ckpt_hub_file *f = !ckpt__hub_listing(&r, rev, &l, &e) ? ckpt__hub_find(l, r.path) : NULL;
        yes = f && !f->is_dir;
    }
    ckpt__hub_ref_free(&r);
    return yes;
}

char *ckpt__hub_local_copy(const char *url)
{
    if (!ckpt_is_hub_url(url)) return NULL;
    hub_ref r;
    ckpt_err e;
    ckpt_err_clear(&e);
    if (ckpt__hub_url_parse(url, &r, &e)) return NULL;
    char *p = r.rev && ckpt__hub_is_commit(r.rev) && *r.path ? ckpt__hub_cached_file(&r, r.rev, r.path) : NULL;
    ckpt__hub_ref_free(&r);
    return p;
}
