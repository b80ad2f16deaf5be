/* txn.c: outputs are written where nobody sees them and put in place only
 * when every file of the output is complete, so an error, Ctrl-C or a
 * SIGKILL never leaves a half-written file where the output should be.
 *
 * On Linux each file is an O_TMPFILE in its destination folder: it has no
 * name until commit, so a killed process leaves nothing (the kernel frees
 * it). Libraries that want a path (libhdf5) get /proc/self/fd/N. Where the
 * filesystem has no O_TMPFILE, the file gets a hidden name carrying the
 * process id (".NAME.ckpt-PID-XXXXXX"), and a later run into the same folder
 * removes those whose process is gone (and counts them for the caller).
 *
 * Commit, for every file in creation order (a sharded output's index last):
 * link the file at a pid-tagged name, keep a hard link to the previous
 * output of that name, rename the new one over it. If any step fails, the
 * renames done so far are undone from those links, so a failure leaves
 * the complete old output or the complete new one, never a mix. A global
 * table of named temporaries lets a signal handler remove them (unlink is
 * async-signal-safe). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

typedef struct txn_file {
    char *final;
    char *tmp;      /* the path given to libraries: /proc/self/fd/N or `named` */
    char *named;    /* pid-tagged name on disk (fallback, or during commit); NULL if none */
    char *backup;   /* during commit: a link to the output this one replaces */
    int fd;         /* ours; for an O_TMPFILE kept open until the end (it is the file) */
    int anon;       /* O_TMPFILE */
    int user_closed;
} txn_file;

struct ckpt_txn {
    txn_file *f;
    int n, cap;
    char **dirs;    /* directories we created, removed on abort if empty */
    int ndirs;
    char **swept;   /* folders already cleaned of stale temporaries */
    int nswept;
    int stale;      /* stale temporaries removed */
    int synced;
    int nosync;     /* --fsync never: the page cache only */
    int done;       /* committed or aborted */
};

/* named temporaries for the signal handler */
#define MAX_PENDING 1024
static char *volatile pending[MAX_PENDING];

static void pending_add(char *p)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) { pending[i] = p; return; }
}

static void pending_del(const char *p)
{
    for (int i = 0; p && i < MAX_PENDING; i++)
        if (pending[i] == p) { pending[i] = NULL; return; }
}

void ckpt_txn_abort_all_signal_safe(void)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending[i]) unlink(pending[i]);
}

ckpt_txn *ckpt_txn_new(void)
{
    return calloc(1, sizeof(ckpt_txn));
}

static int nomem(ckpt_err *err) { return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }

static int mkdirs(ckpt_txn *t, const char *dir, ckpt_err *err)
{
    return ckpt__mkdirs(dir, &t->dirs, &t->ndirs, err);
}

int ckpt_txn_mkdir(ckpt_txn *t, const char *dir, ckpt_err *err)
{
    return mkdirs(t, dir, err);
}

/* ".BASE.ckpt-PID-XXXXXX": the pid of a temporary's owner, or 0 if the name
 * is not one of ours. */
static long tmp_owner(const char *name)
{
    if (name[0] != '.') return 0;
    const char *p = strstr(name, ".ckpt-"), *q;
    while (p && (q = strstr(p + 1, ".ckpt-"))) p = q;
    if (!p) return 0;
    p += 6;
    if (!strncmp(p, "old-", 4)) p += 4;   /* a commit's link to the output it replaces */
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p || *end != '-' || strlen(end + 1) != 6 || pid <= 0) return 0;
    return pid;
}

/* Remove temporaries of processes that are gone (killed runs). */
static void sweep_stale(ckpt_txn *t, const char *dir)
{
    for (int i = 0; i < t->nswept; i++)
        if (!strcmp(t->swept[i], dir)) return;
    char **ns = realloc(t->swept, (size_t)(t->nswept + 1) * sizeof *ns);
    if (!ns) return;
    t->swept = ns;
    if (!(t->swept[t->nswept] = strdup(dir))) return;
    t->nswept++;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid = tmp_owner(de->d_name);
        if (!pid || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) == 0) t->stale++;
    }
    closedir(d);
}

