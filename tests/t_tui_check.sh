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

# a custom layer class is a note, shown on the screen, not a mismatch; a
# lost-weights finding shows its kind whole in the 80-column list
"$PY" - "$T" <<'PY'
import io, json, sys, zipfile
import h5py, numpy as np
from kgen import write, dense, seq
d = sys.argv[1]
q = {"class_name": "QDense", "config": {"name": "qd", "units": 8, "batch_input_shape": [None, 4]}}
write(d + "/custom.h5", seq(q, dense("out", 2)), [["qd", [["kernel", (4, 8)], ["bias", (8,)]]], ["out", [["kernel", (8, 2)], ["bias", (2,)]]]])
bio = io.BytesIO()
with h5py.File(bio, "w") as f:
    f.create_group("layers/dense/vars")
    g = f.create_group("optimizer/vars")
    g["0"] = np.int64(3)
    g["1"] = np.zeros((4, 8), "f4"); g["2"] = np.zeros((4, 8), "f4")
cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 8, "use_bias": False}}]}}
with zipfile.ZipFile(d + "/lost.keras", "w") as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.8.0"}))
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", bio.getvalue())
PY
# open FILE at 80x24, show its mismatches, pass NAME when both patterns show, quit
mismatches_show() {  # NAME FILE FIXED_TEXT REGEX
    TUI_W=80 TUI_H=24 tui_start -- "$2"
    tui_wait "Layers" >/dev/null
    tui_keys d
    if tui_wait "$3" && tui_wait_re "$4"; then pass "$1"; else fail "$1" "$(head -c 600 "$T/screen")"; fi
    tui_keys q; tui_keys q
    tui_wait "EXIT:0" >/dev/null || fail "${1}_quit" "did not quit"
}
mismatches_show tui_check_note_shown custom.h5 "Mismatches: 0 findings, 1 note" \
    'note: layer class unknown to ckpt \(custom or third-party\): QDense'
mismatches_show tui_check_lost_weights_kind lost.keras "Mismatches: 1 finding" \
    '^ lost_weights +the model.s weights are missing'
