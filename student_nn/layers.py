"""Layers: differentiable maps X -> Y with parameters, images in NHWC.

``forward(X) -> Y`` caches what the backward pass needs; ``backward(dY) -> dX`` takes
dY = dL/dY, stores dL/dθ in ``gradients[θ]`` (exactly the shape of ``parameters[θ]``) and
returns dL/dX. Parameters are created on the first forward by ``_init_parameters(X.shape)`` and
are always read from ``self.parameters`` at call time, so they can be replaced from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from itertools import product
from typing import Any

import numpy as np

from .activations import initialize_activation
from .utils import (
    Pad,
    Pair,
    col2im,
    im2col,
    output_size,
    pad2d,
    pad_amounts,
    tap,
    unpad2d,
    window_origins,
)
from .weights import initialize_weights

# What max pooling pads with. −inf means the padding never wins a window (PyTorch's semantics);
# 0.0 would reproduce np.pad's default, which most homework submissions use.
MAXPOOL_PAD_VALUE = -np.inf


class Layer(ABC):
    def __init__(self) -> None:
        self.n_in: int | None = None
        self.n_out: int | None = None
        self.parameters: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache: OrderedDict[str, Any] = OrderedDict()
        self.gradients: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    @abstractmethod
    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = layer(X)."""

    @abstractmethod
    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dX = dL/dX given dY = dL/dY; fills `gradients`."""

    def clear_gradients(self) -> None:
        """Zero every gradient and drop the forward cache."""
        self.cache.clear()
        for name, grad in self.gradients.items():
            self.gradients[name] = np.zeros_like(grad)


class _WeightedLayer(Layer):
    """A layer Y = σ(Z) whose Z is affine in X through a weight W and a bias b (1, n_out)."""

    def __init__(self, n_out: int, activation: str, weight_init: str = "xavier_uniform") -> None:
        super().__init__()
        self.n_out = n_out
        self.activation = initialize_activation(activation)
        self.init_weights = initialize_weights(weight_init, activation=activation)

    @abstractmethod
    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        """Set n_in from the input shape and create W, b and their zero gradients."""

    def _create_parameters(self, W_shape: tuple[int, ...]) -> None:
        self.parameters["W"] = self.init_weights(W_shape)
        self.parameters["b"] = np.zeros((1, self.n_out))
        self.gradients = OrderedDict((k, np.zeros_like(v)) for k, v in self.parameters.items())


class FullyConnected(_WeightedLayer):
    """Y = σ(X W + b):  X (N, n_in),  W (n_in, n_out),  b (1, n_out),  Y (N, n_out)."""

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[1]
        self._create_parameters((self.n_in, self.n_out))

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)
        Z = X @ self.parameters["W"] + self.parameters["b"]
        self.cache.update(X=X, Z=Z)
        return self.activation(Z)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dZ = σ'(Z)·dY;  dW = Xᵀ dZ,  db = Σ_n dZ,  dX = dZ Wᵀ."""
        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dY)
        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T


