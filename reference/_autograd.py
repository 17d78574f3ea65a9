"""The bridge between NumPy and torch: fresh float64 leaves in, copies out, one autograd call.

Every twin goes through these three helpers, so no returned array shares memory with a tensor
and no caller's array is ever touched by torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def leaf(a: np.ndarray, requires_grad: bool = True) -> Tensor:
    """A float64 CPU tensor holding a *copy* of `a` (any shape), tracked by autograd."""
    t = torch.from_numpy(np.array(a, dtype=np.float64, copy=True))
    return t.requires_grad_(requires_grad)


def to_numpy(t: Tensor) -> np.ndarray:
    """A float64 ndarray copy of `t` (0-d for a scalar), detached from any graph."""
    return t.detach().numpy().copy()


def vjp(output: Tensor, inputs: Sequence[Tensor], grad_output: np.ndarray) -> list[np.ndarray]:
    """Vector-Jacobian products: d<output, grad_output>/d input, one array per input.

    `grad_output` has the shape of `output`; each result has the shape of its input.
    The graph is retained, so backward may be called again after one forward.
    """
    grads = torch.autograd.grad(output, list(inputs), grad_outputs=leaf(grad_output, False),
                                retain_graph=True)
    return [to_numpy(g) for g in grads]
