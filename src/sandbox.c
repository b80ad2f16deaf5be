/* sandbox.c: a throwaway process opens a file first when its parser is a
 * library we cannot make safe ourselves (libhdf5: it parses every byte of an
 * .h5 and is known to crash, loop or balloon on hostile files).
 *
 * The child gets rlimits on memory and CPU, no file descriptors but its
 * answer pipe, and a seccomp filter (libseccomp) that allows reading,
 * memory management and anonymous temporary files only: no network, no
 * exec, and (Landlock, where the kernel has it) no file created, written or
 * removed outside a private temporary folder. It runs the format's whole open and reads a
 * little of every tensor that libhdf5 decodes (chunked, compressed), then
 * reports success or the error line. Only after a clean answer does the
 * caller open the file in-process, where the same library on the same bytes
 * takes the same path; a crash, a hang or a blown limit becomes one line
 * ("libhdf5 crashed reading FILE ...") and the caller (the TUI, a batch)
 * lives on. Contiguous tensor data is read by ckpt itself, never by libhdf5,
 * so conversions pay only for the extra open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int ckpt__sandbox_off;

#define SB_DEF_TIMEOUT 30      /* seconds of wall time for the open */
#define SB_DEF_CPU 20          /* seconds of CPU */
#define SB_DEF_MEM_MIB 2048    /* address space the child may add */
#define SB_PEEK (64u << 10)    /* bytes read at each end of a decoded tensor */

#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN 1
#endif
#endif

/* the child's answer: -1 = cannot confine, else its error (code 0 = ok) */
typedef struct { int code; ckpt_err e; } sb_answer;

static long env_num(const char *name, long def)
{
    const char *v = getenv(name);
    char *end;
    long n = v && *v ? strtol(v, &end, 10) : def;
    return v && *v && *end == 0 && n > 0 ? n : def;
}

int ckpt__sandbox_wanted(const ckpt_format *f)
{
    if (!(f->flags & CKPT_FMT_SANDBOX) || ckpt__sandbox_off) return 0;
    const char *v = getenv("CKPT_SANDBOX");
    return !(v && (!strcmp(v, "0") || !strcmp(v, "off")));
}

/* Only what reading needs. Anything else fails with EPERM (not a kill, so a
 * syscall we did not foresee is a clean error, never a false "crash"). */
static int sb_seccomp(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!ctx) return -1;
    static const int allow[] = {
        SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), SCMP_SYS(close),
        SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(stat), SCMP_SYS(lstat),
        SCMP_SYS(fcntl), SCMP_SYS(flock), SCMP_SYS(getcwd), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
        SCMP_SYS(getdents64), SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2),
        SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(brk),
        SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
        SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit), SCMP_SYS(exit_group),
        /* the answer pipe, and the temporary file a .keras member is copied
         * to (named for the moment libhdf5 opens it: Landlock keeps that
         * inside the private folder) */
        SCMP_SYS(write), SCMP_SYS(pwrite64), SCMP_SYS(ftruncate), SCMP_SYS(fallocate),
        SCMP_SYS(copy_file_range), SCMP_SYS(sendfile), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
        SCMP_SYS(dup), SCMP_SYS(prlimit64), SCMP_SYS(linkat), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof allow / sizeof allow[0] && !rc; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0);
    /* open: read-only, or an unnamed O_TMPFILE (nothing appears in any folder) */
    if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                                   SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
    if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                                   SCMP_A2(SCMP_CMP_MASKED_EQ, O_TMPFILE & ~O_DIRECTORY, O_TMPFILE & ~O_DIRECTORY));
    if (!rc) rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                                   SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
    if (!rc) rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

/* Landlock: reading anywhere, writing only beneath `dir`. 0 when applied,
 * -1 when the kernel has no Landlock (then seccomp alone confines). */
static int sb_landlock(const char *dir)
{
#ifdef LANDLOCK_ACCESS_FS_MAKE_REG
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) return -1;
    __u64 write_all = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                      LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                      LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                      LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                      LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
    if (abi >= 2) write_all |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3) write_all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
    struct landlock_ruleset_attr ra = {.handled_access_fs = write_all};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (rs < 0) return -1;
    struct landlock_path_beneath_attr pb = {.allowed_access = write_all & ~LANDLOCK_ACCESS_FS_REMOVE_DIR};
    pb.parent_fd = open(dir, O_PATH | O_CLOEXEC);
    int rc = pb.parent_fd >= 0 ? (int)syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) : -1;
    if (pb.parent_fd >= 0) close(pb.parent_fd);
    if (!rc) rc = (int)syscall(SYS_landlock_restrict_self, rs, 0);
    close(rs);
    return rc ? -1 : 0;
