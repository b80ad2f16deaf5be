/* test_kerashub.c: the template filler (values, nested #if/#else, negation,
 * errors naming template:line), the KerasHub layout expansion (per-class
 * numbering {_L}, tied embeddings leave reverse_embeddings out, shapes from
 * the config), and the BPE assets from a tokenizer.json (merges as strings
 * or pairs, reserved added tokens left out, wrong types refused). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/kerashub.h"
#include "export/template.h"
#include "check.h"


static void templates(void)
{
    tpl_vars v = {0};
    ckpt__tpl_set(&v, "NAME", "llama");
    ckpt__tpl_set(&v, "RMS", "1");
    ckpt__tpl_set(&v, "GATED", "0");
    ckpt_err e;
    ckpt_err_clear(&e);
    const char *t = "class {{NAME}}X:\n{{#if RMS}}\n  rms\n{{#if GATED}}\n  gated\n{{#else}}\n  plain\n{{/if}}\n"
                    "{{#else}}\n  ln\n{{/if}}\n{{#if !GATED}}\nnot gated {{NAME}}\n{{/if}}\nend\n";
    char *r = ckpt__tpl_render(t, &v, "t.tpl", &e);
    CHECK("tpl_render_nested", r && !strcmp(r, "class llamaX:\n  rms\n  plain\nnot gated llama\nend\n"));
    free(r);
    r = ckpt__tpl_render("a\n{{MISSING}}\n", &v, "t.tpl", &e);
    CHECK("tpl_unknown_value", !r && strstr(e.msg, "t.tpl:2:") && strstr(e.msg, "MISSING"));
    ckpt_err_clear(&e);
    r = ckpt__tpl_render("{{#if RMS}}\nx\n", &v, "u.tpl", &e);
    CHECK("tpl_unclosed_if", !r && strstr(e.msg, "u.tpl") && strstr(e.msg, "not closed"));
    ckpt_err_clear(&e);
    r = ckpt__tpl_render("{{/if}}\n", &v, "w.tpl", &e);
    CHECK("tpl_stray_end", !r && strstr(e.msg, "w.tpl:1:"));
    ckpt__tpl_vars_free(&v);
}

static const kh_family *fam(const char *name)
{
    for (int i = 0; i < ckpt__kh_family_count(); i++)
        if (!strcmp(ckpt__kh_family_at(i)->name, name)) return ckpt__kh_family_at(i);
    return NULL;
}

static int find(const kh_var *v, int n, const char *h5)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].h5, h5)) return i;
    return -1;
}

static void layouts(void)
{
    cJSON *c = cJSON_Parse("{\"model_type\": \"llama\", \"num_hidden_layers\": 3, \"hidden_size\": 8, "
                           "\"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 12, "
                           "\"vocab_size\": 10, \"tie_word_embeddings\": true}");
    const kh_family *f = ckpt__kh_family_for(c, 0);
    CHECK("family_llama3_without_spm", f && !strcmp(f->name, "llama3"));
    CHECK("family_llama_with_spm", ckpt__kh_family_for(c, 1) == fam("llama"));
    kh_dims d;
    char why[256];
    CHECK("dims", f && !ckpt__kh_dims_from(f, c, &d, why, sizeof why) && d.D == 2 && d.K == 2 && d.tied);
    kh_var *v = NULL;
    int n = 0;
    ckpt_err e;
    ckpt_err_clear(&e);
    CHECK("layout", !ckpt__kh_layout(f, &d, &v, &n, &e) && n == 2 + 3 * 9);   /* embeddings, norm, 9 a layer */
    int k = find(v, n, "layers/llama_transformer_decoder_2/_self_attention_layer/_key_dense/vars/0");
    CHECK("layout_numbering", k >= 0 && find(v, n, "layers/llama_transformer_decoder/_feedforward_layernorm/vars/0") >= 0
                              && find(v, n, "layers/llama_transformer_decoder_0/_feedforward_layernorm/vars/0") < 0);
    CHECK("layout_shape", k >= 0 && v[k].ndim == 3 && v[k].shape[0] == 8 && v[k].shape[1] == 2 && v[k].shape[2] == 2
                          && !strcmp(v[k].var, "transformer_layer_2/self_attention/key/kernel")
                          && !strcmp(v[k].hf, "model.layers.2.self_attn.k_proj.weight"));
    CHECK("layout_tied", find(v, n, "layers/reversible_embedding/vars/1") < 0);
    ckpt__kh_layout_free(v, n);
    d.tied = 0;
    CHECK("layout_untied", !ckpt__kh_layout(f, &d, &v, &n, &e) && find(v, n, "layers/reversible_embedding/vars/1") >= 0);
    ckpt__kh_layout_free(v, n);
    cJSON_DeleteItemFromObject(c, "intermediate_size");
    CHECK("dims_missing_key", ckpt__kh_dims_from(f, c, &d, why, sizeof why) && strstr(why, "intermediate_size"));
    cJSON_Delete(c);
    c = cJSON_Parse("{\"model_type\": \"t5\"}");
    CHECK("family_unsupported", !ckpt__kh_family_for(c, 1) && strstr(ckpt__kh_family_list(), "gpt2, bert"));
    cJSON_Delete(c);
}

static void bpe(void)
{
    const char *tj = "{\"added_tokens\": [{\"id\": 5, \"content\": \"<|eot|>\"}, {\"id\": 6, \"content\": \"<|reserved_special_token_3|>\"}],"
                     " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [[\"a\", \"b\"], \"ab c\"]}}";
    char *voc = NULL, *mer = NULL;
    cJSON *sp = NULL;
    ckpt_err e;
    ckpt_err_clear(&e);
    int rc = ckpt__kh_bpe_from_tokenizer_json(tj, strlen(tj), "tokenizer.json", 1, &voc, &mer, &sp, &e);
    CHECK("bpe_ok", !rc && mer && !strcmp(mer, "a b\nab c\n"));
    CHECK("bpe_vocab_added", voc && !strcmp(voc, "{\"a\":0,\"b\":1,\"ab\":2,\"<|eot|>\":5}"));
    CHECK("bpe_specials", sp && cJSON_GetArraySize(sp) == 1 && !strcmp(sp->child->valuestring, "<|eot|>"));
    free(voc); free(mer); cJSON_Delete(sp);
    const char *bad = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}";
    ckpt_err_clear(&e);
    CHECK("bpe_bad_id", ckpt__kh_bpe_from_tokenizer_json(bad, strlen(bad), "t.json", 0, &voc, &mer, NULL, &e)
                        && strstr(e.msg, "t.json") && strstr(e.msg, "model.vocab['a']"));
    const char *uni = "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}";
    ckpt_err_clear(&e);
    CHECK("bpe_not_bpe", ckpt__kh_bpe_from_tokenizer_json(uni, strlen(uni), "t.json", 0, &voc, &mer, NULL, &e) && strstr(e.msg, "Unigram"));
    ckpt_err_clear(&e);
    CHECK("bpe_cut", ckpt__kh_bpe_from_tokenizer_json("{\"model\": {", 11, "t.json", 0, &voc, &mer, NULL, &e) && strstr(e.msg, "truncated"));
}

int main(void)
{
    templates();
    layouts();
    bpe();
    return failures ? 1 : 0;
}
