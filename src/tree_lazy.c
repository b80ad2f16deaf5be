/* tree_lazy.c: the default tree built as it is shown.
 *
 * A folded group holds its tensors as a range of `perm`. Unfolding it is
 * one pass over that range, making a node per distinct next name part,
 * then a counting sort that gives each child group a range of its own.
 * A browser opening a 1M-tensor model thus makes the nodes of the groups
 * it shows, not two million: the whole tree at 100k tensors is 17 MiB of
 * nodes, and time to build. Unfolded in full, it is the tree that
 * ckpt__tree_from_names builds (tests/unit/test_core.c compares them). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ckpt_fold {
    int *perm;       /* tensor indices: a folded group's are perm[lo..hi) */
    int *lo, *hi;    /* by node, room for cap nodes */
    int cap;
    int nfolded;     /* groups still folded: at 0 the ranges go */
};

void ckpt__fold_free(struct ckpt_fold *f)
{
    if (!f) return;
    free(f->perm);
    free(f->lo);
    free(f->hi);
    free(f);
}

static int fold_room(ckpt_model *m, ckpt_err *err)
{
    struct ckpt_fold *f = m->fold;
    if (m->capnodes <= f->cap) return 0;
    int nc = m->capnodes;
    int *lo = realloc(f->lo, (size_t)nc * sizeof *lo);
    if (lo) f->lo = lo;
    int *hi = lo ? realloc(f->hi, (size_t)nc * sizeof *hi) : NULL;
    if (!hi) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    f->hi = hi;
    f->cap = nc;
    return 0;
}

int ckpt__fold_start(ckpt_model *m, ckpt_err *err)
{
    if (m->fold || !m->tree_lazy) return 0;
    struct ckpt_fold *f = calloc(1, sizeof *f);
    if (f) f->perm = malloc((size_t)(m->ntensors ? m->ntensors : 1) * sizeof *f->perm);
    if (!f || !f->perm) {
        free(f);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    ckpt__tree_pick_sep(m);
    if (ckpt__tree_root(m, err)) { ckpt__fold_free(f); return err ? err->code : CKPT_E_NOMEM; }
    m->fold = f;
    m->tree_lazy = 0;
    if (fold_room(m, err)) return err ? err->code : CKPT_E_NOMEM;
    ckpt_node *r = &m->nodes[0];
    for (int i = 0; i < m->ntensors; i++) {
        f->perm[i] = i;
        r->nparams += m->tensors[i].nelems;
        r->nbytes += m->tensors[i].nbytes;
    }
    r->ntensors = m->ntensors;
    f->lo[0] = 0;
    f->hi[0] = m->ntensors;
    if (m->ntensors) { r->flags |= CKPT_NF_FOLDED; f->nfolded = 1; }
    return 0;
}

/* ---- the child groups met while unfolding one group, by name ---- */

typedef struct { int *slot; size_t cap, n; } kidtab;

static uint32_t part_hash(const char *c, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)c[i]) * 16777619u;
    return h;
}

static int kid_find(const kidtab *kt, const ckpt_model *m, const char *c, size_t len)
{
    if (!kt->cap) return -1;
    for (size_t i = part_hash(c, len) & (kt->cap - 1);; i = (i + 1) & (kt->cap - 1)) {
        int k = kt->slot[i];
        if (k < 0) return -1;
        const char *nm = m->nodes[k].name;
        if (!strncmp(nm, c, len) && !nm[len]) return k;
    }
}

static int kid_put(kidtab *kt, const ckpt_model *m, int node)
{
    if (2 * (kt->n + 1) > kt->cap) {   /* load at most 1/2 */
        size_t nc = kt->cap ? kt->cap * 2 : 64;
        int *ns = malloc(nc * sizeof *ns);
        if (!ns) return -1;
        memset(ns, 0xff, nc * sizeof *ns);
        for (size_t i = 0; i < kt->cap; i++)
            if (kt->slot[i] >= 0) {
                const char *nm = m->nodes[kt->slot[i]].name;
                size_t j = part_hash(nm, strlen(nm)) & (nc - 1);
                while (ns[j] >= 0) j = (j + 1) & (nc - 1);
                ns[j] = kt->slot[i];
            }
        free(kt->slot);
        kt->slot = ns;
        kt->cap = nc;
    }
    const char *nm = m->nodes[node].name;
    size_t j = part_hash(nm, strlen(nm)) & (kt->cap - 1);
    while (kt->slot[j] >= 0) j = (j + 1) & (kt->cap - 1);
    kt->slot[j] = node;
    kt->n++;
    return 0;
}

