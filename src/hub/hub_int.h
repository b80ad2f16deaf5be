/* hub_int.h: what the hub modules (hub_url.c, http.c, hub.c, hub_cache.c,
 * src_http.c) share. Nothing here is seen by ui/. */
#ifndef CKPT_HUB_INT_H
#define CKPT_HUB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/hub.h"
#include "internal.h"

/* ---- URLs (hub_url.c) ---- */

typedef enum { HUB_MODEL = 0, HUB_DATASET, HUB_SPACE } hub_type;

typedef struct hub_ref {
    hub_type type;
    char *repo;    /* "org/name" (or "name" for legacy repos) */
    char *rev;     /* NULL when the URL names none */
    char *path;    /* repo-relative, "" for the repo root; never NULL after parse */
} hub_ref;

/* Parse hf://[datasets/|spaces/]org/name[@rev][/path] or
 * {endpoint,https://huggingface.co,https://hf.co}/[datasets/|spaces/]org/name
 * [/resolve|tree|blob/rev[/path]]. */
int ckpt__hub_url_parse(const char *url, hub_ref *r, ckpt_err *err);
void ckpt__hub_ref_free(hub_ref *r);
/* A repo-relative path that stays inside its folder: no "..", ".", empty
 * parts, leading '/', backslash or control bytes. */
int ckpt__hub_path_safe(const char *p);
int ckpt__hub_repo_id_ok(const char *repo);
const char *ckpt__hub_type_plural(hub_type t);   /* "models", "datasets", "spaces" */
const char *ckpt__hub_type_prefix(hub_type t);   /* "", "datasets/", "spaces/" */
/* Percent-encode everything but unreserved chars (and '/' when keep_slash). */
char *ckpt__hub_quote(const char *s, int keep_slash);
/* hf:// URL naming a file at a revision ("hf://org/name@rev/path"). */
char *ckpt__hub_file_url(const hub_ref *r, const char *rev, const char *path);
int ckpt__hub_is_commit(const char *s);          /* 40 lowercase hex */

/* ---- environment, as huggingface_hub reads it (hub.c) ---- */

char *ckpt__hub_endpoint(void);     /* HF_ENDPOINT without trailing '/' (malloc'd) */
char *ckpt__hub_token(void);        /* HF_TOKEN, else $HF_TOKEN_PATH / $HF_HOME/token; NULL if none */
char *ckpt__hub_cache_dir(void);    /* HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub */
int ckpt__hub_offline(void);        /* HF_HUB_OFFLINE in 1/ON/YES/TRUE */

/* ---- HTTP (http.c) ---- */

typedef struct http_resp {
    long status;
    char *body;              /* NUL-terminated memory body (mem sink), may be NULL */
    size_t len;
    uint64_t got;            /* body bytes received by the last response */
    char *etag;              /* normalised (no W/, no quotes) */
    char *linked_etag;
    char *repo_commit;
    char *location;
    char *link_next;         /* absolute URL of rel="next", or NULL */
    char *error_code;        /* X-Error-Code */
    char *error_message;     /* X-Error-Message */
    char *content_range;
    int64_t linked_size;     /* -1 if absent */
    int64_t content_length;  /* -1 if absent */
    long retry_after;        /* seconds, -1 if absent or not an integer */
    char *url;               /* the URL that answered last (after redirects) */
    int range_ignored;       /* a Range request answered 200: the whole body went to spill_fd */
    uint64_t spilled;        /* bytes of it written there */
} http_resp;

typedef struct http_req {
    const char *url;
    int head;                /* HEAD instead of GET */
    int has_range;
    uint64_t from, to;       /* inclusive byte range */
    size_t max_body;         /* mem sink cap (0 = 64 MiB) */
    void *buf;               /* fixed sink: exactly bufn bytes expected (Range reads) */
    size_t bufn;
    int no_follow;           /* give 3xx back instead of following */
    int max_tries;           /* 0 = default */
    uint64_t expect_size;    /* Range reads: the file's size, checked in Content-Range (0 = unknown) */
    int spill, spill_fd;     /* Range reads: a 200 answer (Range ignored) is written whole to spill_fd */
} http_req;

/* One request with retries (5xx, 408, 429 with Retry-After, dropped
 * connections: the Range continues from the byte reached), redirects followed
 * by hand (the token goes only to the endpoint's scheme://host:port). Returns
 * 0 with r->status set for any final HTTP answer, or CKPT_E_NET. */
