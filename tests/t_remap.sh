# Remap rules end to end: `ckpt convert --map` on safetensors written by
# NumPy (tests/stio.py), outputs read back by NumPy and compared with NumPy
# doing the same transpose / split / reshape / cast / permute on the same data.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then
    skip remap_all "safetensors format not built in"; exit 0
fi

# ---- generic transforms ----
$PY - "$T" <<'EOF'
import sys, numpy as np, stio
d = sys.argv[1]
r = np.random.default_rng(1)
stio.write(f"{d}/in.safetensors", {
    "w": r.standard_normal((6, 4)).astype(np.float32),
    "qkv": r.standard_normal((4, 12)).astype(np.float32),
    "b": r.standard_normal((12,)).astype(np.float32),
    "q": r.standard_normal((8, 3)).astype(np.float32),
    "keep": np.arange(5, dtype=np.int32),
    "opt.m": np.zeros((3,), np.float32),
    "big": r.standard_normal((300, 70)).astype(np.float32),
})
EOF
cat > "$T/rules.txt" <<'EOF'
# transforms against NumPy
set heads = 2
^w$ -> wt | transpose
^qkv$ -> q_k, k_k, v_k | split(1) | reshape(4, {heads}, -1)
^b$ -> q_b, k_b, v_b | split(0, 4, -1, 4) | reshape({heads}, -1)
^q$ -> qp | reshape({heads}, 2, -1, 3) | transpose(0, 2, 1, 3) | reshape(-1, 3)
^opt\. -> drop
^big$ -> big_t | transpose | cast(F16)
^k(ee)p$ -> k$1p_renamed
EOF
expect_exit 0 convert_map "$CKPT" convert "$T/in.safetensors" -o "$T/out.safetensors" --map "$T/rules.txt" --quiet
check transforms_match_numpy $PY - "$T" <<'EOF'
import sys, numpy as np, stio
d = sys.argv[1]
a, o = stio.read(f"{d}/in.safetensors"), stio.read(f"{d}/out.safetensors")
assert set(o) == {"wt", "q_k", "k_k", "v_k", "q_b", "k_b", "v_b", "qp", "big_t", "keep_renamed"}, sorted(o)
assert np.array_equal(o["wt"], a["w"].T)
for name, part in zip(["q_k", "k_k", "v_k"], np.split(a["qkv"], 3, axis=1)):
    assert np.array_equal(o[name], part.reshape(4, 2, -1)), name
for name, part in zip(["q_b", "k_b", "v_b"], np.split(a["b"], [4, 8])):
    assert np.array_equal(o[name], part.reshape(2, -1)), name
