/* src/formats/gguf_write.c: `--to gguf`, GGUF v3 with 32-byte alignment.
 *
 * File: "GGUF", u32 3, u64 tensor count, u64 KV count, the KV pairs, the
 * tensor infos (name, u32 n_dims, u64 dims in ggml order = the NumPy shape
 * reversed, u32 ggml type, u64 offset in the data section), zero padding to
 * 32, then each tensor's data padded to 32. Every size is known from the
 * plan, so the header is written first and the data streamed after it.
 *
 * Tensor types: `--quantize F32|F16|BF16|Q8_0|Q4_0` for tensors of two or
 * more dimensions (one-dimensional ones, the norms, stay F32 as llama.cpp's
 * convert keeps them; Q8_0/Q4_0 need rows that are whole 32-weight blocks and
 * fall back to F16 otherwise, as convert_hf_to_gguf.py does for Q8_0).
 * Without it each tensor keeps its dtype (norms from Hugging Face weights
 * become F32 all the same), and a tensor read from a GGUF as
 * Q8_0 or Q4_0 is quantized back to that type (lossless: the reference
 * quantizer finds the same scale and the same codes).
 *
 * Key/values: a GGUF source's typed KV section copied pair by pair
 * (gguf_kv.c; general.alignment and, when types change, general.file_type
 * rewritten in place), else the llama-family keys and tokenizer built from
 * the Hugging Face files beside the weights (gguf_hf.c), whose tensor names
 * come from the hf-llama-gguf preset applied in the plan hook below; Llama
 * 3.1's RoPE scaling adds a generated rope_freqs.weight after the plan's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/gguf_write.h"
#include "remap_int.h"

#define OUTBUF (256u << 10)

typedef struct {
    int fd;
    const char *path;
    unsigned char *ob; size_t on;     /* output buffer */
    uint64_t pos;                     /* bytes written to the file */
    int *type;                        /* ggml type per plan entry */
    float carry[32]; int ncarry;      /* a block cut by a chunk boundary */
    unsigned char *qbuf;              /* quantized output of one chunk */
    size_t qcap;
    gguf_extra x;                     /* tensors made here, written after the plan's */
} gwriter;

static const struct { const char *name; int type, ftype; } quants[] = {
    {"F32", GGT_F32, 0}, {"F16", GGT_F16, 1}, {"BF16", GGT_BF16, 32},
    {"Q8_0", GGT_Q8_0, 7}, {"Q4_0", GGT_Q4_0, 2},
};
#define NQUANTS (int)(sizeof quants / sizeof quants[0])

static int is_gguf_src(const ckpt_model *m) { return m->fmt && !strcmp(m->fmt->name, "gguf"); }

/* --quantize: index into quants, -1 when absent, -2 when unknown */
static int quant_opt(const ckpt_convert_opts *o)
{
    const char *q = ckpt__opt(o, "quantize");
    if (!q) return -1;
    for (int i = 0; i < NQUANTS; i++)
        if (!strcasecmp(q, quants[i].name)) return i;
    return -2;
}

static uint64_t type_bytes(int type, uint64_t nelems)
{
    switch (type) {
    case GGT_Q8_0: return nelems / 32 * 34;
    case GGT_Q4_0: return nelems / 32 * 18;
    case GGT_F32: case GGT_I32: return nelems * 4;
    case GGT_F16: case GGT_BF16: case GGT_I16: return nelems * 2;
    case GGT_I8: return nelems;
    default: return nelems * 8;    /* F64, I64 */
    }
}

static int plain_type(ckpt_dtype dt)
{
    switch (dt) {
    case CKPT_F32: return GGT_F32;
    case CKPT_F16: return GGT_F16;
    case CKPT_BF16: return GGT_BF16;
    case CKPT_F64: return GGT_F64;
    case CKPT_I8: return GGT_I8;
    case CKPT_I16: return GGT_I16;
    case CKPT_I32: return GGT_I32;
    case CKPT_I64: return GGT_I64;
    default: return -1;
    }
}

