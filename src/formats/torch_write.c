/* src/formats/torch_write.c: --to torch, a torch.save zip archive.
 *
 * What torch.save(state_dict, f) writes (torch/serialization.py _save and
 * caffe2/serialize/inline_container.cc): a zip whose members, all stored,
 * sit under one folder ("archive/"):
 *   archive/data.pkl    the pickle: an OrderedDict of name -> tensor, each
 *                       torch._utils._rebuild_tensor_v2(persistent storage
 *                       id ('storage', torch.FloatStorage, key, 'cpu',
 *                       numel), offset, size, stride, requires_grad=False,
 *                       OrderedDict() hooks) - the opcodes torch's protocol-2
 *                       pickler emits, from formats/pickle_write.c;
 *   archive/byteorder   "little";
 *   archive/data/KEY    the raw bytes of each storage, starting on a 64-byte
 *                       boundary (torch's "FB" padding field);
 *   archive/version     "3\n".
 * One storage per tensor, keys "0", "1", ... in state-dict order, as torch
 * assigns them. The pickle is built in memory (it is small: names and
 * shapes); tensor data streams through formats/zip_write.c, never held.
 * --shard-size splits the plan as transformers does
 * (pytorch_model-0000K-of-0000N.bin + pytorch_model.bin.index.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pickle_write.h"
#include "formats/shards.h"
#include "formats/torch_write.h"
#include "formats/zip_write.h"
#include "internal.h"

#define ARCHIVE "archive/"

typedef struct tw {
    ckpt_shards sh;
    int cur;                /* shard being written, -1 before the first */
    int fd;
    zw *z;
} tw;

/* torch's storage class for each dtype (torch/storage.py _dtype_to_storage_type_map) */
static const char *storage_class(ckpt_dtype dt)
{
    switch (dt) {
    case CKPT_F32: return "FloatStorage";
    case CKPT_F64: return "DoubleStorage";
    case CKPT_F16: return "HalfStorage";
    case CKPT_BF16: return "BFloat16Storage";
    case CKPT_I64: return "LongStorage";
    case CKPT_I32: return "IntStorage";
    case CKPT_I16: return "ShortStorage";
    case CKPT_I8: return "CharStorage";
    case CKPT_U8: return "ByteStorage";
    case CKPT_BOOL: return "BoolStorage";
    case CKPT_U16: return "UInt16Storage";
    case CKPT_U32: return "UInt32Storage";
    case CKPT_U64: return "UInt64Storage";
    case CKPT_F8_E4M3: return "Float8_e4m3fnStorage";
    case CKPT_F8_E5M2: return "Float8_e5m2Storage";
    default: return NULL;
    }
}

/* memo slots of the objects the pickle reuses (torch's pickler memoizes them too) */
typedef struct memo { uint32_t od, rebuild, storage, cpu, cls[32]; int have_rebuild, have_cls[32]; } memo;

