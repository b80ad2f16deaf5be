#!/bin/bash
# --to kerashub: a KerasHub preset folder from a Hugging Face checkpoint.
# Per family, a tiny checkpoint with transformers' names and shapes
# (tests/khgen.py gen) converts to a preset whose model.weights.h5 holds
# exactly the HDF5 paths and shapes KerasHub's backbone saves, with values
# equal to the converter's transforms of the source, and whose config.json
# round-trips the sizes (tests/khgen.py check: h5py + NumPy, lists derived
# from KerasHub's and Keras' source). Then the refusals: unsupported
# family, missing or mis-shaped tensors (named, nothing written), no
# tokenizer; and a repo on the fake Hub (tests/fakehub.py), missing or private.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
KG=$ROOT/tests/khgen.py

for fam in gpt2 bert llama llama3 mistral gemma qwen2; do
    "$PY" "$KG" gen $fam "$T/$fam" || { fail kerashub_gen_$fam "generator failed"; continue; }
    if "$CKPT" convert "$T/$fam" -o "$T/out_$fam" --to kerashub --quiet 2>"$T/err"; then
        check kerashub_$fam "$PY" "$KG" check $fam "$T/$fam" "$T/out_$fam"
    else
        fail kerashub_$fam "convert: $(cat "$T/err")"
    fi
done

# the checker itself fails on a wrong preset (a value changed, a path renamed)
"$PY" - "$T/out_llama/model.weights.h5" <<'EOF'
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    d = f["layers/llama_transformer_decoder_1/_self_attention_layer/_key_dense/vars/0"]
    d[0, 0, 0] += 1
EOF
expect_exit 1 kerashub_check_catches_values "$PY" "$KG" check llama "$T/llama" "$T/out_llama"
"$PY" - "$T/out_gpt2/model.weights.h5" <<'EOF'
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    f.move("layers/transformer_decoder_1", "layers/transformer_decoder_2")
EOF
expect_exit 1 kerashub_check_catches_paths "$PY" "$KG" check gpt2 "$T/gpt2" "$T/out_gpt2"

# progress is streamed like any conversion
"$CKPT" convert "$T/qwen2" -o "$T/prog" --to kerashub --progress=json 2>"$T/prog.err" >/dev/null
check kerashub_progress "$PY" - "$T/prog.err" <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert ev and ev[-1]["bytes_done"] == ev[-1]["bytes_total"] > 0, ev[-1:]
assert ev[-1]["items_done"] == ev[-1]["items_total"] == 27, ev[-1]   # 3 + 2 layers x 12
EOF

# an unsupported family: what it is and the supported list; nothing written
mkdir -p "$T/t5"
cp "$T/gpt2/model.safetensors" "$T/t5/"
echo '{"model_type": "t5", "d_model": 8, "num_layers": 2, "num_heads": 2, "vocab_size": 11}' >"$T/t5/config.json"
expect_exit 3 kerashub_unsupported "$CKPT" convert "$T/t5" -o "$T/out_t5" --to kerashub --quiet
grep -q "model_type 't5'" "$T/err" && grep -q "gpt2, bert, llama, llama3, mistral, gemma, qwen2" "$T/err" && [ ! -e "$T/out_t5" ] \
    && pass kerashub_unsupported_says || fail kerashub_unsupported_says "$(cat "$T/err")"

# a missing tensor is named before any byte is written
"$PY" - "$ROOT/tests" "$T/llama" "$T/holed" <<'EOF'
import os, shutil, sys
sys.path.insert(0, sys.argv[1])
import stio
src, dst = sys.argv[2:4]
shutil.copytree(src, dst)
t = stio.read(os.path.join(src, "model.safetensors"))
del t["model.layers.1.mlp.up_proj.weight"]
stio.write(os.path.join(dst, "model.safetensors"), t)
EOF
expect_exit 3 kerashub_missing "$CKPT" convert "$T/holed" -o "$T/out_holed" --to kerashub --quiet
grep -q "tensor 'model.layers.1.mlp.up_proj.weight': missing from the checkpoint: KerasHub's LlamaBackbone needs it for transformer_layer_1/feedforward_intermediate_dense/kernel \[8, 12\]" "$T/err" && [ ! -e "$T/out_holed" ] \
    && pass kerashub_missing_named || fail kerashub_missing_named "$(cat "$T/err")"
ls -a "$T" | grep -q '\.ckpt-' && fail kerashub_missing_no_temp "temporary left" || pass kerashub_missing_no_temp

