# Bad Keras inputs: each a one-line error, exit 3, and nothing written.
source "$(dirname "$0")/lib.sh"
need_shared keras_bad || exit 0
RNN=$FIX/keras2_h5/konverter-rnn_model/rnn_model.h5
K3=$FIX/keras3_keras/keras-mlx_lstm_sequential/model.keras
mkdir -p "$T/in" "$T/dst"

head -c 30000 "$RNN" >"$T/in/truncated.h5"
head -c 2000 /dev/urandom >"$T/in/random.h5"
printf 'not an hdf5 file at all\n' >"$T/in/text.hdf5"
head -c 9000 "$K3" >"$T/in/truncated.keras"
$PY - "$T/in" "$K3" <<'PY'
import h5py, sys, zipfile, numpy as np
d, k3 = sys.argv[1], sys.argv[2]
with h5py.File(d + "/plain.h5", "w") as f:          # HDF5, but no Keras weights or config
    f["x"] = np.arange(4, dtype="f4")
src = zipfile.ZipFile(k3)
def mk(name, members):
    with zipfile.ZipFile(d + "/" + name, "w") as z:
        for n, b in members:
            z.writestr(n, b)
mk("noweights.keras", [("metadata.json", src.read("metadata.json")), ("config.json", src.read("config.json"))])
w = src.read("model.weights.h5")
mk("dotdot.keras", [("config.json", src.read("config.json")), ("../x", b"evil"), ("model.weights.h5", w)])
mk("absolute.keras", [("config.json", src.read("config.json")), ("/etc/x", b"evil"), ("model.weights.h5", w)])
# corrupt: flip bytes inside the stored weights member (CRC mismatch)
b = bytearray(open(k3, "rb").read())
i = b.find(b"\x89HDF")
for k in range(i + 600, i + 700):
    b[k] ^= 0xFF
open(d + "/crc.keras", "wb").write(bytes(b))
PY

for f in truncated.h5 random.h5 text.hdf5 plain.h5 truncated.keras noweights.keras dotdot.keras absolute.keras crc.keras; do
    n=${f//./_}
    expect_exit 3 "bad_ls_$n" "$CKPT" ls "$T/in/$f"
    lines=$(wc -l <"$T/err")
    if [ "$lines" -eq 1 ] && grep -q "$f" "$T/err"; then pass "bad_msg_$n"
    else fail "bad_msg_$n" "want one line naming the file, got: $(head -c 300 "$T/err")"; fi
    expect_exit 3 "bad_convert_$n" "$CKPT" convert "$T/in/$f" -o "$T/dst/x.safetensors"
    if [ -z "$(ls -A "$T/dst")" ]; then pass "bad_nothing_written_$n"; else fail "bad_nothing_written_$n" "$(ls -A "$T/dst")"; fi
done
grep -q "outside the archive" < <("$CKPT" ls "$T/in/dotdot.keras" 2>&1) && pass zip_dotdot_says_why || fail zip_dotdot_says_why
grep -q "no model.weights.h5" < <("$CKPT" ls "$T/in/noweights.keras" 2>&1) && pass zip_missing_weights_says_why || fail zip_missing_weights_says_why
grep -q "no Keras weights" < <("$CKPT" ls "$T/in/plain.h5" 2>&1) && pass h5_without_keras_says_why || fail h5_without_keras_says_why
