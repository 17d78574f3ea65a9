"""Layers: differentiable maps X -> Y with parameters, images in NHWC.

``forward(X) -> Y`` caches what the backward pass needs; ``backward(dY) -> dX`` takes
dY = dL/dY, stores dL/dθ in ``gradients[θ]`` (exactly the shape of ``parameters[θ]``) and
returns dL/dX. Parameters are created on the first forward by ``_init_parameters(X.shape)`` and
are always read from ``self.parameters`` at call time, so they can be replaced from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from functools import partial
from typing import Any

import numpy as np

from .activations import initialize_activation
from .utils import Pad, Pair, col2im, pad2d, pad_amounts, unpad2d, windows
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
        Xp = pad2d(X, self.pads)
        win = windows(Xp, self.kernel_shape, self.stride)  # (N, oh, ow, kh, kw, C_in)
        N, oh, ow = win.shape[:3]
        cols = win.reshape(N * oh * ow, -1)  # the one copy: (N·oh·ow, kh·kw·C_in)
        W2 = W.reshape(-1, W.shape[-1])  # (kh·kw·C_in, C_out)
        # Z = cols W2 + b, computed as (W2ᵀ colsᵀ + bᵀ)ᵀ: BLAS is faster with the long axis last.
        ZT = W2.T @ cols.T
        ZT += b.T  # in place: a second (N·oh·ow, C_out) array costs as much as the product
        Z = ZT.T.reshape(N, oh, ow, -1)
        self.cache.update(padded_shape=Xp.shape, cols=cols, Z=Z)
        return self.activation(Z)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dZ = σ'(Z)·dY;  dW = colsᵀ dZ,  db = Σ dZ,  dX = col2im(dZ W2ᵀ)."""
        cols, Z = self.cache["cols"], self.cache["Z"]
        W = self.parameters["W"]
        N, oh, ow, c_out = Z.shape
        dZ = self.activation.backward(Z, dY).reshape(-1, c_out)  # (N·oh·ow, C_out)
        self.gradients["W"] = (dZ.T @ cols).T.reshape(W.shape)  # colsᵀ dZ, long axis last
        self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
        # dcols = dZ W2ᵀ, one kernel tap at a time: entry (i, j) of every window gets dZ W[i, j]ᵀ.
        dXp = col2im(
            lambda i, j: (dZ @ W[i, j].T).reshape(N, oh, ow, -1),
            self.cache["padded_shape"],
            self.kernel_shape,
            self.stride,
        )
        return unpad2d(dXp, self.pads)


class Pool2D(Layer):
    """Max or average over each kh×kw window of the padded NHWC input, channel by channel.

    X (N, H, W, C) -> Y (N, oh, ow, C), oh = (H + 2·ph − kh)//stride + 1 (ow likewise).
    average: zero padding, and every window is divided by the full area kh·kw.
    max: padding is MAXPOOL_PAD_VALUE; the gradient of each output goes to its window's argmax.
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
        win = windows(Xp, self.kernel_shape, self.stride)  # (N, oh, ow, kh, kw, C)
        self.cache["padded_shape"] = Xp.shape
        if self.mode == "average":
            return win.mean(axis=(3, 4))
        taps = win.reshape(*win.shape[:3], -1, win.shape[-1])  # (N, oh, ow, kh·kw, C)
        self.cache["argmax"] = taps.argmax(axis=3)
        return taps.max(axis=3)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        dXp = col2im(
            partial(self._tap_grad, dY), self.cache["padded_shape"], self.kernel_shape, self.stride
        )
        return unpad2d(dXp, self.pads)

    def _tap_grad(self, dY: np.ndarray, i: int, j: int) -> np.ndarray:
        """dL/d(entry (i, j) of every window): dY/(kh·kw) (average), or dY where it is the max."""
        kh, kw = self.kernel_shape
        if self.mode == "average":
            return dY / (kh * kw)
        return dY * (self.cache["argmax"] == i * kw + j)  # argmax is the flat tap index i·kw + j


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
