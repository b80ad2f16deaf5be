/* cmd_convert.c: `ckpt convert IN -o OUT [--to FORMAT] ...` */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/convert.h"
#include "ckpt/remap.h"
#include "args.h"
#include "cli.h"
#include "safe.h"

/* options that pass straight to the writer as key=value */
static const char *const writer_opts[] = {"package", "labels", "model-type", "max-output-ratio", NULL};

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

/* What the command line asked for. */
typedef struct conv_args {
    const char *in, *out, *to;
    int json;
    ckpt_convert_opts o;
    cli_progress prog;
    const char **renames, **maps, **sets;
    int nren, nmaps, nsets;
    char **kv;
    int nkv;
} conv_args;

enum { O_TO = CLI_OPT_FIRST_CMD, O_SHARD, O_RENAME, O_MAP, O_SET, O_DTYPE, O_NAMING, O_INCL, O_OPT,
       O_WRITER /* + index into the writer option names */ };

/* The fixed rows, then every writer option a format declares (.opts), so
 * a new writer's options need no code here. */
typedef struct conv_wnames { const char *name[256]; char buf[4096]; } conv_wnames;

static int conv_rows(cli_args *a, int argc, char **argv, conv_wnames *wn)
{
    static const struct option rows[] = {
        CLI_PROGRESS_ROWS, {"output", required_argument, NULL, 'o'}, {"to", required_argument, NULL, O_TO},
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"shard-size", required_argument, NULL, O_SHARD},
        {"rename", required_argument, NULL, O_RENAME}, {"map", required_argument, NULL, O_MAP},
        {"set", required_argument, NULL, O_SET}, {"dtype", required_argument, NULL, O_DTYPE},
        {"naming", required_argument, NULL, O_NAMING}, {"include-optimizer", no_argument, NULL, O_INCL},
        {"opt", required_argument, NULL, O_OPT}, {0}};
    if (cli_args_init(a, "convert", argc, argv, rows)) return -1;
    const char **names = wn->name;
    char *buf = wn->buf;
    size_t used = 0;
    int n = 0;
    for (int k = 0; writer_opts[k]; k++) names[n++] = writer_opts[k];
    for (int f = 0; f < ckpt_format_count(); f++) {
        const char *p = ckpt_format_opts(f);
        while (*p && n < 255) {
            size_t w = strcspn(p, " "), l = w - (w && p[w - 1] == '!');
            if (l && used + l + 1 < sizeof wn->buf) {
                memcpy(buf + used, p, l);
                buf[used + l] = 0;
                names[n++] = buf + used;
                used += l + 1;
            }
            p += w;
            while (*p == ' ') p++;
        }
    }
    for (int k = 0; k < n; k++) {
        int kind = k < 4 ? 1 : ckpt_writer_opt_kind(names[k]);
        if (cli_args_add(a, names[k], kind == 2 ? no_argument : required_argument, O_WRITER + k)) return -1;
    }
    return 0;
}

/* One option; 0, or the exit code after printing a usage error. */
static int conv_opt(conv_args *c, int id, const char *v, const char **wnames)
{
    int p = cli_progress_opt(&c->prog, "convert", id, v);
    if (p) return p < 0 ? EXIT_USAGE : 0;
    switch (id) {
    case 'o': c->out = v; break;
    case O_TO: c->to = v; break;
    case CLI_OPT_JSON: c->json = 1; break;
    case O_SHARD:
        if (!ckpt_parse_size(v, &c->o.shard_size))
            return cli_usage("convert", "bad size '%s' (examples: 5GB, 500MB, 2GiB)", v);
        break;
    case O_RENAME: c->renames[c->nren++] = v; break;
    case O_MAP: c->maps[c->nmaps++] = v; break;
    case O_SET: c->sets[c->nsets++] = v; break;
    case O_DTYPE:
        c->o.cast = ckpt_dtype_from_name(v);
        if (!c->o.cast || !ckpt_dtype_is_float(c->o.cast))
            return cli_usage("convert", "--dtype wants a floating-point dtype (F32, F16, BF16, F64, ...), got '%s'", v);
        break;
    case O_NAMING: c->o.naming = v; break;
    case O_INCL: c->o.include_optimizer = 1; break;
    case O_OPT:
        if (!strchr(v, '=')) return cli_usage("convert", "--opt wants KEY=VALUE");
        c->kv[c->nkv++] = strdup(v);
        break;
    default:   /* a writer option: "NAME=VALUE", a flag "NAME=1" */
        c->kv[c->nkv++] = cli_kv(wnames[id - O_WRITER], v ? v : "1");
    }
    return 0;
}

