"""PyTorch twins of CS231n assignment 2's layer functions (``cs231n/layers.py``).

Same names, signatures and return conventions as the assignment, so the harness drives a
student's ``layers`` module and this one through exactly the same calls: every
``*_forward(...)`` returns ``(out, cache)``, every ``*_backward(dout, cache)`` the gradients of
the forward's array inputs in the order they were passed (``relu``, ``max_pool`` and
``dropout``: dx alone), and the losses ``(loss, dx)``. Images are NCHW ``(N, C, H, W)``.

Every forward copies its arrays into fresh float64 leaves, builds the torch graph and keeps it in
the cache (a `Tape`); every backward is one autograd vector-Jacobian product with dout on that
graph (retained, so backward may run more than once). No gradient is written by hand. The
caller's arrays are never modified; results are float64 ndarrays, losses Python floats.

CS231n's definitions versus torch's
Where they agree the twin calls torch's function; where they differ (marked *) it computes
CS231n's definition, as the last column says.

| op                  | CS231n                                | torch -> the twin                  |
|---------------------|---------------------------------------|------------------------------------|
| * batchnorm         | running = m·running + (1 − m)·sample, | F.batch_norm's momentum weighs the |
|   momentum          | m = 0.9 by default                    | new value (torch's 0.1 = CS231n's  |
|                     |                                       | 0.9) -> F.batch_norm normalises    |
|                     |                                       | without buffers; CS231n's update   |
| * batchnorm         | averages the *biased* batch variance  | averages the *unbiased* one        |
|   running_var       | (÷ N)                                 | (÷ (N − 1)); both normalise with   |
|                     |                                       | the biased one -> biased           |
| * batchnorm running | new arrays stored into bn_param (the  | buffers updated in place -> stored |
|   stats storage     | caller reads them there), both modes; | into the caller's bn_param (new    |
|                     | absent: zeros(D), running_var too     | arrays), both modes                |
| * spatial_batchnorm | batchnorm per channel over N·H·W,     | F.batch_norm on NCHW, with the     |
|                     | running stats as above                | differences above -> as batchnorm  |
| * svm_loss          | Σ_i Σ_{j≠y_i} max(0, x_ij − x_iy_i    | F.multi_margin_loss also divides   |
|                     | + 1), averaged over N only            | by the C classes -> times C        |
| * dropout p         | probability of *keeping* a unit       | F.dropout's p: of *dropping* one   |
|                     |                                       | -> x · kept / p                    |
| * dropout draws     | np.random.seed(seed) if 'seed' given, | torch's own generator -> `kept`    |
|                     | kept = np.random.rand(*x.shape) < p   | given, else drawn as CS231n does   |
| conv pad            | int, zeros on both sides              | F.conv2d(padding=int): the same    |
| max pool            | no padding, floor output size         | F.max_pool2d: the same             |
| layernorm           | biased variance over each sample's D  | F.layer_norm: the same             |
|                     | features, eps inside the square root  |                                    |
| softmax_loss        | mean cross-entropy of softmax(x)      | F.cross_entropy (mean): the same   |

Dropout: the twin cannot reproduce a student's random draws, so ``dropout_forward`` takes an
optional boolean ``kept`` (the units the student kept, which the harness infers from the
student's output); without it the twin seeds and draws from np.random exactly like the
assignment. The mask used is in ``cache.info["kept"]`` (None in test mode).

Where the derivative is undefined
The harness's case generator must avoid these points (continuous random inputs do); the twins
then need not choose a subgradient. For the record, torch's choices are:
- relu at exactly 0: gradient 0;
- max-pool ties: the whole gradient goes to the first maximum of the window in row-major order;
- svm_loss with a margin exactly 0 (x_ij − x_iy_i = −1): that margin gets gradient 0;
- dropout: inferring ``kept`` from the output needs x ≠ 0 wherever a unit was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference._autograd import leaf, to_numpy, vjp


@dataclass
class Tape:
    """A twin's cache: the leaves gradients are taken for, the output (graph attached), and
    what else the op records in `info` (dropout: 'kept', 'mode'; batchnorm: 'mode')."""

    inputs: tuple[Tensor, ...]
    output: Tensor
    info: dict[str, Any] = field(default_factory=dict)


def _record(output: Tensor, *inputs: Tensor, **info: Any) -> tuple[np.ndarray, Tape]:
    return to_numpy(output), Tape(inputs, output, info)


def _grads(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """One array per leaf of the tape, each shaped like that leaf."""
    return tuple(vjp(cache.output, cache.inputs, dout))


def _loss(loss: Tensor, x: Tensor) -> tuple[float, np.ndarray]:
    (dx,) = vjp(loss, [x], np.array(1.0))
    return float(loss.detach()), dx


# ---------------------------------------------------------------- affine and relu
def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Tape]:
    """out = x.reshape(N, D) @ w + b:  x (N, d_1, ..., d_k), w (D, M), b (M,), out (N, M)."""
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    return _record(F.linear(xt.reshape(len(x), -1), wt.T, bt), xt, wt, bt)


def affine_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dw, db); dx has x's original shape."""
    return _grads(dout, cache)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Tape]:
    """out = max(x, 0), any shape."""
    xt = leaf(x)
    return _record(F.relu(xt), xt)


