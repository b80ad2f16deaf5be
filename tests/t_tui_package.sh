#!/bin/bash
# The TUI's convert dialog at 80x24, as a person makes S0's package: Package
# toggled to zip, an output named anything.zip, Enter; Python's zipfile
# finds model.safetensors (whatever the zip is called), config.json as
# json.dumps(indent=2), and h5py's weights. "package" itself is not listed
# among the formats (it wraps the chosen one).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tui_lib.sh"
need_shared tui_package || exit 0
export TUI_W=80 TUI_H=24
W=$FIX/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5
tui_start -- "$W"
tui_wait "Layers" >/dev/null || fail tui_package "model screen did not appear"
tui_keys c
if tui_wait "Convert" >/dev/null; then
    grep 'Format ' "$T/screen" | grep -q package && fail tui_package_not_a_format "$(grep 'Format ' "$T/screen")" || pass tui_package_not_a_format
    if to_field "one zip with the weights"; then
        tui_keys Right; sleep 0.3
        tui_keys Up Up Up Up Up; sleep 0.2
        to_field "output path" >/dev/null
        tui_keys C-u
        tui_type "$T/My Model v2.zip"
        tui_keys Enter
        if tui_wait "Done:" 20 && $PY - "$T/My Model v2.zip" "$W" <<'PY'
import json, struct, sys, zipfile
import h5py, numpy as np
z = zipfile.ZipFile(sys.argv[1])
assert sorted(z.namelist()) == ["README.md", "config.json", "model.safetensors"], z.namelist()
raw = z.read("config.json").decode()
assert raw == json.dumps(json.loads(raw), indent=2, ensure_ascii=False) + "\n"
b = z.read("model.safetensors")
hl = struct.unpack("<Q", b[:8])[0]
hd = {k: v for k, v in json.loads(b[8:8 + hl]).items() if k != "__metadata__"}
f = h5py.File(sys.argv[2], "r")
n = 0
for ln in f.attrs["layer_names"]:
    ln = ln.decode()
    for w in f[ln].attrs["weight_names"]:
        a = f[ln][w.decode()][()]
        v = hd[ln + "/" + w.decode().split("/")[-1].replace(":0", "")]
        s, e = v["data_offsets"]
        assert np.array_equal(np.frombuffer(b[8 + hl + s:8 + hl + e], dtype="<f4").reshape(v["shape"]), a)
        n += 1
assert n == len(hd) == 8, (n, len(hd))
PY
        then pass tui_package_zip; else fail tui_package_zip "$(grep -E 'Done|rror|Output' "$T/screen" | head -3)"; fi
    else fail tui_package_zip "no Package field: $(cat "$T/screen" | head -20)"; fi
else fail tui_package_not_a_format "dialog did not open"; fi
