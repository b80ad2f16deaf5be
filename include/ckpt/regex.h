/* ckpt/regex.h: the regex engine of the remap rules (PCRE2 with JIT, Python
 * `re` syntax: (?:...), lazy quantifiers, \d, \b, named groups) for callers
 * outside the engine, such as the TUI's name filter (src/remap/regex.c).
 */
#ifndef CKPT_REGEX_H
#define CKPT_REGEX_H

#include <stddef.h>

#include "ckpt/err.h"

typedef struct ckpt_regex ckpt_regex;

#define CKPT_REGEX_ICASE 0x1u   /* as Python's (?i) / re.IGNORECASE */

/* Compile `pat`. On error: CKPT_E_USAGE, err->offset the 0-based column
 * of `pat` at fault and err->msg "column N: why". */
int ckpt_regex_compile(const char *pat, unsigned flags, ckpt_regex **out, ckpt_err *err);
/* re.search on s[0..len): 1 with the match in [*so, *eo), 0 no match,
 * -1 the backtracking limit (a pathological pattern) or memory ran out. */
int ckpt_regex_search(const ckpt_regex *r, const char *s, size_t len, size_t *so, size_t *eo);
void ckpt_regex_free(ckpt_regex *r);

#endif
