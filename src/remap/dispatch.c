/* src/remap/dispatch.c: which rules can match a name, before any regex
 * runs. Most rules start with an anchored literal prefix (^model\.layers\.17\.);
 * a rule can only match a name that starts with its prefix, so the rules
 * are indexed by prefix (one hash lookup per distinct prefix length) and a
 * name's candidates are a bitmap: the prefix-matching rules plus those with
 * no prefix. 200 per-layer rules then cost a few lookups per name instead
 * of 200 comparisons. */
#include <stdlib.h>
#include <string.h>

#include "remap/rules.h"

typedef struct pslot { char *key; int *rules; int nr; } pslot;

struct ckpt_rule_index {
    int n;                     /* rules indexed (rebuilt when the rules grow) */
    int nwords;
    uint64_t *always;          /* rules with no literal prefix */
    size_t *lens;              /* distinct prefix lengths, ascending */
    int nlens;
    size_t maxlen;
    pslot *slot;
    int nslot;
    struct ckpt_name_index *by_prefix;   /* prefix -> slot */
};

void ckpt__rindex_free(struct ckpt_rule_index *ix)
{
    if (!ix) return;
    ckpt__index_free(ix->by_prefix);
    for (int i = 0; i < ix->nslot; i++) { free(ix->slot[i].key); free(ix->slot[i].rules); }
    free(ix->slot);
    free(ix->always);
    free(ix->lens);
    free(ix);
}

static int add_len(struct ckpt_rule_index *ix, size_t l)
{
    int k = 0;
    while (k < ix->nlens && ix->lens[k] < l) k++;
    if (k < ix->nlens && ix->lens[k] == l) return 0;
    size_t *nl = realloc(ix->lens, (size_t)(ix->nlens + 1) * sizeof *nl);
    if (!nl) return -1;
    ix->lens = nl;
    memmove(nl + k + 1, nl + k, (size_t)(ix->nlens - k) * sizeof *nl);
    nl[k] = l;
    ix->nlens++;
    if (l > ix->maxlen) ix->maxlen = l;
    return 0;
}

static int add_rule(struct ckpt_rule_index *ix, int i, const char *p, size_t l)
{
    char *key = strndup(p, l);
    if (!key) return -1;
    int s = ckpt__index_get(ix->by_prefix, key);
    if (s < 0) {
        pslot *ns = realloc(ix->slot, (size_t)(ix->nslot + 1) * sizeof *ns);
        if (!ns) { free(key); return -1; }
        ix->slot = ns;
        s = ix->nslot++;
        ix->slot[s] = (pslot){key, NULL, 0};
        if (ckpt__index_put(ix->by_prefix, key, s) == -2 || add_len(ix, l)) return -1;
    } else {
        free(key);
    }
    pslot *ps = &ix->slot[s];
    int *nr = realloc(ps->rules, (size_t)(ps->nr + 1) * sizeof *nr);
    if (!nr) return -1;
    ps->rules = nr;
    nr[ps->nr++] = i;
    return 0;
}

static struct ckpt_rule_index *rindex_build(const ckpt_remap *R)
{
    struct ckpt_rule_index *ix = calloc(1, sizeof *ix);
    if (!ix) return NULL;
    ix->n = R->n;
    ix->nwords = (R->n + 63) / 64;
    ix->always = calloc((size_t)(ix->nwords ? ix->nwords : 1), sizeof *ix->always);
    ix->by_prefix = ckpt__index_new();
    if (!ix->always || !ix->by_prefix) { ckpt__rindex_free(ix); return NULL; }
    for (int i = 0; i < R->n; i++) {
        size_t l = 0;
        const char *p = ckpt__rx_prefix(R->r[i].rx, &l);
        if (!p || !l) ix->always[i / 64] |= 1ull << (i % 64);
        else if (add_rule(ix, i, p, l)) { ckpt__rindex_free(ix); return NULL; }
    }
    return ix;
}

/* The index of R, built on first use and again when rules were added.
 * Not thread-safe on first use: callers build it (ckpt__remap_plan, or
 * ckpt__rules_for with one thread) before sharing R between threads. */
static const struct ckpt_rule_index *rindex_of(const ckpt_remap *R)
{
    ckpt_remap *w = (ckpt_remap *)R;
    if (w->ix && w->ix->n == R->n) return w->ix;
    ckpt__rindex_free(w->ix);
    w->ix = rindex_build(R);
    return w->ix;
}

int ckpt__cand_init(cand *c, const ckpt_remap *R)
{
    memset(c, 0, sizeof *c);
    c->ix = rindex_of(R);
    int nw = (R->n + 63) / 64;
    c->bits = nw <= (int)(sizeof c->local / sizeof c->local[0]) ? c->local : malloc((size_t)nw * sizeof *c->bits);
    c->nwords = nw;
    c->n = R->n;
    return c->bits ? 0 : -1;
}

void ckpt__cand_free(cand *c)
{
    if (c->bits != c->local) free(c->bits);
    c->bits = NULL;
}

void ckpt__cand_fill(cand *c, const char *name)
{
    const struct ckpt_rule_index *ix = c->ix;
    if (!ix) {   /* no index (out of memory): every rule is a candidate */
        memset(c->bits, 0xff, (size_t)c->nwords * sizeof *c->bits);
        return;
    }
    memcpy(c->bits, ix->always, (size_t)c->nwords * sizeof *c->bits);
    size_t len = strlen(name);
    char buf[PAT_MAX + 1];
    for (int k = 0; k < ix->nlens && ix->lens[k] <= len; k++) {
        size_t l = ix->lens[k];
        memcpy(buf, name, l);
        buf[l] = 0;
        int s = ckpt__index_get(ix->by_prefix, buf);
        if (s < 0) continue;
        for (int j = 0; j < ix->slot[s].nr; j++) {
            int i = ix->slot[s].rules[j];
            c->bits[i / 64] |= 1ull << (i % 64);
        }
    }
}

int ckpt__cand_next(const cand *c, int from)
{
    if (from >= c->n) return -1;
    int w = from / 64;
    uint64_t b = c->bits[w] & (~0ull << (from % 64));
    for (;;) {
        if (b) {
            int i = w * 64 + __builtin_ctzll(b);
            return i < c->n ? i : -1;
        }
        if (++w >= c->nwords) return -1;
        b = c->bits[w];
    }
}
