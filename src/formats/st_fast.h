/* src/formats/st_fast.h: the safetensors header's fast path (st_fast.c). */
#ifndef CKPT_ST_FAST_H
#define CKPT_ST_FAST_H

#include "internal.h"

typedef struct ckpt_st_fent {
    uint32_t name;               /* offset of the NUL-terminated name in the header text */
    uint32_t dim0;               /* first of its ndim dimensions in dims[] */
    uint64_t begin, end;         /* data_offsets */
    int pos;                     /* position in the header (ties in the sort) */
    uint8_t dtype, ndim;
} ckpt_st_fent;

typedef struct ckpt_st_fast {
    char *base;                  /* the header text, names inside it */
    ckpt_st_fent *e;             /* sorted by offset (file order) */
    int n, cap;
    int64_t *dims;
    size_t ndims, capdims;
    char **meta_k, **meta_v;     /* __metadata__ in header order (malloc'd) */
    int nmeta, capmeta;
} ckpt_st_fast;

/* Parse the header text json[0..n) (no NUL, valid UTF-8: the caller
 * checked) of a file whose data buffer is data_len bytes. 0: parsed and
 * valid, names now NUL-terminated inside json; -1: not handled here, json
 * unchanged, run the full parser; -2: out of memory. */
int ckpt__st_fast_parse(char *json, size_t n, uint64_t data_len, ckpt_st_fast *f);
void ckpt__st_fast_free(ckpt_st_fast *f);

/* A sharded set's index.json: "weight_map" of plain strings (names and
 * shard names NUL-terminated in place) and an optional "metadata" value,
 * its span given for cJSON; no other member. Same answers as above; the
 * caller checks names, duplicates and shard names (and on any doubt
 * restores the text and runs the full parser). */
typedef struct ckpt_st_findex {
    char **k, **v;
    int n, cap;
    const char *meta;            /* the metadata value's text, or NULL */
    size_t meta_len;
} ckpt_st_findex;
int ckpt__st_fast_index(char *txt, size_t n, ckpt_st_findex *x);
void ckpt__st_fast_index_free(ckpt_st_findex *x);
/* Put back the quotes the fast paths turned into NULs (the text had none). */
void ckpt__st_fast_restore(char *txt, size_t n);

#endif
