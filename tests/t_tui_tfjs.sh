#!/bin/bash
# The TUI's convert dialog offers tfjs for a Keras model (80x24, in tmux, as
# a person uses it): pick it with the arrows, type the output folder, Enter;
# the TF.js layers model written loads in TensorFlow.js 4.22 and its weights
# equal the source's (tests/tfjs_wref.py, h5py).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
source "$(dirname "$0")/node_lib.sh" tui_tfjs_node
export PYTHONPATH=$ROOT/tests TUI_W=80 TUI_H=24
need_shared tui_tfjs || exit 0
cp "$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5" "$T/"

tui_start -- rnn_model.h5
tui_wait "Layers" >/dev/null || fail tui_tfjs "model screen did not appear"
tui_keys c
tui_wait "Convert" >/dev/null
for _ in 1 2 3 4 5 6; do
    grep -qF "< tfjs >" "$T/screen" && break
    tui_keys Right; sleep 0.2; tui_screen >/dev/null
done
if tui_wait "< tfjs >" 3; then pass tui_tfjs_offered
else fail tui_tfjs_offered "tfjs not in the format list"; fi
tui_keys Down C-u
tui_type "$T/rnn_tfjs"
tui_keys Enter
if tui_wait "Done:" 20 && [ -f "$T/rnn_tfjs/model.json" ]; then
    pass tui_tfjs_written
    if [ $have_tfjs = 1 ]; then
        if (cd "$NODEDIR" && node tfjs_layers_load.js "$T/rnn_tfjs/model.json" "$T/dump.json") >"$T/node.out" 2>&1 \
            && $PY "$ROOT/tests/tfjs_wref.py" "$T/rnn_model.h5" "$T/dump.json" "$T/rnn_tfjs/model.json" >"$T/ref.out" 2>&1
        then pass tui_tfjs_loads_in_tfjs_same_weights
        else fail tui_tfjs_loads_in_tfjs_same_weights "$(tail -2 "$T/node.out" "$T/ref.out" | tr '\n' ' ')"; fi
    fi
else fail tui_tfjs_written "conversion did not finish: $(tail -3 "$T/screen" | tr '\n' ' ')"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null
tui_stop

