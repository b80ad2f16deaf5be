/* src/export/kerashub.h: what the KerasHub preset exporter (kerashub.c),
 * its family tables (kerashub_family.c), its tokenizer conversions
 * (kerashub_tok.c) and the scaffold (scaffold.c) share.
 *
 * A family is one KerasHub backbone that KerasHub itself converts from a
 * Hugging Face checkpoint (keras_hub/src/utils/transformers/convert_*.py):
 * its config mapping, the remap preset that turns HF weight names into the
 * backbone's variable paths (src/presets.c), and its layout: every variable
 * the backbone creates, with the HDF5 path `save_weights` stores it at and
 * its shape from the config. */
#ifndef CKPT_EXPORT_KERASHUB_H
#define CKPT_EXPORT_KERASHUB_H

#include <cjson/cJSON.h>

#include "internal.h"

/* Versions whose layout and config format the exporter follows. */
#define KH_KERAS_VERSION "3.6.0"
#define KH_KERAS_HUB_VERSION "0.18.1"

enum { KH_TOK_BPE = 1, KH_TOK_SPM, KH_TOK_WORDPIECE };

/* Sizes from the HF config (per family keys); D = head dim, G = gate width. */
typedef struct kh_dims {
    int64_t L, H, Q, K, D, I, V, P, S, G;
    int tied;
} kh_dims;

/* One variable of the layout. {L} in var/h5/hf is the layer index, {_L}
 * is "" for layer 0 and "_N" after (Keras' per-class numbering). shape is
 * letters of kh_dims ("H,Q,D"). */
typedef struct kh_entry {
    const char *var, *h5, *hf, *shape;
    unsigned flags;
} kh_entry;
#define KH_LAYER  0x1u   /* one per layer */
#define KH_UNTIED 0x2u   /* only when the embeddings are not tied */

typedef struct kh_family {
    const char *name;          /* "llama3" */
    const char *model_type;    /* HF model_type it comes from */
    const char *preset;        /* remap preset (src/presets.c) */
    const char *module, *cls;  /* backbone: keras_hub.src.models.x.x_backbone, XBackbone */
    const char *tok_module, *tok_cls;
    int tok_kind;
    const char *tasks;         /* metadata.json "tasks", comma-separated */
    const kh_entry *layout;
    int nlayout;
    int tie;                   /* 1 always tied, -1 never, 0 from config */
    void (*config)(const cJSON *hf, const kh_dims *d, cJSON *out);
} kh_family;

int ckpt__kh_family_count(void);
const kh_family *ckpt__kh_family_at(int i);
/* The family for a HF config; `spm` = the repo has a SentencePiece
 * tokenizer.model (tells Llama 2 from Llama 3). NULL if unsupported. */
const kh_family *ckpt__kh_family_for(const cJSON *hf, int spm);
/* "gpt2, bert, llama, llama3, ..." (static buffer) */
const char *ckpt__kh_family_list(void);
/* Sizes from the config; 0, or -1 with `why` naming the missing key. */
int ckpt__kh_dims_from(const kh_family *f, const cJSON *hf, kh_dims *d, char *why, size_t n);
/* Expand a family's layout for d (malloc'd arrays, strings owned). */
typedef struct kh_var {
    char *var, *h5, *hf;
    int ndim;
    int64_t shape[CKPT_MAX_DIMS];
} kh_var;
int ckpt__kh_layout(const kh_family *f, const kh_dims *d, kh_var **out, int *n, ckpt_err *err);
void ckpt__kh_layout_free(kh_var *v, int n);
/* config.json of the backbone (serialize_keras_object form), malloc'd text. */
char *ckpt__kh_backbone_config(const kh_family *f, const cJSON *hf, const kh_dims *d, const char *dtype);
/* tokenizer.json (the KerasHub tokenizer's config); `tok_cfg` is HF's
 * tokenizer_config.json (may be NULL), `specials` added tokens (may be NULL). */
char *ckpt__kh_tokenizer_config(const kh_family *f, const cJSON *tok_cfg, const cJSON *specials);

/* kerashub_tok.c: BPE assets from a HF tokenizer.json: vocabulary.json
 * (model.vocab, plus the added tokens when `with_added`) and merges.txt
 * (one "a b" a line). Also the added special tokens (array, caller owns).
 * Errors name `origin`. */
int ckpt__kh_bpe_from_tokenizer_json(const char *text, size_t len, const char *origin, int with_added,
                               char **vocab_json, char **merges_txt, cJSON **specials, ckpt_err *err);

/* The scaffold's analysis and template values of a config text, without
 * any file (for tests/fuzz/fuzz_kerashub.c): the number of values, or -1. */
int ckpt__scaffold_dry(const char *json);

#endif
