/* src_http.c: a ckpt_src over HTTP Range requests, and the remote open
 * behind ckpt_src_open("hf://...").
 *
 * Safetensors shards are read in place by ranges: the reader asks for the
 * 8-byte length, then the header, and that is all `ckpt ls` transfers. The
 * first two reads of a file are fetched exactly as asked (they are the
 * header); later small reads fetch a 256 KiB window ahead so walking tensor
 * data does not cost a request per tensor. The CDN address a download
 * redirects to is remembered (without the token) for the next ranges.
 * Other small files (config.json, the index) go to the shared cache and are
 * read from there. */
#include <stdlib.h>
#include <string.h>

#include "hub_int.h"

enum { READAHEAD = 256 * 1024, SMALL_FILE = 16 << 20 };

typedef struct hsrc {
    char *url;           /* {endpoint}/{repo}/resolve/{commit}/{path} */
    char *cdn;           /* where it redirected, or NULL */
    char *repo;
    unsigned char *win;  /* last fetched window */
    uint64_t win_off;
    size_t win_len, win_cap;
    int nreads;
} hsrc;

static int fetch(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    hsrc *h = s->priv;
    for (int pass = 0; pass < 2; pass++) {
        const char *u = h->cdn && pass == 0 ? h->cdn : h->url;
        http_req q = {.url = u, .has_range = 1, .from = off, .to = off + n - 1, .buf = buf, .bufn = n};
        http_resp r;
        int rc = ckpt__http_do(&q, &r, err);
        if (rc) { ckpt__http_resp_free(&r); return rc; }
        if (r.status == 206 || r.status == 200) {
            if (u == h->url && r.url && strcmp(r.url, h->url)) {
                free(h->cdn);
                h->cdn = ckpt__strdup(r.url);
            }
            ckpt__http_resp_free(&r);
            return 0;
        }
        if (u != h->url && r.status >= 400 && r.status < 500) {
            /* the CDN address expired: ask the Hub again */
            free(h->cdn);
            h->cdn = NULL;
            ckpt__http_resp_free(&r);
            continue;
        }
        rc = ckpt__hub_http_error(&r, s->path, h->repo, err);
        ckpt__http_resp_free(&r);
        return rc;
    }
    return ckpt_err_set(err, CKPT_E_NET, "range request failed");
}

static int http_pread(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    hsrc *h = s->priv;
    uint64_t end;
    if (ckpt__add_u64(off, n, &end) || end > s->size) {
        ckpt_err_set(err, CKPT_E_FORMAT, "truncated: needs %zu bytes, file has %llu", n,
                     (unsigned long long)(s->size > off ? s->size - off : 0));
        ckpt_err_at_offset(err, off);
        ckpt_err_at_path(err, s->path);
        return CKPT_E_FORMAT;
    }
    unsigned char *out = buf;
    /* the window's part first */
    if (h->win_len && off >= h->win_off && off < h->win_off + h->win_len) {
        size_t k = (size_t)(h->win_off + h->win_len - off);
        if (k > n) k = n;
        memcpy(out, h->win + (off - h->win_off), k);
        out += k;
        off += k;
        n -= k;
    }
    int first_reads = h->nreads++ < 2;
    if (!n) return 0;
    if (first_reads || n >= READAHEAD) {
        int rc = fetch(s, out, n, off, err);
        if (!rc && n <= READAHEAD) {
            /* keep it: the header is often re-read piecewise */
            if (h->win_cap < n) {
                unsigned char *nw = realloc(h->win, n);
                if (!nw) return 0;
                h->win = nw;
                h->win_cap = n;
            }
            memcpy(h->win, out, n);
            h->win_off = off;
            h->win_len = n;
        }
        if (rc) { ckpt_err_at_path(err, s->path); ckpt_err_at_offset(err, off); }
        return rc;
    }
    size_t want = READAHEAD;
    if (s->size - off < want) want = (size_t)(s->size - off);
    if (h->win_cap < want) {
        unsigned char *nw = realloc(h->win, want);
        if (!nw) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        h->win = nw;
        h->win_cap = want;
    }
    h->win_len = 0;
    int rc = fetch(s, h->win, want, off, err);
    if (rc) { ckpt_err_at_path(err, s->path); ckpt_err_at_offset(err, off); return rc; }
    h->win_off = off;
    h->win_len = want;
    memcpy(out, h->win, n);
    return 0;
}

static void http_close(ckpt_src *s)
{
    hsrc *h = s->priv;
    if (!h) return;
    free(h->url);
    free(h->cdn);
    free(h->repo);
    free(h->win);
    free(h);
}

static const struct ckpt_src_ops http_ops = {http_pread, http_close};

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
    int st = ckpt__ends_with(f->path, ".safetensors");
    if (!st && f->size <= SMALL_FILE) {
        unsigned char *want = calloc((size_t)l->nfiles + 1, 1);
        if (!want) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
        want[f - l->files] = 1;
        rc = ckpt__hub_fetch(&r, l, rev, want, 1, NULL, NULL, err);
        free(want);
        if (!rc && !(local = ckpt__hub_cached_file(&r, l->commit, f->path)))
            rc = ckpt_err_set(err, CKPT_E_IO, "%s: downloaded but not in the cache", f->path);
        goto out;
    }
    hsrc *h = calloc(1, sizeof *h);
    char *ep = ckpt__hub_endpoint();
    char *qc = ckpt__hub_quote(l->commit, 0), *qp = ckpt__hub_quote(f->path, 1);
    if (h && ep && qc && qp) {
        h->url = ckpt__asprintf("%s/%s%s/resolve/%s/%s", ep, ckpt__hub_type_prefix(r.type), r.repo, qc, qp);
        h->repo = ckpt__strdup(r.repo);
    }
    free(ep); free(qc); free(qp);
    if (!h || !h->url || !h->repo || (rc = new_src(url, &http_ops, out, err))) {
        if (h) { free(h->url); free(h->repo); free(h); }
        if (!rc) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
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