/* The ggml type of one plan entry (-1: none; GGUF has no such dtype). */
static int entry_type(const ckpt_model *m, const ckpt_convert_opts *o, int q, const ckpt_plan_entry *e)
{
    int blocks_ok = e->ndim >= 1 && e->shape[e->ndim - 1] % 32 == 0;
    if (q >= 0 && ckpt_dtype_is_float(e->dtype)) {
        int t = quants[q].type;
        if (e->ndim < 2) return GGT_F32;
        if ((t == GGT_Q8_0 || t == GGT_Q4_0) && !blocks_ok) return GGT_F16;
        return t;
    }
    /* from Hugging Face weights the norms are F32 whatever the weights' dtype,
     * as llama.cpp's converter writes them (its CPU kernels expect them so) */
    if (!is_gguf_src(m) && ckpt_dtype_is_float(e->dtype) && e->ndim < 2) return GGT_F32;
    if (is_gguf_src(m) && !o->cast && e->dtype == CKPT_F32 && !e->xf && blocks_ok) {
        /* the reader shows the stored ggml type as the leaf's kind */
        const ckpt_tensor *t = &m->tensors[e->src];
        const char *k = t->node >= 0 ? m->nodes[t->node].kind : NULL;
        if (k && !strcmp(k, "Q8_0")) return GGT_Q8_0;
        if (k && !strcmp(k, "Q4_0")) return GGT_Q4_0;
    }
    return plain_type(e->dtype);
}

/* The dtype the writer receives for a ggml type. */
static ckpt_dtype stream_dtype(int type, ckpt_dtype keep)
{
    if (type == GGT_Q8_0 || type == GGT_Q4_0 || type == GGT_F32) return CKPT_F32;
    if (type == GGT_F16) return CKPT_F16;
    if (type == GGT_BF16) return CKPT_BF16;
    return keep;
}

/* llama.cpp's tensor names for the llama architecture (llama-arch.cpp) */
static int llama_name_ok(const char *n)
{
    static const char *const top[] = {"token_embd.weight", "output_norm.weight", "output.weight", NULL};
    static const char *const blk[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                                      "ffn_gate", "ffn_up", "ffn_down", NULL};
    for (int i = 0; top[i]; i++)
        if (!strcmp(n, top[i])) return 1;
    if (strncmp(n, "blk.", 4)) return 0;
    const char *p = n + 4;
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
    if (*p++ != '.') return 0;
    for (int i = 0; blk[i]; i++) {
        size_t l = strlen(blk[i]);
        if (!strncmp(p, blk[i], l) && !strcmp(p + l, ".weight")) return 1;
    }
    return 0;
}

/* A Hugging Face source gets the hf-llama-gguf names (and q/k permute)
 * unless --map already renamed it; then every name must be one llama.cpp
 * loads, so an unknown tensor is an error here, not in llama.cpp. */
static int hf_names(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err)
{
    int hf = 0;
    for (int i = 0; i < p->n && !hf; i++)
        hf = !strncmp(p->e[i].name, "model.layers.", 13) || !strcmp(p->e[i].name, "model.embed_tokens.weight");
    if (hf && !o->remap) {
        ckpt_remap *r = NULL;
        int rc = ckpt_remap_load("preset:hf-llama-gguf", &r, err);
        if (!rc) rc = ckpt__remap_apply(r, m, p, err);
        ckpt_remap_free(r);
        if (rc) return rc;
    }
    for (int i = 0; i < p->n; i++)
        if (!llama_name_ok(p->e[i].name)) {
            ckpt_err_set(err, CKPT_E_UNSUPPORTED,
                         "gguf: no llama.cpp name for tensor '%s' (the llama architecture has token_embd, "
                         "output_norm, output and blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,"
                         "ffn_gate,ffn_up,ffn_down}.weight)", p->e[i].name);
            ckpt_err_at_tensor(err, p->e[i].name);
            return CKPT_E_UNSUPPORTED;
        }
    return 0;
}

int ckpt__gguf_plan(ckpt_model *m, const ckpt_convert_opts *o, ckpt_plan *p, ckpt_err *err)
{
    int q = quant_opt(o);
    if (q == -2)
        return ckpt_err_set(err, CKPT_E_USAGE, "--quantize '%s': GGUF output takes F32, F16, BF16, Q8_0 or Q4_0",
                            ckpt__opt(o, "quantize"));
    if (!is_gguf_src(m)) {
        int rc = hf_names(m, o, p, err);
        if (rc) return rc;
    }
    for (int i = 0; i < p->n; i++) {
        ckpt_plan_entry *e = &p->e[i];
        if (e->ndim > 4) {
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "gguf: tensor '%s' has %d dimensions (ggml holds at most 4)",
                         e->name, e->ndim);
            return ckpt_err_at_tensor(err, e->name), CKPT_E_UNSUPPORTED;
        }
        int t = entry_type(m, o, q, e);
        if (t < 0) {
            ckpt_err_set(err, CKPT_E_UNSUPPORTED, "gguf: tensor '%s' is %s, which GGUF has no type for (--dtype casts floats)",
                         e->name, ckpt_dtype_name(e->dtype));
            return ckpt_err_at_tensor(err, e->name), CKPT_E_UNSUPPORTED;
        }
        ckpt_dtype sd = stream_dtype(t, e->dtype);
        if (sd != e->dtype) {
            uint64_t ne = 1;
            for (int d = 0; d < e->ndim; d++) ne *= (uint64_t)e->shape[d];
            e->dtype = sd;
            e->nbytes = ne * ckpt_dtype_size(sd);
        }
    }
    return 0;
}

