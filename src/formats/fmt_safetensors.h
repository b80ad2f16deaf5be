/* src/fmt_safetensors.h: the safetensors header parser, exposed for the
 * unit tests and the fuzz target (tests/fuzz/fuzz_safetensors.c). */
#ifndef CKPT_FMT_SAFETENSORS_H
#define CKPT_FMT_SAFETENSORS_H

#include <cjson/cJSON.h>

#include "internal.h"

/* The reference implementation's limit (safetensors/src/tensor.rs). */
#define CKPT_ST_MAX_HEADER 100000000ull

typedef struct ckpt_st_tensor {
    char *name;
    ckpt_dtype dtype;
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t begin, end;         /* data_offsets, relative to the data buffer */
    int pos;                     /* position in the header (ties in the sort) */
} ckpt_st_tensor;

typedef struct ckpt_st_header {
    uint64_t header_len;         /* N: JSON bytes after the 8-byte length */
    uint64_t data_start;         /* 8 + N: absolute offset of the data buffer */
    ckpt_st_tensor *t;           /* sorted by offset (file order) */
    int n;
    char **meta_k, **meta_v;     /* __metadata__, in header order */
    int nmeta;
} ckpt_st_header;

extern const ckpt_format ckpt_fmt_safetensors;

/* Check the 8-byte length prefix of a file of `file_size` bytes (`prefix`
 * holds min(8, file_size) bytes); writes N. Errors name `path`. */
int ckpt__st_parse_len(const unsigned char *prefix, uint64_t file_size, const char *path,
                       uint64_t *n, ckpt_err *err);
/* Parse and validate the N header bytes `json` (need not be NUL-terminated)
 * of a file of `file_size` bytes, as the reference implementation does:
 * UTF-8 JSON object, known dtypes, shapes, byte spans, contiguous offsets
 * covering the data buffer exactly, no duplicates, string metadata. */
int ckpt__st_parse_header(const char *json, size_t n, uint64_t file_size, const char *path,
                          ckpt_st_header *h, ckpt_err *err);
/* Both, on a whole file held in memory (fuzzing, unit tests). */
int ckpt__st_parse_buffer(const void *buf, size_t size, const char *path, ckpt_st_header *h,
                          ckpt_err *err);
void ckpt__st_header_free(ckpt_st_header *h);
/* Parse a sharded set's index.json text: a "weight_map" object of names to
 * shard file names inside the index's directory, no duplicate names. Gives
 * the parsed JSON (caller cJSON_Deletes) and the distinct shard names in
 * natural order (caller frees each and the array). */
int ckpt__st_parse_index(const char *txt, size_t len, const char *index_path, cJSON **root,
                         char ***names, int *nnames, ckpt_err *err);

#endif
