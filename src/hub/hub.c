/* hub.c: the Hub's API: environment (as huggingface_hub reads it), repo
 * listing (revision -> commit, recursive tree with Link pagination), model
 * search, and ckpt_open()'s resolution of hf:// URLs to what a reader opens. */
#include <ctype.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "hub_int.h"

/* ---------------------------------------------------------------------- */
/* environment                                                            */
/* ---------------------------------------------------------------------- */

static const char *env(const char *k)
{
    const char *v = getenv(k);
    return v && *v ? v : NULL;
}

static int env_true(const char *k)
{
    const char *v = env(k);
    return v && (!strcasecmp(v, "1") || !strcasecmp(v, "on") || !strcasecmp(v, "yes") ||
                 !strcasecmp(v, "true"));
}

char *ckpt__hub_endpoint(void)
{
    const char *v = env("HF_ENDPOINT");
    char *s = ckpt__strdup(v ? v : "https://huggingface.co");
    if (s) {
        size_t n = strlen(s);
        while (n && s[n - 1] == '/') s[--n] = 0;
    }
    return s;
}

static char *hf_home(void)
{
    const char *v = env("HF_HOME");
    if (v) return ckpt__strdup(v);
    if ((v = env("XDG_CACHE_HOME"))) return ckpt__path_join(v, "huggingface");
    v = env("HOME");
    return ckpt__asprintf("%s/.cache/huggingface", v ? v : "/tmp");
}

char *ckpt__hub_cache_dir(void)
{
    const char *v = env("HF_HUB_CACHE");
    if (!v) v = env("HUGGINGFACE_HUB_CACHE");
    if (v) return ckpt__strdup(v);
    char *h = hf_home();
    char *c = h ? ckpt__path_join(h, "hub") : NULL;
    free(h);
    return c;
}

char *ckpt__hub_token(void)
{
    if (env_true("HF_HUB_DISABLE_IMPLICIT_TOKEN")) return NULL;
    const char *v = env("HF_TOKEN");
    if (!v) v = env("HUGGING_FACE_HUB_TOKEN");
    char *t = NULL;
    if (v) {
        t = ckpt__strdup(v);
    } else {
        char *path = env("HF_TOKEN_PATH") ? ckpt__strdup(env("HF_TOKEN_PATH")) : NULL;
        if (!path) {
            char *h = hf_home();
            path = h ? ckpt__path_join(h, "token") : NULL;
            free(h);
        }
        FILE *f = path ? fopen(path, "r") : NULL;
        if (f) {
            char buf[512];
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = 0;
            fclose(f);
            t = ckpt__strdup(buf);
            memset(buf, 0, sizeof buf);
        }
        free(path);
    }
    if (!t) return NULL;
    /* trim; a token is one printable word */
    char *s = t;
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    memmove(t, s, n);
    t[n] = 0;
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) { free(t); return NULL; }
    if (!*t) { free(t); return NULL; }
    return t;
}

int ckpt__hub_offline(void) { return env_true("HF_HUB_OFFLINE") || env_true("TRANSFORMERS_OFFLINE"); }

/* ---------------------------------------------------------------------- */
/* listings                                                               */
/* ---------------------------------------------------------------------- */

void ckpt_hub_listing_free(ckpt_hub_listing *l)
{
    if (!l) return;
    for (int i = 0; i < l->nfiles; i++) {
        free(l->files[i].path);
        free(l->files[i].oid);
        free(l->files[i].lfs_sha256);
    }
    ckpt__index_free(l->path_index);
    free(l->files);
    free(l->repo);
    free(l->revision);
    free(l->commit);
    free(l);
}

static int is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

const ckpt_hub_file *ckpt__hub_find(const ckpt_hub_listing *l, const char *path)
{
    if (l && l->path_index) {
        int i = ckpt__index_get(l->path_index, path);
        return i >= 0 && i < l->nfiles ? &l->files[i] : NULL;
    }
    for (int i = 0; l && i < l->nfiles; i++)
        if (!strcmp(l->files[i].path, path)) return &l->files[i];
    return NULL;
}

