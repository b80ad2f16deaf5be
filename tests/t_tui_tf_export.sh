#!/bin/bash
# TUI, 80x24 as over SSH: a TF.js graph model's convert dialog offers
# tf-frozen and tf-saved-model; choosing them with the arrows (and writer
# options typed in Options) writes files that TensorFlow's schema decodes
# and that run in TF.js to the original's outputs (tests/node/tf_pb_ref.js).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
need_shared tui_tf_export || exit 0
export TUI_W=80 TUI_H=24
NODEDIR=$ROOT/tests/node
have_ref=0
[ -f "$NODEDIR/node_modules/@tensorflow/tfjs-converter/dist/src/data/compiled_api.js" ] && command -v node >/dev/null && have_ref=1
[ $have_ref = 1 ] || skip tui_tf_export_ref "the node references are not installed (t_tf_export installs them)"
# a writable copy: the dialog writes beside the input
mkdir -p "$T/fm" && cp "$FIX"/tfjs_graph/human-facemesh/facemesh.* "$T/fm/" && chmod u+w "$T"/fm/*
FM=$T/fm/facemesh.json

ref() { (cd "$NODEDIR" && node tf_pb_ref.js "$@") 2>&1 | grep -E '^(SUMMARY|ERROR)' | sed 's/^SUMMARY //' >"$T/sum"; }

tui_start -- "$FM"
tui_wait "Layers" >/dev/null
tui_keys c
if tui_wait "Convert" && grep -qE "Format .*< safetensors >  also:.* tf-frozen tf-saved-model" "$T/screen"; then
    pass tui_tf_formats_offered
else fail tui_tf_formats_offered "$(grep Format "$T/screen")"; fi
# step right until tf-frozen (other writers may come first)
for i in 1 2 3 4 5 6 7 8; do tui_keys Right; tui_wait "< tf-frozen >" 1 >/dev/null && break; done
if tui_wait "< tf-frozen >" && tui_wait "facemesh-converted.pb"; then pass tui_tf_frozen_ext
else fail tui_tf_frozen_ext "$(grep -E 'Format|Output' "$T/screen")"; fi
tui_keys Enter
if tui_wait "Done: 120 tensors" 30 && [ -f "$T/fm/facemesh-converted.pb" ]; then
    pass tui_tf_frozen_written
    if [ $have_ref = 1 ]; then
        ref frozen "$FM" "$T/fm/facemesh-converted.pb"
        [ "$($PY -c "import json; s=json.load(open('$T/sum')); print(s['maxDiff'], s['values'] > 0, s['fused'] > 0)")" = "0 True True" ] \
            && pass tui_tf_frozen_runs_equal || fail tui_tf_frozen_runs_equal "$(head -c 300 "$T/sum")"
    fi
else fail tui_tf_frozen_written "$(sed -n 5,16p "$T/screen" | tr '\n' '|')"; fi

# tf-saved-model, with writer options typed in the Options field
tui_keys c
tui_wait "Convert" >/dev/null
# the dialog keeps the last format: step right until tf-saved-model
for i in 1 2 3 4 5 6 7 8; do tui_wait "< tf-saved-model >" 1 >/dev/null && break; tui_keys Right; done
# Tab to the Options field (its help line says so)
for i in $(seq 12); do tui_wait "more writer options" 1 >/dev/null && break; tui_keys Tab; done
tui_type "compat-mode=tflite signature-key=face saved-model-tags=serve,tpu"
tui_keys Enter
out=$T/fm/facemesh-converted.tf-saved-model
if tui_wait "Done: 120 tensors" 30 && [ -f "$out/saved_model.pb" ] && [ -d "$out/variables" ]; then
    pass tui_tf_saved_written
    if [ $have_ref = 1 ]; then
        ref saved "$FM" "$out"
        [ "$($PY -c "import json; s=json.load(open('$T/sum')); print(s['maxDiff'], s['fused'], list(s['signatures']), s['tags'])")" = "0 0 ['face'] ['serve', 'tpu']" ] \
            && pass tui_tf_saved_options || fail tui_tf_saved_options "$(head -c 400 "$T/sum")"
    fi
else fail tui_tf_saved_written "$(sed -n 5,16p "$T/screen" | tr '\n' '|'; ls "$T/fm")"; fi
tui_keys Enter q
tui_wait "EXIT:0" >/dev/null && pass tui_tf_quit || fail tui_tf_quit "$(tail -3 "$T/screen")"
