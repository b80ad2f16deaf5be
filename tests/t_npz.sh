# NumPy .npz/.npy: names, dtypes, shapes and values against np.load
# (Debian python3-numpy), through `ckpt ls --json` and `ckpt convert` to
# safetensors read back by hand (tests/ptref.py); object arrays refused;
# broken files rejected.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests

REFS=()
ref() {
    local name=$1 f=$2
    rm -f "$T/$name.safetensors"
    if ! "$CKPT" ls --json "$f" >"$T/$name.ls.json" 2>"$T/err"; then
        fail "$name" "ls: $(head -c 300 "$T/err")"; return
    fi
    if ! "$CKPT" convert "$f" -o "$T/$name.safetensors" --quiet 2>"$T/err"; then
        fail "$name" "convert: $(head -c 300 "$T/err")"; return
    fi
    REFS+=("$name" "$f" "$T/$name.safetensors" "$T/$name.ls.json")
}

if need_shared npz_real; then
    ref npz_real_stored "$FIX/npz/candle-test/test.npz"
    ref npz_real_deflated "$FIX/npz/picklescan-int_arrays_compressed/int_arrays_compressed.npz"
    "$CKPT" info "$FIX/npz/picklescan-int_arrays_compressed/int_arrays_compressed.npz" >"$T/out" 2>&1
    check npz_info_compressed grep -q "members *compressed" "$T/out"
fi

