# safetensors: listing, round trips, shards and malformed input, checked
# against an independent reader (Python's json + NumPy, tests/stio.py style).
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

# ---- ls --json agrees with the header parsed by Python -------------------
need_shared st_fixtures || exit 0
STFIX=$FIX/safetensors
cat > "$T/pyls.py" <<'PY'
# Print {"format","tensors":[name,dtype,shape,nbytes]} in file (offset) order.
import json, struct, sys
SZ = {"BOOL":1,"U8":1,"I8":1,"U16":2,"I16":2,"U32":4,"I32":4,"U64":8,"I64":8,
      "F16":2,"BF16":2,"F32":4,"F64":8,"F8_E4M3":1,"F8_E5M2":1}
out = []
for p in sys.argv[1:]:
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    for k, v in sorted(h.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
        ne = 1
        for d in v["shape"]: ne *= d
        assert v["data_offsets"][1] - v["data_offsets"][0] == ne * SZ[v["dtype"]]
        out.append({"name": k, "dtype": v["dtype"], "shape": v["shape"], "nbytes": ne * SZ[v["dtype"]]})
print(json.dumps({"format": "safetensors", "tensors": out}, sort_keys=True))
PY
cat > "$T/norm.py" <<'PY'
import json, sys
d = json.load(sys.stdin)
print(json.dumps({"format": d["format"], "tensors": [{k: t[k] for k in ("name", "dtype", "shape", "nbytes")} for t in d["tensors"]]}, sort_keys=True))
PY
lsjson() { "$CKPT" ls --json "$1" | $PY "$T/norm.py"; }

for f in "$STFIX"/*/*.safetensors; do
    n=$(basename "$f" .safetensors)
    if [ "$(lsjson "$f")" = "$($PY "$T/pyls.py" "$f")" ]; then pass "ls_json_$n"
    else fail "ls_json_$n" "ckpt: $(lsjson "$f" | head -c 300)"; fi
done
"$CKPT" info --json "$STFIX/hf-samples-overall/overall.safetensors" >"$T/info.json" 2>"$T/err"
$PY -c "
import json,sys
d=json.load(open('$T/info.json'))
assert d['metadata'] == {'test': 'a'}, d['metadata']
assert d['tensors'] == 9 and d['bytes'] == 168, d
" && pass info_shows_metadata || fail info_shows_metadata "$(head -c 300 "$T/info.json")"
