/* hub_cache.c: huggingface_hub's cache, shared with it file for file:
 *   $HF_HUB_CACHE/models--org--name/blobs/<etag>          content
 *                                  /blobs/<etag>.incomplete while downloading (resumed across runs)
 *                                  /snapshots/<commit>/<path>  relative symlink to ../../blobs/<etag>
 *                                  /refs/<revision>      the commit, written atomically
 *                                  /trees/<commit>.json  the listing (for offline use)
 *   $HF_HUB_CACHE/.locks/models--org--name/<etag>.lock
 * Here: its layout, lookups and the small files (refs, trees, snapshot
 * links); the downloads into it are hub_fetch.c. Small files are written
 * by the conversion outputs' transaction (ckpt__write_file_atomic). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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

int ckpt__hub_mkparent(const char *path, ckpt_err *err)
{
    char *d = ckpt__path_dirname(path);
    int rc = d ? ckpt__mkdirs(d, NULL, NULL, err) : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    free(d);
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

int ckpt__hub_link_snapshot(const char *snap, const char *path, const char *etag, ckpt_err *err)
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
    if (!tmp) {
        rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    } else if (!(rc = ckpt__hub_mkparent(snap, err))) {
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

/* trees/<commit>.json, printed entry by entry: a cJSON tree of a 10^6-file
 * listing would take hundreds of MB. A commit's tree never changes, so an
 * existing file is kept (and a read-only cache is not written to). */
static int write_tree_json(const char *repo_dir, const ckpt_hub_listing *l, ckpt_err *err)
{
    char *p = ckpt__asprintf("%s/trees/%s.json", repo_dir, l->commit);
    if (!p) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (ckpt__file_exists(p)) { free(p); return 0; }
    ckpt_sbuf b = {0};
    ckpt__sb_puts(&b, "{\"format_version\":1,\"files\":{");
    int first = 1, bad = 0;
    for (int i = 0; i < l->nfiles && !bad && !b.oom; i++) {
        const ckpt_hub_file *f = &l->files[i];
        if (f->is_dir) continue;
        cJSON *o = cJSON_CreateObject(), *k = cJSON_CreateString(f->path);
        cJSON_AddNumberToObject(o, "size", (double)f->size);
        if (f->oid) cJSON_AddStringToObject(o, "blob_id", f->oid);
        if (f->lfs_sha256) {
            cJSON_AddStringToObject(o, "lfs_sha256", f->lfs_sha256);
            cJSON_AddNumberToObject(o, "lfs_size", (double)f->size);
        }
        char *ks = k ? cJSON_PrintUnformatted(k) : NULL, *os = o ? cJSON_PrintUnformatted(o) : NULL;
        bad = !ks || !os;
        if (!bad) {
            if (!first) ckpt__sb_puts(&b, ",");
            ckpt__sb_puts(&b, ks);
            ckpt__sb_puts(&b, ":");
            ckpt__sb_puts(&b, os);
        }
        first = 0;
        free(ks);
        free(os);
        cJSON_Delete(o);
        cJSON_Delete(k);
    }
    ckpt__sb_puts(&b, "}}");
    int rc = bad || b.oom ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory") : ckpt__write_file_atomic(p, b.p, b.n, err);
    free(p);
    free(b.p);
    return rc;
}

int ckpt__hub_write_meta(const char *repo_dir, const ckpt_hub_listing *l, const char *rev, ckpt_err *err)
{
    /* the revision asked when the listing was made ("main"), even when this
     * fetch came through a commit-pinned URL */
    if (l->revision && strcmp(l->revision, l->commit)) rev = l->revision;
    if (strcmp(rev, l->commit) && ckpt__hub_path_safe(rev)) {
        char *rp = ckpt__asprintf("%s/refs/%s", repo_dir, rev);
        int rc = !rp ? ckpt_err_set(err, CKPT_E_NOMEM, "out of memory")
                 : same_content(rp, l->commit, strlen(l->commit)) ? 0
                 : ckpt__write_file_atomic(rp, l->commit, strlen(l->commit), err);
        free(rp);
        if (rc) return rc;
    }
    return write_tree_json(repo_dir, l, err);
}
