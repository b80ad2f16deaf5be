/* copy.c: file-to-file byte copies. copy_file_range only where it pays:
 * a filesystem that shares extents (reflink) copies a range in
 * microseconds, but elsewhere (ext4, or ranges not block-aligned alike) the
 * kernel splices page by page and was measured slower than a read/write
 * loop through a buffer that stays in L2 (docs/design.md, "File-to-file
 * copies"). */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

/* cat's buffer: the second copy (into the page cache) reads it from L2;
 * 128 KiB .. 8 MiB measured, 128 KiB best on 2 cores */
#define RW_BUF (128u << 10)

static int rw_copy(int in, uint64_t in_off, int out, size_t n, ckpt_model *seen)
{
    unsigned char *b = malloc(n < RW_BUF ? (n ? n : 1) : RW_BUF);
    if (!b) { errno = ENOMEM; return -1; }
    int rc = 0;
    while (n && !rc) {
        size_t k = n < RW_BUF ? n : RW_BUF;
        rc = ckpt__pread_full(in, b, k, in_off) ? -1 : 0;
        if (!rc && seen) seen->fmt->raw_seen(seen, in, in_off, b, k);
        if (!rc) rc = ckpt__write_full(out, b, k) ? -1 : 0;
        in_off += k;
        n -= k;
    }
    int e = errno;
    free(b);
    errno = e;
    return rc;
}

/* Filesystems whose copy_file_range shares extents (or copies server-side). */
static int fs_shares_extents(long type)
{
    switch ((unsigned long)type) {
    case 0x9123683EUL:   /* btrfs */
    case 0x58465342UL:   /* XFS (reflink=1 is mkfs.xfs' default) */
    case 0xCA451A4EUL:   /* bcachefs */
    case 0x2FC12FC1UL:   /* ZFS (block cloning) */
    case 0x7461636FUL:   /* OCFS2 */
    case 0x6969UL:       /* NFS 4.2: the server copies */
    case 0xFF534D42UL: case 0xFE534D42UL:   /* CIFS / SMB2 server-side copy */
        return 1;
    default:
        return 0;
    }
}

/* AUTO: the block size when this copy can share extents: both files on one
 * such filesystem, source and destination offsets congruent to its block
 * size; else 0. */
static uint64_t kernel_pays(int in, uint64_t in_off, int out)
{
    struct statfs fs;
    struct stat si, so;
    if (fstatfs(out, &fs) || !fs_shares_extents((long)fs.f_type)) return 0;
    if (fstat(in, &si) || fstat(out, &so) || si.st_dev != so.st_dev) return 0;
    off_t pos = lseek(out, 0, SEEK_CUR);
    uint64_t bs = so.st_blksize > 0 ? (uint64_t)so.st_blksize : 4096;
    return pos >= 0 && in_off % bs == (uint64_t)pos % bs ? bs : 0;
}

/* copy_file_range of all n bytes; 1 when the kernel cannot (*kernel is then RW) */
static int kernel_copy(int in, uint64_t *in_off, int out, size_t *n, int *kernel)
{
    while (*n) {
        loff_t io = (loff_t)*in_off;
        ssize_t k = copy_file_range(in, &io, out, NULL, *n, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
                      errno == EBADF || errno == ETXTBSY)) {
            *kernel = CKPT__COPY_RW;   /* and for the rest of this run */
            return 1;
        }
        if (k < 0) return -1;
        if (k == 0) { errno = 0; return -1; }   /* source shorter than it said */
        *in_off += (uint64_t)k;
        *n -= (size_t)k;
    }
    return 0;
}

int ckpt__copy_fd(int in, uint64_t in_off, int out, size_t n, int *kernel, ckpt_model *seen)
{
    if (seen && (!seen->fmt || !seen->fmt->raw_seen)) seen = NULL;
    if (*kernel == CKPT__COPY_KERNEL) {
        int rc = kernel_copy(in, &in_off, out, &n, kernel);
        if (rc < 0) return -1;
    } else if (*kernel == CKPT__COPY_AUTO && n) {
        uint64_t bs = kernel_pays(in, in_off, out);
        /* extents are shared block by block: the unaligned head and tail
         * go through memory, the whole blocks between by the kernel */
        uint64_t head = bs ? (bs - in_off % bs) % bs : 0;
        if (bs && head + bs <= n) {
            if (head && rw_copy(in, in_off, out, (size_t)head, seen)) return -1;
            in_off += head;
            n -= (size_t)head;
            size_t mid = (size_t)(n / bs * bs), left = n - mid;
            int rc = kernel_copy(in, &in_off, out, &mid, kernel);
            if (rc < 0) return -1;
            n = mid + left;
        }
    }
    return n ? rw_copy(in, in_off, out, n, seen) : 0;
}
