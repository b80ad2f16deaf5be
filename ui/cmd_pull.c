/* cmd_pull.c: `ckpt pull hf://org/name [--include GLOB]... [--revision R]`:
 * download a Hub repo (or part of it) into the shared huggingface_hub cache,
 * verified, resumable, in parallel; print the snapshot folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
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
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (cli_progress_arg(&prog, a)) continue;
        if (!strcmp(a, "--include") || !strcmp(a, "--revision") || !strcmp(a, "--parallel")) {
            if (i + 1 >= argc) { rc = cli_usage("pull", "%s needs a value", a); break; }
            const char *v = argv[++i];
            if (a[2] == 'i') inc[ninc++] = v;
            else if (a[2] == 'r') rev = v;
            else parallel = atoi(v);
        } else if (!strncmp(a, "--include=", 10)) {
            inc[ninc++] = a + 10;
        } else if (!strncmp(a, "--revision=", 11)) {
            rev = a + 11;
        } else if (!strncmp(a, "--parallel=", 11)) {
            parallel = atoi(a + 11);
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage("pull", "unknown option '%s'", a);
        } else if (url) {
            rc = cli_usage("pull", "one URL only");
        } else {
            url = a;
        }
    }
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
