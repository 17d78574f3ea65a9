"""PyTorch twins of the attention API (``attention.py``, docs/attention.md).

Same names, signatures and return conventions as the contract: ``*_forward(...)`` returns
``(out, cache)``, ``*_backward(dout, cache)`` the gradients of the forward's float inputs in
the order they were passed (the mask and num_heads have none). Sequences are batch-first.

Each forward builds the torch graph of the contract's formula over fresh float64 leaves
(reference/_autograd.py, through reference/cs231n.py's `Tape`) and each backward is one
autograd vector-Jacobian product; no gradient is written by hand:

    attend(q, k, v, mask) = softmax(q·kᵀ/√d, masked_fill(~mask, −inf), over the keys)·v
    multihead = concat_h(attend(query·Wq + bq, key·Wk + bk, value·Wv + bv)[head h])·Wo + bo

The contract against torch's two attentions (tests/test_attention_api.py checks both)

| what              | the contract (the twins)           | torch                                  |
|-------------------|------------------------------------|----------------------------------------|
| the mask          | boolean (N, Tq, Tk), True = may    | F.scaled_dot_product_attention: bool   |
|                   | attend, shared by the heads        | attn_mask, True = may attend (the      |
|                   |                                    | same); nn.MultiheadAttention: bool     |
|                   |                                    | attn_mask (N·heads, Tq, Tk), True =    |
|                   |                                    | NOT allowed (the opposite: pass ~mask, |
|                   |                                    | repeated for each head)                |
| the projections   | Wq, Wk, Wv, Wo (E, E), x @ W + b,  | nn.MultiheadAttention: in_proj_weight  |
|                   | four biases (E,)                   | (3E, E) = [Wqᵀ; Wkᵀ; Wvᵀ] applied as   |
|                   |                                    | x·Wᵀ, in_proj_bias = [bq; bk; bv],     |
|                   |                                    | out_proj.weight = Woᵀ, .bias = bo      |
| the heads         | head h: columns h·d:(h+1)·d        | the same (reshape (N, T, heads, d))    |
| layout            | batch-first (N, T, E)              | batch_first=True (default time-first)  |
| scale             | 1/√d, d the head's width           | the same (scale=None)                  |

A row of the mask with no True key is outside the contract (no case holds one): torch 2.13
gives it zero weights both ways (its output there is 0, or out_proj's bias), the twins' softmax
NaN.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from reference._autograd import leaf
from reference.cs231n import Tape, _grads, _record


def attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
    """softmax(q·kᵀ/√d with the scores where `mask` is False at −inf, over the keys)·v, over
    any leading axes."""
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1) @ v


def _mask(mask: np.ndarray) -> Tensor:
    return torch.from_numpy(np.array(mask, dtype=bool, copy=True))


def scaled_dot_product_attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                                         mask: np.ndarray) -> tuple[np.ndarray, Tape]:
    """out (N, Tq, dv) for q (N, Tq, d), k (N, Tk, d), v (N, Tk, dv), mask (N, Tq, Tk)."""
    qt, kt, vt = leaf(q), leaf(k), leaf(v)
    return _record(attend(qt, kt, vt, _mask(mask)), qt, kt, vt)


def scaled_dot_product_attention_backward(dout: np.ndarray, cache: Tape
                                          ) -> tuple[np.ndarray, ...]:
    """(dq, dk, dv)."""
    return _grads(dout, cache)


def split_heads(x: Tensor, heads: int) -> Tensor:
    """(N, T, E) -> (N, heads, T, d): head h is columns h·d:(h+1)·d."""
    n, t, e = x.shape
    return x.reshape(n, t, heads, e // heads).transpose(1, 2)


def multihead(query: Tensor, key: Tensor, value: Tensor, Wq: Tensor, bq: Tensor, Wk: Tensor,
              bk: Tensor, Wv: Tensor, bv: Tensor, Wo: Tensor, bo: Tensor, *, mask: Tensor,
              heads: int) -> Tensor:
    """The heads' attention over the projections, side by side, projected by Wo, bo."""
    q, k, v = (split_heads(x @ W + b, heads)
               for x, W, b in ((query, Wq, bq), (key, Wk, bk), (value, Wv, bv)))
    context = attend(q, k, v, mask[:, None])   # (N, heads, Tq, d)
    return context.transpose(1, 2).reshape(query.shape) @ Wo + bo


def multihead_attention_forward(query: np.ndarray, key: np.ndarray, value: np.ndarray,
                                Wq: np.ndarray, bq: np.ndarray, Wk: np.ndarray,
                                bk: np.ndarray, Wv: np.ndarray, bv: np.ndarray,
                                Wo: np.ndarray, bo: np.ndarray, mask: np.ndarray,
                                num_heads: int | np.ndarray) -> tuple[np.ndarray, Tape]:
    """out (N, Tq, E) for query (N, Tq, E), key and value (N, Tk, E), W (E, E), b (E,)."""
    leaves = tuple(map(leaf, (query, key, value, Wq, bq, Wk, bk, Wv, bv, Wo, bo)))
    return _record(multihead(*leaves, mask=_mask(mask), heads=int(num_heads)), *leaves)


def multihead_attention_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dquery, dkey, dvalue, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo)."""
    return _grads(dout, cache)
