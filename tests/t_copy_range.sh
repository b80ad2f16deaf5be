#!/bin/bash
# Conversions that copy bytes unchanged (safetensors -> safetensors, Keras
# HDF5 contiguous datasets, .keras stored weights -> safetensors) go file
# to file: the outputs are byte-identical with the file-to-file path, with
# copy_file_range forced (CKPT_COPY_FILE_RANGE=1) and with neither
# (CKPT_COPY_FILE_RANGE=0), and hold the input's values (NumPy / h5py read
# them). strace (when installed) shows copy_file_range in the engine's 4 MiB
# chunks when forced, read/write through 128 KiB by default on a filesystem
# that does not share extents, and --fsync never skipping every fsync while
# the default (end) flushes before the rename; on a reflinking filesystem
# (CKPT_TEST_REFLINK_DIR) filefrag shows the output's extents shared.
source "$(dirname "$0")/lib.sh"
export PYTHONPATH=$ROOT/tests
"$PY" - "$T" <<'EOF' || { fail gen "python"; exit 0; }
import sys, numpy as np, stio, kgen
T = sys.argv[1]
rng = np.random.default_rng(7)
t = {}
for i in range(40):
    dt = [np.float32, np.float16, np.int64, np.uint8, np.float64][i % 5]
    t[f"model.layers.{i}.w"] = (rng.standard_normal((i % 7 + 1, 33)) * 100).astype(dt)
t["empty"] = np.zeros((0, 4), np.float32)
t["big"] = rng.standard_normal(5 << 20).astype(np.float32)     # 20 MiB: five chunks
stio.write(T + "/in.safetensors", t, metadata={"format": "pt"})
kgen.write(T + "/in.h5", kgen.seq(kgen.dense("dense", 64, 32), kgen.dense("dense_1", 8)),
           [["dense", [["kernel", (32, 64)], ["bias", (64,)]]], ["dense_1", [["kernel", (64, 8)], ["bias", (8,)]]]])
EOF

conv() { # NAME ENV... -- ARGS...: convert, fail NAME on error
    local name=$1; shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
    env "${envs[@]}" "$CKPT" convert "$@" --quiet 2>"$T/err.$name" || { fail "$name" "$(cat "$T/err.$name")"; return 1; }
}

# safetensors, one file and sharded: same bytes both ways, input's values
conv st_fast X=1 -- "$T/in.safetensors" -o "$T/fast.safetensors"
conv st_plain CKPT_COPY_FILE_RANGE=0 -- "$T/in.safetensors" -o "$T/plain.safetensors"
cmp -s "$T/fast.safetensors" "$T/plain.safetensors" && pass st_identical || fail st_identical "outputs differ"
conv st_sh_fast X=1 -- "$T/in.safetensors" -o "$T/shf/" --shard-size 8MB
conv st_sh_plain CKPT_COPY_FILE_RANGE=0 -- "$T/in.safetensors" -o "$T/shp/" --shard-size 8MB
diff -r "$T/shf" "$T/shp" >/dev/null && [ "$(ls "$T/shf" | wc -l)" -ge 3 ] && pass st_sharded_identical \
    || fail st_sharded_identical "$(ls "$T/shf" "$T/shp")"
"$PY" - "$T" <<'EOF' && pass st_values || fail st_values "values differ from the input"
import sys, glob, numpy as np, stio
T = sys.argv[1]
a = stio.read(T + "/in.safetensors")
b = stio.read(T + "/fast.safetensors")
c = {}
for f in sorted(glob.glob(T + "/shf/*.safetensors")): c.update(stio.read(f))
assert list(a) == list(b) and set(a) == set(c), (list(a)[:3], list(b)[:3])
for k in a:
    assert a[k].dtype == b[k].dtype == c[k].dtype and a[k].shape == b[k].shape == c[k].shape, k
    assert a[k].tobytes() == b[k].tobytes() == c[k].tobytes(), k
EOF

