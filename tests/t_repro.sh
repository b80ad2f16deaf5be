# Reproducible outputs: every writer converts the same input twice with the
# clock moved between (faketime, from Debian) and the outputs are identical
# byte for byte; zip members carry SOURCE_DATE_EPOCH when it is set (read
# back with Python's zipfile), and HDF5 objects carry no timestamps.
. "$(dirname "$0")/lib.sh"

command -v faketime >/dev/null || { fail faketime "faketime missing (tools/deps.sh test installs it)"; exit 0; }
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
PYTHONPATH=$ROOT/tests $PY - "$T/a.safetensors" <<'PY'
import sys, numpy as np, stio
r = np.random.default_rng(3)
stio.write(sys.argv[1], {f"layer.{i}.weight": r.standard_normal((64, 96)).astype(np.float32) for i in range(8)},
           metadata={"format": "pt", "zeta": "1", "alpha": "2"})
PY

# twice NAME IN OUT ARGS...: convert at two clock times, compare every output file
twice() {
    local name=$1 in=$2 out=$3; shift 3
    rm -rf "$T/r1" "$T/r2"; mkdir -p "$T/r1" "$T/r2"
    faketime '2021-03-04 05:06:07' "$CKPT" convert "$in" -o "$T/r1/$out" --quiet "$@" 2>"$T/e1" \
        || { fail "$name" "first run: $(cat "$T/e1")"; return; }
    faketime '2025-11-12 13:14:15' "$CKPT" convert "$in" -o "$T/r2/$out" --quiet "$@" 2>"$T/e2" \
        || { fail "$name" "second run: $(cat "$T/e2")"; return; }
    if diff -r "$T/r1" "$T/r2" >"$T/d" 2>&1 && [ -n "$(ls -A "$T/r1")" ]; then pass "$name"
    else fail "$name" "$(head -3 "$T/d")"; fi
}

# the clock really moves under faketime (else the test could not fail)
a=$(faketime '2021-03-04 05:06:07' date +%Y); b=$(faketime '2025-11-12 13:14:15' date +%Y)
[ "$a" = 2021 ] && [ "$b" = 2025 ] && pass faketime_moves_clock || fail faketime_moves_clock "$a $b"

twice repro_safetensors "$T/a.safetensors" x.safetensors
twice repro_safetensors_sharded "$T/a.safetensors" shards/ --shard-size 50KB
twice repro_package_zip "$T/a.safetensors" x.zip --package zip
if need_shared repro_keras; then
    K=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
    twice repro_keras "$K" x.keras
    twice repro_keras_weights "$K" x.weights.h5
    twice repro_package_zip_keras_weights "$K" x.zip --package zip --to keras-weights
    # SOURCE_DATE_EPOCH sets the zip members' time and Keras' date_saved
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
