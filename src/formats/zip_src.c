/* src/formats/zip_src.c: a read-only libzip source over ckpt_src (see zip_src.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "formats/zip_src.h"

typedef struct zsrc {
    ckpt_src *s;
    uint64_t pos;
    uint64_t last_read;   /* offset of the last READ: where a member's data begins */
    zip_error_t error;
} zsrc;

/* sources by archive, for ckpt__zip_member_offset (process-wide: an archive
 * may be discarded by another thread than the one that opened it) */
typedef struct zreg { zip_t *z; zsrc *zs; struct zreg *next; } zreg;
static zreg *g_reg;
static pthread_mutex_t g_reg_mu = PTHREAD_MUTEX_INITIALIZER;

static zip_int64_t cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    zsrc *z = ud;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL,
                                              ZIP_SOURCE_SUPPORTS, -1);
    case ZIP_SOURCE_OPEN: z->pos = 0; return 0;
    case ZIP_SOURCE_CLOSE: return 0;
    case ZIP_SOURCE_READ: {
        if (z->pos >= z->s->size) return 0;
        uint64_t left = z->s->size - z->pos;
        size_t n = len < left ? (size_t)len : (size_t)left;
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt_src_pread(z->s, data, n, z->pos, &e)) {
            zip_error_set(&z->error, ZIP_ER_READ, e.sys_errno);
            return -1;
        }
        z->last_read = z->pos;
        z->pos += n;
        return (zip_int64_t)n;
    }
    case ZIP_SOURCE_SEEK: {
        zip_int64_t n = zip_source_seek_compute_offset(z->pos, z->s->size, data, len, &z->error);
        if (n < 0) return -1;
        z->pos = (uint64_t)n;
        return 0;
    }
    case ZIP_SOURCE_TELL: return (zip_int64_t)z->pos;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        if (len < sizeof *st) return -1;
        zip_stat_init(st);
        st->size = z->s->size;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof *st;
    }
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&z->error, data, len);
    case ZIP_SOURCE_FREE:
        pthread_mutex_lock(&g_reg_mu);
        for (zreg **r = &g_reg; *r; r = &(*r)->next)
            if ((*r)->zs == z) { zreg *d = *r; *r = d->next; free(d); break; }
        pthread_mutex_unlock(&g_reg_mu);
        zip_error_fini(&z->error);
        free(z);
        return 0;
    default:
        zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

zip_t *ckpt__zip_open_src(ckpt_src *s, int flags, int *ze)
{
    zsrc *z = calloc(1, sizeof *z);
    zreg *r = calloc(1, sizeof *r);
    if (!z || !r) { free(z); free(r); *ze = ZIP_ER_MEMORY; return NULL; }
    z->s = s;
    zip_error_init(&z->error);
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *src = zip_source_function_create(cb, z, &err);
    if (!src) {
        *ze = zip_error_code_zip(&err);
        zip_error_fini(&err);
        zip_error_fini(&z->error);
        free(z);
        free(r);
        return NULL;
    }
    r->zs = z;
    pthread_mutex_lock(&g_reg_mu);
    r->next = g_reg;
    g_reg = r;
    pthread_mutex_unlock(&g_reg_mu);
    zip_t *a = zip_open_from_source(src, flags | ZIP_RDONLY, &err);
    if (!a) {
        *ze = zip_error_code_zip(&err);
        zip_source_free(src);   /* frees z and its registration */
    } else {
        pthread_mutex_lock(&g_reg_mu);
        r->z = a;
        pthread_mutex_unlock(&g_reg_mu);
    }
    zip_error_fini(&err);
    return a;
}

int ckpt__zip_member_offset(zip_t *a, zip_int64_t idx, uint64_t *off)
{
    zsrc *z = NULL;
    pthread_mutex_lock(&g_reg_mu);
    for (zreg *r = g_reg; r; r = r->next)
        if (r->z == a) z = r->zs;
    pthread_mutex_unlock(&g_reg_mu);
    zip_stat_t st;
    zip_stat_init(&st);
    if (!z || zip_stat_index(a, (zip_uint64_t)idx, 0, &st) || !(st.valid & ZIP_STAT_COMP_METHOD) ||
        st.comp_method != ZIP_CM_STORE || ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method) ||
        !(st.valid & ZIP_STAT_SIZE) || st.size < 8)
        return -1;
    /* libzip reads the local header, then seeks to the data: the first
     * read of the member starts at its first byte */
    zip_file_t *f = zip_fopen_index(a, (zip_uint64_t)idx, 0);
    unsigned char b[8], c[8];
    int ok = f && zip_fread(f, b, 8) == 8;
    uint64_t at = z->last_read;
    if (f) zip_fclose(f);
    ckpt_err e;
    ckpt_err_clear(&e);
    uint64_t end;
    if (!ok || ckpt__add_u64(at, st.size, &end) || end > z->s->size || ckpt_src_pread(z->s, c, 8, at, &e) ||
        memcmp(b, c, 8))
        return -1;
    *off = at;
    return 0;
}
