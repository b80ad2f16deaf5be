#!/usr/bin/python3
"""tests/remote_meta.py FILE...: the bytes of each file's metadata, measured
with the format's own structure (independently of ckpt), one line per file:
  NAME METADATA_BYTES SIZE
HDF5: every byte that is not a dataset's raw data (h5py's low-level
  DatasetID.get_offset/get_storage_size on the local file): superblock,
  object headers, B-trees, heaps. The object headers alone are printed too.
zip (.keras, .pt, .npz): the central directory and end record, plus, for the
  members a reader needs to list tensors, their local headers and bytes
  (Python zipfile): .pt data.pkl, version, byteorder; .npz each member's
  local header and .npy header; .keras config.json, metadata.json and the
  HDF5 metadata of model.weights.h5 (measured as above on the member).
GGUF: the header (key/values and tensor infos), parsed here.
TF.js: model.json (the shards hold tensor data only)."""
import io
import os
import struct
import sys
import tempfile
import zipfile


def h5_meta(path):
    import h5py
    f = h5py.File(path, "r")
    raw = 0
    hdr = [0]

    def visit(name, obj):
        nonlocal raw
        hdr[0] += h5py.h5o.get_info(obj.id).hdr.space.total
        if isinstance(obj, h5py.Dataset):
            raw += obj.id.get_storage_size()
    hdr[0] += h5py.h5o.get_info(f.id).hdr.space.total
    f.visititems(visit)
    f.close()
    return os.path.getsize(path) - raw, hdr[0]


def local_header_len(fp, zi):
    fp.seek(zi.header_offset)
    h = fp.read(30)
    n, e = struct.unpack("<HH", h[26:30])
    return 30 + n + e


def zip_meta(path):
    size = os.path.getsize(path)
    zf = zipfile.ZipFile(path)
    cd = size - zf.start_dir          # central directory + end records
    meta = cd
    with open(path, "rb") as fp:
        for zi in zf.infolist():
            base = zi.filename.rsplit("/", 1)[-1]
            if path.endswith(".npz"):
                b = zf.open(zi).read(256)
                hl = 10 + struct.unpack("<H", b[8:10])[0] if b[6] == 1 else 12 + struct.unpack("<I", b[8:12])[0]
                meta += local_header_len(fp, zi) + hl
            elif path.endswith(".keras"):
                if base in ("config.json", "metadata.json"):
                    meta += local_header_len(fp, zi) + zi.compress_size
                elif base == "model.weights.h5":
                    with tempfile.NamedTemporaryFile(suffix=".h5") as t:
                        t.write(zf.read(zi))
                        t.flush()
                        meta += local_header_len(fp, zi) + h5_meta(t.name)[0]
            elif base in ("data.pkl", "version", "byteorder"):
                meta += local_header_len(fp, zi) + zi.compress_size
    return meta


def gguf_meta(path):
    with open(path, "rb") as f:
        b = f.read()
    pos = 4
    ver, nt, nkv = struct.unpack_from("<IQQ", b, pos)
    pos += 20
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def string(p):
        n = struct.unpack_from("<Q", b, p)[0]
        return b[p + 8:p + 8 + n], p + 8 + n

    def value(t, p):
        if t in sizes:
            return p + sizes[t]
        if t == 8:
            return string(p)[1]
        if t == 9:
            et, n = struct.unpack_from("<IQ", b, p)
            p += 12
            if et in sizes:
                return p + n * sizes[et]
            for _ in range(n):
                p = value(et, p)
            return p
        raise ValueError("bad GGUF type %d" % t)
    for _ in range(nkv):
        _, pos = string(pos)
        t = struct.unpack_from("<I", b, pos)[0]
        pos = value(t, pos + 4)
    for _ in range(nt):
        _, pos = string(pos)
        nd = struct.unpack_from("<I", b, pos)[0]
        pos += 4 + 8 * nd + 4 + 8
    return pos


for p in sys.argv[1:]:
    size = os.path.getsize(p)
    if p.endswith((".h5", ".hdf5")):
        m, h = h5_meta(p)
        print(os.path.basename(p), m, size, "object_headers=%d" % h)
    elif p.endswith((".keras", ".pt", ".npz")):
        print(os.path.basename(p), zip_meta(p), size)
    elif p.endswith(".gguf"):
        print(os.path.basename(p), gguf_meta(p), size)
    elif p.endswith(".json"):
        print(os.path.basename(p), size, size)
    else:
        raise SystemExit("unknown kind: " + p)
