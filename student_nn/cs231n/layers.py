"""CS231n assignment 2's layers in NumPy: the CS231n API twin of student_nn, for self-tests.

Same names, signatures and return conventions as the assignment's ``cs231n/layers.py``: every
``*_forward(...)`` returns ``(out, cache)``, every ``*_backward(dout, cache)`` the gradients of
the forward's array inputs in the order they were passed (``relu``, ``max_pool``, ``dropout``:
dx alone), and the losses return ``(loss, dx)``. Images are NCHW ``(N, C, H, W)``.

Despite the assignment's "naive" names nothing loops over samples or pixels: a convolution is one
matrix product over every window of the padded input (im2col through a strided view), pooling
reads the same windows, and gradients go back to the image one kernel tap at a time.
No function modifies its input arrays; batchnorm stores its running statistics into bn_param, as
the assignment requires.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# ---------------------------------------------------------------- affine and relu
def affine_forward(x, w, b):
    """out = x̃ w + b, x̃ = x reshaped to (N, D):  x (N, d_1, ..., d_k),  w (D, M),  b (M,)."""
    out = x.reshape(len(x), -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """dx = dout wᵀ (in x's shape),  dw = x̃ᵀ dout,  db = Σ_n dout."""
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(len(x), -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    """out = max(x, 0)."""
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    """dx = dout where x > 0, else 0."""
    return dout * (cache > 0)


# ---------------------------------------------------------------- sliding windows
def _pad(x, pad):
    """x (N, C, H, W) with `pad` rows and columns of zeros on every side."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _windows(x, window, stride):
    """Every window of x (N, C, H, W) at `stride`, as a view (N, C, H', W', hh, ww):
    [n, c, r, q] is x[n, c, s·r : s·r + hh, s·q : s·q + ww], H' = 1 + (H − hh)//s."""
    return sliding_window_view(x, window, axis=(2, 3))[:, :, ::stride, ::stride]


def _im2col(x, window, stride, pad):
    """Every window of x zero-padded by `pad`, one per column: cols (C·hh·ww, N·H'·W'), row
    (c, i, j) holding entry (c, i, j) of each window; and (N, H', W')."""
    win = _windows(_pad(x, pad), window, stride)
    n, c, out_h, out_w = win.shape[:4]
    cols = win.transpose(1, 4, 5, 0, 2, 3).reshape(c * window[0] * window[1], -1)
    return cols, (n, out_h, out_w)


def _add_windows(taps, image_shape, stride):
    """The adjoint of _windows. taps[i, j] (..., H', W') is the gradient of entry (i, j) of every
    window:  dx[..., s·r + i, s·q + j] += taps[i, j, ..., r, q],  summed where windows overlap;
    one strided slice-add per kernel tap (i, j)."""
    dx = np.zeros(image_shape)
    hh, ww, *_, out_h, out_w = taps.shape
    for i in range(hh):
        for j in range(ww):
            dx[..., i : i + stride * out_h : stride, j : j + stride * out_w : stride] += taps[i, j]
    return dx


# ---------------------------------------------------------------- convolution and pooling
def conv_forward_naive(x, w, b, conv_param):
    """out[n, f, r, q] = b[f] + Σ_{c, i, j} xp[n, c, s·r + i, s·q + j] · w[f, c, i, j].

    x (N, C, H, W), w (F, C, HH, WW), b (F,); xp is x zero-padded by `pad` on every side, so
    out is (N, F, H', W') with H' = 1 + (H + 2·pad − HH)//stride. With the windows as columns
    (im2col) this is one matrix product, out = w₂ cols + b, w₂ = w as (F, C·HH·WW).
    """
    cols, (n, out_h, out_w) = _im2col(x, w.shape[2:], conv_param["stride"], conv_param["pad"])
    out = (w.reshape(len(w), -1) @ cols).reshape(len(w), n, out_h, out_w)
    return out.transpose(1, 0, 2, 3) + b[:, None, None], (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """out = w₂ cols + b, so with dout as d (F, N·H'·W'):  dw = d colsᵀ,  db = Σ d,  and the
    windows' gradient w₂ᵀ d is added back onto the (padded) image, tap by tap."""
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, width = x.shape
    cols, _ = _im2col(x, w.shape[2:], stride, pad)
    d = dout.transpose(1, 0, 2, 3).reshape(len(w), -1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = (w.reshape(len(w), -1).T @ d).reshape(c, *w.shape[2:], n, *dout.shape[2:])
    # Channel-first (C, N, ...) keeps each tap's slice-add on contiguous image rows.
    dxp = _add_windows(dcols.transpose(1, 2, 0, 3, 4, 5), (c, n, h + 2 * pad, width + 2 * pad),
                       stride)
    dx = dxp.transpose(1, 0, 2, 3)[:, :, pad : pad + h, pad : pad + width]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    """out[n, c, r, q] = max of window (r, q) of x[n, c]: no padding, H' = 1 + (H − hh)//stride."""
    hh, ww, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    win = _windows(x, (hh, ww), stride)
    flat = win.reshape(*win.shape[:4], hh * ww)  # each window as hh·ww numbers, row-major
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, argmax, pool_param)


def max_pool_backward_naive(dout, cache):
    """Each window's dout goes to the position of its maximum (the first one, on a tie)."""
    x_shape, argmax, pool_param = cache
    hh, ww = pool_param["pool_height"], pool_param["pool_width"]
    at_max = argmax == np.arange(hh * ww).reshape(hh, ww, 1, 1, 1, 1)  # (hh, ww, N, C, H', W')
    return _add_windows(dout * at_max, x_shape, pool_param["stride"])


# ---------------------------------------------------------------- normalisation
def _normalized_backward(dx_hat, x_hat, inv_std, axis):
    """dx for x̂ = (x − μ)·inv_std with μ and σ² (so inv_std = 1/√(σ² + ε)) taken along `axis`:

        dx = inv_std · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂))

    the two means being the paths through μ and through σ²."""
    return inv_std * (
        dx_hat
        - dx_hat.mean(axis=axis, keepdims=True)
        - x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True)
    )


def batchnorm_forward(x, gamma, beta, bn_param):
    """out = gamma · x̂ + beta,  x̂ = (x − μ)/√(σ² + eps), per feature over the batch of x (N, D).

    train: μ, σ² are the batch's mean and biased variance, and the running statistics move
    towards them: running = momentum · running + (1 − momentum) · batch.
    test: μ, σ² are the running statistics. Either way they are stored back into bn_param.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1]))
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mu, var = running_mean, running_var
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma * x_hat + beta, (x - mu, x_hat, inv_std, gamma, mode)


def batchnorm_backward(dout, cache):
    """Back through the graph x → xc = x − μ → σ² = mean(xc²) → x̂ = xc/√(σ² + ε) → out,
    one node at a time. In test mode μ and σ² are constants: dx = dx̂ · inv_std."""
    xc, x_hat, inv_std, gamma, mode = cache
    dx_hat = dout * gamma
    if mode == "train":
        dvar = (dx_hat * xc).sum(axis=0) * -0.5 * inv_std**3
        dxc = dx_hat * inv_std + dvar * 2 * xc / len(xc)
        dx = dxc - dxc.mean(axis=0)
    else:
        dx = dx_hat * inv_std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
    """batchnorm_backward's gradients from the simplified formula (_normalized_backward)."""
    _, x_hat, inv_std, gamma, mode = cache
    dx_hat = dout * gamma
    if mode == "train":
        dx = _normalized_backward(dx_hat, x_hat, inv_std, axis=0)
    else:
        dx = dx_hat * inv_std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, ln_param):
    """Batchnorm's normalisation along the other axis: μ, σ² (biased) over the D features of
    each sample of x (N, D), the same in train and test; gamma, beta (D,)."""
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    dx = _normalized_backward(dout * gamma, x_hat, inv_std, axis=1)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def _channels_last(x):
    """(N, C, H, W) -> (N·H·W, C): one row per pixel, one column per channel."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _channels_first(rows, shape):
    """The inverse of _channels_last, for an image of `shape` (N, C, H, W)."""
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batchnorm per channel of x (N, C, H, W) over N, H and W: batchnorm of its pixels."""
    out, cache = batchnorm_forward(_channels_last(x), gamma, beta, bn_param)
    return _channels_first(out, x.shape), cache


def spatial_batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward_alt(_channels_last(dout), cache)
    return _channels_first(dx, dout.shape), dgamma, dbeta


# ---------------------------------------------------------------- dropout
def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p and scale it by 1/p, so that the
    expected output is x and test mode is the identity."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        mask, out = None, x.copy()
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return out, mask


def dropout_backward(dout, cache):
    mask = cache
    return dout.copy() if mask is None else dout * mask


# ---------------------------------------------------------------- losses
def softmax_loss(x, y):
    """L = −(1/N) Σ_i log softmax(x_i)[y_i];  dx = (softmax(x) − onehot(y))/N."""
    rows = np.arange(len(x))
    shifted = x - x.max(axis=1, keepdims=True)  # shift-invariant; every exponent ≤ 0
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_p)
    dx[rows, y] -= 1
    return float(-log_p[rows, y].mean()), dx / len(x)


def svm_loss(x, y):
    """L = (1/N) Σ_i Σ_{j≠y_i} max(0, x_ij − x_iy_i + 1)."""
    rows = np.arange(len(x))
    margins = np.maximum(0.0, x - x[rows, y][:, None] + 1)
    margins[rows, y] = 0
    # Every positive margin pulls x_ij up and x_iy_i down: +1 and −1 (over N).
    dx = (margins > 0).astype(float)
    dx[rows, y] = -dx.sum(axis=1)
    return float(margins.sum() / len(x)), dx / len(x)
