/* json_pretty.c: JSON text laid out as Python's json.dumps(obj, indent=2,
 * ensure_ascii=False) does, which is how Hugging Face writes config.json
 * (cJSON_Print indents with tabs and puts a tab after each colon). Leaves
 * are printed by cJSON itself, so escaping and numbers stay cJSON's. */
#include <stdlib.h>
#include <string.h>

#include "json_pretty.h"

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256) + n;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void indent(sbuf *b, int depth)
{
    put(b, "\n", 1);
    for (int i = 0; i < depth; i++) put(b, "  ", 2);
}

static void leaf(sbuf *b, const cJSON *j)
{
    char *t = cJSON_PrintUnformatted(j);
    if (!t) { b->oom = 1; return; }
    puts_(b, t);
    free(t);
}

static void value(sbuf *b, const cJSON *j, int depth)
{
    int obj = cJSON_IsObject(j);
    if (!obj && !cJSON_IsArray(j)) { leaf(b, j); return; }
    if (!j->child) { puts_(b, obj ? "{}" : "[]"); return; }
    puts_(b, obj ? "{" : "[");
    for (const cJSON *c = j->child; c; c = c->next) {
        indent(b, depth + 1);
        if (obj) {
            cJSON *k = cJSON_CreateString(c->string ? c->string : "");
            if (!k) { b->oom = 1; return; }
            leaf(b, k);
            cJSON_Delete(k);
            puts_(b, ": ");
        }
        value(b, c, depth + 1);
        if (c->next) puts_(b, ",");
    }
    indent(b, depth);
    puts_(b, obj ? "}" : "]");
}

char *ckpt__json_indent2(const cJSON *j)
{
    sbuf b = {0};
    value(&b, j, 0);
    puts_(&b, "\n");
    if (b.oom) { free(b.s); return NULL; }
    return b.s;
}
