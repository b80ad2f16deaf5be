/* cmd_check.c: `ckpt check PATH [--json]`: exit 1 when anything is found. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/check.h"
#include "cli.h"

int cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return cli_usage("check", "unknown option '%s'", argv[i]);
        else if (path) return cli_usage("check", "one PATH only");
        else path = argv[i];
    }
    if (!path) return cli_usage("check", "missing PATH");
    ckpt_model *m;
    int rc = cli_open(path, &m);
    if (rc) return rc;
    ckpt_findings f = {0};
    ckpt_err err;
    ckpt_err_clear(&err);
    if (ckpt_check(m, &f, &err)) {
        rc = cli_fail(&err);
        ckpt_findings_free(&f);
        ckpt_close(m);
        return rc;
    }
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "path", ckpt_model_path(m));
        cJSON_AddStringToObject(root, "format", ckpt_model_format(m));
        cJSON_AddNumberToObject(root, "tensors", ckpt_model_ntensors(m));
        cJSON *arr = cJSON_AddArrayToObject(root, "findings");
        for (int i = 0; i < f.n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "kind", ckpt_finding_kind_str(f.v[i].kind));
            if (f.v[i].layer) cJSON_AddStringToObject(o, "layer", f.v[i].layer);
            else cJSON_AddNullToObject(o, "layer");
            if (f.v[i].tensor) cJSON_AddStringToObject(o, "tensor", f.v[i].tensor);
            else cJSON_AddNullToObject(o, "tensor");
            cJSON_AddStringToObject(o, "message", f.v[i].message);
            if (f.v[i].suggestion) cJSON_AddStringToObject(o, "suggestion", f.v[i].suggestion);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_PrintUnformatted(root);
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
    } else {
        for (int i = 0; i < f.n; i++) {
            const ckpt_finding *x = &f.v[i];
            printf("%-10s ", ckpt_finding_kind_str(x->kind));
            if (x->layer) printf("layer %s: ", x->layer);
            if (x->tensor && (!x->layer || !strstr(x->message, x->tensor))) printf("%s: ", x->tensor);
            printf("%s\n", x->message);
            if (x->suggestion) printf("%-10s   -> %s\n", "", x->suggestion);
        }
        if (f.n) printf("%d finding%s in %s\n", f.n, f.n == 1 ? "" : "s", ckpt_model_path(m));
        else printf("no findings (%d tensors checked)\n", ckpt_model_ntensors(m));
    }
    rc = f.n ? EXIT_FINDINGS : EXIT_OK;
    ckpt_findings_free(&f);
    ckpt_close(m);
    return rc;
}
