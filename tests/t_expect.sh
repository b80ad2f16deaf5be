# `ckpt check PATH --expect TARGET [--map FILE]`: missing, unexpected,
# mis-shaped after the map, with suggestions that work as rules.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then
    skip expect_all "safetensors format not built in"; exit 0
fi
mkdir -p "$T/llama"
$PY - "$T" <<'EOF2'
import json, sys, numpy as np, stio
d = sys.argv[1]
L, H, NQ, NKV, I, V = 2, 16, 4, 2, 24, 32
json.dump({"model_type": "llama", "num_hidden_layers": L, "hidden_size": H, "num_attention_heads": NQ,
           "num_key_value_heads": NKV, "intermediate_size": I, "vocab_size": V, "rms_norm_eps": 1e-5,
           "tie_word_embeddings": True}, open(f"{d}/llama/config.json", "w"))
t = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,)}
for i in range(L):
    p = f"model.layers.{i}."
    t.update({p + "input_layernorm.weight": (H,), p + "self_attn.q_proj.weight": (H, H), p + "self_attn.k_proj.weight": (8, H),
              p + "self_attn.v_proj.weight": (8, H), p + "self_attn.o_proj.weight": (H, H), p + "post_attention_layernorm.weight": (H,),
              p + "mlp.gate_proj.weight": (I, H), p + "mlp.up_proj.weight": (I, H), p + "mlp.down_proj.weight": (H, I)})
stio.write(f"{d}/llama/model.safetensors", {k: np.zeros(s, np.float32) for k, s in t.items()})
# the KerasHub layout, as a names/shapes list (keras-hub llama_backbone.py get_layout_map)
lines = ["# KerasHub LlamaBackbone, tied embeddings", "token_embedding/embeddings [32, 16] F32", "sequence_output_layernorm/scale [16]"]
for i in range(L):
    p = f"transformer_layer_{i}/"
    lines += [p + "self_attention/query/kernel [16, 4, 4]", p + "self_attention/key/kernel (16, 2, 4)",
              p + "self_attention/value/kernel 16x2x4", p + "self_attention/attention_output/kernel [4, 4, 16]",
              p + "self_attention_layernorm/scale [16]", p + "feedforward_layernorm/scale [16]",
              p + "feedforward_gate_dense/kernel [16, 24]", p + "feedforward_intermediate_dense/kernel [16, 24]",
              p + "feedforward_output_dense/kernel [24, 16]"]
open(f"{d}/kerashub.txt", "w").write("\n".join(lines) + "\n")
# planted: layer 1's gate kernel expected transposed, an extra expected tensor, a misspelt one
bad = [l.replace("transformer_layer_1/feedforward_gate_dense/kernel [16, 24]", "transformer_layer_1/feedforward_gate_dense/kernel [24, 16]")
        .replace("transformer_layer_0/feedforward_layernorm/scale", "transformer_layer_0/feedforward_layer_norm/scale") for l in lines]
bad.append("token_embedding/reverse_embeddings [16, 32]")
open(f"{d}/planted.txt", "w").write("\n".join(bad) + "\n")
EOF2
M="$T/llama/model.safetensors"
expect_exit 0 expect_list_ok "$CKPT" check "$M" --expect "$T/kerashub.txt" --map preset:hf-llama-kerashub
expect_exit 0 expect_preset_ok "$CKPT" check "$M" --expect preset:hf-llama-kerashub
expect_exit 1 expect_without_map "$CKPT" check "$M" --expect "$T/kerashub.txt" --json
check expect_without_map_counts $PY -c "
import json; f = json.load(open('$T/out'))['findings']
kinds = [x['kind'] for x in f]
assert kinds.count('missing') + kinds.count('rename') == 20 and kinds.count('unexpected') + kinds.count('rename') == 20, kinds"
expect_exit 1 expect_planted "$CKPT" check "$M" --expect "$T/planted.txt" --map preset:hf-llama-kerashub --json
check expect_planted_findings $PY - "$T/out" <<'EOF2'
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
by = {}
for x in f:
    by.setdefault(x["kind"], []).append(x)