# Keras HDF5: contiguous datasets copied from the .h5 itself
conv h5_fast X=1 -- "$T/in.h5" -o "$T/h5f.safetensors"
conv h5_plain CKPT_COPY_FILE_RANGE=0 -- "$T/in.h5" -o "$T/h5p.safetensors"
cmp -s "$T/h5f.safetensors" "$T/h5p.safetensors" && pass h5_identical || fail h5_identical "outputs differ"
"$PY" - "$T" <<'EOF' && pass h5_values || fail h5_values "values differ from h5py's"
import sys, h5py, numpy as np, stio
T = sys.argv[1]
out = stio.read(T + "/h5f.safetensors")
seen = 0
with h5py.File(T + "/in.h5") as f:
    def visit(name, obj):
        global seen
        if isinstance(obj, h5py.Dataset):
            ref = obj[()]
            assert any(out[k].shape == ref.shape and out[k].tobytes() == ref.astype("<f4").tobytes() for k in out), name
            seen += 1
    f.visititems(visit)
assert seen == 4 and len(out) == 4, (seen, list(out))
EOF

# .keras (model.weights.h5 stored): read in place inside the zip, copied from it
conv k3_make X=1 -- "$T/in.h5" --to keras -o "$T/in.keras"
conv k3_fast X=1 -- "$T/in.keras" -o "$T/k3f.safetensors"
conv k3_plain CKPT_COPY_FILE_RANGE=0 -- "$T/in.keras" -o "$T/k3p.safetensors"
cmp -s "$T/k3f.safetensors" "$T/k3p.safetensors" && pass keras_zip_identical || fail keras_zip_identical "outputs differ"
"$PY" -c "import stio; stio.assert_h5_values('$T/k3f.safetensors', '$T/in.h5', 4)" && pass keras_zip_values || fail keras_zip_values "values differ from h5py's"

# the kernel copies: strace sees copy_file_range with the fast path, none without
if command -v strace >/dev/null; then
    # CKPT_COPY_FILE_RANGE=1: every unchanged tensor is a copy_file_range
    CKPT_COPY_FILE_RANGE=1 strace -f -qq -e trace=copy_file_range -o "$T/s1" "$CKPT" convert "$T/in.safetensors" -o "$T/s1.safetensors" --quiet
    CKPT_COPY_FILE_RANGE=0 strace -f -qq -e trace=copy_file_range -o "$T/s2" "$CKPT" convert "$T/in.safetensors" -o "$T/s2.safetensors" --quiet
    n1=$(grep -c 'copy_file_range(.*= [1-9]' "$T/s1"); n2=$(grep -c copy_file_range "$T/s2")
    [ "$n1" -ge 40 ] && [ "$n2" = 0 ] && pass strace_copy_file_range || fail strace_copy_file_range "fast $n1 calls, plain $n2"
    cmp -s "$T/s1.safetensors" "$T/plain.safetensors" && pass kernel_copy_identical || fail kernel_copy_identical "outputs differ"
    CKPT_COPY_FILE_RANGE=1 strace -f -qq -e trace=copy_file_range -o "$T/s3" "$CKPT" convert "$T/in.h5" -o "$T/s3.safetensors" --quiet
    grep -q 'copy_file_range(.*= [1-9]' "$T/s3" && pass strace_h5_copy || fail strace_h5_copy "$(head -3 "$T/s3")"
    CKPT_COPY_FILE_RANGE=1 strace -f -qq -e trace=copy_file_range -o "$T/s4" "$CKPT" convert "$T/in.keras" -o "$T/s4.safetensors" --quiet
    [ "$(grep -c 'copy_file_range(.*= [1-9]' "$T/s4")" = 4 ] && pass strace_keras_zip_copy || fail strace_keras_zip_copy "$(head -3 "$T/s4")"
    # by default, on a filesystem that does not share extents (ext4, tmpfs),
    # the copy is read/write through a 128 KiB buffer (measured faster than
    # the kernel's page-by-page splice: docs/design.md)
    case $(stat -f -c %T "$T") in
    xfs|btrfs|bcachefs|zfs|nfs|smb2|cifs|ocfs2) skip auto_read_write "$T is on a filesystem that reflinks" ;;
    *)
        strace -f -qq -e trace=copy_file_range,pread64 -o "$T/s5" "$CKPT" convert "$T/in.safetensors" -o "$T/s5.safetensors" --quiet
        n5=$(grep -c copy_file_range "$T/s5"); b5=$(grep -c 'pread64(.*, 131072, [0-9]*) = 131072' "$T/s5")
        [ "$n5" = 0 ] && [ "$b5" -ge 160 ] && cmp -s "$T/s5.safetensors" "$T/plain.safetensors" && pass auto_read_write \
            || fail auto_read_write "copy_file_range $n5 calls, 128 KiB reads $b5"
        ;;
    esac
    strace -f -qq -e trace=fsync,fdatasync -o "$T/f1" "$CKPT" convert "$T/in.safetensors" -o "$T/f1.safetensors" --quiet --fsync never
    strace -f -qq -e trace=fsync,fdatasync -o "$T/f2" "$CKPT" convert "$T/in.safetensors" -o "$T/f2.safetensors" --quiet
    [ "$(grep -c fsync "$T/f1")" = 0 ] && [ "$(grep -c 'fsync(' "$T/f2")" -ge 2 ] && pass fsync_policy \
        || fail fsync_policy "never: $(grep -c fsync "$T/f1"), end: $(grep -c fsync "$T/f2")"
    cmp -s "$T/f1.safetensors" "$T/f2.safetensors" && pass fsync_never_same_bytes || fail fsync_never_same_bytes ""
