/* ckpt/err.h: the one error struct that travels through the engine.
 *
 * Engine functions take a `ckpt_err *` and return a ckpt_code (0 = CKPT_OK).
 * The first error set wins (later calls are no-ops), so the deepest, most
 * precise message survives while callers add context (file, tensor, offset)
 * with the ckpt_err_at_* helpers, which also only fill empty fields.
 * The library never prints: callers format with ckpt_err_line().
 *
 * Every public function that takes a `ckpt_err *` accepts NULL: the call
 * then only returns its code (the message is dropped). Every ckpt_err_*
 * helper below also accepts NULL (ckpt_err_line prints "ok").
 */
#ifndef CKPT_ERR_H
#define CKPT_ERR_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_ERRORS(_)                                          \
    _(OK,          "ok")                                        \
    _(USAGE,       "invalid argument")                          \
    _(IO,          "I/O error")                                 \
    _(FORMAT,      "malformed input")                           \
    _(UNSUPPORTED, "unsupported")                               \
    _(NOTFOUND,    "not found")                                 \
    _(NOMEM,       "out of memory")                             \
    _(CANCELLED,   "cancelled")                                 \
    _(NET,         "network error")                             \
    _(AUTH,        "authentication required")                   \
    _(INTEGRITY,   "integrity check failed")                    \
    _(UNSAFE,      "refused unsafe content")

typedef enum ckpt_code {
#define CKPT_ERR_ENUM_(n, s) CKPT_E_##n,
    CKPT_ERRORS(CKPT_ERR_ENUM_)
#undef CKPT_ERR_ENUM_
    CKPT_E_COUNT
} ckpt_code;
#define CKPT_OK CKPT_E_OK

#define CKPT_NO_OFFSET UINT64_MAX

typedef struct ckpt_err {
    ckpt_code code;
    int sys_errno;       /* errno copied at the failure, 0 if none */
    uint64_t offset;     /* byte offset in `path`, CKPT_NO_OFFSET if none */
    char path[512];      /* file (or URL) involved, "" if none */
    char tensor[256];    /* tensor (or rule, layer) involved, "" if none */
    char msg[768];       /* what went wrong, without path/tensor/offset */
} ckpt_err;

void ckpt_err_clear(ckpt_err *e);

/* Set the error if none is set yet; returns `code` so callers can write
 * `return ckpt_err_set(err, CKPT_E_FORMAT, "bad dtype '%s'", s);`. */
int ckpt_err_set(ckpt_err *e, ckpt_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, and records errno (strerror is appended to the message). */
int ckpt_err_sys(ckpt_err *e, ckpt_code code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Add context, each only if that field is still empty/unset. */
void ckpt_err_at_path(ckpt_err *e, const char *path);
void ckpt_err_at_tensor(ckpt_err *e, const char *tensor);
void ckpt_err_at_offset(ckpt_err *e, uint64_t offset);

/* One line: "PATH: tensor 'T': at byte N: MSG". Returns buf. */
const char *ckpt_err_line(const ckpt_err *e, char *buf, size_t n);
const char *ckpt_code_str(ckpt_code c);
/* CLI exit code for an error: 2 usage, 3 input/IO (everything else), 0 ok. */
int ckpt_err_exit_code(const ckpt_err *e);

#endif