w = a["q"]
perm = w.reshape(2, 2, w.shape[0] // 2 // 2, 3).swapaxes(1, 2).reshape(w.shape)   # llama.cpp permute
assert np.array_equal(o["qp"], perm)
assert o["big_t"].dtype == np.float16 and np.array_equal(o["big_t"], a["big"].T.astype(np.float16))
assert np.array_equal(o["keep_renamed"], a["keep"]) and o["keep_renamed"].dtype == np.int32
EOF
# small chunks: transforms stream across chunk edges the same way
expect_exit 0 convert_map_preview "$CKPT" maps --preview "$T/in.safetensors" --map "$T/rules.txt" --json
check preview_json $PY - "$T/out" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
t = {x["name"]: x for x in j["tensors"]}
assert t["wt"]["shape"] == [4, 6] and t["wt"]["from"] == "w" and "transpose" in t["wt"]["transform"]
assert t["keep_renamed"]["shape"] == [5] and "transform" not in t["keep_renamed"]
assert j["dropped"] == ["opt.m"] and j["warnings"] == []
EOF

# ---- errors before any byte is written (exit 3: the rules file is input) ----
printf '# ok\n^w$ -> x\n^(a(b -> y\n' > "$T/bad1.txt"
expect_exit 3 bad_regex_exit "$CKPT" convert "$T/in.safetensors" -o "$T/o1.safetensors" --map "$T/bad1.txt"
grep -q "bad1.txt:3:2: bad regex" "$T/err" && pass bad_regex_line_col || fail bad_regex_line_col "$(cat "$T/err")"
printf '^w$ -> x | reshape(5, -1)\n' > "$T/bad2.txt"
expect_exit 3 reshape_mismatch_exit "$CKPT" convert "$T/in.safetensors" -o "$T/o2.safetensors" --map "$T/bad2.txt"
grep -q "bad2.txt:1:12: reshape sizes disagree" "$T/err" && pass reshape_mismatch_msg || fail reshape_mismatch_msg "$(cat "$T/err")"
printf '^(w|b)$ -> same\n' > "$T/bad3.txt"
expect_exit 3 collision_exit "$CKPT" convert "$T/in.safetensors" -o "$T/o3.safetensors" --map "$T/bad3.txt"
grep -q "two tensors map to 'same'" "$T/err" && pass collision_msg || fail collision_msg "$(cat "$T/err")"
ls "$T"/o[123].safetensors "$T"/.o* >/dev/null 2>&1 && fail nothing_written "$(ls -a "$T")" || pass nothing_written
printf '^w$ -> w2 | frob(1)\n' > "$T/bad4.txt"
expect_exit 3 unknown_op_exit "$CKPT" maps --preview "$T/in.safetensors" --map "$T/bad4.txt"
grep -q "bad4.txt:1:13: unknown operation 'frob'" "$T/err" && pass unknown_op_msg || fail unknown_op_msg "$(cat "$T/err")"
expect_exit 2 rename_usage "$CKPT" convert "$T/in.safetensors" -o "$T/o5.safetensors" --map "$T/rules.txt" --rename nothing
printf '^w$ -> w2\n^nothing_here$ -> x\n' > "$T/warn.txt"
expect_exit 0 unmatched_rule_ok "$CKPT" convert "$T/in.safetensors" -o "$T/o6.safetensors" --map "$T/warn.txt" --quiet
grep -q "warning: .*warn.txt:2:1: rule matches no tensor" "$T/err" && pass unmatched_rule_warns || fail unmatched_rule_warns "$(cat "$T/err")"
# --rename and --map together: renames first, then the rules
printf '^ww$ -> w3\n' > "$T/chain.txt"
expect_exit 0 rename_then_map "$CKPT" convert "$T/in.safetensors" -o "$T/o7.safetensors" --rename w=ww --map "$T/chain.txt" --quiet
check rename_then_map_names $PY -c "import stio,sys; n=set(stio.read('$T/o7.safetensors')); assert 'w3' in n and 'w' not in n and 'ww' not in n, n"

# ---- presets ----
expect_exit 0 maps_list "$CKPT" maps --json
check maps_list_json $PY - "$T/out" <<'EOF'
import json, sys
names = {p["name"] for p in json.load(open(sys.argv[1]))}
assert {"hf-gpt2-kerashub", "hf-llama-kerashub", "hf-llama-gguf", "keras2-keras3", "keras3-keras2"} <= names, names
EOF
expect_exit 2 maps_unknown "$CKPT" maps nope

# ---- HF GPT-2 -> KerasHub: exact variable names and shapes, values as convert_gpt2.py ----
mkdir -p "$T/gpt2"
$PY - "$T/gpt2" <<'EOF2'
import json, sys, numpy as np, stio
d = sys.argv[1]
L, H, NH, V, P = 2, 8, 2, 20, 16
json.dump({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": L, "n_embd": H, "n_head": NH,
           "n_inner": None, "vocab_size": V, "n_positions": P, "n_ctx": P, "activation_function": "gelu_new",
           "layer_norm_epsilon": 1e-5, "resid_pdrop": 0.1}, open(f"{d}/config.json", "w"))
r = np.random.default_rng(2)
t = {"transformer.wte.weight": (V, H), "transformer.wpe.weight": (P, H)}
for i in range(L):
    p = f"transformer.h.{i}."
    t.update({p + "ln_1.weight": (H,), p + "ln_1.bias": (H,), p + "attn.c_attn.weight": (H, 3 * H),
              p + "attn.c_attn.bias": (3 * H,), p + "attn.c_proj.weight": (H, H), p + "attn.c_proj.bias": (H,),
              p + "ln_2.weight": (H,), p + "ln_2.bias": (H,), p + "mlp.c_fc.weight": (H, 4 * H),
              p + "mlp.c_fc.bias": (4 * H,), p + "mlp.c_proj.weight": (4 * H, H), p + "mlp.c_proj.bias": (H,),
              p + "attn.bias": (1, 1, P, P)})
t.update({"transformer.ln_f.weight": (H,), "transformer.ln_f.bias": (H,)})
stio.write(f"{d}/model.safetensors", {k: r.standard_normal(s).astype(np.float32) for k, s in t.items()})
EOF2
expect_exit 0 gpt2_preset_convert "$CKPT" convert "$T/gpt2/model.safetensors" -o "$T/gpt2_kh.safetensors" --map preset:hf-gpt2-kerashub --quiet
check gpt2_preset_names_shapes_values $PY - "$T" <<'EOF2'
import sys, numpy as np, stio
d = sys.argv[1]
o, a = stio.read(f"{d}/gpt2_kh.safetensors"), stio.read(f"{d}/gpt2/model.safetensors")
# KerasHub GPT2Backbone variable paths and shapes (gpt2_backbone.py, transformer_decoder.py,
# keras MultiHeadAttention query/key/value/attention_output EinsumDense kernels)
want = {"token_embedding/embeddings": [20, 8], "position_embedding/embeddings": [16, 8],
        "layer_norm/gamma": [8], "layer_norm/beta": [8]}
for i in range(2):
    p = f"transformer_layer_{i}/"
    for n in ("query", "key", "value"):
        want[p + f"self_attention/{n}/kernel"] = [8, 2, 4]
        want[p + f"self_attention/{n}/bias"] = [2, 4]
    want.update({p + "self_attention/attention_output/kernel": [2, 4, 8], p + "self_attention/attention_output/bias": [8],
                 p + "self_attention_layer_norm/gamma": [8], p + "self_attention_layer_norm/beta": [8],
                 p + "feedforward_intermediate_dense/kernel": [8, 32], p + "feedforward_intermediate_dense/bias": [32],
                 p + "feedforward_output_dense/kernel": [32, 8], p + "feedforward_output_dense/bias": [8],
                 p + "feedforward_layer_norm/gamma": [8], p + "feedforward_layer_norm/beta": [8]})
got = {k: list(v.shape) for k, v in o.items()}
assert got == want, (sorted(set(got) ^ set(want)), [k for k in want if got.get(k) != want[k]])
n = 8
for i in range(2):
    h, p = f"transformer.h.{i}.", f"transformer_layer_{i}/self_attention/"
    w, b = a[h + "attn.c_attn.weight"], a[h + "attn.c_attn.bias"]
    for k, (s, e) in zip(("query", "key", "value"), ((0, n), (n, 2 * n), (2 * n, 3 * n))):
        assert np.array_equal(o[p + k + "/kernel"], np.reshape(w[:, s:e], (8, 2, 4))), k
        assert np.array_equal(o[p + k + "/bias"], np.reshape(b[s:e], (2, 4))), k
    assert np.array_equal(o[p + "attention_output/kernel"], np.reshape(a[h + "attn.c_proj.weight"], (2, 4, 8)))
    assert np.array_equal(o[f"transformer_layer_{i}/feedforward_output_dense/kernel"], a[h + "mlp.c_proj.weight"])
assert np.array_equal(o["token_embedding/embeddings"], a["transformer.wte.weight"])
EOF2

# ---- HF Llama (GQA, untied) -> KerasHub: names, shapes, transpose_and_reshape values ----
mkdir -p "$T/llama"
$PY - "$T/llama" <<'EOF2'
import json, sys, numpy as np, stio
d = sys.argv[1]
L, H, NQ, NKV, I, V = 2, 16, 4, 2, 24, 32
HD = H // NQ
json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": L, "hidden_size": H,
           "num_attention_heads": NQ, "num_key_value_heads": NKV, "intermediate_size": I, "vocab_size": V,
           "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "max_position_embeddings": 128,
           "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                            "original_max_position_embeddings": 64},
           "tie_word_embeddings": False}, open(f"{d}/config.json", "w"))
