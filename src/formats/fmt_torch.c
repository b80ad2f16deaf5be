/* src/fmt_torch.c: PyTorch checkpoints (torch.save), read without running
 * any of the pickle (src/pickle.c: allow-list, nothing is called).
 *
 * Two layouts (formats-and-anchors.md 1.12):
 *  - zip (torch >= 1.6): ARCHIVE/data.pkl, ARCHIVE/byteorder, ARCHIVE/data/KEY
 *    (raw storage bytes, usually stored uncompressed);
 *  - legacy (_use_new_zipfile_serialization=False): five pickles back to
 *    back (magic number, protocol 1001, sys_info, the object, the sorted
 *    storage keys), then each storage as an int64 element count and its
 *    bytes, little-endian.
 * Tensors are REDUCE calls of torch._utils._rebuild_tensor_v2 (or _v3,
 * _rebuild_parameter) on (storage, offset, size, stride, ...), storage a
 * persistent id ('storage', StorageClass, key, location, numel).
 * The tensors shown are those of the most plausible state dict: the top
 * level, or the dict under "state_dict"/"model"/"module"/... ; optimizer
 * state is shown flagged (converted only when asked).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "formats/zip_src.h"
#include "internal.h"
#include "keras_zip.h"
#include "pickle.h"
#include "tensor_io.h"
#include "formats/torch_write.h"

#define PKL_MAX (1u << 30)          /* data.pkl / legacy pickles: at most 1 GiB */
#define WALK_MAX_DEPTH 64
#define WALK_MAX_VISITS (8u << 20)

static const unsigned char legacy_magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                             0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

typedef struct tstorage {
    char *key;
    int dt;                 /* pk_tdtype of the storage class (PKT_UNTYPED for UntypedStorage) */
    zip_int64_t member;     /* zip: the data/KEY member */
    uint64_t file_off;      /* legacy: where the bytes start */
    uint64_t numel;         /* legacy: element count from the persistent id */
    uint64_t nbytes;        /* bytes available */
    int placed;             /* legacy: file_off known */
    int users;              /* tensors viewing it */
} tstorage;

typedef struct ttensor {
    int storage;
    tio_view v;
} ttensor;

typedef struct torch_priv {
    int legacy;
    zip_t *z;
    tio_zcache zc;
    tio_window win;
    ckpt_src *src;
    pk_vm *vm;
    char *prefix;           /* zip: "archive/" */
    tstorage *st; int nst, capst;
    struct ckpt_name_index *stix;   /* key -> storage */
    ttensor *tt; int ntt, captt;
    int big_endian;
} torch_priv;

typedef struct found {
    char *name;
    pk_obj *o;
    unsigned flags;
} found;

typedef struct walker {
    found *v; int n, cap;
    size_t visits;
    ckpt_err *err;
} walker;

/* ---- probing ---- */

static int torch_ext(const char *path)
{
    return ckpt__ends_with(path, ".pt") || ckpt__ends_with(path, ".pth") || ckpt__ends_with(path, ".bin") ||
           ckpt__ends_with(path, ".ckpt") || ckpt__ends_with(path, ".pkl") || ckpt__ends_with(path, ".tar");
}

static int probe(const char *path, int is_dir, const unsigned char *head, size_t n)
{
    if (is_dir || n < 4) return 0;
    if (!memcmp(head, "PK\x03\x04", 4)) {
        /* first member name: torch writes ARCHIVE/data.pkl first */
        if (n >= 30) {
            size_t nl = (size_t)head[26] | (size_t)head[27] << 8;
            if (30 + nl <= n && nl >= 8 && !memcmp(head + 30 + nl - 8, "data.pkl", 8)) return 100;
        }
        return torch_ext(path) ? 60 : 0;
    }
    if (head[0] == 0x80 && n >= 2 + sizeof legacy_magic && !memcmp(head + 2, legacy_magic, sizeof legacy_magic))
        return 100;
    if (head[0] == 0x80 && n >= 2 && head[1] >= 2 && head[1] <= 5 && torch_ext(path)) return 40;
    return 0;
}

/* ---- dtypes ---- */