/* ---- unfolding ---- */

static void add_counts(ckpt_node *n, const ckpt_tensor *t)
{
    n->ntensors++;
    n->nparams += t->nelems;
    n->nbytes += t->nbytes;
}

/* The node for perm[j]'s next name part under g (`off` bytes in): its
 * leaf, or the child group, made when new. kid[j] gets the group's
 * ordinal among the new nodes (from base), or -1 for a leaf. */
static int place_tensor(ckpt_model *m, int g, size_t off, int t, int base, kidtab *kt,
                        int *last, int *kid, ckpt_err *err)
{
    const char *name = m->tensors[t].name, *c = name + off, *e = strchr(c, m->sep);
    if (!e) {   /* a leaf, its path the tensor's name ("a." has an empty one) */
        int n = ckpt__node_add_path(m, g, c, name, err);
        if (n < 0) return -1;
        m->nodes[n].tensor = t;
        m->tensors[t].node = n;
        add_counts(&m->nodes[n], &m->tensors[t]);
        *kid = -1;
        return 0;
    }
    size_t len = (size_t)(e - c);
    int ch = -1;
    /* names come grouped: mostly the previous tensor's group again */
    if (*last >= 0) {
        const char *pn = m->nodes[*last].name;
        if (!strncmp(pn, c, len) && !pn[len]) ch = *last;
    }
    if (ch < 0) ch = kid_find(kt, m, c, len);
    if (ch < 0) {
        const char *path = ckpt__pool_strndup(m->pool, name, (size_t)(e - name));
        if (!path) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
        if ((ch = ckpt__node_add_path(m, g, path + off, path, err)) < 0) return -1;
        m->nodes[ch].flags |= CKPT_NF_FOLDED;
        m->fold->nfolded++;   /* with the flag: a failed unfold takes both back */
        if (kid_put(kt, m, ch)) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    }
    add_counts(&m->nodes[ch], &m->tensors[t]);
    *last = ch;
    *kid = ch - base;
    return 0;
}

/* Each new child group's range of perm[lo..): a counting sort by kid[]
 * (leaves drop out), skipped when the groups already come in order. */
