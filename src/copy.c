/* copy.c: file-to-file byte copies by the kernel (copy_file_range: no trip
 * through user space, and a reflink where the filesystem shares extents),
 * with read/write where the kernel cannot (another filesystem on old
 * kernels, a filesystem without support, special files). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define FALLBACK_BUF (1u << 20)

static int fallback(int in, uint64_t in_off, int out, size_t n)
{
    unsigned char *b = malloc(n < FALLBACK_BUF ? (n ? n : 1) : FALLBACK_BUF);
    if (!b) { errno = ENOMEM; return -1; }
    int rc = 0;
    while (n && !rc) {
        size_t k = n < FALLBACK_BUF ? n : FALLBACK_BUF;
        rc = ckpt__pread_full(in, b, k, in_off) || ckpt__write_full(out, b, k) ? -1 : 0;
        in_off += k;
        n -= k;
    }
    int e = errno;
    free(b);
    errno = e;
    return rc;
}

int ckpt__copy_fd(int in, uint64_t in_off, int out, size_t n, int *kernel)
{
    while (n && *kernel) {
        loff_t io = (loff_t)in_off;
        ssize_t k = copy_file_range(in, &io, out, NULL, n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
                      errno == EBADF || errno == ETXTBSY)) {
            *kernel = 0;   /* and for the rest of this run */
            break;
        }
        if (k < 0) return -1;
        if (k == 0) { errno = 0; return -1; }   /* source shorter than it said */
        in_off += (uint64_t)k;
        n -= (size_t)k;
    }
    return n ? fallback(in, in_off, out, n) : 0;
}
