# Remap rules in Python `re` syntax, checked against Python's own `re`:
# the same rules run over the same names in Python (re.search, then the
# match replaced as ckpt does: sed-like, first match, rules top to bottom,
# drop ends the chain) and in `ckpt maps --preview --json`; the renamed
# lists must be equal. Rules are of the kind pasted from transformers,
# KerasHub and gguf-py converters: (?:...), lazy quantifiers, \d, named
# groups with ${name}, back-references, \b, plus the constructs PCRE2 reads
# differently from Python (\Z, {,n}, (?a), \v) that rx.c rewrites.
# Then rules both engines reject: ckpt names FILE:LINE:COL, and the column
# is the one Python's re.error gives (pos + 1, the rule starting at col 1).
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

if ! "$CKPT" formats 2>/dev/null | grep -q safetensors; then
    skip remap_python "safetensors format not built in"; exit 0
fi

cat > "$T/rules.txt" <<'EOF'
# transformers-style, named groups
^model\.layers\.(?P<layer>\d+)\.self_attn\.((?:q|k|v))_proj\.(weight|bias)$ -> blk.${layer}.attn_$2.$3
^model\.layers\.(?P<layer>\d+)\.self_attn\.o_proj\.weight$ -> blk.${layer}.attn_output.weight
^model\.layers\.(\d+)\.mlp\.(?:gate|up)_proj\.weight$ -> blk.$1.ffn_in.weight
^model\.rotary_emb\..*?inv_freq$ -> drop
# lazy against greedy: the first '_' only
^(enc.*?)_(.*)$ -> $1/$2
# back-reference: "encoder.encoder.x" -> "encoder.x"; named one too
^(\w+)\.\1\.(.*)$ -> $1.$2
^(?P<a>[a-z]+)-(?P=a)$ -> ${a}2
# word boundaries
\bln_(\d)\b -> norm$1
# \Z is the very end in Python (PCRE2's \z); $ also matches before a final newline
\.bias\Z -> .b
\.gamma$ -> .scale
# {,n} is {0,n} in Python
^(x{,2})y$ -> few_$1
# Unicode \w by default, ASCII under (?a)
(?a)^(\w+)\.k$ -> ascii_$1.k
^(\w+)\.q$ -> word_$1.q
(?i)^LM_HEAD\.WEIGHT$ -> output.weight
# a $$ is a literal $, an unset group expands to nothing
^(a)?bc(d)$ -> $1[$2]$$
? ^never(\d+)$ -> x
EOF

$PY - "$T" <<'EOF'
import sys, numpy as np, stio
d = sys.argv[1]
names = []
for i in range(12):
    for p in ["q", "k", "v"]:
        names += [f"model.layers.{i}.self_attn.{p}_proj.weight", f"model.layers.{i}.self_attn.{p}_proj.bias"]
    names += [f"model.layers.{i}.self_attn.o_proj.weight", f"model.layers.{i}.mlp.gate_proj.weight",
              f"model.layers.{i}.mlp.down_proj.weight", f"model.layers.{i}.input_layernorm.weight"]
names += ["model.rotary_emb.inv_freq", "model.rotary_emb.x.inv_freq", "enc_a_b_c", "encoder.encoder.x.y",
          "dec.dec", "ab-ab", "ab-ac", "h.ln_1.weight", "h.xln_1.weight", "h.ln_12", "blk.0.bias", "odd.bias\n",
          "norm.gamma", "odd.gamma\n", "y", "xxy", "xxxy", "\u00e9t\u00e9.k", "ete.k", "\u00e9t\u00e9.q", "Lm_Head.Weight", "bcd", "abcd", "never12", "v\u000bx"]
z = np.zeros((1,), np.float32)
stio.write(f"{d}/names.safetensors", {n: z for n in names})
EOF
expect_exit 0 preview_runs "$CKPT" maps --preview "$T/names.safetensors" --map "$T/rules.txt" --json
cp "$T/out" "$T/preview.json"
check same_as_python_re $PY - "$T" <<'EOF'
import json, re, sys, stio
d = sys.argv[1]
rules = []
for line in open(f"{d}/rules.txt", encoding="utf-8"):
    line = line.rstrip("\n")
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    if line.startswith("? "):
        line = line[2:]
    pat, tgt = line.split(" -> ")
    rules.append((re.compile(pat), tgt.strip()))

