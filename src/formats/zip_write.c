/* src/formats/zip_write.c: zip members written as they stream in.
 *
 * Each member is a local header with general-purpose bit 3 set (CRC and
 * sizes follow the data in a data descriptor), so nothing is held in
 * memory and nothing is rewritten: the data goes straight to the fd, the
 * CRC-32 (zlib) is computed on the way, deflated members go through
 * zlib's raw deflate. libzip is not used for writing because it pulls
 * member data from sources at zip_close(), while ckpt's writers are
 * pushed chunks; the layout is APPNOTE 6.3's:
 *   - alignment as torch's PyTorchStreamWriter does it: an extra field
 *     "FB" + length + 'Z' padding so the data starts at a multiple of 64;
 *   - zip64 (a local zip64 extra, 8-byte descriptor sizes, central zip64
 *     extra for what overflows, the zip64 end record and locator) when a
 *     size or offset reaches 4 GiB, or when the caller forces it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

#include "formats/zip_write.h"

#define U32MAX 0xFFFFFFFFull
#define ZOUT (256u << 10)

typedef struct { unsigned char *p; size_t n, cap; int bad; } zbuf;

struct zw {
    int fd;
    const char *path;
    const ckpt_txn *txn;       /* its fsync policy decides the writeback */
    uint64_t pos, flushed;
    zbuf cd;                   /* central directory records so far */
    uint64_t nentries;
    int any64;
    /* the member being written */
    char *name;
    uint64_t hdr_off, size, written, csize;
    uint32_t crc;
    int deflate, zip64, flags, open;
    z_stream zs;
    unsigned char *zout;
};

static void zb_put(zbuf *b, const void *s, size_t n)
{
    if (b->bad) return;
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + n) nc *= 2;
        unsigned char *np = realloc(b->p, nc);
        if (!np) { b->bad = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void zb_le(zbuf *b, uint64_t v, int bytes)
{
    unsigned char t[8];
    for (int i = 0; i < bytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    zb_put(b, t, (size_t)bytes);
}

static int zw_fail(zw *z, ckpt_err *err, int e, const char *what)
{
    if (e) ckpt_err_sys(err, CKPT_E_IO, e, "cannot write %s", what);
    else ckpt_err_set(err, CKPT_E_NOMEM, "out of memory writing %s", what);
    ckpt_err_at_path(err, z->path);
    ckpt_err_at_offset(err, z->pos);
    return err ? (int)err->code : CKPT_E_IO;
}

static int raw_write(zw *z, const void *buf, size_t n, ckpt_err *err)
{
    if (ckpt__write_full(z->fd, buf, n)) return zw_fail(z, err, errno ? errno : EIO, z->name ? z->name : "the zip");
    z->pos += n;
    ckpt__txn_writeback(z->txn, z->fd, &z->flushed, z->pos);
    return 0;
}

static int flush_buf(zw *z, zbuf *b, ckpt_err *err)
{
    if (b->bad) { free(b->p); return zw_fail(z, err, 0, "zip headers"); }
    int rc = raw_write(z, b->p, b->n, err);
    free(b->p);
    return rc;
}

zw *ckpt__zw_new(int fd, const char *path, const ckpt_txn *txn)
{
    zw *z = calloc(1, sizeof *z);
    if (z) {
        z->fd = fd;
        z->path = path;
        z->txn = txn;
    }
    return z;
}

static int ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 0;
    return 1;
}

int ckpt__zw_begin(zw *z, const zw_member *m, ckpt_err *err)
{
    size_t nl = strlen(m->name);
    if (nl > 0xFFFF) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "zip member name of %zu bytes is too long", nl);
        ckpt_err_at_tensor(err, m->name);
        return CKPT_E_UNSUPPORTED;
    }
    free(z->name);
    z->name = ckpt__strdup(m->name);
    if (!z->name) return zw_fail(z, err, 0, "zip headers");
    z->hdr_off = z->pos;
    z->size = m->size;
    z->written = z->csize = 0;
    z->crc = 0;
    z->deflate = m->deflate;
    /* deflate can grow incompressible data a little: decide with a margin */
    uint64_t worst = m->size + (m->deflate ? m->size / 1000 + 1024 : 0);
    z->zip64 = m->zip64 || worst >= U32MAX || z->hdr_off >= U32MAX;
    z->any64 |= z->zip64;
    z->flags = 0x0008 | (ascii(m->name) ? 0 : 0x0800);   /* data descriptor; UTF-8 name */
    zbuf h = {0};
    size_t extra = z->zip64 ? 20 : 0;
    size_t pad = 0;
    if (m->align) {
        /* torch's getPadding: an "FB" field whose 'Z' bytes end at the boundary */
        uint64_t start = z->pos + 30 + nl + extra + 4;
        pad = (size_t)((m->align - start % m->align) % m->align);
        extra += 4 + pad;
    }
    zb_le(&h, 0x04034b50, 4);
    zb_le(&h, z->zip64 ? 45 : 20, 2);
    zb_le(&h, (uint64_t)z->flags, 2);
    zb_le(&h, m->deflate ? 8 : 0, 2);
    zb_le(&h, 0, 2);                    /* time 00:00 */
    zb_le(&h, 0x21, 2);                 /* date 1980-01-01 */
    zb_le(&h, 0, 4);                    /* CRC: in the descriptor */
    zb_le(&h, z->zip64 ? U32MAX : 0, 4);
    zb_le(&h, z->zip64 ? U32MAX : 0, 4);
    zb_le(&h, nl, 2);
    zb_le(&h, extra, 2);
    zb_put(&h, m->name, nl);
    if (z->zip64) {
        zb_le(&h, 0x0001, 2);
        zb_le(&h, 16, 2);
        zb_le(&h, 0, 8);
        zb_le(&h, 0, 8);
    }
    if (m->align) {
        zb_put(&h, "FB", 2);
        zb_le(&h, pad, 2);
        for (size_t i = 0; i < pad; i++) zb_put(&h, "Z", 1);
    }
    if (m->deflate) {
        memset(&z->zs, 0, sizeof z->zs);
        if (!z->zout && !(z->zout = malloc(ZOUT))) { free(h.p); return zw_fail(z, err, 0, "zip data"); }
        if (deflateInit2(&z->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(h.p);
            return zw_fail(z, err, 0, "zip data");
        }
    }
    z->open = 1;
    return flush_buf(z, &h, err);
}

