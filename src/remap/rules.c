/* src/remap/rules.c: the remap rules object: create and free, `set`
 * variables, loading from a file or a preset, appending, --rename, and
 * what the rules report after an apply (hits, unmatched warnings). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remap/rules.h"

void ckpt__remap_rule_free(rule *r)
{
    free(r->text);
    free(r->origin);
    ckpt__rx_free(r->rx);
    free(r->as_naming);
    for (int i = 0; i < r->ntargets; i++) free(r->targets[i]);
    for (int i = 0; i < r->nops; i++)
        for (int j = 0; j < r->ops[i].ndims; j++) free(r->ops[i].dims[j].var);
    free(r->ops);
}

void ckpt_remap_free(ckpt_remap *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) ckpt__remap_rule_free(&r->r[i]);
    free(r->r);
    for (int i = 0; i < r->nv; i++) { free(r->vk[i]); free(r->vv[i]); }
    free(r->vk); free(r->vv);
    ckpt__rindex_free(r->ix);
    free(r->origin);
    free(r);
}

ckpt_remap *ckpt__remap_new(const char *origin)
{
    ckpt_remap *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->origin = strdup(origin ? origin : "<rules>");
    if (!r->origin) { free(r); return NULL; }
    return r;
}

int ckpt__remap_setvar(ckpt_remap *r, const char *k, const char *v)
{
    for (int i = 0; i < r->nv; i++)
        if (!strcmp(r->vk[i], k)) { char *nv = strdup(v); if (!nv) return -1; free(r->vv[i]); r->vv[i] = nv; return 0; }
    char **nk = realloc(r->vk, (size_t)(r->nv + 1) * sizeof *nk);
    if (!nk) return -1;
    r->vk = nk;
    char **nvv = realloc(r->vv, (size_t)(r->nv + 1) * sizeof *nvv);
    if (!nvv) return -1;
    r->vv = nvv;
    r->vk[r->nv] = strdup(k);
    r->vv[r->nv] = strdup(v);
    if (!r->vk[r->nv] || !r->vv[r->nv]) { free(r->vk[r->nv]); free(r->vv[r->nv]); return -1; }
    r->nv++;
    return 0;
}

int ckpt_remap_set_var(ckpt_remap *r, const char *key, const char *value, ckpt_err *err)
{
    if (!r || !key || !value) return ckpt_err_set(err, CKPT_E_USAGE, "remap variable needs a key and a value");
    if (ckpt__remap_setvar(r, key, value)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    return 0;
}

/* Presets live in presets.c. */
const char *ckpt__preset_text(const char *name);

int ckpt_remap_load(const char *spec, ckpt_remap **out, ckpt_err *err)
{
    *out = NULL;
    if (!spec) return ckpt_err_set(err, CKPT_E_USAGE, "no rules file given");
    if (!strncmp(spec, "preset:", 7)) {
        const char *t = ckpt__preset_text(spec + 7);
        if (!t) {
            char names[512] = "";
            for (int i = 0; i < ckpt_preset_count(); i++) {
                if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
                strncat(names, ckpt_preset_name(i), sizeof names - strlen(names) - 1);
            }
            return ckpt_err_set(err, CKPT_E_USAGE, "no preset '%s' (presets: %s)", spec + 7, names);
        }
        return ckpt_remap_parse(t, spec, out, err);
    }
    char *text = NULL;
    size_t len = 0;
    int rc = ckpt_src_slurp(spec, 16u << 20, &text, &len, err);
    if (rc) { ckpt_err_at_path(err, spec); return rc; }
    rc = ckpt_remap_parse(text, spec, out, err);
    free(text);
    return rc;
}

