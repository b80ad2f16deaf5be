/* src/formats/pickle_write.h: a small pickle writer (protocol 2 opcodes,
 * the subset torch.save emits) building a byte buffer in memory. */
#ifndef CKPT_PICKLE_WRITE_H
#define CKPT_PICKLE_WRITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pkw {
    unsigned char *p;
    size_t n, cap;
    int bad;                /* out of memory: every later call is a no-op */
    uint32_t memo;          /* next memo slot */
} pkw;

/* Single-byte opcodes, by their pickle letters. */
#define PKW_MARK ((unsigned char)'(')
#define PKW_STOP ((unsigned char)'.')
#define PKW_TUPLE ((unsigned char)'t')
#define PKW_EMPTY_TUPLE ((unsigned char)')')
#define PKW_REDUCE ((unsigned char)'R')
#define PKW_SETITEMS ((unsigned char)'u')
#define PKW_BINPERSID ((unsigned char)'Q')
#define PKW_NEWFALSE ((unsigned char)0x89)

void ckpt__pkw_op(pkw *w, unsigned char op);
void ckpt__pkw_proto(pkw *w, int version);
void ckpt__pkw_int(pkw *w, int64_t v);                 /* BININT1 / BININT2 / BININT / LONG1 */
void ckpt__pkw_str(pkw *w, const char *s);             /* BINUNICODE (UTF-8) */
void ckpt__pkw_global(pkw *w, const char *module, const char *name);   /* GLOBAL */
uint32_t ckpt__pkw_put(pkw *w);                        /* memoize the top: BINPUT / LONG_BINPUT */
void ckpt__pkw_get(pkw *w, uint32_t slot);             /* BINGET / LONG_BINGET */
/* A tuple of ints: EMPTY_TUPLE, TUPLE1..3, or MARK ... TUPLE. */
void ckpt__pkw_int_tuple(pkw *w, const int64_t *v, int n);
void ckpt__pkw_free(pkw *w);

#endif
