"""PyTorch twins of the contract's layers: `forward(X) -> Y`, `backward(dY) -> dX`.

Each layer builds its torch graph from fresh float64 leaves (X and every parameter), keeps the
graph in `cache`, and on `backward` asks autograd for all leaves at once; `gradients[k]` then has
exactly the shape of `parameters[k]`. Images are NHWC at the boundary and NCHW inside torch;
kernels are (kh, kw, cin, cout) at the boundary and (cout, cin, kh, kw) inside torch.
Padding is always explicit (`pad_image`), and torch's conv/pool ops run with padding=0.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference._autograd import leaf, to_numpy, vjp
from reference.activations import initialize_activation
from reference.conventions import PYTORCH, Conventions

Pad = int | str


# ---------------------------------------------------------------- padding
def pad_amounts(pad: Pad, size: int, kernel: int, stride: int,
                same_pad: str = "symmetric") -> tuple[int, int]:
    """(before, after) padding of one spatial dimension of length `size`.

    "valid" -> (0, 0); an int p -> (p, p); "same" -> ((k-1)//2, (k-1)//2) under
    same_pad="symmetric", or TensorFlow's SAME under "asymmetric": the output has
    ceil(size/stride) elements and the odd extra row/column goes after.
    """
    if pad == "valid":
        return 0, 0
    if pad != "same":
        if isinstance(pad, str) or pad < 0:
            raise ValueError(f"pad must be 'same', 'valid' or an int >= 0, not {pad!r}")
        return int(pad), int(pad)
    if same_pad == "symmetric":
        return (kernel - 1) // 2, (kernel - 1) // 2
    if same_pad == "asymmetric":
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    raise ValueError(f"unknown same_pad convention {same_pad!r}")


def output_size(size: int, kernel: int, stride: int, pads: tuple[int, int]) -> int:
    """Output length of one spatial dimension: (size + before + after − kernel)//stride + 1."""
    return (size + sum(pads) - kernel) // stride + 1


def pad_image(x: Tensor, pad: Pad, kernel_shape: tuple[int, int], stride: int,
              same_pad: str, value: float) -> Tensor:
    """NCHW `x` padded with `value` on rows and columns, per `pad_amounts`."""
    top, bottom = pad_amounts(pad, x.shape[2], kernel_shape[0], stride, same_pad)
    left, right = pad_amounts(pad, x.shape[3], kernel_shape[1], stride, same_pad)
    return F.pad(x, (left, right, top, bottom), value=value)


# ---------------------------------------------------------------- layout
def nhwc_to_nchw(x: Tensor) -> Tensor:
    """(N, H, W, C) -> (N, C, H, W)."""
    return x.permute(0, 3, 1, 2)


def nchw_to_nhwc(x: Tensor) -> Tensor:
    """(N, C, H, W) -> (N, H, W, C)."""
    return x.permute(0, 2, 3, 1)


def kernel_to_torch(w: Tensor) -> Tensor:
    """(kh, kw, cin, cout) -> (cout, cin, kh, kw), contiguous: conv2d's backward needs it."""
    return w.permute(3, 2, 0, 1).contiguous()


def kernel_from_torch(w: Tensor) -> Tensor:
    """(cout, cin, kh, kw) -> (kh, kw, cin, cout)."""
    return w.permute(2, 3, 1, 0)


# ---------------------------------------------------------------- initial weights
_WEIGHT_INITS: dict[str, Callable[..., Tensor]] = {
    "xavier_uniform": torch.nn.init.xavier_uniform_,
    "xavier_normal": torch.nn.init.xavier_normal_,
    "he_uniform": torch.nn.init.kaiming_uniform_,
    "he_normal": torch.nn.init.kaiming_normal_,
}


def weight_initializer(name: str) -> Callable[[tuple[int, ...]], Tensor]:
    """f(torch_shape) -> deterministic (seed 0) float64 weights, with torch's fan rules.

    Shapes are in torch's layout ((out, in) or (cout, cin, kh, kw)), whose fans are the
    contract's fans of (in, out) and (kh, kw, cin, cout).
    """
    if name not in _WEIGHT_INITS:
        raise ValueError(f"unknown weight_init {name!r}; choose one of {list(_WEIGHT_INITS)}")

    def init(shape: tuple[int, ...]) -> Tensor:
        w = torch.empty(shape, dtype=torch.float64)
        return _WEIGHT_INITS[name](w, generator=torch.Generator().manual_seed(0))

    return init


def _pair(k: int | tuple[int, int]) -> tuple[int, int]:
    return (k, k) if isinstance(k, int) else (int(k[0]), int(k[1]))


# ---------------------------------------------------------------- layers
class Layer(ABC):
    """Base layer: lazy `_init_parameters`, and forward/backward through autograd."""

    def __init__(self, conventions: Conventions | None = None) -> None:
        self.conventions = conventions or PYTORCH
        self.n_in: int | None = None
        self.n_out: int | None = None
        self.parameters: OrderedDict[str, np.ndarray] = OrderedDict()
        self.gradients: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache: OrderedDict[str, object] = OrderedDict()

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        """Record the sizes of a parameter-free layer: the last axis (channels) in and out."""
        self.n_in = self.n_out = X_shape[-1]

    @abstractmethod
    def _graph(self, t: dict[str, Tensor]) -> Tensor:
        """Y from the leaves t["X"] and t[parameter name] (torch tensors)."""

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = layer(X); creates the parameters on the first call."""
        if self.n_in is None:
            self._init_parameters(X.shape)
        leaves = {"X": leaf(X), **{k: leaf(v) for k, v in self.parameters.items()}}
        Y = self._graph(leaves)
        self.cache["leaves"], self.cache["Y"] = leaves, Y
        return to_numpy(Y)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dX for upstream gradient dY (shaped like Y); fills `gradients` like `parameters`."""
        if "Y" not in self.cache:
            raise RuntimeError("backward called before forward")
        leaves = self.cache["leaves"]
        grads = dict(zip(leaves, vjp(self.cache["Y"], list(leaves.values()), dY), strict=True))
        for name in self.parameters:
            self.gradients[name] = grads[name]
        return grads["X"]


class FullyConnected(Layer):
    """Y = act(X @ W + b): X (N, n_in), W (n_in, n_out), b (1, n_out), Y (N, n_out)."""

    def __init__(self, n_out: int, activation: str, weight_init: str = "xavier_uniform", *,
                 conventions: Conventions | None = None) -> None:
        super().__init__(conventions)
        self.n_out = n_out
        self.activation = initialize_activation(activation)
        self.init_weights = weight_initializer(weight_init)

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[1]
        self.parameters["W"] = to_numpy(self.init_weights((self.n_out, self.n_in)).T)
        self.parameters["b"] = np.zeros((1, self.n_out))

    def _graph(self, t: dict[str, Tensor]) -> Tensor:
        return self.activation.apply(t["X"] @ t["W"] + t["b"])


class Conv2D(Layer):
    """Cross-correlation, then bias and activation.

    X (N, H, W, cin), W (kh, kw, cin, cout), b (1, cout) -> Y (N, oh, ow, cout), with zero
    padding per `pad_amounts` and oh = `output_size(H, kh, stride, pads)` (likewise ow).
    """

    def __init__(self, n_out: int, kernel_shape: int | tuple[int, int], activation: str,
                 stride: int = 1, pad: Pad = "same", weight_init: str = "xavier_uniform", *,
                 conventions: Conventions | None = None) -> None:
        super().__init__(conventions)
        self.n_out = n_out
        self.kernel_shape = _pair(kernel_shape)
        self.activation = initialize_activation(activation)
        self.stride, self.pad = stride, pad
        self.init_weights = weight_initializer(weight_init)

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[3]
        w = self.init_weights((self.n_out, self.n_in, *self.kernel_shape))
        self.parameters["W"] = to_numpy(kernel_from_torch(w))
        self.parameters["b"] = np.zeros((1, self.n_out))

    def _graph(self, t: dict[str, Tensor]) -> Tensor:
        x = pad_image(nhwc_to_nchw(t["X"]), self.pad, self.kernel_shape, self.stride,
                      self.conventions.same_pad, 0.0)
        y = F.conv2d(x, kernel_to_torch(t["W"]), stride=self.stride)
        return self.activation.apply(nchw_to_nhwc(y) + t["b"])


_POOLS = {"max": F.max_pool2d, "average": F.avg_pool2d}
_MAXPOOL_PAD_VALUES = {"-inf": float("-inf"), "zero": 0.0}


class Pool2D(Layer):
    """Max or average pooling of X (N, H, W, C) -> Y (N, oh, ow, C); no parameters.

    Average pooling pads with 0 and divides by the full kernel area, padding included;
    max pooling pads with −inf or 0 per `conventions.maxpool_pad`.
    """

    def __init__(self, kernel_shape: int | tuple[int, int], mode: str = "max",
                 stride: int = 1, pad: Pad = 0, *,
                 conventions: Conventions | None = None) -> None:
        super().__init__(conventions)
        if mode not in _POOLS:
            raise ValueError(f"unknown pooling mode {mode!r}; choose one of {list(_POOLS)}")
        self.kernel_shape = _pair(kernel_shape)
        self.mode, self.stride, self.pad = mode, stride, pad

    def _graph(self, t: dict[str, Tensor]) -> Tensor:
        value = _MAXPOOL_PAD_VALUES[self.conventions.maxpool_pad] if self.mode == "max" else 0.0
        x = pad_image(nhwc_to_nchw(t["X"]), self.pad, self.kernel_shape, self.stride,
                      self.conventions.same_pad, value)
        return nchw_to_nhwc(_POOLS[self.mode](x, self.kernel_shape, self.stride))


class Flatten(Layer):
    """keep_dim="first": (N, ...) -> (N, -1); "last": (..., C) -> (-1, C); backward undoes it."""

    def __init__(self, keep_dim: str = "first", *,
                 conventions: Conventions | None = None) -> None:
        super().__init__(conventions)
        if keep_dim not in ("first", "last"):
            raise ValueError(f"keep_dim must be 'first' or 'last', not {keep_dim!r}")
        self.keep_dim = keep_dim

    def _init_parameters(self, X_shape: tuple[int, ...]) -> None:
        self.n_in = X_shape[-1]
        self.n_out = int(np.prod(X_shape[1:] if self.keep_dim == "first" else X_shape[-1:]))

    def _graph(self, t: dict[str, Tensor]) -> Tensor:
        x = t["X"]
        return x.reshape(x.shape[0], -1) if self.keep_dim == "first" else x.reshape(-1, x.shape[-1])


LAYERS: dict[str, type[Layer]] = {
    "fully_connected": FullyConnected, "conv2d": Conv2D, "pool2d": Pool2D, "flatten": Flatten,
}


def initialize_layer(name: str, **kwargs: object) -> Layer:
    """The layer called `name` (fully_connected | conv2d | pool2d | flatten), built from kwargs."""
    try:
        cls = LAYERS[name]
    except KeyError:
        raise ValueError(f"unknown layer {name!r}; choose one of {list(LAYERS)}") from None
    return cls(**kwargs)