static void pickle_tensor(pkw *w, memo *mo, const ckpt_plan_entry *e, int key)
{
    char k[24];
    snprintf(k, sizeof k, "%d", key);
    if (mo->have_rebuild) ckpt__pkw_get(w, mo->rebuild);
    else {
        ckpt__pkw_global(w, "torch._utils", "_rebuild_tensor_v2");
        mo->rebuild = ckpt__pkw_put(w);
        mo->have_rebuild = 1;
    }
    ckpt__pkw_op(w, PKW_MARK);
    ckpt__pkw_op(w, PKW_MARK);                       /* the persistent id tuple */
    if (key == 0 && !mo->storage) { ckpt__pkw_str(w, "storage"); mo->storage = ckpt__pkw_put(w) + 1; }
    else ckpt__pkw_get(w, mo->storage - 1);
    int c = (int)e->dtype & 31;
    if (mo->have_cls[c]) ckpt__pkw_get(w, mo->cls[c]);
    else {
        ckpt__pkw_global(w, "torch", storage_class(e->dtype));
        mo->cls[c] = ckpt__pkw_put(w);
        mo->have_cls[c] = 1;
    }
    ckpt__pkw_str(w, k);
    if (key == 0 && !mo->cpu) { ckpt__pkw_str(w, "cpu"); mo->cpu = ckpt__pkw_put(w) + 1; }
    else ckpt__pkw_get(w, mo->cpu - 1);
    ckpt__pkw_int(w, (int64_t)(e->nbytes / ckpt_dtype_size(e->dtype)));
    ckpt__pkw_op(w, PKW_TUPLE);
    ckpt__pkw_op(w, PKW_BINPERSID);
    ckpt__pkw_int(w, 0);                             /* storage offset */
    int64_t stride[CKPT_MAX_DIMS], acc = 1;     /* contiguous; a size 0 counts as 1, as in torch */
    for (int d = e->ndim - 1; d >= 0; d--) {
        stride[d] = acc;
        acc *= e->shape[d] > 0 ? e->shape[d] : 1;
    }
    ckpt__pkw_int_tuple(w, e->shape, e->ndim);
    ckpt__pkw_int_tuple(w, stride, e->ndim);
    ckpt__pkw_op(w, PKW_NEWFALSE);                   /* requires_grad */
    ckpt__pkw_get(w, mo->od);                        /* backward_hooks: OrderedDict() */
    ckpt__pkw_op(w, PKW_EMPTY_TUPLE);
    ckpt__pkw_op(w, PKW_REDUCE);
    ckpt__pkw_op(w, PKW_TUPLE);
    ckpt__pkw_op(w, PKW_REDUCE);
}

/* data.pkl of plan entries [a, b): keys "0".. relative to the shard */
static int build_pickle(const ckpt_plan *p, int a, int b, pkw *w)
{
    memo mo;
    memset(&mo, 0, sizeof mo);
    ckpt__pkw_proto(w, 2);
    ckpt__pkw_global(w, "collections", "OrderedDict");
    mo.od = ckpt__pkw_put(w);
    ckpt__pkw_op(w, PKW_EMPTY_TUPLE);
    ckpt__pkw_op(w, PKW_REDUCE);
    ckpt__pkw_put(w);
    for (int i = a; i < b; i++) {
        if ((i - a) % 1000 == 0) ckpt__pkw_op(w, PKW_MARK);   /* SETITEMS in batches of 1000, as pickle does */
        ckpt__pkw_str(w, p->e[i].name);
        pickle_tensor(w, &mo, &p->e[i], i - a);
        if ((i - a) % 1000 == 999 || i == b - 1) ckpt__pkw_op(w, PKW_SETITEMS);
    }
    ckpt__pkw_op(w, PKW_STOP);
    return w->bad ? -1 : 0;
}

static int small_member(zw *z, const char *name, const void *data, size_t n, ckpt_err *err)
{
    zw_member m = {.name = name, .size = n, .align = 64};
    if (ckpt__zw_begin(z, &m, err) || ckpt__zw_write(z, data, n, err) || ckpt__zw_end(z, err)) return err->code;
    return 0;
}

static int open_shard(ckpt_writer *w, tw *t, int k, ckpt_err *err)
{
    const char *path = t->sh.paths[k];
    pkw pk = {0};
    if (build_pickle(w->plan, t->sh.first[k], t->sh.first[k + 1], &pk)) {
        ckpt__pkw_free(&pk);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory building data.pkl");
    }
    t->fd = ckpt_txn_create(w->txn, path, err);
    if (t->fd < 0) {
        ckpt__pkw_free(&pk);
        ckpt_err_at_path(err, path);
        return err && err->code ? (int)err->code : CKPT_E_IO;
    }
    t->z = ckpt__zw_new(t->fd, path, w->txn);
    int rc = t->z ? CKPT_OK : ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc) rc = small_member(t->z, ARCHIVE "data.pkl", pk.p, pk.n, err);
    if (!rc) rc = small_member(t->z, ARCHIVE "byteorder", "little", 6, err);
    ckpt__pkw_free(&pk);
    t->cur = k;
    return rc;
}

