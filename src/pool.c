/* pool.c: a string pool (arena). A model's tensor and node names live in
 * one: 100,000 names are a few large blocks instead of 300,000 mallocs,
 * and closing the model frees them at once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define POOL_BLOCK (256u << 10)
#define POOL_BLOCK_MAX ((size_t)8 << 20)
/* a block's own header and bigbuf's: a block of 2^k bytes fills 2^k exactly */
#define POOL_OVERHEAD 64u

struct pool_block { struct pool_block *next; size_t cap; char data[]; };

struct pool_adopted { struct pool_adopted *next; void *p; };

struct ckpt_pool {
    struct pool_block *head;
    char *cur;
    size_t left;
    size_t next;                    /* the next block's size: doubles, to huge pages */
    struct pool_adopted *adopted;   /* big buffers freed with the pool */
};

ckpt_pool *ckpt__pool_new(void) { return calloc(1, sizeof(ckpt_pool)); }

void ckpt__pool_free(ckpt_pool *p)
{
    if (!p) return;
    for (struct pool_block *b = p->head, *nx; b; b = nx) {
        nx = b->next;
        ckpt__big_free(b);
    }
    for (struct pool_adopted *a = p->adopted, *nx; a; a = nx) {
        nx = a->next;
        ckpt__big_free(a->p);
        free(a);
    }
    free(p);
}

int ckpt__pool_adopt(ckpt_pool *p, void *buf)
{
    struct pool_adopted *a = malloc(sizeof *a);
    if (!a) return -1;
    a->p = buf;
    a->next = p->adopted;
    p->adopted = a;
    return 0;
}

static void *take(ckpt_pool *p, size_t n, size_t align)
{
    size_t pad = (size_t)(-(uintptr_t)p->cur & (align - 1));
    if (!p->head || n + pad > p->left) {
        /* a string bigger than a quarter block gets its own block; the
         * current one stays open for the next small ones */
        int own = n > POOL_BLOCK / 4;
        if (!p->next) p->next = POOL_BLOCK;
        size_t cap = own ? n : p->next - POOL_OVERHEAD;
        struct pool_block *b = ckpt__big_alloc(sizeof *b + cap);
        if (!b) return NULL;
        if (!own && p->next < POOL_BLOCK_MAX) p->next *= 2;
        b->cap = cap;
        if (own && p->head) {
            b->next = p->head->next;
            p->head->next = b;
            return b->data;
        }
        b->next = p->head;
        p->head = b;
        p->cur = b->data;
        p->left = cap;
        pad = 0;
    }
    void *r = p->cur + pad;
    p->cur += n + pad;
    p->left -= n + pad;
    return r;
}

void *ckpt__pool_alloc(ckpt_pool *p, size_t n) { return take(p, n ? n : 1, 8); }

/* Room for n more bytes in the current block: a reader that knows what a
 * header's names and shapes take puts them in one block (from a quarter
 * MiB up, a whole number of huge pages) instead of a chain of doubling
 * ones; the next shards' go in after them (untouched pages cost nothing). */
int ckpt__pool_reserve(ckpt_pool *p, size_t n)
{
    if (p->head && n <= p->left) return 0;
    size_t huge = (size_t)2 << 20;
    size_t sz = n + POOL_OVERHEAD;
    if (sz < POOL_BLOCK) return 0;   /* the usual blocks will do */
    /* room for the next two alike: the last huge page a block has touched
     * is resident whole, so fewer blocks leave fewer part-empty ones */
    if (sz <= SIZE_MAX / 4) sz *= 3;
    sz = (sz + huge - 1) & ~(huge - 1);
    struct pool_block *b = ckpt__big_alloc(sz - POOL_OVERHEAD + sizeof *b);
    if (!b) return -1;
    b->cap = sz - POOL_OVERHEAD;
    b->next = p->head;
    p->head = b;
    p->cur = b->data;
    p->left = b->cap;
    return 0;
}

char *ckpt__pool_strndup(ckpt_pool *p, const char *s, size_t n)
{
    char *d = take(p, n + 1, 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *ckpt__pool_strdup(ckpt_pool *p, const char *s)
{
    return s ? ckpt__pool_strndup(p, s, strlen(s)) : NULL;
}
