#!/bin/bash
# The TUI never blocks on the Hub (80x24, fake Hub tests/fakehub.py):
#  - a stalled search (the fake Hub says nothing for 30 s): the status line
#    shows a spinner and the elapsed time, which keeps counting; the screen
#    keeps answering keys (? opens and closes the help, j moves the cursor);
#    Esc cancels at once and the status line says so; the results of the
#    cancelled search never show; the next search works;
#  - a stalled repo listing from 'o hf://...' is cancelled the same way;
#  - a refused endpoint (a closed port) shows its error within 2 s, with
#    the default retry pauses (CKPT_HTTP_BACKOFF unset).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
source "$(dirname "$0")/tui_lib.sh"
start_hub || { fail tui_async_start "fake hub did not start"; exit 0; }
trap 'kill $HUB_PID 2>/dev/null; tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
export TUI_W=80 TUI_H=24

mkdir -p "$T/here/sub1" "$T/here/sub2"
status() { tail -n 1 "$T/screen"; }
elapsed() { status | grep -oE '[0-9]+\.[0-9] s' | head -1 | cut -d' ' -f1; }

# ---- a stalled search ----
ctl 'kind=stall&match=search=&count=1&secs=30'
# no low-speed abort within the test's time: the stall is the Hub's
tui_start HF_ENDPOINT="$HF_ENDPOINT" HF_HOME="$HF_HOME" HF_HUB_DOWNLOAD_TIMEOUT=60 -- "$T/here"
tui_wait "$T/here" >/dev/null
tui_keys H
tui_type sha
tui_keys Enter
if tui_wait_re "searching the Hub for 'sha' +[0-9]+\.[0-9] s +Esc cancels" 5; then pass tui_async_spinner
else fail tui_async_spinner "no spinner line: $(status)"; fi
e1=$(elapsed)
# keys keep working while it waits: the help opens and closes
tui_keys '?'
tui_wait "Keys (q or Esc closes)" 3 >/dev/null && pass tui_async_help_opens || fail tui_async_help_opens "$(cat "$T/screen")"
tui_keys '?'
tui_gone "Keys (q or Esc closes)" 3 >/dev/null && pass tui_async_help_closes || fail tui_async_help_closes "$(cat "$T/screen")"
# the cursor moves (the row marked by the selection changes to sub2/)
tui_keys j
tui_keys j
sleep 0.6
tui_screen >/dev/null
e2=$(elapsed)
if [ -n "$e1" ] && [ -n "$e2" ] && awk -v a="$e1" -v b="$e2" 'BEGIN{exit !(b > a)}'; then pass tui_async_elapsed_counts
else fail tui_async_elapsed_counts "elapsed '$e1' then '$e2': $(status)"; fi
grep -q "Hub search 'sha'" "$T/screen" && fail tui_async_still_waiting "the stalled search answered already" || pass tui_async_still_waiting
t0=$(date +%s.%N)
tui_keys Escape
if tui_wait "cancelled: searching the Hub for 'sha'" 2; then
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{exit !(b - a < 1.0)}' && pass tui_async_esc_cancels \
        || fail tui_async_esc_cancels "took $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}') s"
else fail tui_async_esc_cancels "no cancel message: $(status)"; fi
sleep 1.5
tui_screen >/dev/null
grep -q "Hub search 'sha'" "$T/screen" && fail tui_async_cancel_discards "results of the cancelled search showed" \
    || pass tui_async_cancel_discards
# the next search (no stall left) works: the cancelled call left nothing stuck
tui_keys H
tui_keys C-u
tui_type sha
tui_keys Enter
tui_wait "Hub search 'sha':" 10 >/dev/null && grep -q " org/sharded/" "$T/screen" && pass tui_async_next_search \
    || fail tui_async_next_search "$(cat "$T/screen")"

# ---- a stalled listing (o hf://org/sharded): Esc cancels it too ----
ctl 'kind=stall&match=/api/models/org/sharded&count=1&secs=30'
tui_keys o
tui_type hf://org/sharded
tui_keys Enter
tui_wait "listing hf://org/sharded" 5 >/dev/null && pass tui_async_listing_waits || fail tui_async_listing_waits "$(status)"
tui_keys Escape
tui_wait "cancelled: listing hf://org/sharded" 2 >/dev/null && pass tui_async_listing_cancel \
    || fail tui_async_listing_cancel "$(status)"

# ---- a listed repo whose files' headers stall: probed in the background ----
ctl 'reset=1'
ctl 'kind=stall&match=model-00002-of-00003&count=-1&secs=30'
# the repo's files from a search result (listed, not opened): each is probed
tui_keys H
tui_keys C-u
tui_type org/sharded
tui_keys Enter
tui_wait "Hub search 'org/sharded': 1 repo" 10 >/dev/null
tui_keys g
tui_keys Enter
tui_wait_re 'model-00001-of-00003.safetensors +safetensors' 15 >/dev/null && pass tui_async_probe_others \
    || fail tui_async_probe_others "$(cat "$T/screen")"
t0=$(date +%s.%N)
tui_keys '?'
if tui_wait "Keys (q or Esc closes)" 2 >/dev/null; then
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN{exit !(b - a < 1.0)}' && pass tui_async_probe_keys \
        || fail tui_async_probe_keys "help took $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}') s"
else fail tui_async_probe_keys "no help while a probe stalls"; fi
tui_keys '?'
grep -q 'model-00002-of-00003.safetensors +safetensors' "$T/screen" && fail tui_async_probe_stalled "the stalled file was probed" \
    || pass tui_async_probe_stalled
ctl 'reset=1'
t0=$(date +%s.%N)
tui_keys q
tui_wait "EXIT:0" 5 >/dev/null && pass tui_async_quit || fail tui_async_quit "$(cat "$T/screen")"
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN{exit !(b - a < 3.0)}' && pass tui_async_quit_prompt \
    || fail tui_async_quit_prompt "quitting took $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b - a}') s"

# ---- a refused endpoint: the error within 2 s ----
tui_stop; sleep 0.3
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
tui_start HF_ENDPOINT="http://127.0.0.1:$port" HF_HOME="$HF_HOME" CKPT_HTTP_BACKOFF= -- "$T/here"
tui_wait "$T/here" >/dev/null
tui_keys H
tui_type sha
t0=$(date +%s.%N)
tui_keys Enter
if tui_wait_re "127\.0\.0\.1.*($port|onnect)" 3 >/dev/null; then
    t1=$(date +%s.%N)
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')
    echo "refused: error after $took s"
    awk -v d="$took" 'BEGIN{exit !(d < 2.0)}' && pass tui_async_refused_fast || fail tui_async_refused_fast "took $took s"
    grep -qi "connect" "$T/screen" && pass tui_async_refused_msg || fail tui_async_refused_msg "$(status)"
else fail tui_async_refused_fast "no error shown: $(cat "$T/screen")"; fi
tui_keys q
tui_wait "EXIT:0" 5 >/dev/null || fail tui_async_refused_quit "did not quit"
