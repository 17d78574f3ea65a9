"""The values a correct HW6 layer computes on the way to its outputs, by name.

A student's helper that returns a padded input, a pre-activation or the gradient of the
padded input is computing one of these; `harness.diagnosis.dataflow` compares what the
student's functions returned with them to find the first function that made a wrong value.
Each is computed here, in the parent, from the case's inputs by the same PyTorch twins'
pieces (`reference.layers`), with autograd keeping the gradients of the intermediate
tensors; nothing of it is ever sent to the child.

    conv2d:   X W b dY · padding · pad value · padded X · padded size · windows · Z · Y · dZ ·
              padded dX · dX dW db · output size
    pool2d:   X dY · padding · pad value · padded X · padded size · windows · Y · argmax ·
              padded dX · dX · output size
    fully_connected:  X W b dY · Z · Y · dZ · dX dW db

"padding" is the rows and columns on each side, (ph, pw), when both sides get the same;
"padded size" the padded input's (rows, columns), what an output-size helper is given;
"windows" is every kh×kw window of the padded input, (N, oh, ow, kh, kw, C), which reshaped
is the (N·oh·ow, kh·kw·C) matrix of im2col;
"argmax" is which tap t = i·kw + j of each window holds its maximum, the first in row-major
order on a tie (what ``np.argmax`` over the flattened window gives).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

import reference
from harness.core.conventions import Conventions
from reference._autograd import leaf, to_numpy
from reference.activations import initialize_activation
from reference.layers import _MAXPOOL_PAD_VALUES, _POOLS, _pair, kernel_to_torch, pad_amounts

Values = dict[str, Any]   # name -> an array or a tuple of ints


def _padded(X: torch.Tensor, ctor: dict[str, Any], conventions: Conventions, value: float
            ) -> tuple[torch.Tensor, Values]:
    """NCHW padded `X` (NHWC) with its gradient kept, and the padding's own values."""
    (kh, kw), stride = _pair(ctor["kernel_shape"]), int(ctor.get("stride", 1))
    pad = ctor.get("pad", 0)
    top, bottom = pad_amounts(pad, X.shape[1], kh, stride, conventions.same_pad)
    left, right = pad_amounts(pad, X.shape[2], kw, stride, conventions.same_pad)
    xp = F.pad(X.permute(0, 3, 1, 2), (left, right, top, bottom), value=value)
    xp.retain_grad()
    found: Values = {}
    if (top, left) == (bottom, right):
        found["padding"] = (top, left)
    return xp, found


def _windows(padded: np.ndarray, kernel: tuple[int, int], stride: int,
             out_hw: tuple[int, ...]) -> np.ndarray:
    """Every window of the padded NHWC input, (N, oh, ow, kh, kw, C): reshaped to
    (N·oh·ow, kh·kw·C), the rows of the usual im2col matrix."""
    every = sliding_window_view(padded, kernel, axis=(1, 2))[:, ::stride, ::stride]
    return every[:, : out_hw[0], : out_hw[1]].transpose(0, 1, 2, 4, 5, 3)


def _gradients(y: torch.Tensor, dY: np.ndarray, named: dict[str, torch.Tensor]) -> Values:
    """Backpropagate `dY` from `y`; the gradient of each named tensor, as arrays."""
    y.backward(torch.from_numpy(np.array(dY, dtype=np.float64)))
    return {name: to_numpy(t.grad) for name, t in named.items() if t.grad is not None}


def _nhwc(t: torch.Tensor | None) -> np.ndarray:
    assert t is not None, "a gradient kept by retain_grad, after backward"
    return to_numpy(t.permute(0, 2, 3, 1))


def conv2d(ctor: dict[str, Any], inputs: dict[str, np.ndarray], conventions: Conventions
           ) -> Values:
    X, W, b = (leaf(inputs[k]) for k in ("X", "W", "b"))
    xp, found = _padded(X, ctor, conventions, 0.0)
    z = F.conv2d(xp, kernel_to_torch(W), stride=int(ctor.get("stride", 1))
                 ).permute(0, 2, 3, 1) + b
    z.retain_grad()
    y = initialize_activation(ctor["activation"]).apply(z)
    grads = _gradients(y, inputs["dY"], {"dX": X, "dW": W, "db": b, "dZ": z})
    padded = _nhwc(xp)
    windows = _windows(padded, _pair(ctor["kernel_shape"]), int(ctor.get("stride", 1)),
                       tuple(y.shape[1:3]))
    return {**found, "pad value": 0.0, "padded X": padded, "padded size": padded.shape[1:3],
            "windows": windows, "Z": to_numpy(z), "Y": to_numpy(y), "padded dX": _nhwc(xp.grad),
            "output size": tuple(y.shape[1:3]), **grads}


def pool2d(ctor: dict[str, Any], inputs: dict[str, np.ndarray], conventions: Conventions
           ) -> Values:
    mode = ctor["mode"]
    value = _MAXPOOL_PAD_VALUES[conventions.maxpool_pad] if mode == "max" else 0.0
    X = leaf(inputs["X"])
    xp, found = _padded(X, ctor, conventions, value)
    kernel, stride = _pair(ctor["kernel_shape"]), int(ctor.get("stride", 1))
    pool = cast(Callable[..., torch.Tensor], _POOLS[mode])   # torch's own type is vaguer
    y = pool(xp, kernel, stride).permute(0, 2, 3, 1)
    padded = _nhwc(xp)
    windows = _windows(padded, kernel, stride, tuple(y.shape[1:3]))
    found.update({"pad value": value, "padded X": padded, "padded size": padded.shape[1:3],
                  "windows": windows, "Y": to_numpy(y), "output size": tuple(y.shape[1:3])})
    if mode == "max":   # (N, oh, ow, kh·kw, C): the first maximum along the taps
        found["argmax"] = windows.reshape(*windows.shape[:3], -1, windows.shape[-1]).argmax(3)
    grads = _gradients(y, inputs["dY"], {"dX": X})
    return {**found, **grads, "padded dX": _nhwc(xp.grad)}


def fully_connected(ctor: dict[str, Any], inputs: dict[str, np.ndarray],
                    conventions: Conventions) -> Values:
    X, W, b = (leaf(inputs[k]) for k in ("X", "W", "b"))
    z = X @ W + b
    z.retain_grad()
    y = initialize_activation(ctor["activation"]).apply(z)
    grads = _gradients(y, inputs["dY"], {"dX": X, "dW": W, "db": b, "dZ": z})
    return {"Z": to_numpy(z), "Y": to_numpy(y), **grads}


INTERMEDIATES: dict[str, Callable[[dict[str, Any], dict[str, np.ndarray], Conventions],
                                  Values]] = {
    "conv2d": conv2d, "pool2d_max": pool2d, "pool2d_average": pool2d,
    "fully_connected": fully_connected,
}


def intermediates(op: str, ctor: dict[str, Any], inputs: dict[str, np.ndarray],
                  conventions: Conventions) -> Values:
    """The case's inputs and the intermediate values of `op` (empty for an op without a
    table entry)."""
    compute = INTERMEDIATES.get(op)
    if compute is None:
        return {}
    with reference.one_torch_thread():
        return {**inputs, **compute(ctor, inputs, conventions)}