static ckpt_dtype dt_of(int t)
{
    switch (t) {
    case PKT_F32: return CKPT_F32;
    case PKT_F64: return CKPT_F64;
    case PKT_F16: return CKPT_F16;
    case PKT_BF16: return CKPT_BF16;
    case PKT_I64: return CKPT_I64;
    case PKT_I32: return CKPT_I32;
    case PKT_I16: return CKPT_I16;
    case PKT_I8: return CKPT_I8;
    case PKT_U8: return CKPT_U8;
    case PKT_BOOL: return CKPT_BOOL;
    case PKT_U16: return CKPT_U16;
    case PKT_U32: return CKPT_U32;
    case PKT_U64: return CKPT_U64;
    case PKT_F8_E4M3: return CKPT_F8_E4M3;
    case PKT_F8_E5M2: return CKPT_F8_E5M2;
    default: return CKPT_DT_INVALID;
    }
}

/* ---- finding the tensors ---- */

/* The rebuild call behind a tensor or parameter, or NULL. */
static pk_obj *tensor_call(pk_obj *o)
{
    for (int i = 0; i < 4 && o; i++) {
        if (o->kind != PK_CALL) return NULL;
        switch (o->g) {
        case PKG_REBUILD_TENSOR: case PKG_REBUILD_TENSOR_V2: case PKG_REBUILD_TENSOR_V3:
            return o;
        case PKG_REBUILD_PARAMETER: case PKG_REBUILD_PARAMETER_STATE: case PKG_PARAMETER:
            o = o->args->n ? o->args->items[0] : NULL;
            break;
        default:
            return NULL;
        }
    }
    return NULL;
}

