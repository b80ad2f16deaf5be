/* cmd_ls.c: `ckpt ls PATH [--json] [--grep TEXT]` */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "safe.h"

int cmd_ls(int argc, char **argv)
{
    const char *path = NULL, *grep = NULL;
    int json = 0;
    enum { O_GREP = CLI_OPT_FIRST_CMD };
    static const struct option rows[] = {
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"grep", required_argument, NULL, O_GREP}, {0}};
    cli_args args;
    if (cli_args_init(&args, "ls", argc, argv, rows)) return cli_oom();
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_GREP) grep = ov;
    }
    if (oc < 0 || cli_args_one(&args, "PATH", &path)) { cli_args_free(&args); return EXIT_USAGE; }
    cli_args_free(&args);
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