r = np.random.default_rng(3)
t = {"model.embed_tokens.weight": (V, H)}
for i in range(L):
    p = f"model.layers.{i}."
    t.update({p + "input_layernorm.weight": (H,), p + "self_attn.q_proj.weight": (NQ * HD, H),
              p + "self_attn.k_proj.weight": (NKV * HD, H), p + "self_attn.v_proj.weight": (NKV * HD, H),
              p + "self_attn.o_proj.weight": (H, NQ * HD), p + "post_attention_layernorm.weight": (H,),
              p + "mlp.gate_proj.weight": (I, H), p + "mlp.up_proj.weight": (I, H), p + "mlp.down_proj.weight": (H, I)})
t.update({"model.norm.weight": (H,), "lm_head.weight": (V, H)})
stio.write(f"{d}/model.safetensors", {k: r.standard_normal(s).astype(np.float32) for k, s in t.items()})
EOF2
expect_exit 0 llama_preset_convert "$CKPT" convert "$T/llama/model.safetensors" -o "$T/llama_kh.safetensors" --map preset:hf-llama-kerashub --quiet
check llama_preset_names_shapes_values $PY - "$T" <<'EOF2'
import sys, numpy as np, stio
d = sys.argv[1]
o, a = stio.read(f"{d}/llama_kh.safetensors"), stio.read(f"{d}/llama/model.safetensors")
# paths and shapes as listed in keras-hub llama_backbone.py get_layout_map
want = {"token_embedding/embeddings": [32, 16], "token_embedding/reverse_embeddings": [16, 32],
        "sequence_output_layernorm/scale": [16]}