# a tensor whose shape the config contradicts (intermediate_size 12 -> 14)
cp -r "$T/mistral" "$T/misshaped"
"$PY" - "$T/misshaped/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["intermediate_size"] = 14; json.dump(c, open(sys.argv[1], "w"))
EOF
expect_exit 3 kerashub_misshaped "$CKPT" convert "$T/misshaped" -o "$T/out_mis" --to kerashub --quiet
grep -q "tensor 'model.layers.0.mlp.gate_proj.weight': becomes transformer_layer_0/feedforward_gate_dense/kernel \[8, 12\], but KerasHub's MistralBackbone for this config.json creates \[8, 14\]" "$T/err" \
    && [ ! -e "$T/out_mis" ] && pass kerashub_misshaped_named || fail kerashub_misshaped_named "$(cat "$T/err")"

# no tokenizer: an error that says so, or the backbone alone with --no-tokenizer
cp -r "$T/gemma" "$T/notok" && rm "$T/notok/tokenizer.model"
expect_exit 3 kerashub_no_tokenizer "$CKPT" convert "$T/notok" -o "$T/out_notok" --to kerashub --quiet
grep -q "no tokenizer for KerasHub's GemmaTokenizer: the repo has no tokenizer.model" "$T/err" \
    && pass kerashub_no_tokenizer_says || fail kerashub_no_tokenizer_says "$(cat "$T/err")"
expect_exit 0 kerashub_no_tokenizer_flag "$CKPT" convert "$T/notok" -o "$T/out_notok" --to kerashub --no-tokenizer --quiet
[ -f "$T/out_notok/model.weights.h5" ] && [ ! -e "$T/out_notok/tokenizer.json" ] && pass kerashub_backbone_only \
    || fail kerashub_backbone_only "$(ls -R "$T/out_notok" 2>&1)"

# PyTorch weights in the folder instead of safetensors
if "$PY" -c 'import torch' 2>/dev/null; then
    mkdir -p "$T/ptbert" && cp "$T/bert/"{config.json,vocab.txt,tokenizer_config.json} "$T/ptbert/"
    "$PY" - "$ROOT/tests" "$T/bert/model.safetensors" "$T/ptbert/pytorch_model.bin" <<'EOF'
import sys, torch
sys.path.insert(0, sys.argv[1])
import stio
torch.save({k: torch.from_numpy(v.copy()) for k, v in stio.read(sys.argv[2]).items()}, sys.argv[3])
EOF
    if "$CKPT" convert "$T/ptbert/pytorch_model.bin" -o "$T/out_ptbert" --to kerashub --quiet 2>"$T/err"; then
        check kerashub_from_pytorch "$PY" - "$KG" "$T/bert" "$T/out_ptbert" <<'EOF'
import subprocess, sys
sys.exit(subprocess.call([sys.executable, sys.argv[1], "check", "bert", sys.argv[2], sys.argv[3]]))
EOF
    else fail kerashub_from_pytorch "$(cat "$T/err")"; fi
else
    skip kerashub_from_pytorch "no torch under $PY"
fi

# the TUI's picker and `ckpt formats` see it as a write-only format
"$CKPT" formats | grep -q '^kerashub  *-w ' && pass kerashub_in_formats || fail kerashub_in_formats "$("$CKPT" formats)"

# from the (fake) Hub: hf://org/name, then a missing and a private repo
start_hub --serve "org/tiny-qwen2=$T/qwen2" || { fail kerashub_hub_start "fake hub did not start"; exit 0; }
if "$CKPT" convert hf://org/tiny-qwen2 -o "$T/out_hub" --to kerashub --quiet 2>"$T/err"; then
    check kerashub_hub "$PY" "$KG" check qwen2 "$T/qwen2" "$T/out_hub"
else
    fail kerashub_hub "$(cat "$T/err")"
fi
expect_exit 3 kerashub_hub_missing "$CKPT" convert hf://org/nope -o "$T/out_nope" --to kerashub --quiet
grep -qiE "does not exist|not found" "$T/err" && [ ! -e "$T/out_nope" ] && pass kerashub_hub_missing_says || fail kerashub_hub_missing_says "$(cat "$T/err")"
expect_exit 3 kerashub_hub_gated "$CKPT" convert hf://org/private -o "$T/out_priv" --to kerashub --quiet
grep -qiE "401|token|Invalid username" "$T/err" && pass kerashub_hub_gated_says || fail kerashub_hub_gated_says "$(cat "$T/err")"
