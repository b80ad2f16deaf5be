# Reproducible outputs: EVERY writer `ckpt formats` lists converts a fixture
# suited to it twice, with the clock moved between (faketime, from Debian),
# the time zone, output folder and process id different, and every output
# file (folders too) is compared byte for byte; then again with
# SOURCE_DATE_EPOCH set for both runs. A writable format with no fixture
# assigned below fails (new writers are covered or the test says so). Zip
# members and Keras' date_saved carry SOURCE_DATE_EPOCH when it is set (read
# back with Python's zipfile and json), and HDF5 objects carry no timestamps
# (h5py). Under valgrind, no uninitialised byte reaches an output.
. "$(dirname "$0")/lib.sh"

command -v faketime >/dev/null || { fail faketime "faketime missing (tools/deps.sh test installs it)"; exit 0; }
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
K=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
K3=$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras
FM=$FIX/tfjs_graph/human-facemesh/facemesh.json
GG=$FIX/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf

# ---- fixtures (made here: NumPy/stio, the gguf and kerashub generators) ----
PYTHONPATH=$ROOT/tests $PY - "$T/a.safetensors" <<'PY'
import sys, numpy as np, stio
r = np.random.default_rng(3)
t = {f"layer.{i}.weight": r.standard_normal((64, 96)).astype(np.float32) for i in range(8)}
t["layer.0.bias"] = r.standard_normal(7).astype(np.float16)   # odd sizes: padding between tensors
t["steps"] = np.array(5, dtype=np.int64)
stio.write(sys.argv[1], t, metadata={"format": "pt", "zeta": "1", "alpha": "2"})
PY
$PY "$ROOT/tests/gguf_wref.py" llama "$T/llama" || fail fixture_llama "gguf_wref.py llama failed"
$PY "$ROOT/tests/khgen.py" gen qwen2 "$T/qwen2" || fail fixture_qwen2 "khgen.py gen qwen2 failed"

# Cases per writable format: one per line, "NAME INPUT OUTPUT [OPTIONS...]";
# an INPUT under $FIX is skipped when ../shared is missing. --to FORMAT is added.
declare -A CASES=(
  [safetensors]="safetensors $T/a.safetensors x.safetensors
safetensors_sharded $T/a.safetensors shards/ --shard-size 50KB
safetensors_from_keras $K x.safetensors
package_zip $T/a.safetensors x.zip --package zip"
  [keras]="keras $K x.keras
keras_from_keras3 $K3 x.keras
package_zip_keras $K x.zip --package zip"
  [keras-weights]="keras_weights $K x.weights.h5
package_zip_keras_weights $K x.zip --package zip"
  [gguf]="gguf_from_hf $T/llama x.gguf
gguf_q4_0 $T/llama x.gguf --quantize Q4_0
gguf_from_gguf $GG x.gguf"
  [tfjs]="tfjs $K tfjs_out
tfjs_uint8_sharded $K tfjs_out --quantize uint8 --shard-size 4000"
  [torch]="torch $T/a.safetensors x.pt
torch_from_gguf $GG x.pt"
  [npz]="npz $T/a.safetensors x.npz
npz_compressed $T/a.safetensors x.npz --compress"
  [tf-frozen]="tf_frozen $FM x.pb"
  [tf-saved-model]="tf_saved_model $FM saved/"
  [kerashub]="kerashub $T/qwen2 preset"
  [numpy]="numpy $K x.py"
  [c]="c $K x.c
c_weights_file $K x.c --weights file"
  [package]="package $T/a.safetensors x.zip
package_keras $K x.zip --model-type text_classifier"
)

