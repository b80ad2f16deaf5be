# tests/k3paths.py: where Keras 3 looks for each weight of a legacy Keras 2
# file, derived here independently of ckpt from the model config and h5py:
# Keras 3 (saving_lib._save_container_state) names each layer of a container
# after its class in snake_case (naming.to_snake_case), numbered per class in
# that container (dense, dense_1, ...; a Sequential's InputLayer is not in
# model.layers), and stores a layer's variables at <path>/vars/<i> in
# add_weight order (Layer.save_own_variables); RNN layers keep theirs in
# their `cell`. Keras 2 writes a layer's weight_names in the same order.
#
#   k3paths.py SRC.h5 [ARCH.json]  -> JSON {"layers/.../vars/i": "/h5/dataset/path"}
import json
import re
import sys

import h5py

RNN = {"SimpleRNN", "LSTM", "GRU"}
MODELS = {"Sequential", "Functional", "Model"}


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def layer_paths(cfg):
    """layer name -> (Keras 3 object path, class)"""
    out = {}

    def walk(cls, mcfg, prefix):
        layers = mcfg if isinstance(mcfg, list) else mcfg["layers"]
        used = {}
        for lo in layers:
            lcls = lo["class_name"]
            name = lo.get("name") or lo["config"]["name"]
            if cls == "Sequential" and lcls == "InputLayer":
                continue
            s = snake(lcls)
            if s in used:
                used[s] += 1
                s = f"{s}_{used[s]}"
            else:
                used[s] = 0
            path = f"{prefix}layers/{s}"
            out[name] = (path, lcls)
            if lcls in MODELS:
                walk(lcls, lo["config"], path + "/")

    walk(cfg["class_name"], cfg["config"], "")
    return out


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main():
    f = h5py.File(sys.argv[1], "r")
    if len(sys.argv) > 2:
        cfg = json.load(open(sys.argv[2]))
    else:
        cfg = json.loads(s(f.attrs["model_config"]))
    g = f["model_weights"] if "model_weights" in f else f
    places = layer_paths(cfg)
    result = {}
    for lname in [s(x) for x in g.attrs["layer_names"]]:
        wn = [s(x) for x in g[lname].attrs["weight_names"]]
        if not wn:
            continue
        path, cls = places[lname]
        if cls in RNN:
            path += "/cell"
        for i, w in enumerate(wn):
            result[f"{path}/vars/{i}"] = g[lname][w].name
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
