/* ckpt/progress.h: the one progress + cancellation callback.
 *
 * Long operations (convert, download, statistics, diff --values) call it
 * often (at least once per chunk). A non-zero return cancels: the operation
 * cleans up (no partial output) and fails with CKPT_E_CANCELLED.
 * The callback must be cheap; throttle drawing on the caller's side.
 */
#ifndef CKPT_PROGRESS_H
#define CKPT_PROGRESS_H

#include <stdint.h>

typedef struct ckpt_progress {
    const char *phase;      /* "convert", "download", "stats", "diff", ... */
    uint64_t bytes_done;
    uint64_t bytes_total;   /* 0 if unknown */
    int items_done;         /* tensors or files finished */
    int items_total;
    const char *current;    /* tensor or file being worked on, may be NULL */
} ckpt_progress;

typedef int (*ckpt_progress_fn)(void *ud, const ckpt_progress *p);

#endif
