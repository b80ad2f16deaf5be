#!/bin/bash
# The filter on 300,000 tensors at 80x24, typed as a person types (several
# keys before the scan of the first one ends): the scan runs in slices
# between keys and each narrowing key searches the matches so far plus what
# was not scanned yet, so the counts must equal Python's over all names:
# substring (case-sensitive with a capital, else not), after Backspace (a wider pattern: rescan),
# and a regex; Enter keeps the list with its count; moving in it works.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
# (under ASan a tenth of it: the open alone would take a minute)
layers=50000; [ -n "${CKPT_ASAN:-}" ] && layers=5000
"$PY" - "$T/big.safetensors" "$layers" <<'PYEOF' || { fail gen python; exit 0; }
import json, struct, sys
parts = ["attn.q_proj", "attn.k_proj", "attn.v_proj", "mlp.up", "mlp.down", "norm"]
h, off = {}, 0
for i in range(int(sys.argv[2])):
    for p in parts:
        h[f"model.layers.{i}.{p}.weight"] = {"dtype": "F32", "shape": [2], "data_offsets": [off, off + 8]}
        off += 8
b = json.dumps(h, separators=(",", ":")).encode(); b += b" " * ((8 - len(b) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b); f.truncate(8 + len(b) + off)
PYEOF
count() { "$PY" - "$T/big.safetensors" "$1" "$2" <<'PYEOF'
import json, re, struct, sys
p, pat, kind = sys.argv[1:4]
with open(p, "rb") as f:
    names = [k for k in json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))]
if kind == "re": print(sum(1 for n in names if re.search(pat, n)))
elif pat != pat.lower(): print(sum(1 for n in names if pat in n))     # a capital: case-sensitive
else: print(sum(1 for n in names if pat in n.lower()))
PYEOF
}
TUI_W=80 TUI_H=24 tui_start -- big.safetensors
tui_wait "Layers" 120 || { fail tui_big_open "no tree"; exit 0; }
tui_keys /
tui_type "LAYERS.12"     # a capital: case-sensitive, no match in these names
n0=$(count "LAYERS.12" sub)
tui_wait_re "[^0-9]$n0 matches *\$" 30 && pass tui_filter_case_sensitive || fail tui_filter_case_sensitive "want $n0"
tui_keys C-u
tui_type "layers.12"
n1=$(count "layers.12" sub)
tui_wait_re "[^0-9]$n1 matches *\$" 30 && pass tui_filter_typed_fast || fail tui_filter_typed_fast "want $n1 matches"
tui_keys BSpace BSpace
n2=$(count "layers." sub)
tui_wait_re "[^0-9]$n2 matches *\$" 30 && pass tui_filter_backspace_rescans || fail tui_filter_backspace_rescans "want $n2"
tui_type "499"
n3=$(count "layers.499" sub)
tui_wait_re "[^0-9]$n3 matches *\$" 30 && pass tui_filter_narrow_again || fail tui_filter_narrow_again "want $n3"
tui_keys C-u
tui_type 'layers\.1[0-9]*\.mlp\.up'
n4=$(count 'layers\.1[0-9]*\.mlp\.up' re)
tui_wait_re "[^0-9]$n4 matches \(regex\) *\$" 30 && pass tui_filter_regex || fail tui_filter_regex "want $n4"
tui_keys Enter
tui_wait "Filter 'layers" 10 && grep -q "': $n4 of" "$T/screen" && pass tui_filter_list_kept \
    || fail tui_filter_list_kept "no list title"
tui_keys j j
tui_wait_re "model.layers.1[0-9]*.mlp.up.weight" 10 && pass tui_filter_list_moves || fail tui_filter_list_moves ""
