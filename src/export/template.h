/* src/export/template.h: a small text template filler for the exporters
 * (templates/ files, never C strings).
 *
 *   {{NAME}}                  the value of NAME (an unknown name is an error)
 *   {{#if FLAG}} / {{#if !FLAG}} / {{#else}} / {{/if}}
 *                             on a line of their own: keep or drop the lines
 *                             between (nestable); FLAG is true when set to
 *                             something other than "" or "0".
 */
#ifndef CKPT_EXPORT_TEMPLATE_H
#define CKPT_EXPORT_TEMPLATE_H

#include "internal.h"

#define TPL_MAXVARS 96

typedef struct tpl_vars {
    char *k[TPL_MAXVARS], *v[TPL_MAXVARS];
    int n;
} tpl_vars;

void ckpt__tpl_set(tpl_vars *v, const char *k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *ckpt__tpl_get(const tpl_vars *v, const char *k);
void ckpt__tpl_vars_free(tpl_vars *v);
/* The filled text (malloc'd), or NULL with err naming origin:line. */
char *ckpt__tpl_render(const char *text, const tpl_vars *v, const char *origin, ckpt_err *err);
/* The template directory ($CKPT_TEMPLATES, templates/ beside the binary or
 * ../share/ckpt/templates), with `sub` appended; malloc'd, NULL if none. */
char *ckpt__tpl_dir(const char *sub);

#endif
