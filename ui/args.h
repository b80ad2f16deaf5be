/* ui/args.h: one option parser for every command, over getopt_long, so
 * that `--opt=v`, `--opt v`, `-o v` and `--` behave alike everywhere. A
 * command declares its rows as a getopt_long table; convert adds the
 * writers' options at run time. */
#ifndef CKPT_UI_ARGS_H
#define CKPT_UI_ARGS_H

#include <getopt.h>

typedef struct cli_args {
    const char *cmd;          /* for messages: "ckpt convert: ..." */
    int argc;
    char **argv;              /* argv[0] is the command name */
    struct option *lo;        /* the rows, then a zero row */
    int nlo, caplo;
    char shorts[64];          /* ":o:q" from rows whose val is a letter */
    int started;
    int npos;                 /* positionals, once cli_args_next returned 0 */
    char **pos;
} cli_args;

/* Common row values above any letter. */
enum { CLI_OPT_QUIET = 'q', CLI_OPT_PROGRESS = 256, CLI_OPT_JSON, CLI_OPT_FIRST_CMD = 300 };

/* rows: ended by a row with name NULL; copied. Returns 0, or -1 when out of memory. */
int cli_args_init(cli_args *a, const char *cmd, int argc, char **argv, const struct option *rows);
/* Add a row (convert: the writers' options). Returns 0, or -1 when out of memory. */
int cli_args_add(cli_args *a, const char *name, int has_arg, int val);
/* The next option's val, its argument in *arg (NULL for a flag); 0 when
 * the options are done (positionals in a->pos, a->npos); -1 after printing
 * a usage error (the caller returns EXIT_USAGE). */
int cli_args_next(cli_args *a, const char **arg);
/* The long name of the row with this val, for messages ("--atol"). */
const char *cli_args_name(const cli_args *a, int val);
/* Exactly one positional (what = "PATH"): 0 with *out set, or the usage
 * error printed and -1. */
int cli_args_one(cli_args *a, const char *what, const char **out);
void cli_args_free(cli_args *a);

#endif
