# ---- runtime helpers (from ckpt's templates/numpy/runtime.py) ----
# Every helper works on one sample (no batch axis), channels_last, float32.
_F = np.float32


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(np.minimum(x, 0))))


def _act(x, kind, a=0.0):
    x = np.asarray(x, dtype=_F)
    if kind == 'linear':
        return x
    if kind == 'relu':
        return np.maximum(x, _F(0))
    if kind == 'relu6':
        return np.clip(x, _F(0), _F(6))
    if kind == 'leaky_relu':
        return np.where(x > 0, x, _F(a) * x)
    if kind == 'elu':
        return np.where(x > 0, x, _F(a) * (np.exp(np.minimum(x, 0)) - 1))
    if kind == 'selu':
        return _F(1.0507009873554805) * np.where(x > 0, x, _F(1.6732632423543772) * (np.exp(np.minimum(x, 0)) - 1))
    if kind == 'gelu':
        return (0.5 * x * (1 + _erf(x / math.sqrt(2)))).astype(_F)
    if kind == 'gelu_tanh':
        return _F(0.5) * x * (1 + np.tanh(_F(0.7978845608028654) * (x + _F(0.044715) * x * x * x)))
    if kind == 'swish':
        return x / (1 + np.exp(-x))
    if kind == 'sigmoid':
        return 1 / (1 + np.exp(-x))
    if kind == 'hard_sigmoid':
        return np.clip(_F(a) * x + _F(0.5), _F(0), _F(1))
    if kind == 'tanh':
        return np.tanh(x)
    if kind == 'softmax':
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True, dtype=np.float64)).astype(_F)
    if kind == 'softplus':
        return _softplus(x).astype(_F)
    if kind == 'softsign':
        return x / (1 + np.abs(x))
    if kind == 'exponential':
        return np.exp(x)
    if kind == 'mish':
        return x * np.tanh(_softplus(x)).astype(_F)
    raise ValueError('unknown activation ' + kind)


def act(x, n, last, kind, a):
    return _act(x, kind, a)


def copy(x, n):
    return x.reshape(n)


def _dot(x, k):
    # float64 accumulation, rounded once: the same sums as the C code
    return (x.astype(np.float64) @ k.astype(np.float64)).astype(_F)


def dense(x, kernel, bias, rows, nin, nout, kind, a):
    y = _dot(x.reshape(rows, nin), kernel)
    if bias is not None:
        y = (y.astype(np.float64) + bias).astype(_F)
    return _act(y, kind, a)


def _pad_hw(x, pt, pb, pl, pr, value=0.0):
    return np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=value)


def _windows(x, h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow):
    """Patches (oh, ow, kh, kw, c) of x (h, w, c) zero-padded by pt/pl."""
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    xp = _pad_hw(x, pt, max(0, (oh - 1) * sh + eh - h - pt), pl, max(0, (ow - 1) * sw + ew - w - pl))
    out = np.empty((oh, ow, kh, kw, x.shape[2]), dtype=x.dtype)
    for p in range(kh):
        for q in range(kw):
            out[:, :, p, q, :] = xp[p * dh: p * dh + (oh - 1) * sh + 1: sh, q * dw: q * dw + (ow - 1) * sw + 1: sw, :]
    return out


def conv2d(x, kernel, bias, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, o, kind, a):
    win = _windows(x.reshape(h, w, c), h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow)
    y = _dot(win.reshape(oh * ow, kh * kw * c), kernel.reshape(kh * kw * c, o))
    if bias is not None:
        y = (y.astype(np.float64) + bias).astype(_F)
    return _act(y.reshape(oh, ow, o), kind, a)


def dwconv2d(x, kernel, bias, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, m, kind, a):
    win = _windows(x.reshape(h, w, c), h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow).astype(np.float64)
    y = np.einsum('ijpqc,pqcm->ijcm', win, kernel.astype(np.float64)).reshape(oh, ow, c * m)
    if bias is not None:
        y = y + bias
    return _act(y.astype(_F), kind, a)


def conv2d_t(x, kernel, bias, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, o, kind, a):
    x = x.reshape(h, w, c).astype(np.float64)
    full = np.zeros(((h - 1) * sh + (kh - 1) * dh + 1 + oh, (w - 1) * sw + (kw - 1) * dw + 1 + ow, o))
    for p in range(kh):
        for q in range(kw):
            contrib = x @ kernel[p, q].astype(np.float64).T          # (h, w, o)
            full[p * dh: p * dh + (h - 1) * sh + 1: sh, q * dw: q * dw + (w - 1) * sw + 1: sw, :] += contrib
    y = full[pt: pt + oh, pl: pl + ow, :]
    if bias is not None:
        y = y + bias
    return _act(y.astype(_F), kind, a)


def pool2d(x, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow, avg):
    x = x.reshape(h, w, c)
    pb, pr = max(0, (oh - 1) * sh + kh - h - pt), max(0, (ow - 1) * sw + kw - w - pl)
    if avg:
        # padding is left out of each window's count
        s = _windows(x.astype(np.float64), h, w, kh, kw, sh, sw, 1, 1, pt, pl, oh, ow).sum(axis=(2, 3))
        n = _windows(np.ones((h, w, 1)), h, w, kh, kw, sh, sw, 1, 1, pt, pl, oh, ow).sum(axis=(2, 3))
        return (s / n).astype(_F)
    xp = _pad_hw(x, pt, pb, pl, pr, value=-np.inf)
    out = np.full((oh, ow, c), -np.inf, dtype=_F)
    for p in range(kh):
        for q in range(kw):
            out = np.maximum(out, xp[p: p + (oh - 1) * sh + 1: sh, q: q + (ow - 1) * sw + 1: sw, :])
    return out


