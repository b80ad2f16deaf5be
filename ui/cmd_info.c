/* cmd_info.c: `ckpt info PATH [--json]`: what a person wants to know first. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "safe.h"
#include "shown.h"

typedef struct dt_count {
    int tensors;
    unsigned long long params, bytes;
} dt_count;

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    static const struct option rows[] = {{"json", no_argument, NULL, CLI_OPT_JSON}, {0}};
    cli_args args;
    if (cli_args_init(&args, "info", argc, argv, rows)) return cli_oom();
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0)
        if (oc == CLI_OPT_JSON) json = 1;
    if (oc < 0 || cli_args_one(&args, "PATH", &path)) { cli_args_free(&args); return EXIT_USAGE; }
    cli_args_free(&args);
    ckpt_model *m;
    int rc = cli_open(path, &m);
    if (rc) return rc;

    dt_count hist[CKPT_DT_COUNT];
    memset(hist, 0, sizeof hist);
    int n = ckpt_model_ntensors(m), nopt = 0;
    unsigned long long filebytes = 0, optbytes = 0;
    for (int i = 0; i < n; i++) {
        const ckpt_tensor *t = ckpt_model_tensor(m, i);
        if (t->flags & CKPT_TF_OPTIMIZER) {
            nopt++;
            optbytes += t->nbytes;
            continue;
        }
        hist[t->dtype].tensors++;
        hist[t->dtype].params += t->nelems;
        hist[t->dtype].bytes += t->nbytes;
    }
    for (int i = 0; i < ckpt_model_nfiles(m); i++) {
        uint64_t sz;
        ckpt_model_file(m, i, &sz);
        filebytes += sz;
    }
    unsigned long long params = ckpt_model_nparams(m), bytes = ckpt_model_nbytes(m);

    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "path", ckpt_model_path(m));
        cJSON_AddStringToObject(root, "format", ckpt_model_format(m));
        cJSON *files = cJSON_AddArrayToObject(root, "files");
        for (int i = 0; i < ckpt_model_nfiles(m); i++) {
            uint64_t sz;
            const char *p = ckpt_model_file(m, i, &sz);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "path", p);
            cJSON_AddNumberToObject(o, "size", (double)sz);
            cJSON_AddItemToArray(files, o);
        }
        cJSON_AddNumberToObject(root, "tensors", n - nopt);
        cJSON_AddNumberToObject(root, "parameters", (double)params);
        cJSON_AddNumberToObject(root, "bytes", (double)bytes);
        if (nopt) {
            cJSON_AddNumberToObject(root, "optimizer_tensors", nopt);
            cJSON_AddNumberToObject(root, "optimizer_bytes", (double)optbytes);
        }
        cJSON *dts = cJSON_AddObjectToObject(root, "dtypes");
        for (int d = 1; d < CKPT_DT_COUNT; d++) {
            if (!hist[d].tensors) continue;
            cJSON *o = cJSON_AddObjectToObject(dts, ckpt_dtype_name((ckpt_dtype)d));
            cJSON_AddNumberToObject(o, "tensors", hist[d].tensors);
            cJSON_AddNumberToObject(o, "parameters", (double)hist[d].params);
            cJSON_AddNumberToObject(o, "bytes", (double)hist[d].bytes);
        }
        cJSON *meta = cJSON_AddObjectToObject(root, "metadata");
        for (int i = 0; i < ckpt_model_nmeta(m); i++) {
            const char *k, *v;
            ckpt_model_meta(m, i, &k, &v);
            cJSON_AddStringToObject(meta, k, v);
        }
        cJSON *facts = cJSON_AddObjectToObject(root, "facts");
        for (int i = 0; i < ckpt_model_nfacts(m); i++) {
            const char *k, *v;
            ckpt_model_fact(m, i, &k, &v);
            cJSON_AddStringToObject(facts, k, v);
        }
        char *s = cli_json_safe(cJSON_PrintUnformatted(root));
        if (s) puts(s);
        free(s);
        cJSON_Delete(root);
        ckpt_close(m);
        return EXIT_OK;
    }

    char a[64], b[64];
    printf("%-12s %s\n", "path:", cli_esc(ckpt_model_path(m)));
    printf("%-12s %s\n", "format:", ckpt_model_format(m));
    int nf = ckpt_model_nfiles(m);
    printf("%-12s %d (%s)\n", "files:", nf, cli_human_bytes(filebytes, a, sizeof a));
    if (nf > 1)
        for (int i = 0; i < nf && i < 20; i++) {
            uint64_t sz;
            const char *p = ckpt_model_file(m, i, &sz);
            printf("  %-10s %s (%s)\n", "", cli_esc(p), cli_human_bytes(sz, a, sizeof a));
        }
    printf("%-12s %s\n", "tensors:", cli_human_count((unsigned long long)(n - nopt), a, sizeof a));
    printf("%-12s %s\n", "parameters:", cli_human_count(params, a, sizeof a));
    printf("%-12s %s (%s bytes)\n", "size:", cli_human_bytes(bytes, a, sizeof a), cli_human_count(bytes, b, sizeof b));
    if (nopt) printf("%-12s %d tensors, %s (not counted above)\n", "optimizer:", nopt, cli_human_bytes(optbytes, a, sizeof a));
    printf("dtypes:\n");
    for (int d = 1; d < CKPT_DT_COUNT; d++) {
        if (!hist[d].tensors) continue;
        printf("  %-8s %6d tensors %16s params %12s\n", ckpt_dtype_name((ckpt_dtype)d), hist[d].tensors,
               cli_human_count(hist[d].params, a, sizeof a), cli_human_bytes(hist[d].bytes, b, sizeof b));
    }
    if (ckpt_model_nfacts(m)) {
        printf("model:\n");
        for (int i = 0; i < ckpt_model_nfacts(m); i++) {
            const char *k, *v;
            ckpt_model_fact(m, i, &k, &v);
            char *sv = shown_value(v, 0);   /* a fact may quote a file's string (general.name) */
            printf("  %-22s %s\n", cli_esc(k), sv ? sv : "");
            free(sv);
        }
    }
    if (ckpt_model_nmeta(m)) {
        printf("metadata:\n");
        for (int i = 0; i < ckpt_model_nmeta(m); i++) {
            const char *k, *v;
            ckpt_model_meta(m, i, &k, &v);
            /* long values (model_config, a chat template) would drown the
             * summary; --json has them exactly */
            char *sv = shown_value(v, strlen(v) > 200 ? 160 : 0);
            printf("  %-22s %s\n", cli_esc(k), sv ? sv : "");
            free(sv);
        }
    }
    ckpt_close(m);
    return EXIT_OK;
}
