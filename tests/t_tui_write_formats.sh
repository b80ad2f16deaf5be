#!/bin/bash
# The TUI's convert dialog at 80x24 offers the new writers as a person uses
# them: Right to "torch", an output path, Enter; torch.load(weights_only=True)
# reads back the same tensors. Then "npz" with the writer option
# compress=1 typed in the Options field: numpy.load gives the same arrays
# from deflated members.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
export PYTHONPATH=$ROOT/tests TUI_W=80 TUI_H=24
M=$T/small.safetensors
gen_model "$M" "$SMALL_SPEC"


tui_start -- small.safetensors
tui_wait "Layers" >/dev/null || fail tui_write_torch "model screen did not appear"
tui_keys c
tui_wait "Convert" >/dev/null
if pick_format torch; then
    tui_keys Down C-u
    tui_type "$T/out.pt"
    tui_keys Enter
    if tui_wait "Done:" 20 && $PY - "$T/out.pt" "$M" <<'PY'
import sys, torch, ptref
sd, ref = torch.load(sys.argv[1], weights_only=True), ptref.st_read(sys.argv[2])
assert list(sd) == list(ref), (list(sd), list(ref))
for k, (dt, a) in ref.items():
    assert sd[k].numpy().tobytes() == a.tobytes() and list(sd[k].shape) == list(a.shape), k
PY
    then pass tui_write_torch; else fail tui_write_torch "no output, or torch.load disagrees"; fi
else fail tui_write_torch "torch not offered: $(grep Format "$T/screen")"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys c
tui_wait "Convert" >/dev/null
if pick_format npz && tui_keys Down C-u && tui_type "$T/out.npz" && to_field "more writer options"; then
    tui_type "compress=1"
    tui_keys Enter
    if tui_wait "Done:" 20 && $PY - "$T/out.npz" "$M" <<'PY'
import sys, zipfile, numpy as np, ptref
z, ref = np.load(sys.argv[1], allow_pickle=False), ptref.st_read(sys.argv[2])
assert z.files == list(ref)
assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zipfile.ZipFile(sys.argv[1]).infolist())
for k, (dt, a) in ref.items():
    assert z[k].tobytes() == a.tobytes() and z[k].shape == a.shape, k
PY
    then pass tui_write_npz_compress; else fail tui_write_npz_compress "no output, or numpy disagrees"; fi
else fail tui_write_npz_compress "npz or the Options field not reached: $(tail -5 "$T/screen")"; fi
tui_keys Enter
tui_wait "Layers" >/dev/null
tui_keys q
tui_wait "EXIT:0" >/dev/null && pass tui_write_quit || fail tui_write_quit
tui_stop
