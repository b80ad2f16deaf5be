#!/bin/bash
# A .keras whose stored model.weights.h5 no longer matches its zip CRC but
# still parses as HDF5 (a byte flipped inside a kernel's data, or the
# directory's CRC field changed): Python's zipfile (testzip) and h5py are the
# references that the file is so. The member is read in place and its CRC is
# taken over the bytes the conversion copies (src/formats/zip_crc.c), so
# `ls` (metadata only) works, but convert fails with one line naming the
# zip, the member and its byte offset, exit 3, and leaves nothing: by the default
# copy, with copy_file_range (CKPT_COPY_FILE_RANGE=1: the check then reads
# the member itself) and without the file-to-file path (=0); `diff --values`
# refuses it too. The intact file converts to h5py's values.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
"$PY" - "$T" <<'EOF2' || { fail gen "python"; exit 0; }
import sys, kgen
T = sys.argv[1]
kgen.write(T + "/in.h5", kgen.seq(kgen.dense("dense", 256, 128), kgen.dense("dense_1", 64)),
           [["dense", [["kernel", (128, 256)], ["bias", (256,)]]], ["dense_1", [["kernel", (256, 64)], ["bias", (64,)]]]])
EOF2
"$CKPT" convert "$T/in.h5" --to keras -o "$T/good.keras" --quiet 2>"$T/err" || { fail make_keras "$(cat "$T/err")"; exit 0; }
"$PY" - "$T" <<'EOF2' || { fail damage "python"; exit 0; }
import io, sys, struct, zipfile, h5py, numpy as np
T = sys.argv[1]
raw = bytearray(open(T + "/good.keras", "rb").read())
z = zipfile.ZipFile(T + "/good.keras")
info = z.getinfo("model.weights.h5")
assert info.compress_type == zipfile.ZIP_STORED
# where the member's bytes start: after its local header
n, e = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
base = info.header_offset + 30 + n + e
with h5py.File(io.BytesIO(bytes(raw[base:base + info.file_size]))) as f:
    k = f["layers/dense/vars/0"]
    at = base + k.id.get_offset() + 1000          # inside dense's kernel
data = bytearray(raw); data[at] ^= 0x40
open(T + "/data.keras", "wb").write(data)
cd = bytearray(raw)                             # the central directory's CRC field
i = cd.rfind(b"PK\x01\x02" + raw[info.header_offset + 4:info.header_offset + 8])
i = [j for j in range(len(cd)) if cd[j:j + 4] == b"PK\x01\x02" and cd[j + 46:j + 46 + 16] == b"model.weights.h5"][0]
cd[i + 16] ^= 0x01
open(T + "/cd.keras", "wb").write(cd)
for name in ("data", "cd"):
    zz = zipfile.ZipFile(T + "/%s.keras" % name)
    assert zz.testzip() == "model.weights.h5", name       # the reference: CRC mismatch
    with h5py.File(io.BytesIO(open(T + "/%s.keras" % name, "rb").read()[base:base + info.file_size])) as f:
        assert f["layers/dense/vars/0"].shape == (128, 256), name   # and HDF5 still parses
EOF2

# the directory's CRC against the local header's: libzip's consistency check
# at open already calls the zip damaged; a flipped data byte only the CRC finds
expect_exit 0 ls_data "$CKPT" ls "$T/data.keras"
for f in data cd; do
    for mode in auto 1 0; do
        mkdir -p "$T/out_$f$mode"
        if [ $mode = auto ]; then expect_exit 3 "convert_${f}_$mode" "$CKPT" convert "$T/$f.keras" -o "$T/out_$f$mode/x.safetensors" --quiet
        else expect_exit 3 "convert_${f}_$mode" env CKPT_COPY_FILE_RANGE=$mode "$CKPT" convert "$T/$f.keras" -o "$T/out_$f$mode/x.safetensors" --quiet; fi
        want="at byte [0-9]+: corrupt zip member 'model.weights.h5': .*CRC"; [ $f = cd ] && want=damaged
        if [ "$(wc -l <"$T/err")" = 1 ] && grep -q "$f.keras" "$T/err" && grep -Eq "$want" "$T/err"; then pass "msg_${f}_$mode"
        else fail "msg_${f}_$mode" "$(head -c 300 "$T/err")"; fi
        [ -z "$(ls -A "$T/out_$f$mode")" ] && pass "nothing_left_${f}_$mode" || fail "nothing_left_${f}_$mode" "$(ls -A "$T/out_$f$mode")"
    done
done
expect_exit 3 diff_reads_values "$CKPT" diff --values "$T/data.keras" "$T/good.keras"
grep -q "CRC" "$T/err" && pass diff_says_crc || fail diff_says_crc "$(head -c 300 "$T/err")"

# the intact one: converts, h5py's values
expect_exit 0 convert_good "$CKPT" convert "$T/good.keras" -o "$T/good.safetensors" --quiet
"$PY" -c "import stio; stio.assert_h5_values('$T/good.safetensors', '$T/in.h5', 4)" && pass good_values || fail good_values "values differ from h5py's"
