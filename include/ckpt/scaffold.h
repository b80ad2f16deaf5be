/* ckpt/scaffold.h: `ckpt scaffold kerashub`: the Python files of a new
 * KerasHub model, written from a Hugging Face config.json.
 *
 * The config is analysed (src/arch.c: attention kind, activation, norm,
 * position encoding, tied embeddings, tasks); the templates/kerashub files are
 * filled for it, and a ckpt rules file mapping the Hugging Face weight names
 * to the scaffold's variables is written with the list of those variables
 * (for `ckpt check CKPT --map RULES --expect VARIABLES`). What could not be
 * inferred is left as TODO in the code and listed by file and line. */
#ifndef CKPT_SCAFFOLD_H
#define CKPT_SCAFFOLD_H

#include "ckpt/err.h"

typedef struct ckpt_scaffold_result {
    char **summary; int nsummary;       /* "model_type    llama" ... (analysis, in order) */
    char **files; int nfiles;           /* paths written */
    char **todos; int ntodos;           /* "DIR/x.py:12: TODO ..." */
    char **unsupported; int nunsupported; /* what the scaffold cannot follow (then nothing is written) */
} ckpt_scaffold_result;

/* SRC: a config.json, a folder holding one, or hf://org/name. NAME (may be
 * NULL: from model_type) names the files and classes. Templates are read
 * from $CKPT_TEMPLATES, else templates/ beside the executable or in
 * ../share/ckpt/templates. An unsupported architecture fills `unsupported`
 * and fails with CKPT_E_UNSUPPORTED (summary still filled). */
int ckpt_scaffold_kerashub(const char *src, const char *outdir, const char *name,
                           ckpt_scaffold_result *res, ckpt_err *err);
void ckpt_scaffold_result_free(ckpt_scaffold_result *res);

#endif
