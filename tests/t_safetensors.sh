# safetensors: listing, round trips, shards and malformed input, checked
# against an independent reader (Python's json + NumPy, tests/stio.py style).
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

# ---- ls --json agrees with the header parsed by Python -------------------
STFIX=$FIX/safetensors
if ! need_shared st_fixtures; then
    # A fresh clone without ../shared: stand-ins with the fixtures' names,
    # dtypes, shapes and metadata, written in the reference writer's layout
    # (compact JSON in the order below, padded with spaces to 8 bytes), so
    # every other test here still runs.
    STFIX=$T/stfix
    mkdir -p "$STFIX/burn-mnist" "$STFIX/hf-samples-overall"
    $PY - "$STFIX" <<'PY' || exit 1
import json, os, struct, sys
import numpy as np
rng = np.random.default_rng(7)
SZ = {"U8": 1, "I8": 1, "U16": 2, "I16": 2, "U32": 4, "I32": 4, "I64": 8, "F16": 2, "F32": 4, "F64": 8}
def write(path, tensors, meta=None):
    h, off, blobs = {}, 0, []
    if meta: h["__metadata__"] = meta
    for name, dt, shape in tensors:
        n = int(np.prod(shape)) * SZ[dt]
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + n]}
        blobs.append(rng.integers(0, 256, n, dtype=np.uint8).tobytes()); off += n
    b = json.dumps(h, separators=(",", ":")).encode()
    b += b" " * ((8 - len(b) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(b)) + b + b"".join(blobs))
d = sys.argv[1]
write(os.path.join(d, "hf-samples-overall/overall.safetensors"),
      [(n, t, [6]) for n, t in [("B", "U8"), ("H", "U16"), ("I", "U32"), ("b", "I8"), ("d", "F64"),
                               ("e", "F16"), ("f", "F32"), ("h", "I16"), ("i", "I32")]], {"test": "a"})
write(os.path.join(d, "burn-mnist/mnist.safetensors"),
      [("norm1.num_batches_tracked", "I64", []), ("norm2.num_batches_tracked", "I64", []),
       ("conv1.bias", "F32", [8]), ("conv1.weight", "F32", [8, 1, 3, 3]), ("conv2.bias", "F32", [16]),
       ("conv2.weight", "F32", [16, 8, 3, 3]), ("conv3.bias", "F32", [24]), ("conv3.weight", "F32", [24, 16, 3, 3]),
       ("fc1.bias", "F32", [32]), ("fc1.weight", "F32", [32, 11616]), ("fc2.bias", "F32", [10]),
       ("fc2.weight", "F32", [10, 32]), ("norm1.bias", "F32", [24]), ("norm1.running_mean", "F32", [24]),
       ("norm1.running_var", "F32", [24]), ("norm1.weight", "F32", [24]), ("norm2.bias", "F32", [10]),
       ("norm2.running_mean", "F32", [10]), ("norm2.running_var", "F32", [10]), ("norm2.weight", "F32", [10])])
PY
fi
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

# ---- round trips: convert to safetensors keeps every byte ---------------
cat > "$T/same.py" <<'PY'
# same.py A B: same metadata, same names/dtypes/shapes in the same file
# order, same tensor bytes; B's header padded to 8 with spaces.
import json, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", None)
    order = sorted(h, key=lambda k: tuple(h[k]["data_offsets"]))
    t = [(k, h[k]["dtype"], h[k]["shape"], b[8 + n + h[k]["data_offsets"][0]:8 + n + h[k]["data_offsets"][1]]) for k in order]
    return n, b[8:8 + n], meta, t
na, _, ma, ta = load(sys.argv[1])
nb, hb, mb, tb = load(sys.argv[2])
assert ma == mb, (ma, mb)
assert [x[:3] for x in ta] == [x[:3] for x in tb], "names/dtypes/shapes differ"
for x, y in zip(ta, tb):
    assert x[3] == y[3], "bytes differ in " + x[0]
