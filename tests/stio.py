# tests/stio.py: read and write safetensors with NumPy only, by hand from the
# format's definition (8-byte little-endian header length, JSON header with
# dtype / shape / data_offsets, then the bytes), so the tests do not depend
# on ckpt to check ckpt.
import json
import struct

import numpy as np

DT = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
      "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
NP2ST = {np.dtype(v).str: k for k, v in DT.items()}


def write(path, tensors, metadata=None):
    """tensors: dict name -> np.ndarray (insertion order kept)."""
    header, off, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": NP2ST[a.dtype.str if a.dtype.str[0] != ">" else a.dtype.newbyteorder("<").str],
                        "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read(path):
    """-> dict name -> np.ndarray, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        s, e = v["data_offsets"]
        dt = np.dtype(DT[v["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(data[base + s:base + e], dtype=dt).reshape(v["shape"])
    return out


def shapes(path):
    return {k: list(v.shape) for k, v in read(path).items()}


def assert_h5_values(st_path, h5_path, n):
    """The n tensors of a safetensors file hold exactly the datasets of an
    HDF5 file (as little-endian float32, compared as a multiset of bytes)."""
    import h5py
    a = sorted(v.tobytes() for v in read(st_path).values())
    b = []
    with h5py.File(h5_path) as f:
        f.visititems(lambda _, o: b.append(o[()].astype("<f4").tobytes()) if isinstance(o, h5py.Dataset) else None)
    assert a == sorted(b) and len(a) == n, (len(a), len(b))
