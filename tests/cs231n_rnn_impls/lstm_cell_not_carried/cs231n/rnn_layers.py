"""Bug: lstm_backward starts every step with dnext_c = 0: the cell's gradient is not carried back
in time.

Otherwise the bundled student_nn/cs231n/rnn_layers.py."""

from __future__ import annotations

import numpy as np


def sigmoid(x):
    """σ(x) = 1/(1 + e^−x), written with e^−|x| ≤ 1 so that nothing overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _affine_backward(da, x, prev_h, Wx, Wh):
    """The gradients of a = x·Wx + prev_h·Wh + b: (dx, dprev_h, dWx, dWh, db)."""
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


# ---------------------------------------------------------------- one step
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """next_h = tanh(x·Wx + prev_h·Wh + b)."""
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    """Through tanh (tanh' = 1 − tanh²), then the affine map: (dx, dprev_h, dWx, dWh, db)."""
    x, prev_h, Wx, Wh, next_h = cache
    return _affine_backward(dnext_h * (1 - next_h**2), x, prev_h, Wx, Wh)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g);  next_c = f·prev_c + i·g;
    next_h = o·tanh(next_c)."""
    a_i, a_f, a_o, a_g = np.split(x @ Wx + prev_h @ Wh + b, 4, axis=1)
    i, f, o, g = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o), np.tanh(a_g)
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    return o * tanh_c, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """next_c reaches the loss twice, directly and through next_h = o·tanh(next_c); each gate's
    gradient then goes through its own nonlinearity, written with its output (σ' = σ(1 − σ)).
    Returns (dx, dprev_h, dprev_c, dWx, dWh, db)."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                         dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g**2)], axis=1)
    dx, dprev_h, dWx, dWh, db = _affine_backward(da, x, prev_h, Wx, Wh)
    return dx, dprev_h, dc * f, dWx, dWh, db


# ---------------------------------------------------------------- through time
def _forward_in_time(step, x, state, *weights):
    """Every hidden state h (N, T, H) of `step` run over x (N, T, D) from `state`, and the
    steps' caches."""
    hs, caches = [], []
    for t in range(x.shape[1]):
        *state, cache = step(x[:, t], *state, *weights)
        hs.append(state[0])
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def _backward_in_time(step_backward, dh, caches, states):
    """Backpropagation through time. The hidden state of step t reaches the loss directly
    (dh[:, t]) and through step t + 1, so its gradient is the sum of the two; the other
    `states` − 1 carried states (the LSTM's cell) only through step t + 1.
    Returns (dx, dh0, dWx, dWh, db)."""
    dstate = [np.zeros_like(dh[:, 0])] * states
    dxs, dweights = [], [0.0, 0.0, 0.0]
    for t in reversed(range(dh.shape[1])):
        dstate[0] = dstate[0] + dh[:, t]
        dx, *rest = step_backward(*dstate, caches[t])
        dstate = [rest[0], np.zeros_like(rest[0])][:states]
        dweights = [total + d for total, d in zip(dweights, rest[states:], strict=True)]
        dxs.append(dx)
    return (np.stack(dxs[::-1], axis=1), dstate[0], *dweights)


def rnn_forward(x, h0, Wx, Wh, b):
    """h[:, t] = tanh(x[:, t]·Wx + h[:, t − 1]·Wh + b), from h0."""
    return _forward_in_time(rnn_step_forward, x, (h0,), Wx, Wh, b)


def rnn_backward(dh, cache):
    return _backward_in_time(rnn_step_backward, dh, cache, states=1)


def lstm_forward(x, h0, Wx, Wh, b):
    """The LSTM step over x from h0 and a zero cell; only the hidden states are returned."""
    return _forward_in_time(lstm_step_forward, x, (h0, np.zeros_like(h0)), Wx, Wh, b)


def lstm_backward(dh, cache):
    return _backward_in_time(lstm_step_backward, dh, cache, states=2)


# ---------------------------------------------------------------- words, scores, loss
def word_embedding_forward(x, W):
    """out[n, t] = W[x[n, t]]: one row of W per word."""
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    """dW[v] = Σ dout[n, t] over every (n, t) where x[n, t] = v. np.add.at adds once per
    occurrence (dW[x] += dout would add once per distinct word)."""
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)
    return dW


def temporal_affine_forward(x, w, b):
    """out[:, t] = x[:, t]·w + b at every step."""
    return x @ w + b, (x, w)


def temporal_affine_backward(dout, cache):
    """(dx, dw, db), dw and db summed over the batch and the steps."""
    x, w = cache
    return dout @ w.T, np.einsum("ntd,ntm->dm", x, dout), dout.sum(axis=(0, 1))


def temporal_softmax_loss(x, y, mask, verbose=False):
    """L = −(1/N) Σ_{n,t} mask[n,t]·log softmax(x[n,t])[y[n,t]]: summed over the steps the
    mask keeps and averaged over the N sequences (not over the steps kept);
    dx = mask·(softmax(x) − onehot(y))/N."""
    n, _, v = x.shape
    shifted = x - x.max(axis=2, keepdims=True)   # every exponent ≤ 0
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    onehot, kept = np.eye(v)[y], mask[..., None]
    loss = -(kept * onehot * log_p).sum() / n
    return float(loss), kept * (np.exp(log_p) - onehot) / n
