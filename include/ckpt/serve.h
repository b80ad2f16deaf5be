/* ckpt/serve.h: the prediction requests `ckpt serve` takes (src/serve/).
 *
 * A request body is Cog's: {"input": {...}, "id"?, "webhook"?,
 * "webhook_events_filter"?}. The inputs are S0's (huggingface_repo,
 * model_type, h5_filename) and ckpt's extras (to, naming, map, dtype,
 * revision). Everything is checked here, before any job starts: types,
 * names, lengths, rule text, and local paths (refused unless under the
 * server's root). The engine only parses; ui/ serves.
 */
#ifndef CKPT_SERVE_H
#define CKPT_SERVE_H

#include <stddef.h>

#include "ckpt/err.h"

#define CKPT_WH_START     0x1u
#define CKPT_WH_OUTPUT    0x2u
#define CKPT_WH_LOGS      0x4u
#define CKPT_WH_COMPLETED 0x8u

typedef struct ckpt_predict_req {
    char *id;             /* "id" (letters, digits, - _), NULL when not given */
    char *webhook;        /* http(s) URL or NULL */
    unsigned events;      /* CKPT_WH_*; all when no filter was given */
    char *repo;           /* "org/name" on the Hub, or a local path (real path, under root) */
    int local;
    char *revision, *h5_filename, *model_type, *to, *naming, *map, *dtype;  /* NULL when absent */
} ckpt_predict_req;

/* Parse and check a request body. On error: *http is 400 (not JSON),
 * 403 (a path outside root, or any path without a root) or 422 (a bad or
 * missing input), and err says which field and why in one line. */
int ckpt_predict_req_parse(const char *body, size_t n, const char *root, ckpt_predict_req *r, int *http,
                           ckpt_err *err);
void ckpt_predict_req_free(ckpt_predict_req *r);

/* The OpenAPI document GET /openapi.json serves (templates/serve/openapi.json). */
const char *ckpt_serve_openapi(size_t *len);

#endif