class Conv2D(_WeightedLayer):
    """Y = σ(X ⋆ W + b), a 2-D cross-correlation (no kernel flip) of zero-padded NHWC images.

    X (N, H, W, C_in),  W (kh, kw, C_in, C_out),  b (1, C_out),  Y (N, oh, ow, C_out),
    oh = (H + 2·ph − kh)//stride + 1 (ow likewise).

        Z[n, r, c, o] = b[o] + Σ_{i, j, k} Xp[n, s·r + i, s·c + j, k] · W[i, j, k, o]

    computed as one matrix product (im2col): each output pixel's window, flattened to
    kh·kw·C_in numbers, is a row of `cols`, and Z = cols @ W.reshape(kh·kw·C_in, C_out) + b.

    Memory: a step holds one im2col-sized array at a time. `cols` lives from the forward pass
    until dW is computed; dX's window gradients (dcols) are then made one kernel row at a time.
    """

    def __init__(
        self,
        n_out: int,
        kernel_shape: Pair,
        activation: str,
        stride: int = 1,
        pad: Pad = "same",
        weight_init: str = "xavier_uniform",
    ) -> None:
        super().__init__(n_out, activation, weight_init)
        self.kernel_shape = tuple(kernel_shape)
        self.stride = stride
        self.pads = pad_amounts(pad, self.kernel_shape)

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[3]
        self._create_parameters((*self.kernel_shape, self.n_in, self.n_out))

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)
        self.cache.clear()  # let the last batch's cols go before building this batch's
        W, b = self.parameters["W"], self.parameters["b"]
        cols, padded_shape = im2col(X, self.kernel_shape, self.stride, self.pads)
        oh, ow = output_size(padded_shape[1:3], self.kernel_shape, self.stride)
        Z = cols @ W.reshape(-1, W.shape[-1])  # (N·oh·ow, C_out)
        Z += b  # in place: a second (N·oh·ow, C_out) array costs as much as the product
        Z = Z.reshape(len(X), oh, ow, -1)
        self.cache.update(X=X, padded_shape=padded_shape, cols=cols, Z=Z)
        return self.activation(Z)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dZ = σ'(Z)·dY;  dW = colsᵀ dZ,  db = Σ dZ,  dX = col2im(dZ W2ᵀ)."""
        Z = self.cache["Z"]
        dZ = self.activation.backward(Z, dY).reshape(-1, Z.shape[-1])  # (N·oh·ow, C_out)
        self.gradients["W"] = self._weight_gradient(dZ)
        self.gradients["b"] = np.einsum("mo->o", dZ)[np.newaxis]  # Σ_m dZ[m, o]; beats .sum(0)
        dXp = self._padded_input_gradient(dZ, Z.shape[:3])
        return np.ascontiguousarray(unpad2d(dXp, self.pads))

    def _weight_gradient(self, dZ: np.ndarray) -> np.ndarray:
        """dW = colsᵀ dZ, reshaped like W. cols is let go here, before dX needs room; a second
        backward for the same forward builds it again from X."""
        cols = self.cache.pop("cols", None)
        if cols is None:
            cols, _ = im2col(self.cache["X"], self.kernel_shape, self.stride, self.pads)
        return (dZ.T @ cols).T.reshape(self.parameters["W"].shape)  # BLAS: long axis last

    def _padded_input_gradient(self, dZ: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        """col2im(dcols), dcols = dZ W2ᵀ: entry (i, j) of every window gets dZ W[i, j]ᵀ.

        dcols is made one kernel row at a time, as W[i] dZᵀ: channel-first, with the long
        axis last (BLAS is faster so), and dXp is accumulated channel-first too, so that
        every tap's add runs along image rows.
        """
        W = self.parameters["W"]
        kh, kw, c_in, c_out = W.shape
        N, Hp, Wp, _ = self.cache["padded_shape"]
        dXp = np.zeros((c_in, N, Hp, Wp)).transpose(1, 2, 3, 0)  # NHWC view, channel-first
        for i in range(kh):
            dcols_i = (W[i].reshape(-1, c_out) @ dZ.T).reshape(kw, c_in, *out_shape)
            for j in range(kw):
                tap(dXp, i, j, out_shape[1:], self.stride)[...] += dcols_i[j].transpose(1, 2, 3, 0)
        return dXp


class Pool2D(Layer):
    """Max or average over each kh×kw window of the padded NHWC input, channel by channel.

    X (N, H, W, C) -> Y (N, oh, ow, C), oh = (H + 2·ph − kh)//stride + 1 (ow likewise).
    average: zero padding, and every window is divided by the full area kh·kw.
    max: padding is MAXPOOL_PAD_VALUE; the gradient of each output goes to its window's argmax
    (the first maximum in row-major order on a tie, as in PyTorch).

    Both go tap by tap: tap(Xp, i, j) is entry (i, j) of every window, an (N, oh, ow, C) view,
    so each step is one vectorised operation on output-sized arrays, with no copy of windows.
    """

    def __init__(
        self, kernel_shape: Pair, mode: str = "max", stride: int = 1, pad: Pad = 0
    ) -> None:
        super().__init__()
        if mode not in ("max", "average"):
            raise ValueError(f"pool mode must be 'max' or 'average', not {mode!r}")
        self.kernel_shape = tuple(kernel_shape)
        self.mode = mode
        self.stride = stride
        self.pads = pad_amounts(pad, self.kernel_shape)

    def forward(self, X: np.ndarray) -> np.ndarray:
        pad_value = MAXPOOL_PAD_VALUE if self.mode == "max" else 0.0
        Xp = pad2d(X, self.pads, pad_value)
        out_hw = output_size(Xp.shape[1:3], self.kernel_shape, self.stride)
        taps = [tap(Xp, i, j, out_hw, self.stride) for i, j in self._taps()]
        self.cache["padded_shape"] = Xp.shape
        Y = taps[0].copy()
        if self.mode == "average":
            for x in taps[1:]:
                Y += x
            Y /= len(taps)
            return Y
        for x in taps[1:]:
            np.maximum(Y, x, out=Y)
        # Which tap t = i·kw + j holds the maximum (the first one, on a tie): the number of
        # taps before it, i.e. of leading taps below the maximum. Comparisons and sums only,
        # no masked assignments, which are slow on unpredictable masks.
        below = taps[0] < Y
        argmax = below.astype(np.min_scalar_type(len(taps) - 1))
        for x in taps[1:-1]:
            below &= x < Y
            argmax += below
        self.cache["argmax"] = argmax
        return Y

    def backward(self, dY: np.ndarray) -> np.ndarray:
        shape = self.cache["padded_shape"]
        if self.mode == "average":
            share = dY / (self.kernel_shape[0] * self.kernel_shape[1])
            dXp = col2im(lambda i, j: share, shape, self.kernel_shape, self.stride)
        else:
            # Each window sends its dY to where its maximum is: the window's origin plus the
            # argmax tap's offset (i·Wp + j)·C, as a flat index into Xp. np.bincount adds up
            # what overlapping windows send to the same pixel.
            N, Hp, Wp, C = shape
            offsets = np.array([(i * Wp + j) * C for i, j in self._taps()])
            origins = window_origins(shape, dY.shape[1:3], self.stride)
            where = origins + offsets[self.cache["argmax"]]
            dXp = np.bincount(where.ravel(), weights=dY.ravel(), minlength=N * Hp * Wp * C)
            dXp = dXp.reshape(shape)
        return unpad2d(dXp, self.pads)

    def _taps(self) -> list[tuple[int, int]]:
        """The kernel taps (i, j) in row-major order: tap t is (t // kw, t % kw)."""
        return list(product(range(self.kernel_shape[0]), range(self.kernel_shape[1])))


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1·d2·...) with keep_dim="first"; (..., d) -> (-1, d) with "last"."""

    def __init__(self, keep_dim: str = "first") -> None:
        super().__init__()
        if keep_dim not in ("first", "last"):
            raise ValueError(f"keep_dim must be 'first' or 'last', not {keep_dim!r}")
        self.keep_dim = keep_dim

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.cache["in_shape"] = X.shape
        if self.keep_dim == "first":
            return X.reshape(X.shape[0], -1)
        return X.reshape(-1, X.shape[-1])

    def backward(self, dY: np.ndarray) -> np.ndarray:
        return dY.reshape(self.cache["in_shape"])


LAYERS: dict[str, type[Layer]] = {
    "fully_connected": FullyConnected,
    "conv2d": Conv2D,
    "pool2d": Pool2D,
    "flatten": Flatten,
}


def initialize_layer(
    name: str,
    activation: str | None = None,
    weight_init: str | None = None,
    n_out: int | None = None,
    kernel_shape: Pair | None = None,
    stride: int | None = None,
    pad: Pad | None = None,
    mode: str | None = None,
    keep_dim: str = "first",
) -> Layer:
    """The layer called `name` (fully_connected | conv2d | pool2d | flatten).

    Only the arguments given (not None) are passed on, so each class's defaults apply.
    """
    if name not in LAYERS:
        raise ValueError(f"unknown layer {name!r}; choose one of {', '.join(LAYERS)}")
    if name == "flatten":
        return Flatten(keep_dim=keep_dim)
    given = dict(
        activation=activation,
        weight_init=weight_init,
        n_out=n_out,
        kernel_shape=kernel_shape,
        stride=stride,
        pad=pad,
        mode=mode,
    )
    return LAYERS[name](**{k: v for k, v in given.items() if v is not None})