/* ====================================================================== */
/* Key/values                                                              */
/* ====================================================================== */

typedef struct { gguf_kv *kv; int ftype; int had_ftype; } copy_ud;

static int copy_pair(void *ud, const char *key, uint32_t type, uint64_t off, uint64_t len, ckpt_err *err)
{
    (void)type; (void)err;
    copy_ud *c = ud;
    if (!strcmp(key, "general.alignment")) ckpt__gkv_u32(c->kv, key, GGUF_ALIGN);
    else if (!strcmp(key, "general.file_type") && c->ftype >= 0) {
        ckpt__gkv_u32(c->kv, key, (uint32_t)c->ftype);
        c->had_ftype = 1;
    } else ckpt__gkv_copy(c->kv, off, len);
    return 0;
}

/* general.file_type (llama_ftype) of the output: the --quantize one, else
 * the one type all matrices share, else -1. */
static int out_ftype(const ckpt_writer *w, int q, const int *type)
{
    if (q >= 0) return quants[q].ftype;
    int ft = -2;
    for (int i = 0; i < w->plan->n; i++) {
        if (w->plan->e[i].ndim < 2) continue;
        int f = -1;
        for (int k = 0; k < NQUANTS; k++)
            if (quants[k].type == type[i]) f = quants[k].ftype;
        if (ft == -2) ft = f;
        else if (ft != f) return -1;
    }
    return ft < 0 ? -1 : ft;
}

static int build_kv(ckpt_writer *w, const int *type, gguf_kv *kv, gguf_extra *x, ckpt_err *err)
{
    ckpt_model *m = w->src;
    int q = quant_opt(w->opts), ftype = out_ftype(w, q, type);
    if (!is_gguf_src(m)) return ckpt__gguf_hf_kv(m, w->plan, ftype, kv, x, err);
    /* the source's types are kept unless --quantize or --dtype changed them */
    copy_ud c = {kv, q >= 0 || w->opts->cast ? ftype : -1, 0};
    ckpt_file *f = &m->files[0];
    int rc = f->src ? 0 : ckpt_src_open(f->path, &f->src, err);   /* the model owns it */
    if (!rc) rc = ckpt__gguf_kv_walk(f->src, f->path, copy_pair, &c, err);
    if (!rc && c.ftype >= 0 && !c.had_ftype) ckpt__gkv_u32(kv, "general.file_type", (uint32_t)c.ftype);
    return rc;
}

/* ====================================================================== */
/* Output                                                                  */
/* ====================================================================== */

static int flush(gwriter *g, ckpt_err *err)
{
    if (g->on && ckpt__write_full(g->fd, g->ob, g->on)) {
        ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
        return ckpt_err_at_path(err, g->path), CKPT_E_IO;
    }
    g->on = 0;
    return 0;
}

static int out(gwriter *g, const void *p, size_t n, ckpt_err *err)
{
    const unsigned char *s = p;
    g->pos += n;
    if (n >= OUTBUF) {   /* tensor chunks go straight to the file */
        if (flush(g, err)) return CKPT_E_IO;
        if (ckpt__write_full(g->fd, s, n)) {
            ckpt_err_sys(err, CKPT_E_IO, errno, "cannot write");
            return ckpt_err_at_path(err, g->path), CKPT_E_IO;
        }
        return 0;
    }
    while (n) {
        if (g->on == OUTBUF && flush(g, err)) return CKPT_E_IO;
        size_t k = OUTBUF - g->on < n ? OUTBUF - g->on : n;
        memcpy(g->ob + g->on, s, k);
        g->on += k;
        s += k;
        n -= k;
    }
    return 0;
}

