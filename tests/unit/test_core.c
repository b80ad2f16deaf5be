/* test_core.c: the engine's core pieces on their own: errors, dtypes,
 * sizes, natural order, the name tree, output transactions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt/human.h"
#include "internal.h"
#include "check.h"


static void test_err(void)
{
    ckpt_err e;
    ckpt_err_clear(&e);
    ckpt_err_set(&e, CKPT_E_FORMAT, "first %d", 1);
    ckpt_err_set(&e, CKPT_E_IO, "second");
    ckpt_err_at_tensor(&e, "w");
    ckpt_err_at_path(&e, "/x/m.safetensors");
    ckpt_err_at_offset(&e, 42);
    ckpt_err_at_path(&e, "/other");
    char line[512];
    ckpt_err_line(&e, line, sizeof line);
    CHECK("err_first_wins", e.code == CKPT_E_FORMAT && !strcmp(e.msg, "first 1"));
    CHECK("err_line", !strcmp(line, "/x/m.safetensors: tensor 'w': at byte 42: first 1"));
    CHECK("err_exit_codes", ckpt_err_exit_code(&e) == 3);
    ckpt_err_clear(&e);
    ckpt_err_set(&e, CKPT_E_USAGE, "bad\nflag");
    ckpt_err_line(&e, line, sizeof line);
    CHECK("err_usage_exit_2", ckpt_err_exit_code(&e) == 2);
    CHECK("err_one_line", !strchr(line, '\n'));
}

static void test_dtype(void)
{
    CHECK("f16_one", ckpt_f32_to_f16(1.0f) == 0x3c00 && ckpt_f16_to_f32(0x3c00) == 1.0f);
    CHECK("f16_max", ckpt_f32_to_f16(65504.0f) == 0x7bff && ckpt_f32_to_f16(65520.0f) == 0x7c00);
    CHECK("f16_subnormal", ckpt_f16_to_f32(0x0001) == ldexpf(1, -24) && ckpt_f32_to_f16(ldexpf(1, -24)) == 0x0001);
    CHECK("f16_neg_two", ckpt_f32_to_f16(-2.0f) == 0xc000);
    /* 1 + 2^-11 is exactly halfway between 1 and 1+2^-10: ties to even (1.0) */
    CHECK("f16_ties_even", ckpt_f32_to_f16(1.0f + ldexpf(1, -11)) == 0x3c00);
    int bad = 0;
    for (unsigned h = 0; h < 65536; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue; /* NaN */
        if (ckpt_f32_to_f16(ckpt_f16_to_f32((uint16_t)h)) != h) bad++;
    }
    CHECK("f16_roundtrip_all", bad == 0);
    CHECK("bf16_one", ckpt_f32_to_bf16(1.0f) == 0x3f80 && ckpt_bf16_to_f32(0x3f80) == 1.0f);
    /* 1 + 2^-8 is halfway between bf16 1.0 and 1+2^-7: ties to even */
    CHECK("bf16_ties_even", ckpt_f32_to_bf16(1.0f + ldexpf(1, -8)) == 0x3f80);
    CHECK("dtype_names", ckpt_dtype_from_name("BF16") == CKPT_BF16 && !strcmp(ckpt_dtype_name(CKPT_F8_E4M3), "F8_E4M3") &&
                             ckpt_dtype_from_name("f32") == CKPT_DT_INVALID);
    double v[4] = {1.5, -3, 300, NAN};
    int8_t i8[4];
    ckpt_dtype_from_f64(CKPT_I8, v, 4, i8);
    CHECK("cast_saturate", i8[0] == 2 && i8[1] == -3 && i8[2] == 127 && i8[3] == 0);
    unsigned char e4 = 0;
    double one = 1.0, back;
    ckpt_dtype_from_f64(CKPT_F8_E4M3, &one, 1, &e4);
    ckpt_dtype_to_f64(CKPT_F8_E4M3, &e4, 1, &back);
    CHECK("f8_e4m3_one", e4 == 0x38 && back == 1.0);
    double big = 448;
    ckpt_dtype_from_f64(CKPT_F8_E4M3, &big, 1, &e4);
    CHECK("f8_e4m3_max", e4 == 0x7e);
}

