"""Layers: differentiable maps X -> Y with parameters, images in NHWC.

``forward(X) -> Y`` caches what the backward pass needs; ``backward(dY) -> dX`` takes
dY = dL/dY, stores dL/dθ in ``gradients[θ]`` (exactly the shape of ``parameters[θ]``) and
returns dL/dX. Parameters are created on the first forward by ``_init_parameters(X.shape)`` and
are always read from ``self.parameters`` at call time, so they can be replaced from outside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterator
from itertools import product
from math import prod
from typing import Any

import numpy as np

from .activations import initialize_activation
from .utils import (
    Pad,
    Pair,
    batch_chunks,
    first_max,
    im2col,
    ones_column,
    output_size,
    pad2d,
    pad_amounts,
    tap,
    unpad2d,
    window_origins,
    windows,
)
from .weights import initialize_weights

# What max pooling pads with. −inf means the padding never wins a window (PyTorch's semantics);
# 0.0 would reproduce np.pad's default, which most homework submissions use.
MAXPOOL_PAD_VALUE = -np.inf

# Conv2D goes through the batch in chunks of about this many bytes of im2col rows (a few
# samples at a time), so that what a chunk writes is still in the cache when it is read.
CHUNK_BYTES = 2**21


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

    computed as matrix products (im2col): each output pixel's window, flattened to kh·kw·C_in
    numbers and followed by a 1, is a row of `cols`, and Z = cols @ [W.reshape(kh·kw·C_in,
    C_out); b] (the bias is the weight of an input that is always 1).

    The batch goes through in chunks of CHUNK_BYTES of cols: each chunk's cols is still in
    the cache when it is multiplied, where a whole batch's would have gone out to memory and
    come back. A step holds one chunk's cols at a time; the backward pass builds them again
    from the forward's windows (a view of the padded X).
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
        self.cache.clear()
        W, b = self.parameters["W"], self.parameters["b"]
        Xp = pad2d(X, self.pads)
        win = windows(Xp, self.kernel_shape, self.stride)  # (N, oh, ow, kh, kw, C_in), a view
        Wb = np.vstack([W.reshape(-1, W.shape[-1]), b])     # (kh·kw·C_in + 1, C_out)
        Z = np.empty((*win.shape[:3], W.shape[-1]))
        Z_rows = Z.reshape(-1, W.shape[-1])                  # (N·oh·ow, C_out), a view of Z
        for rows, cols in self._cols_by_chunk(win):
            np.matmul(cols, Wb, out=Z_rows[rows])
        self.cache.update(X=X, padded_shape=Xp.shape, windows=win, Z=Z)
        return self.activation(Z)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dZ = σ'(Z)·dY;  dW = colsᵀ dZ,  db = Σ dZ,  dX = col2im(dZ W2ᵀ)."""
        Z = self.cache["Z"]
        dZ = self.activation.backward(Z, dY).reshape(-1, Z.shape[-1])  # (N·oh·ow, C_out)
        self.gradients["W"] = self._weight_gradient(dZ)
        self.gradients["b"] = np.einsum("mo->o", dZ)[np.newaxis]  # Σ_m dZ[m, o]; beats .sum(0)
        dXp = self._padded_input_gradient(dZ, Z.shape[:3])
        return np.ascontiguousarray(unpad2d(dXp, self.pads))

    def _cols_by_chunk(self, win: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
        """(rows, cols) chunk by chunk: cols (n·oh·ow, kh·kw·C_in + 1) are rows `rows` of
        im2col(win), built in one buffer that every chunk reuses."""
        N, oh, ow = win.shape[:3]
        width = prod(win.shape[3:]) + 1
        chunks = batch_chunks(N, oh * ow * width * 8, CHUNK_BYTES)
        buffer = ones_column(np.empty((chunks[0].stop - chunks[0].start) * oh * ow * width), width)
        for batch in chunks:
            rows = slice(batch.start * oh * ow, batch.stop * oh * ow)
            yield rows, im2col(win[batch], buffer)

    def _weight_gradient(self, dZ: np.ndarray) -> np.ndarray:
        """dW = colsᵀ dZ, summed chunk by chunk, reshaped like W (cols's column of 1s gives
        Σ dZ = db as well; it is dropped here)."""
        dWb = np.zeros((dZ.shape[1], prod(self.parameters["W"].shape[:3]) + 1))
        for rows, cols in self._cols_by_chunk(self.cache["windows"]):
            dWb += dZ[rows].T @ cols  # (C_out, kh·kw·C_in + 1): BLAS is faster long axis last
        return dWb[:, :-1].T.reshape(self.parameters["W"].shape)

    def _padded_input_gradient(self, dZ: np.ndarray, out_shape: tuple[int, ...]) -> np.ndarray:
        """col2im(dcols): entry (i, j) of every window gets dZ W[i, j]ᵀ.

        Chunk by chunk, dcols is made tap-major, (kh·kw, n·oh·ow, C_in), one product per
        tap in a single batched matmul: each tap's slice is then contiguous and its add
        onto dXp runs along image rows (whole rows of ow·C_in numbers at stride 1), where a
        (n·oh·ow, kh·kw·C_in) dcols would be read C_in numbers at a time.
        """
        W = self.parameters["W"]
        kh, kw, c_in, c_out = W.shape
        N, oh, ow = out_shape
        # W[i, j]ᵀ tap by tap, copied: matmul is 2–3× faster on contiguous operands
        W_taps = np.ascontiguousarray(W.reshape(kh * kw, c_in, c_out).transpose(0, 2, 1))
        dXp = np.zeros(self.cache["padded_shape"])
        per_sample = kh * kw * oh * ow * c_in
        chunks = batch_chunks(N, per_sample * 8, CHUNK_BYTES)
        buffer = np.empty((chunks[0].stop - chunks[0].start) * per_sample)
        for batch in chunks:
            n = batch.stop - batch.start
            dcols = buffer[: n * per_sample].reshape(kh * kw, n * oh * ow, c_in)
            np.matmul(dZ[batch.start * oh * ow : batch.stop * oh * ow], W_taps, out=dcols)
            dcols = dcols.reshape(kh, kw, n, oh, ow, c_in)
            for i, j in product(range(kh), range(kw)):   # col2im of the chunk
                tap(dXp[batch], i, j, (oh, ow), self.stride)[...] += dcols[i, j]
        return dXp


class Pool2D(Layer):
    """Max or average over each kh×kw window of the padded NHWC input, channel by channel.

    X (N, H, W, C) -> Y (N, oh, ow, C), oh = (H + 2·ph − kh)//stride + 1 (ow likewise).
    average: zero padding, and every window is divided by the full area kh·kw.
    max: padding is MAXPOOL_PAD_VALUE; the gradient of each output goes to its window's argmax
    (the first maximum in row-major order on a tie, as in PyTorch).

    No window is copied: tap(Xp, i, j) is entry (i, j) of every window, an (N, oh, ow, C)
    view, so each step is one vectorised operation on output-sized arrays. Sums, and the
    maxima of overlapping windows (stride < kernel), are separable: over each window's rows,
    then its columns. Where windows do not overlap, each pixel is in one window at most and
    gets its gradient in one write; where they do, np.bincount adds up what each pixel gets.
    Everything goes through the batch a chunk of CHUNK_BYTES at a time, so that the passes
    after the first read the input from the cache.
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
        self.cache["padded_shape"] = Xp.shape
        Y = np.empty((len(X), *out_hw, X.shape[3]))
        chunks = batch_chunks(len(X), Xp[0].nbytes, CHUNK_BYTES)
        if self.mode == "average":
            for batch in chunks:
                Y[batch] = self._average(Xp[batch], out_hw)
            return Y
        argmax = np.empty(Y.shape, np.min_scalar_type(len(self._taps()) - 1))
        for batch in chunks:
            Y[batch], argmax[batch] = self._max(Xp[batch], out_hw)
        self.cache["argmax"] = argmax
        return Y

    def _average(self, Xp: np.ndarray, out_hw: Pair) -> np.ndarray:
        # A box sum is separable: sum the kh rows of every window for each image column
        # first, then kw of those column sums. Overlapping windows share the column sums:
        # (kh − 1) + (kw − 1) additions per output instead of kh·kw − 1.
        (kh, kw), s, (oh, ow) = self.kernel_shape, self.stride, out_hw
        rows = Xp[:, 0 : s * oh : s].copy()                          # (n, oh, Wp, C)
        for i in range(1, kh):
            rows += Xp[:, i : i + s * oh : s]
        Y = rows[:, :, 0 : s * ow : s].copy()                        # (n, oh, ow, C)
        for j in range(1, kw):
            Y += rows[:, :, j : j + s * ow : s]
        Y /= kh * kw
        return Y

    def _max(self, Xp: np.ndarray, out_hw: Pair) -> tuple[np.ndarray, np.ndarray]:
        """The maximum of every window, and which tap t = i·kw + j holds it (the first in
        row-major order, on a tie)."""
        (kh, kw), s, (oh, ow) = self.kernel_shape, self.stride, out_hw
        if not self._overlapping():
            return first_max([tap(Xp, i, j, out_hw, s) for i, j in self._taps()])
        # Overlapping windows share their maxima, and a maximum is separable: over j first,
        # the maximum of each window's row (kw wide) in every padded row, rows (n, Hp, ow, C),
        # then over i, the maximum of the window's kh rows. The row-major first maximum is in
        # the first row i that holds it, at that row's first j.
        rows, j_first = first_max([Xp[:, :, j : j + s * ow : s] for j in range(kw)])
        Y, i_first = first_max([rows[:, i : i + s * oh : s] for i in range(kh)])
        argmax = i_first.astype(np.min_scalar_type(kh * kw)) * kw   # t = i·kw + j
        for i in range(kh):
            argmax += (i_first == i) * j_first[:, i : i + s * oh : s]
        return Y, argmax

    def backward(self, dY: np.ndarray) -> np.ndarray:
        shape = self.cache["padded_shape"]
        dXp = np.zeros(shape)
        for batch in batch_chunks(shape[0], dXp[0].nbytes, CHUNK_BYTES):
            if self.mode == "average":
                self._average_gradient_into(dXp[batch], dY[batch])
            else:
                self._max_gradient_into(dXp[batch], dY[batch], self.cache["argmax"][batch])
        return unpad2d(dXp, self.pads)

    def _average_gradient_into(self, dXp: np.ndarray, dY: np.ndarray) -> None:
        """The gradient w.r.t. the padded input, written into dXp (zeros): col2im of the
        windows' gradients, each entry of a window getting dY / (kh·kw)."""
        (kh, kw), s, (oh, ow) = self.kernel_shape, self.stride, dY.shape[1:3]
        share = dY / (kh * kw)
        if not self._overlapping():  # each pixel is entry (i, j) of one window at most
            for i, j in self._taps():
                tap(dXp, i, j, (oh, ow), s)[...] = share
            return
        # The adjoint of the separable sum, in reverse: each share goes to its window's kw
        # columns, and those column sums to the window's kh rows.
        rows = np.zeros((len(dY), oh, dXp.shape[2], dXp.shape[3]))   # (n, oh, Wp, C)
        for j in range(kw):
            rows[:, :, j : j + s * ow : s] += share
        for i in range(kh):
            dXp[:, i : i + s * oh : s] += rows

    def _max_gradient_into(self, dXp: np.ndarray, dY: np.ndarray, argmax: np.ndarray) -> None:
        """The gradient w.r.t. the padded input, written into dXp (zeros): each window's dY
        goes to its argmax."""
        if not self._overlapping():
            # Windows that do not overlap: every pixel is entry (i, j) of at most one window,
            # so, tap by tap, it gets dY where that entry is the argmax and 0 elsewhere.
            for t, (i, j) in enumerate(self._taps()):
                np.multiply(dY, argmax == t, out=tap(dXp, i, j, dY.shape[1:3], self.stride))
            return
        # Overlapping windows: each window's dY goes to the window's origin plus the argmax
        # tap's offset (i·Wp + j)·C, as a flat index into Xp, and np.bincount adds up what
        # windows send to the same pixel.
        offsets = np.array([(i * dXp.shape[2] + j) * dXp.shape[3] for i, j in self._taps()])
        where = window_origins(dXp.shape, dY.shape[1:3], self.stride) + offsets[argmax]
        dXp[...] = np.bincount(where.ravel(), weights=dY.ravel(), minlength=dXp.size
                               ).reshape(dXp.shape)

    def _overlapping(self) -> bool:
        """Whether windows share pixels (stride < kernel); if not, each pixel is in one window."""
        return self.stride < max(self.kernel_shape)

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