for i in range(2):
    p = f"transformer_layer_{i}/"
    want.update({p + "self_attention/query/kernel": [16, 4, 4], p + "self_attention/key/kernel": [16, 2, 4],
                 p + "self_attention/value/kernel": [16, 2, 4], p + "self_attention/attention_output/kernel": [4, 4, 16],
                 p + "self_attention_layernorm/scale": [16], p + "feedforward_layernorm/scale": [16],
                 p + "feedforward_gate_dense/kernel": [16, 24], p + "feedforward_intermediate_dense/kernel": [16, 24],
                 p + "feedforward_output_dense/kernel": [24, 16]})
got = {k: list(v.shape) for k, v in o.items()}
assert got == want, (sorted(set(got) ^ set(want)), [k for k in want if got.get(k) != want[k]])
tr = lambda x, s: np.reshape(np.transpose(x), s)     # convert_llama3.py transpose_and_reshape
for i in range(2):
    h, p = f"model.layers.{i}.", f"transformer_layer_{i}/"
    assert np.array_equal(o[p + "self_attention/query/kernel"], tr(a[h + "self_attn.q_proj.weight"], (16, 4, 4)))
    assert np.array_equal(o[p + "self_attention/key/kernel"], tr(a[h + "self_attn.k_proj.weight"], (16, 2, 4)))
    assert np.array_equal(o[p + "self_attention/value/kernel"], tr(a[h + "self_attn.v_proj.weight"], (16, 2, 4)))
    assert np.array_equal(o[p + "self_attention/attention_output/kernel"], tr(a[h + "self_attn.o_proj.weight"], (4, 4, 16)))
    assert np.array_equal(o[p + "feedforward_gate_dense/kernel"], a[h + "mlp.gate_proj.weight"].T)
    assert np.array_equal(o[p + "feedforward_output_dense/kernel"], a[h + "mlp.down_proj.weight"].T)
assert np.array_equal(o["token_embedding/reverse_embeddings"], a["lm_head.weight"].T)
EOF2