static int conv_parse(int argc, char **argv, conv_args *c)
{
    cli_args a;
    conv_wnames wn;
    int id = 0, rc = 0;
    const char *v;
    if (conv_rows(&a, argc, argv, &wn)) { cli_args_free(&a); return cli_oom(); }
    while (!rc && (id = cli_args_next(&a, &v)) > 0) rc = conv_opt(c, id, v, wn.name);
    if (!rc && id < 0) rc = EXIT_USAGE;
    if (!rc && a.npos > 1) rc = cli_usage("convert", "one input only (got '%s' and '%s')", a.pos[0], a.pos[1]);
    if (!rc && a.npos == 1) c->in = a.pos[0];
    cli_args_free(&a);
    if (!rc && !c->in) rc = cli_usage("convert", "missing input");
    if (!rc && !c->out) rc = cli_usage("convert", "missing -o OUT");
    return rc;
}

/* --to, else from the output's name; a directory ("out/") is the Hub's layout */
static int conv_format(conv_args *c)
{
    /* --package zip -o x.zip: the weights inside are safetensors unless --to says otherwise */
    for (int k = 0; !c->to && k < c->nkv; k++)
        if (c->kv[k] && !strncmp(c->kv[k], "package=", 8)) c->to = "safetensors";
    if (!c->to) c->to = ckpt_format_for_output(c->out);
    if (!c->to) {
        size_t ol = strlen(c->out);
        struct stat st;
        if ((ol && c->out[ol - 1] == '/') || (stat(c->out, &st) == 0 && S_ISDIR(st.st_mode))) c->to = "safetensors";
    }
    if (!c->to) return cli_usage("convert", "cannot tell the output format from '%s': give --to FORMAT", c->out);
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    conv_args ca;
    memset(&ca, 0, sizeof ca);
    cli_progress_init(&ca.prog);
    ca.renames = calloc((size_t)argc + 1, sizeof *ca.renames);
    ca.maps = calloc((size_t)argc + 1, sizeof *ca.maps);
    ca.sets = calloc((size_t)argc + 1, sizeof *ca.sets);
    ca.kv = calloc((size_t)argc + 1, sizeof *ca.kv);
    ckpt_remap *remap = NULL;
    int rc;
    if (!ca.renames || !ca.kv || !ca.maps || !ca.sets) { rc = cli_oom(); goto out; }
    if ((rc = conv_parse(argc, argv, &ca)) || (rc = conv_format(&ca))) goto out;
    ckpt_convert_opts o = ca.o;
    cli_progress prog = ca.prog;
    const char *in = ca.in, *out = ca.out, *to = ca.to;
    const char **renames = ca.renames;
    char **kv = ca.kv;
    int json = ca.json, nren = ca.nren, nkv = ca.nkv;

    /* --rename and --map go through one rules list, renames first */
    if (ca.nmaps || ca.nsets) {
        if ((rc = cli_remap_build(renames, nren, ca.maps, ca.nmaps, ca.sets, ca.nsets, &remap))) goto out;
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
    for (int k = 0; k < ca.nkv; k++) free(ca.kv[k]);
    free(ca.kv);
    free(ca.renames);
    free(ca.maps);
    free(ca.sets);
    ckpt_remap_free(remap);
    return rc;
}
