#!/bin/bash
# Chunked .h5 tensors decoded by ckpt itself (src/formats/h5chunk.c: pread,
# zlib, shuffle, fletcher32) after the sandbox child walked their chunk
# index: h5py-made files convert to values equal to h5py's bit for bit,
# confined and unconfined, and damaged ones give one line naming the file
# and the tensor, exit 3, and no output: a corrupt deflate stream, a
# fletcher32 mismatch, a chunk index pointing past the end of the file, a
# chunk index that is not one. h5py refuses each damaged file too. A
# .keras with a chunked member read in place through the zip.
source "$(dirname "$0")/lib.sh"
"$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]
r = np.random.default_rng(3)
with h5py.File(f"{d}/good.weights.h5", "w") as f:
    f.create_dataset("layers/dense/vars/0", data=r.standard_normal((67, 45)).astype(np.float32), chunks=(16, 16), compression="gzip", shuffle=True)
    f.create_dataset("layers/dense/vars/1", data=r.standard_normal(45).astype(np.float16), chunks=(8,), fletcher32=True)
    f.create_dataset("layers/conv2d/vars/0", data=r.standard_normal((3, 3, 5, 7)), chunks=(2, 3, 5, 4), compression="gzip", compression_opts=9, shuffle=True, fletcher32=True)
    f.create_dataset("layers/conv2d/vars/1", data=r.integers(-9, 9, 7).astype(np.int8), chunks=(7,), compression="gzip")
    # left to libhdf5 (filters ckpt does not decode, an unwritten chunk)
    f.create_dataset("layers/emb/vars/0", data=np.arange(1000, 1100, dtype=np.int32), chunks=(10,), scaleoffset=0)
    s = f.create_dataset("layers/emb2/vars/0", (100,), dtype=np.int32, chunks=(10,), compression="gzip", fillvalue=7)
    s[20:30] = np.arange(10)
# damaged copies: one 2-D gzip (+fletcher32) dataset each
def one(name, **kw):
    with h5py.File(f"{d}/{name}.weights.h5", "w") as f:
        x = f.create_dataset("layers/dense/vars/0", data=r.standard_normal((64, 32)).astype(np.float32), chunks=(16, 32), **kw)
        return [x.id.get_chunk_info(i) for i in range(x.id.get_num_chunks())]
def poke(name, at, b):
    with open(f"{d}/{name}.weights.h5", "r+b") as fh:
        fh.seek(at); fh.write(b)
c = one("deflate", compression="gzip")
poke("deflate", c[1].byte_offset + c[1].size // 2, b"\xff\xff\xff\xff\x00\x00\x00\x00")
c = one("fletcher", fletcher32=True)
poke("fletcher", c[2].byte_offset + 100, b"\x01\x02\x03")
for name in ("index_past_end", "index_garbage"):
    one(name, compression="gzip")
    raw = open(f"{d}/{name}.weights.h5", "rb").read()
    t = raw.index(b"TREE\x01")   # the v1 B-tree of the chunks (h5py's default layout)
    # node: TREE, type, level, entries(2), 2 sibling addresses, then key (4 size, 4 mask, 3x8 offsets), child address
    if name == "index_past_end": poke(name, t + 24 + 32, (1 << 40).to_bytes(8, "little"))
    else: poke(name, t, b"XXXX\x09\x09")
PYEOF
export PYTHONPATH=$ROOT/tests
# values: every tensor equal to h5py's, bytes and dtype, with and without the sandbox
for mode in on off; do
    rm -f "$T/good.safetensors"
    CKPT_SANDBOX=$mode "$CKPT" convert "$T/good.weights.h5" -o "$T/good.safetensors" >/dev/null 2>"$T/err"
    check "values_equal_h5py_sandbox_$mode" "$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np, stio
d = sys.argv[1]
out = stio.read(f"{d}/good.safetensors")
ref = {}
with h5py.File(f"{d}/good.weights.h5") as f:
    f.visititems(lambda n, o: ref.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
assert len(out) == len(ref) == 6, (list(out), list(ref))
for v in out.values():
    hits = [k for k, w in ref.items() if w.dtype == v.dtype and w.shape == v.shape and w.tobytes() == v.tobytes()]
    assert len(hits) == 1, (v.dtype, v.shape)
    del ref[hits[0]]
assert not ref, ref
PYEOF
done
# damaged: h5py refuses the data too; ckpt gives one line with file and tensor, exit 3, no output
declare -A why=([deflate]="corrupt deflate stream" [fletcher]="fletcher32 checksum" [index_past_end]="lies outside the file" [index_garbage]="chunk index")
for n in deflate fletcher index_past_end index_garbage; do
    f=$T/$n.weights.h5
    if "$PY" -c "import h5py,sys; h5py.File(sys.argv[1])['layers/dense/vars/0'][()]" "$f" >/dev/null 2>&1; then
        fail "h5py_refuses_$n" "h5py read the damaged data"; continue
    fi
    pass "h5py_refuses_$n"
    for mode in on off; do
        CKPT_SANDBOX=$mode "$CKPT" convert "$f" -o "$T/$n.safetensors" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc = 3 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "$n.weights.h5" "$T/err" && grep -q "tensor '" "$T/err" &&
           grep -q "${why[$n]}" "$T/err" && [ ! -e "$T/$n.safetensors" ]; then pass "damaged_${n}_sandbox_$mode"
        else fail "damaged_${n}_sandbox_$mode" "exit $rc: $(head -c 400 "$T/err")"; fi
    done
done
# ls needs no data: the file opens, unless the child's index walk already failed
expect_exit 0 ls_corrupt_deflate_opens "$CKPT" ls "$T/deflate.weights.h5"
expect_exit 3 ls_index_past_end_refused "$CKPT" ls "$T/index_past_end.weights.h5"
# a .keras whose stored weights member is chunked: read in place through the zip
"$PY" - "$T" <<'PYEOF'
import sys, zipfile, json, shutil, h5py, numpy as np
d = sys.argv[1]
with h5py.File(f"{d}/m.weights.h5", "w") as f:
    f.create_dataset("layers/dense/vars/0", data=np.random.default_rng(1).standard_normal((40, 30)).astype(np.float32), chunks=(8, 30), compression="gzip", shuffle=True)
    f.create_dataset("layers/dense/vars/1", data=np.arange(30, dtype=np.float32))
cfg = {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [{"module": "keras.layers", "class_name": "Dense",
       "config": {"name": "dense", "units": 30}, "build_config": {"input_shape": [None, 40]}}]}}
with zipfile.ZipFile(f"{d}/m.keras", "w", zipfile.ZIP_STORED) as z:
    z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
    z.writestr("config.json", json.dumps(cfg))
    z.write(f"{d}/m.weights.h5", "model.weights.h5")
PYEOF
"$CKPT" convert "$T/m.keras" -o "$T/mk.safetensors" >/dev/null 2>"$T/err"
check keras_zip_member_chunked_equal_h5py "$PY" -c "
import stio, h5py, numpy as np
t = stio.read('$T/mk.safetensors'); f = h5py.File('$T/m.weights.h5')
assert np.array_equal(t['dense/kernel'], f['layers/dense/vars/0'][()]) and np.array_equal(t['dense/bias'], f['layers/dense/vars/1'][()]), list(t)
"
