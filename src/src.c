/* src.c: byte sources. Readers go through ckpt_src so the same parser
 * works on a local file and, through the hub module, on HTTP ranges. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

ckpt_remote_open_fn ckpt_remote_open_hook = ckpt__hub_src_open;
int (*ckpt_remote_exists_hook)(const char *url) = ckpt__hub_exists;

int ckpt_path_is_remote(const char *path)
{
    return path && (!strncmp(path, "hf://", 5) || !strncmp(path, "https://", 8) ||
                    !strncmp(path, "http://", 7));
}

int ckpt__src_check_range(const ckpt_src *s, size_t n, uint64_t off, ckpt_err *err)
{
    uint64_t end;
    if (ckpt__add_u64(off, n, &end) || end > s->size) {
        ckpt_err_set(err, CKPT_E_FORMAT, "truncated: needs %zu bytes, file has %llu", n,
                     (unsigned long long)(s->size > off ? s->size - off : 0));
        ckpt_err_at_offset(err, off);
        ckpt_err_at_path(err, s->path);
        return CKPT_E_FORMAT;
    }
    return 0;
}

static int local_pread(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    if (ckpt__src_check_range(s, n, off, err)) return CKPT_E_FORMAT;
    if (ckpt__pread_full(s->fd, buf, n, off)) {
        if (errno) ckpt_err_sys(err, CKPT_E_IO, errno, "read failed");
        else ckpt_err_set(err, CKPT_E_FORMAT, "truncated (file shrank while reading)");
        ckpt_err_at_offset(err, off);
        ckpt_err_at_path(err, s->path);
        return err ? err->code : CKPT_E_IO;
    }
    return 0;
}

static void local_close(ckpt_src *s)
{
    if (s->fd >= 0) close(s->fd);
}

static const struct ckpt_src_ops local_ops = {local_pread, local_close};

int ckpt_src_open(const char *path, ckpt_src **out, ckpt_err *err)
{
    *out = NULL;
    if (ckpt_path_is_remote(path)) {
        if (!ckpt_remote_open_hook)
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s: remote paths are not supported in this build", path);
        return ckpt_remote_open_hook(path, out, err);
    }
    ckpt_src *s = calloc(1, sizeof *s);
    if (!s) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    s->ops = &local_ops;
    s->fd = -1;
    s->path = strdup(path);
    struct stat st;
    if (!s->path) {
        free(s);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    if (stat(path, &st) != 0) {
        int e = errno;
        ckpt_src_close(s);
        ckpt_err_sys(err, e == ENOENT ? CKPT_E_NOTFOUND : CKPT_E_IO, e, "cannot open");
        ckpt_err_at_path(err, path);
        return err ? err->code : CKPT_E_IO;
    }
    if (S_ISDIR(st.st_mode)) {
        s->is_dir = 1;
        *out = s;
        return 0;
    }
    /* a FIFO or a device would block in open() or never end: regular files only */
    if (!S_ISREG(st.st_mode)) {
        ckpt_src_close(s);
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "not a regular file (%s): refused",
                     S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device" :
                     S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "special file");
        ckpt_err_at_path(err, path);
        return CKPT_E_UNSUPPORTED;
    }
    /* O_NONBLOCK: should it have become a FIFO since the stat, open must not wait */
    s->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st2;
    if (s->fd >= 0 && (fstat(s->fd, &st2) != 0 || !S_ISREG(st2.st_mode))) {
        close(s->fd);
        s->fd = -1;
        errno = EINVAL;
    }
    if (s->fd >= 0) fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
    if (s->fd < 0) {
        int e = errno;
        ckpt_src_close(s);
        ckpt_err_sys(err, CKPT_E_IO, e, "cannot open");
        ckpt_err_at_path(err, path);
        return err ? err->code : CKPT_E_IO;
    }
    s->size = (uint64_t)st.st_size;
    *out = s;
    return 0;
}

int ckpt_src_pread(ckpt_src *s, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    if (n == 0) return 0;
    if (s->is_dir) {
        ckpt_err_set(err, CKPT_E_USAGE, "is a directory");
        ckpt_err_at_path(err, s->path);
        return CKPT_E_USAGE;
    }
    return s->ops->pread(s, buf, n, off, err);
}

void ckpt_src_close(ckpt_src *s)
{
    if (!s) return;
    if (s->ops && s->ops->close) s->ops->close(s);
    free(s->path);
    free(s);
}

int ckpt__srcwin_get(ckpt_srcwin *w, uint64_t pos, void *dst, size_t n, ckpt_err *err)
{
    unsigned char *d = dst;
    while (n) {
        if (pos < w->start || pos >= w->start + w->len) {
            uint64_t left = w->s->size - pos;
            w->start = pos;
            w->len = left < w->cap ? (size_t)left : w->cap;
            int rc = ckpt_src_pread(w->s, w->buf, w->len, w->start, err);
            if (rc) {
                w->len = 0;
                return rc;
            }
        }
        size_t at = (size_t)(pos - w->start), k = w->len - at;
        if (k > n) k = n;
        memcpy(d, w->buf + at, k);
        d += k;
        n -= k;
        pos += k;
    }
    return 0;
}

int ckpt__src_open_file(const char *path, ckpt_src **out, ckpt_err *err)
{
    int rc = ckpt_src_open(path, out, err);
    if (rc) return rc;
    if ((*out)->is_dir) {
        ckpt_src_close(*out);
        *out = NULL;
        ckpt_err_set(err, CKPT_E_FORMAT, "is a directory");
        ckpt_err_at_path(err, path);
        return CKPT_E_FORMAT;
    }
    return 0;
}

static int slurp(const char *path, size_t max, int big, char **out, size_t *len, ckpt_err *err)
{
    *out = NULL;
    if (len) *len = 0;
    ckpt_src *s;
    int rc = ckpt__src_open_file(path, &s, err);
    if (rc) return rc;
    if (s->size > max) {
        ckpt_err_set(err, CKPT_E_FORMAT, "file too large (%llu bytes, limit %zu)",
                     (unsigned long long)s->size, max);
        ckpt_err_at_path(err, path);
        ckpt_src_close(s);
        return CKPT_E_FORMAT;
    }
    char *buf = big ? ckpt__big_alloc((size_t)s->size + 1) : malloc((size_t)s->size + 1);
    if (!buf) {
        ckpt_src_close(s);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    rc = ckpt_src_pread(s, buf, (size_t)s->size, 0, err);
    if (rc) {
        if (big) ckpt__big_free(buf);
        else free(buf);
        ckpt_src_close(s);
        return rc;
    }
    buf[s->size] = 0;
    if (len) *len = (size_t)s->size;
    *out = buf;
    ckpt_src_close(s);
    return 0;
}

int ckpt_src_slurp(const char *path, size_t max, char **out, size_t *len, ckpt_err *err)
{
    return slurp(path, max, 0, out, len, err);
}

/* The same into a ckpt__big_alloc buffer (a shard index of 100,000 names
 * is megabytes: huge pages), freed with ckpt__big_free. */
int ckpt__src_slurp_big(const char *path, size_t max, char **out, size_t *len, ckpt_err *err)
{
    return slurp(path, max, 1, out, len, err);
}