def relu_backward(dout: np.ndarray, cache: Tape) -> np.ndarray:
    return _grads(dout, cache)[0]


# ---------------------------------------------------------------- convolution and pooling
def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                       conv_param: dict) -> tuple[np.ndarray, Tape]:
    """Cross-correlation of x (N, C, H, W) zero-padded by conv_param['pad'] on every side with
    w (F, C, HH, WW) at conv_param['stride'], plus b (F,): out (N, F, H', W'),
    H' = 1 + (H + 2·pad − HH) // stride (W' likewise)."""
    xt, wt, bt = leaf(x), leaf(w), leaf(b)
    out = F.conv2d(xt, wt, bt, stride=conv_param["stride"], padding=conv_param["pad"])
    return _record(out, xt, wt, bt)


def conv_backward_naive(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dw, db)."""
    return _grads(dout, cache)


def max_pool_forward_naive(x: np.ndarray, pool_param: dict) -> tuple[np.ndarray, Tape]:
    """Max over each pool_height × pool_width window of x (N, C, H, W) at pool_param['stride'],
    no padding: out (N, C, H', W'), H' = 1 + (H − pool_height) // stride."""
    xt = leaf(x)
    window = (pool_param["pool_height"], pool_param["pool_width"])
    return _record(F.max_pool2d(xt, window, stride=pool_param["stride"]), xt)


def max_pool_backward_naive(dout: np.ndarray, cache: Tape) -> np.ndarray:
    return _grads(dout, cache)[0]


# ---------------------------------------------------------------- normalisation
def _batchnorm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               bn_param: dict) -> tuple[np.ndarray, Tape]:
    """Batch normalisation per channel (axis 1) over every other axis, CS231n's running stats.

    Train: F.batch_norm normalises with the batch's mean and biased variance; the running
    statistics are CS231n's momentum·running + (1 − momentum)·sample, biased variance.
    Test: normalise with the running statistics. Both store the statistics into bn_param.
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    channels = x.shape[1]
    running_mean = leaf(bn_param.get("running_mean", np.zeros(channels)), False)
    running_var = leaf(bn_param.get("running_var", np.zeros(channels)), False)
    xt, gt, bt = leaf(x), leaf(gamma), leaf(beta)
    if mode == "train":
        out = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
        axes = [0, *range(2, x.ndim)]
        sample = xt.detach()
        running_mean = momentum * running_mean + (1 - momentum) * sample.mean(axes)
        running_var = momentum * running_var + (1 - momentum) * sample.var(axes, correction=0)
    elif mode == "test":
        out = F.batch_norm(xt, running_mean, running_var, gt, bt, training=False, eps=eps)
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = to_numpy(running_mean)
    bn_param["running_var"] = to_numpy(running_var)
    return _record(out, xt, gt, bt, mode=mode)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      bn_param: dict) -> tuple[np.ndarray, Tape]:
    """out = gamma · (x − μ)/√(σ² + eps) + beta over the batch axis of x (N, D); gamma, beta (D,).

    bn_param: 'mode' ('train' | 'test'), 'eps' (1e-5), 'momentum' (0.9), 'running_mean',
    'running_var' (zeros(D) when absent); the running statistics are stored back into it.
    """
    return _batchnorm(x, gamma, beta, bn_param)


def batchnorm_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dgamma, dbeta); in train mode dx includes the paths through μ and σ²."""
    return _grads(dout, cache)