assert set(by) == {"shape", "rename", "missing"}, [(x["kind"], x["message"]) for x in f]
s = by["shape"][0]
assert s["tensor"] == "transformer_layer_1/feedforward_gate_dense/kernel" and "[16, 24]" in s["message"] and "[24, 16]" in s["message"]
assert s["suggestion"] == r"^transformer_layer_1/feedforward_gate_dense/kernel$ -> transformer_layer_1/feedforward_gate_dense/kernel | transpose", s
r = by["rename"][0]
assert r["tensor"] == "transformer_layer_0/feedforward_layernorm/scale" and "feedforward_layer_norm/scale" in r["message"]
assert [x["tensor"] for x in by["missing"]] == ["token_embedding/reverse_embeddings"]
open(sys.argv[1] + ".rules", "w").write(s["suggestion"] + "\n" + r["suggestion"] + "\n")
EOF2
# the suggestions, used as rules after the preset, clear those findings
expect_exit 1 expect_suggestions_fix "$CKPT" check "$M" --expect "$T/planted.txt" --map preset:hf-llama-kerashub --map "$T/out.rules" --json
check expect_suggestions_leave_missing $PY -c "
import json; f = json.load(open('$T/out'))['findings']
assert [(x['kind'], x['tensor']) for x in f] == [('missing', 'token_embedding/reverse_embeddings')], f"
# target = a checkpoint, and = `ckpt ls --json` output
"$CKPT" convert "$M" -o "$T/kh.safetensors" --map preset:hf-llama-kerashub --quiet
expect_exit 0 expect_checkpoint_target "$CKPT" check "$M" --expect "$T/kh.safetensors" --map preset:hf-llama-kerashub
"$CKPT" ls --json "$T/kh.safetensors" > "$T/kh.json"
expect_exit 0 expect_ls_json_target "$CKPT" check "$M" --expect "$T/kh.json" --map preset:hf-llama-kerashub
# preset target: a tensor no rule claims
$PY -c "
import stio, numpy as np
t = dict(stio.read('$M')); t['extra.adapter.weight'] = np.zeros(3, np.float32)
stio.write('$T/extra.safetensors', t)"
cp "$T/llama/config.json" "$T/config.json"
expect_exit 1 expect_preset_unclaimed "$CKPT" check "$T/extra.safetensors" --expect preset:hf-llama-kerashub
grep -q "^unexpected extra.adapter.weight: no rule of preset:hf-llama-kerashub claims it" "$T/out" && pass expect_preset_unclaimed_msg || fail expect_preset_unclaimed_msg "$(cat "$T/out")"
printf 'a [2, 3]\nb [2, x]\n' > "$T/badlist.txt"
expect_exit 3 expect_bad_list "$CKPT" check "$M" --expect "$T/badlist.txt"
grep -q "badlist.txt:2:3: bad shape" "$T/err" && pass expect_bad_list_msg || fail expect_bad_list_msg "$(cat "$T/err")"
expect_exit 2 expect_map_alone "$CKPT" check "$M" --map preset:hf-llama-kerashub

