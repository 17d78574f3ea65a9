"""Scaled dot-product and multi-head attention in NumPy, forward and backward: the bundled
implementation of nnparity's attention API (docs/attention.md), for its self-tests.

Sequences are batch-first. ``mask`` (N, Tq, Tk) is boolean, True where query t may attend to
key s; every row has at least one True. A projection's weight W (E, E) is applied as
x @ W + b; head h of E = num_heads·d takes columns h·d:(h+1)·d. No function modifies its
inputs.
"""

from __future__ import annotations

import numpy as np


def softmax(scores, axis=-1):
    """e^s / Σ e^s over `axis`, the maximum subtracted first (a score of −inf weighs 0)."""
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- scaled dot-product
def scaled_dot_product_attention_forward(q, k, v, mask):
    """scores = q·kᵀ/√d, the masked ones at −inf; A = softmax(scores) over the keys;
    out = A·v. q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), mask (..., Tq, Tk)."""
    scale = 1 / np.sqrt(q.shape[-1])
    scores = np.where(mask, q @ np.swapaxes(k, -1, -2) * scale, -np.inf)
    weights = softmax(scores)
    return weights @ v, (q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dout, cache):
    """Through out = A·v, then the softmax's Jacobian row by row,
    dscores = A·(dA − Σ_s dA·A) (zero where A is: the masked scores), then the scaled
    product. Returns (dq, dk, dv)."""
    q, k, v, weights, scale = cache
    dweights = dout @ np.swapaxes(v, -1, -2)
    dv = np.swapaxes(weights, -1, -2) @ dout
    dscores = weights * (dweights - (dweights * weights).sum(axis=-1, keepdims=True)) * scale
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, dv


# ---------------------------------------------------------------- multi-head
def split_heads(x, num_heads):
    """(N, T, E) -> (N, heads, T, d): head h is columns h·d:(h+1)·d."""
    n, t, e = x.shape
    return x.reshape(n, t, num_heads, e // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(N, heads, T, d) -> (N, T, E), the heads side by side: split_heads undone."""
    n, heads, t, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, t, heads * d)


def multihead_attention_forward(query, key, value, Wq, bq, Wk, bk, Wv, bv, Wo, bo, mask,
                                num_heads):
    """Each head attends over its columns of the projections x @ W + b, under the same mask;
    the heads' outputs, side by side, are projected by Wo, bo."""
    q, k, v = (split_heads(x @ W + b, num_heads)
               for x, W, b in ((query, Wq, bq), (key, Wk, bk), (value, Wv, bv)))
    context, attention_cache = scaled_dot_product_attention_forward(q, k, v, mask[:, None])
    merged = merge_heads(context)
    return merged @ Wo + bo, (query, key, value, Wq, Wk, Wv, Wo, merged, attention_cache,
                              num_heads)


def _linear_backward(dy, x, W):
    """The gradients of y = x @ W + b over every (n, t): (dx, dW, db)."""
    flat_x, flat_dy = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
    return dy @ W.T, flat_x.T @ flat_dy, flat_dy.sum(axis=0)


def multihead_attention_backward(dout, cache):
    """Back through the output projection, the heads' attention and the three input
    projections. Returns (dquery, dkey, dvalue, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo)."""
    query, key, value, Wq, Wk, Wv, Wo, merged, attention_cache, num_heads = cache
    dmerged, dWo, dbo = _linear_backward(dout, merged, Wo)
    dq, dk, dv = scaled_dot_product_attention_backward(split_heads(dmerged, num_heads),
                                                       attention_cache)
    dquery, dWq, dbq = _linear_backward(merge_heads(dq), query, Wq)
    dkey, dWk, dbk = _linear_backward(merge_heads(dk), key, Wk)
    dvalue, dWv, dbv = _linear_backward(merge_heads(dv), value, Wv)
    return dquery, dkey, dvalue, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo
