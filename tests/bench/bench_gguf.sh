# Convert a generated ~1 GiB Hugging Face Llama (F32 safetensors, config.json,
# tokenizer.json) --to gguf, plain and --quantize Q8_0, and compare the
# throughput with `cat` + fsync copying the same bytes; plus ckpt's peak RSS.
# GGUF_BENCH_LAYERS (default 16, ~1.07 GB) makes it smaller.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CKPT=${CKPT:-$ROOT/ckpt}
W=$(mktemp -d /tmp/ckpt-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/hf"

# tensors written one at a time, never the whole model in RAM
/usr/bin/python3 - "$W/hf" "${GGUF_BENCH_LAYERS:-16}" "$ROOT/tests" <<'PY' || exit 1
import json, os, struct, sys
import numpy as np
d, nl = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3]); import gguf_wref
h, ff, nv = 1024, 2816, 32000
shapes = {"model.embed_tokens.weight": (nv, h)}
for i in range(nl):
    p = "model.layers.%d." % i
    shapes.update({p + "input_layernorm.weight": (h,), p + "self_attn.q_proj.weight": (h, h),
                   p + "self_attn.k_proj.weight": (h, h), p + "self_attn.v_proj.weight": (h, h),
                   p + "self_attn.o_proj.weight": (h, h), p + "post_attention_layernorm.weight": (h,),
                   p + "mlp.gate_proj.weight": (ff, h), p + "mlp.up_proj.weight": (ff, h), p + "mlp.down_proj.weight": (h, ff)})
shapes.update({"model.norm.weight": (h,), "lm_head.weight": (nv, h)})
hdr, off = {}, 0
for k, s in shapes.items():
    n = int(np.prod(s)) * 4
    hdr[k] = {"dtype": "F32", "shape": list(s), "data_offsets": [off, off + n]}
    off += n
b = json.dumps(hdr).encode(); b += b" " * ((8 - len(b) % 8) % 8)
rng = np.random.default_rng(1)
block = rng.standard_normal(1 << 20).astype("<f4")
with open(os.path.join(d, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b)
    for k, s in shapes.items():
        n = int(np.prod(s))
        for i in range(0, n, block.size):
            f.write(np.roll(block, i % 977)[:min(block.size, n - i)].tobytes())
tj, tc, _ = gguf_wref.bpe_tokenizer(False)
json.dump(tj, open(os.path.join(d, "tokenizer.json"), "w"))
json.dump(tc, open(os.path.join(d, "tokenizer_config.json"), "w"))
json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": h, "intermediate_size": ff,
           "num_hidden_layers": nl, "num_attention_heads": 16, "num_key_value_heads": 16,
           "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "vocab_size": nv},
          open(os.path.join(d, "config.json"), "w"))
PY
big=$W/hf/model.safetensors

timed() { # CMD... -> seconds on stdout (after a sync; previous outputs removed)
    rm -f "$W/copy" "$W/out.gguf"; sync
    local t0 t1
    t0=$(date +%s.%N); "$@" || return 1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
cat_fsync() { cat "$big" > "$W/copy" && sync "$W/copy"; }
ckpt_f32() { /usr/bin/time -f %M -a -o "$W/rss" "$CKPT" convert "$W/hf" -o "$W/out.gguf" --quiet; }
ckpt_q8() { /usr/bin/time -f %M -a -o "$W/rss" "$CKPT" convert "$W/hf" -o "$W/out.gguf" --quantize Q8_0 --quiet; }
cat "$big" > /dev/null                       # warm the page cache
cs= f32= q8=
for _ in 1 2; do
    d=$(timed cat_fsync) || { echo "bench_gguf: cat failed"; exit 1; }; cs=$(min "$cs" "$d")
    d=$(timed ckpt_f32) || { echo "bench_gguf: ckpt convert failed"; exit 1; }; f32=$(min "$f32" "$d")
    d=$(timed ckpt_q8) || { echo "bench_gguf: ckpt convert --quantize Q8_0 failed"; exit 1; }; q8=$(min "$q8" "$d")
done
rss_kb=$(sort -n "$W/rss" | tail -1)
gb=$(stat -c %s "$big")
/usr/bin/python3 -c "
cs, f32, q8, rss, gb = $cs, $f32, $q8, $rss_kb / 1024, $gb / 1e9
print(f'convert safetensors->gguf (HF Llama, q/k permuted): {cs / f32:.2f} x cat+fsync throughput, '
      f'--quantize Q8_0 {cs / q8:.2f} x ({gb / q8 * 1000:.0f} MB/s of F32 input), peak RSS {rss:.0f} MiB  '
      f'[{gb:.2f} GB, best of 2: ckpt {f32:.2f}s, Q8_0 {q8:.2f}s, cat+fsync {cs:.2f}s]')"
