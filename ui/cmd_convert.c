/* cmd_convert.c: `ckpt convert IN -o OUT [--to FORMAT] ...` */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/convert.h"
#include "ckpt/remap.h"
#include "cli.h"
#include "safe.h"

/* options that pass straight to the writer as key=value */
static const char *const writer_opts[] = {"package", "labels", "model-type", "max-output-ratio", "fsync", NULL};

/* "KEY=VALUE", malloc'd (NULL when out of memory: the writer then misses it) */
static char *cli_kv(const char *k, const char *v)
{
    char *s = malloc(strlen(k) + strlen(v) + 2);
    if (s) sprintf(s, "%s=%s", k, v);
    return s;
}

/* Say the output's size once, before its first byte is written. */
typedef struct conv_prog {
    cli_progress *bar;
    const char *out;
    int said;
} conv_prog;

static int conv_progress_cb(void *ud, const ckpt_progress *pr)
{
    conv_prog *c = ud;
    if (!c->said && c->bar->mode == CLI_PROGRESS_BAR) {
        char a[32];
        fprintf(stderr, "ckpt: writing %d tensors (%s) to %s\n", pr->items_total,
                cli_human_bytes(pr->bytes_total, a, sizeof a), c->out);
    }
    c->said = 1;
    return cli_progress_cb(c->bar, pr);
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL, *to = NULL;
    int json = 0, rc;
    ckpt_convert_opts o;
    memset(&o, 0, sizeof o);
    cli_progress prog;
    cli_progress_init(&prog);
    const char **renames = calloc((size_t)argc, sizeof *renames);
    const char **maps = calloc((size_t)argc, sizeof *maps);
    const char **sets = calloc((size_t)argc, sizeof *sets);
    int nmaps = 0, nsets = 0;
    ckpt_remap *remap = NULL;
    char **kv = calloc((size_t)argc, sizeof *kv);
    int nren = 0, nkv = 0;
    if (!renames || !kv || !maps || !sets) {
        fprintf(stderr, "ckpt: out of memory\n");
        return EXIT_INPUT;
    }
#define NEED_ARG() do { if (i + 1 >= argc) { rc = cli_usage("convert", "%s needs a value", a); goto out; } } while (0)
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_progress_arg(&prog, a)) continue;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) { NEED_ARG(); out = argv[++i]; }
        else if (!strcmp(a, "--to")) { NEED_ARG(); to = argv[++i]; }
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--shard-size")) {
            NEED_ARG();
            if (!ckpt_parse_size(argv[++i], &o.shard_size)) {
                rc = cli_usage("convert", "bad size '%s' (examples: 5GB, 500MB, 2GiB)", argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--rename")) { NEED_ARG(); renames[nren++] = argv[++i]; }
        else if (!strcmp(a, "--map")) { NEED_ARG(); maps[nmaps++] = argv[++i]; }
        else if (!strcmp(a, "--set")) {
            NEED_ARG();
            if (!strchr(argv[i + 1], '=')) { rc = cli_usage("convert", "--set wants KEY=N"); goto out; }
            sets[nsets++] = argv[++i];
        }
        else if (!strcmp(a, "--dtype")) {
            NEED_ARG();
            o.cast = ckpt_dtype_from_name(argv[++i]);
            if (!o.cast || !ckpt_dtype_is_float(o.cast)) {
                rc = cli_usage("convert", "--dtype wants a floating-point dtype (F32, F16, BF16, F64, ...), got '%s'", argv[i]);
                goto out;
            }
        } else if (!strcmp(a, "--naming")) { NEED_ARG(); o.naming = argv[++i]; }
        else if (!strcmp(a, "--include-optimizer")) o.include_optimizer = 1;
        else if (!strcmp(a, "--opt")) {
            NEED_ARG();
            if (!strchr(argv[i + 1], '=')) { rc = cli_usage("convert", "--opt wants KEY=VALUE"); goto out; }
            kv[nkv++] = strdup(argv[++i]);
        } else if (a[0] == '-' && a[1] == '-') {
            int known = 0;
            for (int k = 0; writer_opts[k]; k++)
                if (!strcmp(a + 2, writer_opts[k])) {
                    NEED_ARG();
                    kv[nkv++] = cli_kv(writer_opts[k], argv[i + 1]);
                    i++;
                    known = 1;
                }
            /* options a writer declares in its format entry (ckpt_format_opts) */
            int kind = known ? 0 : ckpt_writer_opt_kind(a + 2);
            if (kind == 2) kv[nkv++] = cli_kv(a + 2, "1");
            else if (kind == 1) {
                NEED_ARG();
                kv[nkv++] = cli_kv(a + 2, argv[++i]);
            } else if (!known) { rc = cli_usage("convert", "unknown option '%s'", a); goto out; }
        } else if (a[0] == '-' && a[1]) { rc = cli_usage("convert", "unknown option '%s'", a); goto out; }
        else if (in) { rc = cli_usage("convert", "one input only (got '%s' and '%s')", in, a); goto out; }
        else in = a;
    }
#undef NEED_ARG
    if (!in) { rc = cli_usage("convert", "missing input"); goto out; }
    if (!out) { rc = cli_usage("convert", "missing -o OUT"); goto out; }
    if (!to) {
        /* --package zip -o x.zip: the weights inside are safetensors unless --to says otherwise */
        for (int k = 0; k < nkv; k++)
            if (kv[k] && !strncmp(kv[k], "package=", 8)) to = "safetensors";
    }
    if (!to) to = ckpt_format_for_output(out);
    /* a directory output ("out/") is the Hub's layout: sharded safetensors */
    if (!to) {
        size_t ol = strlen(out);
        struct stat st;
        if ((ol && out[ol - 1] == '/') || (stat(out, &st) == 0 && S_ISDIR(st.st_mode))) to = "safetensors";
    }
    if (!to) { rc = cli_usage("convert", "cannot tell the output format from '%s': give --to FORMAT", out); goto out; }

    /* --rename and --map go through one rules list, renames first */
    if (nmaps || nsets) {
        ckpt_err rerr;
        ckpt_err_clear(&rerr);
        for (int k = 0; k < nren && !rerr.code; k++) ckpt_remap_add_rename(&remap, renames[k], &rerr);
        for (int k = 0; k < nmaps && !rerr.code; k++) ckpt_remap_append(&remap, maps[k], &rerr);
        for (int k = 0; k < nsets && !rerr.code; k++) {
            char key[128];
            const char *eq = strchr(sets[k], '=');
            snprintf(key, sizeof key, "%.*s", (int)(eq - sets[k]), sets[k]);
            if (!remap) ckpt_remap_parse("", "--set", &remap, &rerr);
            if (!rerr.code) ckpt_remap_set_var(remap, key, eq + 1, &rerr);
        }
        if (rerr.code) { rc = cli_fail(&rerr); goto out; }
        nren = 0;
    }
    ckpt_model *m;
    rc = cli_open(in, &m);
    if (rc) goto out;
    o.to = to;
    o.out = out;
    o.renames = renames;
    o.nrenames = nren;
    o.remap = remap;
    o.kv = (const char *const *)kv;
    o.nkv = nkv;
    conv_prog cp = {.bar = &prog, .out = out};
    o.progress = conv_progress_cb;
    o.progress_ud = &cp;
    cli_install_signals();
    ckpt_convert_result res;
    ckpt_err err;
    ckpt_err_clear(&err);
    int crc = ckpt_convert(m, &o, &res, &err);
    cli_progress_done(&prog);
    if (res.stale_removed)
        fprintf(stderr, "ckpt: removed %d temporary file%s left by killed conversions beside %s\n", res.stale_removed,
                res.stale_removed == 1 ? "" : "s", out);
    /* rules that matched nothing (the plan is built, and checked, before any byte is written) */
    for (int k = 0; remap && k < ckpt_remap_nrules(remap) && (!crc || err.code != CKPT_E_FORMAT); k++) {
        char *w = ckpt_remap_unmatched_warning(remap, k);
        if (w) fprintf(stderr, "ckpt: warning: %s\n", cli_esc(w));
        free(w);
    }
    if (crc) {
        rc = cli_fail(&err);
    } else {
        rc = EXIT_OK;
        char a[32];
        if (json) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "input", in);
            cJSON_AddStringToObject(r, "format", to);
            cJSON_AddStringToObject(r, "output", res.main_path[0] ? res.main_path : out);
            cJSON_AddNumberToObject(r, "tensors", res.ntensors);
            cJSON_AddNumberToObject(r, "bytes", (double)res.nbytes);
            cJSON_AddNumberToObject(r, "files", res.nfiles);
            char *s = cli_json_safe(cJSON_PrintUnformatted(r));
            if (s) puts(s);
            free(s);
            cJSON_Delete(r);
        } else if (prog.mode != CLI_PROGRESS_NONE) {
            fprintf(stderr, "wrote %d tensors (%s) in %d file%s: %s\n", res.ntensors,
                    cli_human_bytes(res.nbytes, a, sizeof a), res.nfiles, res.nfiles == 1 ? "" : "s",
                    res.main_path[0] ? res.main_path : out);
        }
    }
    ckpt_close(m);
out:
    for (int k = 0; k < nkv; k++) free(kv[k]);
    free(kv);
    free(renames);
    free(maps);
    free(sets);
    ckpt_remap_free(remap);
    return rc;
}
