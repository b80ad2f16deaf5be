/* cmd_search.c: `ckpt search TEXT`: Hub model repos whose id holds TEXT
 * (the browser's H key, for scripts). */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/hub.h"
#include "cli.h"
#include "safe.h"

int cmd_search(int argc, char **argv)
{
    const char *q = NULL;
    int json = 0, limit = 50;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--limit")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || v < 1 || v > 1000) return cli_usage("search", "--limit wants 1..1000");
            limit = (int)v;
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("search", "unknown option '%s'", argv[i]);
        else if (q) return cli_usage("search", "one search text only");
        else q = argv[i];
    }
    if (!q) return cli_usage("search", "missing search text");
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
