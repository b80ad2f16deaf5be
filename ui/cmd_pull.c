/* cmd_pull.c: `ckpt pull hf://org/name [--include GLOB]... [--revision R]`:
 * download a Hub repo (or part of it) into the shared huggingface_hub cache,
 * verified, resumable, in parallel; print the snapshot folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
#include "args.h"
#include "cli.h"

int cmd_pull(int argc, char **argv)
{
    const char *url = NULL, *rev = NULL;
    const char **inc = calloc((size_t)argc + 1, sizeof *inc);
    int ninc = 0, parallel = 0;
    cli_progress prog;
    cli_progress_init(&prog);
    if (!inc) return EXIT_INPUT;
    int rc = 0;
    enum { O_INCLUDE = CLI_OPT_FIRST_CMD, O_REVISION, O_PARALLEL };
    static const struct option rows[] = {CLI_PROGRESS_ROWS,
                                         {"include", required_argument, NULL, O_INCLUDE},
                                         {"revision", required_argument, NULL, O_REVISION},
                                         {"parallel", required_argument, NULL, O_PARALLEL}, {0}};
    cli_args args;
    if (cli_args_init(&args, "pull", argc, argv, rows)) { free(inc); return cli_oom(); }
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        int p = cli_progress_opt(&prog, "pull", oc, ov);
        if (p < 0) { oc = -1; break; }
        if (p) continue;
        if (oc == O_INCLUDE) inc[ninc++] = ov;
        else if (oc == O_REVISION) rev = ov;
        else if (oc == O_PARALLEL) {
            char *end;
            long l = strtol(ov, &end, 10);
            parallel = *ov && !*end && l >= 0 && l <= 64 ? (int)l : -1;
        }
    }
    if (oc < 0) rc = EXIT_USAGE;
    else if (args.npos > 1) rc = cli_usage("pull", "one URL only");
    else if (args.npos == 1) url = args.pos[0];
    cli_args_free(&args);
    if (!rc && !url) rc = cli_usage("pull", "missing hf://org/name");
    if (!rc && !ckpt_is_hub_url(url)) rc = cli_usage("pull", "'%s' is not a Hub URL (hf://org/name)", url);
    if (!rc && (parallel < 0 || parallel > 64)) rc = cli_usage("pull", "--parallel wants 1..64");
    if (rc) { free(inc); return rc; }

    cli_install_signals();
    ckpt_pull_opts o = {.include = inc, .ninclude = ninc, .revision = rev, .parallel = parallel,
                        .progress = cli_progress_cb, .progress_ud = &prog};
    char snap[4096];
    ckpt_err err;
    ckpt_err_clear(&err);
    int r = ckpt_hub_pull(url, &o, snap, sizeof snap, &err);
    cli_progress_done(&prog);
    free(inc);
    if (r) return cli_fail(&err);
    printf("%s\n", snap);
    return EXIT_OK;
}
