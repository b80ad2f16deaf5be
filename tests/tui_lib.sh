# Sourced by tests/t_tui_*.sh after lib.sh: drive the real binary in tmux,
# as a person would, and read the screen back.
#   tui_start [ENV=VAL ...] -- ARGS...   start `ckpt ARGS` in a 100x30 pane
#   tui_keys KEY...                      tmux send-keys (names: Enter, Escape, Down, C-c, ...)
#   tui_type TEXT                        literal text
#   tui_wait TEXT [SECONDS]              poll the screen until TEXT shows (fixed string)
#   tui_wait_re REGEX [SECONDS]          the same with an extended regex
#   tui_gone TEXT [SECONDS]              poll until TEXT is no longer on screen
#   tui_screen                           print the screen (also left in $T/screen)
#   tui_stop                             kill the tmux server (also done at exit)
#   gen_model PATH SPEC                  write a safetensors file with numpy (see below)
#   need_reader NAME FILE                skip NAME unless `ckpt ls FILE` works
#   pick_format NAME                     convert dialog: Right until "< NAME >" shows in the Format field
#   to_field HINT                        convert dialog: Down until the field whose hint says HINT is selected
TM_SOCK="ckpt-tui-$$-$RANDOM"
TM="tmux -L $TM_SOCK"
trap 'tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT
TUI_LAST=""

tui_start() {
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
    [ "${1:-}" = "--" ] && shift
    $TM kill-server >/dev/null 2>&1
    local q="" a
    for a in "$@"; do q="$q $(printf '%q' "$a")"; done
    local e=""
    for a in ${envs[@]+"${envs[@]}"}; do e="$e $(printf '%q' "$a")"; done
    # The pane keeps running after ckpt exits so the exit code and the
    # terminal state (stty) can be read back.
    # Under heavy load a new server can lose the race with the one just
    # killed ("server exited unexpectedly"): try again, a few times.
    local try
    for try in 1 2 3 4 5; do
        $TM -f /dev/null new-session -d -s tui -x "${TUI_W:-100}" -y "${TUI_H:-30}" \
            "cd $(printf '%q' "$T") && env TERM=xterm-256color$e $(printf '%q' "$CKPT")$q; echo \"EXIT:\$?\"; stty -a | tr '\n' ' ' > $(printf '%q' "$T/stty.txt"); sleep 600" \
            2>"$T/tmux.err" && $TM has-session -t tui 2>/dev/null && return 0
        $TM kill-server >/dev/null 2>&1
        sleep 0.$((try * 2))
    done
    echo "--- tmux would not start: $(cat "$T/tmux.err")"
    return 1
}

tui_keys() { $TM send-keys -t tui "$@"; }
tui_type() { $TM send-keys -t tui -l -- "$1"; }

tui_screen() {
    $TM capture-pane -p -t tui >"$T/screen" 2>/dev/null
    cat "$T/screen"
}

tui_wait() {
    local want=$1 lim=$(( ${2:-10} * 20 )) i=0
    while [ $i -lt $lim ]; do
        $TM capture-pane -p -t tui >"$T/screen" 2>/dev/null
        grep -qF -- "$want" "$T/screen" && return 0
        sleep 0.05; i=$((i + 1))
    done
    echo "--- waited for '$want'; screen:"; cat "$T/screen"
    return 1
}

tui_wait_re() {
    local want=$1 lim=$(( ${2:-10} * 20 )) i=0
    while [ $i -lt $lim ]; do
        $TM capture-pane -p -t tui >"$T/screen" 2>/dev/null
        grep -qE -- "$want" "$T/screen" && return 0
        sleep 0.05; i=$((i + 1))
    done
    echo "--- waited for /$want/; screen:"; cat "$T/screen"
    return 1
}

tui_gone() {
    local want=$1 lim=$(( ${2:-10} * 20 )) i=0
    while [ $i -lt $lim ]; do
        $TM capture-pane -p -t tui >"$T/screen" 2>/dev/null
        grep -qF -- "$want" "$T/screen" || return 0
        sleep 0.05; i=$((i + 1))
    done
    echo "--- waited for '$want' to go; screen:"; cat "$T/screen"
    return 1
}

tui_stop() { $TM kill-server >/dev/null 2>&1; }

# gen_model PATH SPEC: SPEC is Python: a list of (name, shape[, dtype]).
# Values are seeded random normals so tests can recompute them.
gen_model() {
    "$PY" - "$1" "$2" <<'EOF'
import json, struct, sys
import numpy as np
path, spec = sys.argv[1], eval(sys.argv[2])
rng = np.random.default_rng(1234)
hdr, blobs, off = {}, [], 0
codes = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
for item in spec:
    name, shape = item[0], item[1]
    dt = item[2] if len(item) > 2 else "F32"
    a = rng.standard_normal(size=shape).astype(codes[dt]) if dt.startswith("F") \
        else rng.integers(-100, 100, size=shape).astype(codes[dt])
    b = a.tobytes()
    hdr[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(hdr).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h)
    for b in blobs: f.write(b)
EOF
}

# read_st PATH: a Python expression evaluating to {name: ndarray} for a safetensors file
ST_READ='
import json, struct, numpy as np
def read_st(p):
    d = open(p, "rb").read()
    n = struct.unpack("<Q", d[:8])[0]
    h = json.loads(d[8:8 + n]); h.pop("__metadata__", None)
    codes = {"F32": "<f4", "F16": "<f2", "BF16": "<u2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
    out = {}
    for k, v in h.items():
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(d[8 + n + a:8 + n + b], dtype=codes[v["dtype"]]).reshape(v["shape"])
    return out
'

need_reader() {
    if "$CKPT" ls "$2" >/dev/null 2>&1; then return 0; fi
    skip "$1" "ckpt cannot read $(basename "$2") yet (no reader for its format on this branch)"
    return 1
}

# The small model most tests use: three top-level groups in name order.
SMALL_SPEC='[("embed.weight", (16, 8)),
 ("encoder.layers.0.attn.q_proj.weight", (8, 8)), ("encoder.layers.0.attn.k_proj.weight", (8, 8)),
 ("encoder.layers.0.attn.v_proj.weight", (8, 8)), ("encoder.layers.0.mlp.up.weight", (32, 8)),
 ("encoder.layers.1.attn.q_proj.weight", (8, 8)), ("encoder.layers.1.attn.k_proj.weight", (8, 8)),
 ("encoder.layers.1.attn.v_proj.weight", (8, 8)), ("encoder.layers.1.mlp.up.weight", (32, 8)),
 ("encoder.layers.2.attn.q_proj.weight", (8, 8)), ("encoder.layers.2.attn.k_proj.weight", (8, 8)),
 ("encoder.layers.2.attn.v_proj.weight", (8, 8)), ("encoder.layers.2.mlp.up.weight", (32, 8)),
 ("head.weight", (10, 8)), ("head.bias", (10,)), ("step", (), "I64")]'

# key_until TEXT KEY N: press KEY until TEXT shows, at most N times
key_until() {
    for _ in $(seq "$3"); do
        tui_screen >/dev/null
        grep -qF -- "$1" "$T/screen" && return 0
        tui_keys "$2"; sleep 0.2
    done
    return 1
}
pick_format() { key_until "< $1 >" Right 20; }   # NAME: Right until it shows in the Format field (the list wraps)
to_field() { key_until "$1" Down 12; }           # HINT: Down until the field whose hint says HINT is selected
