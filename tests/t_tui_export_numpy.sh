#!/bin/bash
# The TUI's convert dialog at 80x24 offers --to numpy for a Keras model as a
# person uses it: c, Right to "numpy", an output path ending in .py, Enter.
# The files are the CLI's (cmp: the same engine path, whose predictions
# t_export_numpy.sh checks against TF.js), and predict runs under NumPy.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export TUI_W=80 TUI_H=24
need_shared tui_export_numpy || exit 0
M=$FIX/tfjs_layers/tfjsex-abalone/model.json


tui_start -- "$M"
tui_wait "Layers" >/dev/null || fail tui_export_numpy "model screen did not appear"
tui_keys c
tui_wait "Convert" >/dev/null
if pick_format numpy; then
    tui_keys Down C-u
    tui_type "$T/tui/abalone.py"
    tui_keys Enter
    if tui_wait "Done:" 20; then pass tui_export_numpy_done
    else fail tui_export_numpy_done "$(tail -5 "$T/screen" | tr '\n' ' ')"; fi
else fail tui_export_numpy_done "numpy not offered: $(grep Format "$T/screen")"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null && pass tui_export_numpy_quit || fail tui_export_numpy_quit
tui_stop

"$CKPT" convert "$M" --to numpy -o "$T/cli/abalone.py" >/dev/null 2>&1
if cmp -s "$T/tui/abalone.py" "$T/cli/abalone.py" && cmp -s "$T/tui/abalone.npz" "$T/cli/abalone.npz"; then
    pass tui_export_numpy_same_as_cli
else fail tui_export_numpy_same_as_cli "$(ls -l "$T/tui" "$T/cli" 2>&1 | tr '\n' ' ')"; fi
check tui_export_numpy_predict $PY -c '
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import abalone
x = np.random.default_rng(1).uniform(-1, 1, (4,) + abalone.INPUTS[0][1]).astype(np.float32)
y = abalone.predict(x)
assert y.shape == (4,) + abalone.OUTPUTS[0][1] and y.dtype == np.float32 and np.isfinite(y).all()
' "$T/tui"