else
    skip strace_copy_file_range "strace missing"
fi

# the kernel copies in the engine's 4 MiB chunks (progress and cancel in between):
# the 20 MiB tensor takes five calls
if command -v strace >/dev/null; then
    n=$(grep -c 'copy_file_range(.*, 4194304, 0) = 4194304' "$T/s1")
    [ "$n" -ge 5 ] && pass copy_in_chunks || fail copy_in_chunks "$n calls of 4 MiB"
fi
# on a filesystem that shares extents (CKPT_TEST_REFLINK_DIR: a folder on XFS
# or btrfs), a ckpt-written safetensors converted again (same header, so its
# tensors sit at offsets congruent to the block size) is reflinked: filefrag
# reports shared extents; the bytes are the same as the plain path's
if [ -n "${CKPT_TEST_REFLINK_DIR:-}" ] && command -v filefrag >/dev/null; then
    R=$(mktemp -d "$CKPT_TEST_REFLINK_DIR/ckpt-reflink.XXXXXX")
    cp "$T/plain.safetensors" "$R/a.safetensors"
    conv reflink X=1 -- "$R/a.safetensors" -o "$R/b.safetensors"
    if cmp -s "$R/b.safetensors" "$T/plain.safetensors" && filefrag -v "$R/b.safetensors" | grep -q shared; then pass reflink_shared
    else fail reflink_shared "$(filefrag -v "$R/b.safetensors" | head -5)"; fi
    conv reflink_h5 X=1 -- "$T/in.h5" -o "$R/h5.safetensors"
    cmp -s "$R/h5.safetensors" "$T/h5p.safetensors" && pass reflink_h5_identical || fail reflink_h5_identical "outputs differ"
    rm -rf "$R"
else
    skip reflink_shared "CKPT_TEST_REFLINK_DIR unset (a folder on XFS or btrfs)"
fi
expect_exit 2 fsync_bad_value "$CKPT" convert "$T/in.safetensors" -o "$T/bad.safetensors" --fsync sometimes
grep -q "fsync wants 'end' or 'never'" "$T/err" && [ ! -e "$T/bad.safetensors" ] && pass fsync_bad_message \
    || fail fsync_bad_message "$(cat "$T/err")"

# a real file
if need_shared real_identical; then
    f=$FIX/safetensors/hf-samples-overall/overall.safetensors
    "$CKPT" convert "$f" -o "$T/r1.safetensors" --quiet && CKPT_COPY_FILE_RANGE=0 "$CKPT" convert "$f" -o "$T/r2.safetensors" --quiet \
        && cmp -s "$T/r1.safetensors" "$T/r2.safetensors" && pass real_identical || fail real_identical "$(cat "$T"/err.* 2>/dev/null | head -3)"
fi
