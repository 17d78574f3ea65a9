"""Layers, written from the contract (NHWC images; loops over output positions)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict

import numpy as np

from .activations import initialize_activation


def _padding(pad: str | int, kernel: tuple[int, int]) -> tuple[int, int]:
    if pad == "same":
        return (kernel[0] - 1) // 2, (kernel[1] - 1) // 2
    if pad == "valid":
        return 0, 0
    return int(pad), int(pad)


def _pad(X: np.ndarray, ph: int, pw: int, value: float) -> np.ndarray:
    n, h, w, c = X.shape
    out = np.full((n, h + 2 * ph, w + 2 * pw, c), value, dtype=np.float64)
    out[:, ph:ph + h, pw:pw + w, :] = X
    return out


def _xavier(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-bound, bound, size=shape)


class Layer(ABC):
    def __init__(self) -> None:
        self.n_in = None
        self.n_out = None
        self.parameters: OrderedDict = OrderedDict()
        self.cache: OrderedDict = OrderedDict()
        self.gradients: OrderedDict = OrderedDict()

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    @abstractmethod
    def forward(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def backward(self, dLdY: np.ndarray) -> np.ndarray: ...

    def clear_gradients(self) -> None:
        self.cache = OrderedDict()
        self.gradients = OrderedDict((k, np.zeros_like(v)) for k, v in self.gradients.items())


class FullyConnected(Layer):
    def __init__(self, n_out: int, activation: str, weight_init: str = "xavier_uniform") -> None:
        super().__init__()
        self.n_out = n_out
        self.activation = initialize_activation(activation)

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[1]
        W = _xavier((self.n_in, self.n_out), self.n_in, self.n_out)
        self.parameters = OrderedDict(W=W, b=np.zeros((1, self.n_out)))
        self.gradients = OrderedDict(W=np.zeros_like(W), b=np.zeros((1, self.n_out)))

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)
        Z = np.einsum("ni,io->no", X, self.parameters["W"]) + self.parameters["b"]
        self.cache["X"], self.cache["Z"] = X, Z
        return self.activation.forward(Z)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        X, Z = self.cache["X"], self.cache["Z"]
        dZ = self.activation.backward(Z, dLdY)
        self.gradients["W"] = np.einsum("ni,no->io", X, dZ)
        self.gradients["b"] = np.sum(dZ, axis=0).reshape(1, -1)
        return np.einsum("no,io->ni", dZ, self.parameters["W"])


class Conv2D(Layer):
    def __init__(self, n_out: int, kernel_shape: tuple[int, int], activation: str,
                 stride: int = 1, pad: str | int = "same",
                 weight_init: str = "xavier_uniform") -> None:
        super().__init__()
        self.n_out = n_out
        self.kernel_shape = (int(kernel_shape[0]), int(kernel_shape[1]))
        self.stride = int(stride)
        self.pad = _padding(pad, self.kernel_shape)
        self.activation = initialize_activation(activation)

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        kh, kw = self.kernel_shape
        self.n_in = X_shape[3]
        W = _xavier((kh, kw, self.n_in, self.n_out), kh * kw * self.n_in, kh * kw * self.n_out)
        self.parameters = OrderedDict(W=W, b=np.zeros((1, self.n_out)))
        self.gradients = OrderedDict(W=np.zeros_like(W), b=np.zeros((1, self.n_out)))

    def _geometry(self, X: np.ndarray) -> tuple[int, int]:
        kh, kw = self.kernel_shape
        ph, pw = self.pad
        oh = (X.shape[1] + 2 * ph - kh) // self.stride + 1
        ow = (X.shape[2] + 2 * pw - kw) // self.stride + 1
        return oh, ow

    def forward(self, X: np.ndarray) -> np.ndarray:
        if self.n_in is None:
            self._init_parameters(X.shape)
        W, b = self.parameters["W"], self.parameters["b"]
        kh, kw = self.kernel_shape
        s = self.stride
        oh, ow = self._geometry(X)
        Xp = _pad(X, *self.pad, 0.0)
        Z = np.empty((X.shape[0], oh, ow, self.n_out))
        for r in range(oh):
            for c in range(ow):
                window = Xp[:, r * s:r * s + kh, c * s:c * s + kw, :]
                Z[:, r, c, :] = np.tensordot(window, W, axes=([1, 2, 3], [0, 1, 2]))
        Z = Z + b.reshape(1, 1, 1, -1)
        self.cache["X"], self.cache["Z"] = X, Z
        return self.activation.forward(Z)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        X, Z = self.cache["X"], self.cache["Z"]
        W = self.parameters["W"]
        kh, kw = self.kernel_shape
        s = self.stride
        ph, pw = self.pad
        oh, ow = Z.shape[1:3]
        dZ = self.activation.backward(Z, dLdY)
        Xp = _pad(X, ph, pw, 0.0)
        dXp = np.zeros_like(Xp)
        dW = np.zeros_like(W)
        for r in range(oh):
            for c in range(ow):
                rows, cols = slice(r * s, r * s + kh), slice(c * s, c * s + kw)
                g = dZ[:, r, c, :]                                      # (N, C_out)
                dW += np.tensordot(Xp[:, rows, cols, :], g, axes=([0], [0]))
                dXp[:, rows, cols, :] += np.tensordot(g, W, axes=([1], [3]))
        self.gradients["W"] = dW
        self.gradients["b"] = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)
        return dXp[:, ph:ph + X.shape[1], pw:pw + X.shape[2], :].copy()


class Pool2D(Layer):
    def __init__(self, kernel_shape: tuple[int, int], mode: str = "max", stride: int = 1,
                 pad: str | int = 0) -> None:
        super().__init__()
        self.kernel_shape = (int(kernel_shape[0]), int(kernel_shape[1]))
        self.mode = mode
        self.stride = int(stride)
        self.pad = _padding(pad, self.kernel_shape)

    def forward(self, X: np.ndarray) -> np.ndarray:
        kh, kw = self.kernel_shape
        s = self.stride
        ph, pw = self.pad
        fill = -np.inf if self.mode == "max" else 0.0
        Xp = _pad(X, ph, pw, fill)
        n, hp, wp, ch = Xp.shape
        oh, ow = (hp - kh) // s + 1, (wp - kw) // s + 1
        Y = np.empty((n, oh, ow, ch))
        picks = np.empty((n, oh, ow, ch), dtype=np.int64)
        for r in range(oh):
            for c in range(ow):
                window = Xp[:, r * s:r * s + kh, c * s:c * s + kw, :].reshape(n, kh * kw, ch)
                if self.mode == "max":
                    picks[:, r, c, :] = np.argmax(window, axis=1)   # the first maximum
                    Y[:, r, c, :] = np.max(window, axis=1)
                else:
                    Y[:, r, c, :] = np.sum(window, axis=1) / (kh * kw)
        self.cache["X_shape"], self.cache["picks"] = X.shape, picks
        return Y

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        kh, kw = self.kernel_shape
        s = self.stride
        ph, pw = self.pad
        n, h, w, ch = self.cache["X_shape"]
        dXp = np.zeros((n, h + 2 * ph, w + 2 * pw, ch))
        oh, ow = dLdY.shape[1:3]
        nn, cc = np.meshgrid(np.arange(n), np.arange(ch), indexing="ij")
        for r in range(oh):
            for c in range(ow):
                if self.mode == "max":
                    t = self.cache["picks"][:, r, c, :]
                    dXp[nn, r * s + t // kw, c * s + t % kw, cc] += dLdY[:, r, c, :]
                else:
                    dXp[:, r * s:r * s + kh, c * s:c * s + kw, :] += (
                        dLdY[:, r:r + 1, c:c + 1, :] / (kh * kw))
        return dXp[:, ph:ph + h, pw:pw + w, :].copy()


class Flatten(Layer):
    def __init__(self, keep_dim: str = "first") -> None:
        super().__init__()
        self.keep_dim = keep_dim

    def forward(self, X: np.ndarray) -> np.ndarray:
        self.cache["in_dims"] = X.shape
        if self.keep_dim == "first":
            return X.reshape(X.shape[0], -1).copy()
        return X.reshape(-1, X.shape[-1]).copy()

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        return dLdY.reshape(self.cache["in_dims"]).copy()


def initialize_layer(name: str, activation: str | None = None, weight_init: str | None = None,
                     n_out: int | None = None, kernel_shape: tuple[int, int] | None = None,
                     stride: int | None = None, pad: str | int | None = None,
                     mode: str | None = None, keep_dim: str = "first") -> Layer:
    if name == "fully_connected":
        return FullyConnected(n_out, activation)
    if name == "conv2d":
        return Conv2D(n_out, kernel_shape, activation, stride or 1,
                      "same" if pad is None else pad)
    if name == "pool2d":
        return Pool2D(kernel_shape, mode or "max", stride or 1, 0 if pad is None else pad)
    return Flatten(keep_dim)