static void test_size(void)
{
    uint64_t s = 0;
    CHECK("size_5GB", ckpt_parse_size("5GB", &s) && s == 5000000000ull);
    CHECK("size_MiB", ckpt_parse_size("500MiB", &s) && s == 500ull << 20);
    CHECK("size_plain", ckpt_parse_size("4096", &s) && s == 4096);
    CHECK("size_frac", ckpt_parse_size("1.5G", &s) && s == 1500000000ull);
    CHECK("size_bad", !ckpt_parse_size("5 parsecs", &s) && !ckpt_parse_size("", &s) && !ckpt_parse_size("-1", &s));
}

static void test_natcmp(void)
{
    CHECK("natcmp_numbers", ckpt__natcmp("layers.2", "layers.10") < 0 && ckpt__natcmp("layers.10", "layers.9") > 0);
    CHECK("natcmp_equal", ckpt__natcmp("a1b", "a1b") == 0 && ckpt__natcmp("a", "ab") < 0);
}

static void test_tree(void)
{
    ckpt_model *m = calloc(1, sizeof *m);
    ckpt_err e;
    ckpt_err_clear(&e);
    const char *names[] = {"h.10.w", "h.2.w", "h.2.b", "emb", "h.0.w"};
    int64_t shape[2] = {2, 3};
    for (int i = 0; i < 5; i++) ckpt__model_add_tensor(m, names[i], NULL, CKPT_F32, 2, shape, 0, 0, &e);
    int rc = ckpt__tree_from_names(m, &e) || ckpt__tree_finish(m, &e);
    CHECK("tree_builds", rc == 0 && e.code == CKPT_OK);
    CHECK("tree_sep_dot", m->sep == '.');
    int h = ckpt__node_child(m, 0, "h");
    CHECK("tree_group", h > 0 && m->nodes[h].ntensors == 4 && m->nodes[h].nparams == 24);
    int first = m->nodes[h].first_child;
    int second = m->nodes[first].next_sibling, third = m->nodes[second].next_sibling;
    CHECK("tree_natural_order", !strcmp(m->nodes[first].name, "0") && !strcmp(m->nodes[second].name, "2") &&
                                    !strcmp(m->nodes[third].name, "10"));
    CHECK("tree_root_totals", m->nodes[0].ntensors == 5 && m->nodes[0].nbytes == 5 * 24);
    int w = m->tensors[1].node;
    CHECK("tree_path", w > 0 && !strcmp(m->nodes[w].path, "h.2.w"));
    int nn = -1;
    const ckpt_node *all = ckpt_model_nodes(m, &nn);
    CHECK("tree_nodes_array", nn == ckpt_model_nnodes(m) && all && &all[w] == ckpt_model_node(m, w));
    CHECK("model_find", ckpt_model_find(m, "h.2.b") == 2 && ckpt_model_find(m, "nope") == -1);
    int64_t neg[1] = {-1};
    ckpt_err_clear(&e);
    CHECK("tensor_negative_dim", ckpt__model_add_tensor(m, "bad", NULL, CKPT_F32, 1, neg, 0, 0, &e) < 0 &&
                                     e.code == CKPT_E_FORMAT);
    int64_t huge[3] = {1ll << 40, 1ll << 40, 1ll << 40};
    ckpt_err_clear(&e);
    CHECK("tensor_overflow", ckpt__model_add_tensor(m, "big", NULL, CKPT_F32, 3, huge, 0, 0, &e) < 0);
    ckpt_close(m);
}

