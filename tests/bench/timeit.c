/* timeit -o FILE CMD...: runs CMD and writes "wall user sys maxrss_kb" to
 * FILE, wall to the microsecond. /usr/bin/time rounds wall to 10 ms, which
 * is the whole of a 10k-tensor open; the benches need the digits. CMD's
 * stdout and stderr pass through; the exit status is CMD's. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: timeit -o FILE CMD [ARG...]\n");
        return 2;
    }
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0) { perror("timeit: fork"); return 2; }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        fprintf(stderr, "timeit: %s: cannot run\n", argv[3]);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) { perror("timeit: wait4"); return 2; }
    double wall = now() - t0;
    FILE *f = fopen(argv[2], "w");
    if (!f) { perror(argv[2]); return 2; }
    fprintf(f, "%.6f %.6f %.6f %ld\n", wall,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
    fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
