# TensorFlow.js: listings against model.json read by Python's json, every
# weight's values against TensorFlow.js itself (tf.loadLayersModel /
# tf.loadGraphModel in Node, tests/node/tfjs_ref.js), malformed manifests.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/node_lib.sh" tfjs_node

# Compare `ckpt ls --json` with the manifest: names, shapes, dtypes in order.
cat > "$T/lsman.py" <<'PY'
import json, sys
mj = json.load(open(sys.argv[1])); ls = json.load(open(sys.argv[2]))
DT = {"float32": "F32", "int32": "I32", "bool": "BOOL", "string": "U8"}
want = []
for g in mj["weightsManifest"]:
    for w in g["weights"]:
        q = w.get("quantization") or {}
        want.append((w["name"], DT[q.get("original_dtype", w["dtype"])], w["shape"]))
got = [(t["name"], t["dtype"], t["shape"]) for t in ls["tensors"]]
if ls["format"] != "tfjs" or got != want:
    print("ckpt:", got[:4], "manifest:", want[:4]); sys.exit(1)
PY

tfjs_model() {  # NAME MODEL_JSON [PATH_TO_OPEN]
    local name=$1 mj=$2 open=${3:-$2}
    if "$CKPT" ls --json "$open" >"$T/ls.json" 2>"$T/err" && $PY "$T/lsman.py" "$mj" "$T/ls.json" >"$T/cmp" 2>&1
    then pass "${name}_listing"; else fail "${name}_listing" "$(cat "$T/err" "$T/cmp" | head -c 300)"; fi
    rm -f "$T/o.safetensors"
    if ! "$CKPT" convert --quiet "$open" -o "$T/o.safetensors" 2>"$T/err"; then
        fail "${name}_values" "convert: $(cat "$T/err")"; return
    fi
    if [ $have_tfjs = 1 ]; then
        local r
        r=$(cd "$NODEDIR" && node tfjs_ref.js "$mj" "$T/o.safetensors" 2>&1 | grep -v -e '^Hi, looks like' -e '^====')
        if [ $? -eq 0 ] && echo "$r" | grep -q ", 0 bad"; then pass "${name}_values_vs_tfjs"
        else fail "${name}_values_vs_tfjs" "$(echo "$r" | tail -3 | tr '\n' ' ')"; fi
    fi
}

# ---- generated graph models: every dtype and quantization, straddling shards
$PY "$ROOT/tests/tfjsgen.py" "$T/gen" values
tfjs_model gen "$T/gen/model.json" "$T/gen"
# weights straddle the 64-byte shards (the generator's layout), so the file
# list must hold every shard of both groups
n=$("$CKPT" info --json "$T/gen" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["files"]))')
[ "$n" = 7 ] && pass gen_all_shards || fail gen_all_shards "files: $n"
# reading one straddling weight in small chunks (via a dtype cast, which streams)
"$CKPT" convert --quiet --dtype F16 "$T/gen" -o "$T/gen16.safetensors" 2>"$T/err" \
    && pass gen_convert_f16 || fail gen_convert_f16 "$(cat "$T/err")"

$PY "$ROOT/tests/tfjsgen.py" "$T/str" strings
if "$CKPT" ls "$T/str" >"$T/out" 2>&1 && grep -q "^vocab  *U8  *\[3\]" "$T/out"; then pass strings_listed
else fail strings_listed "$(cat "$T/out")"; fi
expect_exit 3 strings_convert_refused "$CKPT" convert "$T/str" -o "$T/str.safetensors"
grep -q "tensor 'vocab': string weights cannot be converted" "$T/err" && [ ! -e "$T/str.safetensors" ] \
    && pass strings_message || fail strings_message "$(cat "$T/err")"

