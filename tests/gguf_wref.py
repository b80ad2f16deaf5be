# tests/gguf_wref.py: references for ckpt's GGUF writer (NumPy only; no code
# shared with ckpt). Reads GGUF with tests/ggufref.py's spec-written parser.
#
#   same A.gguf B.gguf [--relaxed] typed key/values (type and exact value bytes)
#                                  and tensors (name, shape, ggml type, bytes) equal
#   quant SRC.safetensors OUT.gguf TYPE [MAP.json]
#                                  every tensor of OUT is SRC's (after the GGUF
#                                  names and the q/k permute) in OUT's type, with
#                                  Q8_0/Q4_0 bytes equal to ggml's quantize_row_*_ref
#                                  computed here in float32 as ggml-quants.c does
#   llama DIR [--spm]              a tiny random Llama (config.json, model.safetensors,
#                                  tokenizer.json, tokenizer_config.json)
#   forward DIR TOKENS.json        logits (JSON rows) of a NumPy forward pass of DIR's
#                                  Hugging Face weights for the tokens
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ggufref  # noqa: E402


# ------------------------------------------------------------ comparisons
def raw_kv(path):
    """[(key, type, value bytes)] exactly as stored."""
    b = open(path, "rb").read()
    r = ggufref.R(b)
    assert r.take(4) == b"GGUF"
    r.u("<I")
    r.u("<Q")
    nkv = r.u("<Q")
    out = []
    for _ in range(nkv):
        k = r.take(r.u("<Q")).decode()
        t = r.u("<I")
        p0 = r.p
        ggufref.read_value(r, t)
        out.append((k, t, b[p0:r.p]))
    return out


