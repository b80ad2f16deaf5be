/* tree.c: the layer tree. Formats that know the architecture build it
 * with ckpt__node_add/attach; otherwise it is derived from the names.
 * Node lookup goes through a path index so building stays linear even for
 * flat models with 100,000 names. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static char sep_of(const ckpt_model *m) { return m->sep ? m->sep : '/'; }

static int ensure_root(ckpt_model *m, ckpt_err *err)
{
    if (m->nnodes) return 0;
    if (!m->node_index && !(m->node_index = ckpt__index_new()))
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!m->pool && !(m->pool = ckpt__pool_new())) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->nodes = ckpt__big_calloc(16, sizeof *m->nodes);
    if (!m->nodes) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->capnodes = 16;
    ckpt_node *r = &m->nodes[0];
    r->name = r->path = "";
    r->parent = -1;
    r->first_child = r->next_sibling = -1;
    r->tensor = -1;
    m->node_last = ckpt__big_alloc(16 * sizeof *m->node_last);
    if (!m->node_last) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->node_last[0] = -1;
    m->caplast = 16;
    m->nnodes = 1;
    return 0;
}

/* PARENT_PATH SEP NAME (or NAME under the root) into out[cap]; the length,
 * which may be >= cap (then out holds nothing useful). */
static size_t child_path_into(const ckpt_model *m, int parent, const char *name, char *out, size_t cap)
{
    const char *pp = m->nodes[parent].path;
    size_t lp = strlen(pp), ln = strlen(name), k = lp ? lp + 1 + ln : ln;
    if (k < cap) {
        if (lp) { memcpy(out, pp, lp); out[lp] = sep_of(m); memcpy(out + lp + 1, name, ln + 1); }
        else memcpy(out, name, ln + 1);
    }
    return k;
}

int ckpt__node_child(const ckpt_model *m, int parent, const char *name)
{
    if (!m->nnodes || parent < 0 || parent >= m->nnodes) return -1;
    if (!m->node_index || m->groups_unindexed) {   /* index gone (after the open) or never filled: the children in turn */
        for (int c = m->nodes[parent].first_child; c >= 0; c = m->nodes[c].next_sibling)
            if (!strcmp(m->nodes[c].name, name)) return c;
        return -1;
    }
    char small[512];
    size_t k = child_path_into(m, parent, name, small, sizeof small);
    if (k < sizeof small) return ckpt__index_get(m->node_index, small);
    char *p = malloc(k + 1);
    if (!p) return -1;
    child_path_into(m, parent, name, p, k + 1);
    int r = ckpt__index_get(m->node_index, p);
    free(p);
    return r;
}

/* Add a node; `path`, when given, is its full path, kept by the model as
 * long as the node (a tensor's name for its leaf), else it is built in the
 * pool. The node's name is the tail of its path. */