/* Groups as n names put them, checked against the names themselves: one
 * node per distinct group path, no two sibling groups of one name, each
 * group's tensor count that of the names under it. `perm` shuffles the
 * order so groups come back after others (the build with the index). */
static int tree_matches(const char **names, int n, int perm)
{
    ckpt_model *m = calloc(1, sizeof *m);
    ckpt_err e;
    ckpt_err_clear(&e);
    int64_t shape[1] = {1};
    for (int i = 0; i < n; i++) {
        int j = perm ? (i * 37 + 11) % n : i;
        ckpt__model_add_tensor(m, names[j], NULL, CKPT_F32, 1, shape, 0, 0, &e);
    }
    int ok = !ckpt__tree_from_names(m, &e);
    int ngroups = 0;   /* distinct prefixes cut at a '.', by brute force */
    for (int i = 0; i < n && ok; i++)
        for (const char *s = strchr(names[i], '.'); s; s = strchr(s + 1, '.')) {
            size_t l = (size_t)(s - names[i]);
            int seen = 0;
            for (int k = 0; k < i && !seen; k++)
                seen = !strncmp(names[k], names[i], l + 1);
            ngroups += !seen;
        }
    ok = ok && m->nnodes == 1 + ngroups + n && ckpt__tree_finish(m, &e) == 0;
    for (int g = 0; g < m->nnodes && ok; g++) {
        const ckpt_node *x = &m->nodes[g];
        if (x->tensor >= 0) { ok = !strcmp(x->path, m->tensors[x->tensor].name); continue; }
        int under = 0;
        size_t l = strlen(x->path);
        for (int i = 0; i < n; i++) under += !g || (!strncmp(names[i], x->path, l) && names[i][l] == '.');
        for (int c = x->first_child; c >= 0 && ok; c = m->nodes[c].next_sibling)
            for (int d = m->nodes[c].next_sibling; d >= 0; d = m->nodes[d].next_sibling)
                if (m->nodes[c].tensor < 0 && m->nodes[d].tensor < 0 && !strcmp(m->nodes[c].name, m->nodes[d].name)) ok = 0;
        ok = ok && x->ntensors == under;
    }
    ckpt_close(m);
    return ok;
}

static void test_tree_revisit(void)
{
    static char buf[240][32];
    const char *names[240];
    for (int i = 0; i < 200; i++) {   /* 20 layers of 10: files write them grouped */
        snprintf(buf[i], sizeof buf[i], "model.layers.%d.p%d.weight", i / 10, i % 10);
        names[i] = buf[i];
    }
    const char *odd[] = {"a.b", "a.b.c", "x.y", "a.b.d", "a.e", "x.y.z", "a", "q.r.s.t", "q.r.u"};
    for (int i = 0; i < 9; i++) names[200 + i] = odd[i];
    CHECK("tree_grouped_names", tree_matches(names, 200, 0));
    CHECK("tree_names_come_back", tree_matches(names, 200, 1));
    CHECK("tree_leaf_and_group_of_one_name", tree_matches(names + 200, 9, 0) && tree_matches(names, 209, 1));
    /* built without the index, a group is still found by name during the open */
    ckpt_model *m = calloc(1, sizeof *m);
    ckpt_err e;
    ckpt_err_clear(&e);
    int64_t shape[1] = {1};
    for (int i = 0; i < 20; i++) ckpt__model_add_tensor(m, names[i], NULL, CKPT_F32, 1, shape, 0, 0, &e);
    int ok = !ckpt__tree_from_names(m, &e);
    int md = ckpt__node_child(m, 0, "model"), ly = ckpt__node_child(m, md, "layers");
    CHECK("tree_child_lookup_unindexed", ok && md > 0 && ly > md && ckpt__node_child(m, ly, "1") > ly &&
                                             ckpt__node_child(m, ly, "7") < 0);
    ckpt_close(m);
}

/* The tree as a depth-first text (names, paths, leaves, counts, flags in
 * sibling order), to compare two builds of it. */