/* A pid-tagged name template beside `final` (XXXXXX left to fill). */
static char *tagged_name(const char *dir, const char *final, const char *tag)
{
    return ckpt__asprintf("%s/.%s.ckpt-%s%ld-XXXXXX", dir, ckpt__path_basename(final), tag, (long)getpid());
}

/* Fill the XXXXXX of `name` with fresh letters. */
static void fill_x(char *name)
{
    static const char a[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long ctr;
    unsigned long v = ((unsigned long)getpid() << 16) ^ (unsigned long)time(NULL) ^ (++ctr * 2654435761u);
    char *x = name + strlen(name) - 6;
    for (int i = 0; i < 6; i++) {
        x[i] = a[v % 62];
        v = v / 62 + (unsigned long)rand();
    }
}

/* Tests run the fallback with CKPT_NO_TMPFILE=1 (no filesystem at hand lacks it). */
static int open_anon(const char *dir)
{
#ifdef O_TMPFILE
    const char *no = getenv("CKPT_NO_TMPFILE");
    if (no && *no && strcmp(no, "0")) return -1;
    if (access("/proc/self/fd", X_OK) != 0) return -1;
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
#else
    (void)dir;
    return -1;
#endif
}

static int grow(ckpt_txn *t, ckpt_err *err)
{
    if (t->n < t->cap) return 0;
    int nc = t->cap ? t->cap * 2 : 8;
    void *nf = realloc(t->f, (size_t)nc * sizeof *t->f);
    if (!nf) return nomem(err);
    t->f = nf;
    t->cap = nc;
    return 0;
}

int ckpt_txn_create(ckpt_txn *t, const char *final_path, ckpt_err *err)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->f[i].final, final_path)) {
            ckpt_err_set(err, CKPT_E_USAGE, "output written twice");
            ckpt_err_at_path(err, final_path);
            return -1;
        }
    if (grow(t, err)) return -1;
    char *dir = ckpt__path_dirname(final_path);
    if (!dir) return nomem(err), -1;
    if (mkdirs(t, dir, err)) { free(dir); return -1; }
    sweep_stale(t, dir);
    txn_file nf = {.fd = -1};
    nf.final = strdup(final_path);
    int fd = open_anon(dir);
    if (fd >= 0) {
        nf.anon = 1;
        nf.tmp = ckpt__asprintf("/proc/self/fd/%d", fd);
    } else if ((nf.named = tagged_name(dir, final_path, ""))) {
        fd = mkostemp(nf.named, O_CLOEXEC);
        int e = errno;
        if (fd >= 0) {
            /* mkstemp makes 0600; outputs should get the usual umask'd 0666 */
            mode_t um = umask(0);
            umask(um);
            fchmod(fd, 0666 & ~um);
            nf.tmp = strdup(nf.named);
        }
        errno = e;
    }
    free(dir);
    if (fd < 0 || !nf.final || !nf.tmp) {
        if (fd < 0 && nf.named) ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create output");
        else nomem(err);
        ckpt_err_at_path(err, final_path);
        if (fd >= 0) close(fd);
        if (fd >= 0 && nf.named) unlink(nf.named);
        free(nf.final); free(nf.tmp); free(nf.named);
        return -1;
    }
    nf.fd = fd;
    t->f[t->n++] = nf;
    if (nf.named) pending_add(t->f[t->n - 1].named);
    return fd;
}

const char *ckpt_txn_tmp_path(ckpt_txn *t, int fd)
{
    for (int i = 0; i < t->n; i++)
        if (t->f[i].fd == fd) return t->f[i].tmp;
    return NULL;
}

void ckpt_txn_close_fd(ckpt_txn *t, int fd)
{
    for (int i = 0; i < t->n; i++)
        if (t->f[i].fd == fd && !t->f[i].user_closed) {
            t->f[i].user_closed = 1;
            /* an O_TMPFILE lives as long as a descriptor: keep ours */
            if (!t->f[i].anon) {
                close(fd);
                t->f[i].fd = -1;
            }
        }
}

static void drop_name(char **p)
{
    if (!*p) return;
    pending_del(*p);
    unlink(*p);
    free(*p);
    *p = NULL;
}