static int node_add(ckpt_model *m, int parent, const char *name, const char *kind,
                    const char *alt, unsigned flags, const char *path, int indexed, ckpt_err *err)
{
    if (ensure_root(m, err)) return -1;
    if (parent < 0 || parent >= m->nnodes) {
        ckpt_err_set(err, CKPT_E_USAGE, "bad parent node %d", parent);
        return -1;
    }
    if (m->nnodes >= m->capnodes) {
        int nc = m->capnodes * 2;
        void *np = ckpt__big_realloc(m->nodes, (size_t)nc * sizeof *m->nodes);
        if (!np) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
        m->nodes = np;
        m->capnodes = nc;
    }
    if (!path) {
        size_t k = child_path_into(m, parent, name, NULL, 0);
        char *p = ckpt__pool_alloc(m->pool, k + 1);
        if (!p) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
        child_path_into(m, parent, name, p, k + 1);
        path = p;
    }
    int idx = m->nnodes;
    ckpt_node *n = &m->nodes[idx];
    memset(n, 0, sizeof *n);
    n->path = path;
    n->name = path + strlen(path) - strlen(name);
    n->kind = kind ? strdup(kind) : NULL;
    n->alt_name = alt ? strdup(alt) : NULL;
    if ((kind && !n->kind) || (alt && !n->alt_name)) {
        free((char *)n->kind); free((char *)n->alt_name);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    }
    n->parent = parent;
    n->first_child = n->next_sibling = -1;
    n->tensor = -1;
    n->depth = m->nodes[parent].depth + 1;
    n->flags = flags;
    if (m->capnodes > m->caplast) {
        void *nl = ckpt__big_realloc(m->node_last, (size_t)m->capnodes * sizeof *m->node_last);
        if (!nl) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
        m->node_last = nl;
        m->caplast = m->capnodes;
    }
    m->node_last[idx] = -1;
    /* append as the last child; node_last keeps long child lists linear */
    ckpt_node *p = &m->nodes[parent];
    if (p->first_child < 0) p->first_child = idx;
    else m->nodes[m->node_last[parent]].next_sibling = idx;
    m->node_last[parent] = idx;
    m->nnodes++;
    /* a second node with the same path keeps the first in the index */
    if (!m->node_index && !(m->node_index = ckpt__index_new()))
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    if (indexed && ckpt__index_put(m->node_index, n->path, idx) == -2)
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), -1;
    return idx;
}

int ckpt__node_add(ckpt_model *m, int parent, const char *name, const char *kind,
                   const char *alt, unsigned flags, ckpt_err *err)
{
    return node_add(m, parent, name, kind, alt, flags, NULL, 1, err);
}

int ckpt__node_add_path(ckpt_model *m, int parent, const char *name, const char *path, ckpt_err *err)
{
    return node_add(m, parent, name, NULL, NULL, 0, path, 0, err);
}

int ckpt__node_attach(ckpt_model *m, int parent, const char *leaf, int t, ckpt_err *err)
{
    int n = ckpt__node_add(m, parent, leaf, NULL, NULL, 0, err);
    if (n < 0) return -1;
    m->nodes[n].tensor = t;
    m->tensors[t].node = n;
    return n;
}

/* ---- tree from names ---- */

/* qsort_r: the TUI opens models from background threads, so no globals */
static int cmp_child(const void *a, const void *b, void *ud)
{
    const ckpt_model *cm = ud;
    const ckpt_node *x = &cm->nodes[*(const int *)a], *y = &cm->nodes[*(const int *)b];
    int c = ckpt__natcmp(x->name, y->name);
    return c ? c : (*(const int *)a - *(const int *)b);
}

/* Room for n nodes at once: no copy while 200,000 nodes go in. Filled in
 * order, the room left costs address space only (fresh mappings from
 * 2 MiB up). */
int ckpt__tree_reserve(ckpt_model *m, int n, ckpt_err *err)
{
    if (n > m->capnodes) {
        void *np = ckpt__big_realloc(m->nodes, (size_t)n * sizeof *m->nodes);
        if (!np) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        m->nodes = np;
        m->capnodes = n;
    }
    if (n > m->caplast) {
        void *nl = ckpt__big_realloc(m->node_last, (size_t)n * sizeof *m->node_last);
        if (!nl) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        m->node_last = nl;
        m->caplast = n;
    }
    return 0;   /* not the path index: hashed, all its pages would be touched */
}

#define TREE_REVISIT (-100)   /* a group came back after others: build again with the index */

/* The nodes of every tensor name. With `indexed` each group is looked up
 * in (and put in) the path index; without, a group that is not on the
 * previous name's path is taken to be new, which holds when names come
 * grouped, as files write them: a group met again shows up afterwards as
 * two sibling groups of one name (sort_children). */
