#!/bin/bash
# TUI remap editor and mismatches screen in tmux: typing a rule changes the
# preview at once, the count of names unmatched against a target follows,
# rules save to a file; the mismatches screen lists what ckpt check finds.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"

M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"
need_reader tui_remap "$M" || exit 0
# the target expects lm_head.* where the model has head.*
gen_model "$T/target.safetensors" "$(echo "$SMALL_SPEC" | sed 's/"head\./"lm_head./g')"

tui_start -- small.safetensors
tui_wait "Layers" >/dev/null
tui_keys m
if tui_wait "Remap rules" && tui_wait "0 renamed, 0 dropped, 16 unchanged"; then
    grep -qE 'head\.weight +→ +head\.weight' "$T/screen" && pass tui_remap_open || fail tui_remap_open "identity preview missing"
else fail tui_remap_open "editor did not open"; fi

# the target: Tab to its field, type, Enter
tui_keys Tab
tui_type target.safetensors
tui_keys Enter
if tui_wait "unmatched vs target: 2 of 16"; then pass tui_remap_target_unmatched
else fail tui_remap_target_unmatched "unmatched count before the rule"; fi

# back to the rules (Tab twice), type a rule: the preview changes as it is typed
tui_keys Tab Tab
tui_type '^head\.(.*) -> lm_head.$1'
if tui_wait "2 renamed, 0 dropped, 14 unchanged" && tui_wait "unmatched vs target: 0 of 16"; then
    if grep -qE 'head\.weight +→ +lm_head\.weight' "$T/screen" && grep -qE 'head\.bias +→ +lm_head\.bias' "$T/screen"; then
        pass tui_remap_rule_changes_preview
    else fail tui_remap_rule_changes_preview "renamed rows missing"; fi
else fail tui_remap_rule_changes_preview "counts did not follow the rule"; fi

# a second rule that drops; a broken regex shows the parse error and keeps the last preview
tui_keys Enter
tui_type '^step$ -> drop'
tui_wait "2 renamed, 1 dropped, 13 unchanged" >/dev/null && pass tui_remap_drop || fail tui_remap_drop "drop not counted"
tui_keys Enter
tui_type '(unclosed -> x'
if tui_wait "rules:3:1: bad regex" && grep -qE 'head\.weight +→ +lm_head\.weight' "$T/screen"; then pass tui_remap_parse_error
else fail tui_remap_parse_error "no FILE:LINE error for a bad rule"; fi
tui_keys C-u BSpace
tui_wait "2 renamed, 1 dropped, 13 unchanged" >/dev/null

# save the rules, and the file holds them
tui_keys C-s
tui_wait "Save rules to:" >/dev/null
tui_type "$T/rules.txt"
tui_keys Enter
if tui_wait "saved" && grep -qxF '^head\.(.*) -> lm_head.$1' "$T/rules.txt" && grep -qxF '^step$ -> drop' "$T/rules.txt"; then
    pass tui_remap_save
else fail tui_remap_save "rules file: $(cat "$T/rules.txt" 2>/dev/null | tr '\n' '|')"; fi

# the convert dialog offers the editor's rules
tui_keys Escape
tui_wait "Layers" >/dev/null
tui_keys c
tui_wait "rule lines from the editor" >/dev/null && pass tui_remap_in_convert_dialog || fail tui_remap_in_convert_dialog "remap row missing"
# ... and converting applies them: NumPy sees the new names, same values, 'step' dropped
tui_keys Down C-u
tui_type "$T/mapped.safetensors"
tui_keys Enter
if tui_wait "Done:" 20 && "$PY" - "$M" "$T/mapped.safetensors" <<EOF
import sys
$ST_READ
a, b = read_st(sys.argv[1]), read_st(sys.argv[2])
want = {("lm_" + k if k.startswith("head.") else k) for k in a if k != "step"}
assert set(b) == want, sorted(set(b) ^ want)
assert (b["lm_head.weight"] == a["head.weight"]).all()
EOF
then pass tui_remap_convert_applies
else fail tui_remap_convert_applies "mapped output wrong"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null

# mismatches: this file has none; the screen says so
tui_keys d
if tui_wait "Mismatches: 0 findings" && tui_wait "No mismatches found"; then pass tui_mismatches_none
else fail tui_mismatches_none "mismatch screen"; fi
tui_keys q
tui_wait "Layers" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_remap_quit "did not quit"

# the keras2-keras3 preset in the editor previews the names convert writes:
# Keras 3 paths renumbered per class (conv2d_1 -> layers/conv2d), as derived
# independently by tests/k3paths.py from the config with h5py
X=$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5
if need_shared tui_remap_keras3_preview; then
    want=$(PYTHONPATH=$ROOT/tests "$PY" "$ROOT/tests/k3paths.py" "$X" | "$PY" -c '
import json, sys
m = json.load(sys.stdin)
# the Keras 3 path of the first conv kernel (legacy conv2d_1/kernel:0)
print([k for k, v in m.items() if v.endswith("/conv2d_1/kernel:0")][0])')
    TUI_W=120 tui_start -- "$X"
    tui_wait "Layers" 20 >/dev/null
    tui_keys m
    tui_wait "Remap rules" >/dev/null
    tui_keys C-o
    tui_wait "Load rules from" >/dev/null
    tui_type "preset:keras2-keras3"
    tui_keys Enter
    if [ -n "$want" ] && tui_wait_re "conv2d_1/kernel +→ +$want( |$)" 10 >/dev/null; then pass tui_remap_keras3_preview
    else fail tui_remap_keras3_preview "wanted conv2d_1/kernel → $want: $(grep conv2d_1 "$T/screen" | head -2)"; fi
    tui_keys Q
fi
