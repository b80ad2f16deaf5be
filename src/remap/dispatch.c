/* src/remap/dispatch.c: which rules can match a name, before any regex
 * runs. Most rules start with an anchored literal prefix (^model\.layers\.17\.);
 * a rule can only match a name that starts with its prefix, so the rules
 * are indexed by prefix and a name's candidates are a bitmap: the
 * prefix-matching rules plus those with no prefix. The table hashes
 * prefixes with FNV-1a, which runs left to right, so one pass over the
 * name gives the hash of each of its prefixes: a name costs one byte loop
 * and one probe per distinct prefix length, whatever the number of rules. */
#include <stdlib.h>
#include <string.h>

#include "remap/rules.h"

typedef struct pslot { char *key; size_t len; uint64_t h; int *rules; int nr; } pslot;

struct ckpt_rule_index {
    int n;                     /* rules indexed (rebuilt when the rules grow) */
    int nwords;
    uint64_t *always;          /* rules with no literal prefix */
    unsigned char *is_len;     /* is_len[l]: some prefix is l bytes long (l <= maxlen) */
    size_t maxlen;
    pslot *slot;               /* open addressing, cap a power of two; key NULL: empty */
    size_t cap;
};

#define FNV_BASIS 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv(const char *s, size_t l)
{
    uint64_t h = FNV_BASIS;
    for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)s[i]) * FNV_PRIME;
    return h;
}

static uint64_t fmix(uint64_t h) { h ^= h >> 33; h *= 0xff51afd7ed558ccdull; h ^= h >> 33; return h; }

void ckpt__rindex_free(struct ckpt_rule_index *ix)
{
    if (!ix) return;
    for (size_t i = 0; i < ix->cap; i++) { free(ix->slot[i].key); free(ix->slot[i].rules); }
    free(ix->slot);
    free(ix->always);
    free(ix->is_len);
    free(ix);
}

/* the slot of prefix p (l bytes, FNV hash h), or the empty one it would take */
static pslot *find(const struct ckpt_rule_index *ix, const char *p, size_t l, uint64_t h)
{
    size_t j = fmix(h) & (ix->cap - 1);
    while (ix->slot[j].key && !(ix->slot[j].h == h && ix->slot[j].len == l && !memcmp(ix->slot[j].key, p, l)))
        j = (j + 1) & (ix->cap - 1);
    return &ix->slot[j];
}

static int add_rule(struct ckpt_rule_index *ix, int i, const char *p, size_t l)
{
    uint64_t h = fnv(p, l);
    pslot *ps = find(ix, p, l, h);
    if (!ps->key) {
        if (!(ps->key = strndup(p, l))) return -1;
        ps->len = l;
        ps->h = h;
        ix->is_len[l] = 1;
    }
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
    ix->cap = 16;
    while (ix->cap < (size_t)R->n * 2) ix->cap *= 2;   /* at most half full: short probes */
    for (int i = 0; i < R->n; i++) {
        size_t l = 0;
        if (ckpt__rx_prefix(R->r[i].rx, &l) && l > ix->maxlen) ix->maxlen = l;
    }
    ix->always = calloc((size_t)(ix->nwords ? ix->nwords : 1), sizeof *ix->always);
    ix->slot = calloc(ix->cap, sizeof *ix->slot);
    ix->is_len = calloc(ix->maxlen + 1, 1);
    if (!ix->always || !ix->slot || !ix->is_len) { ckpt__rindex_free(ix); return NULL; }
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

void ckpt__cand_fill(cand *c, const char *name, size_t len)
{
    const struct ckpt_rule_index *ix = c->ix;
    if (!ix) {   /* no index (out of memory): every rule is a candidate */
        memset(c->bits, 0xff, (size_t)c->nwords * sizeof *c->bits);
        return;
    }
    memcpy(c->bits, ix->always, (size_t)c->nwords * sizeof *c->bits);
    size_t top = len < ix->maxlen ? len : ix->maxlen;
    uint64_t h = FNV_BASIS;
    for (size_t l = 1; l <= top; l++) {
        h = (h ^ (unsigned char)name[l - 1]) * FNV_PRIME;
        if (!ix->is_len[l]) continue;
        const pslot *ps = find(ix, name, l, h);
        for (int j = 0; j < ps->nr; j++) {
            int i = ps->rules[j];
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
