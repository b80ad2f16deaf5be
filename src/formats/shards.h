/* src/formats/shards.h: how a plan is split into files, and the
 * transformers-style index.json that maps each tensor to its file. */
#ifndef CKPT_SHARDS_H
#define CKPT_SHARDS_H

#include <stdint.h>

#include "internal.h"

typedef struct ckpt_shards {
    int n;                  /* files */
    int *first;             /* n + 1 entries: file k holds plan entries [first[k], first[k+1]) */
    int *of;                /* per plan entry: its file */
    char **paths;           /* per file: the final path */
    char *index_path;       /* NULL when there is one file */
    uint64_t total;         /* tensor bytes of the whole plan */
} ckpt_shards;

/* huggingface_hub's rule, in plan order: a new file when the next tensor
 * would overflow `limit` (0 = one file); a tensor over the limit alone.
 * Names: out itself, or DIR/`single` when out is a directory ("out/");
 * sharded, BASE-0000K-of-0000N`ext` and BASE`ext`.index.json, BASE being
 * out without `ext` (or `single` without it in a directory). */
int ckpt__shards_plan(const ckpt_plan *p, uint64_t limit, const char *out, const char *single,
                      const char *ext, ckpt_shards *s, ckpt_err *err);
/* Write the index through the txn: json.dumps(index, indent=2, sort_keys=True). */
int ckpt__shards_write_index(const ckpt_shards *s, const ckpt_plan *p, ckpt_txn *txn, ckpt_err *err);
void ckpt__shards_free(ckpt_shards *s);

#endif
