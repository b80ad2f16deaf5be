/* txn.c: outputs are written to temporary names beside their destination
 * and renamed into place only when every file of the output is complete,
 * so an error or Ctrl-C never leaves a half-written file where the output
 * should be. A global table of pending temporaries lets a signal handler
 * remove them (unlink is async-signal-safe). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef struct txn_file {
    char *final;
    char *tmp;
    int fd;       /* -1 once closed */
} txn_file;

struct ckpt_txn {
    txn_file *f;
    int n, cap;
    char **dirs;  /* directories we created, removed on abort if empty */
    int ndirs;
    int done;     /* committed or aborted */
};

/* pending temporaries for the signal handler */
#define MAX_PENDING 1024
static char *volatile pending[MAX_PENDING];

static void pending_add(char *p)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending[i]) { pending[i] = p; return; }
}

static void pending_del(const char *p)
{
    for (int i = 0; i < MAX_PENDING; i++)
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

static int mkdirs(ckpt_txn *t, const char *dir, ckpt_err *err)
{
    if (ckpt__is_dir(dir)) return 0;
    char *parent = ckpt__path_dirname(dir);
    if (!parent) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    int rc = strcmp(parent, dir) ? mkdirs(t, parent, err) : 0;
    free(parent);
    if (rc) return rc;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create directory");
        ckpt_err_at_path(err, dir);
        return CKPT_E_IO;
    }
    char **nd = realloc(t->dirs, (size_t)(t->ndirs + 1) * sizeof *nd);
    if (!nd) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    t->dirs = nd;
    t->dirs[t->ndirs++] = strdup(dir);
    return 0;
}

int ckpt_txn_mkdir(ckpt_txn *t, const char *dir, ckpt_err *err)
{
    return mkdirs(t, dir, err);
}

int ckpt_txn_create(ckpt_txn *t, const char *final_path, ckpt_err *err)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->f[i].final, final_path)) {
            ckpt_err_set(err, CKPT_E_USAGE, "output written twice");
            ckpt_err_at_path(err, final_path);
            return -1;
        }
    char *dir = ckpt__path_dirname(final_path);
    if (!dir) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    if (mkdirs(t, dir, err)) { free(dir); return -1; }
    char *tmp = ckpt__asprintf("%s/.%s.ckpt-XXXXXX", dir, ckpt__path_basename(final_path));
    free(dir);
    if (!tmp) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    if (t->n >= t->cap) {
        int nc = t->cap ? t->cap * 2 : 8;
        void *nf = realloc(t->f, (size_t)nc * sizeof *t->f);
        if (!nf) { free(tmp); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1; }
        t->f = nf;
        t->cap = nc;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot create output");
        ckpt_err_at_path(err, final_path);
        free(tmp);
        return -1;
    }
    /* mkstemp makes 0600; outputs should get the usual umask'd 0666 */
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);
    txn_file *f = &t->f[t->n++];
    f->final = strdup(final_path);
    f->tmp = tmp;
    f->fd = fd;
    pending_add(tmp);
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
        if (t->f[i].fd == fd) {
            close(fd);
            t->f[i].fd = -1;
        }
}

int ckpt_txn_commit(ckpt_txn *t, ckpt_err *err)
{
    /* make the data durable before it becomes visible under its name */
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
    for (int i = 0; i < t->n; i++) {
        if (t->f[i].fd >= 0) {
            close(t->f[i].fd);
            t->f[i].fd = -1;
        }
        if (rename(t->f[i].tmp, t->f[i].final) != 0) {
            ckpt_err_sys(err, CKPT_E_IO, errno, "cannot move output into place");
            ckpt_err_at_path(err, t->f[i].final);
            /* undo what was already moved: a partial set is worse than none */
            for (int j = 0; j < i; j++) unlink(t->f[j].final);
            ckpt_txn_abort(t);
            return CKPT_E_IO;
        }
        pending_del(t->f[i].tmp);
    }
    if (t->n) {
        char *dir = ckpt__path_dirname(t->f[0].final);
        int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) { fsync(dfd); close(dfd); }
        free(dir);
    }
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
        unlink(t->f[i].tmp);
        pending_del(t->f[i].tmp);
    }
    for (int i = t->ndirs - 1; i >= 0; i--) rmdir(t->dirs[i]);
    t->done = 1;
}

void ckpt_txn_free(ckpt_txn *t)
{
    if (!t) return;
    ckpt_txn_abort(t);
    for (int i = 0; i < t->n; i++) {
        pending_del(t->f[i].tmp);
        free(t->f[i].final);
        free(t->f[i].tmp);
    }
    for (int i = 0; i < t->ndirs; i++) free(t->dirs[i]);
    free(t->dirs);
    free(t->f);
    free(t);
}

int ckpt_txn_nfiles(const ckpt_txn *t) { return t ? t->n : 0; }
const char *ckpt_txn_file_final(const ckpt_txn *t, int i) { return t && i >= 0 && i < t->n ? t->f[i].final : NULL; }
const char *ckpt_txn_file_tmp(const ckpt_txn *t, int i) { return t && i >= 0 && i < t->n ? t->f[i].tmp : NULL; }