static int link_named(txn_file *f);

const char *ckpt_txn_name_brief(ckpt_txn *t, int fd)
{
    for (int i = 0; i < t->n; i++) {
        txn_file *f = &t->f[i];
        if (f->fd != fd) continue;
        if (!f->named && link_named(f)) return NULL;
        return f->named;
    }
    return NULL;
}

void ckpt_txn_unname(ckpt_txn *t, int fd)
{
    for (int i = 0; i < t->n; i++)
        if (t->f[i].fd == fd && t->f[i].anon) drop_name(&t->f[i].named);
}

void ckpt_txn_set_fsync(ckpt_txn *t, int on) { t->nosync = !on; }

#define WRITEBACK_STEP (16u << 20)

void ckpt__txn_writeback(const ckpt_txn *t, int fd, uint64_t *flushed, uint64_t pos)
{
    int rest = pos == UINT64_MAX;   /* a finished file: all the rest, now */
    if (!t || t->nosync || (!rest && pos - *flushed < WRITEBACK_STEP)) return;
    sync_file_range(fd, (off_t)*flushed, rest ? 0 : (off_t)(pos - *flushed), SYNC_FILE_RANGE_WRITE);
    *flushed = pos;
}

int ckpt_txn_sync(ckpt_txn *t, ckpt_err *err)
{
    if (t->synced || t->nosync) return 0;
    for (int i = 0; i < t->n; i++) {
        int fd = t->f[i].fd >= 0 ? t->f[i].fd : open(t->f[i].tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            ckpt_err_sys(err, CKPT_E_IO, errno, "cannot flush output");
            ckpt_err_at_path(err, t->f[i].final);
            if (fd >= 0 && fd != t->f[i].fd) close(fd);
            ckpt_txn_abort(t);
            return CKPT_E_IO;
        }
        if (fd != t->f[i].fd) close(fd);
    }
    t->synced = 1;
    return 0;
}

/* Link `from` (followed if a symlink: /proc/self/fd/N) at a fresh
 * pid-tagged name beside `final` (`tag` "" or "old-"); *out gets the name.
 * 0 or an errno. */
static int link_tagged(const char *from, const char *final, const char *tag, char **out)
{
    char *dir = ckpt__path_dirname(final);
    char *name = dir ? tagged_name(dir, final, tag) : NULL;
    free(dir);
    if (!name) return ENOMEM;
    for (int tries = 0; tries < 100; tries++) {
        fill_x(name);
        if (linkat(AT_FDCWD, from, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0) {
            pending_add(name);
            *out = name;
            return 0;
        }
        if (errno != EEXIST) break;
    }
    int e = errno;
    free(name);
    return e;
}

/* Give an anonymous file a pid-tagged name beside its destination. */
static int link_named(txn_file *f)
{
    return link_tagged(f->tmp, f->final, "", &f->named);
}

/* A second name for the output `f` replaces, so a failed commit can put it back. */
static int link_backup(txn_file *f)
{
    struct stat st;
    if (lstat(f->final, &st) != 0) return errno == ENOENT ? 0 : errno;
    if (!S_ISREG(st.st_mode)) return 0;   /* rename reports a folder or a device itself */
    return link_tagged(f->final, f->final, "old-", &f->backup);
}

/* Put back the outputs the first `k` renames replaced. */
static void undo_renames(ckpt_txn *t, int k)
{
    for (int j = k - 1; j >= 0; j--) {
        txn_file *f = &t->f[j];
        if (f->backup) {
            if (rename(f->backup, f->final) == 0) {
                pending_del(f->backup);
                free(f->backup);
                f->backup = NULL;
            }
        } else {
            unlink(f->final);
        }
    }
}

static int commit_fail(ckpt_txn *t, int e, const char *what, const char *path, ckpt_err *err)
{
    ckpt_err_sys(err, CKPT_E_IO, e, "%s", what);
    ckpt_err_at_path(err, path);
    for (int i = 0; i < t->n; i++) drop_name(&t->f[i].backup);
    ckpt_txn_abort(t);
    return CKPT_E_IO;
}

static void sync_dirs(ckpt_txn *t)
{
    if (t->nosync) return;
    for (int i = 0; i < t->n; i++) {
        char *dir = ckpt__path_dirname(t->f[i].final);
        int seen = 0;
        for (int j = 0; dir && j < i && !seen; j++) {
            char *d2 = ckpt__path_dirname(t->f[j].final);
            seen = d2 && !strcmp(d2, dir);
            free(d2);
        }
        int dfd = dir && !seen ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) { fsync(dfd); close(dfd); }
        free(dir);
    }
}

