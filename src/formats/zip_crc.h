/* src/formats/zip_crc.h: the CRC-32 of a stored zip member read in place
 * (a .keras' model.weights.h5), checked lazily: over the bytes a conversion
 * streams, in order, or in one pass before the first tensor read. */
#ifndef CKPT_ZIP_CRC_H
#define CKPT_ZIP_CRC_H

#include <stdint.h>

#include "internal.h"

typedef struct zip_crc zip_crc;

/* The member's `size` bytes at `base` of the zip open as fd (borrowed),
 * whose directory records CRC `want`; `name` and `zip` for messages. */
zip_crc *ckpt__zcrc_new(int fd, uint64_t base, uint64_t size, uint32_t want, const char *name,
                        const char *zip);
void ckpt__zcrc_free(zip_crc *c);
/* Bytes of fd at `off` just read: they extend the checked prefix where
 * they continue it (a gap before them is read first; bytes before the
 * prefix's end are already counted). Only while streaming. */
void ckpt__zcrc_feed(zip_crc *c, int fd, uint64_t off, const void *buf, size_t n);
void ckpt__zcrc_stream(zip_crc *c, int on);
int ckpt__zcrc_streaming(const zip_crc *c);
/* Read what is left, compare: 0 when the member is intact (remembered),
 * else "CRC mismatch" naming the zip, the member and its byte offset. */
int ckpt__zcrc_finish(zip_crc *c, ckpt_err *err);

#endif
