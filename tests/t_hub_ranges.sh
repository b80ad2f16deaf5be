#!/bin/bash
# Remote models read by HTTP ranges (issue 16), against the fake Hub's
# request log (bytes sent per request): for a repo of each format built from
# ../shared/fixtures/real (and one generated 12 MB .h5), `ls` and `info`
# transfer at most 2x the file's metadata (tests/remote_meta.py measures it
# with h5py / zipfile / a GGUF parse) plus one 64 KiB read-ahead block and
# list what the local file lists; `convert` gives the bytes converting the
# local file gives, transferring the file's size within 5%. Then servers
# that ignore Range, answer a wrong Content-Range, or drop the connection.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hub_lib.sh"
need_shared hub_ranges || exit 0
BLOCK=65536
G=$T/gen
mkdir -p "$G"
"$PY" "$ROOT/tests/kgen.py" "$G/big_weights.h5" '{}' \
    '[["dense_1", [["kernel", [1024, 1024]], ["bias", [1024]]]], ["dense_2", [["kernel", [1024, 1024]], ["bias", [1024]]]], ["dense_3", [["kernel", [1024, 1024]], ["bias", [1024]]]]]' \
    --weights-only || { fail hub_ranges_gen "kgen.py failed"; exit 0; }
# name=dir:file (file relative to the repo)
REPOS="h5=$FIX/keras2_h5/konverter-rnn_model:rnn_model.h5
hdf5=$FIX/keras2_h5/fc-tiny_XCEPTION_KDEF:tiny_XCEPTION_KDEF.hdf5
bigh5=$G:big_weights.h5
keras=$FIX/keras3_keras/keras-mlx_lstm_sequential:model.keras
pt=$FIX/pytorch/burn-mnist:mnist.pt
npz=$FIX/npz/candle-test:test.npz
gguf=$FIX/gguf/ollama-llama-2-tiny-random:llama-2-tiny-random.gguf
tfjs=$FIX/tfjs_layers/tfjsex-abalone:model.json"
args=()
while IFS== read -r name spec; do args+=(--serve "org/$name=${spec%%:*}"); done <<<"$REPOS"
start_hub "${args[@]}" || { fail hub_start "fake hub did not start"; exit 0; }

# bytes the fake Hub sent for requests naming FILE (hub and CDN), since the log was cleared
sent() { logpy "print(sum(r['bytes'] for r in log if '/$1' in r['path'] or r['path'].endswith('/$1') or '/$1?' in r['path']))"; }

