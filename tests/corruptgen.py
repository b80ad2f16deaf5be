# tests/corruptgen.py: damaged copies of real checkpoints for t_corrupt.sh.
#
#   python3 corruptgen.py FIXDIR OUTDIR > manifest.tsv
#
# Each manifest line: group, case, kind, input path (what ckpt is given),
# damaged path (the file the error must name), tab-separated.  kind is
#   trunc   the damaged file is a truncated copy: convert must fail
#   del     a file the model needs is missing: every command must fail
#   crc     a zip member's bytes (or its directory CRC) damaged where the reader
#           reads the whole member: convert must fail (the zip CRC says so)
#   flip    bytes overwritten: a reader may accept it (exit 0) or refuse it (exit 3)
# Offsets come from the format definitions (safetensors length prefix, GGUF
# header walk, zip EOCD/central directory, HDF5 dataset offsets via h5py), not
# from ckpt.  Everything is deterministic: the same offsets every run.
import json
import os
import random
import shutil
import struct
import sys
import zipfile

FIX, OUT = sys.argv[1], sys.argv[2]
rows = []


def emit(group, case, kind, inp, damaged):
    rows.append("\t".join([group, case, kind, inp, damaged]))


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def single(group, src, truncs=(), flips=(), sets=(), ext=None):
    """Damaged copies of one self-contained file.
    truncs: offsets; flips: offsets XORed with 0xFF; sets: (offset, bytes, tag)."""
    data = open(src, "rb").read()
    ext = ext or os.path.splitext(src)[1]
    n = len(data)
    for off in sorted({o for o in truncs if 0 <= o < n}):
        p = f"{OUT}/{group}/trunc{off}{ext}"
        put(p, data[:off])
        emit(group, f"trunc@{off}", "trunc", p, p)
    for off in sorted({o for o in flips if 0 <= o < n}):
        b = bytearray(data)
        b[off] ^= 0xFF
        p = f"{OUT}/{group}/flip{off}{ext}"
        put(p, bytes(b))
        emit(group, f"flip@{off}", "flip", p, p)
    for off, val, tag in sets:
        if off < 0 or off + len(val) > n:
            continue
        b = bytearray(data)
        b[off:off + len(val)] = val
        p = f"{OUT}/{group}/{tag}{ext}"
        put(p, bytes(b))
        emit(group, f"{tag}@{off}", "flip", p, p)


def spread(lo, hi, k, seed):
    """k deterministic offsets in [lo, hi)."""
    if hi <= lo:
        return []
    r = random.Random(seed)
    return [r.randrange(lo, hi) for _ in range(k)]