def tensor_bytes(path):
    b, ver, kv, ts, data = ggufref.parse(path)
    out = {}
    for t in ts:
        _, blk, size, _ = ggufref.GT[t["type"]]
        n = int(np.prod(t["shape"], dtype=np.int64)) if t["shape"] else 1
        out[t["name"]] = (t["shape"], t["type"], b[data + t["off"]:data + t["off"] + n // blk * size])
    return ver, [t["name"] for t in ts], out


WRITABLE = {0, 1, 2, 8, 24, 25, 26, 27, 28, 30}   # F32 F16 Q4_0 Q8_0 I8..I64 F64 BF16


def same(a, b, relaxed=False):
    """relaxed: B's general.alignment is 32 whatever A's was, and tensors of a
    type the writer does not emit (Q4_1, Q5_*) are F32 holding A's dequantized values."""
    bad = []
    ka, kb = raw_kv(a), raw_kv(b)
    da, db = {k: (t, v) for k, t, v in ka}, {k: (t, v) for k, t, v in kb}
    if relaxed:
        if db.pop("general.alignment", None) != (4, struct.pack("<I", 32)):
            bad.append("general.alignment is not u32 32")
        da.pop("general.alignment", None)
    for k in sorted(set(da) | set(db)):
        if da.get(k) != db.get(k):
            bad.append("kv %s: %s vs %s" % (k, str(da.get(k))[:80], str(db.get(k))[:80]))
    va, na, ta = tensor_bytes(a)
    vb, nb, tb = tensor_bytes(b)
    if na != nb:
        bad.append("tensor names/order differ: %s vs %s" % (na[:4], nb[:4]))
    pa = ggufref.parse(a)
    for t in pa[3]:
        n = t["name"]
        if n not in tb:
            continue
        if relaxed and t["type"] not in WRITABLE:
            want = ggufref.tensor_values(pa[0], pa[4], t).astype("<f4").tobytes()
            if tb[n][1] != 0 or tb[n][2] != want:
                bad.append("tensor %s: not F32 with the dequantized values" % n)
        elif ta[n] != tb[n]:
            bad.append("tensor %s differs (shape %s/%s type %d/%d)" % (n, ta[n][0], tb[n][0], ta[n][1], tb[n][1]))
    print("compared %d key/values, %d tensors, %d bad" % (len(ka), len(na), len(bad)))
    for x in bad[:10]:
        print(x)
    return 1 if bad else 0


# --------------------------------------------- ggml reference quantizers
def q8_0(x):
    x = x.reshape(-1, 32).astype(np.float32)
    amax = np.max(np.abs(x), axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idn = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (x * idn[:, None]).astype(np.float32).astype(np.float64)
    q = (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int8)       # roundf: half away from zero
    out = np.empty((x.shape[0], 34), np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def q4_0(x):
    x = x.reshape(-1, 32).astype(np.float32)
    mx = x[np.arange(x.shape[0]), np.argmax(np.abs(x), axis=1)]          # first largest |x|, signed
    d = (mx / np.float32(-8)).astype(np.float32)
    with np.errstate(divide="ignore"):
        idn = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = ((x * idn[:, None]).astype(np.float32) + np.float32(8.5)).astype(np.float32)
    q = np.minimum(15, np.trunc(v).astype(np.int32)).astype(np.uint8)   # (int8_t) truncates
    out = np.empty((x.shape[0], 18), np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def bf16(x):
    u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    r[nan] = ((u[nan] >> 16) | 64).astype(np.uint16)
    return r.astype("<u2").tobytes()


HF2GGUF = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}
BLK = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
       "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
       "post_attention_layernorm": "ffn_norm", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
       "mlp.down_proj": "ffn_down"}


def permute(w, n_head):
    """convert_hf_to_gguf.py LlamaModel.permute"""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_to_gguf(st, cfg):
    out = {}
    for k, (dt, a) in st.items():
        a = a.astype(np.float32) if dt in ("F16", "BF16", "F32") else a
        if k in HF2GGUF:
            out[HF2GGUF[k]] = a
            continue
        p = k.split(".")
        i, rest = p[2], ".".join(p[3:-1])
        if rest == "self_attn.q_proj":
            a = permute(a, cfg["num_attention_heads"])
        if rest == "self_attn.k_proj":
            a = permute(a, cfg.get("num_key_value_heads", cfg["num_attention_heads"]))
        out["blk.%s.%s.weight" % (i, BLK[rest])] = a
    return out


def quant(src, out, typ):
    cfg = json.load(open(os.path.join(os.path.dirname(src), "config.json")))
    want = hf_to_gguf(ggufref.st_read(src), cfg)
    ver, names, got = tensor_bytes(out)
    bad = []
    if sorted(names) != sorted(want):
        bad.append("names: %s vs %s" % (sorted(names)[:5], sorted(want)[:5]))
    TY = {"F32": 0, "F16": 1, "BF16": 30, "Q8_0": 8, "Q4_0": 2}
    for n in names:
        if n not in want:
            continue
        x = want[n]
        t = TY[typ] if x.ndim >= 2 else 0
        if t in (8, 2) and x.shape[-1] % 32:
            t = 1
        ref = {0: lambda a: a.astype("<f4").tobytes(), 1: lambda a: a.astype("<f2").tobytes(),
               30: bf16, 8: q8_0, 2: q4_0}[t](x)
        shape, gt, raw = got[n]
        if list(shape) != list(x.shape) or gt != t or raw != ref:
            nd = sum(1 for i in range(min(len(raw), len(ref))) if raw[i] != ref[i])
            bad.append("%s: shape %s/%s type %d/%d, %d of %d bytes differ" % (n, shape, list(x.shape), gt, t, nd, len(ref)))
    print("checked %d tensors as %s, %d bad" % (len(names), typ, len(bad)))
    for x in bad[:10]:
        print(x)
    return 1 if bad else 0


# --------------------------------------------------------- a tiny llama
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


LLAMA3_RE = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
             "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")
WORDS = ["hello", "world", "the", "cat", "sat"]


def bpe_tokenizer(spm):
    """Byte-level BPE as Llama 3 ships it, or (spm) Llama 2's byte_fallback BPE."""
    vocab, merges = {}, []
    if spm:
        vocab.update({"<unk>": 0, "<s>": 1, "</s>": 2})
        for b in range(256):
            vocab["<0x%02X>" % b] = len(vocab)
        for ch in sorted(set("".join(WORDS)) | {"\u2581"}):
            vocab[ch] = len(vocab)
        sp = "\u2581"
    else:
        for b, ch in sorted(bytes_to_unicode().items()):
            vocab[ch] = b
        sp = "\u0120"
    for w in WORDS:                      # merge each word left to right, with and without the space mark
        for word in (w, sp + w):
            cur = word[0]
            for ch in word[1:]:
                if cur + ch not in vocab:
                    merges.append(cur + " " + ch)
                    vocab[cur + ch] = len(vocab)
                cur += ch
    special = ["<|begin_of_text|>", "<|end_of_text|>"] if not spm else []
    added = [{"id": len(vocab) + i, "content": s, "special": True, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False} for i, s in enumerate(special)]
    if spm:
        added = [{"id": vocab[s], "content": s, "special": True, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False} for s in ("<unk>", "<s>", "</s>")]
        tj = {"version": "1.0", "added_tokens": added,
              "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                                 {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
              "pre_tokenizer": None, "post_processor": None, "decoder": None,
              "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "fuse_unk": True,
                        "byte_fallback": True, "vocab": vocab, "merges": merges}}
        tc = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": True,
              "add_eos_token": False, "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}
        return tj, tc, len(vocab)
    tj = {"version": "1.0", "added_tokens": added, "normalizer": None,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": LLAMA3_RE}, "behavior": "Isolated", "invert": False},
              {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
          "post_processor": {"type": "TemplateProcessing",
                             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                                        {"Sequence": {"id": "A", "type_id": 0}}]},
          "decoder": {"type": "ByteLevel"},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "byte_fallback": False,
                    "ignore_merges": True, "vocab": vocab, "merges": merges}}
    tc = {"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>",
          "chat_template": "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"}
    return tj, tc, len(vocab) + len(added)


