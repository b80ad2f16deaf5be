# TF.js graph models --to tf-frozen and --to tf-saved-model, checked with
# TensorFlow's own protobuf schema (tfjs-converter 0.8.4's compiled_api.js,
# independent of ckpt's proto/ files): decoded nodes equal model.json's, a
# TF.js model rebuilt from the decoded graph runs in @tensorflow/tfjs 4.22
# to the original's outputs (tests/node/tf_pb_ref.js); SavedModel tags and
# signatures; --compat-mode leaves no fused op; bad inputs leave nothing.
source "$(dirname "$0")/lib.sh"
NODEDIR=$ROOT/tests/node
GEN=$ROOT/tests/tfgraphgen.py

have_ref=0
if ! command -v node >/dev/null 2>&1; then
    skip tf_export_node "node is not installed"
elif [ -f "$NODEDIR/node_modules/@tensorflow/tfjs-converter/dist/src/data/compiled_api.js" ] &&
     [ -d "$NODEDIR/node_modules/@tensorflow/tfjs" ]; then
    have_ref=1
elif (cd "$NODEDIR" && timeout 600 npm ci --no-audit --no-fund >"$T/npm.log" 2>&1); then
    have_ref=1
else
    skip tf_export_node "npm could not install the references: $(tail -n 2 "$T/npm.log" | tr '\n' ' ')"
fi

ref() {  # MODE MODEL OUT [TOL]: SUMMARY json in $T/sum, exit code of the reference
    (cd "$NODEDIR" && node tf_pb_ref.js "$@") >"$T/ref.out" 2>&1
    local rc=$?
    grep -E '^(SUMMARY|ERROR)' "$T/ref.out" | sed 's/^SUMMARY //' >"$T/sum"
    return $rc
}
sumq() { $PY -c "import json,sys; s=json.load(open('$T/sum')); print($1)" 2>/dev/null; }

# decoded nodes == model.json's nodes (name, op, inputs, device, attrs; the
# Consts' values as dtype+shape, their bytes checked by running)
cat >"$T/nodes.py" <<'PY'
import json, sys
import numpy as np
orig = {n["name"]: n for n in json.load(open(sys.argv[1]))["modelTopology"]["node"]}
got = {n["name"]: n for n in json.load(open(sys.argv[2]))["modelTopology"]["node"]}
def norm(v):
    if isinstance(v, dict):
        if set(v) == {"size"} or v == {}:   # a dim: size 0 is not written
            return {"size": str(v.get("size", "0"))}
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list): return [norm(x) for x in v]
    if isinstance(v, float): return float(np.float32(v))   # AttrValue.f is a float
    return v
def node(n):
    return (n["op"], n.get("input", []), n.get("device", ""), norm(n.get("attr", {})))
bad = [k for k in orig if k not in got or node(orig[k]) != node(got[k])]
extra = [k for k in got if k not in orig]
if bad or extra:
    k = (bad or extra)[0]
    print("nodes differ: %d, extra %d; first %s:\n%s\n%s" % (len(bad), len(extra), k, orig.get(k), got.get(k)))
    sys.exit(1)
print("nodes equal: %d" % len(orig))
PY

nodes_equal() {  # NAME MODEL_JSON OUT.pb
    [ $have_ref = 1 ] || return 0
    if (cd "$NODEDIR" && node tf_pb_ref.js dump "$3") >"$T/dump.json" 2>"$T/dump.err" &&
        $PY "$T/nodes.py" "$2" "$T/dump.json" >"$T/nodes.out" 2>&1
    then pass "${1}_nodes_vs_tensorflow_schema"; else fail "${1}_nodes_vs_tensorflow_schema" "$(cat "$T/dump.err" "$T/nodes.out" | head -c 500)"; fi
}

runs_equal() {  # NAME MODE MODEL_JSON OUT [TOL]
    [ $have_ref = 1 ] || return 0
    local name=$1; shift
    if ref "$@"; then pass "${name}_outputs_vs_tfjs"
    else fail "${name}_outputs_vs_tfjs" "$(head -c 600 "$T/sum") $(tail -n 3 "$T/ref.out" | tr '\n' ' ')"; fi
}