# ---- HF Llama -> GGUF names, q/k permuted as llama.cpp convert_hf_to_gguf.py ----
expect_exit 0 gguf_preset_convert "$CKPT" convert "$T/llama/model.safetensors" -o "$T/llama_gguf.safetensors" --map preset:hf-llama-gguf --quiet
check gguf_preset_names_values $PY - "$T" <<'EOF2'
import sys, numpy as np, stio
d = sys.argv[1]
o, a = stio.read(f"{d}/llama_gguf.safetensors"), stio.read(f"{d}/llama/model.safetensors")
want = {"token_embd.weight", "output_norm.weight", "output.weight"}
for i in range(2):
    want |= {f"blk.{i}.{n}.weight" for n in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                                              "ffn_gate", "ffn_up", "ffn_down")}
assert set(o) == want, sorted(set(o) ^ want)
def permute(w, n_head):   # convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
for i in range(2):
    assert np.array_equal(o[f"blk.{i}.attn_q.weight"], permute(a[f"model.layers.{i}.self_attn.q_proj.weight"], 4))
    assert np.array_equal(o[f"blk.{i}.attn_k.weight"], permute(a[f"model.layers.{i}.self_attn.k_proj.weight"], 2))
    assert np.array_equal(o[f"blk.{i}.attn_v.weight"], a[f"model.layers.{i}.self_attn.v_proj.weight"])
EOF2

# a preset that needs config values names the missing key when there is no config.json
cp "$T/llama/model.safetensors" "$T/noconfig.safetensors"
expect_exit 3 preset_needs_config "$CKPT" convert "$T/noconfig.safetensors" -o "$T/nc.safetensors" --map preset:hf-llama-kerashub
grep -q "{hidden_size} is not set" "$T/err" && pass preset_needs_config_msg || fail preset_needs_config_msg "$(cat "$T/err")"
expect_exit 0 preset_set_values "$CKPT" convert "$T/noconfig.safetensors" -o "$T/nc.safetensors" --map preset:hf-llama-kerashub \
    --set hidden_size=16 --set num_attention_heads=4 --set num_key_value_heads=2 --quiet
check preset_set_same_bytes cmp "$T/nc.safetensors" "$T/llama_kh.safetensors"

# ---- Keras 2 <-> Keras 3 naming ----
$PY - "$T" <<'EOF2'
import sys, numpy as np, stio
d = sys.argv[1]
stio.write(f"{d}/k2.safetensors", {"dense/kernel:0": np.zeros((3, 4), np.float32), "dense/bias:0": np.zeros((4,), np.float32),
    "batch_normalization/gamma:0": np.ones((4,), np.float32), "batch_normalization/beta:0": np.zeros((4,), np.float32),
    "batch_normalization/moving_mean:0": np.zeros((4,), np.float32), "batch_normalization/moving_variance:0": np.ones((4,), np.float32),
    "lstm/lstm_cell/kernel:0": np.zeros((4, 8), np.float32), "lstm/lstm_cell/recurrent_kernel:0": np.zeros((2, 8), np.float32),
    "lstm/lstm_cell/bias:0": np.zeros((8,), np.float32), "dense_1/kernel:0": np.zeros((2, 1), np.float32)})
EOF2
expect_exit 0 keras2_to_3 "$CKPT" convert "$T/k2.safetensors" -o "$T/k3.safetensors" --map preset:keras2-keras3 --quiet
check keras2_to_3_names $PY -c "
import stio
got = set(stio.read('$T/k3.safetensors'))
want = {'layers/dense/vars/0', 'layers/dense/vars/1', 'layers/batch_normalization/vars/0', 'layers/batch_normalization/vars/1',
        'layers/batch_normalization/vars/2', 'layers/batch_normalization/vars/3', 'layers/lstm/cell/vars/0',
        'layers/lstm/cell/vars/1', 'layers/lstm/cell/vars/2', 'layers/dense_1/vars/0'}
assert got == want, sorted(got ^ want)"
expect_exit 0 keras3_to_2 "$CKPT" convert "$T/k3.safetensors" -o "$T/k2b.safetensors" --map preset:keras3-keras2 --quiet
check keras_round_trip_names $PY -c "
import stio
got = set(stio.read('$T/k2b.safetensors')); want = {k[:-2].replace('/lstm_cell', '') for k in stio.read('$T/k2.safetensors')}
assert got == want, sorted(got ^ want)"

# real Keras 2 files through the preset (renumbered from their config): t_remap_keras.sh
