/* ckpt/dtype.h: element types, named as safetensors names them everywhere. */
#ifndef CKPT_DTYPE_H
#define CKPT_DTYPE_H

#include <stddef.h>
#include <stdint.h>

/* X(enum, name, bytes, kind) ; kind: 'b' bool, 'u' unsigned, 'i' signed, 'f' float */
#define CKPT_DTYPES(X)            \
    X(BOOL,    "BOOL",    1, 'b') \
    X(U8,      "U8",      1, 'u') \
    X(I8,      "I8",      1, 'i') \
    X(U16,     "U16",     2, 'u') \
    X(I16,     "I16",     2, 'i') \
    X(U32,     "U32",     4, 'u') \
    X(I32,     "I32",     4, 'i') \
    X(U64,     "U64",     8, 'u') \
    X(I64,     "I64",     8, 'i') \
    X(F16,     "F16",     2, 'f') \
    X(BF16,    "BF16",    2, 'f') \
    X(F32,     "F32",     4, 'f') \
    X(F64,     "F64",     8, 'f') \
    X(F8_E4M3, "F8_E4M3", 1, 'f') \
    X(F8_E5M2, "F8_E5M2", 1, 'f')

typedef enum ckpt_dtype {
    CKPT_DT_INVALID = 0,
#define CKPT_DT_ENUM_(e, n, b, k) CKPT_##e,
    CKPT_DTYPES(CKPT_DT_ENUM_)
#undef CKPT_DT_ENUM_
    CKPT_DT_COUNT
} ckpt_dtype;

#define CKPT_MAX_DIMS 8

const char *ckpt_dtype_name(ckpt_dtype t);      /* "F32"; "?" for invalid */
ckpt_dtype ckpt_dtype_from_name(const char *s); /* exact safetensors name; CKPT_DT_INVALID if unknown */
size_t ckpt_dtype_size(ckpt_dtype t);           /* bytes per element, 0 if invalid */
int ckpt_dtype_is_float(ckpt_dtype t);

/* Convert n little-endian elements of type `t` at `src` to doubles. */
void ckpt_dtype_to_f64(ckpt_dtype t, const void *src, size_t n, double *dst);
/* Convert n doubles to little-endian elements of type `t` (round to nearest
 * even for floats, saturate for integers, NaN -> 0 for integers). */
void ckpt_dtype_from_f64(ckpt_dtype t, const double *src, size_t n, void *dst);
/* Cast n elements from one dtype to another (either may equal the other). */
void ckpt_dtype_cast(ckpt_dtype from, const void *src, ckpt_dtype to, void *dst, size_t n);

float ckpt_f16_to_f32(uint16_t h);
uint16_t ckpt_f32_to_f16(float f);
float ckpt_bf16_to_f32(uint16_t h);
uint16_t ckpt_f32_to_bf16(float f);

#endif