/* Run deflate over the input (or finish it) and write what comes out. */
static int deflate_out(zw *z, const void *buf, size_t n, int finish, ckpt_err *err)
{
    z->zs.next_in = (Bytef *)(uintptr_t)buf;
    z->zs.avail_in = (uInt)n;
    int zr;
    do {
        z->zs.next_out = z->zout;
        z->zs.avail_out = ZOUT;
        zr = deflate(&z->zs, finish ? Z_FINISH : Z_NO_FLUSH);
        if (zr == Z_STREAM_ERROR) return zw_fail(z, err, 0, z->name);
        size_t k = ZOUT - z->zs.avail_out;
        if (k && raw_write(z, z->zout, k, err)) return err->code;
        z->csize += k;
    } while (z->zs.avail_out == 0 || (finish && zr != Z_STREAM_END));
    return 0;
}

int ckpt__zw_write(zw *z, const void *buf, size_t n, ckpt_err *err)
{
    if (!z->open || z->written + n > z->size) {
        ckpt_err_set(err, CKPT_E_IO, "internal: %llu bytes written to a %llu-byte zip member",
                     (unsigned long long)(z->written + n), (unsigned long long)z->size);
        ckpt_err_at_path(err, z->path);
        return CKPT_E_IO;
    }
    const unsigned char *p = buf;
    while (n) {   /* zlib's counters are 32-bit */
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        z->crc = libdeflate_crc32(z->crc, p, k);   /* PCLMUL: 4x zlib's */
        int rc = z->deflate ? deflate_out(z, p, k, 0, err) : raw_write(z, p, k, err);
        if (rc) return rc;
        if (!z->deflate) z->csize += k;
        z->written += k;
        p += k;
        n -= k;
    }
    return 0;
}

