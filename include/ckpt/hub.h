/* ckpt/hub.h: Hugging Face Hub access (issue 5 owns src/hub*.c).
 * URLs: "hf://org/name[@revision][/path]" and "https://huggingface.co/org/name[...]".
 * HF_ENDPOINT, HF_TOKEN / $HF_HOME/token, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE
 * are honoured as huggingface_hub does. ckpt_open() accepts these URLs. */
#ifndef CKPT_HUB_H
#define CKPT_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/err.h"
#include "ckpt/progress.h"

int ckpt_is_hub_url(const char *s);

typedef struct ckpt_hub_file {
    char *path;          /* repo-relative */
    uint64_t size;
    char *oid;           /* git blob sha1 */
    char *lfs_sha256;    /* NULL if not LFS */
    int is_dir;
} ckpt_hub_file;

typedef struct ckpt_hub_listing {
    char *repo;          /* "org/name" */
    char *revision;      /* as asked ("main") */
    char *commit;        /* resolved 40-hex commit */
    ckpt_hub_file *files;
    int nfiles;
    /* engine-private: room in files, and a path -> index map (so a listing
     * of 10^6 entries is built and searched in linear time) */
    int capfiles;
    struct ckpt_name_index *path_index;
} ckpt_hub_listing;

/* List a repo's files (recursive), resolving the revision. */
int ckpt_hub_list(const char *url, ckpt_hub_listing **out, ckpt_err *err);
void ckpt_hub_listing_free(ckpt_hub_listing *l);

/* Model search for the browser: up to `limit` repo ids (malloc'd array of
 * malloc'd strings, caller frees each and the array). */
int ckpt_hub_search(const char *query, int limit, char ***ids, int *n, ckpt_err *err);

typedef struct ckpt_pull_opts {
    const char *const *include;  /* globs, NULL/0 = all files */
    int ninclude;
    const char *revision;        /* overrides the URL's @rev, may be NULL */
    int parallel;                /* concurrent transfers, 0 = default */
    ckpt_progress_fn progress;
    void *progress_ud;
} ckpt_pull_opts;

/* Download into the shared cache; writes the snapshot directory path. */
int ckpt_hub_pull(const char *url, const ckpt_pull_opts *o, char *snapshot_dir, size_t n,
                  ckpt_err *err);

/* For `convert --cache`: fetch the model file the URL opens (as ckpt_open
 * picks it) and the files that belong with it (config.json, the shards of
 * an index, tokenizer files: its format's companions) into the shared
 * cache, so reading it then happens there and the files stay, as `pull`
 * leaves them. Without it a remote model is read by ranges, nothing stored. */
int ckpt_hub_cache_model(const char *url, ckpt_progress_fn fn, void *ud, ckpt_err *err);

#endif
