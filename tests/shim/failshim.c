/* tests/shim/failshim.c: an LD_PRELOAD library that makes system calls fail
 * on cue, for the tests of failure paths (t_txn.sh, t_keras_errors.sh).
 *   CKPT_SHIM_RENAME_FAIL=N    the Nth rename() fails with EIO
 *   CKPT_SHIM_WRITE_LIMIT=B    writes to regular files past B bytes in all fail
 *   CKPT_SHIM_WRITE_ERRNO=E    ... with errno E (default ENOSPC; 5 = EIO)
 *   CKPT_SHIM_FSYNC_MARK=PATH  fsync() creates PATH, then sleeps
 *   CKPT_SHIM_FSYNC_SLEEP=S    ... S seconds (default 3)
 * Built by the tests: cc -shared -fPIC -o failshim.so failshim.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long env_long(const char *k, long dflt)
{
    const char *v = getenv(k);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

int rename(const char *a, const char *b)
{
    static int (*real)(const char *, const char *);
    static long calls;
    if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    long n = env_long("CKPT_SHIM_RENAME_FAIL", 0);
    if (n > 0 && ++calls == n) { errno = EIO; return -1; }
    return real(a, b);
}

/* 1 when this write to fd must fail */
static int write_fails(int fd, size_t n)
{
    static long long written;
    long long lim = env_long("CKPT_SHIM_WRITE_LIMIT", -1);
    struct stat st;
    if (lim < 0 || fd <= 2 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;   /* not stdout/stderr */
    if (written + (long long)n > lim) {
        errno = (int)env_long("CKPT_SHIM_WRITE_ERRNO", ENOSPC);
        return 1;
    }
    written += (long long)n;
    return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (write_fails(fd, n)) return -1;
    return real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    if (write_fails(fd, n)) return -1;
    return real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    return pwrite(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    static ssize_t (*real)(int, const struct iovec *, int);
    if (!real) real = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    size_t n = 0;
    for (int i = 0; i < cnt; i++) n += iov[i].iov_len;
    if (write_fails(fd, n)) return -1;
    return real(fd, iov, cnt);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    const char *mark = getenv("CKPT_SHIM_FSYNC_MARK");
    if (mark && *mark) {
        int m = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (m >= 0) close(m);
        sleep((unsigned)env_long("CKPT_SHIM_FSYNC_SLEEP", 3));
    }
    return real(fd);
}
