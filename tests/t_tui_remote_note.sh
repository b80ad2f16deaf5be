#!/bin/bash
# A server that ignores Range requests is noted in the facts of the model it
# served, and only there: in one TUI session (fake Hub, 80x24), hf://org/a
# from such a server shows the note under `i`, and hf://org/b opened next,
# whose server honours ranges, does not (the note was process-wide before).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
source "$(dirname "$0")/tui_lib.sh"
mkdir -p "$T/a" "$T/b" "$T/here"
for d in a b; do
    "$PY" "$ROOT/tests/kgen.py" "$T/$d/$d.h5" '{}' '[["dense_1", [["kernel", [64, 32]], ["bias", [32]]]]]' \
        --weights-only || { fail tui_remote_note_gen "kgen.py failed"; exit 0; }
done
start_hub --serve "org/a=$T/a" --serve "org/b=$T/b" || { fail tui_remote_note_start "fake hub did not start"; exit 0; }
trap 'kill $HUB_PID 2>/dev/null; tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
ctl 'kind=norange&match=a.h5&count=-1'

# the CLI first: the reference for what the note says
"$CKPT" info hf://org/a >"$T/a.info" 2>&1 && grep -q "ignored Range requests for" "$T/a.info" &&
    pass tui_remote_note_cli || fail tui_remote_note_cli "$(head -5 "$T/a.info")"
"$CKPT" info hf://org/b >"$T/b.info" 2>&1 && ! grep -q "ignored Range" "$T/b.info" &&
    pass tui_remote_note_cli_b || fail tui_remote_note_cli_b "$(head -5 "$T/b.info")"

TUI_W=80 TUI_H=24 tui_start HF_ENDPOINT="$HF_ENDPOINT" HF_HOME="$HF_HOME" CKPT_HTTP_BACKOFF=0.1 -- "$T/here"
tui_wait "$T/here" >/dev/null
tui_keys o; tui_type hf://org/a; tui_keys Enter
tui_wait " 2 tensors" 20 >/dev/null && tui_wait "Layers" >/dev/null || fail tui_remote_note_open_a "$(cat "$T/screen")"
tui_keys i
tui_wait "ignored Range" 5 >/dev/null && pass tui_remote_note_a || fail tui_remote_note_a "$(cat "$T/screen")"
tui_keys q    # back to the repo's file list
tui_wait "ckpt  hf://org/a" 5 >/dev/null || fail tui_remote_note_back "$(cat "$T/screen")"
tui_keys o; tui_type hf://org/b; tui_keys Enter
tui_wait "b.h5" 20 >/dev/null && tui_wait "Layers" >/dev/null || fail tui_remote_note_open_b "$(cat "$T/screen")"
tui_keys i
tui_wait "hf://org/b@" 5 >/dev/null    # the summary is up (the model's URL)
tui_wait "non_trainable_params" 5 >/dev/null
grep -q "hf://org/b@" "$T/screen" && ! grep -q "ignored Range" "$T/screen" && pass tui_remote_note_b_clean \
    || fail tui_remote_note_b_clean "$(cat "$T/screen")"
tui_keys Q