static int give_ranges(ckpt_model *m, int lo, int k, const int *kid, int base, ckpt_err *err)
{
    struct ckpt_fold *f = m->fold;
    int nk = m->nnodes - base, inorder = 1;
    for (int j = 0, prev = 0; j < k && inorder; j++) {
        if (kid[j] < 0 || kid[j] < prev) inorder = 0;
        else prev = kid[j];
    }
    int *cnt = calloc((size_t)nk + 1, sizeof *cnt);
    int *tmp = inorder ? NULL : malloc((size_t)(k ? k : 1) * sizeof *tmp);
    if (!cnt || (!inorder && !tmp)) {
        free(cnt);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    for (int j = 0; j < k; j++)
        if (kid[j] >= 0) cnt[kid[j] + 1]++;
    for (int i = 0; i < nk; i++) cnt[i + 1] += cnt[i];
    for (int i = 0; i < nk; i++) {
        f->lo[base + i] = lo + cnt[i];
        f->hi[base + i] = lo + cnt[i + 1];
    }
    if (!inorder) {
        int total = cnt[nk];
        for (int j = 0; j < k; j++)
            if (kid[j] >= 0) tmp[cnt[kid[j]]++] = f->perm[lo + j];
        memcpy(f->perm + lo, tmp, (size_t)total * sizeof *tmp);
    }
    free(cnt);
    free(tmp);
    return 0;
}

static int unfold_one(ckpt_model *m, int g, ckpt_err *err)
{
    struct ckpt_fold *f = m->fold;
    if (!f || !(m->nodes[g].flags & CKPT_NF_FOLDED)) return 0;
    int lo = f->lo[g], k = f->hi[g] - lo, base = m->nnodes, last = -1, rc = 0;
    size_t off = g ? strlen(m->nodes[g].path) + 1 : 0;
    /* room for the most children there can be: address space only (bigbuf) */
    if (k > 1024 && ckpt__tree_reserve(m, m->nnodes + k, err)) return err ? err->code : CKPT_E_NOMEM;
    int *kid = malloc((size_t)(k ? k : 1) * sizeof *kid);
    kidtab kt = {0};
    if (!kid) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    for (int j = 0; j < k && !rc; j++)
        if (place_tensor(m, g, off, f->perm[lo + j], base, &kt, &last, &kid[j], err)) rc = err ? err->code : CKPT_E_NOMEM;
    if (!rc) rc = fold_room(m, err);
    if (!rc) rc = give_ranges(m, lo, k, kid, base, err);
    int *kids = NULL;
    size_t kcap = 0;
    if (!rc) rc = ckpt__tree_sort_kids(m, g, &kids, &kcap, 0, err);
    free(kids);
    free(kid);
    free(kt.slot);
    if (rc) {   /* the node stays folded: its new children go (their pool strings stay) */
        for (int i = base; i < m->nnodes; i++)
            if (m->nodes[i].tensor >= 0) m->tensors[m->nodes[i].tensor].node = -1;
            else if (m->nodes[i].flags & CKPT_NF_FOLDED) f->nfolded--;
        m->nnodes = base;
        m->nodes[g].first_child = m->node_last[g] = -1;
        return rc;
    }
    m->nodes[g].flags &= ~CKPT_NF_FOLDED;
    if (--f->nfolded == 0) {   /* all unfolded: the ranges are of no more use */
        free(f->perm); free(f->lo); free(f->hi);
        f->perm = f->lo = f->hi = NULL;
        f->cap = 0;
    }
    return 0;
}

/* ---- public ---- */

const ckpt_node *ckpt_model_tree(const ckpt_model *cm, int *n)
{
    ckpt_model *m = (ckpt_model *)cm;
    if (n) *n = 0;
    if (!m) return NULL;
    if (m->tree_lazy && !m->fold) {
        ckpt_err e;
        ckpt_err_clear(&e);
        if (ckpt__fold_start(m, &e) && !m->fold) return NULL;   /* out of memory */
    }
    if (n) *n = m->nnodes;
    return m->nnodes ? m->nodes : NULL;
}

int ckpt_model_unfold(const ckpt_model *cm, int node, int all, ckpt_err *err)
{
    ckpt_model *m = (ckpt_model *)cm;
    if (!m || node < 0 || node >= m->nnodes) return ckpt_err_set(err, CKPT_E_USAGE, "no node %d", node);
    if (unfold_one(m, node, err)) return err ? err->code : CKPT_E_NOMEM;
    /* the subtree depth first, each node unfolded as it is met (its new
     * children come next); iterative: deep trees must not recurse */
    for (int c = all ? m->nodes[node].first_child : -1; c >= 0;) {
        if (unfold_one(m, c, err)) return err ? err->code : CKPT_E_NOMEM;
        if (m->nodes[c].first_child >= 0) { c = m->nodes[c].first_child; continue; }
        while (c != node && m->nodes[c].next_sibling < 0) c = m->nodes[c].parent;
        if (c == node) break;
        c = m->nodes[c].next_sibling;
    }
    return 0;
}

int ckpt_model_tensor_node(const ckpt_model *cm, int t)
{
    ckpt_model *m = (ckpt_model *)cm;
    if (!m || t < 0 || t >= m->ntensors) return -1;
    if (m->tensors[t].node >= 0) return m->tensors[t].node;
    if (!m->fold) return ckpt_model_nnodes(m) ? m->tensors[t].node : -1;   /* the whole tree */
    const char *name = m->tensors[t].name;
    int g = 0;
    size_t off = 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    while (m->tensors[t].node < 0) {
        if (unfold_one(m, g, &e)) return -1;
        if (m->tensors[t].node >= 0) break;
        const char *c = name + off, *s = strchr(c, m->sep);
        if (!s) return -1;   /* not under g: cannot happen */
        size_t len = (size_t)(s - c);
        int next = -1;
        for (int k = m->nodes[g].first_child; k >= 0 && next < 0; k = m->nodes[k].next_sibling)
            if (m->nodes[k].tensor < 0 && !strncmp(m->nodes[k].name, c, len) && !m->nodes[k].name[len]) next = k;
        if (next < 0) return -1;
        g = next;
        off = (size_t)(s - name) + 1;
    }
    return m->tensors[t].node;
}
