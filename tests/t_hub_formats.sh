#!/bin/bash
# Non-safetensors models on the (fake) Hub: downloaded into the shared cache
# and opened from there like local files (Keras H5, TF.js with its shard).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
need_shared hub_formats || exit 0
H5DIR=$FIX/keras2_h5/konverter-rnn_model
TFJSDIR=$FIX/tfjs_layers/tfjsex-abalone
start_hub --serve "org/kerasrnn=$H5DIR" --serve "org/abalone=$TFJSDIR" || { fail hub_start "fake hub did not start"; exit 0; }

same_as_local() { # name url local
    "$CKPT" ls "$2" --json >"$T/remote.json" 2>"$T/remote.err" || { fail "$1" "$(cat "$T/remote.err")"; return; }
    "$CKPT" ls "$3" --json >"$T/local.json" 2>&1
    check "$1" "$PY" - "$T/remote.json" "$T/local.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["format"] == b["format"], (a["format"], b["format"])
assert a["tensors"] == b["tensors"]
assert a["tensors"], "no tensors"
PYEOF
}
same_as_local hub_keras_h5 hf://org/kerasrnn "$H5DIR/rnn_model.h5"
check hub_keras_h5_cached "$PY" - "$HF_HOME/hub/models--org--kerasrnn" "$H5DIR/rnn_model.h5" <<'PYEOF'
import hashlib, os, sys
snap = os.path.join(sys.argv[1], "snapshots")
c = os.listdir(snap)[0]
p = os.path.join(snap, c, "rnn_model.h5")
assert os.path.islink(p)
data = open(sys.argv[2], "rb").read()
assert os.path.basename(os.readlink(p)) == hashlib.sha256(data).hexdigest()
assert open(p, "rb").read() == data
PYEOF
same_as_local hub_tfjs hf://org/abalone "$TFJSDIR/model.json"
[ -f "$HF_HOME/hub/models--org--abalone/snapshots/"*/weights.bin ] && pass hub_tfjs_shard_fetched \
    || fail hub_tfjs_shard_fetched "weights.bin not in the cache"
: >"$LOG"
HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/kerasrnn >/dev/null 2>"$T/err"
[ $? -eq 0 ] && [ ! -s "$LOG" ] && pass hub_keras_offline || fail hub_keras_offline "$(cat "$T/err")"