frozen() {  # NAME MODEL_JSON [convert options]: convert, decode, compare
    local name=$1 mj=$2; shift 2
    rm -f "$T/$name.pb"
    if "$CKPT" convert --quiet "$mj" --to tf-frozen -o "$T/$name.pb" "$@" 2>"$T/err"; then pass "${name}_convert"
    else fail "${name}_convert" "$(cat "$T/err")"; return 1; fi
}

# ---- generated models ---------------------------------------------------------
$PY "$GEN" "$T/fused" fused
frozen gen_fused "$T/fused/model.json" && { nodes_equal gen_fused "$T/fused/model.json" "$T/gen_fused.pb"
    runs_equal gen_fused frozen "$T/fused/model.json" "$T/gen_fused.pb"; }
for mode in tflite tfjs; do
    frozen "gen_fused_$mode" "$T/fused/model.json" --compat-mode $mode || continue
    [ $have_ref = 1 ] || continue
    runs_equal "gen_fused_$mode" frozen "$T/fused/model.json" "$T/gen_fused_$mode.pb"
    # every fused op split: Conv2D, DepthwiseConv2dNative, MatMul, BiasAdd, Relu6, LeakyRelu, Prelu as Relu/Neg/Mul/Sub
    [ "$(sumq 's["fused"]')" = 0 ] && sumq '" ".join(s["ops"])' | grep -q "Conv2D.*DepthwiseConv2dNative.*LeakyRelu.*MatMul.*Neg.*Relu6.*Sub" \
        && pass "gen_fused_${mode}_no_fused_op" || fail "gen_fused_${mode}_no_fused_op" "$(head -c 400 "$T/sum")"
done

# quantized weights (uint8, uint16, float16) dequantized into the Consts, as TF.js does
$PY "$ROOT/tests/tfjsgen.py" "$T/vals" values
frozen gen_values "$T/vals/model.json" && runs_equal gen_values frozen "$T/vals/model.json" "$T/gen_values.pb"

# an op nobody knows is carried through with its attrs and control input
$PY "$GEN" "$T/unk" unknown
frozen gen_unknown_op "$T/unk/model.json" && nodes_equal gen_unknown_op "$T/unk/model.json" "$T/gen_unknown_op.pb"