def batchnorm_backward_alt(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """The same gradients as batchnorm_backward (autograd has only one way)."""
    return _grads(dout, cache)


def spatial_batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                              bn_param: dict) -> tuple[np.ndarray, Tape]:
    """Batchnorm of x (N, C, H, W) per channel, statistics over N, H and W; gamma, beta (C,).
    bn_param as batchnorm_forward's, with (C,) running statistics."""
    return _batchnorm(x, gamma, beta, bn_param)


def spatial_batchnorm_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dgamma, dbeta)."""
    return _grads(dout, cache)


def layernorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      ln_param: dict) -> tuple[np.ndarray, Tape]:
    """out = gamma · (x − μ)/√(σ² + eps) + beta with μ, σ² (biased) over the D features of each
    sample of x (N, D); gamma, beta (D,); ln_param: 'eps' (1e-5)."""
    xt, gt, bt = leaf(x), leaf(gamma), leaf(beta)
    out = F.layer_norm(xt, (x.shape[1],), gt, bt, eps=ln_param.get("eps", 1e-5))
    return _record(out, xt, gt, bt)


def layernorm_backward(dout: np.ndarray, cache: Tape) -> tuple[np.ndarray, ...]:
    """(dx, dgamma, dbeta)."""
    return _grads(dout, cache)


# ---------------------------------------------------------------- dropout
def dropout_forward(x: np.ndarray, dropout_param: dict, kept: np.ndarray | None = None,
                    inverted: bool = True) -> tuple[np.ndarray, Tape]:
    """Inverted dropout (with `inverted` False, the original non-inverted kind some
    libraries keep: train out = x · kept, test out = x · p). dropout_param: 'p' (the
    probability of KEEPING a unit; with 'p_means' "either", as CS231n's ambiguous handout
    before 2018 has it, of dropping one when the share of units `kept` is closer to 1 − p),
    'mode' ('train' | 'test'), optional 'seed'.

    Train: out = x · kept / p, with `kept` the boolean mask given (the units a student's
    dropout kept) or, when None, np.random.rand(*x.shape) < p drawn after
    np.random.seed(seed) if a seed is given, as the assignment does. Test: out = x (`kept`
    is ignored).
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if dropout_param.get("p_means") == "either" and kept is not None and np.size(kept):
        share = float(np.mean(kept))
        p = 1 - p if abs(share - (1 - p)) < abs(share - p) else p
    if kept is None and "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    xt = leaf(x)
    if mode == "train":
        if kept is None:
            kept = np.random.rand(*x.shape) < p
        kept = np.array(kept, dtype=bool)
        if kept.shape != x.shape:
            raise ValueError(f"kept has shape {kept.shape}, x has {x.shape}")
        out = xt * leaf(kept / p if inverted else kept * 1.0, False)
    elif mode == "test":
        kept, out = None, xt.clone() if inverted else xt * p
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return _record(out, xt, kept=kept, mode=mode)


def dropout_backward(dout: np.ndarray, cache: Tape) -> np.ndarray:
    return _grads(dout, cache)[0]


# ---------------------------------------------------------------- losses
def _labels(y: np.ndarray) -> Tensor:
    return torch.from_numpy(np.asarray(y, dtype=np.int64).copy())


def softmax_loss(x: np.ndarray, y: np.ndarray, log_offset: float = 0.0
                 ) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(x) for scores x (N, C) and labels y (N,): (loss, dx).

    With `log_offset` δ (a library's guard against log 0), the loss is −mean log(p_y + δ) but
    dx stays softmax's (p − onehot(y))/N, as such libraries write it."""
    xt = leaf(x)
    loss = F.cross_entropy(xt, _labels(y))
    if log_offset:
        p = F.softmax(xt, dim=1).gather(1, _labels(y)[:, None])
        loss = loss + (-(p + log_offset).log().mean() - loss).detach()
    return _loss(loss, xt)


def svm_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Multiclass hinge loss (1/N) Σ_i Σ_{j≠y_i} max(0, x_ij − x_iy_i + 1): (loss, dx).

    torch's multi_margin_loss averages over the C classes too, so it is multiplied back by C.
    """
    xt = leaf(x)
    return _loss(F.multi_margin_loss(xt, _labels(y), p=1, margin=1.0) * x.shape[1], xt)