static int add_found(walker *w, const char *name, pk_obj *o, unsigned flags)
{
    if (w->n == w->cap) {
        int nc = w->cap ? w->cap * 2 : 64;
        found *nv = realloc(w->v, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory");
        w->v = nv;
        w->cap = nc;
    }
    w->v[w->n].name = ckpt__strdup(name);
    if (!w->v[w->n].name) return ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory");
    w->v[w->n].o = o;
    w->v[w->n].flags = flags;
    w->n++;
    return 0;
}

static char *join(const char *prefix, const pk_obj *key)
{
    char num[32];
    const char *k;
    if (key->kind == PK_STR) k = key->s;
    else if (key->kind == PK_INT) { snprintf(num, sizeof num, "%lld", (long long)key->i); k = num; }
    else return NULL;
    return *prefix ? ckpt__asprintf("%s.%s", prefix, k) : ckpt__strdup(k);
}

static int walk(walker *w, pk_obj *o, const char *name, int depth, unsigned flags)
{
    if (++w->visits > WALK_MAX_VISITS)
        return ckpt_err_set(w->err, CKPT_E_FORMAT, "pickle object graph too large (more than %u visits)", WALK_MAX_VISITS);
    if (depth > WALK_MAX_DEPTH)
        return ckpt_err_set(w->err, CKPT_E_FORMAT, "pickle objects nested deeper than %d at '%s'", WALK_MAX_DEPTH, name);
    pk_obj *tc = tensor_call(o);
    if (tc) return add_found(w, *name ? name : "tensor", tc, flags);
    if (o->kind == PK_DICT) {
        for (int i = 0; i + 1 < o->n; i += 2) {
            char *nm = join(name, o->items[i]);
            if (!nm) {
                if (o->items[i]->kind == PK_STR || o->items[i]->kind == PK_INT)
                    return ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory");
                continue;   /* keys that are not names (tuples, None): skipped */
            }
            int rc = walk(w, o->items[i + 1], nm, depth + 1, flags);
            free(nm);
            if (rc) return rc;
        }
    } else if (o->kind == PK_LIST || o->kind == PK_TUPLE) {
        for (int i = 0; i < o->n; i++) {
            char *nm = *name ? ckpt__asprintf("%s.%d", name, i) : ckpt__asprintf("%d", i);
            if (!nm) return ckpt_err_set(w->err, CKPT_E_NOMEM, "out of memory");
            int rc = walk(w, o->items[i], nm, depth + 1, flags);
            free(nm);
            if (rc) return rc;
        }
    }
    return 0;
}

static void walker_free(walker *w)
{
    for (int i = 0; i < w->n; i++) free(w->v[i].name);
    free(w->v);
    memset(w, 0, sizeof *w);
}

static const char *const sd_keys[] = {"state_dict", "model_state_dict", "model", "module", "net",
                                      "network", "model_state", "weights", "params", NULL};

/* Pick the state dict and collect its tensors. */
static int collect(ckpt_model *m, pk_obj *root, walker *w, ckpt_err *err)
{
    w->err = err;
    const char *chosen = NULL;
    pk_obj *sd = root;
    if (root->kind == PK_DICT) {
        for (int k = 0; sd_keys[k] && !chosen; k++) {
            pk_obj *v = pk_dict_get(root, sd_keys[k]);
            if (!v || v->kind != PK_DICT) continue;
            walker t = {0};
            t.err = err;
            int rc = walk(&t, v, "", 0, 0);
            if (rc) { walker_free(&t); return rc; }
            if (t.n) { *w = t; chosen = sd_keys[k]; sd = v; }
            else walker_free(&t);
        }
    }
    if (!chosen) return walk(w, root, "", 0, 0);
    if (ckpt__model_set_fact(m, "state_dict", chosen, err)) return err->code;
    /* the rest: optimizer state shown flagged; other entries summarised */
    char others[512] = "";
    size_t ol = 0;
    for (int i = 0; i + 1 < root->n; i += 2) {
        pk_obj *k = root->items[i];
        if (k->kind != PK_STR || root->items[i + 1] == sd) continue;
        int opt = strstr(k->s, "optim") != NULL;
        int before = w->n;
        int rc = opt ? walk(w, root->items[i + 1], k->s, 1, CKPT_TF_OPTIMIZER) : 0;
        if (rc) return rc;
        if (!opt || w->n == before) {
            if (ol + strlen(k->s) + 3 < sizeof others)
                ol += (size_t)snprintf(others + ol, sizeof others - ol, "%s%s", ol ? ", " : "", k->s);
        }
    }
    if (ol && ckpt__model_set_fact(m, "other_entries", others, err)) return err->code;
    return 0;
}

/* ---- storages and tensors ---- */

static int storage_find(torch_priv *P, const char *key)
{
    return P->stix ? ckpt__index_get(P->stix, key) : -1;
}

static int int_tuple(const pk_obj *o, int64_t *out, int *n)
{
    if (o && o->kind == PK_CALL && o->g == PKG_SIZE && o->args->n == 1) o = o->args->items[0];
    if (!o || (o->kind != PK_TUPLE && o->kind != PK_LIST) || o->n > CKPT_MAX_DIMS) return -1;
    for (int i = 0; i < o->n; i++) {
        if (o->items[i]->kind != PK_INT) return -1;
        out[i] = o->items[i]->i;
    }
    *n = o->n;
    return 0;
}

static int tfail(ckpt_err *err, const char *name, ckpt_code code, const char *msg)
{
    ckpt_err_set(err, code, "%s", msg);
    ckpt_err_at_tensor(err, name);
    return code;
}

static int esz_of_pkt(int t)
{
    ckpt_dtype d = dt_of(t);
    return d ? (int)ckpt_dtype_size(d) : 0;
}

static int add_tensor(ckpt_model *m, torch_priv *P, const found *f, ckpt_err *err)
{
    pk_obj *c = f->o, *a = c->args;
    int v3 = c->g == PKG_REBUILD_TENSOR_V3;
    if (a->n < 4 || (v3 && a->n < 7))
        return tfail(err, f->name, CKPT_E_FORMAT, "tensor rebuild call has too few arguments");
    pk_obj *pid = a->items[0];
    if (pid->kind != PK_PERSID || pid->args->kind != PK_TUPLE || pid->args->n < 5)
        return tfail(err, f->name, CKPT_E_FORMAT, "tensor storage is not a persistent storage id");
    pk_obj **p = pid->args->items;
    if (p[0]->kind != PK_STR || strcmp(p[0]->s, "storage") || p[1]->kind != PK_GLOBAL || p[1]->g != PKG_STORAGE ||
        (p[2]->kind != PK_STR && p[2]->kind != PK_INT) || p[4]->kind != PK_INT || p[4]->i < 0)
        return tfail(err, f->name, CKPT_E_FORMAT, "malformed storage id ('storage', class, key, location, numel)");
    if (pid->args->n >= 6 && p[5]->kind != PK_NONE)
        return tfail(err, f->name, CKPT_E_UNSUPPORTED, "legacy storage views (view_metadata) are not supported");
    int tdt = v3 ? (a->items[6]->kind == PK_GLOBAL && a->items[6]->g == PKG_DTYPE ? a->items[6]->sub : -1) : p[1]->sub;
    if (tdt < 0) return tfail(err, f->name, CKPT_E_FORMAT, "tensor dtype is not a torch dtype");
    if (tdt == PKT_UNTYPED) return tfail(err, f->name, CKPT_E_FORMAT, "untyped storage without a dtype");
    ckpt_dtype dt = dt_of(tdt);
    if (!dt) {
        ckpt_err_set(err, CKPT_E_UNSUPPORTED, "tensor dtype %s (storage %s) cannot be held by ckpt", pk_tdtype_name(tdt),
                     p[1]->s);
        ckpt_err_at_tensor(err, f->name);
        return CKPT_E_UNSUPPORTED;
    }
    char key[32];
    const char *ks = key;
    if (p[2]->kind == PK_INT) snprintf(key, sizeof key, "%lld", (long long)p[2]->i);
    else ks = p[2]->s;
    if (a->items[1]->kind != PK_INT || a->items[1]->i < 0)
        return tfail(err, f->name, CKPT_E_FORMAT, "tensor storage offset is not a non-negative int");
    ttensor tt;
    memset(&tt, 0, sizeof tt);
    int nd = 0, ns = 0;
    int64_t shape[CKPT_MAX_DIMS], stride[CKPT_MAX_DIMS];
    if (int_tuple(a->items[2], shape, &nd) || int_tuple(a->items[3], stride, &ns) || nd != ns)
        return tfail(err, f->name, CKPT_E_FORMAT, "tensor size/stride are not int tuples of one length (at most 8 dims)");
    int si = storage_find(P, ks);
    if (si < 0) {
        if (P->nst == P->capst) {
            int nc = P->capst ? P->capst * 2 : 32;
            tstorage *nv = realloc(P->st, (size_t)nc * sizeof *nv);
            if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            P->st = nv;
            P->capst = nc;
        }
        tstorage *s = &P->st[P->nst];
        memset(s, 0, sizeof *s);
        s->key = ckpt__strdup(ks);
        if (!s->key) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (!P->stix && !(P->stix = ckpt__index_new())) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (ckpt__index_put(P->stix, s->key, P->nst) == -2) {
            free(s->key);
            return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        }
        si = P->nst++;
        s->dt = p[1]->sub == PKT_UNTYPED ? tdt : p[1]->sub;
        s->numel = (uint64_t)p[4]->i;
        s->member = -1;
        if (!P->legacy) {
            char *mn = ckpt__asprintf("%sdata/%s", P->prefix, ks);
            if (!mn) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
            s->member = zip_name_locate(P->z, mn, 0);
            zip_stat_t st;
            zip_stat_init(&st);
            if (s->member < 0 || zip_stat_index(P->z, (zip_uint64_t)s->member, 0, &st) || !(st.valid & ZIP_STAT_SIZE)) {
                ckpt_err_set(err, CKPT_E_FORMAT, "storage '%s' is missing from the archive (no member '%s')", ks, mn);
                free(mn);
                ckpt_err_at_tensor(err, f->name);
                return CKPT_E_FORMAT;
            }
            free(mn);
            s->nbytes = st.size;
            s->placed = 1;
        }
    }
    tstorage *s = &P->st[si];
    s->users++;
    tt.storage = si;
    tt.v.ndim = nd;
    memcpy(tt.v.shape, shape, sizeof shape);
    memcpy(tt.v.stride, stride, sizeof stride);
    tt.v.base = (uint64_t)a->items[1]->i;
    tt.v.esz = ckpt_dtype_size(dt);
    tt.v.swap = P->big_endian && tt.v.esz > 1;
    int ti = ckpt__model_add_tensor(m, f->name, NULL, dt, nd, shape, 0, CKPT_NO_OFFSET, err);
    if (ti < 0) return err->code;
    m->tensors[ti].flags |= f->flags;
    if (P->ntt == P->captt) {
        int nc = P->captt ? P->captt * 2 : 64;
        ttensor *nv = realloc(P->tt, (size_t)nc * sizeof *nv);
        if (!nv) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        P->tt = nv;
        P->captt = nc;
    }
    m->tpriv[ti].u = (uint64_t)P->ntt;
    P->tt[P->ntt++] = tt;
    return 0;
}

/* After storages are placed: bounds of every view, file offsets of plain ones. */
static int finish_tensors(ckpt_model *m, torch_priv *P, ckpt_err *err)
{
    int shared = 0;
    for (int i = 0; i < m->ntensors; i++) {
        ttensor *tt = &P->tt[m->tpriv[i].u];
        tstorage *s = &P->st[tt->storage];
        if (!s->placed) {
            ckpt_err_set(err, CKPT_E_FORMAT, "storage '%s' is not in the file", s->key);
            ckpt_err_at_tensor(err, m->tensors[i].name);
            return CKPT_E_FORMAT;
        }
        tt->v.storage_bytes = s->nbytes;
        if (tio_view_check(&tt->v, err)) {
            ckpt_err_at_tensor(err, m->tensors[i].name);
            return err->code;
        }
        if (P->legacy && !tt->v.swap && tio_view_contiguous(&tt->v))
            m->tensors[i].offset = s->file_off + tt->v.base * tt->v.esz;
        if (s->users > 1) shared++;
    }
    if (shared) {
        char v[64];
        snprintf(v, sizeof v, "%d tensors view a storage shared with another", shared);
        if (ckpt__model_set_fact(m, "shared_storage", v, err)) return err->code;
    }
    return 0;
}

/* ---- the two layouts ---- */

static int open_zip(ckpt_model *m, torch_priv *P, const char *path, pk_obj **root, ckpt_err *err)
{
    int ze = 0;
    P->z = ckpt__zip_open_src(P->src, 0, &ze);
    if (!P->z) return kz_open_fail(path, ze, "a readable zip", err);
    tio_zcache_init(&P->zc, P->z);
    zip_int64_t n = zip_get_num_entries(P->z, 0), pkl = -1;
    if (n < 0 || n > KZ_MAX_MEMBERS) return ckpt_err_set(err, CKPT_E_FORMAT, "zip has %lld members", (long long)n);
    size_t best = (size_t)-1;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *nm = zip_get_name(P->z, (zip_uint64_t)i, 0);
        if (!nm) return ckpt_err_set(err, CKPT_E_FORMAT, "corrupt zip: member %lld has no name", (long long)i);
        size_t l = strlen(nm);
        if (l >= 13 && !strcmp(nm + l - 13, "constants.pkl"))
            return ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                                "this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint");
        if ((l == 8 || (l > 8 && nm[l - 9] == '/')) && !strcmp(nm + l - 8, "data.pkl") && l < best) {
            best = l;
            pkl = i;
        }
    }
    if (pkl < 0) return ckpt_err_set(err, CKPT_E_FORMAT, "zip has no data.pkl: not a torch.save checkpoint");
    const char *pn = zip_get_name(P->z, (zip_uint64_t)pkl, 0);
    P->prefix = ckpt__strndup(pn, strlen(pn) - 8);
    if (!P->prefix) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    char *bo_name = ckpt__asprintf("%sbyteorder", P->prefix);
    if (!bo_name) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    zip_int64_t bo = zip_name_locate(P->z, bo_name, 0);
    free(bo_name);
    if (bo >= 0) {
        char *b;
        size_t bl;
        if (kz_read_small(P->z, bo, 64, &b, &bl, err)) return err->code;
        while (bl && (b[bl - 1] == '\n' || b[bl - 1] == ' ')) b[--bl] = 0;
        if (!strcmp(b, "big")) P->big_endian = 1;
        else if (strcmp(b, "little")) {
            ckpt_err_set(err, CKPT_E_FORMAT, "byteorder record is '%.20s', not little or big", b);
            free(b);
            return CKPT_E_FORMAT;
        }
        free(b);
    }
    char *pk;
    size_t pl;
    if (kz_read_small(P->z, pkl, PKL_MAX, &pk, &pl, err)) return err->code;
    int rc = pk_parse(P->vm, (unsigned char *)pk, pl, 0, root, NULL, err);
    free(pk);
    if (rc) {
        char where[300];
        snprintf(where, sizeof where, "%s (in %s)", pn, ckpt__path_basename(path));
        ckpt_err_at_tensor(err, where);
        return rc;
    }
    if (ckpt__model_set_fact(m, "serialization", P->big_endian ? "torch zip (big-endian)" : "torch zip", err))
        return err->code;
    return 0;
}