static int names_to_nodes(ckpt_model *m, int indexed, ckpt_err *err)
{
    char *buf = NULL;
    size_t cap = 0;
    /* the group nodes of the previous name, by depth: a name that shares
     * a prefix with it (the usual case, names in file order) finds those
     * groups without a lookup */
    int prevn[64];
    const char *prev = "";
    for (int i = 0; i < m->ntensors; i++) {
        const char *name = m->tensors[i].name;
        size_t l = strlen(name), same = 0;
        while (name[same] && name[same] == prev[same]) same++;
        int depth = 0;
        if (l + 1 > cap) {
            cap = l + 64;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
            buf = nb;
        }
        /* buf is the name; cut at each separator in turn it is the path of
         * the group node to find or make (no path is built for a lookup).
         * Leaves stay out of the path index: lookups here want groups. */
        memcpy(buf, name, l + 1);
        int node = 0;
        char *seg = buf;
        for (;;) {
            char *s = strchr(seg, m->sep);
            if (!s) {
                /* the leaf, its path the tensor's name; an empty last segment ("a.") still gets a node */
                int n = node_add(m, node, seg, NULL, NULL, 0, name, 0, err);
                if (n < 0) { free(buf); return err ? err->code : CKPT_E_NOMEM; }
                m->nodes[n].tensor = i;
                m->tensors[i].node = n;
                break;
            }
            *s = 0;
            int c = (size_t)(s - buf) < same && depth < 64 ? prevn[depth]
                  : indexed ? ckpt__index_get(m->node_index, buf) : -1;
            if (c < 0 || m->nodes[c].tensor >= 0) {
                /* a group; reuse an existing group node but never a tensor leaf */
                int g = -1;
                if (c >= 0) {
                    /* a tensor already has this path: look for a group sibling */
                    for (int k = m->nodes[node].first_child; k >= 0; k = m->nodes[k].next_sibling)
                        if (m->nodes[k].tensor < 0 && !strcmp(m->nodes[k].name, seg)) { g = k; break; }
                }
                if (g < 0) {
                    const char *gp = ckpt__pool_strndup(m->pool, buf, (size_t)(s - buf));
                    if (gp) g = node_add(m, node, seg, NULL, NULL, 0, gp, indexed, err);
                    else ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
                }
                if (g < 0) { free(buf); return err ? err->code : CKPT_E_NOMEM; }
                c = g;
            }
            *s = m->sep;
            if (depth < 64) prevn[depth] = c;
            depth++;
            node = c;
            seg = s + 1;
        }
        prev = name;
    }
    free(buf);
    return 0;
}

/* In kids[0..k) (sorted: equal names side by side), two groups of one name? */
static int twin_groups(const ckpt_model *m, const int *kids, size_t k)
{
    for (size_t j = 0; j < k;) {
        size_t e = j + 1, groups = m->nodes[kids[j]].tensor < 0;
        while (e < k && !strcmp(m->nodes[kids[e]].name, m->nodes[kids[j]].name))
            groups += m->nodes[kids[e++]].tensor < 0;
        if (groups > 1) return 1;
        j = e;
    }
    return 0;
}

/* Natural order of p's children (kids: scratch, grown as needed); with
 * `twins`, TREE_REVISIT when p has two group children of one name. */
int ckpt__tree_sort_kids(ckpt_model *m, int p, int **kids, size_t *kcap, int twins, ckpt_err *err)
{
    size_t k = 0;
    for (int c = m->nodes[p].first_child; c >= 0; c = m->nodes[c].next_sibling) {
        if (k >= *kcap) {
            size_t nc = *kcap ? *kcap * 2 : 64;
            int *nk = realloc(*kids, nc * sizeof **kids);
            if (!nk) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            *kids = nk;
            *kcap = nc;
        }
        (*kids)[k++] = c;
    }
    if (k < 2) return 0;
    int *kd = *kids;
    size_t q = 1;   /* names in file order are mostly in order already: no sort then */
    while (q < k && ckpt__natcmp(m->nodes[kd[q - 1]].name, m->nodes[kd[q]].name) < 0) q++;
    if (q == k) return 0;   /* strictly increasing: no two of one name either */
    qsort_r(kd, k, sizeof *kd, cmp_child, m);
    if (twins && twin_groups(m, kd, k)) return TREE_REVISIT;
    m->nodes[p].first_child = kd[0];
    for (size_t j = 0; j + 1 < k; j++) m->nodes[kd[j]].next_sibling = kd[j + 1];
    m->nodes[kd[k - 1]].next_sibling = -1;
    m->node_last[p] = kd[k - 1];
    return 0;
}