def st_write(path, tensors):
    h, off, blobs = {}, 0, []
    for k, a in tensors.items():
        a = np.ascontiguousarray(a.astype("<f4"))
        h[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
        blobs.append(a.tobytes())
    b = json.dumps(h).encode()
    b += b" " * ((8 - len(b) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(b)) + b + b"".join(blobs))


def llama(d, spm=False):
    os.makedirs(d, exist_ok=True)
    tj, tc, nv = bpe_tokenizer(spm)
    hid, nl, nh, nkv, ff = 64, 2, 4, 2, 96
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": hid,
           "intermediate_size": ff, "num_hidden_layers": nl, "num_attention_heads": nh,
           "num_key_value_heads": nkv, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
           "rope_theta": 10000.0, "vocab_size": nv, "tie_word_embeddings": False,
           "bos_token_id": 1 if spm else nv - 2, "eos_token_id": 2 if spm else nv - 1,
           "torch_dtype": "float32"}
    rng = np.random.default_rng(14)
    hd = hid // nh
    t = {"model.embed_tokens.weight": rng.normal(0, 1, (nv, hid))}
    for i in range(nl):
        p = "model.layers.%d." % i
        t[p + "input_layernorm.weight"] = 1 + rng.normal(0, 0.1, hid)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.15, (nh * hd, hid))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.15, (nkv * hd, hid))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.15, (nkv * hd, hid))
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.15, (hid, nh * hd))
        t[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, 0.1, hid)
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.15, (ff, hid))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.15, (ff, hid))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.15, (hid, ff))
    t["model.norm.weight"] = 1 + rng.normal(0, 0.1, hid)
    t["lm_head.weight"] = rng.normal(0, 0.1, (nv, hid))
    st_write(os.path.join(d, "model.safetensors"), t)
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=1)
    json.dump(tj, open(os.path.join(d, "tokenizer.json"), "w"), ensure_ascii=False)
    json.dump(tc, open(os.path.join(d, "tokenizer_config.json"), "w"))


# ---------------------------------------------------- NumPy forward pass
def forward(d, toks):
    """transformers LlamaForCausalLM in float64: RMSNorm, rotate_half RoPE, GQA, SwiGLU."""
    cfg = json.load(open(os.path.join(d, "config.json")))
    W = {k: a.astype(np.float64) for k, (dt, a) in ggufref.st_read(os.path.join(d, "model.safetensors")).items()}
    nh, nkv, eps = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["rms_norm_eps"]
    hid = cfg["hidden_size"]
    hd = hid // nh
    T = len(toks)

    def rms(x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w

    inv = 1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2) / hd)
    rs = cfg.get("rope_scaling") or {}
    if rs.get("rope_type") == "llama3":   # transformers _compute_llama3_parameters
        fac, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        wl = 2 * np.pi / inv
        il = np.where(wl > old / lo, inv / fac, inv)
        sm = (old / wl - lo) / (hi - lo)
        smoothed = (1 - sm) * il / fac + sm * il
        inv = np.where(~(wl < old / hi) & ~(wl > old / lo), smoothed, il)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([ang, ang], -1)), np.sin(np.concatenate([ang, ang], -1))

    def rope(x):  # x: (heads, T, hd)
        rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
        return x * cos + rot * sin

    x = W["model.embed_tokens.weight"][toks]
    mask = np.triu(np.full((T, T), -np.inf), 1)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).reshape(T, nkv, hd).transpose(1, 0, 2)
        q, k = rope(q), rope(k)
        k, v = np.repeat(k, nh // nkv, 0), np.repeat(v, nh // nkv, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        o = (s @ v).transpose(1, 0, 2).reshape(T, nh * hd)
        x = x + o @ W[p + "self_attn.o_proj.weight"].T
        h = rms(x, W[p + "post_attention_layernorm.weight"])
        g = h @ W[p + "mlp.gate_proj.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ W[p + "mlp.up_proj.weight"].T)) @ W[p + "mlp.down_proj.weight"].T
    x = rms(x, W["model.norm.weight"])
    return x @ W["lm_head.weight"].T


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "same":
        sys.exit(same(sys.argv[2], sys.argv[3], "--relaxed" in sys.argv))
    elif cmd == "quant":
        sys.exit(quant(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif cmd == "llama":
        llama(sys.argv[2], "--spm" in sys.argv)
    elif cmd == "forward":
        print(json.dumps(forward(sys.argv[2], json.load(open(sys.argv[3]))).tolist()))