#else
    (void)dir;
    return -1;
#endif
}

static void sb_limits(void)
{
    struct rlimit r;
    rlim_t cpu = (rlim_t)env_num("CKPT_SANDBOX_CPU", SB_DEF_CPU);
    r.rlim_cur = cpu;
    r.rlim_max = cpu + 1;
    setrlimit(RLIMIT_CPU, &r);
#ifndef SB_ASAN
    /* on top of what the fork inherited (the TUI may hold a big model);
     * ASan reserves terabytes of shadow, so sanitizer builds go without */
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    rlim_t mem = (rlim_t)env_num("CKPT_SANDBOX_MEM_MIB", SB_DEF_MEM_MIB) << 20;
    r.rlim_cur = r.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + mem;
    setrlimit(RLIMIT_AS, &r);
#endif
    r.rlim_cur = r.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &r);
}

/* Keep only the answer pipe (as fd 3) and /dev/null as 0-2. */
static void sb_fds(int pipe_w)
{
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        dup2(nul, 2);
    }
    if (pipe_w != 3) dup2(pipe_w, 3);
    close_range(4, ~0u, 0);
}

/* What the caller will do with libhdf5 after the open, for a tensor whose
 * bytes libhdf5 decodes (filters ckpt does not decode itself): a little at
 * each end exercises the chunk index and the filter pipeline. */
int ckpt__sandbox_peek(ckpt_model *m, int i, ckpt_err *err)
{
    static unsigned char buf[SB_PEEK];
    const ckpt_tensor *t = &m->tensors[i];
    size_t n = t->nbytes < SB_PEEK ? (size_t)t->nbytes : SB_PEEK;
    if (ckpt_tensor_read(m, i, 0, buf, n, err)) return err->code;
    if (t->nbytes > 2 * SB_PEEK && ckpt_tensor_read(m, i, t->nbytes - n, buf, n, err)) return err->code;
    return 0;
}

static int sb_peek(ckpt_model *m, ckpt_err *err)
{
    if (m->fmt->fence) return m->fmt->fence(m, err);
    for (int i = 0; i < m->ntensors; i++)
        if (m->tensors[i].offset == CKPT_NO_OFFSET && m->tensors[i].nbytes && ckpt__sandbox_peek(m, i, err))
            return err->code;
    return 0;
}

/* For the tests (CKPT_SANDBOX_SELFTEST=DIR): what a child taken over by a
 * hostile file could still do. Each attempt that succeeds is named. */
static void sb_selftest(const char *dir, sb_answer *a)
{
    char p[512];
    snprintf(p, sizeof p, "%s/written-by-sandbox", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fd2 = open(p, O_RDWR);
    int sk = socket(AF_INET, SOCK_STREAM, 0);
    int lk = open(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", O_TMPFILE | O_RDWR, 0600);
    int named = -1;
    if (lk >= 0) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", lk);
        named = linkat(AT_FDCWD, proc, AT_FDCWD, p, AT_SYMLINK_FOLLOW);
    }
    char *const av[] = {"/bin/true", NULL};
    int ex = execv("/bin/true", av);   /* returns only when refused */
    a->code = CKPT_E_IO;
    ckpt_err_clear(&a->e);
    ckpt_err_set(&a->e, CKPT_E_IO, "sandbox selftest: create=%s open-rw=%s socket=%s tmpfile=%s link-out=%s exec=%s",
             fd >= 0 ? "allowed" : "refused", fd2 >= 0 ? "allowed" : "refused", sk >= 0 ? "allowed" : "refused",
             lk >= 0 ? "allowed" : "refused", named == 0 ? "allowed" : "refused", ex == 0 ? "allowed" : "refused");
}

static void sb_child(const ckpt_format *f, const char *path, int pipe_w, const char *tmpdir)
{
    signal(SIGINT, SIG_DFL);   /* not the parent's cleanup handlers */
    signal(SIGTERM, SIG_DFL);
    sb_fds(pipe_w);
    sb_limits();
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);   /* required by Landlock and seccomp */
    if (tmpdir) {
        setenv("TMPDIR", tmpdir, 1);   /* where a .keras member's copy goes */
        sb_landlock(tmpdir);
    }
    sb_answer a;
    memset(&a, 0, sizeof a);
    if (sb_seccomp()) {
        a.code = -1;   /* no sandbox here: the parent says so and refuses */
    } else if (getenv("CKPT_SANDBOX_SELFTEST")) {
        sb_selftest(getenv("CKPT_SANDBOX_SELFTEST"), &a);
    } else {
        /* the format's open and the reads libhdf5 would do: what runs over
         * the file's bytes (tree building and the rest are ckpt's own code) */
        ckpt_model *m = calloc(1, sizeof *m);
        ckpt_err e;
        ckpt_err_clear(&e);
        ckpt__sandbox_off = 1;   /* this is the sandbox */
        if (!m || !(m->fmt = f) || !(m->path = strdup(path))) ckpt_err_set(&e, CKPT_E_NOMEM, "out of memory");
        else if (!f->open(m, path, &e)) sb_peek(m, &e);
        if (e.code) ckpt_err_at_path(&e, path);
        a.code = e.code;
        a.e = e;
        /* no ckpt_close: the process ends here, and freeing is more code
         * running over hostile state */
    }
    ssize_t w = write(3, &a, sizeof a);
    _exit(w == (ssize_t)sizeof a ? 0 : 1);
}

