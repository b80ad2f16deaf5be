/* src/remap/rx.h: the regex engine of the remap rules (PCRE2 with JIT).
 *
 * Patterns are written in Python `re` syntax. The few constructs PCRE2
 * reads differently are rewritten (\Z, {,n}, \v, a leading (?a)/(?u)) or
 * refused with their column (POSIX [[:alpha:]] classes, \Q..\E). Each
 * compiled pattern carries literal prefilters (an anchored literal prefix,
 * a literal suffix before a final '$', a required literal run) checked
 * before PCRE2 runs; a pattern is interpreted on its first names and
 * JIT-compiled once hot; match data is one block per thread.
 */
#ifndef CKPT_REMAP_RX_H
#define CKPT_REMAP_RX_H

#include <stddef.h>

#define CKPT_RX_MAXGROUPS 63   /* capture groups a replacement may name */

typedef struct ckpt_rx ckpt_rx;
typedef struct ckpt_rx_span { long so, eo; } ckpt_rx_span;   /* -1, -1: group unset */

/* Compile `pat`. On error returns NULL with *ecol the 0-based offset in
 * `pat` and a one-line reason in emsg (never NULL on out of memory: the
 * reason says so). */
ckpt_rx *ckpt__rx_compile(const char *pat, size_t *ecol, char *emsg, size_t emsg_n);
void ckpt__rx_free(ckpt_rx *x);
int ckpt__rx_ngroups(const ckpt_rx *x);
/* number of the group called `name` (len bytes), or -1 */
int ckpt__rx_group_number(const ckpt_rx *x, const char *name, size_t len);
/* the anchored literal prefix every match starts the subject with, or NULL */
const char *ckpt__rx_prefix(const ckpt_rx *x, size_t *len);
/* First match in s[0..len): 1 with m[0..nm) filled (whole match, then
 * groups), 0 no match, -1 the match limit or memory ran out. */
int ckpt__rx_exec(const ckpt_rx *x, const char *s, size_t len, ckpt_rx_span *m, int nm);
/* The same without the literal prefilters: PCRE2 alone, for the tests that
 * hold the prefilters to it (test_remap, fuzz_remap). */
int ckpt__rx_exec_unfiltered(const ckpt_rx *x, const char *s, size_t len, ckpt_rx_span *m, int nm);

#endif
