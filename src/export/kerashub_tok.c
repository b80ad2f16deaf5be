/* src/export/kerashub_tok.c: KerasHub byte-pair assets from a Hugging Face
 * tokenizer.json.
 *
 * KerasHub's BytePairTokenizer.save_assets writes vocabulary.json (the
 * token -> id object) and merges.txt (one merge "a b" a line); its
 * converters (convert_llama3.py, convert_qwen.py convert_tokenizer) read
 * model.vocab and model.merges of tokenizer.json, merges as strings or as
 * [a, b] pairs, and add the added_tokens except "<|reserved_special_token_"
 * ones to the vocabulary, keeping them as the special tokens. The input is
 * untrusted: every member is type-checked (tests/fuzz/fuzz_kerashub.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/kerashub.h"

static int bad(ckpt_err *err, const char *origin, const char *what)
{
    return ckpt_err_set(err, CKPT_E_FORMAT, "%s: %s", origin, what);
}

/* merges as "a b\n" lines */
static char *merges_text(const cJSON *merges, const char *origin, ckpt_err *err)
{
    size_t cap = 1024, len = 0;
    char *out = malloc(cap);
    if (!out) return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL;
    out[0] = 0;
    int i = 0;
    for (const cJSON *m = merges->child; m; m = m->next, i++) {
        const char *a = NULL, *b = NULL;
        if (cJSON_IsString(m)) a = m->valuestring;
        else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) && cJSON_IsString(m->child->next)) {
            a = m->child->valuestring;
            b = m->child->next->valuestring;
        }
        if (!a || strchr(a, '\n') || (b && strchr(b, '\n'))) {
            free(out);
            ckpt_err_set(err, CKPT_E_FORMAT, "%s: model.merges[%d] is not a merge (\"a b\" or [\"a\", \"b\"])", origin, i);
            return NULL;
        }
        size_t need = strlen(a) + (b ? strlen(b) + 1 : 0) + 2;
        if (len + need >= cap) {
            while (len + need >= cap) cap *= 2;
            char *n = realloc(out, cap);
            if (!n) { free(out); return ckpt_err_set(err, CKPT_E_NOMEM, "out of memory"), NULL; }
            out = n;
        }
        len += (size_t)sprintf(out + len, b ? "%s %s\n" : "%s\n", a, b ? b : "");
    }
    return out;
}

int ckpt__kh_bpe_from_tokenizer_json(const char *text, size_t len, const char *origin, int with_added,
                               char **vocab_json, char **merges_txt, cJSON **specials, ckpt_err *err)
{
    *vocab_json = *merges_txt = NULL;
    if (specials) *specials = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) return bad(err, origin, ckpt__json_cut_short(text, len) ? "stops with brackets left open (truncated?)" : "not valid JSON");
    int rc = 0;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    const cJSON *type = cJSON_IsObject(model) ? cJSON_GetObjectItemCaseSensitive(model, "type") : NULL;
    cJSON *vocab = cJSON_IsObject(model) ? cJSON_GetObjectItemCaseSensitive(model, "vocab") : NULL;
    const cJSON *merges = cJSON_IsObject(model) ? cJSON_GetObjectItemCaseSensitive(model, "merges") : NULL;
    cJSON *sp = cJSON_CreateArray();
    if (!cJSON_IsObject(model)) rc = bad(err, origin, "no \"model\" object (not a tokenizers tokenizer.json?)");
    else if (cJSON_IsString(type) && strcmp(type->valuestring, "BPE"))
        rc = ckpt_err_set(err, CKPT_E_UNSUPPORTED, "%s: model.type is '%s'; KerasHub's byte-pair tokenizer needs a BPE model",
                          origin, type->valuestring);
    else if (!cJSON_IsObject(vocab)) rc = bad(err, origin, "model.vocab is not an object of token -> id");
    else if (!cJSON_IsArray(merges)) rc = bad(err, origin, "model.merges is not an array");
    for (const cJSON *v = rc ? NULL : vocab->child; v && !rc; v = v->next)
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)
            rc = ckpt_err_set(err, CKPT_E_FORMAT, "%s: model.vocab['%.60s'] is not a token id", origin, v->string ? v->string : "");
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    for (const cJSON *t = !rc && with_added && cJSON_IsArray(added) ? added->child : NULL; t && !rc; t = t->next) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(t, "content"), *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        if (!cJSON_IsString(c) || !cJSON_IsNumber(id)) { rc = bad(err, origin, "added_tokens entry without content and id"); break; }
        if (!strncmp(c->valuestring, "<|reserved_special_token_", 25)) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(vocab, c->valuestring);
        cJSON_AddNumberToObject(vocab, c->valuestring, id->valuedouble);
        cJSON_AddItemToArray(sp, cJSON_CreateString(c->valuestring));
    }
    if (!rc && !(*merges_txt = merges_text(merges, origin, err))) rc = err->code;
    if (!rc && !(*vocab_json = cJSON_PrintUnformatted(vocab))) rc = ckpt_err_set(err, CKPT_E_NOMEM, "out of memory");
    if (rc) {
        free(*merges_txt);
        *merges_txt = NULL;
        cJSON_Delete(sp);
    } else if (specials) *specials = sp;
    else cJSON_Delete(sp);
    cJSON_Delete(root);
    return rc;
}