# optimizer state: not compared unless --include-optimizer, and said so
if need_shared expect_optimizer; then
    R=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
    NOPT=$($PY -c "
import h5py; n = []
h5py.File('$R', 'r')['optimizer_weights'].visititems(lambda k, o: n.append(k) if isinstance(o, h5py.Dataset) else None)
print(len(n))")
    expect_exit 0 expect_optimizer_ckpt "$CKPT" check "$R" --expect "$R"
    grep -qx "note: $((2 * NOPT)) optimizer tensors not compared (model: $NOPT, target: $NOPT); --include-optimizer to compare" "$T/out" \
        && pass expect_optimizer_note || fail expect_optimizer_note "$(cat "$T/out")"
    # a names list whose Adam slot has another shape: found only when asked
    "$CKPT" ls --json "$R" > "$T/r.json"
    $PY -c "
import json; j = json.load(open('$T/r.json'))
for t in j['tensors']:
    if t['name'] == 'optimizer/Adam/dense/kernel/v': t['shape'] = [32, 8]
json.dump(j, open('$T/r2.json', 'w'))"
    expect_exit 0 expect_optimizer_list_skipped "$CKPT" check "$R" --expect "$T/r2.json" --json
    check expect_optimizer_list_note $PY -c "
import json; j = json.load(open('$T/out'))
assert j['findings'] == [] and j['notes'] == ['$((2 * NOPT)) optimizer tensors not compared (model: $NOPT, target: $NOPT); --include-optimizer to compare'], j"
    expect_exit 1 expect_optimizer_included "$CKPT" check "$R" --expect "$T/r2.json" --include-optimizer --json
    check expect_optimizer_included_shape $PY -c "
import json; j = json.load(open('$T/out'))
assert [(f['kind'], f['tensor']) for f in j['findings']] == [('shape', 'optimizer/Adam/dense/kernel/v')] and j['notes'] == [], j"
    expect_exit 2 expect_optimizer_needs_expect "$CKPT" check "$R" --include-optimizer
fi

# preset targets list the source names they expect and the model lacks: the
# layer count from config.json, else from the names (said in a note). The
# reference lists are Hugging Face's state-dict names, written out here.
$PY - "$T" <<'EOF2'
import json, os, sys, numpy as np, stio
d = sys.argv[1]
H, NQ, NKV, I, V = 16, 4, 2, 24, 32
def llama(L):
    t = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,), "lm_head.weight": (V, H)}
    for i in range(L):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": (H,), p + "self_attn.q_proj.weight": (H, H), p + "self_attn.k_proj.weight": (8, H),
                  p + "self_attn.v_proj.weight": (8, H), p + "self_attn.o_proj.weight": (H, H), p + "post_attention_layernorm.weight": (H,),
                  p + "mlp.gate_proj.weight": (I, H), p + "mlp.up_proj.weight": (I, H), p + "mlp.down_proj.weight": (H, I)})
    return t
full = llama(3)                       # config says 3 layers; the file holds 2, one of them without up_proj, and no lm_head
have = {k: v for k, v in llama(2).items() if k not in ("model.layers.1.mlp.up_proj.weight", "lm_head.weight")}
for sub, cfg in (("holed", True), ("holed_nocfg", False)):
    os.makedirs(f"{d}/{sub}", exist_ok=True)
    stio.write(f"{d}/{sub}/model.safetensors", {k: np.zeros(s, np.float32) for k, s in have.items()})
    if cfg:
        json.dump({"model_type": "llama", "num_hidden_layers": 3, "hidden_size": H, "num_attention_heads": NQ,
                   "num_key_value_heads": NKV}, open(f"{d}/{sub}/config.json", "w"))
json.dump({"with_config": sorted(set(full) - set(have)),
           "without_config": sorted(set(llama(2)) - set(have) - {"lm_head.weight"}),
           "n_with": len(full), "n_without": len(llama(2)) - 1}, open(f"{d}/holed_want.json", "w"))
# GPT-2 as GPT2LMHeadModel saves it (transformer. prefix), one bias missing
g = {"transformer.wte.weight": (V, H), "transformer.wpe.weight": (8, H), "transformer.ln_f.weight": (H,), "transformer.ln_f.bias": (H,)}
for i in range(2):
    p = f"transformer.h.{i}."
    g.update({p + "ln_1.weight": (H,), p + "ln_1.bias": (H,), p + "attn.c_attn.weight": (H, 3 * H), p + "attn.c_attn.bias": (3 * H,),
              p + "attn.c_proj.weight": (H, H), p + "attn.c_proj.bias": (H,), p + "ln_2.weight": (H,), p + "ln_2.bias": (H,),
              p + "mlp.c_fc.weight": (H, 4 * H), p + "mlp.c_fc.bias": (4 * H,), p + "mlp.c_proj.weight": (4 * H, H), p + "mlp.c_proj.bias": (H,)})