int ckpt_txn_commit(ckpt_txn *t, ckpt_err *err)
{
    if (t->done) return ckpt_err_set(err, CKPT_E_USAGE, "output transaction already finished");
    if (ckpt_txn_sync(t, err)) return CKPT_E_IO;
    /* every file named and every old output held before the first rename */
    for (int i = 0; i < t->n; i++) {
        txn_file *f = &t->f[i];
        int e = f->anon && !f->named ? link_named(f) : 0;
        if (e) return commit_fail(t, e, "cannot link output into its folder", f->final, err);
        if (t->n > 1 && (e = link_backup(f)))
            return commit_fail(t, e, "cannot keep the previous output while replacing it", f->final, err);
    }
    for (int i = 0; i < t->n; i++) {
        txn_file *f = &t->f[i];
        if (rename(f->named, f->final) != 0) {
            int e = errno;
            undo_renames(t, i);
            return commit_fail(t, e, "cannot move output into place", f->final, err);
        }
        pending_del(f->named);
        free(f->named);
        f->named = NULL;
    }
    for (int i = 0; i < t->n; i++) drop_name(&t->f[i].backup);
    sync_dirs(t);
    for (int i = 0; i < t->n; i++)
        if (t->f[i].fd >= 0) { close(t->f[i].fd); t->f[i].fd = -1; }
    t->done = 1;
    return 0;
}

void ckpt_txn_abort(ckpt_txn *t)
{
    if (!t || t->done) return;
    for (int i = 0; i < t->n; i++) {
        if (t->f[i].fd >= 0) {
            close(t->f[i].fd);
            t->f[i].fd = -1;
        }
        drop_name(&t->f[i].named);
        drop_name(&t->f[i].backup);
    }
    for (int i = t->ndirs - 1; i >= 0; i--) rmdir(t->dirs[i]);
    t->done = 1;
}

void ckpt_txn_free(ckpt_txn *t)
{
    if (!t) return;
    ckpt_txn_abort(t);
    for (int i = 0; i < t->n; i++) {
        pending_del(t->f[i].named);
        pending_del(t->f[i].backup);
        free(t->f[i].final);
        free(t->f[i].tmp);
        free(t->f[i].named);
        free(t->f[i].backup);
    }
    for (int i = 0; i < t->ndirs; i++) free(t->dirs[i]);
    for (int i = 0; i < t->nswept; i++) free(t->swept[i]);
    free(t->dirs);
    free(t->swept);
    free(t->f);
    free(t);
}

int ckpt_txn_nfiles(const ckpt_txn *t) { return t ? t->n : 0; }
const char *ckpt_txn_file_final(const ckpt_txn *t, int i) { return t && i >= 0 && i < t->n ? t->f[i].final : NULL; }
const char *ckpt_txn_file_tmp(const ckpt_txn *t, int i) { return t && i >= 0 && i < t->n ? t->f[i].tmp : NULL; }
int ckpt_txn_stale_removed(const ckpt_txn *t) { return t ? t->stale : 0; }

int ckpt__write_file_atomic(const char *path, const void *data, size_t n, ckpt_err *err)
{
    ckpt_txn *t = ckpt_txn_new();
    if (!t) return nomem(err);
    int fd = ckpt_txn_create(t, path, err);
    int rc = fd < 0 ? (err->code ? (int)err->code : CKPT_E_IO) : 0;
    if (!rc && ckpt__write_full(fd, data, n)) {
        rc = ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        ckpt_err_at_path(err, path);
    }
    if (!rc) rc = ckpt_txn_commit(t, err);
    ckpt_txn_free(t);
    return rc;
}
