predict(*xs) takes one float32 array per model input, each with the batch
first: (batch,) + the input's shape in INPUTS; a model with several inputs
also takes them as one list, predict([a, b]). It returns one array
(batch,) + shape for a model with one output, else a list in the order of
OUTPUTS. Each batch row is computed on its own, so a batch gives exactly
the rows predict gives one by one. Needs only NumPy.
"""
import math
import os

import numpy as np


def _load_weights(name):
    # the weights, plain arrays under their Keras names (no pickles)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


