#!/bin/bash
# Terminal-safe output: names, keys and metadata holding OSC, CSI, BEL,
# newline, tab, DEL, a C1 control and invalid UTF-8 go through ls, info,
# check, diff, convert warnings and error messages; no byte below 0x20 other
# than the rows' own newlines, no DEL and no C1 control reaches stdout or
# stderr, a name with a newline keeps to its row, and --json stays valid JSON
# that gives the file's bytes back (Python's json + surrogateescape).
source "$(dirname "$0")/lib.sh"
"$PY" - "$T" "$ROOT/tests" <<'PYEOF'
import struct, sys
import numpy as np
T, tdir = sys.argv[1:3]
sys.path.insert(0, tdir)
import ggufref as g
bad = [b"osc\x1b]0;pwned\x07title", b"csi\x1b[31mred\x1b[0m", b"bell\x07", b"new\nline",
       b"tab\tbed", b"del\x7f", b"c1\xc2\x9bcsi", b"bad\xffutf8", b"cut\xe2\x82"]
ts = [(n.decode("latin-1").encode("latin-1"), 0, (2,), np.arange(2, dtype="<f4").tobytes()) for n in bad]
kv = [("general.architecture", g.STR, "llama"), ("evil\x1b]0;key\x07", g.STR, b"v\x1b[2J\nfake line\xff")]
g.write(T + "/evil.gguf", kv, ts)
PYEOF
# the same names in a safetensors file (JSON escapes; valid UTF-8 only there)
"$PY" -c "
import sys; sys.path.insert(0, '$ROOT/tests'); import stio, numpy as np
names = ['osc\x1b]0;pwned\x07t', 'csi\x1b[31mred', 'new\nline', 'del\x7f', 'c1\x9bcsi']
stio.write('$T/evil.safetensors', {n: np.zeros(2, np.float32) for n in names}, metadata={'k\x1b[5m': 'v\x07\nx'})
"
clean() { # NAME FILE...: no C0 but newline, no DEL, no C1 (C2 80..9F)
    local name=$1; shift
    if "$PY" - "$@" <<'PYEOF'
import sys
for p in sys.argv[1:]:
    b = open(p, "rb").read()
    for i, c in enumerate(b):
        if (c < 0x20 and c != 0x0a) or c == 0x7f or (c == 0xc2 and i + 1 < len(b) and 0x80 <= b[i + 1] < 0xa0):
            sys.exit("%s: byte %#04x at %d: %r" % (p, c, i, b[max(0, i - 20):i + 20]))
PYEOF
    then pass "$name"; else fail "$name" "control byte reached the terminal"; fi
}
run() { # NAME CMD...: run, keep stdout/stderr, assert clean
    local name=$1; shift
    "$@" >"$T/$name.out" 2>"$T/$name.err"
    clean "$name" "$T/$name.out" "$T/$name.err"
}
for f in evil.gguf evil.safetensors; do
    b=${f%%.*}_${f##*.}
    run "ls_$b" "$CKPT" ls "$T/$f"
    run "info_$b" "$CKPT" info "$T/$f"
    run "check_$b" "$CKPT" check "$T/$f"
    run "diff_$b" "$CKPT" diff "$T/$f" "$ROOT/examples/demo.safetensors"
    run "lsjson_$b" "$CKPT" ls --json "$T/$f"
    run "infojson_$b" "$CKPT" info --json "$T/$f"
done
# one row per tensor: the newline in a name is escaped
rows=$(($(wc -l <"$T/ls_evil_gguf.out") - 1))
[ "$rows" = 9 ] && pass ls_rows_intact || fail ls_rows_intact "$rows rows for 9 tensors"
grep -q 'new\\nline' "$T/ls_evil_gguf.out" && pass ls_newline_escaped || fail ls_newline_escaped "$(cat "$T/ls_evil_gguf.out")"
grep -q 'osc\\x1b\]0;pwned\\x07title' "$T/ls_evil_gguf.out" && pass ls_osc_visible || fail ls_osc_visible "$(head -3 "$T/ls_evil_gguf.out")"
grep -q 'bad\\xffutf8' "$T/ls_evil_gguf.out" && pass ls_invalid_utf8_visible || fail ls_invalid_utf8_visible ""
# --json: valid JSON, and the names decode back to the file's bytes
if "$PY" - "$T" <<'PYEOF'
import json, sys
T = sys.argv[1]
names = [t["name"].encode("utf-8", "surrogateescape") for t in json.load(open(T + "/lsjson_evil_gguf.out"))["tensors"]]
exp = [b"osc\x1b]0;pwned\x07title", b"csi\x1b[31mred\x1b[0m", b"bell\x07", b"new\nline",
       b"tab\tbed", b"del\x7f", b"c1\xc2\x9bcsi", b"bad\xffutf8", b"cut\xe2\x82"]
assert names == exp, names
json.load(open(T + "/infojson_evil_gguf.out"))
PYEOF
then pass json_names_roundtrip; else fail json_names_roundtrip "see above"; fi
# an error message naming a hostile path
mkdir -p "$T/d"; printf 'GGUF\x03\x00\x00\x00' >"$T/d/x$(printf '\033')[2Jcut.gguf"
run error_message "$CKPT" ls "$T/d/x$(printf '\033')[2Jcut.gguf"
grep -q 'x\\x1b\[2Jcut' "$T/error_message.err" && pass error_names_escaped || fail error_names_escaped "$(cat "$T/error_message.err")"
# conversion with progress as JSON: valid lines
"$CKPT" convert "$T/evil.safetensors" -o "$T/o.safetensors" --progress=json >"$T/cv.out" 2>"$T/cv.err"
clean convert_progress "$T/cv.out" "$T/cv.err"
check progress_json_valid "$PY" -c "
import json
for l in open('$T/cv.err'):
    if l.startswith('{'): json.loads(l)
"