def common_truncs(n, hdr_end):
    return [0, 1, 7, 8, 9, hdr_end - 1, hdr_end, hdr_end + 1,
            (hdr_end + n) // 2, n - 1]


# ---------------- safetensors ----------------
def safetensors(group, src, light=False):
    data = open(src, "rb").read()
    hl = struct.unpack("<Q", data[:8])[0]
    hdr_end = 8 + hl
    q8 = lambda v: struct.pack("<Q", v)
    single(group, src,
           truncs=common_truncs(len(data), hdr_end) + [hdr_end // 2],
           flips=[] if light else [8, hdr_end - 1] + spread(9, hdr_end - 1, 2, group),
           sets=[(0, q8(2**63 + 5), "hlen_huge"), (0, q8(0), "hlen_zero"),
                 (0, q8(len(data)), "hlen_filesize"), (0, q8(hl + 1), "hlen_plus1")])
    # data_offsets pointing past the end / reversed, done on the JSON text
    hdr = json.loads(data[8:hdr_end])
    name = next(k for k in hdr if k != "__metadata__")
    for tag, offs in (("offs_past_end", [0, len(data) * 4]), ("offs_reversed", [16, 8]),
                      ("offs_huge", [0, 2**64 - 1])):
        h = dict(hdr)
        h[name] = dict(h[name], data_offsets=offs)
        j = json.dumps(h, separators=(",", ":")).encode()
        p = f"{OUT}/{group}/{tag}.safetensors"
        put(p, struct.pack("<Q", len(j)) + j + data[hdr_end:])
        emit(group, tag, "flip", p, p)


def safetensors_sharded(group, src):
    """Three shards + index made from a real file; damage one shard each way."""
    data = open(src, "rb").read()
    hl = struct.unpack("<Q", data[:8])[0]
    hdr = json.loads(data[8:8 + hl])
    names = [k for k in hdr if k != "__metadata__"]
    parts = [names[i::3] for i in range(3)]
    base = 8 + hl

    def build(d):
        wm = {}
        for i, part in enumerate(parts):
            fn = f"model-{i + 1:05d}-of-00003.safetensors"
            h, blobs, off = {}, [], 0
            for k in part:
                s, e = hdr[k]["data_offsets"]
                h[k] = {"dtype": hdr[k]["dtype"], "shape": hdr[k]["shape"],
                        "data_offsets": [off, off + e - s]}
                blobs.append(data[base + s:base + e])
                off += e - s
                wm[k] = fn
            j = json.dumps(h).encode()
            j += b" " * (-len(j) % 8)
            put(f"{d}/{fn}", struct.pack("<Q", len(j)) + j + b"".join(blobs))
        idx = f"{d}/model.safetensors.index.json"
        put(idx, json.dumps({"metadata": {}, "weight_map": wm}).encode())
        return idx

    shard = "model-00002-of-00003.safetensors"
    for case in ("trunc_mid", "trunc_hdr", "trunc_last", "missing", "idx_trunc", "idx_garbage"):
        d = f"{OUT}/{group}/{case}"
        idx = build(d)
        sp = f"{d}/{shard}"
        sd = open(sp, "rb").read()
        if case == "trunc_mid":
            put(sp, sd[:len(sd) // 2]); emit(group, case, "trunc", idx, sp)
        elif case == "trunc_hdr":
            put(sp, sd[:20]); emit(group, case, "trunc", idx, sp)
        elif case == "trunc_last":
            put(sp, sd[:-1]); emit(group, case, "trunc", idx, sp)
        elif case == "missing":
            os.unlink(sp); emit(group, case, "del", idx, sp)
        elif case == "idx_trunc":
            t = open(idx, "rb").read()
            put(idx, t[:len(t) // 2]); emit(group, case, "trunc", idx, idx)
        else:
            t = bytearray(open(idx, "rb").read())
            t[0] = ord("#"); put(idx, bytes(t)); emit(group, case, "trunc", idx, idx)
    # the directory form: a shard missing must be named too
    d = f"{OUT}/{group}/dir_missing"
    build(d)
    os.unlink(f"{d}/{shard}")
    emit(group, "dir_missing", "del", d, f"{d}/{shard}")


# ---------------- GGUF ----------------
def gguf_layout(data):
    """-> dict of interesting offsets, from the GGUF definition."""
    p = 24
    nt, nkv = struct.unpack_from("<QQ", data, 8)
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    lay = {"kv_start": 24, "arr_counts": [], "str_lens": [], "kv_types": []}
    align = 32

    def rstr(p):
        n = struct.unpack_from("<Q", data, p)[0]
        return p + 8 + n, data[p + 8:p + 8 + n]

    def skip_array(p):   # p at the element type; nested arrays recurse
        at, cnt = struct.unpack_from("<IQ", data, p)
        p += 12
        for _ in range(cnt if at in (8, 9) else 0):
            p = rstr(p)[0] if at == 8 else skip_array(p)
        return p if at in (8, 9) else p + sizes[at] * cnt

    for i in range(nkv):
        lay["str_lens"].append(p)
        p, key = rstr(p)
        t = struct.unpack_from("<I", data, p)[0]
        lay["kv_types"].append(p)
        p += 4
        if t == 8:
            lay["str_lens"].append(p)
            p, _ = rstr(p)
        elif t == 9:
            lay["arr_counts"].append(p + 4)
            p = skip_array(p)
        else:
            if key == b"general.alignment":
                align = struct.unpack_from("<I", data, p)[0]
            p += sizes[t]
    lay["kv_end"] = p
    lay["ti"] = []
    for i in range(nt):
        lay["ti"].append(p)
        p, _ = rstr(p)
        nd = struct.unpack_from("<I", data, p)[0]
        p += 4 + 8 * nd + 4 + 8
    lay["ti_end"] = p
    lay["data_start"] = p + (-p % align)
    return lay


def gguf(group, src, light=False):
    data = open(src, "rb").read()
    n = len(data)
    L = gguf_layout(data)
    q8 = lambda v: struct.pack("<Q", v)
    sets = [(8, q8(2**40), "ntensors_huge"), (16, q8(2**40), "nkv_huge"),
            (16, q8(2**64 - 1), "nkv_max")]
    for i, off in enumerate(L["str_lens"][:2] + L["str_lens"][-1:]):
        sets.append((off, q8(2**62), f"strlen{i}_huge"))
        sets.append((off, q8(n), f"strlen{i}_filesize"))
    for i, off in enumerate(L["arr_counts"][:2]):
        sets.append((off, q8(2**61), f"arrcount{i}_huge"))
        sets.append((off, q8(2**32 + 1), f"arrcount{i}_big"))
    for i, off in enumerate(L["kv_types"][:1]):
        sets.append((off, struct.pack("<I", 99), f"kvtype{i}_bad"))
        sets.append((off, struct.pack("<I", 9), f"kvtype{i}_array"))
    if L["ti"]:
        t0 = L["ti"][0]
        nl = struct.unpack_from("<Q", data, t0)[0]
        nd_off = t0 + 8 + nl
        nd = struct.unpack_from("<I", data, nd_off)[0]
        sets += [(nd_off, struct.pack("<I", 2**31), "ndims_huge"),
                 (nd_off + 4, q8(2**62), "dim0_huge"),
                 (nd_off + 4 + 8 * nd, struct.pack("<I", 77), "ggmltype_bad"),
                 (nd_off + 4 + 8 * nd + 4, q8(2**63), "toffset_huge"),
                 (nd_off + 4 + 8 * nd + 4, q8(n), "toffset_filesize"),
                 (nd_off + 4 + 8 * nd + 4, struct.pack("<Q", 3), "toffset_misaligned")]
    kv_mid = (L["kv_start"] + L["kv_end"]) // 2
    # the last byte of tensor data, not of the file: trailing alignment
    # padding is optional (llama.cpp's vocab files end without it), so a file
    # cut only there is whole (padding is zeros, data may end in zeros too:
    # the last nonzero byte is always inside a tensor)
    last = max(len(data.rstrip(b"\0")) - 1, L["data_start"])
    truncs = [0, 4, 9, 24, kv_mid, L["kv_end"] - 1, L["kv_end"],
              L["ti_end"] - 1, L["ti_end"], L["data_start"] - 1, L["data_start"] + 1,
              (L["data_start"] + n) // 2, last]
    if light:
        truncs = [0, 8, 24, kv_mid, L["kv_end"] - 1, L["ti_end"] - 1, L["data_start"] + 1,
                  (L["data_start"] + n) // 2, last]
        sets = [x for x in sets if "strlen" in x[2] or "arrcount" in x[2]]
    single(group, src, truncs=truncs,
           flips=[] if light else [4, 16 + 4],
           sets=sets)


# ---------------- zip containers (.keras, torch .pt, .npz) ----------------
def zip_layout(data):
    e = data.rfind(b"PK\x05\x06")
    cd_size, cd_off = struct.unpack_from("<II", data, e + 12)
    entries, p = [], cd_off
    while p < e and data[p:p + 4] == b"PK\x01\x02":
        csize, usize = struct.unpack_from("<II", data, p + 20)
        nl, xl, cl = struct.unpack_from("<HHH", data, p + 28)
        lho = struct.unpack_from("<I", data, p + 42)[0]
        name = data[p + 46:p + 46 + nl].decode()
        lnl, lxl = struct.unpack_from("<HH", data, lho + 26)
        entries.append({"name": name, "cd": p, "lho": lho, "data": lho + 30 + lnl + lxl,
                        "csize": csize})
        p += 46 + nl + xl + cl
    return {"eocd": e, "cd": cd_off, "entries": entries}


def zipfile_(group, src, members=(), light=False):
    """members: names (or suffixes) whose data gets damaged bytes; a leading
    '?' marks one the reader may never read (no CRC check then)."""
    data = open(src, "rb").read()
    n = len(data)
    Z = zip_layout(data)
    ents = Z["entries"]
    first = ents[0]
    big = max(ents, key=lambda x: x["csize"])
    cd, eocd = Z["cd"], Z["eocd"]
    truncs = [0, 4, 9, first["data"] - 1, first["data"] + 1,
              big["data"] + big["csize"] // 2, cd - 1, cd + 1, eocd - 1, eocd + 10, n - 1]
    q4 = lambda v: struct.pack("<I", v)
    sets = [(cd, b"XXXX", "cd_sig"),
            (first["cd"] + 42, q4(0x7FFFFFF0), "cd_lho_huge"),
            (big["cd"] + 20, q4(0xFFFFFFF0), "cd_csize_huge"),
            (big["cd"] + 24, q4(0xFFFFFFF0), "cd_usize_huge"),
            (big["cd"] + 28, struct.pack("<H", 0xFFFF), "cd_namelen_huge"),
            (eocd + 10, struct.pack("<H", 0xFFFF), "eocd_count"),
            (eocd + 16, q4(n + 100), "eocd_cdoff_past"),
            (eocd + 12, q4(0), "eocd_cdsize_zero"),
            (big["lho"], b"QQQQ", "local_sig"),
            (big["lho"] + 26, struct.pack("<H", 0xFFFF), "local_namelen")]
    for m in members:
        kind = "flip" if m.startswith("?") else "crc"
        m = m.lstrip("?")
        e = next((x for x in ents if x["name"] == m or x["name"].endswith("/" + m)), None)
        if e is None:
            continue
        for frac, tag in ((0, "head"), (2, "mid")):
            off = e["data"] + (e["csize"] // frac if frac else min(2, e["csize"] - 1))
            b = bytearray(data)
            for k in range(off, min(off + 4, e["data"] + e["csize"])):
                b[k] ^= 0x5A
            safe = m.replace("/", "_")
            p = f"{OUT}/{group}/member_{safe}_{tag}{os.path.splitext(src)[1]}"
            put(p, bytes(b))
            emit(group, f"member:{m}:{tag}", kind, p, p)
    if light:
        truncs = [0, 9, big["data"] + big["csize"] // 2, cd + 1, eocd - 1, n - 1]
        sets = [x for x in sets if x[2] in ("cd_sig", "cd_csize_huge", "eocd_cdoff_past", "local_sig")]
    single(group, src, truncs=truncs, flips=[] if light else [2, cd + 8, eocd + 4], sets=sets)
    # the directory's CRC of the largest member wrong: that member reads as damaged
    b = bytearray(data)
    b[big["cd"] + 16:big["cd"] + 20] = q4(0 if struct.unpack_from("<I", data, big["cd"] + 16)[0] else 1)
    p = f"{OUT}/{group}/cd_crc_wrong{os.path.splitext(src)[1]}"
    put(p, bytes(b))
    emit(group, "cd_crc_wrong", "crc", p, p)


# ---------------- HDF5 ----------------
def hdf5(group, src, light=False):
    import h5py
    data = open(src, "rb").read()
    n = len(data)
    offs = []
    with h5py.File(src, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                o = obj.id.get_offset()
                if o is not None:
                    offs.append((o, obj.id.get_storage_size()))
        f.visititems(visit)
    offs.sort()
    first = offs[0][0] if offs else 2048
    last = offs[-1] if offs else (n // 2, 1)
    truncs = [0, 7, 8, 96, 800, 2048, first - 1, first + 1,
              last[0] + last[1] // 2, n // 2, n - 1]
    # superblock fields (v0: versions, sizes, addresses) and object headers
    flips = [8, 13, 16, 24, 40, 64] + spread(96, min(first, 4096), 4, group)
    q8 = lambda v: struct.pack("<Q", v)
    sets = [(40, q8(2**62), "eof_huge"), (40, q8(100), "eof_small"),
            (64, q8(2**40), "root_huge")]
    if light:
        truncs, flips = [0, 8, 96, 800, 2048, first + 1, n // 2, n - 1], spread(96, min(first, 4096), 3, group)
        sets = sets[:1]
    single(group, src, truncs=truncs, flips=flips, sets=sets)


# ---------------- torch legacy (pickle stream) ----------------
def torch_legacy(group, src):
    data = open(src, "rb").read()
    n = len(data)
    truncs = [0, 2, 9, 10, 64, 200, 300, 400, n // 2, n - 40, n - 8, n - 1]
    single(group, src, truncs=truncs, flips=spread(0, n, 8, group))


# ---------------- TF.js (model.json + shards) ----------------
def tfjs(group, srcdir, js="model.json", light=False):
    files = os.listdir(srcdir)
    m = json.load(open(f"{srcdir}/{js}"))
    shard = m["weightsManifest"][0]["paths"][0]
    sj = open(f"{srcdir}/{js}", "rb").read()

    def copy(case):
        d = f"{OUT}/{group}/{case}"
        os.makedirs(d, exist_ok=True)
        for fn in files:
            if fn == js or not fn.endswith(".json"):
                shutil.copy(f"{srcdir}/{fn}", f"{d}/{fn}")
        shutil.copy(f"{srcdir}/{js}", f"{d}/{js}")
        return d

    sd = open(f"{srcdir}/{shard}", "rb").read()
    for cut in sorted({0, len(sd) - 1} if light else {0, 1, len(sd) // 2, len(sd) - 1}):
        d = copy(f"bin_trunc{cut}")
        put(f"{d}/{shard}", sd[:cut])
        emit(group, f"{shard}:trunc@{cut}", "trunc", f"{d}/{js}", f"{d}/{shard}")
    d = copy("bin_missing")
    os.unlink(f"{d}/{shard}")
    emit(group, f"{shard}:missing", "del", f"{d}/{js}", f"{d}/{shard}")
    for cut in sorted({len(sj) // 2} if light else {0, 1, len(sj) // 3, len(sj) // 2, len(sj) - 2}):
        d = copy(f"json_trunc{cut}")
        put(f"{d}/{js}", sj[:cut])
        emit(group, f"{js}:trunc@{cut}", "trunc", f"{d}/{js}", f"{d}/{js}")
    if light:
        return
    # shape/dtype/path damage inside the manifest
    w0 = m["weightsManifest"][0]["weights"][0]
    for tag, fn in (("shape_huge", lambda w: w.update(shape=[2**31, 2**31, 4])),
                    ("shape_neg", lambda w: w.update(shape=[-1, 4])),
                    ("dtype_bad", lambda w: w.update(dtype="complex256")),
                    ("shape_str", lambda w: w.update(shape="abc"))):
        mm = json.loads(sj)
        fn(mm["weightsManifest"][0]["weights"][0])
        d = copy(f"json_{tag}")
        put(f"{d}/{js}", json.dumps(mm).encode())
        emit(group, f"{js}:{tag}", "flip", f"{d}/{js}", f"{d}/{js}")
    for tag, paths in (("path_dotdot", ["../../etc/passwd"]), ("path_abs", ["/etc/passwd"]),
                       ("paths_empty", []), ("paths_num", [7])):
        mm = json.loads(sj)
        mm["weightsManifest"][0]["paths"] = paths
        d = copy(f"json_{tag}")
        put(f"{d}/{js}", json.dumps(mm).encode())
        emit(group, f"{js}:{tag}", "flip", f"{d}/{js}", f"{d}/{js}")


# ---------------- Keras 2 weights + sibling architecture JSON ----------------
def keras2_weights(group, srcdir, h5, js):
    hd = open(f"{srcdir}/{h5}", "rb").read()
    jd = open(f"{srcdir}/{js}", "rb").read()
    for case, hb, jb in (("h5_trunc_mid", hd[:len(hd) // 2], jd),
                         ("h5_trunc_last", hd[:-1], jd),
                         ("json_trunc", hd, jd[:len(jd) // 2]),
                         ("json_empty", hd, b"")):
        d = f"{OUT}/{group}/{case}"
        put(f"{d}/{h5}", hb)
        put(f"{d}/{js}", jb)
        dam = f"{d}/{h5}" if case.startswith("h5") else f"{d}/{js}"
        # a broken sidecar JSON may be ignored (it is optional), so "flip"
        emit(group, case, "trunc" if case.startswith("h5") else "flip", f"{d}/{h5}", dam)


# ---------------- generated: Keras 3 sharded weights, .npy, GGUF with blocks ----------------
def keras3_sharded(group, keras_zip):
    """model.weights.json + two shards, split from a real .keras's weights (h5py copy)."""
    import h5py
    z = zipfile.ZipFile(keras_zip)
    base = f"{OUT}/{group}/src"
    os.makedirs(base, exist_ok=True)
    open(f"{base}/w.h5", "wb").write(z.read("model.weights.h5"))
    cfg = z.read("config.json")

    def build(d):
        os.makedirs(d, exist_ok=True)
        open(f"{d}/config.json", "wb").write(cfg)
        wm = {}
        with h5py.File(f"{base}/w.h5", "r") as f:
            layers = sorted(f["layers"].keys())
            for i, part in enumerate((layers[:len(layers) // 2], layers[len(layers) // 2:])):
                fn = f"model_{i:05d}.weights.h5"
                with h5py.File(f"{d}/{fn}", "w") as o:
                    for l in part:
                        f.copy(f["layers/" + l], o, "layers/" + l)
                        wm[f"/layers/{l}/vars"] = [fn]
        idx = f"{d}/model.weights.json"
        put(idx, json.dumps({"metadata": {}, "weight_map": wm}).encode())
        return idx

    sh = "model_00001.weights.h5"
    for case in ("trunc_mid", "trunc_head", "trunc_last", "missing", "idx_trunc"):
        d = f"{OUT}/{group}/{case}"
        idx = build(d)
        sp = f"{d}/{sh}"
        sd = open(sp, "rb").read()
        if case == "missing":
            os.unlink(sp); emit(group, case, "del", idx, sp)
        elif case == "idx_trunc":
            t = open(idx, "rb").read()
            put(idx, t[:len(t) // 2]); emit(group, case, "trunc", idx, idx)
        else:
            cut = {"trunc_mid": len(sd) // 2, "trunc_head": 40, "trunc_last": len(sd) - 1}[case]
            put(sp, sd[:cut]); emit(group, case, "trunc", idx, sp)


def npy(group):
    import numpy as np
    src = f"{OUT}/{group}/src.npy"
    os.makedirs(os.path.dirname(src), exist_ok=True)
    np.save(src, np.arange(60, dtype="<f4").reshape(3, 4, 5))
    data = open(src, "rb").read()
    hl = struct.unpack_from("<H", data, 8)[0]
    hdr_end = 10 + hl
    h = data[10:hdr_end]
    sets = [(8, struct.pack("<H", 0xFFFF), "hlen_huge"), (6, b"\x09", "version_bad")]
    for tag, a, b in (("shape_huge", b"(3, 4, 5)", b"(3, 4, 9999999999999)"),
                      ("shape_neg", b"(3, 4, 5)", b"(3, 4, -5)"),
                      ("descr_bad", b"'<f4'", b"'<q9'"),
                      ("descr_object", b"'<f4'", b"'|O'"),
                      ("fortran_garbage", b"'fortran_order': False", b"'fortran_order': Fals!")):
        nh = h.replace(a, b)
        nh = nh.rstrip(b" \n")
        nh += b" " * (-(10 + len(nh) + 1) % 64) + b"\n"
        p = f"{OUT}/{group}/{tag}.npy"
        put(p, data[:8] + struct.pack("<H", len(nh)) + nh + data[hdr_end:])
        emit(group, tag, "flip", p, p)
    single(group, src, truncs=common_truncs(len(data), hdr_end) + [hdr_end // 2],
           flips=[6, 20, hdr_end - 2], sets=sets)


def gguf_generated(group):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ggufref
    src = f"{OUT}/{group}/src.gguf"
    os.makedirs(os.path.dirname(src), exist_ok=True)
    ggufref.make(src)
    gguf(group, src, light=True)


R = f"{FIX}"
safetensors("safetensors_overall", f"{R}/safetensors/hf-samples-overall/overall.safetensors")
safetensors("safetensors_mnist", f"{R}/safetensors/burn-mnist/mnist.safetensors", light=True)
safetensors_sharded("safetensors_sharded", f"{R}/safetensors/burn-mnist/mnist.safetensors")
gguf("gguf_tiny", f"{R}/gguf/ollama-llama-2-tiny-random/llama-2-tiny-random.gguf")
gguf("gguf_vocab", f"{R}/gguf/llamacpp-vocab-gpt-2/ggml-vocab-gpt-2.gguf", light=True)
hdf5("keras2_h5_rnn", f"{R}/keras2_h5/konverter-rnn_model/rnn_model.h5")
hdf5("keras2_h5_xception", f"{R}/keras2_h5/fc-tiny_XCEPTION_KDEF/tiny_XCEPTION_KDEF.hdf5", light=True)
hdf5("keras2_weights_h5", f"{R}/keras2_weights_h5/hls4ml-KERAS_3layer/KERAS_3layer_weights.h5", light=True)
keras2_weights("keras2_weights_json", f"{R}/keras2_weights_h5/hls4ml-KERAS_3layer",
               "KERAS_3layer_weights.h5", "KERAS_3layer.json")
hdf5("keras3_weights_h5", f"{R}/keras3_weights_h5/keras-mlx_lstm_sequential/model.weights.h5", light=True)
zipfile_("keras3_lstm", f"{R}/keras3_keras/keras-mlx_lstm_sequential/model.keras",
         members=("config.json", "model.weights.h5", "metadata.json"))
zipfile_("keras3_nested", f"{R}/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras",
         members=("config.json", "model.weights.h5"), light=True)
zipfile_("torch_mnist", f"{R}/pytorch/burn-mnist/mnist.pt",
         members=("data.pkl", "data/11", "?version"))
torch_legacy("torch_legacy", f"{R}/pytorch/burn-simple_legacy/simple_legacy.pt")
zipfile_("npz_stored", f"{R}/npz/candle-test/test.npz", members=("x.npy", "x_plus_one.npy"))
zipfile_("npz_deflate", f"{R}/npz/picklescan-int_arrays_compressed/int_arrays_compressed.npz",
         members=("a.npy",), light=True)
tfjs("tfjs_layers_abalone", f"{R}/tfjs_layers/tfjsex-abalone")
tfjs("tfjs_layers_e2e", f"{R}/tfjs_layers/tfjs-e2e-layers_model", light=True)
tfjs("tfjs_graph_e2e", f"{R}/tfjs_graph/tfjs-e2e-graph_model", light=True)
tfjs("tfjs_graph_facemesh", f"{R}/tfjs_graph/human-facemesh", js="facemesh.json", light=True)
keras3_sharded("keras3_sharded", f"{R}/keras3_keras/keras-nested_container/pre_pr22362_nested_container.keras")
npy("npy_generated")
gguf_generated("gguf_generated")
print("\n".join(rows))
