#!/usr/bin/python3
"""tests/kcmp.py CASEDIR GOTDIR: compare an exporter's outputs with the
reference outputs of a layer-harness case (tests/node/klayers_gen.js).

For every batch B and output K of CASEDIR/meta.json, GOTDIR/outK_bB.f32
(raw little-endian float32, batch first) must hold the reference's number
of values, all finite, with max|got - ref| <= tol * max|ref| (tol from the
meta: 1e-5, 1e-4 for recurrent layers). Prints one line per case and exits
1 when any output is off."""
import json
import os
import sys

import numpy as np


def main(case, got):
    meta = json.load(open(os.path.join(case, 'meta.json')))
    tol, worst, bad = meta['tol'], 0.0, []
    for B in meta['batches']:
        for k, shape in enumerate(meta['outputs']):
            n = B * int(np.prod(shape, dtype=np.int64))
            ref = np.fromfile(os.path.join(case, 'out%d_b%d.f32' % (k, B)), '<f4').astype(np.float64)
            p = os.path.join(got, 'out%d_b%d.f32' % (k, B))
            g = np.fromfile(p, '<f4').astype(np.float64) if os.path.exists(p) else None
            if ref.size != n:
                bad.append('reference out%d_b%d has %d values, wanted %d' % (k, B, ref.size, n))
            elif g is None or g.size != n:
                bad.append('out%d_b%d: %s values, wanted %d' % (k, B, 'no' if g is None else g.size, n))
            elif not np.all(np.isfinite(g)):
                bad.append('out%d_b%d: non-finite values' % (k, B))
            else:
                scale = max(np.abs(ref).max(), 1e-30)
                rel = np.abs(g - ref).max() / scale
                worst = max(worst, rel)
                if rel > tol:
                    i = int(np.abs(g - ref).argmax())
                    bad.append('out%d_b%d: rel error %.3g > %g (at %d: got %r, ref %r)' % (k, B, rel, tol, i, g[i], ref[i]))
    name = meta['name']
    if bad:
        print('%s: %s' % (name, '; '.join(bad[:4])))
        return 1
    print('%s: %d outputs x batches %s within %g (max rel %.2g)' % (name, len(meta['outputs']), meta['batches'], tol, worst))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