static int sort_children(ckpt_model *m, int twins, ckpt_err *err)
{
    int *kids = NULL;
    size_t kcap = 0;
    int rc = 0;
    for (int p = 0; p < m->nnodes && !rc; p++) rc = ckpt__tree_sort_kids(m, p, &kids, &kcap, twins, err);
    free(kids);
    return rc;
}

void ckpt__tree_pick_sep(ckpt_model *m)
{
    int slash = 0;
    for (int i = 0; i < m->ntensors && !slash; i++)
        if (strchr(m->tensors[i].name, '/')) slash = 1;
    m->sep = slash ? '/' : '.';
}

int ckpt__tree_root(ckpt_model *m, ckpt_err *err) { return ensure_root(m, err) ? (err ? err->code : CKPT_E_NOMEM) : 0; }

int ckpt__tree_from_names(ckpt_model *m, ckpt_err *err)
{
    ckpt__tree_pick_sep(m);
    if (ensure_root(m, err)) return err ? err->code : CKPT_E_NOMEM;
    /* a leaf a tensor, and up to twice as many groups: the usual names
     * have one or two a tensor ("layers.3.mlp.up.weight"); past use, the
     * room is address space only */
    if (m->ntensors > 1024 && m->ntensors < INT32_MAX / 3 &&
        ckpt__tree_reserve(m, m->nnodes + 3 * m->ntensors, err))
        return err ? err->code : CKPT_E_NOMEM;
    /* From the root alone, first without the path index (a lookup and an
     * insert per group, a third of the build); if a group came back, the
     * nodes go and the build runs again with it (their pool strings stay
     * until close). */
    int bare = m->nnodes == 1 && m->nodes[0].first_child < 0;
    int rc = names_to_nodes(m, !bare, err);
    if (!rc) rc = sort_children(m, bare, err);
    if (rc == TREE_REVISIT) {
        m->nnodes = 1;
        m->nodes[0].first_child = m->node_last[0] = -1;
        for (int i = 0; i < m->ntensors; i++) m->tensors[i].node = -1;
        rc = names_to_nodes(m, 1, err);
        if (!rc) rc = sort_children(m, 0, err);
    } else if (!rc && bare) {
        m->groups_unindexed = 1;   /* ckpt__node_child walks the children instead */
    }
    if (rc) return rc;
    m->tree_built = 1;
    return 0;
}

int ckpt__tree_finish(ckpt_model *m, ckpt_err *err)
{
    if (ensure_root(m, err)) return err ? err->code : CKPT_E_NOMEM;
    /* every tensor must be reachable: attach strays under the root */
    for (int i = 0; i < m->ntensors; i++)
        if (m->tensors[i].node < 0 && ckpt__node_attach(m, 0, m->tensors[i].name, i, err) < 0)
            return err ? err->code : CKPT_E_NOMEM;
    for (int i = 0; i < m->nnodes; i++) {
        m->nodes[i].ntensors = 0;
        m->nodes[i].nparams = 0;
        m->nodes[i].nbytes = 0;
    }
    /* children are always created after their parent: one reverse pass */
    for (int i = m->nnodes - 1; i >= 0; i--) {
        ckpt_node *n = &m->nodes[i];
        if (n->tensor >= 0) {
            n->ntensors += 1;
            n->nparams += m->tensors[n->tensor].nelems;
            n->nbytes += m->tensors[n->tensor].nbytes;
        }
        if (n->parent >= 0) {
            ckpt_node *p = &m->nodes[n->parent];
            p->ntensors += n->ntensors;
            p->nparams += n->nparams;
            p->nbytes += n->nbytes;
        }
    }
    /* the path index serves building only: formats add nodes during open */
    ckpt__index_free(m->node_index);
    m->node_index = NULL;
    return 0;
}
