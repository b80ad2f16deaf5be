/* bigbuf.c: big, growing buffers (a header's text, the tensor table, the
 * name index) in anonymous mappings advised for transparent huge pages.
 * Opening 100,000 tensors touches some 30 MiB once; in 4 KiB pages that
 * is 7,000 page faults and a quarter of the open time, in 2 MiB pages a
 * few dozen. Below 2 MiB the buffer is malloc'd as usual. The file is
 * never mapped: a source truncated under us must be an error, not SIGBUS.
 *
 * Each buffer starts with a 16-byte header holding its mapping length (0
 * when malloc'd), so ckpt__big_free and ckpt__big_realloc know which it
 * is; every buffer from here goes back through them, never free(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define BIG_HDR 16u
#define BIG_HUGE ((size_t)2 << 20)
/* smaller: malloc (a huge page, resident whole once touched, would be part
 * empty); a 2 MiB block less its headers (the pool's, a shard set's read
 * buffer) still counts */
#define BIG_MIN (BIG_HUGE - 128)

typedef struct { size_t map; size_t n; } big_hdr;   /* n: the size asked, when malloc'd */

/* A mapping of a whole number of huge pages: the kernel aligns those to
 * 2 MiB, so every page of it can be huge. */
static size_t map_len(size_t n)
{
    return (n + BIG_HDR + BIG_HUGE - 1) & ~(BIG_HUGE - 1);
}

static void *big_map(size_t n)
{
    if (n > SIZE_MAX - BIG_HDR - BIG_HUGE) return NULL;
    size_t len = map_len(n);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, len, MADV_HUGEPAGE);   /* advice only: 4 KiB pages if refused */
#endif
    ((big_hdr *)p)->map = len;
    return (char *)p + BIG_HDR;
}

static void *big_malloc(size_t n, int zero)
{
    if (n > SIZE_MAX - BIG_HDR) return NULL;
    big_hdr *h = zero ? calloc(1, n + BIG_HDR) : malloc(n + BIG_HDR);
    if (!h) return NULL;
    h->map = 0;
    h->n = n;
    return (char *)h + BIG_HDR;
}

static big_hdr *hdr_of(void *p) { return (big_hdr *)((char *)p - BIG_HDR); }

void *ckpt__big_alloc(size_t n)
{
    if (n >= BIG_MIN) {
        void *p = big_map(n);
        if (p) return p;
    }
    return big_malloc(n, 0);
}

void *ckpt__big_calloc(size_t n, size_t sz)
{
    if (sz && n > SIZE_MAX / sz) return NULL;
    size_t t = n * sz;
    if (t >= BIG_MIN) {
        void *p = big_map(t);   /* fresh anonymous pages are zero */
        if (p) return p;
    }
    return big_malloc(t, 1);
}

void ckpt__big_free(void *p)
{
    if (!p) return;
    big_hdr *h = hdr_of(p);
    if (h->map) munmap(h, h->map);
    else free(h);
}

/* Grow or shrink; like realloc, NULL leaves p as it was. A mapping moves
 * with mremap (page tables, not bytes; the huge-page advice goes along). */
void *ckpt__big_realloc(void *p, size_t n)
{
    if (!p) return ckpt__big_alloc(n);
    if (n > SIZE_MAX - BIG_HDR - BIG_HUGE) return NULL;
    big_hdr *h = hdr_of(p);
    if (h->map) {
        size_t len = map_len(n);
        if (len == h->map) return p;
        void *q = mremap(h, h->map, len, MREMAP_MAYMOVE);
        if (q == MAP_FAILED) return len < h->map ? p : NULL;
        ((big_hdr *)q)->map = len;
        return (char *)q + BIG_HDR;
    }
    if (n < BIG_MIN) {
        big_hdr *q = realloc(h, n + BIG_HDR);
        if (!q) return NULL;
        q->n = n;
        return (char *)q + BIG_HDR;
    }
    void *q = ckpt__big_alloc(n);
    if (!q) return NULL;
    memcpy(q, p, h->n < n ? h->n : n);
    free(h);
    return q;
}

/* Give back the pages past the first n bytes, in place: the pointer and
 * the bytes before n stay (a malloc'd buffer stays as it is). */
void ckpt__big_trim(void *p, size_t n)
{
    if (!p) return;
    big_hdr *h = hdr_of(p);
    if (!h->map || n > SIZE_MAX - BIG_HDR - BIG_HUGE) return;
    size_t len = map_len(n);
    if (len >= h->map) return;
    munmap((char *)h + len, h->map - len);
    h->map = len;
}
