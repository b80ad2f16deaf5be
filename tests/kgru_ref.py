#!/usr/bin/python3
"""tests/kgru_ref.py CASEDIR: reference outputs for a Sequential stack of
Keras GRU layers with reset_after=True, which TensorFlow.js does not
implement. Written from Keras's GRU equations (keras/src/layers/rnn/gru.py,
GRUCell.call with reset_after=True), in float64:

    x_z, x_r, x_h = x @ W + b_in          (kernel columns: z, r, h)
    r_z, r_r, r_h = h @ U + b_rec         (bias[0] = b_in, bias[1] = b_rec)
    z = rec_act(x_z + r_z);  r = rec_act(x_r + r_r)
    hh = act(x_h + r * r_h)
    h = z * h + (1 - z) * hh

go_backwards reads the steps last to first (and returns them in that
order); return_sequences gives every step's h. Reads CASEDIR/model.json
(weightsManifest + shards) and CASEDIR/in0_bB.f32, writes out0_bB.f32 (in
OUTDIR when given). reset_after=False (hh = act(x_h + (r * h) @ U_h), one
bias) is implemented too, so the test can check this reference against
TF.js's own GRU."""
import json
import os
import sys

import numpy as np

ACT = {
    'tanh': np.tanh,
    'sigmoid': lambda x: 1 / (1 + np.exp(-x)),
    'hard_sigmoid': lambda x: np.clip(0.2 * x + 0.5, 0, 1),   # Keras 2 / TF.js definition
    'linear': lambda x: x,
    'relu': lambda x: np.maximum(x, 0),
}


def load_weights(d, mj):
    out = {}
    for g in mj['weightsManifest']:
        buf = b''.join(open(os.path.join(d, p), 'rb').read() for p in g['paths'])
        off = 0
        for w in g['weights']:
            assert w['dtype'] == 'float32'
            n = int(np.prod(w['shape'], dtype=np.int64))
            out[w['name']] = np.frombuffer(buf, '<f4', n, off).reshape(w['shape']).astype(np.float64)
            off += 4 * n
    return out


def gru(x, cfg, W):
    name, u = cfg['name'], cfg['units']
    assert not cfg.get('stateful') and not cfg.get('return_state')
    k, rk, b = W[name + '/kernel'], W[name + '/recurrent_kernel'], W[name + '/bias']
    after = bool(cfg.get('reset_after'))
    if not after:
        b = np.stack([b, np.zeros_like(b)])
    act, ract = ACT[cfg['activation']], ACT[cfg['recurrent_activation']]
    steps = x[::-1] if cfg.get('go_backwards') else x
    h, hs = np.zeros(u), []
    for xt in steps:
        xz = xt @ k + b[0]
        rz = h @ rk + b[1]
        z = ract(xz[:u] + rz[:u])
        r = ract(xz[u:2 * u] + rz[u:2 * u])
        if after:
            hh = act(xz[2 * u:] + r * rz[2 * u:])
        else:
            hh = act(xz[2 * u:] + (r * h) @ rk[:, 2 * u:])
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.stack(hs) if cfg.get('return_sequences') else h


def main(d, out=None):
    out = out or d
    mj = json.load(open(os.path.join(d, 'model.json')))
    meta = json.load(open(os.path.join(d, 'meta.json')))
    layers = mj['modelTopology']['config']['layers']
    assert all(l['class_name'] == 'GRU' for l in layers)
    W = load_weights(d, mj)
    for B in meta['batches']:
        x = np.fromfile(os.path.join(d, 'in0_b%d.f32' % B), '<f4').reshape([B] + meta['inputs'][0]).astype(np.float64)
        ys = []
        for row in x:
            y = row
            for l in layers:
                y = gru(y, l['config'], W)
            ys.append(y)
        y = np.stack(ys).astype('<f4')
        assert list(y.shape[1:]) == meta['outputs'][0], (y.shape, meta['outputs'])
        y.tofile(os.path.join(out, 'out0_b%d.f32' % B))


if __name__ == '__main__':
    main(*sys.argv[1:3])
