/* cmd_check.c: `ckpt check PATH [--json] [--expect TARGET [--map FILE] [--set KEY=N]
 * [--include-optimizer]]`: exit 1 when anything is found (notes do not count). */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/check.h"
#include "ckpt/remap.h"
#include "args.h"
#include "cli.h"
#include "safe.h"

int cmd_check(int argc, char **argv)
{
    const char *path = NULL, *expect = NULL;
    int json = 0, incl_opt = 0;
    ckpt_remap *map = NULL;
    ckpt_target *target = NULL;
    ckpt_err merr;
    ckpt_err_clear(&merr);
    enum { O_INCL = CLI_OPT_FIRST_CMD, O_EXPECT, O_MAP, O_SET };
    static const struct option rows[] = {
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"include-optimizer", no_argument, NULL, O_INCL},
        {"expect", required_argument, NULL, O_EXPECT}, {"map", required_argument, NULL, O_MAP},
        {"set", required_argument, NULL, O_SET}, {0}};
    cli_args args;
    const char **maps = calloc((size_t)argc + 1, sizeof *maps), **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nmaps = 0, nsets = 0;
    if (!maps || !sets || cli_args_init(&args, "check", argc, argv, rows)) { free(maps); free(sets); return cli_oom(); }
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_INCL) incl_opt = 1;
        else if (oc == O_EXPECT) expect = ov;
        else if (oc == O_MAP) maps[nmaps++] = ov;
        else if (oc == O_SET) sets[nsets++] = ov;
    }
    int rc = oc < 0 || cli_args_one(&args, "PATH", &path) ? EXIT_USAGE : 0;
    cli_args_free(&args);
    if (!rc && (nmaps || nsets) && !expect) rc = cli_usage("check", "--map/--set go with --expect TARGET");
    if (!rc && incl_opt && !expect) rc = cli_usage("check", "--include-optimizer goes with --expect TARGET");
    if (!rc) rc = cli_remap_build(NULL, 0, maps, nmaps, sets, nsets, &map);
    free(maps);
    free(sets);
    if (rc) { ckpt_remap_free(map); return rc; }
    if (expect && ckpt_target_load(expect, &target, &merr)) { ckpt_remap_free(map); return cli_fail(&merr); }
    ckpt_model *m;
    rc = cli_open(path, &m);
    if (rc) { ckpt_remap_free(map); ckpt_target_free(target); return rc; }
    ckpt_findings f = {0};
    ckpt_err err;
    ckpt_err_clear(&err);
    /* with --expect the findings are about the target; without, the built-in check */
    if (target ? ckpt_check_expect_ex(m, map, target, incl_opt ? CKPT_REMAP_INCLUDE_OPTIMIZER : 0, &f, &err)
               : ckpt_check(m, &f, &err)) {
        rc = cli_fail(&err);
        ckpt_findings_free(&f);
        ckpt_close(m);
        ckpt_remap_free(map);
        ckpt_target_free(target);
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
        cJSON *notes = cJSON_AddArrayToObject(root, "notes");
        for (int i = 0; i < f.nnotes; i++) cJSON_AddItemToArray(notes, cJSON_CreateString(f.notes[i]));
        char *s = cli_json_safe(cJSON_PrintUnformatted(root));
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
    } else {
        for (int i = 0; i < f.n; i++) {
            const ckpt_finding *x = &f.v[i];
            printf("%-10s ", ckpt_finding_kind_str(x->kind));
            if (x->layer) printf("layer %s: ", cli_esc(x->layer));
            if (x->tensor && x->tensor[0] && !strstr(x->message, x->tensor)) printf("%s: ", cli_esc(x->tensor));
            printf("%s\n", cli_esc(x->message));
            if (x->suggestion) printf("%-10s   -> %s\n", "", cli_esc(x->suggestion));
        }
        if (f.n) printf("%d finding%s in %s\n", f.n, f.n == 1 ? "" : "s", cli_esc(ckpt_model_path(m)));
        else {
            int nchk = 0;   /* optimizer state is checked only when asked */
            for (int i = 0; i < ckpt_model_ntensors(m); i++)
                nchk += !(ckpt_model_tensor(m, i)->flags & CKPT_TF_OPTIMIZER) || incl_opt || !target;
            printf("no findings (%d tensors checked)\n", nchk);
        }
        for (int i = 0; i < f.nnotes; i++) printf("note: %s\n", cli_esc(f.notes[i]));
    }
    rc = f.n ? EXIT_FINDINGS : EXIT_OK;
    ckpt_findings_free(&f);
    ckpt_close(m);
    ckpt_remap_free(map);
    ckpt_target_free(target);
    return rc;
}