del g["transformer.h.1.attn.c_proj.bias"]
os.makedirs(f"{d}/gpt2", exist_ok=True)
stio.write(f"{d}/gpt2/model.safetensors", {k: np.zeros(s, np.float32) for k, s in g.items()})
json.dump({"model_type": "gpt2", "n_layer": 2, "n_embd": H, "n_head": NQ}, open(f"{d}/gpt2/config.json", "w"))
EOF2
for p in hf-llama-kerashub hf-llama-gguf; do
    expect_exit 1 "expect_preset_missing_$p" "$CKPT" check "$T/holed/model.safetensors" --expect "preset:$p" --json
    check "expect_preset_missing_${p}_names" $PY - "$T" "$p" <<'EOF2'
import json, sys
d, p = sys.argv[1], sys.argv[2]
j, w = json.load(open(f"{d}/out")), json.load(open(f"{d}/holed_want.json"))
miss = sorted(f["tensor"] for f in j["findings"] if f["kind"] == "missing")
assert miss == w["with_config"], (miss, w["with_config"])
assert [f for f in j["findings"] if f["kind"] != "missing"] == [], j["findings"]
assert f"preset:{p} expects {w['n_with']} source tensors: 3 layers (num_hidden_layers in config.json)" in j["notes"], j["notes"]
EOF2
done
expect_exit 1 expect_preset_missing_nocfg "$CKPT" check "$T/holed_nocfg/model.safetensors" --expect preset:hf-llama-gguf --json
check expect_preset_missing_nocfg_names $PY - "$T" <<'EOF2'
import json, sys
d = sys.argv[1]
j, w = json.load(open(f"{d}/out")), json.load(open(f"{d}/holed_want.json"))
miss = sorted(f["tensor"] for f in j["findings"] if f["kind"] == "missing")
assert miss == w["without_config"], (miss, w["without_config"])
n = j["notes"]
assert any(x.startswith(f"preset:hf-llama-gguf expects {w['n_without']} source tensors: 2 layers counted from the model's names") for x in n), n
assert any(x.startswith("lm_head.weight not checked") for x in n), n
EOF2
expect_exit 1 expect_preset_missing_gpt2 "$CKPT" check "$T/gpt2/model.safetensors" --expect preset:hf-gpt2-kerashub --json
check expect_preset_missing_gpt2_names $PY -c "
import json; j = json.load(open('$T/out'))
assert [(f['kind'], f['tensor']) for f in j['findings']] == [('missing', 'h.1.attn.c_proj.bias')], j['findings']
assert 'preset:hf-gpt2-kerashub expects 28 source tensors: 2 layers (n_layer in config.json)' in j['notes'], j['notes']"
# the Keras presets' expected names are the weights the model's own config
# gives its layers: a copy of a real Keras 2 file with one layer's weights
# taken out (h5py) is reported missing that layer
if need_shared expect_preset_keras; then
    R=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
    expect_exit 0 expect_preset_keras_whole "$CKPT" check "$R" --expect preset:keras2-keras3
    grep -q "^note: preset:keras2-keras3: the weights expected are those the model's Keras config gives its layers (0 missing" "$T/out" \
        && pass expect_preset_keras_whole_note || fail expect_preset_keras_whole_note "$(cat "$T/out")"
    $PY - "$R" "$T/cut.h5" <<'EOF2'
import json, shutil, sys, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])   # a temporary copy, made writable
import os; os.chmod(sys.argv[2], 0o644)
f = h5py.File(sys.argv[2], "r+")
g = f["model_weights"]
cfg = json.loads(f.attrs["model_config"])
dense = [l["config"]["name"] for l in cfg["config"]["layers"] if l["class_name"] == "Dense"]
victim = dense[-1]                      # the config's last Dense layer
del g[victim]
g.attrs["layer_names"] = np.array([n for n in g.attrs["layer_names"] if n != victim.encode()])
open(sys.argv[2] + ".victim", "w").write(victim)
EOF2
    expect_exit 1 expect_preset_keras_cut "$CKPT" check "$T/cut.h5" --expect preset:keras2-keras3 --json
    check expect_preset_keras_cut_missing $PY -c "
import json; j = json.load(open('$T/out')); v = open('$T/cut.h5.victim').read()
assert [(f['kind'], f['layer']) for f in j['findings']] == [('missing', v)], j['findings']
assert any('(1 missing' in n for n in j['notes']), j['notes']"
fi
