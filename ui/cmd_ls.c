/* cmd_ls.c: `ckpt ls PATH [--json] [--grep TEXT]` */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "safe.h"

int cmd_ls(int argc, char **argv)
{
    const char *path = NULL, *grep = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--grep") && i + 1 < argc) grep = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("ls", "unknown option '%s'", argv[i]);
        else if (path) return cli_usage("ls", "one PATH only");
        else path = argv[i];
    }
    if (!path) return cli_usage("ls", "missing PATH");
    ckpt_model *m;
    int rc = cli_open(path, &m);
    if (rc) return rc;
    int n = ckpt_model_ntensors(m);
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "format", ckpt_model_format(m));
        cJSON *arr = cJSON_AddArrayToObject(root, "tensors");
        for (int i = 0; i < n; i++) {
            const ckpt_tensor *t = ckpt_model_tensor(m, i);
            if (grep && !strstr(t->name, grep)) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", t->name);
            cJSON_AddStringToObject(o, "dtype", ckpt_dtype_name(t->dtype));
            cJSON *sh = cJSON_AddArrayToObject(o, "shape");
            for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
            cJSON_AddNumberToObject(o, "nbytes", (double)t->nbytes);
            if (t->src_name != t->name && strcmp(t->src_name, t->name))
                cJSON_AddStringToObject(o, "source_name", t->src_name);
            if (t->flags & CKPT_TF_OPTIMIZER) cJSON_AddBoolToObject(o, "optimizer", 1);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cli_json_safe(cJSON_PrintUnformatted(root));
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
        ckpt_close(m);
        return EXIT_OK;
    }
    int wname = 4, wdt = 5, wsh = 5;
    char sh[256];
    for (int i = 0; i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if (grep && !strstr(t->name, grep)) continue;
        int l = (int)strlen(cli_esc(t->name));
        if (l > wname) wname = l;
        l = (int)strlen(ckpt_shape_str(t, sh, sizeof sh));
        if (l > wsh) wsh = l;
        l = (int)strlen(ckpt_dtype_name(t->dtype));
        if (l > wdt) wdt = l;
    }
    if (wname > 72) wname = 72;
    printf("%-*s  %-*s  %-*s  %s\n", wname, "NAME", wdt, "DTYPE", wsh, "SHAPE", "BYTES");
    for (int i = 0; i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if (grep && !strstr(t->name, grep)) continue;
        printf("%-*s  %-*s  %-*s  %llu%s\n", wname, cli_esc(t->name), wdt, ckpt_dtype_name(t->dtype), wsh,
               ckpt_shape_str(t, sh, sizeof sh), (unsigned long long)t->nbytes,
               t->flags & CKPT_TF_OPTIMIZER ? "  (optimizer)" : "");
    }
    ckpt_close(m);
    return EXIT_OK;
}