static int finish_shard(ckpt_writer *w, tw *t, ckpt_err *err)
{
    if (t->cur < 0 || !t->z) return CKPT_OK;
    int rc = small_member(t->z, ARCHIVE "version", "3\n", 2, err);
    if (!rc) rc = ckpt__zw_finish(t->z, err);
    ckpt__zw_free(t->z);
    t->z = NULL;
    if (!rc) ckpt_txn_close_fd(w->txn, t->fd);
    t->fd = -1;
    return rc;
}

static int advance_to(ckpt_writer *w, tw *t, int k, ckpt_err *err)
{
    while (t->cur < k) {
        int rc = finish_shard(w, t, err);
        if (!rc) rc = open_shard(w, t, t->cur + 1, err);
        if (rc) return rc;
    }
    return CKPT_OK;
}

void ckpt__torch_write_abort(ckpt_writer *w)
{
    tw *t = w->priv;
    if (!t) return;
    ckpt__zw_free(t->z);
    ckpt__shards_free(&t->sh);
    free(t);
    w->priv = NULL;
}

static const char *torch_ext(const char *out)
{
    static const char *const exts[] = {".bin", ".pt", ".pth", ".ckpt", NULL};
    for (int i = 0; exts[i]; i++)
        if (ckpt__ends_with(out, exts[i])) return exts[i];
    return "";
}

int ckpt__torch_write_begin(ckpt_writer *w, ckpt_err *err)
{
    for (int i = 0; i < w->plan->n; i++)
        if (!storage_class(w->plan->e[i].dtype)) {
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "dtype %s has no torch storage type",
                         ckpt_dtype_name(w->plan->e[i].dtype));
            ckpt_err_at_tensor(err, w->plan->e[i].name);
            return CKPT_E_UNSUPPORTED;
        }
    tw *t = calloc(1, sizeof *t);
    if (!t) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    w->priv = t;
    t->cur = -1;
    t->fd = -1;
    const char *out = w->opts->out;
    int dirmode = ckpt__ends_with(out, "/") || ckpt__is_dir(out);
    return ckpt__shards_plan(w->plan, w->opts->shard_size, out, "pytorch_model.bin",
                             dirmode ? ".bin" : torch_ext(out), &t->sh, err);
}

int ckpt__torch_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    tw *t = w->priv;
    int rc = advance_to(w, t, t->sh.of[i], err);
    const ckpt_plan_entry *e = &w->plan->e[i];
    if (!rc && off == 0) {
        char name[64];
        snprintf(name, sizeof name, ARCHIVE "data/%d", i - t->sh.first[t->cur]);
        zw_member m = {.name = name, .size = e->nbytes, .align = 64};
        rc = ckpt__zw_begin(t->z, &m, err);
    }
    if (!rc) rc = ckpt__zw_write(t->z, buf, n, err);
    if (!rc && off + n == e->nbytes) rc = ckpt__zw_end(t->z, err);
    return rc;
}

int ckpt__torch_write_end(ckpt_writer *w, ckpt_err *err)
{
    tw *t = w->priv;
    int rc = advance_to(w, t, t->sh.n - 1, err);
    if (!rc) rc = finish_shard(w, t, err);
    if (!rc && t->sh.index_path) rc = ckpt__shards_write_index(&t->sh, w->plan, w->txn, err);
    if (rc) return rc;
    if (w->res) {
        w->res->nfiles = t->sh.n + (t->sh.index_path ? 1 : 0);
        snprintf(w->res->main_path, sizeof w->res->main_path, "%s",
                 t->sh.index_path ? t->sh.index_path : t->sh.paths[0]);
    }
    ckpt__torch_write_abort(w);   /* frees the state */
    return CKPT_OK;
}

