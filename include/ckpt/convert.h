/* ckpt/convert.h: stream a model's tensors into another format.
 *
 * The conversion builds a plan (output name, dtype, shape and source for
 * each tensor), checks it before writing any byte (duplicate names,
 * impossible casts, remap errors), then streams each tensor in bounded
 * chunks from the reader to the writer. Outputs are written as nameless
 * files (O_TMPFILE) in the destination folder and linked into place only
 * when every file is complete; on error, cancellation or SIGKILL nothing is
 * left. An output more than `max-output-ratio` (kv option, default 1000)
 * times the input's size is refused before any byte is written.
 */
#ifndef CKPT_CONVERT_H
#define CKPT_CONVERT_H

#include <stdint.h>

#include "ckpt/err.h"
#include "ckpt/model.h"
#include "ckpt/progress.h"

struct ckpt_remap; /* ckpt/remap.h */

typedef struct ckpt_convert_opts {
    const char *to;             /* output format name ("safetensors", ...) */
    const char *out;            /* output path (file, or directory for sharded output) */
    uint64_t shard_size;        /* bytes per shard, 0 = one file */
    ckpt_dtype cast;            /* cast float tensors to this dtype, CKPT_DT_INVALID = keep */
    const char *const *renames; /* "FROM=TO" pairs (exact name or name prefix) */
    int nrenames;
    const struct ckpt_remap *remap; /* rules applied after renames, may be NULL */
    int include_optimizer;      /* also convert CKPT_TF_OPTIMIZER tensors */
    const char *naming;         /* format-specific naming scheme ("keras", "index"), NULL = default */
    const char *const *kv;      /* extra "key=value" options for the writer (package, labels, ...) */
    int nkv;
    size_t chunk_size;          /* streaming chunk, 0 = default (4 MiB) */
    ckpt_progress_fn progress;
    void *progress_ud;
} ckpt_convert_opts;

typedef struct ckpt_convert_result {
    int ntensors;               /* tensors written */
    uint64_t nbytes;            /* tensor bytes written */
    int nfiles;                 /* files produced */
    char main_path[1024];       /* the path to give a loader (index.json or the file) */
    int stale_removed;          /* temporaries of killed runs removed from the output folder */
} ckpt_convert_result;

/* `res` may be NULL. */
int ckpt_convert(ckpt_model *m, const ckpt_convert_opts *o, ckpt_convert_result *res, ckpt_err *err);

/* For SIGINT handlers: remove the temporary files of every conversion in
 * progress (async-signal-safe). The conversion itself fails afterwards. */
void ckpt_abort_outputs_signal_safe(void);

/* The writable format whose extension matches `path` ("x.safetensors"), or NULL. */
const char *ckpt_format_for_output(const char *path);

/* "5GB" (decimal, as huggingface_hub), "500MiB", "1.5G", "4096"; 0 on error. */
int ckpt_parse_size(const char *s, uint64_t *out);

#endif
