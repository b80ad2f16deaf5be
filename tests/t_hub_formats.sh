#!/bin/bash
# Non-safetensors models on the (fake) Hub: read in place by HTTP ranges
# (Keras H5 through the libhdf5 driver over the remote byte source, TF.js
# from its model.json alone), nothing of the weights stored in the cache;
# offline after a `pull`, from the cache alone. (t_hub_ranges.sh counts the
# bytes for every format.)
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
[ -z "$(find "$HF_HOME/hub" -name rnn_model.h5 2>/dev/null)" ] && pass hub_keras_h5_not_downloaded \
    || fail hub_keras_h5_not_downloaded "rnn_model.h5 was stored in the cache"
same_as_local hub_tfjs hf://org/abalone "$TFJSDIR/model.json"
[ ! -e "$HF_HOME/hub/models--org--abalone/snapshots/"*/weights.bin ] && [ -f "$HF_HOME/hub/models--org--abalone/snapshots/"*/model.json ] \
    && pass hub_tfjs_manifest_only || fail hub_tfjs_manifest_only "cache: $(ls "$HF_HOME/hub/models--org--abalone/snapshots/"*)"
# offline: what is not in the cache is said so; after a pull, no request at all
HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/kerasrnn >/dev/null 2>"$T/err"
[ $? -eq 3 ] && grep -q "not in the cache" "$T/err" && pass hub_keras_offline_missing \
    || fail hub_keras_offline_missing "$(cat "$T/err")"
expect_exit 0 hub_keras_pull "$CKPT" pull hf://org/kerasrnn --quiet
: >"$LOG"
HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/kerasrnn --json >"$T/off.json" 2>"$T/err"
[ $? -eq 0 ] && [ ! -s "$LOG" ] && pass hub_keras_offline || fail hub_keras_offline "$(cat "$T/err")"
# the sandboxed HDF5 open: a cached copy is probed in the confined child (its
# selftest answers instead of opening: the child ran); a remote one, read by
# ranges, cannot be (no network there) and opens in-process
mkdir -p "$T/st"
HF_HUB_OFFLINE=1 CKPT_SANDBOX_SELFTEST=$T/st "$CKPT" ls hf://org/kerasrnn >/dev/null 2>"$T/err"
[ $? -eq 3 ] && grep -q "sandbox selftest" "$T/err" && pass hub_keras_cached_sandboxed \
    || fail hub_keras_cached_sandboxed "$(cat "$T/err")"
HF_HOME=$T/hf2 CKPT_SANDBOX_SELFTEST=$T/st "$CKPT" ls hf://org/kerasrnn >/dev/null 2>"$T/err" \
    && pass hub_keras_remote_in_process || fail hub_keras_remote_in_process "$(cat "$T/err")"
