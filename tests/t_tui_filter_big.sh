#!/bin/bash
# The filter on 1,000,000 tensors at 80x24, typed as a person types (the
# keys of a pattern arrive together, so each lands while the scan of the
# previous ones runs): the scan runs in slices between keys and each
# narrowing key searches the matches so far plus what was not scanned yet,
# so the counts must equal Python's over all names: substring
# (case-sensitive with a capital, else not), after Backspace (a wider
# pattern: rescan), Python-syntax regexes (PCRE2); Enter keeps the list
# with its count; moving in it works.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
# (under ASan a fiftieth of it: the open alone would take minutes)
layers=166667; [ -n "${CKPT_ASAN:-}" ] && layers=3334
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
TUI_W=80 TUI_H=24 tui_start -- big.safetensors
# Python's counts, all in one pass over the names while the TUI opens:
# KIND PATTERN per line (sub: substring, re: regex; smart case as the TUI)
cat > "$T/pats" <<'EOF2'
sub LAYERS.12
sub layers.12
sub layers.
sub layers.499
re layers\.1[0-9]*\.mlp\.up
re layers\.\d+7\.(?:mlp|attn)\.(?:up|q_proj)
sub layers.421
re layers\.\d+1\.mlp
EOF2
"$PY" - "$T/big.safetensors" "$T/pats" > "$T/counts" <<'PYEOF'
import json, re, struct, sys
with open(sys.argv[1], "rb") as f:
    names = list(json.loads(f.read(struct.unpack("<Q", f.read(8))[0])))
for line in open(sys.argv[2]):
    kind, pat = line.rstrip("\n").split(" ", 1)
    caps = any(c.isupper() for c in (re.sub(r"\\.", "", pat) if kind == "re" else pat))
    if kind == "re":
        rx = re.compile(pat, 0 if caps else re.I)
        print(sum(1 for n in names if rx.search(n)))
    elif caps: print(sum(1 for n in names if pat in n))
    else: print(sum(1 for n in names if pat in n.lower()))
PYEOF
count() { sed -n "$1p" "$T/counts"; }
[ "$(wc -l < "$T/counts")" = 8 ] && [ "$(count 6)" -gt 0 ] || { fail tui_filter_counts "python: $(tr '\n' ' ' < "$T/counts")"; exit 0; }
tui_wait "Layers" 120 || { fail tui_big_open "no tree"; exit 0; }
tui_keys /
tui_type "LAYERS.12"     # a capital: case-sensitive, no match in these names
tui_wait_re "[^0-9]$(count 1) matches *\$" 30 && pass tui_filter_case_sensitive || fail tui_filter_case_sensitive "want $(count 1)"
tui_keys C-u
tui_type "layers.12"
tui_wait_re "[^0-9]$(count 2) matches *\$" 30 && pass tui_filter_typed_fast || fail tui_filter_typed_fast "want $(count 2) matches"
tui_keys BSpace BSpace
tui_wait_re "[^0-9]$(count 3) matches *\$" 30 && pass tui_filter_backspace_rescans || fail tui_filter_backspace_rescans "want $(count 3)"
tui_type "499"
tui_wait_re "[^0-9]$(count 4) matches *\$" 30 && pass tui_filter_narrow_again || fail tui_filter_narrow_again "want $(count 4)"
# keys one by one, each sent while the previous key's scan of a million names runs
tui_keys C-u
for ch in l a y e r s . 4 2 1; do tui_type "$ch"; done
tui_wait_re "[^0-9]$(count 7) matches *\$" 30 && pass tui_filter_narrow_mid_scan || fail tui_filter_narrow_mid_scan "want $(count 7)"
tui_keys C-u
tui_type 'layers\.\d+7\.(?:mlp|attn)\.(?:up|q_proj)'
tui_wait_re "[^0-9]$(count 6) matches \(regex\) *\$" 30 && pass tui_filter_python_regex || fail tui_filter_python_regex "want $(count 6)"
# a regex left half-typed ('(' open) while its scan runs: the error names
# the column, and the list goes on being the last pattern's, to its end
tui_keys C-u
tui_type 'layers\.\d+1\.mlp('
tui_wait "regex: column 18: missing closing parenthesis" 10 \
    && tui_wait "Filter 'layers\.\d+1\.mlp': $(count 8) of" 30 && pass tui_filter_half_typed_regex \
    || fail tui_filter_half_typed_regex "want the error and $(count 8) matches"
tui_keys C-u
tui_type 'layers\.1[0-9]*\.mlp\.up'
n5=$(count 5)
tui_wait_re "[^0-9]$n5 matches \(regex\) *\$" 30 && pass tui_filter_regex || fail tui_filter_regex "want $n5"
tui_keys Enter
tui_wait "Filter 'layers" 10 && grep -q "': $n5 of" "$T/screen" && pass tui_filter_list_kept \
    || fail tui_filter_list_kept "no list title"
tui_keys j j
tui_wait_re "model.layers.1[0-9]*.mlp.up.weight" 10 && pass tui_filter_list_moves || fail tui_filter_list_moves ""
