#!/usr/bin/python3
"""tests/knp_run.py MODEL.py CASEDIR GOTDIR: run the predict() of a NumPy
code export (ckpt convert --to numpy) on a layer-harness case's inputs and
write GOTDIR/out{K}_b{B}.f32 for tests/kcmp.py. Also checks the batch
promise: for every batch, predict on the whole batch gives exactly (bit for
bit) the rows predict gives one sample at a time. Exits 1 on a mismatch."""
import importlib.util
import json
import os
import sys

import numpy as np


def load(path):
    spec = importlib.util.spec_from_file_location('exported_model', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def as_list(y, nout):
    ys = list(y) if isinstance(y, (list, tuple)) else [y]
    if len(ys) != nout:
        raise SystemExit('predict gave %d outputs, the model has %d' % (len(ys), nout))
    return ys


def main(model, case, got):
    meta = json.load(open(os.path.join(case, 'meta.json')))
    mod = load(model)
    nout = len(meta['outputs'])
    os.makedirs(got, exist_ok=True)
    for B in meta['batches']:
        xs = [np.fromfile(os.path.join(case, 'in%d_b%d.f32' % (k, B)), '<f4').reshape([B] + s)
              for k, s in enumerate(meta['inputs'])]
        ys = as_list(mod.predict(*xs), nout)
        for k, (y, s) in enumerate(zip(ys, meta['outputs'])):
            if y.dtype != np.float32 or list(y.shape) != [B] + s:
                raise SystemExit('output %d: %s %s, wanted float32 %s' % (k, y.dtype, list(y.shape), [B] + s))
            y.astype('<f4').tofile(os.path.join(got, 'out%d_b%d.f32' % (k, B)))
        if B > 1:
            for b in range(B):
                row = as_list(mod.predict(*[x[b:b + 1] for x in xs]), nout)
                for k in range(nout):
                    if not np.array_equal(row[k][0], ys[k][b]):
                        raise SystemExit('batch %d row %d output %d differs from predicting that row alone' % (B, b, k))


if __name__ == '__main__':
    main(*sys.argv[1:4])
