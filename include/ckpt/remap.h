/* ckpt/remap.h: name remapping rules, targets and presets (src/remap/,
 * src/expect.c, src/presets.c; the TUI's remap editor uses this API).
 *
 * A rules text has one rule a line, '#' comments, applied top to bottom:
 *   REGEX -> REPLACEMENT            rename ($1.. capture groups)
 *   REGEX -> drop                   drop the tensor
 *   REGEX -> @keras3                the Keras 3 path of the weight (Keras inputs with a config)
 *   plus transforms (transpose, reshape, split, cast): see README.
 * Errors carry "FILE:LINE:COL: message" in err->msg.
 */
#ifndef CKPT_REMAP_H
#define CKPT_REMAP_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt/check.h"
#include "ckpt/err.h"
#include "ckpt/model.h"

typedef struct ckpt_remap ckpt_remap;

/* Parse rules text; `origin` names it in errors ("map.txt", "<rename>"). */
int ckpt_remap_parse(const char *text, const char *origin, ckpt_remap **out, ckpt_err *err);
/* Load a rules file, or a shipped preset given as "preset:NAME". */
int ckpt_remap_load(const char *path_or_preset, ckpt_remap **out, ckpt_err *err);
/* Append an inline "FROM=TO" rename (as --rename). *r may be NULL: created. */
int ckpt_remap_add_rename(ckpt_remap **r, const char *from_eq_to, ckpt_err *err);
void ckpt_remap_free(ckpt_remap *r);

int ckpt_remap_nrules(const ckpt_remap *r);
const char *ckpt_remap_rule_text(const ckpt_remap *r, int i);

/* Map one name: returns 1 and writes the new name when a rule renamed it,
 * 0 when no rule matched (out = name), -1 when a rule drops it. */
int ckpt_remap_name(const ckpt_remap *r, const char *name, char *out, size_t n);
/* The same for tensor `i` of a model, so "-> @keras3" rules (which need the
 * model's config) apply as they do in convert. */
int ckpt_remap_tensor_name(const ckpt_remap *r, ckpt_model *m, int i, char *out, size_t n);

/* A target layout: expected names (and shapes when known) from a
 * checkpoint path, a names/shapes list file, or "preset:NAME". */
typedef struct ckpt_target ckpt_target;
int ckpt_target_load(const char *spec, ckpt_target **out, ckpt_err *err);
void ckpt_target_free(ckpt_target *t);
int ckpt_target_count(const ckpt_target *t);
/* 1 if `name` is expected by the target. */
int ckpt_target_has(const ckpt_target *t, const char *name);

/* `ckpt check PATH --expect TARGET [--map FILE]`: the model's tensors,
 * after `map` (may be NULL), against the target: MISSING, UNEXPECTED,
 * SHAPE, DTYPE findings, and RENAME findings pairing an unexpected tensor
 * with a missing one of equal shape and similar name; suggestions are rule
 * lines ("^old$ -> new | transpose") ready for a map file. A preset target
 * reports tensors no rule of the preset claims (src/expect.c). */
int ckpt_check_expect(ckpt_model *m, const ckpt_remap *map, const ckpt_target *t,
                      ckpt_findings *out, ckpt_err *err);

/* Presets shipped with the program (`ckpt maps`). */
int ckpt_preset_count(void);
const char *ckpt_preset_name(int i);
const char *ckpt_preset_desc(int i);

/* The rules text of a shipped preset (NULL if unknown). */
const char *ckpt_preset_text(const char *name);

/* Define {KEY} for reshape/split dimensions (as a `set KEY = N` line would);
 * values from `set` win over the model's config.json. */
int ckpt_remap_set_var(ckpt_remap *r, const char *key, const char *value, ckpt_err *err);
/* Append the rules of a file or "preset:NAME" after those in *r (created
 * when NULL): how `--rename` and `--map` combine on one command line. */
int ckpt_remap_append(ckpt_remap **r, const char *path_or_preset, ckpt_err *err);
/* After an apply (ckpt_convert with opts->remap) or a preview: matches of
 * rule i, -1 for an optional ('?') rule; and the warning line for a
 * non-optional rule that matched nothing (malloc'd), else NULL. */
long ckpt_remap_rule_hits(const ckpt_remap *r, int i);
char *ckpt_remap_unmatched_warning(const ckpt_remap *r, int i);
/* Line number of rule i in its text. */
int ckpt_remap_rule_line(const ckpt_remap *r, int i);

/* A model seen through the rules, without converting: the names, shapes
 * and dtypes a conversion would write, the dropped tensors, warnings
 * ("FILE:LINE:COL: rule matches no tensor: ...") and the mapped bytes.
 * Errors (two names onto one, reshape sizes that disagree, a {KEY} that is
 * not set) fail here, before anything is written. `r` may be NULL. */
typedef struct ckpt_remapped ckpt_remapped;
typedef struct ckpt_remapped_info {
    const char *name;       /* output name */
    int src;                /* source tensor index in the model */
    ckpt_dtype dtype;
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
    uint64_t nbytes;
    int rule_line;          /* last rule that renamed it, 0 if none */
    const char *xform;      /* "transpose | reshape[...]" or NULL (plain copy) */
} ckpt_remapped_info;
int ckpt_remap_preview(const ckpt_remap *r, ckpt_model *m, ckpt_remapped **out, ckpt_err *err);
void ckpt_remapped_free(ckpt_remapped *v);
int ckpt_remapped_count(const ckpt_remapped *v);
int ckpt_remapped_entry(const ckpt_remapped *v, int i, ckpt_remapped_info *info);
int ckpt_remapped_find(const ckpt_remapped *v, const char *name);      /* index or -1 */
int ckpt_remapped_ndropped(const ckpt_remapped *v);
int ckpt_remapped_dropped(const ckpt_remapped *v, int i, int *rule_line); /* tensor index */
int ckpt_remapped_nwarnings(const ckpt_remapped *v);
const char *ckpt_remapped_warning(const ckpt_remapped *v, int i);
/* Output bytes of mapped tensor i (transforms applied, streamed). */
int ckpt_remapped_read(ckpt_remapped *v, int i, uint64_t off, void *buf, size_t n, ckpt_err *err);

/* ---- additions: optimizer state, preset targets ---- */

/* Flags for the _ex variants. Optimizer state (CKPT_TF_OPTIMIZER tensors)
 * is left out of previews, diffs and checks unless asked, as in convert. */
#define CKPT_REMAP_INCLUDE_OPTIMIZER 0x1u
int ckpt_remap_preview_ex(const ckpt_remap *r, ckpt_model *m, unsigned flags, ckpt_remapped **out, ckpt_err *err);
/* Optimizer tensors of the model left out of the preview (0 with the flag). */
int ckpt_remapped_noptimizer(const ckpt_remapped *v);
/* ckpt_check_expect with flags; notes (out->notes) say what was not
 * compared: optimizer tensors left out, and for a preset target how its
 * expected names were enumerated (or that they could not be). */
int ckpt_check_expect_ex(ckpt_model *m, const ckpt_remap *map, const ckpt_target *t, unsigned flags,
                         ckpt_findings *out, ckpt_err *err);

#endif