static char *tree_text(const ckpt_model *m)
{
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    int c = 0;
    while (c >= 0 && out) {
        const ckpt_node *x = &m->nodes[c];
        char line[512];
        int k = snprintf(line, sizeof line, "%d|%s|%s|%d|%d|%llu|%llu|%u\n", x->depth, x->name, x->path,
                         x->tensor, x->ntensors, (unsigned long long)x->nparams, (unsigned long long)x->nbytes, x->flags);
        if (len + (size_t)k + 1 > cap) { char *o = realloc(out, cap *= 2); if (!o) { free(out); return NULL; } out = o; }
        memcpy(out + len, line, (size_t)k + 1);
        len += (size_t)k;
        if (x->first_child >= 0) { c = x->first_child; continue; }
        while (c > 0 && m->nodes[c].next_sibling < 0) c = m->nodes[c].parent;
        c = c > 0 ? m->nodes[c].next_sibling : -1;
    }
    return out;
}

static ckpt_model *names_model(const char **names, int n, int perm)
{
    ckpt_model *m = calloc(1, sizeof *m);
    ckpt_err e;
    ckpt_err_clear(&e);
    for (int i = 0; i < n; i++) {
        int j = perm ? (i * 37 + 11) % n : i;
        int64_t shape[2] = {1 + j % 3, 2 + j % 5};
        ckpt__model_add_tensor(m, names[j], NULL, CKPT_F32, 2, shape, 0, 0, &e);
    }
    m->tree_lazy = 1;   /* as ckpt_open leaves a format that built no tree */
    return m;
}

/* The tree built as shown, unfolded in full, is the tree built at once:
 * same nodes, order, paths and counts; and before that it holds only the
 * groups unfolded. */
static int fold_matches(const char **names, int n, int perm)
{
    ckpt_model *a = names_model(names, n, perm), *b = names_model(names, n, perm);
    ckpt_err e;
    ckpt_err_clear(&e);
    int ok = ckpt_model_nnodes(a) > 1;   /* a: built at once */
    int nb = -1;
    const ckpt_node *r = ckpt_model_tree(b, &nb);
    ok = ok && nb == 1 && r && (r->flags & CKPT_NF_FOLDED) && r->ntensors == n &&
         r->nparams == a->nodes[0].nparams && r->nbytes == a->nodes[0].nbytes;
    ok = ok && ckpt_model_unfold(b, 0, 0, &e) == 0;
    /* the root's children alone, each group folded, each leaf not */
    int kids = 0, groups = 0, folded = 0;
    for (int c = b->nodes[0].first_child; c >= 0; c = b->nodes[c].next_sibling) kids++, groups += b->nodes[c].tensor < 0;
    for (int i = 0; i < b->nnodes; i++) folded += (b->nodes[i].flags & CKPT_NF_FOLDED) != 0;
    ok = ok && b->nnodes == 1 + kids && folded == groups;
    int leaf = ckpt_model_tensor_node(b, n - 1);
    ok = ok && leaf > 0 && !strcmp(b->nodes[leaf].path, b->tensors[n - 1].name) && b->nnodes <= a->nnodes;
    ok = ok && ckpt_model_nnodes(b) == a->nnodes;   /* unfolds the rest */
    char *ta = tree_text(a), *tb = tree_text(b);
    ok = ok && ta && tb && !strcmp(ta, tb);
    for (int i = 0; i < n && ok; i++) ok = b->tensors[i].node >= 0 && !strcmp(b->nodes[b->tensors[i].node].path, b->tensors[i].name);
    free(ta);
    free(tb);
    ckpt_close(a);
    ckpt_close(b);
    return ok;
}

