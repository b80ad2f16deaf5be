/* cmd_scaffold.c: `ckpt scaffold kerashub CONFIG|hf://org/name -o DIR`:
 * the analysis first, then the files written (or what is not supported),
 * then the TODOs left in them by file and line. */
#include <stdio.h>
#include <string.h>

#include "ckpt/scaffold.h"
#include "cli.h"

int cmd_scaffold(int argc, char **argv)
{
    const char *kind = NULL, *src = NULL, *out = NULL, *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out") || !strcmp(argv[i], "--name")) {
            if (i + 1 >= argc) return cli_usage("scaffold", "%s wants a value", argv[i]);
            if (!strcmp(argv[i], "--name")) name = argv[++i];
            else out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("scaffold", "unknown option '%s'", argv[i]);
        else if (!kind) kind = argv[i];
        else if (!src) src = argv[i];
        else return cli_usage("scaffold", "unexpected argument '%s'", argv[i]);
    }
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
