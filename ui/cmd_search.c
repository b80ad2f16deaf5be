/* cmd_search.c: `ckpt search TEXT`: Hub model repos whose id holds TEXT
 * (the browser's H key, for scripts). */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
#include "args.h"
#include "cli.h"
#include "safe.h"

int cmd_search(int argc, char **argv)
{
    const char *q = NULL;
    int json = 0, limit = 50;
    enum { O_LIMIT = CLI_OPT_FIRST_CMD };
    static const struct option rows[] = {
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"limit", required_argument, NULL, O_LIMIT}, {0}};
    cli_args args;
    if (cli_args_init(&args, "search", argc, argv, rows)) return cli_oom();
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_LIMIT) {
            char *end;
            long l = strtol(ov, &end, 10);
            if (!*ov || *end || l < 1 || l > 1000) { oc = -1; cli_usage("search", "--limit wants 1..1000"); break; }
            limit = (int)l;
        }
    }
    if (oc < 0 || cli_args_one(&args, "search text", &q)) { cli_args_free(&args); return EXIT_USAGE; }
    cli_args_free(&args);
    char **ids = NULL;
    int n = 0;
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt_hub_search(q, limit, &ids, &n, &err)) return cli_fail(&err);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(ids[i]));
        char *s = cli_json_safe(cJSON_PrintUnformatted(arr));
        if (s) puts(s);
        free(s);
        cJSON_Delete(arr);
    } else {
        for (int i = 0; i < n; i++) printf("hf://%s\n", cli_esc(ids[i]));
    }
    for (int i = 0; i < n; i++) free(ids[i]);
    free(ids);
    return n ? EXIT_OK : EXIT_FINDINGS;
}
