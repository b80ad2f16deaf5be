/* cmd_diff.c: `ckpt diff A B [--map FILE] [--json] [--values [--atol X --rtol Y]]
 * [--include-optimizer]`.
 * Exit 0 when identical (under the tolerances), 1 when they differ. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt/diff.h"
#include "ckpt/remap.h"
#include "args.h"
#include "cli.h"
#include "safe.h"

static void shp(int nd, const int64_t *s, char *b, size_t n)
{
    size_t l = (size_t)snprintf(b, n, "[");
    for (int d = 0; d < nd && l < n; d++) l += (size_t)snprintf(b + l, n - l, "%s%lld", d ? ", " : "", (long long)s[d]);
    if (l < n) snprintf(b + l, n - l, "]");
}

static cJSON *jshape(int nd, const int64_t *s)
{
    cJSON *a = cJSON_CreateArray();
    for (int d = 0; d < nd; d++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s[d]));
    return a;
}

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*v) && *v >= 0;
}

int cmd_diff(int argc, char **argv)
{
    const char *pa = NULL, *pb = NULL;
    int json = 0, rc;
    ckpt_diff_opts o;
    memset(&o, 0, sizeof o);
    cli_progress prog;
    cli_progress_init(&prog);
    const char **maps = calloc((size_t)argc + 1, sizeof *maps);
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    int nmaps = 0, nsets = 0;
    ckpt_remap *map = NULL;
    ckpt_model *A = NULL, *B = NULL;
    ckpt_diff *d = NULL;
    if (!maps || !sets) { free(maps); free(sets); fprintf(stderr, "ckpt: out of memory\n"); return EXIT_INPUT; }
    enum { O_VALUES = CLI_OPT_FIRST_CMD, O_INCL, O_MAP, O_SET, O_ATOL, O_RTOL };
    static const struct option rows[] = {
        CLI_PROGRESS_ROWS, {"json", no_argument, NULL, CLI_OPT_JSON}, {"values", no_argument, NULL, O_VALUES},
        {"include-optimizer", no_argument, NULL, O_INCL}, {"map", required_argument, NULL, O_MAP},
        {"set", required_argument, NULL, O_SET}, {"atol", required_argument, NULL, O_ATOL},
        {"rtol", required_argument, NULL, O_RTOL}, {0}};
    cli_args args;
    if (cli_args_init(&args, "diff", argc, argv, rows)) { rc = cli_oom(); goto out; }
    const char *ov;
    int oc;
    while ((oc = cli_args_next(&args, &ov)) > 0) {
        int p = cli_progress_opt(&prog, "diff", oc, ov);
        if (p < 0) { oc = -1; break; }
        if (p) continue;
        if (oc == CLI_OPT_JSON) json = 1;
        else if (oc == O_VALUES) o.values = 1;
        else if (oc == O_INCL) o.include_optimizer = 1;
        else if (oc == O_MAP) maps[nmaps++] = ov;
        else if (oc == O_SET) sets[nsets++] = ov;
        else if (!parse_num(ov, oc == O_ATOL ? &o.atol : &o.rtol)) {
            cli_usage("diff", "--%s wants a non-negative number, got '%s'", cli_args_name(&args, oc), ov);
            oc = -1;
            break;
        }
    }
    if (oc == 0 && args.npos > 2) { cli_usage("diff", "two checkpoints only"); oc = -1; }
    if (oc == 0 && args.npos < 2) { cli_usage("diff", "wants two checkpoints: ckpt diff A B"); oc = -1; }
    if (oc == 0) { pa = args.pos[0]; pb = args.pos[1]; }
    cli_args_free(&args);
    if (oc < 0) { rc = EXIT_USAGE; goto out; }
    if ((o.atol > 0 || o.rtol > 0) && !o.values) { rc = cli_usage("diff", "--atol/--rtol go with --values"); goto out; }
    ckpt_err err;
    ckpt_err_clear(&err);
    if ((rc = cli_remap_build(NULL, 0, maps, nmaps, sets, nsets, &map))) goto out;
    if ((rc = cli_open(pa, &A))) goto out;
    if ((rc = cli_open(pb, &B))) goto out;
    o.map_a = map;
    if (o.values) {
        o.progress = cli_progress_cb;
        o.progress_ud = &prog;
        cli_install_signals();
    }
    rc = ckpt_diff_models(A, B, &o, &d, &err);
    if (o.values) cli_progress_done(&prog);
    if (rc) { rc = cli_fail(&err); goto out; }
    for (int i = 0; i < d->nwarn; i++) fprintf(stderr, "ckpt: warning: %s\n", cli_esc(d->warn[i]));
    char s1[160], s2[160];
    if (json) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "a", pa);
        cJSON_AddStringToObject(r, "b", pb);
        cJSON_AddBoolToObject(r, "differ", d->differ);
        cJSON *sm = cJSON_AddObjectToObject(r, "summary");
        cJSON_AddNumberToObject(sm, "common", d->ncommon);
        cJSON_AddNumberToObject(sm, "only_a", d->nonly_a);
        cJSON_AddNumberToObject(sm, "only_b", d->nonly_b);
        cJSON_AddNumberToObject(sm, "shape", d->nshape);
        cJSON_AddNumberToObject(sm, "dtype", d->ndtype);
        cJSON_AddNumberToObject(sm, "renames", d->nrename);
        if (o.values) cJSON_AddNumberToObject(sm, "values", d->nvalues);
        /* optimizer state left out: said, never silent */
        cJSON_AddNumberToObject(sm, "optimizer_not_compared", d->nopt_a + d->nopt_b);
        cJSON *oa = cJSON_AddArrayToObject(r, "only_a"), *ob = cJSON_AddArrayToObject(r, "only_b");
        cJSON *ch = cJSON_AddArrayToObject(r, "changed"), *rn = cJSON_AddArrayToObject(r, "renames");
        cJSON *vals = o.values ? cJSON_AddArrayToObject(r, "values") : NULL;
        for (int i = 0; i < d->n; i++) {
            const ckpt_diff_entry *e = &d->v[i];
            cJSON *x = cJSON_CreateObject();
            if (e->flags & (CKPT_DIFF_ONLY_A | CKPT_DIFF_ONLY_B)) {
                int isa = e->flags & CKPT_DIFF_ONLY_A;
                cJSON_AddStringToObject(x, "name", isa ? e->a : e->b);
                cJSON_AddStringToObject(x, "dtype", ckpt_dtype_name(isa ? e->dtype_a : e->dtype_b));
                cJSON_AddItemToObject(x, "shape", isa ? jshape(e->ndim_a, e->shape_a) : jshape(e->ndim_b, e->shape_b));
                cJSON_AddItemToArray(isa ? oa : ob, x);
                continue;
            }
            cJSON_AddStringToObject(x, "a", e->a);
            cJSON_AddStringToObject(x, "b", e->b);
            cJSON_AddItemToObject(x, "shape_a", jshape(e->ndim_a, e->shape_a));
            cJSON_AddItemToObject(x, "shape_b", jshape(e->ndim_b, e->shape_b));
            cJSON_AddStringToObject(x, "dtype_a", ckpt_dtype_name(e->dtype_a));
            cJSON_AddStringToObject(x, "dtype_b", ckpt_dtype_name(e->dtype_b));
            if (e->flags & CKPT_DIFF_RENAME) {
                cJSON_AddNumberToObject(x, "score", round(e->score * 1000) / 1000);
                cJSON_AddItemToArray(rn, x);
                continue;
            }
            if (e->flags & (CKPT_DIFF_SHAPE | CKPT_DIFF_DTYPE)) {
                cJSON *y = cJSON_Duplicate(x, 1);
                cJSON_AddBoolToObject(y, "shape_differs", (e->flags & CKPT_DIFF_SHAPE) != 0);
                cJSON_AddBoolToObject(y, "dtype_differs", (e->flags & CKPT_DIFF_DTYPE) != 0);
                cJSON_AddItemToArray(ch, y);
            }
            if (vals && (e->flags & CKPT_DIFF_COMPARED)) {
                cJSON *v = cJSON_CreateObject();
                cJSON_AddStringToObject(v, "name", e->a);
                cJSON_AddNumberToObject(v, "max_abs", e->max_abs);
                cJSON_AddNumberToObject(v, "max_rel", e->max_rel);
                cJSON_AddNumberToObject(v, "over_tolerance", (double)e->nover);
                cJSON_AddNumberToObject(v, "elements", (double)e->nelems);
                cJSON_AddItemToArray(vals, v);
            }
            cJSON_Delete(x);
        }
        char *s = cli_json_safe(cJSON_PrintUnformatted(r));
        if (s) puts(s);
        free(s);
        cJSON_Delete(r);
    } else {
        double gabs = 0, grel = 0;
        for (int i = 0; i < d->n; i++) {
            const ckpt_diff_entry *e = &d->v[i];
            if (e->flags & CKPT_DIFF_ONLY_A) {
                shp(e->ndim_a, e->shape_a, s1, sizeof s1);
                printf("only in A  %s  %s %s\n", cli_esc(e->a), ckpt_dtype_name(e->dtype_a), s1);
            } else if (e->flags & CKPT_DIFF_ONLY_B) {
                shp(e->ndim_b, e->shape_b, s1, sizeof s1);
                printf("only in B  %s  %s %s\n", cli_esc(e->b), ckpt_dtype_name(e->dtype_b), s1);
            } else if (e->flags & CKPT_DIFF_RENAME) {
                shp(e->ndim_a, e->shape_a, s1, sizeof s1);
                printf("renamed?   %s -> %s  %s (score %.2f)\n", cli_esc(e->a), cli_esc(e->b), s1, e->score);
            } else {
                if (e->flags & CKPT_DIFF_SHAPE) {
                    shp(e->ndim_a, e->shape_a, s1, sizeof s1);
                    shp(e->ndim_b, e->shape_b, s2, sizeof s2);
                    printf("shape      %s  %s -> %s\n", cli_esc(e->a), s1, s2);
                }
                if (e->flags & CKPT_DIFF_DTYPE)
                    printf("dtype      %s  %s -> %s\n", cli_esc(e->a), ckpt_dtype_name(e->dtype_a), ckpt_dtype_name(e->dtype_b));
                if (e->flags & CKPT_DIFF_COMPARED) {
                    if (e->max_abs > gabs) gabs = e->max_abs;
                    if (e->max_rel > grel) grel = e->max_rel;
                }
                if (e->flags & CKPT_DIFF_VALUES)
                    printf("values     %s  max abs %.6g  max rel %.6g  (%llu of %llu elements over tolerance)\n", cli_esc(e->a),
                           e->max_abs, e->max_rel, (unsigned long long)e->nover, (unsigned long long)e->nelems);
            }
        }
        printf("%d common, %d only in A, %d only in B, %d shape, %d dtype, %d probable rename%s",
               d->ncommon, d->nonly_a, d->nonly_b, d->nshape, d->ndtype, d->nrename, d->nrename == 1 ? "" : "s");
        if (o.values) printf(", %d with different values (max abs %.6g, max rel %.6g)", d->nvalues, gabs, grel);
        printf("\n");
        if (d->nopt_a + d->nopt_b)
            printf("%d optimizer tensors not compared (A: %d, B: %d); --include-optimizer to compare\n",
                   d->nopt_a + d->nopt_b, d->nopt_a, d->nopt_b);
    }
    rc = d->differ ? EXIT_FINDINGS : EXIT_OK;
out:
    ckpt_diff_free(d);
    ckpt_close(A);
    ckpt_close(B);
    ckpt_remap_free(map);
    free(maps);
    free(sets);
    return rc;
}