cat > "$T/gen.py" <<'PY'
import io, sys, zipfile
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
arrs = {
    "f32": rng.standard_normal((3, 4)).astype("<f4"),
    "f64": rng.standard_normal(5),
    "f16": rng.standard_normal((2, 3)).astype("<f2"),
    "i8": np.array([-128, 0, 127], dtype="i1"),
    "u8": np.array([0, 200, 255], dtype="u1"),
    "i16": np.array([-300, 300], dtype="<i2"),
    "u16": np.array([1, 65535], dtype="<u2"),
    "i32": np.arange(-6, 6, dtype="<i4").reshape(2, 2, 3),
    "u32": np.array([4000000000], dtype="<u4"),
    "i64": np.array([-(2**62), 2**62], dtype="<i8"),
    "u64": np.array([2**64 - 1], dtype="<u8"),
    "bool": np.array([[True, False, True]]),
    "scalar": np.array(2.5, dtype="<f4"),
    "empty": np.zeros((0, 4), dtype="<f4"),
    "big_f32": rng.standard_normal((3, 2)).astype(">f4"),
    "big_i64": np.array([1, -2, 3 << 40], dtype=">i8"),
    "big_f16": rng.standard_normal(4).astype(">f2"),
    "fortran": np.asfortranarray(rng.standard_normal((3, 5)).astype("<f4")),
    "fortran3d": np.asfortranarray(np.arange(24, dtype="<i2").reshape(2, 3, 4)),
    "fortran_big": np.asfortranarray(rng.standard_normal((4, 3)).astype(">f8")),
}
np.savez(f"{d}/stored.npz", **arrs)
np.savez_compressed(f"{d}/deflated.npz", **arrs)
np.save(f"{d}/lone.npy", arrs["f32"])
np.save(f"{d}/lone_fortran.npy", arrs["fortran3d"])
np.save(f"{d}/lone_big.npy", arrs["big_f32"])
# larger than ckpt's 4 MiB chunk and its 8 MiB window: Fortran order and a
# deflated member read in several chunks
big = np.asfortranarray(rng.standard_normal((1100, 1000)).astype("<f8"))
np.savez_compressed(f"{d}/bigdeflated.npz", big=big, c=np.ascontiguousarray(big))
# object arrays hold pickles: must be refused
np.savez(f"{d}/objects.npz", ok=np.ones(2), obj=np.array([{"a": 1}, None], dtype=object))
np.save(f"{d}/objects.npy", np.array([1, "x"], dtype=object), allow_pickle=True)
# unsupported dtype, a structured dtype
np.savez(f"{d}/complex.npz", c=np.ones(2, dtype="<c8"))
np.save(f"{d}/struct.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
# corrupt headers
def npy_with_header(h, data=b""):
    h = h.encode() + b"\n"
    return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h + data
open(f"{d}/badhdr.npy", "wb").write(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) ", b"\0" * 24))
open(f"{d}/evalhdr.npy", "wb").write(npy_with_header("{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (2,), }", b"\0" * 8))
open(f"{d}/hugehdr.npy", "wb").write(b"\x93NUMPY\x02\x00" + (1 << 30).to_bytes(4, "little") + b"{")
open(f"{d}/shortdata.npy", "wb").write(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (100,), }", b"\0" * 16))
PY
if $PY "$T/gen.py" "$T" 2>"$T/err"; then
    ref npz_stored_all_dtypes "$T/stored.npz"
    ref npz_deflated_all_dtypes "$T/deflated.npz"
    ref npy_lone "$T/lone.npy"
    ref npy_lone_fortran "$T/lone_fortran.npy"
    ref npy_lone_big_endian "$T/lone_big.npy"
    ref npz_big_fortran_deflated "$T/bigdeflated.npz"
    # bounded memory: peak RSS well under the 8.8 MB arrays x 2 plus slack
    /usr/bin/time -f %M "$CKPT" convert "$T/bigdeflated.npz" -o "$T/big2.safetensors" --quiet 2>"$T/rss" >/dev/null
    rss=$(tail -1 "$T/rss")
    if [ "${CKPT_ASAN:-}" = 1 ] || [ "$rss" -lt 60000 ]; then pass npz_big_bounded_rss; else fail npz_big_bounded_rss "peak RSS ${rss} KiB"; fi

    expect_exit 3 npz_object_refused "$CKPT" ls "$T/objects.npz"
    check npz_object_refused_msg grep -q "refused object array (dtype '|O')" "$T/err"
    expect_exit 3 npy_object_refused "$CKPT" ls "$T/objects.npy"
    check npy_object_refused_msg grep -q "refused object array" "$T/err"
    expect_exit 3 npz_object_convert_refused "$CKPT" convert "$T/objects.npz" -o "$T/obj.safetensors"
    [ ! -e "$T/obj.safetensors" ] && pass npz_object_no_output || fail npz_object_no_output "output written"
    expect_exit 3 npz_complex_unsupported "$CKPT" ls "$T/complex.npz"
    check npz_complex_msg grep -q "dtype '<c8' is not supported" "$T/err"
    expect_exit 3 npy_structured_unsupported "$CKPT" ls "$T/struct.npy"
    expect_exit 3 npy_bad_header "$CKPT" ls "$T/badhdr.npy"
    check npy_bad_header_msg grep -q "bad .npy header" "$T/err"
    expect_exit 3 npy_header_not_evaluated "$CKPT" ls "$T/evalhdr.npy"
    check npy_header_not_evaluated_msg grep -q "fortran_order is not True or False" "$T/err"
    expect_exit 3 npy_huge_header "$CKPT" ls "$T/hugehdr.npy"
    expect_exit 3 npy_short_data "$CKPT" ls "$T/shortdata.npy"
    check npy_short_data_msg grep -q "truncated: array needs 800 bytes" "$T/err"
    # a truncated archive and a corrupted deflated member
    head -c 700 "$T/deflated.npz" >"$T/trunc.npz"
    expect_exit 3 npz_truncated "$CKPT" ls "$T/trunc.npz"
    $PY - "$T" <<'PY'
import sys
d = sys.argv[1]
b = bytearray(open(f"{d}/bigdeflated.npz", "rb").read())
for i in range(2000, 2100):
    b[i] ^= 0x5a
open(f"{d}/corrupt.npz", "wb").write(bytes(b))
PY
    "$CKPT" convert "$T/corrupt.npz" -o "$T/corrupt.safetensors" --quiet >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 3 ] && [ ! -e "$T/corrupt.safetensors" ]; then pass npz_corrupt_member
    else fail npz_corrupt_member "exit $rc: $(head -c 200 "$T/err")"; fi
else
    fail npz_generate "$(tail -3 "$T/err" | tr '\n' ' ')"
fi

[ ${#REFS[@]} -gt 0 ] && $PY "$ROOT/tests/ptref.py" npz "${REFS[@]}" 2>&1 | grep -E '^(PASS|FAIL)|Error'
true
