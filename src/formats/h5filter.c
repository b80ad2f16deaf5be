/* src/formats/h5filter.c: the HDF5 filter pipeline undone by ckpt (see
 * h5filter.h). Formats follow libhdf5 1.10's H5Zdeflate.c, H5Zshuffle.c
 * and H5Zfletcher32.c, so a chunk decodes here exactly as h5py reads it. */
#include "formats/h5filter.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

int ckpt__h5f_known(int id)
{
    return id == CKPT_H5F_DEFLATE || id == CKPT_H5F_SHUFFLE || id == CKPT_H5F_FLETCHER32;
}

uint32_t ckpt__h5f_fletcher32(const unsigned char *p, size_t n)
{
    uint32_t s1 = 0, s2 = 0;
    size_t words = n / 2;
    /* 360 big-endian 16-bit words at most between reductions: no overflow */
    while (words) {
        size_t t = words > 360 ? 360 : words;
        words -= t;
        do {
            s1 += (uint32_t)p[0] << 8 | p[1];
            p += 2;
            s2 += s1;
        } while (--t);
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    if (n % 2) {
        s1 += (uint32_t)p[0] << 8;
        s2 += s1;
        s1 = (s1 & 0xffff) + (s1 >> 16);
        s2 = (s2 & 0xffff) + (s2 >> 16);
    }
    s1 = (s1 & 0xffff) + (s1 >> 16);
    s2 = (s2 & 0xffff) + (s2 >> 16);
    return s2 << 16 | s1;
}

/* The checksum is the last 4 bytes, little-endian; libhdf5 also accepts it
 * with each 16-bit half byte-swapped (files of 1.6.2 and before). */
static int unfletcher(const unsigned char *d, size_t *len, ckpt_err *err)
{
    if (*len < 4) return ckpt_err_set(err, CKPT_E_FORMAT, "chunk of %zu bytes is too short for its fletcher32 checksum", *len);
    size_t n = *len - 4;
    uint32_t stored = (uint32_t)d[n] | (uint32_t)d[n + 1] << 8 | (uint32_t)d[n + 2] << 16 | (uint32_t)d[n + 3] << 24;
    uint32_t sum = ckpt__h5f_fletcher32(d, n);
    uint32_t rev = (sum & 0x00ff00ffu) << 8 | (sum >> 8 & 0x00ff00ffu);
    if (stored != sum && stored != rev)
        return ckpt_err_set(err, CKPT_E_FORMAT, "chunk fails its fletcher32 checksum (stored 0x%08x, computed 0x%08x): damaged data",
                            stored, sum);
    *len = n;
    return 0;
}

static int inflate_to(const unsigned char *src, size_t len, unsigned char *dst, size_t cap, size_t *outlen,
                      ckpt_err *err)
{
    if (len > UINT32_MAX || cap > UINT32_MAX) return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "chunk over 4 GiB");
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory (zlib)");
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_FINISH);
    *outlen = cap - z.avail_out;
    char why[80];
    snprintf(why, sizeof why, "%s", z.msg ? z.msg : "data error");
    inflateEnd(&z);
    if (rc == Z_STREAM_END) return 0;   /* bytes after the stream are ignored, as libhdf5 does */
    if (rc == Z_MEM_ERROR) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory (zlib)");
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
        return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt deflate stream in chunk (zlib: %s)", why);
    if (*outlen == cap) return ckpt_err_set(err, CKPT_E_FORMAT, "chunk inflates past the %zu bytes its shape allows", cap);
    return ckpt_err_set(err, CKPT_E_FORMAT, "chunk's deflate stream is cut short (%zu bytes out)", *outlen);
}

/* H5Zshuffle.c: byte j of element i was stored at j * count + i. */
static void unshuffle(const unsigned char *src, size_t len, unsigned size, unsigned char *dst)
{
    size_t count = size > 1 ? len / size : 0;
    if (count <= 1) {
        memcpy(dst, src, len);
        return;
    }
    for (unsigned j = 0; j < size; j++) {
        const unsigned char *s = src + (size_t)j * count;
        unsigned char *d = dst + j;
        for (size_t i = 0; i < count; i++, d += size) *d = s[i];
    }
    memcpy(dst + count * size, src + count * size, len - count * size);
}

int ckpt__h5f_decode(const ckpt_h5pipe *p, unsigned mask, unsigned char *a, size_t len, unsigned char *b,
                     size_t cap, size_t want, const unsigned char **out, ckpt_err *err)
{
    unsigned char *cur = a, *other = b;
    if (len > cap) return ckpt_err_set(err, CKPT_E_FORMAT, "chunk of %zu stored bytes is larger than its shape allows", len);
    for (int i = p->n - 1; i >= 0; i--) {
        if (mask & (1u << i)) continue;   /* skipped for this chunk when written */
        size_t n = len;
        int rc = 0;
        switch (p->id[i]) {
        case CKPT_H5F_FLETCHER32:   /* checked in place */
            if ((rc = unfletcher(cur, &len, err))) return rc;
            continue;
        case CKPT_H5F_DEFLATE:
            rc = inflate_to(cur, len, other, cap, &n, err);
            break;
        case CKPT_H5F_SHUFFLE:
            unshuffle(cur, len, p->esize[i], other);
            break;
        default:
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "HDF5 filter %d is not one ckpt decodes", p->id[i]);
        }
        if (rc) return rc;
        len = n;
        unsigned char *t = cur;
        cur = other;
        other = t;
    }
    if (len != want)
        return ckpt_err_set(err, CKPT_E_FORMAT, "chunk decodes to %zu bytes, not the %zu its shape needs", len, want);
    *out = cur;
    return 0;
}