static int num_u64(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j) || j->valuedouble < 0 || j->valuedouble > 9007199254740992.0 ||
        j->valuedouble != (double)(uint64_t)j->valuedouble)
        return -1;
    *out = (uint64_t)j->valuedouble;
    return 0;
}

static char *lower_dup(const char *s)
{
    char *d = ckpt__strdup(s);
    for (char *p = d; p && *p; p++) *p = (char)tolower((unsigned char)*p);
    return d;
}

/* The path index of a listing built by pages (made on first use). */
static int listing_index(ckpt_hub_listing *l)
{
    if (l->path_index) return 0;
    if (!(l->path_index = ckpt__index_new())) return -1;
    for (int i = 0; i < l->nfiles; i++)
        if (ckpt__index_put(l->path_index, l->files[i].path, i) == -2) return -1;
    l->capfiles = l->nfiles;
    return 0;
}

int ckpt__hub_parse_tree(const char *json, size_t n, ckpt_hub_listing *l, ckpt_err *err)
{
    if (listing_index(l)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    cJSON *a = cJSON_ParseWithLength(json, n);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return ckpt_err_set(err, CKPT_E_FORMAT, "malformed tree listing from the Hub (expected a JSON array)");
    }
    int rc = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(e, "type");
        const cJSON *pa = cJSON_GetObjectItemCaseSensitive(e, "path");
        if (!cJSON_IsObject(e) || !cJSON_IsString(ty) || !cJSON_IsString(pa)) {
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "malformed tree listing entry (needs \"type\" and \"path\")");
            break;
        }
        const char *path = pa->valuestring;
        if (!ckpt__hub_path_safe(path) || strlen(path) > 1024) {
            char shown[128];
            size_t k = 0;
            for (const char *p = path; *p && k + 1 < sizeof shown; p++)
                shown[k++] = (unsigned char)*p < 0x20 ? '?' : *p;
            shown[k] = 0;
            rc = ckpt_err_set(err, CKPT_E_UNSAFE, "refused listing entry '%s': its path escapes the snapshot folder", shown);
            break;
        }
        int is_dir = !strcmp(ty->valuestring, "directory");
        if (!is_dir && strcmp(ty->valuestring, "file")) continue;  /* unknown kinds: skip */
        ckpt_hub_file f = {0};
        f.is_dir = is_dir;
        if (!is_dir) {
            const cJSON *oid = cJSON_GetObjectItemCaseSensitive(e, "oid");
            const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(e, "lfs");
            if (num_u64(cJSON_GetObjectItemCaseSensitive(e, "size"), &f.size)) {
                rc = ckpt_err_set(err, CKPT_E_FORMAT, "tree listing entry '%s' has no valid size", path);
                break;
            }
            if (!cJSON_IsString(oid) || !is_hex(oid->valuestring, 40)) {
                rc = ckpt_err_set(err, CKPT_E_FORMAT, "tree listing entry '%s' has no valid git oid", path);
                break;
            }
            if (lfs && !cJSON_IsNull(lfs)) {
                const cJSON *lo = cJSON_GetObjectItemCaseSensitive(lfs, "oid");
                uint64_t lsz;
                if (!cJSON_IsObject(lfs) || !cJSON_IsString(lo) || !is_hex(lo->valuestring, 64)) {
                    rc = ckpt_err_set(err, CKPT_E_FORMAT, "tree listing entry '%s' has a malformed lfs sha256", path);
                    break;
                }
                if (!num_u64(cJSON_GetObjectItemCaseSensitive(lfs, "size"), &lsz)) f.size = lsz;
                f.lfs_sha256 = lower_dup(lo->valuestring);
            }
            f.oid = lower_dup(oid->valuestring);
        }
        if (ckpt__hub_find(l, path)) {
            free(f.oid);
            free(f.lfs_sha256);
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "tree listing names '%s' twice", path);
            break;
        }
        f.path = ckpt__strdup(path);
        if (l->nfiles >= l->capfiles) {   /* doubling: 10^6 entries in linear time */
            int nc = l->capfiles ? l->capfiles * 2 : 64;
            ckpt_hub_file *nf = realloc(l->files, (size_t)nc * sizeof *nf);
            if (nf) { l->files = nf; l->capfiles = nc; }
        }
        if (!f.path || l->nfiles >= l->capfiles || (!is_dir && !f.oid) ||
            ckpt__index_put(l->path_index, f.path, l->nfiles) == -2) {
            free(f.path); free(f.oid); free(f.lfs_sha256);
            rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            break;
        }
        l->files[l->nfiles++] = f;
    }
    cJSON_Delete(a);
    return rc;
}