int ckpt__zw_end(zw *z, ckpt_err *err)
{
    if (!z->open || z->written != z->size) {
        ckpt_err_set(err, CKPT_E_IO, "internal: zip member '%s' got %llu of %llu bytes", z->name ? z->name : "?",
                     (unsigned long long)z->written, (unsigned long long)z->size);
        ckpt_err_at_path(err, z->path);
        return CKPT_E_IO;
    }
    if (z->deflate) {
        int rc = deflate_out(z, NULL, 0, 1, err);
        deflateEnd(&z->zs);
        if (rc) return rc;
    }
    z->open = 0;
    int w = z->zip64 ? 8 : 4;
    zbuf d = {0};
    zb_le(&d, 0x08074b50, 4);
    zb_le(&d, z->crc, 4);
    zb_le(&d, z->csize, w);
    zb_le(&d, z->size, w);
    if (z->csize >= U32MAX && !z->zip64) {   /* deflate grew past the margin */
        free(d.p);
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "zip member '%s' compressed to over 4 GiB", z->name);
        ckpt_err_at_path(err, z->path);
        return CKPT_E_UNSUPPORTED;
    }
    if (flush_buf(z, &d, err)) return err->code;
    /* its central directory record: the zip64 extra holds what overflows */
    size_t nl = strlen(z->name);
    int big_u = z->size >= U32MAX, big_c = z->csize >= U32MAX, big_o = z->hdr_off >= U32MAX;
    size_t x64 = 8u * (size_t)(big_u + big_c + big_o);
    zbuf *c = &z->cd;
    zb_le(c, 0x02014b50, 4);
    zb_le(c, (3 << 8) | (z->zip64 ? 45 : 20), 2);   /* made by: Unix */
    zb_le(c, z->zip64 ? 45 : 20, 2);
    zb_le(c, (uint64_t)z->flags, 2);
    zb_le(c, z->deflate ? 8 : 0, 2);
    zb_le(c, 0, 2);
    zb_le(c, 0x21, 2);
    zb_le(c, z->crc, 4);
    zb_le(c, big_c ? U32MAX : z->csize, 4);
    zb_le(c, big_u ? U32MAX : z->size, 4);
    zb_le(c, nl, 2);
    zb_le(c, x64 ? x64 + 4 : 0, 2);
    zb_le(c, 0, 2);                       /* comment */
    zb_le(c, 0, 2);                       /* disk */
    zb_le(c, 0, 2);                       /* internal attributes */
    zb_le(c, (uint64_t)0100644 << 16, 4); /* a regular file, rw-r--r-- */
    zb_le(c, big_o ? U32MAX : z->hdr_off, 4);
    zb_put(c, z->name, nl);
    if (x64) {
        zb_le(c, 0x0001, 2);
        zb_le(c, x64, 2);
        if (big_u) zb_le(c, z->size, 8);
        if (big_c) zb_le(c, z->csize, 8);
        if (big_o) zb_le(c, z->hdr_off, 8);
    }
    z->nentries++;
    return c->bad ? zw_fail(z, err, 0, "the zip directory") : 0;
}

int ckpt__zw_finish(zw *z, ckpt_err *err)
{
    if (z->cd.bad) return zw_fail(z, err, 0, "the zip directory");
    uint64_t cd_off = z->pos, cd_len = z->cd.n;
    if (raw_write(z, z->cd.p, z->cd.n, err)) return err->code;
    int need64 = z->any64 || z->nentries >= 0xFFFF || cd_off >= U32MAX || cd_len >= U32MAX;
    zbuf e = {0};
    if (need64) {
        uint64_t rec = z->pos;
        zb_le(&e, 0x06064b50, 4);          /* zip64 end of central directory */
        zb_le(&e, 44, 8);
        zb_le(&e, (3 << 8) | 45, 2);
        zb_le(&e, 45, 2);
        zb_le(&e, 0, 4);
        zb_le(&e, 0, 4);
        zb_le(&e, z->nentries, 8);
        zb_le(&e, z->nentries, 8);
        zb_le(&e, cd_len, 8);
        zb_le(&e, cd_off, 8);
        zb_le(&e, 0x07064b50, 4);          /* its locator */
        zb_le(&e, 0, 4);
        zb_le(&e, rec, 8);
        zb_le(&e, 1, 4);
    }
    uint64_t ne = z->nentries >= 0xFFFF ? 0xFFFF : z->nentries;
    zb_le(&e, 0x06054b50, 4);
    zb_le(&e, 0, 2);
    zb_le(&e, 0, 2);
    zb_le(&e, ne, 2);
    zb_le(&e, ne, 2);
    zb_le(&e, cd_len >= U32MAX ? U32MAX : cd_len, 4);
    zb_le(&e, cd_off >= U32MAX ? U32MAX : cd_off, 4);
    zb_le(&e, 0, 2);
    return flush_buf(z, &e, err);
}

void ckpt__zw_free(zw *z)
{
    if (!z) return;
    if (z->open && z->deflate) deflateEnd(&z->zs);
    free(z->name);
    free(z->cd.p);
    free(z->zout);
    free(z);
}