while IFS== read -r name spec; do
    dir=${spec%%:*} file=${spec#*:}
    local_f=$dir/$file
    read -r _ meta size _ < <("$PY" "$ROOT/tests/remote_meta.py" "$local_f")
    for cmd in ls info; do
        : >"$LOG"
        "$CKPT" $cmd "hf://org/$name" --json >"$T/r.json" 2>"$T/r.err" || { fail "ranges_${cmd}_$name" "$(head -c 300 "$T/r.err")"; continue; }
        got=$(sent "$file")
        budget=$((2 * meta + BLOCK))
        if [ "$got" -le "$budget" ]; then pass "ranges_${cmd}_bytes_$name"
        else fail "ranges_${cmd}_bytes_$name" "sent $got bytes of $file, budget $budget (metadata $meta, size $size)"; fi
        echo "  $name $cmd: $got bytes of $size (metadata $meta)"
        [ $cmd = ls ] || continue
        "$CKPT" ls "$local_f" --json >"$T/l.json" 2>&1
        check "ranges_ls_same_$name" "$PY" - "$T/r.json" "$T/l.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["format"] == b["format"], (a["format"], b["format"])
assert a["tensors"] == b["tensors"], "tensor lists differ"
assert a["tensors"], "no tensors"
PYEOF
    done
    # TF.js: ls reads model.json, never the shard
    if [ "$name" = tfjs ]; then
        logpy 'assert not [r for r in log if "weights.bin" in r["path"]], "weights.bin fetched"' >/dev/null 2>&1 \
            && pass ranges_tfjs_no_shard || fail ranges_tfjs_no_shard "weights.bin was fetched by info"
    fi
    # convert: the same bytes as from the local file, about the file's size moved
    # (a fresh cache: model.json, fetched whole by ls, counts again)
    : >"$LOG"
    rm -rf "$T/c" && mkdir -p "$T/c"
    if HF_HOME=$T/c/hf "$CKPT" convert "hf://org/$name" --to safetensors --include-optimizer -o "$T/c/remote.safetensors" >/dev/null 2>"$T/c.err" &&
       "$CKPT" convert "$local_f" --to safetensors --include-optimizer -o "$T/c/local.safetensors" >/dev/null 2>>"$T/c.err"; then
        cmp -s "$T/c/remote.safetensors" "$T/c/local.safetensors" && pass "ranges_convert_same_$name" \
            || fail "ranges_convert_same_$name" "outputs differ"
        got=$(sent "$file")
        want=$size
        if [ "$name" = tfjs ]; then got=$((got + $(sent weights.bin))); want=$((size + $(stat -c %s "$dir/weights.bin"))); fi
        if [ $((got * 100)) -ge $((want * 95)) ] && [ $((got * 100)) -le $((want * 105)) ]; then pass "ranges_convert_bytes_$name"
        else fail "ranges_convert_bytes_$name" "sent $got bytes, file size $want"; fi
        echo "  $name convert: $got bytes of $want"
    else
        fail "ranges_convert_$name" "$(head -c 300 "$T/c.err")"
    fi
done <<<"$REPOS"

# ---- diff --values reads remote tensor data lazily by ranges, once
: >"$LOG"
expect_exit 0 ranges_diff_values env HF_HOME="$T/d/hf" "$CKPT" diff --values hf://org/bigh5 "$G/big_weights.h5"
got=$(sent big_weights.h5) size=$(stat -c %s "$G/big_weights.h5")
[ $((got * 100)) -ge $((size * 95)) ] && [ $((got * 100)) -le $((size * 105)) ] && pass ranges_diff_bytes \
    || fail ranges_diff_bytes "sent $got bytes, file size $size"
echo "  bigh5 diff --values: $got bytes of $size"

# ---- convert --cache keeps the model file (and its companions) in the cache, as pull does
rm -rf "$T/k" && mkdir -p "$T/k"
expect_exit 0 ranges_convert_cache env HF_HOME="$T/k/hf" "$CKPT" convert hf://org/pt --cache --to safetensors -o "$T/k/out.safetensors"
snap=$(echo "$T"/k/hf/hub/models--org--pt/snapshots/*)
cmp -s "$snap/mnist.pt" "$FIX/pytorch/burn-mnist/mnist.pt" && pass ranges_cache_kept || fail ranges_cache_kept "mnist.pt not in $snap"
"$CKPT" convert "$FIX/pytorch/burn-mnist/mnist.pt" --to safetensors -o "$T/k/local.safetensors" >/dev/null 2>&1
cmp -s "$T/k/out.safetensors" "$T/k/local.safetensors" && pass ranges_cache_same || fail ranges_cache_same "outputs differ"
: >"$LOG"
HF_HOME="$T/k/hf" HF_HUB_OFFLINE=1 "$CKPT" ls hf://org/pt >/dev/null 2>"$T/err" && [ ! -s "$LOG" ] \
    && pass ranges_cache_offline || fail ranges_cache_offline "$(cat "$T/err")"

# ---- nothing of the weights went to the cache (only small files, such as model.json)
[ -z "$(find "$HF_HOME/hub" -name '*.h5' -o -name '*.pt' -o -name '*.gguf' 2>/dev/null)" ] \
    && pass ranges_nothing_cached || fail ranges_nothing_cached "$(find "$HF_HOME/hub" -name '*.h5' -o -name '*.pt' -o -name '*.gguf')"

H5=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
H5SIZE=$(stat -c %s "$H5")
"$CKPT" ls "$H5" --json >"$T/l.json" 2>&1
same_ls() { "$PY" -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:3]); assert a["tensors"]==b["tensors"] and a["tensors"]' "$1" "$T/l.json"; }

# ---- a server that ignores Range: one whole download, read from it, a note
ctl reset=1; ctl 'kind=norange&match=rnn_model.h5&count=-1&role=cdn'
: >"$LOG"
"$CKPT" info hf://org/h5 >"$T/i.out" 2>"$T/i.err"; rc=$?
[ $rc -eq 0 ] && grep -q "ignored Range" "$T/i.out" && pass ranges_norange_note \
    || fail ranges_norange_note "exit $rc: $(cat "$T/i.out" "$T/i.err" | head -5)"
got=$(sent rnn_model.h5)
[ "$got" -eq "$H5SIZE" ] && pass ranges_norange_once || fail ranges_norange_once "sent $got bytes, file has $H5SIZE"
"$CKPT" ls hf://org/h5 --json >"$T/r.json" 2>"$T/r.err" && same_ls "$T/r.json" && pass ranges_norange_ls \
    || fail ranges_norange_ls "$(head -c 300 "$T/r.err")"

# ---- a wrong Content-Range is an error naming the file
ctl reset=1; ctl 'kind=badrange&match=rnn_model.h5&count=-1&role=cdn'
expect_exit 3 ranges_badrange "$CKPT" ls hf://org/h5
grep -q "Content-Range" "$T/err" && grep -q "rnn_model.h5" "$T/err" && pass ranges_badrange_msg \
    || fail ranges_badrange_msg "$(cat "$T/err")"

# ---- a connection dropped mid-block: continued from the byte reached
ctl reset=1; ctl 'kind=drop&match=rnn_model.h5&count=1&at=10&role=cdn'
"$CKPT" ls hf://org/h5 --json >"$T/r.json" 2>"$T/r.err" && same_ls "$T/r.json" && pass ranges_drop_retried \
    || fail ranges_drop_retried "$(head -c 300 "$T/r.err")"
logpy 'd = [r for r in log if "rnn_model.h5" in r["path"] and r["bytes"] == 10]; assert d, "no drop happened"' >/dev/null 2>&1 \
    && pass ranges_drop_happened || fail ranges_drop_happened "the fault did not fire"
# ... and dropped every time: a clear error, not a hang or a crash
ctl reset=1; ctl 'kind=drop&match=rnn_model.h5&count=-1&at=50&role=cdn'
expect_exit 3 ranges_drop_always "$CKPT" ls hf://org/h5
grep -q "rnn_model.h5" "$T/err" && grep -qi "attempt" "$T/err" && pass ranges_drop_always_msg \
    || fail ranges_drop_always_msg "$(cat "$T/err")"
ctl reset=1