int ckpt_remap_append(ckpt_remap **rp, const char *spec, ckpt_err *err)
{
    if (!*rp) return ckpt_remap_load(spec, rp, err);
    ckpt_remap *add = NULL;
    int rc = ckpt_remap_load(spec, &add, err);   /* validates on its own first */
    if (rc) return rc;
    ckpt_remap *R = *rp;
    if (R->n + add->n > R->cap) {
        rule *nr = realloc(R->r, (size_t)(R->n + add->n) * sizeof *nr);
        if (!nr) { ckpt_remap_free(add); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
        R->r = nr;
        R->cap = R->n + add->n;
    }
    memcpy(R->r + R->n, add->r, (size_t)add->n * sizeof *add->r);  /* rules move (compiled regexes included) */
    R->n += add->n;
    for (int i = 0; i < add->nv; i++)
        if (ckpt__remap_setvar(R, add->vk[i], add->vv[i])) { add->n = 0; ckpt_remap_free(add); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
    add->n = 0;
    ckpt_remap_free(add);
    return 0;
}

/* "FROM=TO": exact name, or a name prefix ending at a '.' or '/' boundary. */
int ckpt_remap_add_rename(ckpt_remap **rp, const char *ft, ckpt_err *err)
{
    const char *eq = ft ? strchr(ft, '=') : NULL;
    if (!eq || eq == ft || !eq[1])
        return ckpt_err_set(err, CKPT_E_USAGE, "--rename wants FROM=TO, got '%s'", ft ? ft : "");
    if (!*rp && !(*rp = ckpt__remap_new("<rename>"))) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    size_t fl = (size_t)(eq - ft);
    size_t tl = strlen(eq + 1);
    char *line = malloc(fl * 2 + tl * 2 + 32);
    if (!line) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    char *w = line;
    *w++ = '^';
    for (size_t i = 0; i < fl; i++) {
        char ch = ft[i];
        if (ch == ' ' || ch == '\t') { free(line); return ckpt_err_set(err, CKPT_E_USAGE, "--rename: spaces in names are not supported"); }
        if (strchr(".[]()*+?{}|^$\\", ch)) *w++ = '\\';
        *w++ = ch;
    }
    w += sprintf(w, "($|[./]) -> ");
    for (size_t i = 0; i < tl; i++) {
        char ch = eq[1 + i];
        if (ch == ' ' || ch == '\t' || ch == ',' || ch == '|') { free(line); return ckpt_err_set(err, CKPT_E_USAGE, "--rename: bad character '%c' in the target", ch); }
        if (ch == '$') *w++ = '$';
        *w++ = ch;
    }
    strcpy(w, "$1");
    char *save = (*rp)->origin;
    (*rp)->origin = "--rename";
    int rc = ckpt__remap_parse_line(*rp, line, (*rp)->n + 1, err);
    (*rp)->origin = save;
    free(line);
    return rc;
}

int ckpt_remap_nrules(const ckpt_remap *r) { return r ? r->n : 0; }
const char *ckpt_remap_rule_text(const ckpt_remap *r, int i)
{
    return r && i >= 0 && i < r->n ? r->r[i].text : NULL;
}
int ckpt_remap_rule_line(const ckpt_remap *r, int i) { return r && i >= 0 && i < r->n ? r->r[i].line : 0; }

/* Matches of rule i in the last apply/preview; -1 for an optional rule
 * (never reported when unmatched). */
long ckpt_remap_rule_hits(const ckpt_remap *r, int i)
{
    if (!r || i < 0 || i >= r->n) return 0;
    return r->r[i].optional ? -1 : (long)r->r[i].hits;
}

char *ckpt_remap_unmatched_warning(const ckpt_remap *r, int i)
{
    if (r && i >= 0 && i < r->n && r->r[i].as_naming && r->r[i].nonames) {
        /* matched, but the format had no such name for some: they went on
         * to the rules below under their own names */
        const rule *x = &r->r[i];
        return ckpt__asprintf("%s:%d:%d: %lu tensor%s matched but %s no @%s name (%s); the rules below named %s",
                              x->origin, x->line, x->col, x->nonames, x->nonames == 1 ? "" : "s",
                              x->nonames == 1 ? "has" : "have", x->as_naming,
                              !strcmp(x->as_naming, "keras3") ? "no Keras model config places them" : "the input format gives none",
                              x->nonames == 1 ? "it" : "them");
    }
    if (ckpt_remap_rule_hits(r, i) != 0) return NULL;
    const rule *x = &r->r[i];
    return ckpt__asprintf("%s:%d:%d: rule matches no tensor: %s", x->origin, x->line, x->col, x->text);
}