assert nb % 8 == 0 and hb == hb.rstrip(b" ") + b" " * (len(hb) - len(hb.rstrip(b" "))), "bad padding"
PY
for f in "$STFIX"/*/*.safetensors; do
    n=$(basename "$f" .safetensors)
    expect_exit 0 "convert_$n" "$CKPT" convert "$f" -o "$T/rt_$n.safetensors" --to safetensors --quiet
    check "roundtrip_$n" $PY "$T/same.py" "$f" "$T/rt_$n.safetensors"
done
# mnist's header is already in the reference writer's layout: whole file identical
check roundtrip_mnist_cmp cmp "$STFIX/burn-mnist/mnist.safetensors" "$T/rt_mnist.safetensors"
# the output reads back through ckpt itself, same listing
[ "$(lsjson "$T/rt_overall.safetensors")" = "$(lsjson "$STFIX/hf-samples-overall/overall.safetensors")" ] \
    && pass roundtrip_relist || fail roundtrip_relist "listing differs"

# ---- sharded output ------------------------------------------------------
cat > "$T/shards.py" <<'PY'
# shards.py ORIG INDEX LIMIT: follow the index, compare every tensor's bytes
# with ORIG, check total_size, shard names and sizes.
import json, os, re, struct, sys
orig, index, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
def header(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop("__metadata__", None)
    assert n % 8 == 0
    return b, 8 + n, h
ob, obase, oh = header(orig)
ix = json.load(open(index))
wm = ix["weight_map"]
assert set(wm) == set(oh), "weight_map names differ"
total = sum(v["data_offsets"][1] - v["data_offsets"][0] for v in oh.values())
assert ix["metadata"]["total_size"] == total, (ix["metadata"]["total_size"], total)
shards = sorted(set(wm.values()))
nsh = len(shards)
assert nsh > 1
for i, s in enumerate(shards):
    assert re.fullmatch(r".+-%05d-of-%05d\.safetensors" % (i + 1, nsh), s), s
seen = set()
for s in shards:
    b, base, h = header(os.path.join(os.path.dirname(index), s))
    size = sum(v["data_offsets"][1] - v["data_offsets"][0] for v in h.values())
    assert size <= limit or len(h) == 1, (s, size)
    assert base + size == len(b)
    for k, v in h.items():
        assert wm[k] == s and k not in seen
        seen.add(k)
        o = oh[k]
        assert (v["dtype"], v["shape"]) == (o["dtype"], o["shape"])
        assert b[base + v["data_offsets"][0]:base + v["data_offsets"][1]] == \
            ob[obase + o["data_offsets"][0]:obase + o["data_offsets"][1]], k
assert seen == set(oh)
print(nsh)
PY
M=$STFIX/burn-mnist/mnist.safetensors
expect_exit 0 shard_dir "$CKPT" convert "$M" -o "$T/sh/" --to safetensors --shard-size 500KB --quiet
check shard_dir_index $PY "$T/shards.py" "$M" "$T/sh/model.safetensors.index.json" 500000
expect_exit 0 shard_file "$CKPT" convert "$M" -o "$T/sf/out.safetensors" --to safetensors --shard-size 20kB --quiet
check shard_file_index $PY "$T/shards.py" "$M" "$T/sf/out.safetensors.index.json" 20000
[ -f "$T/sf/out-00001-of-00003.safetensors" ] && [ ! -e "$T/sf/out.safetensors" ] \
    && pass shard_file_names || fail shard_file_names "$(ls "$T/sf")"
# a limit above the model size: one plain file, no index
expect_exit 0 shard_single "$CKPT" convert "$M" -o "$T/one/" --to safetensors --shard-size 5GB --quiet
[ "$(ls "$T/one")" = model.safetensors ] && cmp -s "$M" "$T/one/model.safetensors" \
    && pass shard_single_plain || fail shard_single_plain "$(ls "$T/one")"

# the sharded set opens as one model, by index or by directory
for how in "$T/sh/model.safetensors.index.json" "$T/sh" "$T/sf/out.safetensors.index.json"; do
    n=$(echo "$how" | sed "s|$T/||; s|[/.]|_|g")
    [ "$(lsjson "$how")" = "$(lsjson "$M")" ] && pass "shard_open_$n" || fail "shard_open_$n" "$(lsjson "$how" | head -c 200)"
done
"$CKPT" info --json "$T/sh" | $PY -c "import json,sys; d=json.load(sys.stdin); assert len(d['files'])==3, d['files']" \
    && pass shard_info_files || fail shard_info_files "files"
# shards back to one file: the original, byte for byte
expect_exit 0 shard_join "$CKPT" convert "$T/sh/model.safetensors.index.json" -o "$T/joined.safetensors" --to safetensors --quiet
check shard_join_cmp cmp "$M" "$T/joined.safetensors"
# a directory of shards without an index
mkdir -p "$T/noidx" && cp "$T/sh/"*.safetensors "$T/noidx/"
[ "$(lsjson "$T/noidx")" = "$(lsjson "$M")" ] && pass shard_dir_no_index || fail shard_dir_no_index "listing differs"

# an index that disagrees with its shards
mkidx() { # NAME PYEXPR-on-wm
    mkdir -p "$T/$1" && cp "$T/sh/"*.safetensors "$T/$1/"
    $PY -c "
import json; ix=json.load(open('$T/sh/model.safetensors.index.json')); wm=ix['weight_map']
$2
json.dump(ix, open('$T/$1/model.safetensors.index.json','w'))"
}
mkidx idx_missing "del wm['conv1.bias']"
expect_exit 3 index_tensor_not_in_map "$CKPT" ls "$T/idx_missing"
grep -q "conv1.bias.*missing from the index weight_map" "$T/err" && pass index_tensor_not_in_map_msg || fail index_tensor_not_in_map_msg "$(cat "$T/err")"
mkidx idx_extra "wm['ghost.weight']='model-00001-of-00003.safetensors'"
expect_exit 3 index_ghost "$CKPT" ls "$T/idx_extra/model.safetensors.index.json"
grep -q "ghost.weight.*no such tensor" "$T/err" && pass index_ghost_msg || fail index_ghost_msg "$(cat "$T/err")"
mkidx idx_wrong "wm['conv1.bias']='model-00003-of-00003.safetensors'"
expect_exit 3 index_wrong_shard "$CKPT" ls "$T/idx_wrong"
grep -q "conv1.bias.*places the tensor in model-00003.* it is in model-00001" "$T/err" && pass index_wrong_shard_msg || fail index_wrong_shard_msg "$(cat "$T/err")"
# a name twice in the weight_map (JSON text: a dict cannot hold it), the
# map in file order as writers make it. The fast path hashes the map only
# when the order needs it; its answer must be the full parser's (forced
# here by an escape in a name), before any shard's error, and name the
# first repeated key as Python's object_pairs_hook finds it.
mkdup() { # NAME MODE: end (repeat at the end) | mid (out of order) | noshard (and a missing shard) | slow
    mkdir -p "$T/$1"
    $PY - "$T/$1" "$2" > "$T/$1.first" <<'PY'
import json, struct, sys
d, mode = sys.argv[1:]
def shard(fn, names):
    h = {n: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i, n in enumerate(names)}
    b = json.dumps(h).encode(); b += b" " * ((8 - len(b) % 8) % 8)
    open(f"{d}/{fn}", "wb").write(struct.pack("<Q", len(b)) + b + bytes(4 * len(names)))
files = {"m-1.safetensors": ["enc.a", "enc.b", "enc.c"], "m-2.safetensors": ["dec.a", "dec.b"]}
pairs = []
for fn, names in files.items():
    shard(fn, names); pairs += [(n, fn) for n in names]
if mode == "mid": pairs.insert(3, pairs[1])
else: pairs.append(pairs[1])
if mode == "noshard": pairs.append(("zz.extra", "m-9.safetensors"))
def key(s):
    return json.dumps(s) if mode != "slow" or s != "enc.a" else '"\\u0065nc.a"'
txt = '{"weight_map":{' + ",".join(key(a) + ":" + json.dumps(b) for a, b in pairs) + "}}"
open(f"{d}/model.safetensors.index.json", "w").write(txt)
seen = set()
def hook(ps):
    for a, _ in ps:
        if a in seen: print(a); sys.exit(0)
        seen.add(a)
    return dict(ps)
json.loads(txt, object_pairs_hook=lambda ps: hook(ps) if ps and isinstance(ps[0][1], str) else dict(ps))
PY
}
for mode in end mid noshard slow; do
    mkdup idx_dup_$mode $mode
    expect_exit 3 index_dup_$mode "$CKPT" ls "$T/idx_dup_$mode"
    first=$(cat "$T/idx_dup_$mode.first")
    grep -q "duplicate name in weight_map" "$T/err" && grep -qF "'$first'" "$T/err" \
        && pass index_dup_${mode}_msg || fail index_dup_${mode}_msg "want '$first': $(cat "$T/err")"
    sed "s|idx_dup_$mode|D|g" "$T/err" > "$T/dup_$mode.err"
done
# a tensor in two shards: the second shard's names are still in the read
# buffer when the first shard's already point at the index's (the error
# names it, the shard that has it first, and its byte offset)
mkdir -p "$T/across"
$PY - "$T/across" <<'PY'
import json, struct, sys
d = sys.argv[1]
def shard(fn, names):
    h = {n: {"dtype": "F32", "shape": [1], "data_offsets": [4 * i, 4 * i + 4]} for i, n in enumerate(names)}
    b = json.dumps(h).encode(); b += b" " * ((8 - len(b) % 8) % 8)
    open(f"{d}/{fn}", "wb").write(struct.pack("<Q", len(b)) + b + bytes(4 * len(names)))
shard("m-1.safetensors", ["enc.a", "enc.b"]); shard("m-2.safetensors", ["dec.a", "enc.b"])
json.dump({"weight_map": {"enc.a": "m-1.safetensors", "enc.b": "m-1.safetensors", "dec.a": "m-2.safetensors"}},
          open(f"{d}/model.safetensors.index.json", "w"))
PY
expect_exit 3 shard_dup_across "$CKPT" ls "$T/across"
grep -q "m-2.safetensors.*'enc.b'.*also present in shard .*m-1.safetensors" "$T/err" \
    && pass shard_dup_across_msg || fail shard_dup_across_msg "$(cat "$T/err")"
cmp -s "$T/dup_end.err" "$T/dup_slow.err" && pass index_dup_fast_is_full \
    || fail index_dup_fast_is_full "$(cat "$T/dup_end.err") / $(cat "$T/dup_slow.err")"
mkidx idx_escape "wm['fc1.weight']='../x.safetensors'"
expect_exit 3 index_path_escape "$CKPT" ls "$T/idx_escape"
mkidx idx_noshard "wm['fc1.weight']='model-00009-of-00009.safetensors'"
expect_exit 3 index_missing_shard "$CKPT" ls "$T/idx_noshard"
grep -q "model-00009-of-00009.safetensors" "$T/err" && pass index_missing_shard_msg || fail index_missing_shard_msg "$(cat "$T/err")"

# ---- malformed files: exit 3, one clear line each, no output --------------
mkdir -p "$T/bad" "$T/badout"
$PY - "$T/bad" <<'PY'
import json, struct, sys
d = sys.argv[1]
def t(dt, shape, off): return {"dtype": dt, "shape": shape, "data_offsets": off}
def raw(name, hdr, data=b"", n=None):
    h = hdr if isinstance(hdr, bytes) else json.dumps(hdr).encode()
    open(f"{d}/{name}.safetensors", "wb").write(struct.pack("<Q", len(h) if n is None else n) + h + data)
good = {"w": t("F32", [2], [0, 8])}
raw("truncated", b"", n=0); open(f"{d}/truncated.safetensors", "wb").write(b"\x10\x00\x00")
raw("past_eof", json.dumps(good).encode(), b"\0" * 8, n=4096)
raw("bad_json", b'{"w": {"dtype": "F32", "shape": [2], ', b"\0" * 8)
raw("not_object", b'["w", 1]')
raw("overlap", {"w": t("F32", [2], [0, 8]), "v": t("F32", [1], [4, 8])}, b"\0" * 8)
raw("hole", {"w": t("F32", [2], [0, 8]), "v": t("F32", [1], [12, 16])}, b"\0" * 16)
raw("trailing", good, b"\0" * 12)
raw("bad_dtype", {"w": t("F31", [2], [0, 8])}, b"\0" * 8)
raw("huge_header", b"{}", n=200_000_000)
raw("duplicate", b'{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}', b"\0" * 16)
raw("non_utf8", b'{"w\xff": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', b"\0" * 8)
raw("out_of_file", {"w": t("F32", [4], [0, 16])}, b"\0" * 8)
raw("negative_shape", {"w": t("F32", [-2], [0, 8])}, b"\0" * 8)
raw("size_mismatch", {"w": t("F32", [3], [0, 8])}, b"\0" * 8)
raw("meta_not_string", {"__metadata__": {"k": 1}, **good}, b"\0" * 8)
PY
declare -A want=(
  [truncated]="too small" [past_eof]="runs past the end of the file" [bad_json]="not valid JSON"
  [not_object]="not a JSON object" [overlap]="overlap tensor 'w'" [hole]="hole of 4 bytes"
  [trailing]="trailing bytes" [bad_dtype]="unknown dtype 'F31'" [huge_header]="exceeds the safetensors limit"
  [duplicate]="duplicate name" [non_utf8]="not valid UTF-8" [out_of_file]="past the end of the data buffer"
  [negative_shape]="shape entry -2" [size_mismatch]="needs 12" [meta_not_string]="not a string")
declare -A tens=([overlap]=v [hole]=v [bad_dtype]=w [duplicate]=w [out_of_file]=w [negative_shape]=w [size_mismatch]=w)
: > "$T/allmsgs"
for n in "${!want[@]}"; do
    f="$T/bad/$n.safetensors"
    expect_exit 3 "bad_$n" "$CKPT" ls "$f"
    msg=$(cat "$T/err")
    if [ "$(wc -l < "$T/err")" -eq 1 ] && [[ "$msg" == *"$f"* ]] && [[ "$msg" == *"${want[$n]}"* ]] \
        && { [ -z "${tens[$n]:-}" ] || [[ "$msg" == *"tensor '${tens[$n]}'"* ]]; }; then
        pass "bad_${n}_msg"
    else fail "bad_${n}_msg" "$msg"; fi
    sed "s|$f||" "$T/err" >> "$T/allmsgs"
    expect_exit 3 "bad_${n}_convert" "$CKPT" convert "$f" -o "$T/badout/$n.safetensors" --to safetensors --quiet
done
[ -z "$(ls -A "$T/badout")" ] && pass bad_no_output || fail bad_no_output "$(ls -A "$T/badout")"
[ "$(sort "$T/allmsgs" | uniq -d | wc -l)" -eq 0 ] && [ "$(wc -l < "$T/allmsgs")" -eq ${#want[@]} ] \
    && pass bad_messages_distinct || fail bad_messages_distinct "$(sort "$T/allmsgs" | uniq -d)"

# ---- failed or interrupted conversions leave nothing at the output --------
: > "$T/blocker"
expect_exit 3 convert_unwritable "$CKPT" convert "$M" -o "$T/blocker/sub/out.safetensors" --to safetensors --quiet
[ -f "$T/blocker" ] && [ ! -s "$T/blocker" ] && pass convert_unwritable_clean || fail convert_unwritable_clean "blocker changed"
# a ~300 MB sparse input: Ctrl-C once the temporary output exists
$PY - "$T/big.safetensors" <<'PY'
import json, struct, sys
n = 40; per = 8 << 20
h = {f"layer.{i}.weight": {"dtype": "F32", "shape": [per // 4], "data_offsets": [i * per, (i + 1) * per]} for i in range(n)}
b = json.dumps(h).encode(); b += b" " * ((8 - len(b) % 8) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(b)) + b); f.truncate(8 + len(b) + n * per)
PY
mkdir -p "$T/int"
interrupted=0
for try in 1 2 3; do
    rm -rf "$T/int"/* "$T/int"/.[!.]* 2>/dev/null
    # the output is nameless (O_TMPFILE) until commit: wait for the first progress line
    "$CKPT" convert "$T/big.safetensors" -o "$T/int/big.safetensors" --to safetensors --progress=json 2>"$T/int.err" &
    pid=$!
    for _ in $(seq 1 500); do
        grep -q '"bytes_done"' "$T/int.err" 2>/dev/null && break
        sleep 0.005
    done
    kill -INT $pid 2>/dev/null
    wait $pid; rc=$?
    [ $rc -ne 0 ] && { interrupted=1; break; }
done
if [ $interrupted = 1 ]; then
    [ -z "$(ls -A "$T/int")" ] && pass sigint_leaves_nothing || fail sigint_leaves_nothing "$(ls -A "$T/int")"
else
    skip sigint_leaves_nothing "conversion finished before the signal three times"
fi
rm -f "$T/big.safetensors"

# ---- every dtype, odd names, empty and 0-d tensors, metadata escapes -------
$PY - "$T/all.safetensors" <<'PY'
import json, struct, sys, os
dts = {"BOOL":1,"U8":1,"I8":1,"U16":2,"I16":2,"U32":4,"I32":4,"U64":8,"I64":8,
       "F16":2,"BF16":2,"F32":4,"F64":8,"F8_E4M3":1,"F8_E5M2":1}
h, data = {"__metadata__": {"format": "pt", "quote\"back\\slash": "tab\tnewline\n", "ünï": "日本"}}, b""
for i, (dt, sz) in enumerate(dts.items()):
    shape = [[], [3], [2, 0], [1, 2, 3]][i % 4]
    n = 1
    for d in shape: n *= d
    blob = os.urandom(n * sz)
    h[f"t{i}.{dt}/ü \"q\""] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
b = json.dumps(h, ensure_ascii=False).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(b)) + b + data)
PY
expect_exit 0 all_dtypes_convert "$CKPT" convert "$T/all.safetensors" -o "$T/all2.safetensors" --to safetensors --quiet
check all_dtypes_roundtrip $PY "$T/same.py" "$T/all.safetensors" "$T/all2.safetensors"
[ "$(lsjson "$T/all.safetensors")" = "$($PY "$T/pyls.py" "$T/all.safetensors")" ] && pass all_dtypes_ls || fail all_dtypes_ls "$(lsjson "$T/all.safetensors" | head -c 300)"
# the writer's layout: __metadata__ first, then tensors in order with contiguous offsets
check writer_layout $PY -c "
import json, struct
b = open('$T/all2.safetensors', 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
keys = list(h)
assert keys[0] == '__metadata__', keys[:2]
at = 0
for k in keys[1:]:
    s, e = h[k]['data_offsets']
    assert s == at, (k, s, at)
    at = e
assert 8 + n + at == len(b)
"
# sharded result reports its index as the main path
expect_exit 0 shard_json "$CKPT" convert "$M" -o "$T/sj/" --to safetensors --shard-size 500KB --quiet --json
$PY -c "
import json; d = json.load(open('$T/out'))
assert d['files'] == 4 and d['output'].endswith('sj/model.safetensors.index.json'), d
" && pass shard_json_result || fail shard_json_result "$(cat "$T/out")"
