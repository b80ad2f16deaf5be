/* src/formats/gguf_quant.h: ggml's K-quant and IQ4 block decoders. */
#ifndef CKPT_GGUF_QUANT_H
#define CKPT_GGUF_QUANT_H

#include <stdint.h>

/* ggml_type ids (ggml.h enum ggml_type) decoded here */
enum {
    GGQ_Q2_K = 10, GGQ_Q3_K = 11, GGQ_Q4_K = 12, GGQ_Q5_K = 13, GGQ_Q6_K = 14, GGQ_Q8_K = 15,
    GGQ_IQ4_NL = 20, GGQ_IQ4_XS = 23,
};

/* Dequantize one stored block of ggml type `type` (256 weights, 32 for
 * IQ4_NL) into y, as ggml-quants.c dequantize_row_* does, float operation
 * for float operation. Returns 0, or -1 for a type not decoded here. */
int ckpt__gguf_dequant_block(uint32_t type, const unsigned char *b, float *y);

#endif