/* process cache of listings, by "type:repo@rev" */
typedef struct lcache {
    char *key;
    ckpt_hub_listing *l;
    int owner;
    struct lcache *next;
} lcache;
static lcache *g_lc;
static pthread_mutex_t g_lc_mu = PTHREAD_MUTEX_INITIALIZER;

static char *lkey(const hub_ref *r, const char *rev)
{
    return ckpt__asprintf("%d:%s@%s", (int)r->type, r->repo, rev);
}

static const ckpt_hub_listing *lc_get(const char *key)
{
    pthread_mutex_lock(&g_lc_mu);
    const ckpt_hub_listing *l = NULL;
    for (lcache *c = g_lc; c; c = c->next)
        if (!strcmp(c->key, key)) { l = c->l; break; }
    pthread_mutex_unlock(&g_lc_mu);
    return l;
}

static void lc_put(char *key, ckpt_hub_listing *l, int owner)
{
    lcache *c = calloc(1, sizeof *c);
    if (!c) { free(key); if (owner) ckpt_hub_listing_free(l); return; }
    c->key = key;
    c->l = l;
    c->owner = owner;
    pthread_mutex_lock(&g_lc_mu);
    c->next = g_lc;
    g_lc = c;
    pthread_mutex_unlock(&g_lc_mu);
}

static void __attribute__((destructor)) lc_free_all(void)
{
    for (lcache *c = g_lc, *n; c; c = n) {
        n = c->next;
        if (c->owner) ckpt_hub_listing_free(c->l);
        free(c->key);
        free(c);
    }
    g_lc = NULL;
}

static int api_get(const char *url, http_resp *resp, const char *what, const char *repo, ckpt_err *err)
{
    http_req q = {.url = url, .max_body = 256u << 20};
    int rc = ckpt__http_do(&q, resp, err);
    if (rc) return rc;
    if (resp->status != 200) {
        rc = ckpt__hub_http_error(resp, what, repo, err);
        ckpt_err_at_path(err, url);
        return rc;
    }
    return 0;
}

/* The listing, page by page; `progress` (may be NULL) hears of each page
 * and cancels by returning non-zero (SIGTERM during a 10^6-entry listing). */