# ---- real TF.js graph models ----------------------------------------------------
if need_shared tf_export_fixtures; then
    E2E=$FIX/tfjs_graph/tfjs-e2e-graph_model FM=$FIX/tfjs_graph/human-facemesh/facemesh.json
    for c in "e2e $E2E/model.json" "e2e_new $E2E/model_new.json" "facemesh $FM"; do
        set -- $c
        frozen "$1" "$2" || continue
        nodes_equal "$1" "$2" "$T/$1.pb"
        runs_equal "$1" frozen "$2" "$T/$1.pb"
        [ $have_ref = 1 ] && { [ "$(sumq 's["producer"]')" = "$($PY -c "import json;print(json.load(open('$2'))['modelTopology'].get('versions',{}).get('producer',0))")" ] \
            && pass "$1_versions" || fail "$1_versions" "$(head -c 300 "$T/sum")"; }
    done
    # one bit changed in the last weight's tensor_content (the file's last
    # bytes: weights stream last) changes the outputs: the comparison can fail
    for c in "e2e $E2E/model.json" "facemesh $FM"; do
        set -- $c
        [ $have_ref = 1 ] && [ -f "$T/$1.pb" ] || continue
        cp "$T/$1.pb" "$T/bad.pb"
        $PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-2]^=0x10; open(p,'wb').write(b)" "$T/bad.pb"
        ref frozen "$2" "$T/bad.pb"; rc=$?
        [ $rc -eq 1 ] && [ "$(sumq 's["maxDiff"] > 0')" = True ] && pass "$1_corruption_detected" \
            || fail "$1_corruption_detected" "reference exit $rc: $(head -c 300 "$T/sum")"
    done
    # --compat-mode tflite: no fused op or Prelu left, same outputs
    for mode in tflite tfjs; do
        frozen "facemesh_$mode" "$FM" --compat-mode $mode || continue
        [ $have_ref = 1 ] || continue
        runs_equal "facemesh_$mode" frozen "$FM" "$T/facemesh_$mode.pb"
        [ "$(sumq 's["fused"]')" = 0 ] && ! sumq '" ".join(s["ops"])' | grep -q Fused \
            && pass "facemesh_${mode}_no_fused_op" || fail "facemesh_${mode}_no_fused_op" "$(head -c 300 "$T/sum")"
    done

    # ---- SavedModel: the model's own signature, tags, method, renames ----
    rm -rf "$T/sm"
    if "$CKPT" convert --quiet "$FM" --to tf-saved-model -o "$T/sm" --rename output_mesh:mesh,input_1:image \
        --signature-key face --method-name tensorflow/serving/regress --saved-model-tags serve,gpu 2>"$T/err"
    then pass facemesh_saved_convert; else fail facemesh_saved_convert "$(cat "$T/err")"; fi
    if [ $have_ref = 1 ] && [ -f "$T/sm/saved_model.pb" ]; then
        runs_equal facemesh_saved saved "$FM" "$T/sm"
        want='{"face": {"inputs": {"image": {"name": "input_1:0", "dtype": "DT_FLOAT"}}, "outputs": {"mesh": {"name": "Identity_2:0", "dtype": "DT_FLOAT"}, "output_faceflag": {"name": "Identity_1:0", "dtype": "DT_FLOAT"}, "output_contours": {"name": "Identity:0", "dtype": "DT_FLOAT"}}, "methodName": "tensorflow/serving/regress"}}'
        [ "$(sumq 'json.dumps(s["signatures"], sort_keys=True)')" = "$($PY -c "import json,sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))" "$want")" ] \
            && [ "$(sumq 's["tags"], s["schema"], s["metaGraphs"], s["variablesDir"]')" = "['serve', 'gpu'] 1 1 True" ] \
            && pass facemesh_saved_signature || fail facemesh_saved_signature "$(head -c 700 "$T/sum")"
    fi
    # no signature in model.json: Placeholders in, unconsumed nodes out, defaults
    rm -rf "$T/sm2"
    "$CKPT" convert --quiet "$E2E/model.json" --to tf-saved-model -o "$T/sm2" 2>"$T/err" \
        && pass e2e_saved_convert || fail e2e_saved_convert "$(cat "$T/err")"
    if [ $have_ref = 1 ] && [ -f "$T/sm2/saved_model.pb" ]; then
        runs_equal e2e_saved saved "$E2E/model.json" "$T/sm2"
        [ "$(sumq 'json.dumps(s["signatures"], sort_keys=True), s["tags"]')" = '{"serving_default": {"inputs": {"Placeholder": {"dtype": "DT_FLOAT", "name": "Placeholder:0"}}, "methodName": "tensorflow/serving/predict", "outputs": {"MatMul": {"dtype": "DT_FLOAT", "name": "MatMul:0"}}}} ['"'serve'"']' ] \
            && pass e2e_saved_default_signature || fail e2e_saved_default_signature "$(head -c 500 "$T/sum")"
    fi
    # --outputs: the signature has those outputs and the graph only what they need
    rm -rf "$T/sm3"
    "$CKPT" convert --quiet "$FM" --to tf-saved-model -o "$T/sm3" --outputs Identity_1 --compat-mode tflite 2>"$T/err" \
        && pass facemesh_outputs_convert || fail facemesh_outputs_convert "$(cat "$T/err")"
    if [ $have_ref = 1 ] && [ -f "$T/sm3/saved_model.pb" ]; then
        OUTPUTS=Identity_1 runs_equal facemesh_outputs saved "$FM" "$T/sm3"
        [ "$(sumq 'list(s["signatures"]["serving_default"]["outputs"]), s["consts"] < 120, s["fused"]')" = "['Identity_1'] True 0" ] \
            && pass facemesh_outputs_pruned || fail facemesh_outputs_pruned "$(head -c 500 "$T/sum")"
    fi

    # a layers model says what it converts to
    expect_exit 3 layers_refused "$CKPT" convert "$FIX/tfjs_layers/tfjsex-abalone/model.json" --to tf-frozen -o "$T/l.pb"
    grep -q "tf-frozen is written from TF.js graph models only; this TF.js layers model converts to: .*safetensors" "$T/err" \
        && [ ! -e "$T/l.pb" ] && pass layers_message || fail layers_message "$(cat "$T/err")"
    # usage errors leave nothing
    expect_exit 2 rename_unknown_key "$CKPT" convert "$FM" --to tf-saved-model -o "$T/sm4" --rename nosuch:x
    grep -q "no input or output 'nosuch'" "$T/err" && [ ! -e "$T/sm4" ] && pass rename_unknown_nothing_left \
        || fail rename_unknown_nothing_left "$(cat "$T/err"; ls -a "$T/sm4" 2>&1)"
    expect_exit 2 outputs_unknown "$CKPT" convert "$FM" --to tf-frozen -o "$T/o.pb" --outputs nosuch
    grep -q "no node 'nosuch'" "$T/err" && [ ! -e "$T/o.pb" ] && pass outputs_unknown_nothing_left || fail outputs_unknown_nothing_left "$(cat "$T/err")"
    expect_exit 2 compat_mode_bad "$CKPT" convert "$FM" --to tf-frozen -o "$T/o.pb" --compat-mode tpu
    expect_exit 2 dtype_refused "$CKPT" convert "$FM" --to tf-frozen -o "$T/o.pb" --dtype F16
    grep -q "keeps its weights' dtypes" "$T/err" && [ ! -e "$T/o.pb" ] && pass dtype_message || fail dtype_message "$(cat "$T/err")"
