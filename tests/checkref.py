# tests/checkref.py: what `ckpt check` should find in a file, derived here
# independently of ckpt: names, shapes and optimizer state read with h5py,
# json, zipfile, NumPy, torch and tests/ggufref.py, and the Keras config
# compared with the weights by the rules Keras' loaders apply (a layer's
# group holds its weights in add_weight order; Dense kernel (in, units),
# Conv kernel (*kernel_size, in, filters), RNN kernels (in|units, units*gates)).
#
#   checkref.py FILE   -> JSON {"findings": [[kind, what], ...]} or
#                         {"error": "shard of X.json" | "config"} when the file
#                         is not a checkpoint by itself
import io
import json
import os
import re
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def bad_name(n):
    """the loader-hurting names of issue 9; n is bytes"""
    if not n:
        return "empty"
    if any(c < 0x20 or c == 0x7f for c in n):
        return "control"
    try:
        n.decode("utf-8")
    except UnicodeDecodeError:
        return "utf8"
    if n[:1] == b" " or n[-1:] == b" ":
        return "space"
    if n[:1] in (b"/", b"\\") or b".." in re.split(rb"[/\\]", n):
        return "path"
    return None


def generic(names, opt_shapes, nmodel):
    """names: [bytes]; opt_shapes: shapes of optimizer tensors; nmodel: model tensors"""
    out = []
    seen = set()
    for n in names:
        if n in seen:
            out.append(["duplicate", n.decode("utf-8", "replace")])
        seen.add(n)
        if bad_name(n):
            out.append(["bad_name", n.decode("utf-8", "replace")])
    slots = [s for s in opt_shapes if len(s) > 0]
    if slots and nmodel == 0:
        out.append(["lost_weights", "optimizer slots, no model variables"])
    return out


# ------------------------------------------------------------- Keras rules

def layer_list(cfg):
    c = cfg.get("config", cfg)
    if isinstance(c, list):
        return c
    return c.get("layers") if isinstance(c, dict) else None


def expect_shapes(cls, c, ws):
    """findings for one layer's weights (list of shapes) against its config"""
    out = []
    if cls == "Dense":
        u = c["units"]
        if ws[0][-1] != u or (len(ws) > 1 and tuple(ws[1]) != (u,)):
            out.append("Dense units")
    elif re.fullmatch(r"Conv[123]D", cls):
        r = int(cls[4])
        ks = c["kernel_size"]
        ks = [ks] * r if isinstance(ks, int) else ks
        if list(ws[0][:r]) != list(ks) or ws[0][-1] != c["filters"]:
            out.append("Conv kernel")
    elif re.fullmatch(r"SeparableConv[12]D", cls):
        if ws[1][-1] != c["filters"]:
            out.append("SeparableConv pointwise")
    elif cls == "BatchNormalization":
        if len({tuple(s) for s in ws}) != 1:
            out.append("BatchNormalization shapes differ")
    elif cls in GATES:
        u, g = c["units"], GATES[cls]
        if ws[0][1] != u * g or tuple(ws[1]) != (u, u * g):
            out.append(cls + " units")
    return out


def keras_config_findings(cfg, groups):
    """cfg: the model config; groups: {layer name: [shapes]} in the file"""
    layers = layer_list(cfg)
    if layers is None:
        return []   # a subclassed model: no layer list to compare with
    out = []
    names = set()
    for lo in layers:
        name = lo.get("name") or lo["config"]["name"]
        names.add(name)
        ws = groups.get(name, [])
        cls = lo["class_name"]
        weighted = cls in GATES or cls in ("Dense", "BatchNormalization") or re.fullmatch(r"(Separable)?Conv[123]D", cls)
        if weighted and not ws:
            out.append(["missing", name])
        elif ws:
            out += [["shape", name + ": " + w] for w in expect_shapes(cls, lo["config"], ws)]
    for g, ws in groups.items():
        if ws and g not in names:
            out.append(["unexpected", g])
    return out


def attr_list(a):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in a]


def legacy_h5(path):
    import h5py
    f = h5py.File(path, "r")
    g = f["model_weights"] if "model_weights" in f else f
    groups, names = {}, []
    for ln in attr_list(g.attrs.get("layer_names", [])):
        wn = attr_list(g[ln].attrs.get("weight_names", []))
        groups[ln] = [g[ln][w].shape for w in wn]
        names += [w.split(":")[0].encode() for w in wn]
    opt = []
    if "optimizer_weights" in f:
        f["optimizer_weights"].visititems(lambda n, o: opt.append(o.shape) if isinstance(o, h5py.Dataset) else None)
    out = generic(names, opt, len(names))
    cfg = f.attrs.get("model_config")
    if cfg is None:
        side = [p for p in os.listdir(os.path.dirname(path) or ".") if p.endswith(".json")]
        cfg = open(os.path.join(os.path.dirname(path), side[0])).read() if len(side) == 1 else None
    if cfg is not None:
        cfg = json.loads(cfg.decode() if isinstance(cfg, bytes) else cfg)
        out += keras_config_findings(cfg, groups)
    return out


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras3(h5bytes_or_path, cfg):
    import h5py
    f = h5py.File(h5bytes_or_path, "r")
    model, opt, names = {}, [], []

    def visit(n, o):
        if not isinstance(o, h5py.Dataset):
            return
        if n.startswith("optimizer/"):
            opt.append(o.shape)
        else:
            names.append(n.encode())
            model.setdefault(n.rsplit("/vars/", 1)[0], []).append(o.shape)
    f.visititems(visit)
    out = generic(names, opt, len(names))
    layers = layer_list(cfg) if cfg else None
    if layers is not None and names:
        # Keras 3 paths: layers/<class in snake case>[_N], numbered per class
        used, groups = {}, {}
        for lo in layers:
            cls = lo["class_name"]
            if cfg["class_name"] == "Sequential" and cls == "InputLayer":
                continue
            s = snake(cls)
            used[s] = used.get(s, -1) + 1
            p = "layers/" + (s if used[s] == 0 else "%s_%d" % (s, used[s]))
            groups[lo["config"]["name"]] = model.get(p + "/cell" if cls in GATES else p, [])
        out += keras_config_findings(cfg, groups)
    elif layers is not None and not names and any(lo["class_name"] != "InputLayer" for lo in layers):
        if not any(k == "lost_weights" for k, _ in out):
            out.append(["lost_weights", "config has layers, no model variables"])
    return out