def gpool(x, s, c, avg):
    x = x.reshape(s, c)
    return x.mean(axis=0, dtype=np.float64).astype(_F) if avg else x.max(axis=0)


def pad2d(x, h, w, c, t, b, l, r):
    return _pad_hw(x.reshape(h, w, c), t, b, l, r)


def crop2d(x, h, w, c, t, b, l, r):
    return x.reshape(h, w, c)[t: h - b, l: w - r, :]


def upsample2d(x, h, w, c, sh, sw):
    return np.repeat(np.repeat(x.reshape(h, w, c), sh, axis=0), sw, axis=1)


def permute(x, d0, d1, d2, d3, p0, p1, p2, p3):
    return np.transpose(x.reshape(d0, d1, d2, d3), (p0, p1, p2, p3))


def repeat(x, n, d):
    return np.tile(x.reshape(1, d), (n, 1))


def batchnorm(x, gamma, beta, mean, var, rows, c, eps):
    y = (x.reshape(rows, c) - mean) / np.sqrt(var + _F(eps))
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y.astype(_F)


def layernorm(x, gamma, beta, rows, c, eps):
    x64 = x.reshape(rows, c).astype(np.float64)
    m = x64.mean(axis=1, keepdims=True)
    v = ((x64 - m) ** 2).mean(axis=1, keepdims=True)
    y = (x64 - m).astype(_F) * (1 / np.sqrt(v.astype(_F) + _F(eps)))
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y.astype(_F)


def merge(xs, n, kind):
    y = xs[0]
    for u in xs[1:]:
        y = [y + u, y - u, y * u, y + u, np.maximum(y, u), np.minimum(y, u)][kind]
    return y / _F(len(xs)) if kind == 3 else y


def concat(xs, outer, axis):
    return np.concatenate(xs, axis=axis)


def embedding(x, embeddings, n, vocab, dim):
    ids = x.reshape(n).astype(np.int64)
    ok = (ids >= 0) & (ids < vocab)
    return np.where(ok[:, None], embeddings[np.clip(ids, 0, vocab - 1)], _F(0))


def _steps(x, t, i, back, masked, mask_value):
    x = x.reshape(t, i)
    for s in range(t):
        xt = x[t - 1 - s] if back else x[s]
        yield s, xt, bool(masked) and bool(np.all(xt == _F(mask_value)))


def _rnn_out(ys, h, t, seq, flip, skip, zero):
    if not seq:
        return h
    out = np.stack([np.zeros_like(h) if (sk and zero) else v for v, sk in ys])
    return out[::-1] if flip else out


def _gates(xt, kernel, bias):
    z = xt.astype(np.float64) @ kernel.astype(np.float64)
    return z + bias if bias is not None else z


def simple_rnn(x, kernel, rec, bias, t, i, u, seq, back, flip, masked, mask_value, zero_masked, kind, a, kind2, a2):
    h, ys = np.zeros(u, dtype=_F), []
    for s, xt, skip in _steps(x, t, i, back, masked, mask_value):
        if not skip:
            h = _act((_gates(xt, kernel, bias) + h.astype(np.float64) @ rec).astype(_F), kind, a)
        ys.append((h, skip))
    return _rnn_out(ys, h, t, seq, flip, skip, zero_masked)


def gru(x, kernel, rec, bias, t, i, u, seq, back, flip, reset_after, masked, mask_value, zero_masked, kind, a,
        kind2, a2):
    h, ys = np.zeros(u, dtype=_F), []
    bi = bias[0] if bias is not None and reset_after else bias
    bh = bias[1] if bias is not None and reset_after else np.zeros(3 * u)
    r64 = rec.astype(np.float64)
    for s, xt, skip in _steps(x, t, i, back, masked, mask_value):
        if not skip:
            zx = _gates(xt, kernel, bi)
            zh = h.astype(np.float64) @ r64 + bh
            z = _act((zx[:u] + zh[:u]).astype(_F), kind2, a2)
            r = _act((zx[u:2 * u] + zh[u:2 * u]).astype(_F), kind2, a2)
            if reset_after:
                hh = zx[2 * u:] + r * zh[2 * u:]
            else:
                hh = zx[2 * u:] + (r * h).astype(np.float64) @ r64[:, 2 * u:]
            c = _act(hh.astype(_F), kind, a)
            h = (z * h + (1 - z) * c).astype(_F)
        ys.append((h, skip))
    return _rnn_out(ys, h, t, seq, flip, skip, zero_masked)


def lstm(x, kernel, rec, bias, t, i, u, seq, back, flip, masked, mask_value, zero_masked, kind, a, kind2, a2):
    h, c, ys = np.zeros(u, dtype=_F), np.zeros(u, dtype=_F), []
    r64 = rec.astype(np.float64)
    for s, xt, skip in _steps(x, t, i, back, masked, mask_value):
        if not skip:
            z = _gates(xt, kernel, bias) + h.astype(np.float64) @ r64
            ig, fg = _act(z[:u].astype(_F), kind2, a2), _act(z[u:2 * u].astype(_F), kind2, a2)
            cg, og = _act(z[2 * u:3 * u].astype(_F), kind, a), _act(z[3 * u:].astype(_F), kind2, a2)
            c = (fg * c + ig * cg).astype(_F)
            h = (og * _act(c, kind, a)).astype(_F)
        ys.append((h, skip))
    return _rnn_out(ys, h, t, seq, flip, skip, zero_masked)
# ---- end of runtime helpers ----