static int listing_p(const hub_ref *r, const char *rev, const ckpt_hub_listing **out, ckpt_progress_fn progress,
                     void *ud, ckpt_err *err)
{
    *out = NULL;
    char *key = lkey(r, rev);
    if (!key) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if ((*out = lc_get(key))) { free(key); return 0; }
    char *ep = ckpt__hub_endpoint();
    char *qrev = ckpt__hub_quote(rev, 0);
    char *what = ckpt__asprintf("%s@%s", r->repo, rev);
    char *url = NULL, *commit = NULL;
    ckpt_hub_listing *l = calloc(1, sizeof *l);
    http_resp resp = {0};
    int rc = 0;
    if (!ep || !qrev || !what || !l) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    /* revision -> commit */
    url = ckpt__asprintf("%s/api/%s/%s/revision/%s", ep, ckpt__hub_type_plural(r->type), r->repo, qrev);
    if (!url) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if ((rc = api_get(url, &resp, what, r->repo, err))) goto out;
    cJSON *j = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.len);
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(j, "sha");
    if (cJSON_IsString(sha) && ckpt__hub_is_commit(sha->valuestring)) commit = ckpt__strdup(sha->valuestring);
    cJSON_Delete(j);
    if (!commit) {
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "malformed answer from the Hub for %s (no 40-hex \"sha\")", what);
        ckpt_err_at_path(err, url);
        goto out;
    }
    ckpt__http_resp_free(&resp);
    free(url);
    /* the tree at that commit, page by page */
    url = ckpt__asprintf("%s/api/%s/%s/tree/%s?recursive=true&expand=false", ep,
                         ckpt__hub_type_plural(r->type), r->repo, commit);
    for (int page = 0; url; page++) {
        if (page > 100000) { rc = ckpt_err_set(err, CKPT_E_FORMAT, "tree listing does not end"); goto out; }
        if ((rc = api_get(url, &resp, what, r->repo, err))) goto out;
        if ((rc = ckpt__hub_parse_tree(resp.body ? resp.body : "", resp.len, l, err))) {
            ckpt_err_at_path(err, url);
            goto out;
        }
        char *next = resp.link_next ? ckpt__http_resolve(url, resp.link_next) : NULL;
        ckpt__http_resp_free(&resp);
        free(url);
        url = next;
        ckpt_progress pr = {.phase = "list", .items_done = l->nfiles, .current = what};
        if (progress && progress(ud, &pr)) { rc = ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled"); goto out; }
    }
    l->repo = ckpt__strdup(r->repo);
    l->revision = ckpt__strdup(rev);
    l->commit = commit;
    commit = NULL;
    if (!l->repo || !l->revision) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    /* cache under the revision and the commit */
    char *k2 = lkey(r, l->commit);
    if (k2 && strcmp(k2, key)) lc_put(k2, l, 0);
    else free(k2);
    lc_put(key, l, 1);
    key = NULL;
    *out = l;
    l = NULL;
out:
    ckpt__http_resp_free(&resp);
    free(key); free(ep); free(qrev); free(what); free(url); free(commit);
    ckpt_hub_listing_free(l);
    return rc;
}

int ckpt__hub_listing(const hub_ref *r, const char *rev, const ckpt_hub_listing **out, ckpt_err *err)
{
    return listing_p(r, rev, out, NULL, NULL, err);
}

static ckpt_hub_listing *listing_copy(const ckpt_hub_listing *s, const char *under)
{
    ckpt_hub_listing *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->repo = ckpt__strdup(s->repo);
    d->revision = ckpt__strdup(s->revision);
    d->commit = ckpt__strdup(s->commit);
    d->files = calloc((size_t)s->nfiles + 1, sizeof *d->files);
    if (!d->repo || !d->revision || !d->commit || !d->files) { ckpt_hub_listing_free(d); return NULL; }
    size_t ul = under ? strlen(under) : 0;
    for (int i = 0; i < s->nfiles; i++) {
        const ckpt_hub_file *f = &s->files[i];
        if (ul && !(!strncmp(f->path, under, ul) && (f->path[ul] == '/' || !f->path[ul]))) continue;
        ckpt_hub_file *g = &d->files[d->nfiles++];
        g->path = ckpt__strdup(f->path);
        g->oid = ckpt__strdup(f->oid);
        g->lfs_sha256 = ckpt__strdup(f->lfs_sha256);
        g->size = f->size;
        g->is_dir = f->is_dir;
        if (!g->path) { ckpt_hub_listing_free(d); return NULL; }
    }
    return d;
}