# run TAG CLOCK TZ IN OUT ARGS...: one conversion into $T/TAG/
run() {
    local tag=$1 clock=$2 tz=$3 in=$4 out=$5; shift 5
    rm -rf "$T/$tag"; mkdir -p "$T/$tag"
    TZ=$tz faketime "$clock" "$CKPT" convert "$in" -o "$T/$tag/$out" --quiet "$@" 2>"$T/$tag.err"
}
# twice NAME IN OUT ARGS...: convert at two clock times (and again under one
# SOURCE_DATE_EPOCH), compare every output file of the two runs
twice() {
    local name=$1 in=$2 out=$3; shift 3
    local mode a b
    for mode in clock sde; do
        if [ $mode = sde ]; then export SOURCE_DATE_EPOCH=1700000000; else unset SOURCE_DATE_EPOCH; fi
        a=$name.$mode.1 b=$name.$mode.2
        run "$a" '2021-03-04 05:06:07' UTC "$in" "$out" "$@" || { fail "repro_${name}_$mode" "first run: $(head -c 300 "$T/$a.err")"; continue; }
        run "$b" '2025-11-12 13:14:15' Asia/Tokyo "$in" "$out" "$@" || { fail "repro_${name}_$mode" "second run: $(head -c 300 "$T/$b.err")"; continue; }
        local n; n=$(find "$T/$a" -type f | wc -l)
        if diff -r "$T/$a" "$T/$b" >"$T/d" 2>&1 && [ "$n" -gt 0 ]; then pass "repro_${name}_$mode"
        else fail "repro_${name}_$mode" "$n files; $(head -3 "$T/d" | tr '\n' ' ')"; fi
        rm -rf "$T/$b"
    done
    unset SOURCE_DATE_EPOCH
    [ -n "$VG" ] && noinit "$name" "$in" "$out" "$@"
}
# noinit NAME IN OUT ARGS...: under valgrind, no uninitialised byte (struct
# padding, a buffer's unwritten tail) reaches a write(2) or pwrite(2); the
# sandbox is off as valgrind knows neither seccomp nor Landlock
noinit() {
    local name=$1 in=$2 out=$3; shift 3
    rm -rf "$T/vg"; mkdir -p "$T/vg"
    CKPT_SANDBOX=off valgrind -q --error-exitcode=99 --log-file="$T/vg.log" \
        "$CKPT" convert "$in" -o "$T/vg/$out" --quiet "$@" 2>"$T/vg.err"
    local rc=$?
    [ $rc = 0 ] && pass "noinit_$name" || fail "noinit_$name" "exit $rc: $(grep -m3 -E 'uninitialised|Invalid' "$T/vg.log" | tr '\n' ' ')"
}
VG=; command -v valgrind >/dev/null && [ -z "${CKPT_ASAN:-}" ] && VG=1
[ -n "$VG" ] || skip noinit "valgrind missing or an ASan binary: uninitialised bytes in outputs not checked"

# the clock really moves under faketime (else the test could not fail)
a=$(faketime '2021-03-04 05:06:07' date +%Y); b=$(faketime '2025-11-12 13:14:15' date +%Y)
[ "$a" = 2021 ] && [ "$b" = 2025 ] && pass faketime_moves_clock || fail faketime_moves_clock "$a $b"

writers=$("$CKPT" formats | awk 'NR > 1 && substr($2, 2, 1) == "w" { print $1 }')
[ "$(echo "$writers" | grep -c .)" -ge 10 ] && echo "$writers" | grep -qx safetensors \
    && pass writers_listed || fail writers_listed "ckpt formats gave: $(echo $writers)"
for fmt in $writers; do
    if [ -z "${CASES[$fmt]:-}" ]; then
        fail "repro_fixture_$fmt" "writable format '$fmt' has no fixture in tests/t_repro.sh: add a case"; continue
    fi
    while read -r name src out args; do
        case $src in "$FIX"/*) need_shared "repro_$name" || continue;; esac
        # shellcheck disable=SC2086 # the options are words
        twice "$name" "$src" "$out" --to "$fmt" $args
    done <<<"${CASES[$fmt]}"
done
for fmt in "${!CASES[@]}"; do
    echo "$writers" | grep -qx -- "$fmt" || fail "repro_stale_$fmt" "a case for '$fmt', which ckpt formats does not list as writable"
done

# SOURCE_DATE_EPOCH sets the zip members' time and Keras' date_saved
SOURCE_DATE_EPOCH=1700000000 "$CKPT" convert "$T/qwen2" -o "$T/sde_preset" --to kerashub --quiet
$PY - "$T/sde_preset/metadata.json" <<'PY' && pass source_date_epoch_kerashub || fail source_date_epoch_kerashub "date_saved"
import sys, json
assert json.load(open(sys.argv[1]))["date_saved"] == "2023-11-14@22:13:20"
PY
if need_shared source_date_epoch_used; then
    SOURCE_DATE_EPOCH=1700000000 "$CKPT" convert "$K" -o "$T/sde.keras" --quiet
    $PY - "$T/sde.keras" <<'PY' && pass source_date_epoch_used || fail source_date_epoch_used "zip dates"
import sys, zipfile, json
z = zipfile.ZipFile(sys.argv[1])
dates = {i.date_time for i in z.infolist()}
assert dates == {(2023, 11, 14, 22, 13, 20)}, dates
assert json.loads(z.read("metadata.json"))["date_saved"] == "2023-11-14@22:13:20", z.read("metadata.json")
PY
    # HDF5: no object timestamps (h5py reports a zero ctime for those)
    "$CKPT" convert "$K" -o "$T/t.weights.h5" --quiet
    $PY - "$T/t.weights.h5" <<'PY' && pass h5_no_timestamps || fail h5_no_timestamps "an object has a time"
import sys, h5py
f = h5py.File(sys.argv[1])
names = ["/"]
f.visit(lambda n: names.append(n))
for n in names:
    info = h5py.h5g.get_objinfo(f.id, n.encode())
    assert info.mtime == 0, (n, info.mtime)
assert len(names) > 3
PY
fi
exit 0