/* A private folder for the child's temporary files, and its removal with
 * whatever a killed child left in it. */
static char *sb_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *t = ckpt__asprintf("%s/.ckpt-sandbox-XXXXXX", base && *base ? base : "/tmp");
    if (t && !mkdtemp(t)) {
        free(t);
        t = ckpt__strdup("/tmp/.ckpt-sandbox-XXXXXX");
        if (t && !mkdtemp(t)) { free(t); t = NULL; }
    }
    return t;
}

static void sb_rmtmp(char *dir)
{
    if (!dir) return;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) unlinkat(dirfd(d), e->d_name, 0);
    if (d) closedir(d);
    rmdir(dir);
    free(dir);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for the answer within the timeout; kill the child past it. */
static int sb_wait(pid_t pid, int fd, sb_answer *a, int *status, int *timed_out)
{
    double end = mono() + (double)env_num("CKPT_SANDBOX_TIMEOUT", SB_DEF_TIMEOUT);
    size_t got = 0;
    *timed_out = 0;
    while (got < sizeof *a) {
        double left = end - mono();
        if (left <= 0) { *timed_out = 1; break; }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) continue;
        ssize_t k = read(fd, (char *)a + got, sizeof *a - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;     /* closed: the child died */
        got += (size_t)k;
    }
    if (*timed_out) kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
    return got == sizeof *a ? 0 : -1;
}

int ckpt__sandbox_probe(const ckpt_format *f, const char *path, ckpt_err *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return ckpt_err_sys(err, CKPT_E_IO, errno, "cannot start the sandbox for %s", path);
    char *tmp = sb_tmpdir();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        sb_rmtmp(tmp);
        return ckpt_err_sys(err, CKPT_E_IO, e, "cannot start the sandbox for %s", path);
    }
    if (pid == 0) {
        close(p[0]);
        sb_child(f, path, p[1], tmp);
    }
    close(p[1]);
    sb_answer a;
    int status = 0, timed_out;
    int ok = sb_wait(pid, p[0], &a, &status, &timed_out) == 0;
    close(p[0]);
    sb_rmtmp(tmp);
    const char *lib = "libhdf5";
    if (ok && a.code == -1)
        return ckpt_err_set(err, CKPT_E_IO, "cannot confine %s's reader here (seccomp unavailable); "
                            "CKPT_SANDBOX=off opens it unconfined", lib);
    if (ok && a.code) {
        /* the child's own error, with its path, tensor and offset */
        a.e.path[sizeof a.e.path - 1] = a.e.tensor[sizeof a.e.tensor - 1] = a.e.msg[sizeof a.e.msg - 1] = 0;
        if (err && !err->code) *err = a.e;
        return a.code;
    }
    if (ok) return 0;
    if (timed_out)
        return ckpt_err_set(err, CKPT_E_FORMAT, "%s hung reading %s (no answer in %ld s): damaged or hostile HDF5",
                            lib, path, env_num("CKPT_SANDBOX_TIMEOUT", SB_DEF_TIMEOUT));
    if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM))
        return ckpt_err_set(err, CKPT_E_CANCELLED, "cancelled while opening %s", path);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
        return ckpt_err_set(err, CKPT_E_FORMAT, "%s used over %ld s of CPU reading %s: damaged or hostile HDF5",
                            lib, env_num("CKPT_SANDBOX_CPU", SB_DEF_CPU), path);
    if (WIFSIGNALED(status))
        return ckpt_err_set(err, CKPT_E_FORMAT, "%s crashed reading %s (%s): damaged or hostile HDF5", lib, path,
                            strsignal(WTERMSIG(status)));
    return ckpt_err_set(err, CKPT_E_FORMAT, "%s failed reading %s (out of memory past %ld MiB?): damaged or hostile HDF5",
                        lib, path, env_num("CKPT_SANDBOX_MEM_MIB", SB_DEF_MEM_MIB));
}
