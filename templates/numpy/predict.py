

def predict(*xs):
    if len(xs) == 1 and isinstance(xs[0], (list, tuple)) and len(INPUTS) > 1:
        xs = tuple(xs[0])
    if len(xs) != len(INPUTS):
        raise ValueError('predict takes %d input(s) (%s), got %d'
                         % (len(INPUTS), ', '.join(n for n, _ in INPUTS), len(xs)))
    xs = [np.asarray(x, dtype=np.float32) for x in xs]
    for x, (name, shape) in zip(xs, INPUTS):
        if x.shape[1:] != shape:
            raise ValueError('input %s: shape %s, wanted (batch,) + %s' % (name, x.shape, shape))
    batch = xs[0].shape[0]
    if any(x.shape[0] != batch for x in xs):
        raise ValueError('inputs with different batch sizes')
    outs = [np.empty((batch,) + shape, dtype=np.float32) for _, shape in OUTPUTS]
    for b in range(batch):
        for out, y in zip(outs, _predict_one(*[x[b] for x in xs])):
            out[b] = y
    return outs[0] if len(outs) == 1 else outs
