/* src/formats/gguf_write.h: what the GGUF writer's modules share.
 *
 * gguf_write.c   the vtable slots: plan, header, streamed tensor data
 * gguf_kv.c      the key/value section: a byte builder, and a bounded walk
 *                of a source GGUF's typed KV section (copied exactly)
 * gguf_hf.c      llama-family key/values from config.json, tokenizer.json
 *                and tokenizer_config.json beside Hugging Face weights
 * gguf_quant.c   quantize_row_q8_0_ref / q4_0_ref as ggml writes them
 */
#ifndef CKPT_GGUF_WRITE_H
#define CKPT_GGUF_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* GGUF value types (gguf.md) and the ggml tensor types the writer emits */
enum {
    GGV_U8, GGV_I8, GGV_U16, GGV_I16, GGV_U32, GGV_I32, GGV_F32, GGV_BOOL, GGV_STR, GGV_ARR,
    GGV_U64, GGV_I64, GGV_F64, GGV_COUNT
};
enum {
    GGT_F32 = 0, GGT_F16 = 1, GGT_Q4_0 = 2, GGT_Q8_0 = 8, GGT_I8 = 24, GGT_I16 = 25,
    GGT_I32 = 26, GGT_I64 = 27, GGT_F64 = 28, GGT_BF16 = 30
};
#define GGUF_ALIGN 32

/* ---- the KV section as pieces: bytes built here, or ranges copied from a
 * source GGUF (so a 10 MB vocabulary is streamed, never held) ---- */
typedef struct {
    int mem;                 /* 1: bytes [off, off+len) of kv->b; 0: of the source file */
    uint64_t off, len;
} gkv_piece;

typedef struct {
    unsigned char *b; size_t n, cap;
    gkv_piece *pc; int npc, cappc;
    uint64_t nkv;
    size_t start;            /* where the pair being built begins */
    int oom;
} gguf_kv;

void ckpt__gkv_free(gguf_kv *kv);
uint64_t ckpt__gkv_bytes(const gguf_kv *kv);
/* One whole pair built in memory. Arrays: the element type and count, then
 * the elements with the raw appenders below, then gkv_end. */
void ckpt__gkv_str(gguf_kv *kv, const char *key, const char *v, size_t n);
void ckpt__gkv_u32(gguf_kv *kv, const char *key, uint32_t v);
void ckpt__gkv_f32(gguf_kv *kv, const char *key, float v);
void ckpt__gkv_bool(gguf_kv *kv, const char *key, int v);
void ckpt__gkv_arr(gguf_kv *kv, const char *key, uint32_t etype, uint64_t count);
void ckpt__gkv_raw_str(gguf_kv *kv, const char *s, size_t n);
void ckpt__gkv_raw_u32(gguf_kv *kv, uint32_t v);
void ckpt__gkv_raw_f32(gguf_kv *kv, float v);
void ckpt__gkv_end(gguf_kv *kv);
/* A pair copied from the source file. */
void ckpt__gkv_copy(gguf_kv *kv, uint64_t off, uint64_t len);

/* Walk the KV section of the GGUF at `s` (its path for messages). For each
 * pair, `cb` gets the key, the value type and the pair's byte range; it
 * returns 0 to go on or an error code. Every length and count is checked
 * against the file size; nested arrays are limited in depth. */
typedef int (*gguf_kv_fn)(void *ud, const char *key, uint32_t type, uint64_t off, uint64_t len,
                          ckpt_err *err);
int ckpt__gguf_kv_walk(ckpt_src *s, const char *path, gguf_kv_fn cb, void *ud, ckpt_err *err);

/* ---- Hugging Face llama family ---- */
/* Tensors the writer makes itself, after the plan's: Llama 3.1's RoPE
 * scaling as per-frequency factors (rope_freqs.weight, F32 [head_dim/2]). */
typedef struct { float *rope_freqs; uint32_t nrope; } gguf_extra;

/* Is the model's config.json a llama-family model ckpt can describe? 1 yes,
 * else 0 with a one-line reason. */
int ckpt__gguf_hf_family(const ckpt_model *m, char *why, size_t n);
/* Append general.* and llama.* keys and the tokenizer. `ftype` is
 * general.file_type (-1: leave it out). Errors name the missing key. */
int ckpt__gguf_hf_kv(ckpt_model *m, const ckpt_plan *p, int ftype, gguf_kv *kv, gguf_extra *x, ckpt_err *err);

/* ---- quantization (ggml-quants.c quantize_row_*_ref), whole blocks ---- */
void ckpt__q8_0_row(const float *x, unsigned char *y, size_t nblocks);
void ckpt__q4_0_row(const float *x, unsigned char *y, size_t nblocks);
long ckpt__q_nonfinite(const float *x, size_t n);

/* ---- the write slots of the gguf vtable (fmt_gguf.c) ---- */
int ckpt__gguf_can_write(const ckpt_model *m, char *why, size_t n);
int ckpt__gguf_plan(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err);
int ckpt__gguf_write_begin(ckpt_writer *w, ckpt_err *err);
int ckpt__gguf_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err);
int ckpt__gguf_write_end(ckpt_writer *w, ckpt_err *err);
void ckpt__gguf_write_abort(ckpt_writer *w);

#endif
