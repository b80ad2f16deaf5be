/* src/export/template.c: fill templates/ files (see template.h). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/template.h"

void ckpt__tpl_set(tpl_vars *v, const char *k, const char *fmt, ...)
{
    char *buf = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&buf, fmt, ap) < 0) buf = NULL;
    va_end(ap);
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->k[i], k)) { free(v->v[i]); v->v[i] = buf; return; }
    if (v->n >= TPL_MAXVARS) { free(buf); return; }
    v->k[v->n] = ckpt__strdup(k);
    v->v[v->n++] = buf;
}

const char *ckpt__tpl_get(const tpl_vars *v, const char *k)
{
    for (int i = 0; i < v->n; i++)
        if (v->k[i] && !strcmp(v->k[i], k)) return v->v[i];
    return NULL;
}

void ckpt__tpl_vars_free(tpl_vars *v)
{
    for (int i = 0; i < v->n; i++) { free(v->k[i]); free(v->v[i]); }
    v->n = 0;
}

static int truthy(const tpl_vars *v, const char *flag)
{
    int neg = *flag == '!';
    const char *x = ckpt__tpl_get(v, flag + neg);
    int t = x && *x && strcmp(x, "0");
    return neg ? !t : t;
}

/* a directive line: returns 1 (if), 2 (else), 3 (end), 0 (none); flag copied */
static int directive(const char *line, size_t len, char *flag, size_t fn)
{
    while (len && (*line == ' ' || *line == '\t')) { line++; len--; }
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\r')) len--;
    if (len > 9 && !strncmp(line, "{{#if ", 6) && !strncmp(line + len - 2, "}}", 2)) {
        snprintf(flag, fn, "%.*s", (int)(len - 8), line + 6);
        return 1;
    }
    if (len == 10 && !strncmp(line, "{{#else}}", 9)) return 2;
    if (len == 9 && !strncmp(line, "{{#else}}", 9)) return 2;
    if (len == 7 && !strncmp(line, "{{/if}}", 7)) return 3;
    return 0;
}

char *ckpt__tpl_render(const char *text, const tpl_vars *v, const char *origin, ckpt_err *err)
{
    ckpt_sbuf b = {0};
    int keep[32], on[32], depth = 0, lineno = 0;
    for (const char *p = text; *p; ) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char flag[64];
        int d = directive(p, len, flag, sizeof flag);
        int live = depth == 0 || on[depth - 1];
        if (d == 1) {
            if (depth == 32) { free(b.p); ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d: {{#if}} nested too deep", origin, lineno); return NULL; }
            keep[depth] = truthy(v, flag);
            on[depth] = live && keep[depth];
            depth++;
        } else if (d == 2 || d == 3) {
            if (!depth) { free(b.p); ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d: {{#else}} or {{/if}} without {{#if}}", origin, lineno); return NULL; }
            if (d == 2) on[depth - 1] = (depth == 1 || on[depth - 2]) && !keep[depth - 1];
            else depth--;
        } else if (live) {
            for (size_t i = 0; i < len; ) {
                const char *o = memmem(p + i, len - i, "{{", 2);
                const char *c = o ? memmem(o, (size_t)(p + len - o), "}}", 2) : NULL;
                if (!o || !c) { ckpt__sb_add(&b, p + i, len - i); break; }
                ckpt__sb_add(&b, p + i, (size_t)(o - (p + i)));
                char key[64];
                snprintf(key, sizeof key, "%.*s", (int)(c - o - 2), o + 2);
                const char *val = ckpt__tpl_get(v, key);
                if (!val) {
                    free(b.p);
                    ckpt_err_set(err, CKPT_E_FORMAT, "%s:%d: template names {{%s}}, which is not set", origin, lineno, key);
                    return NULL;
                }
                ckpt__sb_add(&b, val, strlen(val));
                i = (size_t)(c + 2 - p);
            }
            ckpt__sb_add(&b, "\n", 1);
        }
        p = nl ? nl + 1 : p + len;
    }
    if (depth) { free(b.p); ckpt_err_set(err, CKPT_E_FORMAT, "%s: {{#if}} not closed at the end", origin); return NULL; }
    if (b.oom || !b.p) { free(b.p); ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); return NULL; }
    return b.p;
}

char *ckpt__tpl_dir(const char *sub)
{
    const char *env = getenv("CKPT_TEMPLATES");
    if (env && *env) {
        char *p = ckpt__path_join(env, sub);
        if (p && ckpt__is_dir(p)) return p;
        free(p);
        return NULL;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *dir = ckpt__path_dirname(exe);
    static const char *const rel[] = {"templates", "../templates", "../../templates", "../share/ckpt/templates"};
    for (size_t i = 0; dir && i < sizeof rel / sizeof rel[0]; i++) {
        char *p = ckpt__asprintf("%s/%s/%s", dir, rel[i], sub);
        if (p && ckpt__is_dir(p)) { free(dir); return p; }
        free(p);
    }
    free(dir);
    return NULL;
}