# ------------------------------------------------------------- other formats

def safetensors(path):
    b = open(path, "rb").read()
    n = int.from_bytes(b[:8], "little")
    pairs = json.loads(b[8:8 + n], object_pairs_hook=lambda p: p)
    names = [k.encode() for k, v in pairs if k != "__metadata__"]
    return generic(names, [], len(names))


def npz(path):
    names = [n[:-4].encode() if n.endswith(".npy") else n.encode() for n in zipfile.ZipFile(path).namelist()]
    return generic(names, [], len(names))


def torch_file(path):
    import torch
    obj = torch.load(path, map_location="cpu", weights_only=True)
    names, opt = [], []

    def walk(o, prefix, is_opt):
        if isinstance(o, torch.Tensor):
            (opt.append(tuple(o.shape)) if is_opt else names.append(prefix.encode()))
        elif isinstance(o, dict):
            for k, v in o.items():
                walk(v, (prefix + "." if prefix else "") + str(k), is_opt or str(k).startswith("optimizer"))
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                walk(v, (prefix + "." if prefix else "") + str(i), is_opt)
    walk(obj, "", False)
    return generic(names, opt, len(names))


def gguf(path):
    """tensor names as raw bytes (ggufref decodes them): header walked with ggufref's reader"""
    import ggufref
    b = open(path, "rb").read()
    r = ggufref.R(b)
    assert r.take(4) == b"GGUF"
    r.u("<I")
    nt, nkv = r.u("<Q"), r.u("<Q")
    for _ in range(nkv):
        r.s()
        ggufref.read_value(r, r.u("<I"))
    names = []
    for _ in range(nt):
        names.append(r.take(r.u("<Q")))
        r.take(8 * r.u("<I") + 12)
    return generic(names, [], len(names))


def tfjs(path, man):
    ws = [w for g in man for w in g["weights"]]
    names = [w["name"].encode() for w in ws if w.get("group") != "optimizer"]
    opt = [tuple(w["shape"]) for w in ws if w.get("group") == "optimizer"]
    return generic(names, opt, len(names))


def manifest_of(doc):
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("weightsManifest"), list):
        return doc["weightsManifest"]
    return None


def shard_owner(path):
    """the JSON files beside `path` whose manifest lists it"""
    d, base = os.path.dirname(path), os.path.basename(path)
    own = []
    for p in sorted(os.listdir(d)):
        if not p.endswith(".json"):
            continue
        try:
            man = manifest_of(json.load(open(os.path.join(d, p))))
        except ValueError:
            continue
        if man and any(base in g.get("paths", []) for g in man):
            own.append(p)
    return own


def reference(path):
    with open(path, "rb") as fh:
        head = fh.read(8)
    if path.endswith(".json"):
        doc = json.load(open(path))
        man = manifest_of(doc)
        if man is not None:
            return {"findings": tfjs(path, man)}
        if isinstance(doc, dict) and "class_name" in doc:
            return {"error": "config"}
        return {"error": "unknown json"}
    if head[:4] == b"GGUF":
        return {"findings": gguf(path)}
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        import h5py
        f = h5py.File(path, "r")
        if "layer_names" in f.attrs or "model_weights" in f:
            return {"findings": legacy_h5(path)}
        cfgp = os.path.join(os.path.dirname(path), "config.json")
        return {"findings": keras3(path, json.load(open(cfgp)) if os.path.exists(cfgp) else None)}
    if path.endswith(".keras"):
        z = zipfile.ZipFile(path)
        return {"findings": keras3(io.BytesIO(z.read("model.weights.h5")), json.loads(z.read("config.json")))}
    if path.endswith(".safetensors"):
        return {"findings": safetensors(path)}
    if path.endswith(".npz"):
        return {"findings": npz(path)}
    if path.endswith(".pt") or path.endswith(".pth"):
        return {"findings": torch_file(path)}
    own = shard_owner(path)
    if own:
        return {"error": "shard", "owners": own}
    return {"error": "unknown"}


if __name__ == "__main__":
    print(json.dumps(reference(sys.argv[1])))
