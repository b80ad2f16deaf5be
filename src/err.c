/* err.c: the error struct (first error wins, context added on the way up). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const code_names[] = {
#define CKPT_ERR_STR_(n, s) s,
    CKPT_ERRORS(CKPT_ERR_STR_)
#undef CKPT_ERR_STR_
};

void ckpt_err_clear(ckpt_err *e)
{
    if (!e) return;
    memset(e, 0, sizeof *e);
    e->offset = CKPT_NO_OFFSET;
}

static int vset(ckpt_err *e, ckpt_code code, int errnum, const char *fmt, va_list ap)
{
    if (!e || e->code != CKPT_OK) return code;
    /* a zeroed struct has offset 0: treat "no code yet" as "no offset yet" */
    e->offset = CKPT_NO_OFFSET;
    e->code = code;
    e->sys_errno = errnum;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    if (errnum) {
        size_t l = strlen(e->msg);
        snprintf(e->msg + l, sizeof e->msg - l, ": %s", strerror(errnum));
    }
    return code;
}

int ckpt_err_set(ckpt_err *e, ckpt_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vset(e, code, 0, fmt, ap);
    va_end(ap);
    return r;
}

int ckpt_err_sys(ckpt_err *e, ckpt_code code, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vset(e, code, errnum, fmt, ap);
    va_end(ap);
    return r;
}

int ckpt__fail(ckpt_err *e, const char *path, const char *tensor, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(e, CKPT_E_FORMAT, 0, fmt, ap);
    va_end(ap);
    ckpt_err_at_path(e, path);
    ckpt_err_at_tensor(e, tensor);
    if (off != CKPT_NO_OFFSET) ckpt_err_at_offset(e, off);
    return e && e->code ? (int)e->code : CKPT_E_FORMAT;
}

void ckpt_err_at_path(ckpt_err *e, const char *path)
{
    if (e && e->code && !e->path[0] && path) snprintf(e->path, sizeof e->path, "%s", path);
}

void ckpt_err_at_tensor(ckpt_err *e, const char *tensor)
{
    if (e && e->code && !e->tensor[0] && tensor) snprintf(e->tensor, sizeof e->tensor, "%s", tensor);
}

void ckpt_err_at_offset(ckpt_err *e, uint64_t offset)
{
    if (e && e->code && e->offset == CKPT_NO_OFFSET) e->offset = offset;
}

const char *ckpt_err_line(const ckpt_err *e, char *buf, size_t n)
{
    if (!n) return buf;
    buf[0] = 0;
    if (!e || e->code == CKPT_OK) {
        snprintf(buf, n, "ok");
        return buf;
    }
    size_t l = 0;
#define APPEND(...) do { if (l < n) { int w_ = snprintf(buf + l, n - l, __VA_ARGS__); if (w_ > 0) l += (size_t)w_; } } while (0)
    if (e->path[0]) APPEND("%s: ", e->path);
    if (e->tensor[0]) APPEND("tensor '%s': ", e->tensor);
    if (e->offset != CKPT_NO_OFFSET) APPEND("at byte %llu: ", (unsigned long long)e->offset);
    APPEND("%s", e->msg[0] ? e->msg : code_names[e->code]);
#undef APPEND
    /* one line, always */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return buf;
}

const char *ckpt_code_str(ckpt_code c)
{
    if ((int)c < 0 || c >= CKPT_E_COUNT) return "unknown error";
    return code_names[c];
}

int ckpt_err_exit_code(const ckpt_err *e)
{
    if (!e || e->code == CKPT_OK) return 0;
    if (e->code == CKPT_E_USAGE) return 2;
    return 3;
}
