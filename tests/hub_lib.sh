# Sourced by tests/t_hub_*.sh after lib.sh: start the fake Hub (tests/fakehub.py)
# on 127.0.0.1 and point ckpt at it. Nothing here touches the internet.
#   start_hub [ARGS]     (ARGS go to fakehub.py, e.g. --serve org/x=DIR) sets HUB_PORT CDN_PORT LOG FIXDIR, exports HF_ENDPOINT HF_HOME
#   ctl QUERY            fault control (see fakehub.py), e.g. ctl 'kind=drop&match=x&at=100'
#   logpy 'PYTHON'       run Python with `log` = list of request records (and FIXDIR, REPOS)
start_hub() {
    LOG=$T/hub.log
    FIXDIR=$T/fixture
    : >"$LOG"
    "$PY" "$ROOT/tests/fakehub.py" --dump "$FIXDIR" || return 1
    "$PY" "$ROOT/tests/fakehub.py" --log "$LOG" "$@" >"$T/hub.ports" 2>"$T/hub.err" &
    HUB_PID=$!
    trap 'kill $HUB_PID 2>/dev/null; rm -rf "$T"' EXIT
    for _ in $(seq 150); do grep -q HUB_PORT "$T/hub.ports" 2>/dev/null && break; sleep 0.1; done
    eval "$(cat "$T/hub.ports")"
    [ -n "${HUB_PORT:-}" ] || { echo "fake hub did not start: $(cat "$T/hub.err")"; return 1; }
    export HF_ENDPOINT=http://127.0.0.1:$HUB_PORT HF_HOME=$T/hf
    # quick retries and a short stall limit keep the fault tests fast
    export CKPT_HTTP_BACKOFF=0.1 HF_HUB_DOWNLOAD_TIMEOUT=2
}

ctl() { curl -s "http://127.0.0.1:$HUB_PORT/_ctl?$1" >/dev/null; }

logpy() {
    "$PY" - "$LOG" "$FIXDIR" <<EOF2
import json, os, sys, hashlib
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
FIXDIR = sys.argv[2]
REPOS = json.load(open(os.path.join(FIXDIR, "repos.json")))
$1
EOF2
}
