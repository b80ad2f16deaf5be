#!/bin/bash
# ckpt scaffold kerashub: the Python files of a new KerasHub model from a
# Hugging Face config. Checked: the analysis comes first, every .py file
# passes `python3 -m py_compile`, the rules file applied with
# `ckpt check --expect` to the same checkpoint (tests/khgen.py) leaves
# nothing unmatched (and does report a tensor taken away), the TODO list
# points at real TODO lines, the choices follow the config (attention kind,
# norm, positions, gated MLP, encoder), an unsupported architecture is
# analysed and listed with nothing written, and hf:// reads the config
# from the (fake) Hub, whose error a missing repo gets.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
KG=$ROOT/tests/khgen.py

scaffold_ok() { # family dir-of-checkpoint
    local fam=$1 src=$2 out=$T/sc_$1
    if ! "$CKPT" scaffold kerashub "$src" -o "$out" >"$T/sc_$fam.out" 2>"$T/err"; then
        fail scaffold_$fam "$(cat "$T/err")"; return
    fi
    head -1 "$T/sc_$fam.out" | grep -q "^analysis of " && pass scaffold_${fam}_analysis_first \
        || fail scaffold_${fam}_analysis_first "$(head -3 "$T/sc_$fam.out")"
    check scaffold_${fam}_py_compile "$PY" -m py_compile "$out"/*.py
    local name
    name=$(basename "$out"/*_rules.txt _rules.txt)
    expect_exit 0 scaffold_${fam}_rules_match "$CKPT" check "$src" --map "$out/${name}_rules.txt" --expect "$out/${name}_variables.txt"
    # every TODO listed is a TODO at that file and line, and every TODO in the files is listed
    check scaffold_${fam}_todos "$PY" - "$T/sc_$fam.out" "$out" <<'EOF'
import glob, os, sys
lines = open(sys.argv[1]).read().split("TODO left (")[1].splitlines()
n = int(lines[0].split(")")[0])
listed = set()
for l in lines[1:1 + n]:
    path, line, _ = l.strip().split(":", 2)
    assert "TODO" in open(path).read().splitlines()[int(line) - 1], l
    listed.add((os.path.abspath(path), int(line)))
found = {(os.path.abspath(p), i + 1) for p in glob.glob(os.path.join(sys.argv[2], "*.*")) if os.path.isfile(p)
         for i, t in enumerate(open(p).read().splitlines()) if "TODO" in t}
assert found == listed, (found ^ listed)
EOF
}

for fam in llama gpt2 bert qwen2 gemma; do
    "$PY" "$KG" gen $fam "$T/$fam" || { fail scaffold_gen_$fam "generator failed"; continue; }
    scaffold_ok $fam "$T/$fam"
done

# the choices follow the config
check scaffold_choices "$PY" - "$T" <<'EOF'
import os, sys
T = sys.argv[1]
def src(f, n): return open(os.path.join(T, "sc_" + f, n)).read()
# Llama: GQA (4 query, 2 kv heads), RMSNorm layer, RoPE, gated MLP, no biases, untied
a = src("llama", "llama_attention.py"); d = src("llama", "llama_decoder.py"); b = src("llama", "llama_backbone.py")
assert "RotaryEmbedding(" in a and "bias_axes" not in a and "grouped-query" in a
assert "_feedforward_gate_dense" in d and "LlamaLayerNorm" in d and "tie_word_embeddings=False" in b
assert "num_key_value_heads=2" in b and "PositionEmbedding" not in b
# GPT-2: LayerNorm, learned positions, no gate, biases, tied, MHA
a = src("gpt2", "gpt2_attention.py"); d = src("gpt2", "gpt2_decoder.py"); b = src("gpt2", "gpt2_backbone.py")
assert "RotaryEmbedding" not in a and 'bias_axes="uh"' in a and 'bias_axes="m"' in a and "multi-head" in a
assert "_feedforward_gate_dense" not in d and "LayerNormalization" in d and "PositionEmbedding(" in b
assert not os.path.exists(os.path.join(T, "sc_gpt2", "gpt2_layernorm.py"))
# BERT: an encoder, WordPiece, masked LM task files
assert os.path.exists(os.path.join(T, "sc_bert", "bert_encoder.py"))
assert os.path.exists(os.path.join(T, "sc_bert", "bert_masked_lm.py"))
assert "WordPieceTokenizer" in src("bert", "bert_tokenizer.py")
# Qwen2: q/k/v biases, none on the output
a = src("qwen2", "qwen2_attention.py")
assert a.count('bias_axes="uh"') == 1 and a.count('bias_axes="vh"') == 2 and 'bias_axes="m"' not in a
# Gemma: multi-query (1 kv head), head_dim 6 from the config
b = src("gemma", "gemma_backbone.py")
assert "head_dim=6" in b and "multi-query" in src("gemma", "gemma_attention.py")
EOF

# a family ckpt has no preset for: Llama's weights under another model_type,
# with linear RoPE scaling; the rules carry a TODO and still match
cp -r "$T/llama" "$T/olmo"
"$PY" - "$T/olmo/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(model_type="olmo", architectures=["OlmoForCausalLM"], rope_scaling={"type": "dynamic", "factor": 2.0})
json.dump(c, open(sys.argv[1], "w"))
EOF
scaffold_ok olmo "$T/olmo"
grep -q "olmo_rules.txt:[0-9]*: TODO: the weight names are those of the closest family" "$T/sc_olmo.out" \
    && grep -q "olmo_attention.py:[0-9]*: TODO: rope_scaling type 'dynamic'" "$T/sc_olmo.out" \
    && pass scaffold_new_family_todos || fail scaffold_new_family_todos "$(tail -12 "$T/sc_olmo.out")"

# the check is real: a tensor taken away is reported
"$PY" - "$ROOT/tests" "$T/llama" "$T/holed" <<'EOF'
import os, shutil, sys
sys.path.insert(0, sys.argv[1])
import stio
shutil.copytree(sys.argv[2], sys.argv[3])
t = stio.read(os.path.join(sys.argv[2], "model.safetensors"))
del t["model.layers.1.self_attn.k_proj.weight"]
stio.write(os.path.join(sys.argv[3], "model.safetensors"), t)
EOF
expect_exit 1 scaffold_rules_report_missing "$CKPT" check "$T/holed" --map "$T/sc_llama/llama_rules.txt" --expect "$T/sc_llama/llama_variables.txt"
grep -q "transformer_layer_1/self_attention/key/kernel" "$T/out" && pass scaffold_missing_named || fail scaffold_missing_named "$(cat "$T/out")"

# unsupported: T5 (encoder-decoder, relative position bias) and a mixture of experts
cat >"$T/t5.json" <<'EOF'
{"model_type": "t5", "architectures": ["T5ForConditionalGeneration"], "d_model": 8, "num_layers": 2,
 "num_heads": 2, "d_kv": 4, "d_ff": 16, "vocab_size": 32, "is_encoder_decoder": true,
 "relative_attention_num_buckets": 32, "feed_forward_proj": "relu", "layer_norm_epsilon": 1e-6}
EOF
expect_exit 3 scaffold_t5_refused "$CKPT" scaffold kerashub "$T/t5.json" -o "$T/sc_t5"
grep -q "^  model_type  *t5" "$T/out" && grep -q "^not supported by the KerasHub scaffold:" "$T/out" \
    && grep -q "encoder-decoder model (t5)" "$T/out" && grep -q "relative position bias" "$T/out" \
    && [ ! -e "$T/sc_t5" ] && pass scaffold_t5_lists || fail scaffold_t5_lists "$(cat "$T/out" "$T/err")"
echo '{"model_type": "mixtral", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "rms_norm_eps": 1e-5, "num_local_experts": 4}' >"$T/moe.json"
expect_exit 3 scaffold_moe_refused "$CKPT" scaffold kerashub "$T/moe.json" -o "$T/sc_moe"
grep -q "mixture of experts" "$T/out" && [ ! -e "$T/sc_moe" ] && pass scaffold_moe_lists || fail scaffold_moe_lists "$(cat "$T/out")"
expect_exit 2 scaffold_usage "$CKPT" scaffold pytorch "$T/t5.json" -o "$T/x"

# from the (fake) Hub
start_hub --serve "org/tiny-bert=$T/bert" || { fail scaffold_hub_start "fake hub did not start"; exit 0; }
if "$CKPT" scaffold kerashub hf://org/tiny-bert -o "$T/sc_hub" --name tinybert >"$T/hub.out" 2>"$T/err"; then
    grep -q "^  model_type  *bert" "$T/hub.out" && [ -f "$T/sc_hub/tinybert_backbone.py" ] \
        && "$PY" -m py_compile "$T/sc_hub"/*.py && grep -q "class TinybertBackbone" "$T/sc_hub/tinybert_backbone.py" \
        && pass scaffold_hub || fail scaffold_hub "$(cat "$T/hub.out")"
else
    fail scaffold_hub "$(cat "$T/err")"
fi
expect_exit 3 scaffold_hub_missing "$CKPT" scaffold kerashub hf://org/nope -o "$T/sc_nope"
grep -qiE "does not exist|not found" "$T/err" && [ ! -e "$T/sc_nope" ] && pass scaffold_hub_missing_says \
    || fail scaffold_hub_missing_says "$(cat "$T/err")"
