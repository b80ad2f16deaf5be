/* args.c: the getopt_long wrapper every command parses with. GNU getopt
 * permutes, so options and positionals mix freely until `--`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"

int cli_args_add(cli_args *a, const char *name, int has_arg, int val)
{
    for (int i = 0; i < a->nlo; i++)
        if (!strcmp(a->lo[i].name, name)) return 0;   /* the first row wins */
    if (a->nlo + 2 > a->caplo) {
        int cap = a->caplo ? a->caplo * 2 : 16;
        struct option *n = realloc(a->lo, (size_t)cap * sizeof *n);
        if (!n) return -1;
        a->lo = n;
        a->caplo = cap;
    }
    a->lo[a->nlo++] = (struct option){name, has_arg, NULL, val};
    memset(&a->lo[a->nlo], 0, sizeof a->lo[0]);
    size_t l = strlen(a->shorts);
    if (val > ' ' && val < 127 && val != ':' && l + 3 < sizeof a->shorts && !strchr(a->shorts, val)) {
        a->shorts[l++] = (char)val;
        if (has_arg == required_argument) a->shorts[l++] = ':';
        a->shorts[l] = 0;
    }
    return 0;
}

int cli_args_init(cli_args *a, const char *cmd, int argc, char **argv, const struct option *rows)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->argc = argc;
    a->argv = argv;
    strcpy(a->shorts, ":");   /* report a missing argument as ':' */
    for (int i = 0; rows && rows[i].name; i++)
        if (cli_args_add(a, rows[i].name, rows[i].has_arg, rows[i].val)) return -1;
    return 0;
}

const char *cli_args_name(const cli_args *a, int val)
{
    for (int i = 0; i < a->nlo; i++)
        if (a->lo[i].val == val) return a->lo[i].name;
    return "?";
}

/* the option as the user wrote it, up to '=' */
static const char *as_written(const cli_args *a, char *buf, size_t n)
{
    const char *s = optind > 0 && optind - 1 < a->argc ? a->argv[optind - 1] : "?";
    if (!strncmp(s, "--", 2)) snprintf(buf, n, "%.*s", (int)strcspn(s, "="), s);
    else snprintf(buf, n, "-%c", optopt ? optopt : '?');
    return buf;
}

/* "unknown option", or the rows an abbreviation could mean */
static void say_unknown(const cli_args *a, const char *w)
{
    char list[256] = "";
    size_t l = strlen(w + 2), o = 0;
    int n = 0;
    for (int i = 0; w[0] == '-' && w[1] == '-' && l && i < a->nlo; i++)
        if (!strncmp(a->lo[i].name, w + 2, l) && o + 4 < sizeof list) {
            o += (size_t)snprintf(list + o, sizeof list - o, "%s--%s", n++ ? ", " : "", a->lo[i].name);
            if (o >= sizeof list) o = sizeof list - 1;
        }
    if (n > 1) cli_usage(a->cmd, "ambiguous option '%s' (%s)", w, list);
    else cli_usage(a->cmd, "unknown option '%s'", w);
}

int cli_args_next(cli_args *a, const char **arg)
{
    if (!a->started) {
        optind = 0;   /* glibc: a full re-initialisation */
        opterr = 0;
        a->started = 1;
    }
    optopt = 0;
    int c = getopt_long(a->argc, a->argv, a->shorts, a->lo, NULL);
    char buf[128];
    *arg = optarg;
    /* `-o=out.bin` means out.bin, as `--output=out.bin` does (getopt alone
     * would name the file "=out.bin") */
    if (optarg && optarg[0] == '=' && optind > 0 && optarg > a->argv[optind - 1] &&
        optarg <= a->argv[optind - 1] + 2 && a->argv[optind - 1][1] != '-')
        *arg = optarg + 1;
    if (c == -1) {
        a->pos = a->argv + optind;
        a->npos = a->argc - optind;
        return 0;
    }
    if (c == '?') {
        say_unknown(a, as_written(a, buf, sizeof buf));
        return -1;
    }
    if (c == ':') {
        cli_usage(a->cmd, "%s needs a value", as_written(a, buf, sizeof buf));
        return -1;
    }
    return c;
}

int cli_args_one(cli_args *a, const char *what, const char **out)
{
    if (a->npos < 1) { cli_usage(a->cmd, "missing %s", what); return -1; }
    if (a->npos > 1) { cli_usage(a->cmd, "one %s only (got '%s' and '%s')", what, a->pos[0], a->pos[1]); return -1; }
    *out = a->pos[0];
    return 0;
}

void cli_args_free(cli_args *a)
{
    free(a->lo);
    a->lo = NULL;
}
