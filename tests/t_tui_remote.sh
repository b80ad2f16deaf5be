#!/bin/bash
# The TUI on a remote Keras .h5 (fake Hub, 80x24): the tree opens from the
# HDF5 metadata read by ranges, and `s` on a kernel reads that tensor's data
# lazily by ranges: the statistics match NumPy on the local file (h5py), and
# the bytes fetched are the metadata plus that one tensor, not the file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
source "$(dirname "$0")/tui_lib.sh"
G=$T/gen
mkdir -p "$G"
"$PY" "$ROOT/tests/kgen.py" "$G/w.h5" '{}' \
    '[["dense_1", [["kernel", [512, 1024]], ["bias", [1024]]]], ["dense_2", [["kernel", [1024, 1024]], ["bias", [1024]]]]]' \
    --weights-only || { fail tui_remote_gen "kgen.py failed"; exit 0; }
start_hub --serve "org/w=$G" || { fail tui_remote_start "fake hub did not start"; exit 0; }
trap 'kill $HUB_PID 2>/dev/null; tmux -L "$TM_SOCK" kill-server >/dev/null 2>&1; rm -rf "$T"' EXIT

tui_start HF_ENDPOINT="$HF_ENDPOINT" HF_HOME="$HF_HOME" -- hf://org/w
if tui_wait "Layers" 20 && tui_wait " 4 tensors"; then pass tui_remote_open
else fail tui_remote_open "the remote .h5 did not open with 4 tensors"; fi
opened=$(logpy "print(sum(r['bytes'] for r in log if 'w.h5' in r['path']))")
tui_keys /
tui_type dense_2/kernel
tui_wait "1 of 4 tensors" >/dev/null
tui_keys Enter Enter
tui_wait "shape      [1024, 1024]" >/dev/null
tui_keys s
if tui_wait "std " 20; then
    got=$(sed 's/.*│ //' "$T/screen" | grep -E '^(min|max|mean|std|zeros|NaN|Inf) ' | awk '{print $1"="$2}' | tr '\n' ' ')
    if "$PY" - "$G/w.h5" "$got" <<'EOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
a = f["dense_2/dense_2/kernel:0"][()].astype("float64")
got = dict(kv.split("=") for kv in sys.argv[2].split())
want = {"min": a.min(), "max": a.max(), "mean": a.mean(), "std": a.std()}
for k, v in want.items():
    assert abs(float(got[k]) - v) <= 1e-5 * max(1.0, abs(v)), (k, got[k], v)
assert int(got["zeros"].replace(",", "")) == int((a == 0).sum())
EOF
    then pass tui_remote_stats_numpy; else fail tui_remote_stats_numpy "$got"; fi
else
    fail tui_remote_stats "no statistics shown"
fi
# what `s` fetched: that kernel (4 MiB), about once, and not the other one
check tui_remote_stats_bytes logpy "
total = sum(r['bytes'] for r in log if 'w.h5' in r['path'])
kernel = 1024 * 1024 * 4
size = os.path.getsize('$G/w.h5')
print('opened', $opened, 'after s', total, 'kernel', kernel, 'file', size)
assert kernel <= total - $opened <= kernel * 1.05 + 65536, (total, $opened)
assert total < size - 512 * 1024 * 4 // 2
"
# q leaves the statistics, the filter's list, then the program
for _ in 1 2 3 4; do tui_keys q; tui_wait "EXIT:0" 2 >/dev/null && break; done
grep -q "EXIT:0" "$T/screen" && pass tui_remote_quit || fail tui_remote_quit "did not quit"