static int legacy_pread(torch_priv *P, void *buf, size_t n, uint64_t off, ckpt_err *err)
{
    return ckpt_src_pread(P->src, buf, n, off, err);
}

/* Parse the five leading pickles from a prefix of the file that grows
 * until they fit. */
static int legacy_pickles(torch_priv *P, const char *path, pk_obj **root, pk_obj **keys, uint64_t *data_at,
                          ckpt_err *err)
{
    uint64_t fsize = P->src->size;
    size_t want = 1u << 20;
    for (;;) {
        size_t n = fsize < want ? (size_t)fsize : want;
        unsigned char *b = malloc(n ? n : 1);
        if (!b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        if (legacy_pread(P, b, n, 0, err)) { free(b); return err->code; }
        pk_free(P->vm);
        P->vm = pk_new(NULL);
        if (!P->vm) { free(b); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"); }
        ckpt_err e;
        ckpt_err_clear(&e);
        size_t pos = 0, used = 0;
        pk_obj *o[5] = {0};
        int rc = 0;
        for (int i = 0; i < 5 && !rc; i++) {
            rc = pk_parse(P->vm, b + pos, n - pos, pos, &o[i], &used, &e);
            pos += used;
        }
        free(b);
        if (rc && pk_truncated(P->vm) && n < fsize && want < PKL_MAX) {
            want *= 4;
            continue;
        }
        if (rc) {
            *err = e;
            return rc;
        }
        if (o[1]->kind != PK_INT || o[1]->i != 1001)
            return ckpt_err_set(err, CKPT_E_FORMAT, "legacy torch file: protocol version is not 1001");
        pk_obj *le = pk_dict_get(o[2], "little_endian");
        if (!le || le->kind != PK_BOOL)
            return ckpt_err_set(err, CKPT_E_FORMAT, "legacy torch file: sys_info has no little_endian");
        if (o[4]->kind != PK_LIST)
            return ckpt_err_set(err, CKPT_E_FORMAT, "legacy torch file: the storage keys are not a list");
        *root = o[3];
        *keys = o[4];
        *data_at = pos;
        (void)path;
        return 0;
    }
}

/* The raw storages follow the keys list, in its order. */
static int legacy_place(torch_priv *P, pk_obj *keys, uint64_t at, ckpt_err *err)
{
    for (int i = 0; i < keys->n; i++) {
        pk_obj *k = keys->items[i];
        if (k->kind != PK_STR) return ckpt_err_set(err, CKPT_E_FORMAT, "legacy torch file: storage key is not a str");
        int si = storage_find(P, k->s);
        if (si < 0)
            return ckpt_err_set(err, CKPT_E_FORMAT, "legacy torch file: storage '%s' is used by no tensor", k->s);
        tstorage *s = &P->st[si];
        unsigned char nb[8];
        if (at + 8 > P->src->size) {
            ckpt_err_set(err, CKPT_E_FORMAT, "truncated: storage '%s' should start at byte %llu", k->s,
                         (unsigned long long)at);
            return CKPT_E_FORMAT;
        }
        if (legacy_pread(P, nb, 8, at, err)) return err->code;
        uint64_t numel = 0;
        for (int j = 7; j >= 0; j--) numel = (numel << 8) | nb[j];
        int esz = s->dt == PKT_UNTYPED ? 1 : esz_of_pkt(s->dt);
        uint64_t bytes, end;
        if (!esz || ckpt__mul_u64(numel, (uint64_t)esz, &bytes) || ckpt__add_u64(at + 8, bytes, &end) ||
            end > P->src->size) {
            ckpt_err_set(err, CKPT_E_FORMAT, "truncated: storage '%s' (%llu elements at byte %llu) runs past the end",
                         k->s, (unsigned long long)numel, (unsigned long long)at);
            ckpt_err_at_offset(err, at);
            return CKPT_E_FORMAT;
        }
        s->file_off = at + 8;
        s->nbytes = bytes;
        s->placed = 1;
        at = end;
    }
    return 0;
}

static int torch_open(ckpt_model *m, const char *path, ckpt_err *err)
{
    torch_priv *P = calloc(1, sizeof *P);
    if (!P) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    m->priv = P;
    m->sep = '.';
    if (ckpt_src_open(path, &P->src, err)) return err->code;
    if (ckpt__model_add_file(m, path, P->src->size, err) < 0) return err->code;
    unsigned char head[16] = {0};
    size_t hn = P->src->size < sizeof head ? (size_t)P->src->size : sizeof head;
    if (hn && ckpt_src_pread(P->src, head, hn, 0, err)) return err->code;
    P->vm = pk_new(NULL);
    if (!P->vm) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    pk_obj *root = NULL, *keys = NULL;
    uint64_t data_at = 0;
    int rc;
    if (hn >= 4 && !memcmp(head, "PK\x03\x04", 4)) {
        rc = open_zip(m, P, path, &root, err);
    } else if (hn >= 2 + sizeof legacy_magic && head[0] == 0x80 && !memcmp(head + 2, legacy_magic, sizeof legacy_magic)) {
        P->legacy = 1;
        rc = legacy_pickles(P, path, &root, &keys, &data_at, err);
        if (!rc && ckpt__model_set_fact(m, "serialization", "torch legacy (pre-1.6 pickle stream)", err)) rc = err->code;
    } else if (hn >= 1 && head[0] == 0x80) {
        /* a bare pickle: refuse unsafe content first, then say why it is not a checkpoint */
        char *b = NULL;
        size_t n = P->src->size > PKL_MAX ? PKL_MAX : (size_t)P->src->size;
        b = malloc(n ? n : 1);
        if (!b) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        rc = ckpt_src_pread(P->src, b, n, 0, err);
        if (!rc) rc = pk_parse(P->vm, (unsigned char *)b, n, 0, &root, NULL, err);
        free(b);
        if (!rc)
            rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                              "a plain pickle without torch's magic number (not a torch.save checkpoint)");
    } else {
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "not a PyTorch checkpoint (neither a zip nor a pickle)");
    }
    if (rc) return rc;
    walker w = {0};
    rc = collect(m, root, &w, err);
    for (int i = 0; !rc && i < w.n; i++) rc = add_tensor(m, P, &w.v[i], err);
    walker_free(&w);
    if (!rc && P->legacy) rc = legacy_place(P, keys, data_at, err);
    if (!rc) rc = finish_tensors(m, P, err);
    if (!rc && m->ntensors == 0)
        rc = ckpt_err_set(err, CKPT_E_FORMAT, "no tensors found in the checkpoint (root is a %s)",
                          pk_kind_name(root->kind));
    /* the object graph is no longer needed */
    pk_free(P->vm);
    P->vm = NULL;
    return rc;
}

