/* src/zip_out.c: a libzip source that writes into a descriptor (see zip_out.h). */
#include "zip_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct zfd {
    int fd;
    zip_uint64_t rpos, wpos;
    zip_error_t error;
} zfd;

static zip_int64_t fail(zfd *z, int ze)
{
    zip_error_set(&z->error, ze, errno);
    return -1;
}

static zip_int64_t seek_to(zfd *z, zip_uint64_t *pos, zip_uint64_t size, void *data, zip_uint64_t len)
{
    zip_int64_t n = zip_source_seek_compute_offset(*pos, size, data, len, &z->error);
    if (n < 0) return -1;
    *pos = (zip_uint64_t)n;
    return 0;
}

static zip_int64_t zfd_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    zfd *z = ud;
    struct stat st;
    switch (cmd) {
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                              ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, ZIP_SOURCE_SEEK, ZIP_SOURCE_TELL,
                                              ZIP_SOURCE_SUPPORTS, ZIP_SOURCE_BEGIN_WRITE, ZIP_SOURCE_COMMIT_WRITE,
                                              ZIP_SOURCE_ROLLBACK_WRITE, ZIP_SOURCE_WRITE, ZIP_SOURCE_SEEK_WRITE,
                                              ZIP_SOURCE_TELL_WRITE, ZIP_SOURCE_REMOVE, -1);
    case ZIP_SOURCE_OPEN: z->rpos = 0; return 0;
    case ZIP_SOURCE_CLOSE: return 0;
    case ZIP_SOURCE_READ: {
        ssize_t n = pread(z->fd, data, len, (off_t)z->rpos);
        if (n < 0) return fail(z, ZIP_ER_READ);
        z->rpos += (zip_uint64_t)n;
        return n;
    }
    case ZIP_SOURCE_STAT: {
        /* an empty file is a new archive (libzip then writes it whole) */
        if (fstat(z->fd, &st) != 0) return fail(z, ZIP_ER_READ);
        zip_stat_t *zs = data;
        zip_stat_init(zs);
        zs->size = (zip_uint64_t)st.st_size;
        zs->valid |= ZIP_STAT_SIZE;
        return sizeof *zs;
    }
    case ZIP_SOURCE_SEEK:
        if (fstat(z->fd, &st) != 0) return fail(z, ZIP_ER_SEEK);
        return seek_to(z, &z->rpos, (zip_uint64_t)st.st_size, data, len);
    case ZIP_SOURCE_TELL: return (zip_int64_t)z->rpos;
    case ZIP_SOURCE_BEGIN_WRITE:
    case ZIP_SOURCE_ROLLBACK_WRITE:
    case ZIP_SOURCE_REMOVE:
        z->wpos = 0;
        return ftruncate(z->fd, 0) == 0 ? 0 : fail(z, ZIP_ER_WRITE);
    case ZIP_SOURCE_COMMIT_WRITE: return 0;   /* the txn fsyncs and names it */
    case ZIP_SOURCE_WRITE: {
        const char *p = data;
        zip_uint64_t done = 0;
        while (done < len) {
            ssize_t n = pwrite(z->fd, p + done, len - done, (off_t)(z->wpos + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return fail(z, ZIP_ER_WRITE);
            done += (zip_uint64_t)n;
        }
        z->wpos += len;
        return (zip_int64_t)len;
    }
    case ZIP_SOURCE_SEEK_WRITE:
        if (fstat(z->fd, &st) != 0) return fail(z, ZIP_ER_SEEK);
        return seek_to(z, &z->wpos, (zip_uint64_t)st.st_size, data, len);
    case ZIP_SOURCE_TELL_WRITE: return (zip_int64_t)z->wpos;
    case ZIP_SOURCE_ERROR: return zip_error_to_data(&z->error, data, len);
    case ZIP_SOURCE_FREE:
        zip_error_fini(&z->error);
        free(z);
        return 0;
    default:
        zip_error_set(&z->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

zip_t *ckpt__zip_open_fd(int fd, const char *shown, ckpt_err *err)
{
    zfd *z = calloc(1, sizeof *z);
    if (!z) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    z->fd = fd;
    zip_error_init(&z->error);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_function_create(zfd_cb, z, &ze);
    if (!src) {
        zip_error_fini(&z->error);
        free(z);
        zip_error_fini(&ze);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    }
    zip_t *a = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze);
    if (!a) {
        ckpt_err_set(err, CKPT_E_IO, "cannot create the zip: %s", zip_error_strerror(&ze));
        ckpt_err_at_path(err, shown);
        zip_source_free(src);   /* frees z */
    }
    zip_error_fini(&ze);
    return a;
}

zip_int64_t ckpt__zip_add(zip_t *z, const char *name, zip_source_t *src, int store)
{
    zip_int64_t idx = zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) return -1;
    if (store) zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    /* DOS time fields from UTC, not libzip's localtime: the same bytes in every TZ */
    time_t t = ckpt__output_time();
    struct tm tm;
    gmtime_r(&t, &tm);
    if (tm.tm_year < 80) tm = (struct tm){.tm_year = 80, .tm_mday = 1};
    zip_uint16_t dtime = (zip_uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
    zip_uint16_t ddate = (zip_uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
    if (zip_file_set_dostime(z, (zip_uint64_t)idx, dtime, ddate, 0) < 0) return -1;
    return idx;
}

int ckpt__zip_add_buf(zip_t *z, const char *name, char *data, int store, ckpt_err *err)
{
    zip_source_t *s = zip_source_buffer(z, data, strlen(data), 1);   /* libzip frees data */
    if (!s) { free(data); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    if (ckpt__zip_add(z, name, s, store) < 0) {
        zip_source_free(s);
        return ckpt_err_set(err, CKPT_E_IO, "cannot add %s to the zip: %s", name, zip_strerror(z));
    }
    return 0;
}
