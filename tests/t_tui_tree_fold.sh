#!/bin/bash
# The TUI's tree is made as groups are opened (ckpt_model_tree): on a model
# whose names come shuffled (groups met again after others) and with a
# tensor and a group of one name, each group shows once, with the tensor
# count and params Python counts from the header, children in natural
# order, and a tensor found by the filter (its groups not opened yet) is
# shown and jumped to.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"

M=$T/shuffled.safetensors
SPEC=$("$PY" - <<'EOF2'
import random
names = [f"blocks.{i}.{p}.{w}" for i in range(12) for p in ("attn", "mlp") for w in ("w", "b")]
names += ["emb", "emb.norm.w", "head.w"]
random.Random(7).shuffle(names)
print(repr([(n, [i % 4 + 1, 3]) for i, n in enumerate(names)]))
EOF2
)
gen_model "$M" "$SPEC"
need_reader tui_tree_fold "$M" || exit 0
# what Python counts under a prefix of the header: "tensors params"
under() {
    "$PY" - "$M" "$1" <<'EOF2'
import json, math, struct, sys
d = open(sys.argv[1], "rb").read()
h = json.loads(d[8:8 + struct.unpack("<Q", d[:8])[0]])
sel = [v for k, v in h.items() if k.startswith(sys.argv[2] + ".")]
print(len(sel), sum(math.prod(v["shape"]) for v in sel))
EOF2
}

tui_start -- shuffled.safetensors
if tui_wait "51 tensors"; then
    rows=$(sed -n '3,8p' "$T/screen" | cut -c1-20 | sed 's/ *$//' | tr '\n' '|')
    [ "$rows" = "▸ blocks|  emb|▸ emb|▸ head|||" ] && pass tui_fold_groups_once \
        || fail tui_fold_groups_once "top level: $rows"
else fail tui_fold_groups_once "model screen did not appear"; fi

# the folded group's counts are whole: Python's, from the header
read -r nt np <<< "$(under blocks)"
if tui_wait_re "tensors +$nt\b" && tui_wait_re "params +$np\b"; then pass tui_fold_counts
else fail tui_fold_counts "blocks: want $nt tensors, $np params"; fi

# opening it makes its children: each block once, in natural order
tui_keys l
if tui_wait_re '─▸ 11 '; then
    got=$(grep -oE '─▸ [0-9]+ ' "$T/screen" | awk '{print $2}' | tr '\n' ' ')
    [ "$got" = "0 1 2 3 4 5 6 7 8 9 10 11 " ] && pass tui_fold_natural_order \
        || fail tui_fold_natural_order "blocks' children: $got"
else fail tui_fold_natural_order "blocks did not open"; fi
read -r nt np <<< "$(under blocks.10)"
tui_keys j j j j j j j j j j j   # blocks' eleventh child
if tui_wait_re "blocks\.10\b" && tui_wait_re "tensors +$nt\b" && tui_wait_re "params +$np\b"; then pass tui_fold_child_counts
else fail tui_fold_child_counts "blocks.10: want $nt tensors, $np params"; fi

# a tensor whose groups are still folded: the filter shows it, Enter twice jumps to it
tui_keys /
tui_type blocks.11.mlp.b
if tui_wait "1 of 51 tensors" && tui_wait_re "shape +\[[0-9], 3\]"; then pass tui_fold_filter_detail
else fail tui_fold_filter_detail "no detail for blocks.11.mlp.b"; fi
tui_keys Enter Enter
if tui_wait "Layers" && tui_wait_re '└─▾ mlp ' && tui_wait "blocks.11.mlp.b" && tui_wait_re '└─▾ 11 '; then pass tui_fold_jump
else fail tui_fold_jump "jump to blocks.11.mlp.b did not open its groups"; fi