int ckpt_hub_list(const char *url, ckpt_hub_listing **out, ckpt_err *err)
{
    *out = NULL;
    hub_ref r;
    int rc = ckpt__hub_url_parse(url, &r, err);
    if (rc) return rc;
    const char *rev = r.rev ? r.rev : "main";
    if (ckpt__hub_offline()) {
        ckpt_hub_listing *l = NULL;
        rc = ckpt__hub_cached_listing(&r, rev, &l, err);
        if (!rc && *r.path) {
            *out = listing_copy(l, r.path);
            ckpt_hub_listing_free(l);
            if (!*out) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        } else if (!rc) {
            *out = l;
        }
    } else {
        const ckpt_hub_listing *l;
        rc = ckpt__hub_listing(&r, rev, &l, err);
        if (!rc && !(*out = listing_copy(l, *r.path ? r.path : NULL)))
            rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    if (rc) ckpt_err_at_path(err, url);
    ckpt__hub_ref_free(&r);
    return rc;
}

int ckpt_hub_search(const char *query, int limit, char ***ids, int *n, ckpt_err *err)
{
    *ids = NULL;
    *n = 0;
    if (ckpt__hub_offline())
        return ckpt_err_set(err, CKPT_E_NET, "model search needs the network (HF_HUB_OFFLINE is set)");
    if (limit <= 0 || limit > 1000) limit = 50;
    char *ep = ckpt__hub_endpoint();
    char *qq = ckpt__hub_quote(query ? query : "", 0);
    char *url = ep && qq ? ckpt__asprintf("%s/api/models?search=%s&limit=%d", ep, qq, limit) : NULL;
    free(ep);
    free(qq);
    if (!url) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    http_resp resp;
    int rc = api_get(url, &resp, "model search", "", err);
    if (rc) { free(url); ckpt__http_resp_free(&resp); return rc; }
    cJSON *a = cJSON_ParseWithLength(resp.body ? resp.body : "", resp.len);
    if (!cJSON_IsArray(a)) {
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "malformed search answer from the Hub (expected a JSON array)");
        ckpt_err_at_path(err, url);
    } else {
        int cap = cJSON_GetArraySize(a);
        char **v = calloc((size_t)cap + 1, sizeof *v);
        int k = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, a) {
            if (!v || k >= limit) break;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
            if (!cJSON_IsString(id)) id = cJSON_GetObjectItemCaseSensitive(e, "modelId");
            if (!cJSON_IsString(id) || !ckpt__hub_repo_id_ok(id->valuestring)) continue;
            if (!(v[k] = ckpt__strdup(id->valuestring))) break;
            k++;
        }
        if (!v) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        *ids = v;
        *n = k;
    }
    cJSON_Delete(a);
    ckpt__http_resp_free(&resp);
    free(url);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* ckpt_open(hf://...): pick the model file, decide how it is read         */
/* ---------------------------------------------------------------------- */

/* Best weights file under `dir` ("" = root): in dir itself first, then deeper. */
static const ckpt_hub_file *pick_model(const ckpt_hub_listing *l, const char *dir)
{
    size_t dl = strlen(dir);
    const ckpt_hub_file *best = NULL;
    int best_sc = 0, best_depth = 1 << 30;
    for (int i = 0; i < l->nfiles; i++) {
        const ckpt_hub_file *f = &l->files[i];
        if (f->is_dir) continue;
        if (dl && !(!strncmp(f->path, dir, dl) && f->path[dl] == '/')) continue;
        const char *rel = f->path + (dl ? dl + 1 : 0);
        int depth = 0;
        for (const char *p = rel; *p; p++) depth += *p == '/';
        int sc = ckpt__format_hub_rank(ckpt__path_basename(rel));
        if (!sc) continue;
        if (depth < best_depth || (depth == best_depth && (sc > best_sc || (sc == best_sc && strcmp(f->path, best->path) < 0)))) {
            best = f;
            best_sc = sc;
            best_depth = depth;
        }
    }
    return best;
}

int ckpt__hub_resolve(const char *url, char **out, ckpt_err *err)
{
    *out = NULL;
    hub_ref r;
    int rc = ckpt__hub_url_parse(url, &r, err);
    if (rc) return rc;
    const char *rev = r.rev ? r.rev : "main";
    ckpt_hub_listing *own = NULL;
    const ckpt_hub_listing *l = NULL;
    int offline = ckpt__hub_offline();
    if (offline) {
        rc = ckpt__hub_cached_listing(&r, rev, &own, err);
        l = own;
    } else {
        rc = ckpt__hub_listing(&r, rev, &l, err);
    }
    if (rc) goto out;
    const ckpt_hub_file *f = *r.path ? ckpt__hub_find(l, r.path) : NULL;
    if (!f || f->is_dir) {
        if (*r.path && !f) {
            /* a folder is listed only through its files */
            size_t pl = strlen(r.path);
            int any = 0;
            for (int i = 0; i < l->nfiles && !any; i++)
                any = !strncmp(l->files[i].path, r.path, pl) && l->files[i].path[pl] == '/';
            if (!any) {
                rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "no file or folder '%s' in %s@%s%s", r.path, r.repo, rev,
                                  offline ? " (offline: looked in the cache only)" : "");
                goto out;
            }
        }
        f = pick_model(l, r.path);
        if (!f) {
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "no model weights in %s@%s%s%s (looked for *.safetensors, pytorch_model.bin, *.h5, *.keras, model.json, *.gguf)",
                              r.repo, rev, *r.path ? "/" : "", r.path);
            goto out;
        }
    }
    /* the reader opens the commit-pinned hf:// URL: its format reads it by
     * ranges (src_http.c) or it is fetched whole into the cache on open;
     * files beside it (config.json, shards) are found the same way.
     * Offline, a file missing from the cache is said so here. */
    if (offline) {
        char *local = ckpt__hub_cached_file(&r, l->commit, f->path);
        if (!local) {
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "offline (HF_HUB_OFFLINE=1) and %s@%s/%s is not in the cache; run `ckpt pull` with the network first",
                              r.repo, rev, f->path);
            goto out;
        }
        free(local);
    }
    if (!(*out = ckpt__hub_file_url(&r, l->commit, f->path))) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
