#!/bin/bash
# The TUI filter reads Python `re` syntax (PCRE2 through the engine's
# public ckpt_regex_*, the same engine as remap rules): non-capturing
# groups, \d, lazy quantifiers, \b; counts against Python's re.search over
# the same names; smart case (an escape letter such as \D is not a capital);
# a broken pattern names its column and keeps the previous list.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
"$PY" - "$T/m.safetensors" <<'PYEOF' || { fail gen python; exit 0; }
import json, struct, sys
h, off = {}, 0
for i in range(120):
    for p in ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.up_proj", "input_layernorm"]:
        h[f"model.layers.{i}.{p}.weight"] = {"dtype": "F32", "shape": [2], "data_offsets": [off, off + 8]}
        off += 8
h["lm_head.weight"] = {"dtype": "F32", "shape": [2], "data_offsets": [off, off + 8]}; off += 8
b = json.dumps(h, separators=(",", ":")).encode(); b += b" " * ((8 - len(b) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b); f.truncate(8 + len(b) + off)
PYEOF
# Python's count for a pattern, with the TUI's smart case (re.I unless a
# capital outside an escape)
count() { "$PY" - "$T/m.safetensors" "$1" <<'PYEOF'
import json, re, struct, sys
p, pat = sys.argv[1:3]
with open(p, "rb") as f:
    names = list(json.loads(f.read(struct.unpack("<Q", f.read(8))[0])))
caps = any(c.isupper() for c in re.sub(r"\\.", "", pat))
rx = re.compile(pat, 0 if caps else re.I)
print(sum(1 for n in names if rx.search(n)))
PYEOF
}
TUI_W=80 TUI_H=24 tui_start -- m.safetensors
tui_wait "Layers" 20 || { fail tui_pcre_open "no tree"; exit 0; }
tui_keys /
i=0
for pat in '(?:q|k)_proj' 'layers\.\d+7\.' 'layers\.1\d?\.self_attn\.[qv]' '^model\..*?\.o_proj\b' 'LAYERS\.\d' '\D0\.(?P<kind>mlp|input)'; do
    i=$((i + 1))
    tui_keys C-u
    tui_type "$pat"
    want=$(count "$pat")
    tui_wait_re "[^0-9]$want matches \(regex\) *\$" 10 && pass "tui_pcre_count_$i ($want for $pat)" \
        || fail "tui_pcre_count_$i" "'$pat': want $want (Python re)"
done
# the first pattern's matches are real q/k projections (the list shows them)
tui_keys C-u
tui_type '(?:q|k)_proj'
tui_wait "Filter '(?:q|k)_proj'" 10 && grep -qE "model.layers.0.self_attn.(q|k)_proj" "$T/screen" \
    && ! grep -qE "(v|o)_proj" "$T/screen" && pass tui_pcre_list_rows || { fail tui_pcre_list_rows "rows"; cat "$T/screen"; }
# Python syntax that POSIX ERE does not read: a lookahead (q_proj only when
# followed by .weight) and a back-reference
tui_keys C-u
tui_type 'self_attn\.(q)(?=_proj)'
want=$(count 'self_attn\.(q)(?=_proj)')
tui_wait_re "[^0-9]$want matches \(regex\) *\$" 10 && pass tui_pcre_lookahead || fail tui_pcre_lookahead "want $want"
# a broken pattern: the column (1-based, as the remap errors), the list kept
tui_keys C-u
tui_type '(?:q|k_proj'
tui_wait_re "regex: column 1: missing closing parenthesis" 10 && pass tui_pcre_error_column \
    || fail tui_pcre_error_column "no error with its column"
tui_type ')'
want=$(count '(?:q|k_proj)')
tui_wait_re "[^0-9]$want matches \(regex\) *\$" 10 && pass tui_pcre_error_fixed || fail tui_pcre_error_fixed "want $want"
tui_keys Escape
tui_wait "Layers" 5 && pass tui_pcre_esc || fail tui_pcre_esc ""