def expand(m, tgt):
    def g(mm):
        s = mm.group(1)
        if s == "$":
            return "$"
        key = s.strip("{}")
        v = m.group(int(key) if key.isdigit() else key)
        return v or ""
    return re.sub(r"\$(\$|\d|\{\w+\})", g, tgt)

want, dropped = {}, []
for n in stio.read(f"{d}/names.safetensors"):
    name = n
    for rx, tgt in rules:
        m = rx.search(name)
        if not m:
            continue
        if tgt == "drop":
            name = None
            break
        name = name[:m.start()] + expand(m, tgt) + name[m.end():]
    if name is None:
        dropped.append(n)
    else:
        want[n] = name
j = json.load(open(f"{d}/preview.json"))
got = {t["from"]: t["name"] for t in j["tensors"]}
bad = [(k, want.get(k), got.get(k)) for k in set(want) | set(got) if want.get(k) != got.get(k)]
assert not bad, "\n".join(f"{k!r}: python {w!r}, ckpt {g!r}" for k, w, g in sorted(bad, key=str))
assert sorted(j["dropped"]) == sorted(dropped), (j["dropped"], dropped)
# the rules did something of each kind
changed = sum(1 for k, v in want.items() if k != v)
assert changed >= 60 and len(dropped) == 2, (changed, dropped)
for k, v in [("enc_a_b_c", "enc/a_b_c"), ("encoder.encoder.x.y", "encoder.x.y"), ("odd.bias\n", "odd.bias\n"),
             ("odd.gamma\n", "odd.scale\n"), ("xxy", "few_xx"), ("y", "few_"), ("xxxy", "xxxy"), ("\u00e9t\u00e9.k", "\u00e9t\u00e9.k"),
             ("\u00e9t\u00e9.q", "word_\u00e9t\u00e9.q"), ("bcd", "[d]$")]:
    assert want[k] == v, (k, want[k], v)
EOF

# ---- rules both engines refuse: FILE:LINE:COL with Python's column ----
i=0
while IFS= read -r pat; do
    i=$((i + 1))
    printf '# bad rule %d\n%s -> x\n' "$i" "$pat" > "$T/bad$i.txt"
    "$CKPT" maps --preview "$T/names.safetensors" --map "$T/bad$i.txt" > "$T/out" 2> "$T/err"
    rc=$?
    msg=$(head -n 1 "$T/err")
    pycol=$($PY -c 'import re, sys
try:
    re.compile(sys.argv[1]); print("accepted")
except re.error as e:
    print(e.pos + 1)' "$pat")
    if [ "$rc" -eq 3 ] && [[ "$msg" == *"bad$i.txt:2:$pycol: bad regex"* ]]; then pass "bad_rule_col_$i"
    else fail "bad_rule_col_$i" "rule '$pat': exit $rc, '$msg', Python's column $pycol"; fi
done <<'EOF'
^model\.(\d+\.weight$
^a(?P<n>b)(?P<n>c)$
^ab)c$
^a[bc$
^a\qb$
^a{2,1}$
^(?P<1x>a)$
^a**$
EOF
# POSIX classes read differently by Python: refused with a clear reason
printf '^a[[:digit:]]+$ -> x\n' > "$T/posix.txt"
expect_exit 3 posix_class_refused "$CKPT" maps --preview "$T/names.safetensors" --map "$T/posix.txt"
grep -q "posix.txt:1:4: bad regex: POSIX class" "$T/err" && pass posix_class_msg || fail posix_class_msg "$(cat "$T/err")"

# a rule that backtracks without end (Python's re would hang on it) is
# stopped by the match limit: a clear error naming the rule and the tensor,
# exit 3, nothing written
$PY - "$T" <<'PYEOF'
import sys, numpy as np, stio
stio.write(f"{sys.argv[1]}/patho.safetensors", {"a" * 40 + "b": np.zeros(1, np.float32)})
PYEOF
printf '# nested quantifiers\n^(a+)+$ -> x\n' > "$T/patho.txt"
expect_exit 3 backtrack_limit_exit timeout 20 "$CKPT" convert "$T/patho.safetensors" -o "$T/po.safetensors" --map "$T/patho.txt"
grep -q "patho.txt:2:1: the regex gave up on 'aaaa.*backtracking limit" "$T/err" && [ ! -e "$T/po.safetensors" ] \
    && pass backtrack_limit_msg || fail backtrack_limit_msg "$(cat "$T/err")"
