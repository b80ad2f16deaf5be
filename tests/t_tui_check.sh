#!/bin/bash
# TUI mismatches screen in tmux: a planted Keras mismatch (a Dense layer of
# 10 units whose kernel is (64, 12), written by h5py) is listed with its
# message, and Enter jumps to the tensor in the tree, now flagged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export PYTHONPATH=$ROOT/tests

"$PY" - "$T" <<'PY'
import sys
from kgen import write, dense, seq
write(sys.argv[1] + "/shape.h5", seq(dense("dense", 10, 64)), [["dense", [["kernel", (64, 12)], ["bias", (12,)]]]])
PY
need_reader tui_check "$T/shape.h5" || exit 0
# the reference: what `ckpt check --json` reports (itself checked against h5py in t_keras_check)
"$CKPT" check --json "$T/shape.h5" >"$T/findings.json"
want=$("$PY" -c 'import json,sys; f=json.load(open(sys.argv[1]))["findings"]; print(len(f))' "$T/findings.json")

tui_start -- shape.h5
tui_wait "Layers" >/dev/null
tui_keys d
if tui_wait "Mismatches: $want finding"; then
    if grep -qE '^ shape +dense/kernel +.*\(64, 12\)' "$T/screen" && grep -qE '^ shape +dense/bias' "$T/screen"; then
        pass tui_mismatch_listed
    else fail tui_mismatch_listed "planted shape finding not listed"; fi
else fail tui_mismatch_listed "finding count differs from ckpt check ($want)"; fi

# Enter on the kernel's finding jumps to it in the tree; the tree marks it
tui_keys g
for i in $(seq 1 "$want"); do
    tui_screen >/dev/null
    # the full line of the selected finding is printed under the list
    tail -n 3 "$T/screen" | grep -q "kernel" && tail -n 3 "$T/screen" | grep -q "(64, 12)" && break
    tui_keys j
    sleep 0.1
done
tui_keys Enter
if tui_wait "Layers" && tui_wait "shape      [64, 12]" && tui_wait_re 'kernel !'; then pass tui_mismatch_jump
else fail tui_mismatch_jump "Enter did not land on dense/kernel"; fi
tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_check_quit "did not quit"
