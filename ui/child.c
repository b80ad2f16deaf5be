/* child.c: start this binary as a job with its stdout and stderr on pipes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "child.h"

int child_spawn(char *const argv[], pid_t *pid, int *ofd, int *efd)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC)) return -1;
    if (pipe2(pe, O_CLOEXEC)) { close(po[0]); close(po[1]); return -1; }
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        /* the parent forwards SIGTERM itself; a terminal's Ctrl-C reaches the parent only */
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv("/proc/self/exe", argv);
        fprintf(stderr, "ckpt: cannot run ckpt: %s\n", strerror(errno));
        _exit(3);
    }
    int e = errno;
    close(po[1]);
    close(pe[1]);
    if (p < 0) { close(po[0]); close(pe[0]); errno = e; return -1; }
    *pid = p;
    *ofd = po[0];
    *efd = pe[0];
    return 0;
}
