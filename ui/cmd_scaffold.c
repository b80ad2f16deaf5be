/* cmd_scaffold.c: `ckpt scaffold kerashub CONFIG|hf://org/name -o DIR`:
 * the analysis first, then the files written (or what is not supported),
 * then the TODOs left in them by file and line. */
#include <stdio.h>
#include <string.h>

#include "ckpt/scaffold.h"
#include "args.h"
#include "cli.h"

int cmd_scaffold(int argc, char **argv)
{
    const char *kind = NULL, *src = NULL, *out = NULL, *name = NULL;
    enum { O_NAME = CLI_OPT_FIRST_CMD };
    static const struct option rows[] = {{"out", required_argument, NULL, 'o'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"name", required_argument, NULL, O_NAME}, {0}};
    cli_args args;
    if (cli_args_init(&args, "scaffold", argc, argv, rows)) return cli_oom();
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == O_NAME) name = ov;
        else if (oc == 'o') out = ov;
    }
    if (oc == 0 && args.npos > 2) { cli_usage("scaffold", "unexpected argument '%s'", args.pos[2]); oc = -1; }
    if (oc < 0) { cli_args_free(&args); return EXIT_USAGE; }
    if (args.npos > 0) kind = args.pos[0];
    if (args.npos > 1) src = args.pos[1];
    cli_args_free(&args);
    if (!kind || strcmp(kind, "kerashub")) return cli_usage("scaffold", "the one kind is 'kerashub' (ckpt scaffold kerashub CONFIG -o DIR)");
    if (!src) return cli_usage("scaffold", "missing CONFIG (a config.json, its folder, or hf://org/name)");
    if (!out) return cli_usage("scaffold", "missing -o DIR");
    ckpt_scaffold_result r;
    ckpt_err err;
    ckpt_err_clear(&err);
    int rc = ckpt_scaffold_kerashub(src, out, name, &r, &err);
    if (r.nsummary) printf("analysis of %s:\n", src);
    for (int i = 0; i < r.nsummary; i++) printf("  %s\n", r.summary[i]);
    if (r.nunsupported) {
        printf("not supported by the KerasHub scaffold:\n");
        for (int i = 0; i < r.nunsupported; i++) printf("  - %s\n", r.unsupported[i]);
    }
    if (!rc) {
        printf("wrote %d files:\n", r.nfiles);
        for (int i = 0; i < r.nfiles; i++) printf("  %s\n", r.files[i]);
        printf("TODO left (%d):\n", r.ntodos);
        for (int i = 0; i < r.ntodos; i++) printf("  %s\n", r.todos[i]);
    }
    fflush(stdout);
    ckpt_scaffold_result_free(&r);
    return rc ? cli_fail(&err) : EXIT_OK;
}
