/* Unit tests of the TF.js reader's model side: the tree built from a layers
 * model's config (layer classes as node kinds), the model config kept, and
 * the manifest parser's path rules. Prints PASS/FAIL lines for tests/run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/fmt_tfjs.h"

static int failures;

static void ok(const char *name, int cond, const char *why)
{
    if (cond) printf("PASS %s\n", name);
    else { printf("FAIL %s: %s\n", name, why); failures++; }
}

static void manifest(const char *name, const char *json, const char *want)
{
    ckpt_err err;
    ckpt_err_clear(&err);
    tfjs_manifest mf;
    int rc = ckpt__tfjs_parse_manifest(json, strlen(json), "m/model.json", &mf, &err);
    if (!want) { ok(name, rc == 0, err.msg); if (!rc) ckpt__tfjs_manifest_free(&mf); return; }
    if (!rc) ckpt__tfjs_manifest_free(&mf);
    ok(name, rc && strstr(err.msg, want), rc ? err.msg : "accepted");
}

#define W "\"weights\":[{\"name\":\"w\",\"shape\":[2],\"dtype\":\"float32\"}]"

int main(void)
{
    manifest("manifest_ok", "{\"weightsManifest\":[{\"paths\":[\"a/b.bin\"]," W "}]}", NULL);
    manifest("manifest_dotdot", "{\"weightsManifest\":[{\"paths\":[\"a/../../b.bin\"]," W "}]}", "'..' in path");
    manifest("manifest_dotdot_end", "{\"weightsManifest\":[{\"paths\":[\"a/..\"]," W "}]}", "'..' in path");
    manifest("manifest_abs", "{\"weightsManifest\":[{\"paths\":[\"/etc/passwd\"]," W "}]}", "absolute path");
    manifest("manifest_drive", "{\"weightsManifest\":[{\"paths\":[\"C:x.bin\"]," W "}]}", "URL or drive path");
    manifest("manifest_backslash", "{\"weightsManifest\":[{\"paths\":[\"a\\\\..\\\\b\"]," W "}]}", "backslash");
    manifest("manifest_no_paths", "{\"weightsManifest\":[{\"paths\":[]," W "}]}", "no shard paths");
    manifest("manifest_rank", "{\"weightsManifest\":[{\"paths\":[\"x\"],\"weights\":[{\"name\":\"w\","
             "\"shape\":[1,1,1,1,1,1,1,1,1],\"dtype\":\"float32\"}]}]}", "rank 9");
    manifest("manifest_f16_int", "{\"weightsManifest\":[{\"paths\":[\"x\"],\"weights\":[{\"name\":\"w\","
             "\"shape\":[1],\"dtype\":\"int32\",\"quantization\":{\"dtype\":\"float16\"}}]}]}", "float16 quantization");
    manifest("manifest_format", "{\"format\":\"x\",\"weightsManifest\":[]}", "unknown TF.js format");
    /* a bare manifest (face-api.js): the groups array alone, same rules */
    manifest("bare_manifest_ok", "[{\"paths\":[\"m-shard1\"]," W "}]", NULL);
    manifest("bare_manifest_dotdot", "[{\"paths\":[\"../m-shard1\"]," W "}]", "'..' in path");
    manifest("bare_manifest_group", "[{\"paths\":[\"m-shard1\"]}]", "needs \"paths\" and \"weights\"");
    {
        const char *js = "[{\"paths\":[\"a\"]," W "},{\"paths\":[\"b\"]," W "}]";
        tfjs_manifest mf;
        ckpt_err e;
        ckpt_err_clear(&e);
        int rc = ckpt__tfjs_parse_manifest(js, strlen(js), "m-weights_manifest.json", &mf, &e);
        ok("bare_manifest_groups", rc == 0 && mf.bare && !mf.graph && mf.ng == 2 && mf.nw == 2 &&
           mf.w[1].group == 1 && !strcmp(mf.g[1].paths[0], "b"), rc ? e.msg : "wrong groups");
        if (!rc) ckpt__tfjs_manifest_free(&mf);
    }

    const char *fix = "../shared/fixtures/real/tfjs_layers/tfjsex-abalone";
    struct stat st;
    if (stat(fix, &st) != 0) {
        printf("SKIP tfjs_layers_tree: skipped: ../shared missing\n");
        return failures ? 1 : 0;
    }
    ckpt_err err;
    ckpt_err_clear(&err);
    ckpt_model *m;
    if (ckpt_open(fix, &m, &err)) { ok("tfjs_open", 0, err.msg); return 1; }
    int dense = 0, layer_flag = 1;
    for (int i = 0; i < ckpt_model_nnodes(m); i++) {
        const ckpt_node *n = ckpt_model_node(m, i);
        if (!strncmp(n->name, "dense_Dense", 11) && n->tensor < 0) {
            if (n->kind && !strcmp(n->kind, "Dense")) dense++;
            if (!(n->flags & CKPT_NF_LAYER)) layer_flag = 0;
        }
    }
    ok("tfjs_layers_tree_kinds", dense == 3, "layer nodes without their Dense class");
    ok("tfjs_layers_tree_flags", layer_flag, "layer nodes not flagged as layers");
    const char *cfg = ckpt_model_config(m);
    ok("tfjs_layers_config", cfg && strstr(cfg, "\"class_name\":\"Sequential\"") && !strstr(cfg, "keras_version"),
       cfg ? cfg : "no config");
    ckpt_close(m);
    return failures ? 1 : 0;
}