static void test_tree_fold(void)
{
    static char buf[1200][40];
    const char *names[1300];
    for (int i = 0; i < 1200; i++) {
        snprintf(buf[i], sizeof buf[i], "model.layers.%d.%s.p%d.weight", i / 12, i % 3 ? "mlp" : "attn", i % 12);
        names[i] = buf[i];
    }
    CHECK("fold: grouped names unfold to the tree built at once", fold_matches(names, 1200, 0));
    CHECK("fold: shuffled names (groups come back) unfold to it", fold_matches(names, 1200, 1));
    const char *odd[] = {"a.b", "a.b.c", "x.y", "a.b.d", "a.e", "x.y.z", "a", "q.r.s.t", "q.r.u", "a.", "a..b", ".z"};
    CHECK("fold: a leaf and a group of one name, empty parts", fold_matches(odd, 12, 0) && fold_matches(odd, 12, 1));
    const char *sl[] = {"enc/l1/kernel", "enc/l1/bias", "dec/l1/kernel", "enc/l10/kernel", "enc/l2/kernel", "dec/x.y", "top"};
    CHECK("fold: '/' names, natural order", fold_matches(sl, 7, 0) && fold_matches(sl, 7, 1));
    const char *flat[] = {"w10", "w2", "w1", "b"};
    CHECK("fold: flat names", fold_matches(flat, 4, 0));
    /* a screenful: unfolding the first group makes its children, not the tree */
    ckpt_model *m = names_model(names, 1200, 0);
    int n = 0;
    ckpt_model_tree(m, &n);
    ckpt_err e;
    ckpt_err_clear(&e);
    int ok = n == 1 && !ckpt_model_unfold(m, 0, 0, &e);
    int md = m->nodes[0].first_child;
    ok = ok && md > 0 && !ckpt_model_unfold(m, md, 0, &e) && !ckpt_model_unfold(m, m->nodes[md].first_child, 0, &e);
    ckpt_model_tree(m, &n);
    CHECK("fold: three unfolds make root, model, layers and its 100 groups", ok && n == 1 + 1 + 1 + 100);
    CHECK("fold: a folded group's counts are whole", ok && m->nodes[m->nodes[m->nodes[md].first_child].first_child].ntensors == 12);
    CHECK("fold: a bad node is a usage error", ckpt_model_unfold(m, n, 0, &e) == CKPT_E_USAGE);
    ckpt_close(m);
}

static void test_txn(void)
{
    char dir[] = "/tmp/ckpt-txn-XXXXXX";
    if (!mkdtemp(dir)) { printf("FAIL txn_setup: mkdtemp\n"); failures++; return; }
    char out[256], sub[256];
    snprintf(out, sizeof out, "%s/a.bin", dir);
    snprintf(sub, sizeof sub, "%s/new/deeper/b.bin", dir);
    ckpt_err e;
    ckpt_err_clear(&e);
    ckpt_txn *t = ckpt_txn_new();
    int fd = ckpt_txn_create(t, out, &e);
    int fd2 = ckpt_txn_create(t, sub, &e);
    CHECK("txn_create", fd >= 0 && fd2 >= 0);
    ckpt__write_full(fd, "hello", 5);
    CHECK("txn_invisible_before_commit", access(out, F_OK) != 0);
    ckpt_txn_abort(t);
    char newdir[256];
    snprintf(newdir, sizeof newdir, "%s/new", dir);
    CHECK("txn_abort_removes", access(out, F_OK) != 0 && access(newdir, F_OK) != 0);
    ckpt_txn_free(t);
    t = ckpt_txn_new();
    fd = ckpt_txn_create(t, out, &e);
    ckpt__write_full(fd, "hello", 5);
    CHECK("txn_commit", ckpt_txn_commit(t, &e) == 0);
    struct stat st;
    CHECK("txn_committed_file", stat(out, &st) == 0 && st.st_size == 5);
    ckpt_txn_free(t);
    unlink(out);
    rmdir(dir);
}

/* One path validator for every untrusted relative path (index shards,
 * manifest paths, zip members, Hub listings). */