static int out_le(gwriter *g, uint64_t v, int n, ckpt_err *err)
{
    unsigned char b[8];
    for (int i = 0; i < n; i++) b[i] = (unsigned char)(v >> (8 * i));
    return out(g, b, (size_t)n, err);
}

static int pad(gwriter *g, ckpt_err *err)
{
    static const unsigned char z[GGUF_ALIGN];
    return out(g, z, (size_t)((GGUF_ALIGN - g->pos % GGUF_ALIGN) % GGUF_ALIGN), err);
}

/* The KV pieces: built bytes, or ranges of the source file read in chunks. */
static int out_kv(gwriter *g, const gguf_kv *kv, ckpt_src *s, ckpt_err *err)
{
    unsigned char tmp[16384];
    for (int i = 0; i < kv->npc; i++) {
        const gkv_piece *pc = &kv->pc[i];
        if (pc->mem) {
            if (out(g, kv->b + pc->off, (size_t)pc->len, err)) return CKPT_E_IO;
            continue;
        }
        for (uint64_t d = 0; d < pc->len;) {
            size_t k = pc->len - d < sizeof tmp ? (size_t)(pc->len - d) : sizeof tmp;
            if (ckpt_src_pread(s, tmp, k, pc->off + d, err) || out(g, tmp, k, err))
                return err && err->code ? (int)err->code : CKPT_E_IO;
            d += k;
        }
    }
    return 0;
}

static int write_header(ckpt_writer *w, gwriter *g, const gguf_kv *kv, ckpt_err *err)
{
    const ckpt_plan *p = w->plan;
    int rc = out(g, "GGUF", 4, err);
    if (!rc) rc = out_le(g, 3, 4, err);
    if (!rc) rc = out_le(g, (uint64_t)p->n + (g->x.nrope ? 1 : 0), 8, err);
    if (!rc) rc = out_le(g, kv->nkv, 8, err);
    if (!rc) rc = out_kv(g, kv, w->src->nfiles ? w->src->files[0].src : NULL, err);
    uint64_t off = 0;
    for (int i = 0; !rc && i < p->n; i++) {
        const ckpt_plan_entry *e = &p->e[i];
        size_t nl = strlen(e->name);
        rc = out_le(g, nl, 8, err);
        if (!rc) rc = out(g, e->name, nl, err);
        if (!rc) rc = out_le(g, (uint64_t)e->ndim, 4, err);
        uint64_t ne = 1;
        for (int d = e->ndim - 1; !rc && d >= 0; d--) {   /* ggml order: fastest first */
            rc = out_le(g, (uint64_t)e->shape[d], 8, err);
            ne *= (uint64_t)e->shape[d];
        }
        if (!rc) rc = out_le(g, (uint64_t)g->type[i], 4, err);
        if (!rc) rc = out_le(g, off, 8, err);
        off += type_bytes(g->type[i], ne);
        off += (GGUF_ALIGN - off % GGUF_ALIGN) % GGUF_ALIGN;
    }
    if (!rc && g->x.nrope) {
        static const char rf[] = "rope_freqs.weight";
        rc = out_le(g, sizeof rf - 1, 8, err);
        if (!rc) rc = out(g, rf, sizeof rf - 1, err);
        if (!rc) rc = out_le(g, 1, 4, err);
        if (!rc) rc = out_le(g, g->x.nrope, 8, err);
        if (!rc) rc = out_le(g, GGT_F32, 4, err);
        if (!rc) rc = out_le(g, off, 8, err);
    }
    if (!rc) rc = pad(g, err);
    return rc;
}

static void gw_free(gwriter *g)
{
    if (!g) return;
    free(g->ob);
    free(g->type);
    free(g->qbuf);
    free(g->x.rope_freqs);
    free(g);
}

void ckpt__gguf_write_abort(ckpt_writer *w)
{
    gw_free(w->priv);
    w->priv = NULL;
}

