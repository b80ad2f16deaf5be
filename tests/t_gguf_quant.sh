#!/bin/bash
# GGUF K-quants (Q2_K..Q6_K, Q8_K) and IQ4_NL/IQ4_XS on read: blocks made by a
# NumPy quantizer written from ggml's block layouts (tests/ggufquant.py), and
# random blocks, dequantize in ckpt to exactly what the NumPy reference gives;
# the reference itself lands near the floats that were quantized. Chunked
# reads that start inside a block, diff --values, and the TUI's statistics
# (against NumPy) work on them too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
Q="$PY $ROOT/tests/ggufquant.py"
export ROOT
G=$T/k.gguf

$Q make "$G" || { fail kquant_make "reference quantizer failed"; exit 0; }
"$CKPT" ls "$G" >"$T/ls" 2>"$T/err"
if grep -q "^q.Q4_K  *F32  *\[3, 512\]" "$T/ls" && grep -q "^rand.IQ4_NL  *F32  *\[5, 64\]" "$T/ls"; then
    pass kquant_listed; else fail kquant_listed "$(head -5 "$T/ls") $(cat "$T/err")"; fi
"$CKPT" info "$G" >"$T/info" 2>&1
grep -q "quantization .*Q4_K x2.*dequantized on read" "$T/info" && pass kquant_info_fact \
    || fail kquant_info_fact "$(grep quantization "$T/info")"

# every type, bit for bit
if "$CKPT" convert --quiet "$G" -o "$T/k.safetensors" 2>"$T/err"; then
    r=$($Q compare "$G" "$T/k.safetensors" 2>&1) && pass kquant_values_exact || fail kquant_values_exact "$r"
else fail kquant_values_exact "convert: $(cat "$T/err")"; fi
for t in Q2_K Q3_K Q4_K Q5_K Q6_K Q8_K IQ4_NL IQ4_XS; do
    if [ -f "$T/k.safetensors" ] && [ -n "${r:-}" ] && ! grep -q "\.$t:" <<<"$r"; then pass "kquant_$t"
    else fail "kquant_$t" "$(grep "\.$t:" <<<"${r:-no output}" | head -2)"; fi
done

# a tensor of several 4 MiB chunks (and many 512-block reads), cast to F16
$PY - "$T/big.gguf" <<'PY'
import os, sys, numpy as np
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import ggufquant, ggufref
rng = np.random.default_rng(3)
x = rng.standard_normal((1100, 1024)).astype(np.float32)
ggufref.write(sys.argv[1], [], [("big.q4k", 12, x.shape, ggufquant.quantize("Q4_K", x)),
                                ("big.q6k", 14, (3, 256), ggufquant.quantize("Q6_K", x[:3, :256]))])
PY
if "$CKPT" convert --quiet --dtype F16 "$T/big.gguf" -o "$T/big.safetensors" 2>"$T/err"; then
    $PY - "$T/big.gguf" "$T/big.safetensors" <<'PY' >"$T/out" 2>&1 && pass kquant_chunked || fail kquant_chunked "$(tail -3 "$T/out")"
import os, sys, numpy as np
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import ggufquant, ggufref
b, ver, kv, ts, data = ggufref.parse(sys.argv[1])
got = ggufref.st_read(sys.argv[2])
for t in ts:
    name = ggufquant.BY_ID[t["type"]]
    size = ggufquant.TYPES[name][2]
    n = int(np.prod(t["shape"]))
    raw = np.frombuffer(b, np.uint8, n // 256 * size, data + t["off"]).reshape(-1, size)
    want = ggufquant.dequant(name, raw).reshape(t["shape"])
    g = got[t["name"]]
    assert g[0] == "F16" and g[1].tobytes() == want.astype("<f2").tobytes(), t["name"]
PY
else fail kquant_chunked "convert: $(cat "$T/err")"; fi

# diff --values: the GGUF against its own conversion, and a changed copy
expect_exit 0 kquant_diff_values_same "$CKPT" diff --values "$G" "$T/k.safetensors"
grep -q "0 with different values" "$T/out" && pass kquant_diff_values_summary || fail kquant_diff_values_summary "$(tail -2 "$T/out")"
$PY - "$G" "$T/k2.gguf" <<'PY'
import os, sys
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import ggufref
b, ver, kv, ts, data = ggufref.parse(sys.argv[1])
t = [t for t in ts if t["name"] == "q.IQ4_XS"][0]
b = bytearray(b)
b[data + t["off"] + 8 + 5] ^= 0x10     # one nibble: one weight of the first block
open(sys.argv[2], "wb").write(b)
PY
expect_exit 1 kquant_diff_values_changed "$CKPT" diff --values "$T/k2.gguf" "$T/k.safetensors"
grep -q "1 with different values" "$T/out" && pass kquant_diff_values_names || fail kquant_diff_values_names "$(tail -3 "$T/out")"

# a type still not decoded is refused with the tensor's name, nothing written
$PY - "$T/iq2.gguf" <<'PY'
import os, sys
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import ggufref
ggufref.write(sys.argv[1], [], [("blk.0.iq2.weight", 16, (1, 256), bytes(66))])
PY
expect_exit 3 kquant_iq2_refused "$CKPT" convert "$T/iq2.gguf" -o "$T/iq2.safetensors"
if grep -q "blk.0.iq2.weight.*IQ2_XXS cannot be dequantized" "$T/err" && [ ! -e "$T/iq2.safetensors" ]; then
    pass kquant_iq2_message; else fail kquant_iq2_message "$(cat "$T/err")"; fi

# statistics in the TUI (s on a tensor) against NumPy on the reference values
if command -v tmux >/dev/null; then
    tui_start -- k.gguf
    tui_wait "16 tensors" >/dev/null
    tui_keys /
    tui_type q.Q5_K
    tui_wait "1 of 16 tensors" >/dev/null
    tui_keys Enter Enter
    tui_wait "[3, 512]" >/dev/null
    tui_keys s
    if tui_wait "std " 10; then
        got=$(sed 's/.*│ //' "$T/screen" | grep -E '^(min|max|mean|std|zeros) ' | awk '{print $1"="$2}' | tr '\n' ' ')
        if $PY - "$G" "$got" <<'PY'
import os, sys, numpy as np
sys.path.insert(0, os.environ["ROOT"] + "/tests")
import ggufquant, ggufref
b, ver, kv, ts, data = ggufref.parse(sys.argv[1])
t = [t for t in ts if t["name"] == "q.Q5_K"][0]
a = ggufquant.dequant("Q5_K", np.frombuffer(b, np.uint8, 6 * 176, data + t["off"]).reshape(-1, 176)).astype("float64")
got = dict(kv.split("=") for kv in sys.argv[2].split())
for k, v in {"min": a.min(), "max": a.max(), "mean": a.mean(), "std": a.std()}.items():
    assert abs(float(got[k]) - v) <= 1e-5 * max(1.0, abs(v)), (k, got[k], v)
assert int(got["zeros"].replace(",", "")) == int((a == 0).sum())
PY
        then pass kquant_tui_stats; else fail kquant_tui_stats "differs from NumPy: $got"; fi
    else fail kquant_tui_stats "statistics never appeared"; fi
    tui_stop
else skip kquant_tui_stats "tmux missing"; fi
