/* cmd_maps.c: `ckpt maps [NAME]` lists the shipped remap presets or prints
 * one; `ckpt maps --preview PATH --map SPEC` shows what a map does to a
 * model without converting (old name -> new name, shape, transform). */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/remap.h"
#include "args.h"
#include "cli.h"
#include "safe.h"

static void shape_str(int nd, const int64_t *sh, char *b, size_t n)
{
    size_t l = (size_t)snprintf(b, n, "[");
    for (int d = 0; d < nd && l < n; d++) l += (size_t)snprintf(b + l, n - l, "%s%lld", d ? ", " : "", (long long)sh[d]);
    if (l < n) snprintf(b + l, n - l, "]");
}

static int preview(const char *path, const char **maps, int nmaps, const char **sets, int nsets, int json)
{
    ckpt_remap *r = NULL;
    ckpt_err err;
    ckpt_err_clear(&err);
    int rc = cli_remap_build(NULL, 0, maps, nmaps, sets, nsets, &r);
    if (rc) { ckpt_remap_free(r); return rc; }
    ckpt_model *m;
    rc = cli_open(path, &m);
    if (rc) { ckpt_remap_free(r); return rc; }
    ckpt_remapped *v = NULL;
    if (ckpt_remap_preview(r, m, &v, &err)) {
        rc = cli_fail(&err);
        ckpt_close(m);
        ckpt_remap_free(r);
        return rc;
    }
    char sb[128];
    cJSON *root = json ? cJSON_CreateObject() : NULL, *arr = NULL;
    if (json) arr = cJSON_AddArrayToObject(root, "tensors");
    for (int i = 0; i < ckpt_remapped_count(v); i++) {
        ckpt_remapped_info in;
        ckpt_remapped_entry(v, i, &in);
        const ckpt_tensor *t = ckpt_model_tensor(m, in.src);
        shape_str(in.ndim, in.shape, sb, sizeof sb);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "from", t->name);
            cJSON_AddStringToObject(o, "name", in.name);
            cJSON_AddStringToObject(o, "dtype", ckpt_dtype_name(in.dtype));
            cJSON *s = cJSON_AddArrayToObject(o, "shape");
            for (int d = 0; d < in.ndim; d++) cJSON_AddItemToArray(s, cJSON_CreateNumber((double)in.shape[d]));
            if (in.xform) cJSON_AddStringToObject(o, "transform", in.xform);
            if (in.rule_line) cJSON_AddNumberToObject(o, "rule_line", in.rule_line);
            cJSON_AddItemToArray(arr, o);
        } else {
            printf("%s -> %s  %s %s%s%s\n", cli_esc(t->name), cli_esc(in.name), ckpt_dtype_name(in.dtype), sb,
                   in.xform ? "  " : "", in.xform ? in.xform : "");
        }
    }
    if (json) {
        cJSON *d = cJSON_AddArrayToObject(root, "dropped");
        for (int i = 0; i < ckpt_remapped_ndropped(v); i++)
            cJSON_AddItemToArray(d, cJSON_CreateString(ckpt_model_tensor(m, ckpt_remapped_dropped(v, i, NULL))->name));
        cJSON *w = cJSON_AddArrayToObject(root, "warnings");
        for (int i = 0; i < ckpt_remapped_nwarnings(v); i++) cJSON_AddItemToArray(w, cJSON_CreateString(ckpt_remapped_warning(v, i)));
        char *s = cli_json_safe(cJSON_PrintUnformatted(root));
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
    } else {
        for (int i = 0; i < ckpt_remapped_ndropped(v); i++) {
            int line = 0;
            int ti = ckpt_remapped_dropped(v, i, &line);
            printf("%s -> (dropped by line %d)\n", cli_esc(ckpt_model_tensor(m, ti)->name), line);
        }
        for (int i = 0; i < ckpt_remapped_nwarnings(v); i++) fprintf(stderr, "ckpt: warning: %s\n", cli_esc(ckpt_remapped_warning(v, i)));
    }
    ckpt_remapped_free(v);
    ckpt_close(m);
    ckpt_remap_free(r);
    return EXIT_OK;
}

int cmd_maps(int argc, char **argv)
{
    int json = 0;
    const char *name = NULL, *path = NULL;
    const char **maps = calloc((size_t)argc + 1, sizeof *maps), **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nmaps = 0, nsets = 0, rc = EXIT_OK;
    if (!maps || !sets) { free(maps); free(sets); fprintf(stderr, "ckpt: out of memory\n"); return EXIT_INPUT; }
    enum { O_PREVIEW = CLI_OPT_FIRST_CMD, O_MAP, O_SET };
    static const struct option rows[] = {{"json", no_argument, NULL, CLI_OPT_JSON},
                                         {"preview", required_argument, NULL, O_PREVIEW},
                                         {"map", required_argument, NULL, O_MAP},
                                         {"set", required_argument, NULL, O_SET}, {0}};
    cli_args args;
    if (cli_args_init(&args, "maps", argc, argv, rows)) { rc = cli_oom(); goto out; }
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_PREVIEW) path = ov;
        else if (oc == O_MAP) maps[nmaps++] = ov;
        else if (oc == O_SET) sets[nsets++] = ov;
    }
    if (oc == 0 && args.npos > 1) { cli_usage("maps", "one NAME only"); oc = -1; }
    if (oc == 0 && args.npos == 1) name = args.pos[0];
    cli_args_free(&args);
    if (oc < 0) { rc = EXIT_USAGE; goto out; }
    if (path) {
        if (name) maps[nmaps++] = NULL; /* placeholder replaced below */
        if (name) {
            static char spec[256];
            snprintf(spec, sizeof spec, "%s%s", strncmp(name, "preset:", 7) ? "preset:" : "", name);
            maps[nmaps - 1] = spec;
        }
        if (!nmaps) { rc = cli_usage("maps", "--preview PATH needs --map SPEC (or a preset NAME)"); goto out; }
        rc = preview(path, maps, nmaps, sets, nsets, json);
        goto out;
    }
    if (nmaps || nsets) { rc = cli_usage("maps", "--map/--set go with --preview PATH"); goto out; }
    if (name) {
        const char *n = strncmp(name, "preset:", 7) ? name : name + 7;
        const char *t = ckpt_preset_text(n);
        if (!t) { rc = cli_usage("maps", "no preset '%s' (see `ckpt maps`)", n); goto out; }
        fputs(t, stdout);
        goto out;
    }
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < ckpt_preset_count(); i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", ckpt_preset_name(i));
            cJSON_AddStringToObject(o, "description", ckpt_preset_desc(i));
            ckpt_remap *r = NULL;
            ckpt_err e;
            ckpt_err_clear(&e);
            char spec[128];
            snprintf(spec, sizeof spec, "preset:%s", ckpt_preset_name(i));
            if (!ckpt_remap_load(spec, &r, &e)) cJSON_AddNumberToObject(o, "rules", ckpt_remap_nrules(r));
            ckpt_remap_free(r);
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cli_json_safe(cJSON_PrintUnformatted(arr));
        if (s) puts(s);
        free(s);
        cJSON_Delete(arr);
    } else {
        for (int i = 0; i < ckpt_preset_count(); i++) printf("%-20s %s\n", ckpt_preset_name(i), ckpt_preset_desc(i));
        printf("\nuse: ckpt convert IN -o OUT --map preset:NAME; ckpt maps NAME prints its rules\n");
    }
out:
    free(maps);
    free(sets);
    return rc;
}
