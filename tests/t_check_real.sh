# ckpt check over EVERY real fixture in ../shared/fixtures/real/: the exact
# findings expected per file (the table below: none for every checkpoint;
# shards and architecture-only JSON are not checkpoints by themselves, exit 3
# naming the file to open). The table is checked against an independent
# reference (tests/checkref.py: h5py, json, zipfile, torch, ggufref), and a
# fixture missing from the table fails, so a new real file gets looked at.
source "$(dirname "$0")/lib.sh"
need_shared check_real || exit 0

cat > "$T/expect.txt" <<'EOF'
gguf/llamacpp-vocab-gpt-2/ggml-vocab-gpt-2.gguf                          none
gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf                 none
keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5                  none
keras2_h5/konverter-rnn_model/rnn_model.h5                               none
keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer.json                  config
keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5            none
keras3_keras/keras-mlx_lstm_sequential/model.keras                       none
keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras   none
keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5             none
npz/candle-test/test.npz                                                 none
npz/picklescan-int_arrays_compressed/int_arrays_compressed.npz           none
pytorch/burn-mnist/mnist.pt                                              none
pytorch/burn-simple_legacy/simple_legacy.pt                              none
safetensors/burn-mnist/mnist.safetensors                                 none
safetensors/hf-samples-overall/overall.safetensors                       none
tfjs_graph/human-facemesh/facemesh.bin                                   shard
tfjs_graph/human-facemesh/facemesh.json                                  none
tfjs_graph/tfjs-e2e-graph_model/model.json                               none
tfjs_graph/tfjs-e2e-graph_model/model_new.json                           none
tfjs_graph/tfjs-e2e-graph_model/weights.bin                              shard
tfjs_layers/tfjs-e2e-layers_model/model.json                             none
tfjs_layers/tfjs-e2e-layers_model/weights.bin                            shard
tfjs_layers/tfjsex-abalone/model.json                                    none
tfjs_layers/tfjsex-abalone/weights.bin                                   shard
EOF

(cd "$FIX" && find . -type f ! -name README.md | sed 's|^\./||' | sort) >"$T/all.txt"
missing=$(awk '{print $1}' "$T/expect.txt" | sort | comm -13 - "$T/all.txt")
[ -z "$missing" ] && pass check_real_every_fixture_listed || fail check_real_every_fixture_listed "not in the table: $missing"

while read -r rel want; do
    f=$FIX/$rel
    id=check_real_$(echo "$rel" | tr -c 'a-zA-Z0-9\n' _)
    [ -f "$f" ] || { fail "$id" "fixture gone: $rel"; continue; }
    # the independent reference agrees with the table
    $PY "$ROOT/tests/checkref.py" "$f" >"$T/ref.json" 2>"$T/referr" || { fail "${id}_reference" "$(tail -2 "$T/referr")"; continue; }
    "$CKPT" check --json "$f" >"$T/out" 2>"$T/err"
    rc=$?
    r=$($PY - "$want" "$rc" "$T/ref.json" "$T/out" "$T/err" "$rel" <<'PY'
import json, os, sys
want, rc, ref, out, err, rel = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3])), sys.argv[4], open(sys.argv[5]).read(), sys.argv[6]
bad = []
if want == "none":
    if ref.get("findings") != []: bad.append("reference finds %r" % (ref,))
    if rc != 0: bad.append("exit %d: %s %s" % (rc, open(out).read()[:400], err[:200]))
    else:
        got = json.load(open(out))
        if got["findings"]: bad.append("ckpt finds %r" % got["findings"])
elif want == "shard":
    if ref.get("error") != "shard": bad.append("reference says %r" % ref)
    elif rc != 3 or "not a checkpoint by itself" not in err or not any(o in err for o in ref["owners"]):
        bad.append("exit %d, wanted 3 naming one of %s: %s" % (rc, ref["owners"], err[:300]))
elif want == "config":
    if ref.get("error") != "config": bad.append("reference says %r" % ref)
    elif rc != 3 or "Keras model config" not in err or os.path.basename(rel) not in err:
        bad.append("exit %d, wanted 3 saying it is a Keras model config: %s" % (rc, err[:300]))
print("; ".join(bad) if bad else "ok")
PY
)
    [ "$r" = ok ] && pass "$id" || fail "$id" "$r"
done <"$T/expect.txt"
