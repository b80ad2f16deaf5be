/* ui/cli.h: the command-line face. Each subcommand is one function in its
 * own file (ui/cmd_<name>.c) and one row in the table in ui/cli.c. */
#ifndef CKPT_UI_CLI_H
#define CKPT_UI_CLI_H

#include <stdio.h>

#include "ckpt/err.h"
#include "ckpt/model.h"
#include "ckpt/progress.h"

struct ckpt_remap;

/* exit codes, stable for scripts */
enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INPUT = 3 };

typedef struct cli_cmd {
    const char *name;
    int (*run)(int argc, char **argv);   /* argv[0] is the command name */
    const char *summary;                 /* one line for `ckpt --help` */
    const char *usage;                   /* full text for `ckpt help CMD` */
} cli_cmd;

int cli_main(int argc, char **argv);
const cli_cmd *cli_find(const char *name);

/* Print "ckpt: <one-line error>" to stderr; returns the exit code for it. */
int cli_fail(const ckpt_err *e);
/* Usage error: "ckpt CMD: msg" + "try 'ckpt help CMD'"; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ckpt: out of memory" on stderr; returns EXIT_INPUT. */
int cli_oom(void);
/* --rename FROM=TO, --map SPEC and --set KEY=N into one rules list
 * (renames first; *out stays NULL when all are empty). Returns 0, or the
 * exit code after printing the error. */
int cli_remap_build(const char *const *renames, int nren, const char *const *maps, int nmaps,
                    const char *const *sets, int nsets, struct ckpt_remap **out);
/* Open a model or print its error; returns 0 or the exit code. */
int cli_open(const char *path, ckpt_model **m);

/* Progress reporting shared by convert/pull/diff: mode from --quiet,
 * --progress=json|bar|none; bar only when stderr is a TTY. SIGINT and
 * SIGTERM set the cancel flag that the callback returns. */
typedef struct cli_progress {
    int mode;            /* 0 none, 1 bar, 2 json */
    double t0, last;
    uint64_t last_bytes;
} cli_progress;
enum { CLI_PROGRESS_NONE, CLI_PROGRESS_BAR, CLI_PROGRESS_JSON };
/* The rows of -q/--quiet and --progress MODE, for a command's option table. */
#define CLI_PROGRESS_ROWS {"quiet", no_argument, NULL, 'q'}, {"progress", required_argument, NULL, 256}
/* Option c (a row value) with its argument: 1 when it was -q or
 * --progress, 0 when it is not ours, -1 after printing a bad MODE. */
int cli_progress_opt(cli_progress *p, const char *cmd, int c, const char *arg);
void cli_progress_init(cli_progress *p);      /* default: bar if stderr is a TTY */
int cli_progress_cb(void *ud, const ckpt_progress *pr);
void cli_progress_done(cli_progress *p);      /* clears the bar line */
void cli_install_signals(void);               /* SIGINT/SIGTERM -> cancel */
extern volatile int cli_cancelled;

/* Human sizes: "1.5 MiB", counts: "1,234,567". Return buf. */
const char *cli_human_bytes(unsigned long long n, char *buf, size_t len);
const char *cli_human_count(unsigned long long n, char *buf, size_t len);

#endif