# ---- real fixtures ------------------------------------------------------
if need_shared tfjs_fixtures; then
    tfjs_model e2e_layers "$FIX/tfjs_layers/tfjs-e2e-layers_model/model.json" "$FIX/tfjs_layers/tfjs-e2e-layers_model"
    tfjs_model abalone "$FIX/tfjs_layers/tfjsex-abalone/model.json"
    tfjs_model e2e_graph "$FIX/tfjs_graph/tfjs-e2e-graph_model/model.json"
    tfjs_model e2e_graph_new "$FIX/tfjs_graph/tfjs-e2e-graph_model/model_new.json"
    tfjs_model facemesh "$FIX/tfjs_graph/human-facemesh/facemesh.json"
    "$CKPT" info "$FIX/tfjs_layers/tfjsex-abalone" >"$T/out" 2>&1
    grep -q "model_class  *Sequential" "$T/out" && grep -q "keras_version  *tfjs-layers 1.3.2" "$T/out" \
        && pass abalone_facts || fail abalone_facts "$(head -c 300 "$T/out")"
    "$CKPT" info "$FIX/tfjs_graph/human-facemesh/facemesh.json" >"$T/out" 2>&1
    grep -q "tfjs_format  *graph-model" "$T/out" && pass facemesh_facts || fail facemesh_facts
fi

# ---- malformed manifests: one clear line, exit 3 -------------------------
bad() {  # NAME PATTERN PATH
    expect_exit 3 "$1" "$CKPT" ls "$3"
    if [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q -- "$2" "$T/err"; then pass "$1_message"
    else fail "$1_message" "$(head -c 300 "$T/err")"; fi
}
mk() {  # DIR PYTHON-EXPR-ON-mj : copy of the generated model with model.json edited
    rm -rf "$T/$1"; cp -r "$T/gen" "$T/$1"
    $PY - "$T/$1/model.json" "$2" <<'PY'
import json, sys
mj = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(mj, open(sys.argv[1], "w"))
PY
}
mk missing 'pass'; rm "$T/missing/group1-shard2of3.bin"
bad missing_shard "shard 'group1-shard2of3.bin' listed in model.json is missing" "$T/missing"
mk short 'pass'; head -c 10 "$T/gen/group1-shard3of3.bin" >"$T/short/group1-shard3of3.bin"
bad short_shard "short/group1-shard3of3.bin: tensor 'q/f16': shard is 10 bytes; weight group 1 of model.json needs 150 over 3 shards holding 138" "$T/short"
mk dotdot 'mj["weightsManifest"][0]["paths"][1] = "../gen/group1-shard2of3.bin"'
bad dotdot_path "refused shard path '../gen/group1-shard2of3.bin' ('..' in path)" "$T/dotdot"
mk abspath "mj['weightsManifest'][0]['paths'][0] = '$T/gen/group1-shard1of3.bin'"
bad absolute_path "absolute path" "$T/abspath"
mk url 'mj["weightsManifest"][0]["paths"][0] = "https://example.com/x.bin"'
bad url_path "URL" "$T/url"
mk dtype 'mj["weightsManifest"][0]["weights"][0]["dtype"] = "float8"'
bad unknown_dtype "tensor 'dense/kernel': unknown dtype 'float8'" "$T/dtype"
mk noscale 'del mj["weightsManifest"][0]["weights"][3]["quantization"]["scale"]'
bad quant_no_scale "uint8 quantization needs numeric scale and min" "$T/noscale"
mk qdt 'mj["weightsManifest"][0]["weights"][3]["quantization"]["dtype"] = "int4"'
bad quant_unknown "unknown quantization dtype 'int4'" "$T/qdt"
mk shape 'mj["weightsManifest"][0]["weights"][0]["shape"] = [3, -5]'
bad negative_dim "shape entry 1 is not a non-negative integer" "$T/shape"
mk huge 'mj["weightsManifest"][0]["weights"][0]["shape"] = [2**40, 2**40]'
bad shape_overflow "overflows" "$T/huge"
mk nomani 'del mj["weightsManifest"]'
bad no_manifest "no weightsManifest" "$T/nomani/model.json"
mkdir -p "$T/badjson"; printf '{"weightsManifest": [' >"$T/badjson/model.json"
bad bad_json "not valid JSON" "$T/badjson/model.json"
rm -rf "$T/strbad"; cp -r "$T/str" "$T/strbad"
$PY - "$T/strbad" <<'PY'
import sys, struct, glob
p = sorted(glob.glob(sys.argv[1] + "/group1-shard1of*.bin"))[0]
b = bytearray(open(p, "rb").read()); b[0:4] = struct.pack("<I", 2**31); open(p, "wb").write(b)
PY
bad string_too_long "string 0 of 2147483648 bytes runs past the end of weight group 1" "$T/strbad"