int ckpt__gguf_write_begin(ckpt_writer *w, ckpt_err *err)
{
    const ckpt_plan *p = w->plan;
    gwriter *g = calloc(1, sizeof *g);
    if (!g || !(g->ob = malloc(OUTBUF)) || !(g->type = calloc((size_t)p->n + 1, sizeof *g->type))) {
        gw_free(g);
        return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    }
    w->priv = g;
    g->path = w->opts->out;
    int q = quant_opt(w->opts);
    for (int i = 0; i < p->n; i++) g->type[i] = entry_type(w->src, w->opts, q, &p->e[i]);
    gguf_kv kv = {0};
    int rc = build_kv(w, g->type, &kv, &g->x, err);
    if (!rc && kv.oom) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (!rc) {
        g->fd = ckpt_txn_create(w->txn, g->path, err);
        if (g->fd < 0) {
            ckpt_err_at_path(err, g->path);
            rc = err && err->code ? (int)err->code : CKPT_E_IO;
        }
    }
    if (!rc) rc = write_header(w, g, &kv, err);
    ckpt__gkv_free(&kv);
    return rc;
}

/* Quantize whole blocks of x (n floats, a multiple of 32) into the output. */
static int out_blocks(gwriter *g, int type, const float *x, size_t n, uint64_t first, const char *name,
                      ckpt_err *err)
{
    long bad = ckpt__q_nonfinite(x, n);
    if (bad >= 0) {
        ckpt_err_set(err, CKPT_E_FORMAT, "element %llu is not finite: %s has no code for NaN or infinity",
                     (unsigned long long)(first + (uint64_t)bad), type == GGT_Q8_0 ? "Q8_0" : "Q4_0");
        return ckpt_err_at_tensor(err, name), CKPT_E_FORMAT;
    }
    size_t nb = n / 32, bs = type == GGT_Q8_0 ? 34 : 18;
    if (nb * bs > g->qcap) {
        unsigned char *nq = realloc(g->qbuf, nb * bs);
        if (!nq) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
        g->qbuf = nq;
        g->qcap = nb * bs;
    }
    if (type == GGT_Q8_0) ckpt__q8_0_row(x, g->qbuf, nb);
    else ckpt__q4_0_row(x, g->qbuf, nb);
    return out(g, g->qbuf, nb * bs, err);
}

int ckpt__gguf_write(ckpt_writer *w, int i, uint64_t off, const void *buf, size_t n, ckpt_err *err)
{
    gwriter *g = w->priv;
    const ckpt_plan_entry *e = &w->plan->e[i];
    int type = g->type[i], rc = 0;
    if (type != GGT_Q8_0 && type != GGT_Q4_0) {
        rc = out(g, buf, n, err);
    } else {
        const float *x = buf;
        size_t nf = n / sizeof(float);
        uint64_t first = off / sizeof(float);
        if (g->ncarry) {    /* complete the block the last chunk cut */
            uint64_t bstart = first - (uint64_t)g->ncarry;
            size_t k = 32 - (size_t)g->ncarry < nf ? 32 - (size_t)g->ncarry : nf;
            memcpy(g->carry + g->ncarry, x, k * sizeof *x);
            g->ncarry += (int)k;
            x += k;
            nf -= k;
            if (g->ncarry == 32) {
                rc = out_blocks(g, type, g->carry, 32, bstart, e->name, err);
                g->ncarry = 0;
            }
            first += k;
        }
        size_t whole = nf / 32 * 32;
        if (!rc && whole) rc = out_blocks(g, type, x, whole, first, e->name, err);
        if (!rc && nf > whole) {
            memcpy(g->carry, x + whole, (nf - whole) * sizeof *x);
            g->ncarry = (int)(nf - whole);
        }
    }
    if (!rc && off + n == e->nbytes) rc = pad(g, err);
    return rc;
}

int ckpt__gguf_write_end(ckpt_writer *w, ckpt_err *err)
{
    gwriter *g = w->priv;
    int rc = 0;
    for (uint32_t i = 0; !rc && i < g->x.nrope; i++) {   /* little-endian F32, as the host's */
        uint32_t u;
        memcpy(&u, &g->x.rope_freqs[i], 4);
        rc = out_le(g, u, 4, err);
    }
    if (!rc && g->x.nrope) rc = pad(g, err);
    if (!rc) rc = flush(g, err);
    if (!rc) {
        ckpt_txn_close_fd(w->txn, g->fd);
        if (w->res) {
            w->res->nfiles = 1;
            snprintf(w->res->main_path, sizeof w->res->main_path, "%s", g->path);
        }
    }
    ckpt__gguf_write_abort(w);
    return rc;
}

int ckpt__gguf_can_write(const ckpt_model *m, char *why, size_t n)
{
    if (is_gguf_src(m)) return 1;
    return ckpt__gguf_hf_family(m, why, n);
}
