/* ui/child.h: run `ckpt convert ...` as a child process (child.c), for
 * convert --batch and serve: libhdf5 is not thread-safe, and a crash or a
 * cancel (SIGTERM: the child removes its temporaries) stays in one job. */
#ifndef CKPT_UI_CHILD_H
#define CKPT_UI_CHILD_H

#include <sys/types.h>

/* Start this binary with argv (argv[0] is shown, argv[1] the command),
 * stdout and stderr on pipes (*ofd, *efd, non-blocking off). 0 or -1 with errno. */
int child_spawn(char *const argv[], pid_t *pid, int *ofd, int *efd);

#endif
