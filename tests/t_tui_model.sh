#!/bin/bash
# TUI model view in tmux: the tree shows the layers, expanding shows tensors
# with shapes, the filter narrows the list (substring and regex), n jumps,
# statistics match NumPy, the help overlay lists the keys, q quits.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"

M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"
need_reader tui_model "$M" || exit 0

tui_start -- small.safetensors
if tui_wait "Layers" && tui_wait "16 tensors"; then
    # top level: the three groups, collapsed (no tensor rows yet)
    if grep -qE '^. embed ' "$T/screen" && grep -qE '^. encoder ' "$T/screen" && grep -qE '^. head ' "$T/screen" \
        && ! grep -q 'q_proj' "$T/screen"; then pass tui_tree_layers
    else fail tui_tree_layers "top-level groups not shown collapsed: $(head -8 "$T/screen" | tr '\n' '|')"; fi
else fail tui_tree_layers "model screen did not appear"; fi

# expand the first group (embed): its tensor appears with dtype and shape
tui_keys g l
if tui_wait_re 'weight +F32 \[16, 8\]'; then pass tui_expand_shows_shape
else fail tui_expand_shows_shape "no 'weight F32 [16, 8]' row after expanding embed"; fi

# * opens the whole encoder subtree
tui_keys j j '*'
if tui_wait_re 'q_proj' && tui_wait_re 'weight +F32 \[32, 8\]'; then
    n=$(grep -c 'q_proj' "$T/screen")
    [ "$n" -ge 2 ] && pass tui_expand_all || fail tui_expand_all "expected q_proj rows, got $n"
else fail tui_expand_all "subtree not opened"; fi

# the detail pane shows the selected tensor: move onto the first q_proj
tui_keys g
tui_keys /
tui_type q_proj
if tui_wait "Filter 'q_proj': 3 of 16 tensors"; then
    n=$(grep -c 'encoder.layers.[0-9].attn.q_proj.weight' "$T/screen")
    if [ "$n" -eq 3 ] && ! grep -q 'k_proj' "$T/screen"; then pass tui_filter_narrows
    else fail tui_filter_narrows "expected exactly the 3 q_proj rows, got $n"; fi
else fail tui_filter_narrows "filter count line missing"; fi

# Enter keeps the list, Enter again jumps to the tensor in the tree
tui_keys Enter
tui_keys j Enter
if tui_wait "Layers" && tui_wait "encoder.layers.1.attn.q_proj.weight" && tui_wait "shape      [8, 8]"; then
    pass tui_filter_jump
else fail tui_filter_jump "jump to encoder.layers.1.attn.q_proj.weight failed"; fi

# n goes to the next match (layers.2)
tui_keys n
if tui_wait "encoder.layers.2.attn.q_proj.weight" && tui_wait "match 3 of 3"; then pass tui_next_match
else fail tui_next_match "n did not move to the third match"; fi

# a regex filter; Esc first clears the old pattern
tui_keys Escape
tui_keys /
tui_type 'layers\.[12]\..*v_proj'
if tui_wait "2 of 16 tensors" && tui_wait "(regex)"; then
    if grep -q 'encoder.layers.1.attn.v_proj.weight' "$T/screen" && grep -q 'encoder.layers.2.attn.v_proj.weight' "$T/screen" \
        && ! grep -q 'layers.0.attn.v_proj' "$T/screen"; then pass tui_filter_regex
    else fail tui_filter_regex "wrong rows for the regex"; fi
else fail tui_filter_regex "regex filter count missing"; fi
tui_keys Escape
tui_gone "(regex)"

# statistics of head.weight, computed in the background, against NumPy
tui_keys /
tui_type head.weight
tui_wait "1 of 16 tensors" >/dev/null
tui_keys Enter Enter
tui_wait "shape      [10, 8]" >/dev/null
tui_keys s
if tui_wait "std " 10; then
    got=$(sed 's/.*│ //' "$T/screen" | grep -E '^(min|max|mean|std|zeros|NaN|Inf) ' | awk '{print $1"="$2}' | tr '\n' ' ')
    if "$PY" - "$M" "$got" <<EOF
import sys
$ST_READ
a = read_st(sys.argv[1])["head.weight"].astype("float64")
got = dict(kv.split("=") for kv in sys.argv[2].split())
want = {"min": a.min(), "max": a.max(), "mean": a.mean(), "std": a.std()}
for k, v in want.items():
    g = float(got[k])
    assert abs(g - v) <= 1e-5 * max(1.0, abs(v)), (k, g, v)
assert int(got["zeros"].replace(",", "")) == int((a == 0).sum())
assert got["NaN"] == "0" and got["Inf"] == "0"
EOF
    then pass tui_stats_numpy
    else fail tui_stats_numpy "values differ from NumPy: $got"; fi
else fail tui_stats_numpy "statistics never appeared"; fi

# help overlay generated from the key table
tui_keys '?'
if tui_wait "Keys (q or Esc closes)" && tui_wait "move down" && tui_wait "remap editor"; then pass tui_help
else fail tui_help "help overlay incomplete"; fi
tui_keys q
tui_gone "Keys (q or Esc closes)" >/dev/null

# the mouse: a click (SGR mouse report, as xterm sends it) selects the row under it
tui_keys '-' g
tui_wait_re '│ embed *$' >/dev/null
row=$(grep -nE '^. head ' "$T/screen" | cut -d: -f1)
tui_type $'\e[<0;5;'"$row"$'M\e[<0;5;'"$row"'m'
if tui_wait_re '│ head *$' && tui_wait "params     90"; then pass tui_mouse_click
else fail tui_mouse_click "click on row $row did not select head"; fi

# q quits with status 0 and the terminal back in cooked mode
tui_keys q
if tui_wait "EXIT:0"; then
    sleep 0.2
    if grep -q ' icanon' "$T/stty.txt" && grep -q ' echo ' "$T/stty.txt"; then pass tui_quit_restores
    else fail tui_quit_restores "terminal not restored: $(cat "$T/stty.txt")"; fi
else fail tui_quit_restores "q did not quit"; fi
