"""PyTorch twins of CS231n assignment 3's recurrent layers (``cs231n/rnn_layers.py``).

Same names, signatures and return conventions as the assignment: ``*_forward(...)`` returns
``(out, cache)`` (``lstm_step_forward``: ``(next_h, next_c, cache)``), ``*_backward(dout,
cache)`` the gradients of the forward's float inputs in the order they were passed
(``lstm_step_backward(dnext_h, dnext_c, cache)``; ``word_embedding_backward``: dW alone, the
words are integers), and ``temporal_softmax_loss`` returns ``(loss, dx)``. Sequences are
batch-first, x (N, T, D); hidden states h (N, T, H).

Each forward builds the torch graph over the assignment's formulas (the same helpers as
reference/cs231n.py: fresh float64 leaves, a `Tape` cache, one autograd vector-Jacobian
product per backward); no gradient is written by hand.

The formulas, and where torch's modules differ (the twins compute CS231n's)

| op            | CS231n                                        | torch                          |
|---------------|-----------------------------------------------|--------------------------------|
| rnn step      | h' = tanh(x·Wx + h·Wh + b), Wx (D, H),        | nn.RNNCell: weight_ih (H, D) = |
|               | Wh (H, H), b (H,)                             | Wxᵀ, two biases b_ih + b_hh    |
| lstm step     | a = x·Wx + h·Wh + b, Wx (D, 4H), Wh (H, 4H),  | nn.LSTMCell: gates i, f, g, o, |
|               | b (4H,); a = [a_i a_f a_o a_g] (i, f, o, g),  | weight_ih (4H, D) (transposed),|
|               | i, f, o = σ(·), g = tanh(a_g),                | two biases                     |
|               | c' = f·c + i·g, h' = o·tanh(c')               |                                |
| rnn, lstm     | h0 given, T steps, h (N, T, H); the LSTM's    | nn.RNN/nn.LSTM: time-first by  |
|               | c0 = 0 and its cells are not returned         | default, c0 given              |
| word embedding| out[n, t] = W[x[n, t]], W (V, D); dW sums     | F.embedding: the same          |
|               | the rows of repeated words                    |                                |
| temporal      | out = x·w + b at every step, x (N, T, D)      | F.linear: the same             |
| affine        |                                               |                                |
| temporal      | Σ_{n,t} mask[n,t]·CE(x[n,t], y[n,t]) / N:     | F.cross_entropy averages over  |
| softmax loss  | summed over time, averaged over N only        | every (n, t) -> summed, ÷ N    |

So CS231n's Wx is nn.LSTMCell's weight_ih transposed with its 4H columns reordered from
(i, f, o, g) to (i, f, g, o) (tests/test_cs231n_rnn.py checks the twins against both cells).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference._autograd import leaf
from reference.cs231n import Tape, _grads, _labels, _loss, _record


# ---------------------------------------------------------------- one step of each cell
def _rnn_step(x: Tensor, h: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor) -> Tensor:
    return torch.tanh(x @ Wx + h @ Wh + b)


def _lstm_step(x: Tensor, h: Tensor, c: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor
               ) -> tuple[Tensor, Tensor]:
    a_i, a_f, a_o, a_g = (x @ Wx + h @ Wh + b).chunk(4, dim=1)   # CS231n's order: i, f, o, g
    c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c), c


def rnn_step_forward(x: np.ndarray, prev_h: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                     b: np.ndarray) -> tuple[np.ndarray, Tape]:
    """next_h = tanh(x·Wx + prev_h·Wh + b): x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H)."""
    leaves = tuple(map(leaf, (x, prev_h, Wx, Wh, b)))
    return _record(_rnn_step(*leaves), *leaves)


def rnn_step_backward(dnext_h: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dprev_h, dWx, dWh, db)."""
    return _grads(dnext_h, cache)