out:
    if (rc) ckpt_err_at_path(err, url);
    ckpt_hub_listing_free(own);
    ckpt__hub_ref_free(&r);
    return rc;
}

/* convert --cache: the model file a hf:// URL names (as ckpt_open picks
 * it) and its companions (the format's .companions in its folder) fetched
 * into the cache, so the conversion reads them there and they stay. */
int ckpt_hub_cache_model(const char *url, ckpt_progress_fn fn, void *ud, ckpt_err *err)
{
    char *pinned = NULL;
    int rc = ckpt__hub_resolve(url, &pinned, err);
    hub_ref r = {0}, m = {0};
    if (!rc) rc = ckpt__hub_url_parse(url, &r, err);
    if (!rc) rc = ckpt__hub_url_parse(pinned, &m, err);
    const ckpt_hub_listing *l = NULL;
    if (!rc && !ckpt__hub_offline()) rc = ckpt__hub_listing(&m, m.rev, &l, err);
    unsigned char *want = l ? calloc((size_t)l->nfiles + 1, 1) : NULL;
    if (!rc && l && !want) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc && l) {
        char *dir = ckpt__path_dirname(m.path);
        const char *mb = ckpt__path_basename(m.path);
        for (int i = 0; dir && i < l->nfiles; i++) {
            const ckpt_hub_file *f = &l->files[i];
            char *fd = f->is_dir ? NULL : ckpt__path_dirname(f->path);
            if (fd && !strcmp(fd, dir))
                want[i] = !strcmp(f->path, m.path) || ckpt__format_is_companion(mb, ckpt__path_basename(f->path));
            free(fd);
        }
        free(dir);
        rc = ckpt__hub_fetch(&m, l, r.rev ? r.rev : "main", want, 0, fn, ud, err);
    }
    if (rc) ckpt_err_at_path(err, url);
    free(want);
    free(pinned);
    ckpt__hub_ref_free(&r);
    ckpt__hub_ref_free(&m);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* pull                                                                   */