int ckpt__http_do(const http_req *q, http_resp *r, ckpt_err *err);
void ckpt__http_resp_free(http_resp *r);

/* Header helpers (fuzzed): value parsers return malloc'd strings or -1. */
char *ckpt__http_link_next(const char *value, size_t n);
long ckpt__http_retry_after(const char *value, size_t n);
char *ckpt__http_etag_norm(const char *value, size_t n);
/* "bytes A-B/T" (T may be '*': *total = UINT64_MAX). 0 ok, -1 malformed
 * (B < A, B >= T, overflow, anything after). */
int ckpt__http_content_range(const char *value, size_t n, uint64_t *from, uint64_t *to, uint64_t *total);
/* Does `url` have the endpoint's scheme, host and port? */
int ckpt__http_same_origin(const char *url, const char *endpoint);
/* Resolve a (possibly relative) Location against base; malloc'd or NULL. */
char *ckpt__http_resolve(const char *base, const char *loc);
/* Parse one raw header line into r (used by both easy and multi paths). */
void ckpt__http_header_line(http_resp *r, const char *line, size_t n);
int ckpt__http_retryable_status(long st);
/* Backoff before retry `attempt` (1-based): Retry-After if given, else 2^k * base. */
double ckpt__http_backoff(int attempt, long retry_after);
/* Apply the shared easy options (timeouts, user agent, token if same origin). */
struct curl_slist;
void *ckpt__http_easy_setup(void *curl, const char *url, int head, int has_range, uint64_t from,
                            uint64_t to, struct curl_slist **hdrs, char *errbuf);
/* Map a final HTTP status to a ckpt error with the Hub's hints. `what` names
 * the repo/file/revision asked for. */
int ckpt__hub_http_error(const http_resp *r, const char *what, const char *repo, ckpt_err *err);

/* ---- listing (hub.c) ---- */

/* Listing for a ref, cached for the process (by repo@rev and repo@commit).
 * Online only. The returned listing belongs to the cache. */
int ckpt__hub_listing(const hub_ref *r, const char *rev, const ckpt_hub_listing **out,
                      ckpt_err *err);
/* Parse one page of a tree listing (a JSON array) into l (appends). Rejects
 * unsafe paths. */
int ckpt__hub_parse_tree(const char *json, size_t n, ckpt_hub_listing *l, ckpt_err *err);
const ckpt_hub_file *ckpt__hub_find(const ckpt_hub_listing *l, const char *path);

/* ---- cache (hub_cache.c) ---- */

/* "$cache/models--org--name" (malloc'd). */
char *ckpt__hub_repo_dir(const hub_ref *r);
/* Commit for rev from the cache (refs/<rev>, or rev itself if a cached
 * commit). NOTFOUND with a clear message if absent. */
int ckpt__hub_cached_commit(const hub_ref *r, const char *rev, char **commit, ckpt_err *err);
/* Snapshot path of a file if it is in the cache and its blob is whole, else NULL. */
char *ckpt__hub_cached_file(const hub_ref *r, const char *commit, const char *path);
/* Listing rebuilt from the cache (trees/<commit>.json, else the snapshot folder). */
int ckpt__hub_cached_listing(const hub_ref *r, const char *rev, ckpt_hub_listing **out,
                             ckpt_err *err);
/* Download files of a listing into the cache (parallel, resumable, verified),
 * write refs/<rev> and trees/<commit>.json. `want[i]` selects l->files[i]. */
int ckpt__hub_fetch(const hub_ref *r, const ckpt_hub_listing *l, const char *rev,
                    const unsigned char *want, int parallel, ckpt_progress_fn fn, void *ud,
                    ckpt_err *err);
/* Git blob sha1 / sha256 hex of a file (for tests and verification). */
int ckpt__hub_hash_file(const char *path, int git_sha1, char hex[65], ckpt_err *err);

/* ---- byte source and ckpt_open glue (src_http.c) ---- */

/* Remote open for ckpt_src_open (installed as ckpt_remote_open_hook). */
int ckpt__hub_src_open(const char *url, ckpt_src **out, ckpt_err *err);
/* Bytes received from the network by this process (all hub traffic). */
uint64_t ckpt__http_bytes_received(void);

#endif
