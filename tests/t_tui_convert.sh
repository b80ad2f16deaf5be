#!/bin/bash
# TUI convert dialog and progress screen in tmux: a conversion started from
# the dialog completes and NumPy reads back the same values (also with a
# cast to F16); Esc during a long conversion leaves no output and no
# temporary file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"

M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"
need_reader tui_convert "$M" || exit 0

tui_start -- small.safetensors
tui_wait "Layers" >/dev/null || fail tui_convert "model screen did not appear"

# c opens the dialog; the format list has safetensors (the model can be written as it)
tui_keys c
if tui_wait "Convert" && tui_wait "< safetensors >"; then pass tui_convert_dialog
else fail tui_convert_dialog "dialog or format missing"; fi

# Output field: clear it, type the path, Enter starts
tui_keys Down C-u
tui_type "$T/out.safetensors"
tui_keys Enter
if tui_wait "Done:" 20; then
    if "$PY" - "$M" "$T/out.safetensors" <<EOF
import sys
$ST_READ
a, b = read_st(sys.argv[1]), read_st(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    assert (a[k] == b[k]).all(), k
EOF
    then pass tui_convert_completes_verified
    else fail tui_convert_completes_verified "output differs from the input"; fi
else fail tui_convert_completes_verified "conversion did not finish"; fi

# again with a cast to F16: Enter goes back to the tree, c reopens the dialog
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys c
tui_wait "Convert" >/dev/null
tui_keys Down C-u
tui_type "$T/half.safetensors"
tui_keys Down Down Right Right
if tui_wait "< F16 >"; then
    tui_keys Enter
    if tui_wait "Done:" 20 && "$PY" - "$M" "$T/half.safetensors" <<EOF
import sys
import numpy as np
$ST_READ
a, b = read_st(sys.argv[1]), read_st(sys.argv[2])
for k in a:
    if a[k].dtype == np.float32:
        assert b[k].dtype == np.float16, (k, b[k].dtype)
        assert (a[k].astype(np.float16) == b[k]).all(), k
    else:
        assert (a[k] == b[k]).all(), k
EOF
    then pass tui_convert_cast_f16
    else fail tui_convert_cast_f16 "F16 output wrong or missing"; fi
else fail tui_convert_cast_f16 "cast field did not reach F16"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null
tui_stop

# Esc during a long conversion: a 2 GiB input (sparse: no disk used for
# it) takes seconds to write, so the cancel lands mid-way.
BIG=$T/big.safetensors
"$PY" - "$BIG" <<'EOF'
import json, struct, sys
n, sz = 16, 32 * 1024 * 1024          # 16 tensors x 128 MiB of F32 zeros
h, off = {}, 0
for i in range(n):
    h["layers.%d.weight" % i] = {"dtype": "F32", "shape": [sz], "data_offsets": [off, off + 4 * sz]}
    off += 4 * sz
hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(hb))); f.write(hb)
    f.truncate(8 + len(hb) + off)
EOF
mkdir -p "$T/outdir"
tui_start -- big.safetensors
tui_wait "Layers" >/dev/null
tui_keys c
tui_wait "Convert" >/dev/null
tui_keys Down C-u
tui_type "$T/outdir/big-out.safetensors"
tui_keys Enter
if tui_wait "Converting to safetensors" && tui_wait_re 'tensor [1-9][0-9]* of 16' 20; then
    tui_keys Escape
    if tui_wait "Cancelled: no output was written." 30; then
        left=$(ls -A "$T/outdir")
        if [ -z "$left" ]; then pass tui_cancel_leaves_nothing
        else fail tui_cancel_leaves_nothing "left in the output folder: $left"; fi
    else fail tui_cancel_leaves_nothing "no cancellation message"; fi
else fail tui_cancel_leaves_nothing "progress screen did not show"; fi
tui_keys Enter
tui_keys q
tui_wait "EXIT:0" >/dev/null || fail tui_cancel_quit "did not quit after the cancelled conversion"
rm -f "$BIG"