/* ---------------------------------------------------------------------- */

int ckpt_hub_pull(const char *url, const ckpt_pull_opts *o, char *snapshot_dir, size_t n, ckpt_err *err)
{
    ckpt_pull_opts dflt = {0};
    if (!o) o = &dflt;
    if (snapshot_dir && n) snapshot_dir[0] = 0;
    hub_ref r;
    int rc = ckpt__hub_url_parse(url, &r, err);
    if (rc) return rc;
    const char *rev = o->revision ? o->revision : r.rev ? r.rev : "main";
    ckpt_hub_listing *own = NULL;
    const ckpt_hub_listing *l = NULL;
    unsigned char *want = NULL;
    char *repo_dir = NULL;
    int offline = ckpt__hub_offline();
    if (offline) {
        rc = ckpt__hub_cached_listing(&r, rev, &own, err);
        l = own;
    } else {
        rc = listing_p(&r, rev, &l, o->progress, o->progress_ud, err);
    }
    if (rc) goto out;
    want = calloc((size_t)l->nfiles + 1, 1);
    if (!want) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    size_t pl = strlen(r.path);
    int nwant = 0;
    for (int i = 0; i < l->nfiles; i++) {
        const ckpt_hub_file *f = &l->files[i];
        if (f->is_dir) continue;
        if (pl && !(!strncmp(f->path, r.path, pl) && (f->path[pl] == '/' || !f->path[pl]))) continue;
        int ok = o->ninclude <= 0;
        for (int k = 0; k < o->ninclude && !ok; k++)
            ok = !fnmatch(o->include[k], f->path, 0);
        if (ok) { want[i] = 1; nwant++; }
    }
    if (!nwant && (pl || o->ninclude > 0)) {
        rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "no file in %s@%s matches %s%s", r.repo, rev,
                          pl ? r.path : "the --include patterns", offline ? " (offline: looked in the cache only)" : "");
        goto out;
    }
    if (offline) {
        /* everything asked must already be whole in the cache */
        char missing[400] = "";
        int nmiss = 0;
        for (int i = 0; i < l->nfiles; i++) {
            if (!want[i]) continue;
            char *p = ckpt__hub_cached_file(&r, l->commit, l->files[i].path);
            if (!p) {
                if (nmiss++ < 5) {
                    size_t k = strlen(missing);
                    snprintf(missing + k, sizeof missing - k, "%s%s", k ? ", " : "", l->files[i].path);
                }
            }
            free(p);
        }
        if (nmiss) {
            rc = ckpt_err_set(err, CKPT_E_NOTFOUND, "offline (HF_HUB_OFFLINE=1): %d file%s of %s@%s not in the cache: %s%s",
                              nmiss, nmiss > 1 ? "s" : "", r.repo, rev, missing, nmiss > 5 ? ", ..." : "");
            goto out;
        }
    } else {
        rc = ckpt__hub_fetch(&r, l, rev, want, o->parallel, o->progress, o->progress_ud, err);
        if (rc) goto out;
    }
    repo_dir = ckpt__hub_repo_dir(&r);
    if (!repo_dir) { rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); goto out; }
    if (snapshot_dir && n && (size_t)snprintf(snapshot_dir, n, "%s/snapshots/%s", repo_dir, l->commit) >= n)
        rc = ckpt_err_set(err, CKPT_E_USAGE, "snapshot path longer than the buffer");
out:
    if (rc) ckpt_err_at_path(err, url);
    free(want);
    free(repo_dir);
    ckpt_hub_listing_free(own);
    ckpt__hub_ref_free(&r);
    return rc;
}