fi

# ---- bad inputs -------------------------------------------------------------------
$PY "$ROOT/tests/tfjsgen.py" "$T/str" strings
expect_exit 3 strings_refused "$CKPT" convert "$T/str" --to tf-frozen -o "$T/s.pb"
grep -q "tensor 'vocab': string weights cannot be written to a TensorFlow graph" "$T/err" && [ ! -e "$T/s.pb" ] \
    && pass strings_message || fail strings_message "$(cat "$T/err")"
expect_exit 3 strings_refused_saved "$CKPT" convert "$T/str" --to tf-saved-model -o "$T/s_sm"
[ ! -e "$T/s_sm" ] && pass strings_saved_nothing_left || fail strings_saved_nothing_left "$(ls -a "$T/s_sm")"
$PY "$GEN" "$T/bad" badattr
expect_exit 3 bad_attr_refused "$CKPT" convert "$T/bad" --to tf-frozen -o "$T/b.pb"
grep -q "node 1 'bad': field 'attr.i': 'seven' is not an integer" "$T/err" && [ ! -e "$T/b.pb" ] \
    && pass bad_attr_message || fail bad_attr_message "$(cat "$T/err")"
# a weight without a Const node
$PY - "$T/unk/model.json" "$T/orphan" <<'PY'
import json, os, shutil, sys
d = sys.argv[2]; os.makedirs(d, exist_ok=True)
mj = json.load(open(sys.argv[1])); shutil.copy(os.path.join(os.path.dirname(sys.argv[1]), "group1-shard1of1.bin"), d)
mj["modelTopology"]["node"] = [n for n in mj["modelTopology"]["node"] if n["name"] != "k"]
json.dump(mj, open(os.path.join(d, "model.json"), "w"))
PY
expect_exit 3 orphan_weight_refused "$CKPT" convert "$T/orphan" --to tf-frozen -o "$T/or.pb"
grep -q "tensor 'k': weight matches no node of modelTopology" "$T/err" && [ ! -e "$T/or.pb" ] \
    && pass orphan_weight_message || fail orphan_weight_message "$(cat "$T/err")"
"$CKPT" formats >"$T/out" 2>&1
grep -q "tf-frozen" "$T/out" && grep -q "tf-saved-model" "$T/out" && pass formats_listed || fail formats_listed "$(cat "$T/out")"
