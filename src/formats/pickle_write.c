/* src/formats/pickle_write.c: the pickle opcodes torch.save's protocol-2
 * pickler emits for a state dict, written into a growing buffer. Only what
 * torch.load(weights_only=True) accepts is offered (no floats: torch 1.13's
 * weights-only loader has no BINFLOAT). */
#include <stdlib.h>
#include <string.h>

#include "formats/pickle_write.h"

static void put(pkw *w, const void *s, size_t n)
{
    if (w->bad) return;
    if (w->n + n > w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 4096;
        while (nc < w->n + n) nc *= 2;
        unsigned char *np = realloc(w->p, nc);
        if (!np) { w->bad = 1; return; }
        w->p = np;
        w->cap = nc;
    }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}

static void put_le(pkw *w, uint64_t v, int bytes)
{
    unsigned char t[8];
    for (int i = 0; i < bytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    put(w, t, (size_t)bytes);
}

void ckpt__pkw_op(pkw *w, unsigned char op) { put(w, &op, 1); }

void ckpt__pkw_proto(pkw *w, int version)
{
    ckpt__pkw_op(w, 0x80);
    ckpt__pkw_op(w, (unsigned char)version);
}

void ckpt__pkw_int(pkw *w, int64_t v)
{
    if (v >= 0 && v < 256) {
        ckpt__pkw_op(w, 'K');
        put_le(w, (uint64_t)v, 1);
    } else if (v >= 0 && v < 65536) {
        ckpt__pkw_op(w, 'M');
        put_le(w, (uint64_t)v, 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        ckpt__pkw_op(w, 'J');
        put_le(w, (uint64_t)(uint32_t)(int32_t)v, 4);
    } else {
        /* LONG1: the shortest two's-complement little-endian bytes */
        int n = 8;
        while (n > 1) {
            int64_t hi = v >> (8 * (n - 1) - 1);
            if (hi != 0 && hi != -1) break;
            n--;
        }
        ckpt__pkw_op(w, 0x8a);
        put_le(w, (uint64_t)n, 1);
        put_le(w, (uint64_t)v, n);
    }
}

void ckpt__pkw_str(pkw *w, const char *s)
{
    size_t n = strlen(s);
    ckpt__pkw_op(w, 'X');
    put_le(w, n, 4);
    put(w, s, n);
}

void ckpt__pkw_global(pkw *w, const char *module, const char *name)
{
    ckpt__pkw_op(w, 'c');
    put(w, module, strlen(module));
    put(w, "\n", 1);
    put(w, name, strlen(name));
    put(w, "\n", 1);
}

uint32_t ckpt__pkw_put(pkw *w)
{
    uint32_t slot = w->memo++;
    if (slot < 256) {
        ckpt__pkw_op(w, 'q');
        put_le(w, slot, 1);
    } else {
        ckpt__pkw_op(w, 'r');
        put_le(w, slot, 4);
    }
    return slot;
}

void ckpt__pkw_get(pkw *w, uint32_t slot)
{
    if (slot < 256) {
        ckpt__pkw_op(w, 'h');
        put_le(w, slot, 1);
    } else {
        ckpt__pkw_op(w, 'j');
        put_le(w, slot, 4);
    }
}

void ckpt__pkw_int_tuple(pkw *w, const int64_t *v, int n)
{
    if (n == 0) { ckpt__pkw_op(w, PKW_EMPTY_TUPLE); return; }
    if (n > 3) ckpt__pkw_op(w, PKW_MARK);
    for (int i = 0; i < n; i++) ckpt__pkw_int(w, v[i]);
    ckpt__pkw_op(w, n == 1 ? 0x85 : n == 2 ? 0x86 : n == 3 ? 0x87 : PKW_TUPLE);
}

void ckpt__pkw_free(pkw *w)
{
    free(w->p);
    memset(w, 0, sizeof *w);
}
