# tests/kgen.py: write Keras-2-style legacy HDF5 files with h5py, laid out
# as tf.keras' save_weights_to_hdf5_group writes them (root attrs, model_weights
# group, layer_names/weight_names as fixed-length byte strings, datasets at
# <layer>/<layer>/<weight>:0), so the check can be tested on planted faults.
#
#   kgen.py OUT CONFIG_JSON LAYERS_JSON [--weights-only]
# LAYERS_JSON: [[group_name, [[weight_name, shape], ...]], ...]
import json
import sys

import h5py
import numpy as np


def write(out, config, layers, weights_only=False, seed=0, dtype="<f4"):
    rng = np.random.default_rng(seed)
    with h5py.File(out, "w") as f:
        if not weights_only:
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
            f.attrs["model_config"] = json.dumps(config)
            g = f.create_group("model_weights")
        else:
            g = f
        g.attrs["keras_version"] = b"2.15.0"
        g.attrs["backend"] = b"tensorflow"
        g.attrs["layer_names"] = np.array([n.encode() for n, _ in layers])
        for name, ws in layers:
            lg = g.create_group(name)
            # a name with "/" is already scoped (nested model: "dense/kernel")
            full = [(w if "/" in w else "%s/%s" % (name, w)) + ":0" for w, _ in ws]
            lg.attrs["weight_names"] = np.array([x.encode() for x in full]) if ws else np.array([], dtype="f8")
            for x, (w, shape) in zip(full, ws):
                lg.create_dataset(x, data=rng.standard_normal(shape).astype(dtype))


def dense(name, units, inp=None):
    c = {"name": name, "units": units, "use_bias": True, "trainable": True}
    if inp is not None:
        c["batch_input_shape"] = [None, inp]
    return {"class_name": "Dense", "config": c}


def seq(*layers):
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": list(layers)}}


if __name__ == "__main__":
    write(sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), "--weights-only" in sys.argv)