typedef struct rctx {
    torch_priv *P;
    tstorage *s;
} rctx;

static int storage_read(void *ctx, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    rctx *c = ctx;
    if (off + n > c->s->nbytes) return ckpt_err_set(err, CKPT_E_FORMAT, "read past the end of storage '%s'", c->s->key);
    if (c->P->legacy) return legacy_pread(c->P, buf, n, c->s->file_off + off, err);
    return tio_zread(&c->P->zc, c->s->member, off, buf, n, err);
}

static int torch_read(ckpt_model *m, int t, uint64_t off, void *buf, size_t n, ckpt_err *err)
{
    torch_priv *P = m->priv;
    ttensor *tt = &P->tt[m->tpriv[t].u];
    rctx c = {P, &P->st[tt->storage]};
    return tio_view_read(&tt->v, storage_read, &c, &P->win, c.s, off, buf, n, err);
}

static void torch_close(ckpt_model *m)
{
    torch_priv *P = m->priv;
    if (!P) return;
    tio_zcache_free(&P->zc);
    tio_window_free(&P->win);
    if (P->z) zip_discard(P->z);
    ckpt_src_close(P->src);
    pk_free(P->vm);
    for (int i = 0; i < P->nst; i++) free(P->st[i].key);
    free(P->st);
    ckpt__index_free(P->stix);
    free(P->tt);
    free(P->prefix);
    free(P);
    m->priv = NULL;
}

const ckpt_format ckpt_fmt_torch = {
    .name = "torch",
    .desc = "PyTorch checkpoint (torch.save zip or legacy pickle; read without executing it; writes torch.save zips)",
    .exts = ".pt .pth .bin .ckpt",
    .flags = CKPT_FMT_READ | CKPT_FMT_WRITE,
    .probe = probe,
    .open = torch_open,
    .read = torch_read,
    .close = torch_close,
    .write_begin = ckpt__torch_write_begin,   /* torch_write.c */
    .write = ckpt__torch_write,
    .write_end = ckpt__torch_write_end,
    .write_abort = ckpt__torch_write_abort,
    .hub_files = "pytorch_model.bin.index.json=72 pytorch_model.bin=70 *.pt=40 *.pth=40 *.ckpt=40",
    .remote_ranges = "*.bin *.pt *.pth *.ckpt",
    .companions = "config.json pytorch_model*.bin generation_config.json tokenizer.json tokenizer_config.json special_tokens_map.json",
};
