# --to gguf: GGUF -> GGUF round trips checked byte for byte with the NumPy
# parser (tests/ggufref.py, tests/gguf_wref.py); a tiny random Llama made
# here converted from Hugging Face files, loaded and evaluated by llama.cpp
# (npm node-llama-cpp 3.21.1) against a NumPy forward pass, its metadata read
# by @huggingface/gguf; --quantize bytes against ggml's reference quantizers
# written in NumPy; what cannot be described fails with the missing key.
source "$(dirname "$0")/lib.sh"
NODEDIR=$ROOT/tests/node_gguf
REF="$PY $ROOT/tests/gguf_wref.py"

# ---- llama.cpp and @huggingface/gguf in Node, from the lock file ----------
have_node=0
if ! command -v node >/dev/null 2>&1; then
    skip gguf_node "node is not installed"
elif [ -d "$NODEDIR/node_modules/node-llama-cpp" ] && [ -d "$NODEDIR/node_modules/@huggingface/gguf" ]; then
    have_node=1
elif (cd "$NODEDIR" && timeout 900 npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
    have_node=1
else
    skip gguf_node "npm could not install node-llama-cpp/@huggingface/gguf (registry unreachable?): $(tail -n 2 "$T/npm.log" | tr '\n' ' ')"
fi
llama_ref() { (cd "$NODEDIR" && timeout 300 node llama_ref.mjs "$@"); }
hf_meta() { (cd "$NODEDIR" && timeout 120 node gguf_meta.mjs "$@"); }

no_output() {  # NAME FILE: nothing left at FILE, no temporaries beside it
    if [ ! -e "$2" ] && ! ls -a "$(dirname "$2")" | grep -q '\.ckpt-'; then pass "$1"
    else fail "$1" "output or temporary left: $(ls -a "$(dirname "$2")" | tr '\n' ' ')"; fi
}

# ---- GGUF -> GGUF: the real fixtures, key/values and tensors exact ----------
if need_shared gguf_fixtures; then
    for f in "$FIX"/gguf/*/*.gguf; do
        n=$(basename "$f" .gguf)
        if "$CKPT" convert --quiet "$f" -o "$T/rt_$n.gguf" 2>"$T/err" && r=$($REF same "$f" "$T/rt_$n.gguf" 2>&1); then
            pass "roundtrip_$n"
        else fail "roundtrip_$n" "$(cat "$T/err") ${r:-}"; fi
    done
    if [ $have_node = 1 ]; then
        # the round-tripped tiny Llama 2 (F16 weights, 32000 SentencePiece tokens) runs in llama.cpp
        r=$(llama_ref "$T/rt_llama-2-tiny-random.gguf" "Hello world" 32000 2>&1 | tail -1)
        echo "$r" | $PY -c 'import json,sys,math; r=json.load(sys.stdin); p=[math.exp(x) for x in r["logp"][-1] if x is not None]
assert len(r["tokens"]) >= 2 and abs(sum(p) - 1) < 1e-3, (r["tokens"], sum(p))' 2>"$T/err" \
            && pass roundtrip_llama2_runs_in_llamacpp || fail roundtrip_llama2_runs_in_llamacpp "$(head -c 300 "$T/err") $(echo "$r" | head -c 200)"
    fi
fi

# ---- GGUF -> GGUF: every value type, plain and block types, alignment 64 ----
$PY "$ROOT/tests/ggufref.py" make "$T/gen.gguf" --no-k
"$CKPT" convert --quiet "$T/gen.gguf" -o "$T/gen_rt.gguf" 2>"$T/err" || fail gen_convert "$(cat "$T/err")"
r=$($REF same "$T/gen.gguf" "$T/gen_rt.gguf" --relaxed 2>&1) && pass gen_roundtrip || fail gen_roundtrip "$r"

# ---- a tiny Llama from Hugging Face files (byte-level BPE, as Llama 3) ------
$REF llama "$T/ll"
NV=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$T/ll/config.json")
"$CKPT" convert --quiet "$T/ll" -o "$T/ll.gguf" 2>"$T/err" && pass llama_convert || fail llama_convert "$(cat "$T/err")"
r=$($REF quant "$T/ll/model.safetensors" "$T/ll.gguf" F32 2>&1) && pass llama_f32_names_permute || fail llama_f32_names_permute "$r"
# --map preset:hf-llama-gguf given by hand writes the same file
"$CKPT" convert --quiet "$T/ll" -o "$T/ll_map.gguf" --map preset:hf-llama-gguf 2>"$T/err" && cmp -s "$T/ll.gguf" "$T/ll_map.gguf" \
    && pass llama_explicit_preset_same || fail llama_explicit_preset_same "$(cat "$T/err")"
# ckpt reads back what it wrote
"$CKPT" ls --json "$T/ll.gguf" >"$T/ls.json" 2>"$T/err" && $PY - "$T/ls.json" <<'PY' 2>"$T/err2" && pass llama_reads_back || fail llama_reads_back "$(cat "$T/err" "$T/err2" | head -c 300)"
import json, sys
ls = json.load(open(sys.argv[1]))
names = [t["name"] for t in ls["tensors"]]
assert names[0] == "token_embd.weight" and "blk.1.ffn_down.weight" in names and names[-1] == "output.weight", names
assert all(t["dtype"] == "F32" for t in ls["tensors"])
PY

for q in F16 BF16 Q8_0 Q4_0; do
    if "$CKPT" convert --quiet "$T/ll" -o "$T/ll_$q.gguf" --quantize "$q" 2>"$T/err" && r=$($REF quant "$T/ll/model.safetensors" "$T/ll_$q.gguf" "$q" 2>&1)
    then pass "quantize_${q}_vs_ggml_reference"; else fail "quantize_${q}_vs_ggml_reference" "$(cat "$T/err") ${r:-}"; fi
done
# --dtype F16 without --quantize: matrices F16, the norms F32 as llama.cpp's converter keeps them
"$CKPT" convert --quiet "$T/ll" -o "$T/ll_dt16.gguf" --dtype F16 2>"$T/err" && r=$($REF quant "$T/ll/model.safetensors" "$T/ll_dt16.gguf" F16 2>&1) \
    && pass dtype_f16_norms_f32 || fail dtype_f16_norms_f32 "$(cat "$T/err") ${r:-}"
# a GGUF read as Q8_0 / Q4_0 goes back to the same blocks, byte for byte
for q in Q8_0 Q4_0; do
    "$CKPT" convert --quiet "$T/ll_$q.gguf" -o "$T/ll_${q}_rt.gguf" 2>"$T/err" && r=$($REF same "$T/ll_$q.gguf" "$T/ll_${q}_rt.gguf" 2>&1) \
        && pass "requantize_${q}_lossless" || fail "requantize_${q}_lossless" "$(cat "$T/err") ${r:-}"
done

if [ $have_node = 1 ]; then
    # @huggingface/gguf reads the metadata and tensor infos ckpt wrote
    hf_meta "$T/ll_Q8_0.gguf" >"$T/meta.json" 2>"$T/err" && $PY - "$T/meta.json" "$T/ll" <<'PY' 2>"$T/err2" \
        && pass llama_metadata_vs_hf_gguf || fail llama_metadata_vs_hf_gguf "$(cat "$T/err" "$T/err2" | tail -c 400)"
import json, sys
m = json.load(open(sys.argv[1])); md = m["metadata"]; d = sys.argv[2]
cfg = json.load(open(d + "/config.json")); tj = json.load(open(d + "/tokenizer.json")); tc = json.load(open(d + "/tokenizer_config.json"))
want = {"version": 3, "general.architecture": "llama", "general.name": "ll",
        "llama.context_length": cfg["max_position_embeddings"], "llama.embedding_length": cfg["hidden_size"],
        "llama.block_count": cfg["num_hidden_layers"], "llama.feed_forward_length": cfg["intermediate_size"],
        "llama.attention.head_count": cfg["num_attention_heads"], "llama.attention.head_count_kv": cfg["num_key_value_heads"],
        "llama.rope.freq_base": cfg["rope_theta"], "llama.vocab_size": cfg["vocab_size"],
        "llama.rope.dimension_count": cfg["hidden_size"] // cfg["num_attention_heads"], "general.file_type": 7,
        "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "llama-bpe", "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.bos_token_id": cfg["bos_token_id"], "tokenizer.ggml.eos_token_id": cfg["eos_token_id"],
        "tokenizer.chat_template": tc["chat_template"]}
bad = [(k, md.get(k), v) for k, v in want.items() if md.get(k) != v]
if abs(md["llama.attention.layer_norm_rms_epsilon"] - cfg["rms_norm_eps"]) > 1e-12: bad.append("eps")
inv = {i: t for t, i in tj["model"]["vocab"].items()}
inv.update({a["id"]: a["content"] for a in tj["added_tokens"]})
tok = md["tokenizer.ggml.tokens"]
if tok["length"] != len(inv) or tok["head"] != [inv[i] for i in range(5)] or tok["tail"] != [inv[len(inv) - 3 + i] for i in range(3)]: bad.append(("tokens", tok))
tt = md["tokenizer.ggml.token_type"]
if tt["tail"] != [1, 3, 3]: bad.append(("token_type", tt))
mg = md["tokenizer.ggml.merges"]
if mg["length"] != len(tj["model"]["merges"]) or mg["head"] != tj["model"]["merges"][:5]: bad.append(("merges", mg))
ts = m["tensors"]
if len(ts) != 21 or ts[0] != {"name": "token_embd.weight", "shape": [cfg["vocab_size"], cfg["hidden_size"]], "dtype": 8, "offset": 0}: bad.append(("tensors", ts[:1]))
if any(t["offset"] % 32 for t in ts) or {t["dtype"] for t in ts} != {0, 8}: bad.append("offsets/types")
assert not bad, bad
PY

    # llama.cpp: tokenizes with the written vocabulary, evaluates, and its
    # logits match the NumPy forward pass of the Hugging Face weights
    llama_ref "$T/ll.gguf" "hello world the cat sat" "$NV" >"$T/ref.json" 2>"$T/err"
    $PY - "$T/ref.json" "$T/ll" "$ROOT/tests" <<'PY' >"$T/cmp" 2>&1 && pass llama_logits_vs_numpy || fail llama_logits_vs_numpy "$(tail -c 400 "$T/cmp") $(tail -c 300 "$T/err")"
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[3]); import gguf_wref
r = json.load(open(sys.argv[1])); d = sys.argv[2]
tj = json.load(open(d + "/tokenizer.json"))
inv = {i: t for t, i in tj["model"]["vocab"].items()}
pieces = [inv[t] for t in r["tokens"]]
assert pieces == ["hello", "\u0120world", "\u0120the", "\u0120cat", "\u0120sat"], pieces
L = gguf_wref.forward(d, r["tokens"])
lp = np.array(r["logp"], np.float64)
assert lp.shape == L.shape and np.isfinite(lp).all(), lp.shape
# llama.cpp gives log-softmax: compare logits up to the per-row constant
diff = np.abs((L - L.mean(-1, keepdims=True)) - (lp - lp.mean(-1, keepdims=True))).max()
print("max |logit difference|", diff, "over", L.shape)
assert diff < 1e-3, diff
PY
    echo "# llama.cpp vs NumPy: $(cat "$T/cmp")"
    # quantized files load and evaluate too (their logits carry the quantization error)
    for q in F16 BF16 Q8_0 Q4_0; do
        llama_ref "$T/ll_$q.gguf" "hello world" "$NV" 2>"$T/err" | $PY -c 'import json,sys,math; r=json.load(sys.stdin)
p=[math.exp(x) for x in r["logp"][-1] if x is not None]; assert len(p) == int(sys.argv[1]) and abs(sum(p)-1) < 1e-3' "$NV" 2>>"$T/err" \
            && pass "llamacpp_runs_$q" || fail "llamacpp_runs_$q" "$(tail -c 300 "$T/err")"
    done
fi

# ---- Llama 2's tokenizer.json (BPE with byte_fallback) -> SentencePiece vocab
$REF llama "$T/sp" --spm
"$CKPT" convert --quiet "$T/sp" -o "$T/sp.gguf" 2>"$T/err" && pass spm_convert || fail spm_convert "$(cat "$T/err")"
$PY - "$T/sp.gguf" "$ROOT/tests" <<'PY' 2>"$T/err" && pass spm_vocab || fail spm_vocab "$(tail -c 300 "$T/err")"
import sys
sys.path.insert(0, sys.argv[2]); import ggufref
b, ver, kv, ts, data = ggufref.parse(sys.argv[1]); kv = {k: v for k, t, v in kv}
assert kv["tokenizer.ggml.model"] == "llama" and kv["tokenizer.ggml.add_space_prefix"] is True
toks, types, scores = kv["tokenizer.ggml.tokens"][1], kv["tokenizer.ggml.token_type"][1], kv["tokenizer.ggml.scores"][1]
assert types[:4] == [3, 3, 3, 6] and toks[3] == "<0x00>", (types[:4], toks[:4])
assert scores[toks.index("he")] == 0.0 and scores[toks.index("\u2581cat")] < 0, "merge ranks"
assert kv["tokenizer.ggml.bos_token_id"] == 1 and kv["tokenizer.ggml.eos_token_id"] == 2 and kv["tokenizer.ggml.unknown_token_id"] == 0
PY
if [ $have_node = 1 ]; then
    NVS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$T/sp/config.json")
    llama_ref "$T/sp.gguf" "hello world the cat" "$NVS" 2>"$T/err" | $PY -c '
import json, sys
r = json.load(sys.stdin); tj = json.load(open(sys.argv[1]))
inv = {i: t for t, i in tj["model"]["vocab"].items()}
assert [inv[t] for t in r["tokens"]] == ["\u2581hello", "\u2581world", "\u2581the", "\u2581cat"], r["tokens"]
assert r["bos"] == 1 and r["eos"] == 2' "$T/sp/tokenizer.json" 2>>"$T/err" && pass spm_llamacpp_tokenizes || fail spm_llamacpp_tokenizes "$(tail -c 300 "$T/err")"
fi

# ---- what ckpt cannot describe: one clear line, exit 3 (2 for usage), no file
cp -r "$T/ll" "$T/noeps"; $PY - "$T/noeps/config.json" <<'PY'
import json, sys; c = json.load(open(sys.argv[1])); del c["rms_norm_eps"]; json.dump(c, open(sys.argv[1], "w"))
PY
expect_exit 3 err_no_rms_eps "$CKPT" convert "$T/noeps" -o "$T/noeps.gguf"
grep -q "config.json has no 'rms_norm_eps' (llama.cpp needs it as llama.attention.layer_norm_rms_epsilon)" "$T/err" \
    && [ "$(wc -l <"$T/err")" = 1 ] && pass err_no_rms_eps_message || fail err_no_rms_eps_message "$(cat "$T/err")"
no_output err_no_rms_eps_nofile "$T/noeps.gguf"

cp -r "$T/ll" "$T/notok"; rm "$T/notok/tokenizer.json"
expect_exit 3 err_no_tokenizer "$CKPT" convert "$T/notok" -o "$T/notok.gguf"
grep -q "no tokenizer.json beside the weights.*tokenizer.ggml.tokens" "$T/err" && pass err_no_tokenizer_message || fail err_no_tokenizer_message "$(cat "$T/err")"
no_output err_no_tokenizer_nofile "$T/notok.gguf"

cp -r "$T/ll" "$T/gpt2"; $PY - "$T/gpt2/config.json" <<'PY'
import json, sys; c = json.load(open(sys.argv[1])); c["model_type"] = "gpt2"; json.dump(c, open(sys.argv[1], "w"))
PY
expect_exit 3 err_not_llama "$CKPT" convert "$T/gpt2" -o "$T/gpt2.gguf"
grep -q "llama family only; config.json says model_type gpt2" "$T/err" && pass err_not_llama_message || fail err_not_llama_message "$(cat "$T/err")"

cp -r "$T/ll" "$T/rope"; $PY - "$T/rope/config.json" <<'PY'
import json, sys; c = json.load(open(sys.argv[1])); c["rope_scaling"] = {"rope_type": "dynamic", "factor": 2.0}; json.dump(c, open(sys.argv[1], "w"))
PY
expect_exit 3 err_rope_dynamic "$CKPT" convert "$T/rope" -o "$T/rope.gguf"
grep -q "rope_scaling type 'dynamic'" "$T/err" && pass err_rope_dynamic_message || fail err_rope_dynamic_message "$(cat "$T/err")"
$PY - "$T/rope/config.json" <<'PY'
import json, sys; c = json.load(open(sys.argv[1])); c["rope_scaling"] = {"type": "linear", "factor": 4.0}; json.dump(c, open(sys.argv[1], "w"))
PY
"$CKPT" convert --quiet "$T/rope" -o "$T/rope.gguf" 2>"$T/err" && $PY - "$T/rope.gguf" "$ROOT/tests" <<'PY' 2>>"$T/err" && pass rope_linear || fail rope_linear "$(cat "$T/err")"
import sys
sys.path.insert(0, sys.argv[2]); import ggufref
kv = {k: (t, v) for k, t, v in ggufref.parse(sys.argv[1])[2]}
assert kv["llama.rope.scaling.type"] == (8, "linear") and kv["llama.rope.scaling.factor"] == (6, 4.0), kv.get("llama.rope.scaling.type")
PY

# Llama 3.1's RoPE scaling: the rope_freqs.weight tensor convert_hf_to_gguf.py
# generates; llama.cpp's logits match transformers' llama3 inverse frequencies
cp -r "$T/ll" "$T/l3"; $PY - "$T/l3/config.json" <<'PY'
import json, sys; c = json.load(open(sys.argv[1]))
c["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 32}
json.dump(c, open(sys.argv[1], "w"))
PY
"$CKPT" convert --quiet "$T/l3" -o "$T/l3.gguf" 2>"$T/err" && $PY - "$T/l3.gguf" "$ROOT/tests" <<'PY' 2>>"$T/err" && pass rope_llama3_freqs_tensor || fail rope_llama3_freqs_tensor "$(cat "$T/err")"
import sys
sys.path.insert(0, sys.argv[2]); import ggufref
b, ver, kv, ts, data = ggufref.parse(sys.argv[1])
t = ts[-1]
assert t["name"] == "rope_freqs.weight" and t["shape"] == [8] and t["type"] == 0, t
f = ggufref.tensor_values(b, data, t)
assert f[0] == 1.0 and 1 < f[1] < 8 and all(f[2:] == 8.0), f
assert not any(k.startswith("llama.rope.scaling") for k, _, _ in kv)
PY
if [ $have_node = 1 ]; then
    llama_ref "$T/l3.gguf" "hello world the cat sat" "$NV" >"$T/ref3.json" 2>"$T/err"
    $PY - "$T/ref3.json" "$T/l3" "$ROOT/tests" <<'PY' >"$T/cmp" 2>&1 && pass rope_llama3_logits_vs_numpy || fail rope_llama3_logits_vs_numpy "$(tail -c 400 "$T/cmp") $(tail -c 300 "$T/err")"
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[3]); import gguf_wref
r = json.load(open(sys.argv[1]))
L = gguf_wref.forward(sys.argv[2], r["tokens"]); lp = np.array(r["logp"], np.float64)
diff = np.abs((L - L.mean(-1, keepdims=True)) - (lp - lp.mean(-1, keepdims=True))).max()
print("max |logit difference|", diff)
assert diff < 1e-3, diff
PY
fi

# a tensor llama.cpp has no name for (a q_proj bias) is refused by name
$PY - "$T/ll/model.safetensors" "$T/bias" "$ROOT/tests" <<'PY'
import os, shutil, sys
import numpy as np
sys.path.insert(0, sys.argv[3]); import ggufref, gguf_wref
src, d = sys.argv[1], sys.argv[2]
shutil.copytree(os.path.dirname(src), d)
t = {k: a for k, (dt, a) in ggufref.st_read(src).items()}
t["model.layers.0.self_attn.q_proj.bias"] = np.zeros(64, np.float32)
gguf_wref.st_write(os.path.join(d, "model.safetensors"), t)
PY
expect_exit 3 err_unknown_tensor "$CKPT" convert "$T/bias" -o "$T/bias.gguf"
grep -q "no llama.cpp name for tensor 'model.layers.0.self_attn.q_proj.bias'" "$T/err" && pass err_unknown_tensor_message || fail err_unknown_tensor_message "$(cat "$T/err")"

expect_exit 2 err_bad_quantize "$CKPT" convert "$T/ll" -o "$T/bad.gguf" --quantize Q5_K
grep -q "quantize 'Q5_K': GGUF output takes F32, F16, BF16, Q8_0 or Q4_0" "$T/err" && pass err_bad_quantize_message || fail err_bad_quantize_message "$(cat "$T/err")"

# NaN has no Q8_0 code: refused naming the tensor and the element
$PY - "$T/ll/model.safetensors" "$T/nan" "$ROOT/tests" <<'PY'
import os, shutil, sys
import numpy as np
sys.path.insert(0, sys.argv[3]); import ggufref, gguf_wref
src, d = sys.argv[1], sys.argv[2]
shutil.copytree(os.path.dirname(src), d)
t = {k: a.copy() for k, (dt, a) in ggufref.st_read(src).items()}
t["model.layers.1.mlp.up_proj.weight"].reshape(-1)[100] = np.nan
gguf_wref.st_write(os.path.join(d, "model.safetensors"), t)
PY
expect_exit 3 err_nan_q8 "$CKPT" convert "$T/nan" -o "$T/nan.gguf" --quantize Q8_0
grep -q "blk.1.ffn_up.weight.*element 100 is not finite" "$T/err" && pass err_nan_q8_message || fail err_nan_q8_message "$(cat "$T/err")"
no_output err_nan_q8_nofile "$T/nan.gguf"