def lstm_step_forward(x: np.ndarray, prev_h: np.ndarray, prev_c: np.ndarray, Wx: np.ndarray,
                      Wh: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, Tape]:
    """(next_h, next_c, cache) of one LSTM step, gates i, f, o, g: Wx (D, 4H), Wh (H, 4H),
    b (4H,). The tape's output is next_h and next_c stacked, (2, N, H)."""
    leaves = tuple(map(leaf, (x, prev_h, prev_c, Wx, Wh, b)))
    both = torch.stack(_lstm_step(*leaves))
    out, tape = _record(both, *leaves)
    return out[0].copy(), out[1].copy(), tape


def lstm_step_backward(dnext_h: np.ndarray, dnext_c: np.ndarray, cache: Tape
                       ) -> tuple[np.ndarray, ...]:
    """(dx, dprev_h, dprev_c, dWx, dWh, db)."""
    return _grads(np.stack([dnext_h, dnext_c]), cache)


# ---------------------------------------------------------------- whole sequences
def _sequence(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, lstm: bool) -> Tensor:
    """Every hidden state, (N, T, H): the cell run over the T steps of x from h0 (and, for
    the LSTM, c0 = 0)."""
    h, c, hs = h0, torch.zeros_like(h0), []
    for t in range(x.shape[1]):
        if lstm:
            h, c = _lstm_step(x[:, t], h, c, Wx, Wh, b)
        else:
            h = _rnn_step(x[:, t], h, Wx, Wh, b)
        hs.append(h)
    return torch.stack(hs, dim=1)


def rnn_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                b: np.ndarray) -> tuple[np.ndarray, Tape]:
    """h (N, T, H): the RNN step over x (N, T, D) from h0 (N, H)."""
    leaves = tuple(map(leaf, (x, h0, Wx, Wh, b)))
    return _record(_sequence(*leaves, lstm=False), *leaves)


def rnn_backward(dh: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dh0, dWx, dWh, db) for the upstream gradient dh (N, T, H) of every hidden state."""
    return _grads(dh, cache)


def lstm_forward(x: np.ndarray, h0: np.ndarray, Wx: np.ndarray, Wh: np.ndarray,
                 b: np.ndarray) -> tuple[np.ndarray, Tape]:
    """h (N, T, H): the LSTM step over x (N, T, D) from h0 (N, H) and a zero cell."""
    leaves = tuple(map(leaf, (x, h0, Wx, Wh, b)))
    return _record(_sequence(*leaves, lstm=True), *leaves)


def lstm_backward(dh: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dh0, dWx, dWh, db)."""
    return _grads(dh, cache)


# ---------------------------------------------------------------- words, scores, loss
def word_embedding_forward(x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, Tape]:
    """out[n, t] = W[x[n, t]]: x (N, T) integers in 0..V−1, W (V, D), out (N, T, D)."""
    Wt = leaf(W)
    return _record(F.embedding(_labels(x), Wt), Wt)


def word_embedding_backward(dout: np.ndarray, cache: Tape) -> np.ndarray:
    """dW (V, D): each word's row gets the sum of dout over every place it occurs."""
    return _grads(dout, cache)[0]


def temporal_affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray
                            ) -> tuple[np.ndarray, Tape]:
    """out = x·w + b at every step: x (N, T, D), w (D, M), b (M,), out (N, T, M)."""
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    return _record(F.linear(xt, wt.T, bt), xt, wt, bt)


def temporal_affine_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dw, db)."""
    return _grads(dout, cache)


def temporal_softmax_loss(x: np.ndarray, y: np.ndarray, mask: np.ndarray,
                          verbose: bool = False) -> tuple[float, np.ndarray]:
    """(loss, dx): the cross-entropy of softmax(x[n, t]) with y[n, t] where mask[n, t], summed
    over the steps and averaged over the N sequences; x (N, T, V), y and mask (N, T)."""
    xt = leaf(x)
    n, _, v = x.shape
    each = F.cross_entropy(xt.reshape(-1, v), _labels(y).reshape(-1), reduction="none")
    kept = torch.from_numpy(np.asarray(mask, dtype=np.float64).reshape(-1))
    return _loss((each * kept).sum() / n, xt)