static void test_path_problem(void)
{
    static const struct { const char *p; unsigned fl; int ok; } c[] = {
        {"model-00001.safetensors", CKPT_PATH_NO_DOT, 1}, {"sub/dir/w.bin", CKPT_PATH_NO_DOT, 1},
        {"", 0, 0}, {"/etc/passwd", 0, 0}, {"\\x", 0, 0}, {"a\\b", 0, 0}, {"../x", 0, 0},
        {"a/../../x", CKPT_PATH_NO_DRIVE, 0}, {"a/..", 0, 0}, {"a\nb", 0, 0}, {"a\x7f", 0, 0},
        {"..x/y..", 0, 1}, {"./a", 0, 1}, {"./a", CKPT_PATH_NO_DOT, 0}, {"a//b", CKPT_PATH_NO_DOT, 0},
        {"a/", CKPT_PATH_NO_DOT, 0}, {"dir/", CKPT_PATH_NO_DRIVE, 1}, {"C:x", CKPT_PATH_NO_DRIVE, 0},
        {"C:x", 0, 1}, {"http://h/x", CKPT_PATH_NO_DRIVE, 0},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if ((ckpt__path_problem(c[i].p, c[i].fl) == NULL) != c[i].ok) {
            printf("  path_problem(\"%s\", %u): %s\n", c[i].p, c[i].fl, ckpt__path_problem(c[i].p, c[i].fl));
            bad++;
        }
    CHECK("path_problem_cases", bad == 0);
    CHECK("path_problem_reason", !strcmp(ckpt__path_problem("a/../b", 0), "'..' in path"));
}

/* Human numbers: what `ckpt info` and the TUI print (values as Python's
 * f"{n/1024**k:.{p}f}" gives them). */
static void test_human(void)
{
    char b[32];
    CHECK("human_bytes_small", !strcmp(ckpt_human_bytes(1023, b, sizeof b), "1023 B"));
    CHECK("human_bytes_kib", !strcmp(ckpt_human_bytes(1024, b, sizeof b), "1.00 KiB"));
    CHECK("human_bytes_13k", !strcmp(ckpt_human_bytes(13632, b, sizeof b), "13.3 KiB"));
    CHECK("human_bytes_gib", !strcmp(ckpt_human_bytes(1536ull << 20, b, sizeof b), "1.50 GiB"));
    CHECK("human_bytes_100m", !strcmp(ckpt_human_bytes(200ull << 20, b, sizeof b), "200 MiB"));
    CHECK("human_count", !strcmp(ckpt_human_count(1234567, b, sizeof b), "1,234,567") &&
                             !strcmp(ckpt_human_count(0, b, sizeof b), "0") &&
                             !strcmp(ckpt_human_count(999, b, sizeof b), "999"));
    CHECK("human_short", !strcmp(ckpt_human_short(999, b, sizeof b), "999") &&
                             !strcmp(ckpt_human_short(6736, b, sizeof b), "6.74K") &&
                             !strcmp(ckpt_human_short(7000000000ull, b, sizeof b), "7.00B"));
}

/* The kernel's word on a buffer's mapping: its VmFlags in /proc/self/smaps
 * name "hg" when advised for huge pages. -1: no mapping holds p. */
static int vma_hugepage(const void *p);

/* The size of the mapping that holds p (smaps), 0 if none. */
static size_t vma_size(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[512];
    unsigned long a = (unsigned long)p, lo, hi;
    size_t r = 0;
    while (!r && fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && a >= lo && a < hi) r = hi - lo;
    fclose(f);
    return r;
}

static int vma_hugepage(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int in = 0, r = -1;
    unsigned long a = (unsigned long)p, lo, hi;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = a >= lo && a < hi;
        } else if (in && !strncmp(line, "VmFlags:", 8)) {
            r = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return r;
}

static void test_bigbuf(void)
{
    size_t small = 1000, mid = (size_t)5 << 20, big = (size_t)20 << 20;
    unsigned char *p = ckpt__big_alloc(small);
    CHECK("bigbuf: small alloc", p != NULL);
    for (size_t i = 0; i < small; i++) p[i] = (unsigned char)(i * 7);
    p = ckpt__big_realloc(p, mid);   /* malloc'd -> mapping: the bytes come along */
    int ok = p != NULL;
    for (size_t i = 0; ok && i < small; i++) ok = p[i] == (unsigned char)(i * 7);
    CHECK("bigbuf: malloc'd to mapped keeps the bytes", ok);
    int thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
    if (thp) CHECK("bigbuf: a 5 MiB buffer is advised for huge pages (smaps hg)", vma_hugepage(p + mid / 2) == 1);
    else printf("SKIP bigbuf: huge-page advice: this kernel has no transparent huge pages\n");
    for (size_t i = 0; i < mid; i++) p[i] = (unsigned char)(i * 13 + 1);
    p = ckpt__big_realloc(p, big);
    ok = p != NULL;
    for (size_t i = 0; ok && i < mid; i++) ok = p[i] == (unsigned char)(i * 13 + 1);
    CHECK("bigbuf: growing a mapping (mremap) keeps the bytes", ok);
    if (thp) CHECK("bigbuf: the grown mapping keeps the advice", vma_hugepage(p + big - 1) == 1);
    p[big - 1] = 0x5a;   /* the whole asked size is writable */
    p = ckpt__big_realloc(p, (size_t)3 << 20);
    ok = p != NULL;
    for (size_t i = 0; ok && i < ((size_t)3 << 20); i++) ok = p[i] == (unsigned char)(i * 13 + 1);
    CHECK("bigbuf: shrinking keeps the prefix", ok);
    ckpt__big_free(p);
    unsigned char *z = ckpt__big_calloc((size_t)1 << 20, 4);
    ok = z != NULL;
    for (size_t i = 0; ok && i < ((size_t)4 << 20); i++) ok = z[i] == 0;
    CHECK("bigbuf: calloc of 4 MiB is zero", ok);
    ckpt__big_free(z);
    z = ckpt__big_calloc(100, 3);
    ok = z != NULL;
    for (size_t i = 0; ok && i < 300; i++) ok = z[i] == 0;
    CHECK("bigbuf: a small calloc is zero", ok);
    ckpt__big_free(z);
    unsigned char *t = ckpt__big_alloc((size_t)8 << 20);
    for (size_t i = 0; t && i < ((size_t)8 << 20); i++) t[i] = (unsigned char)(i * 5);
    size_t before = t ? vma_size(t) : 0;
    ckpt__big_trim(t, (size_t)3 << 20);
    ok = t != NULL;
    for (size_t i = 0; ok && i < ((size_t)3 << 20); i++) ok = t[i] == (unsigned char)(i * 5);
    CHECK("bigbuf: trim keeps the bytes before n, in place", ok);
    /* 8 MiB + its header is a 10 MiB mapping; 3 MiB + header keeps 4 */
    CHECK("bigbuf: trim gives the pages past n back (maps: 6 MiB fewer)",
          before >= ((size_t)10 << 20) && before - vma_size(t) == ((size_t)6 << 20));
    ckpt__big_free(t);
    CHECK("bigbuf: an overflowing calloc fails", ckpt__big_calloc(SIZE_MAX / 2, 4) == NULL);
    CHECK("bigbuf: an impossible size fails", ckpt__big_alloc(SIZE_MAX - 8) == NULL);
    ckpt__big_free(NULL);
}

int main(void)
{
    test_bigbuf();
    test_path_problem();
    test_human();
    test_err();
    test_dtype();
    test_size();
    test_natcmp();
    test_tree();
    test_tree_revisit();
    test_tree_fold();
    test_txn();
    return failures ? 1 : 0;
}
