"""PyTorch twins of CMU 11-785's ``mytorch`` (HW1P1 and HW2P1, the Spring 2024 and later contract).

Same class names, constructors, attributes and methods as the handout, so the harness drives a
student's object and its twin through exactly the same calls: it may assign parameters after
construction (``twin.W = ndarray``), calls ``forward``, then ``backward`` with the upstream
gradient, and reads the gradients the backward wrote (``twin.dLdW``, ...). Where mytorch builds
an op from stride-1 sub-objects, the twin has the same sub-objects under the same names
(``Conv1d.conv1d_stride1``, ``Conv1d.downsample1d``, ``MaxPool2d.maxpool2d_stride1``, ...) and
the parameters live there: ``Conv1d`` reads ``conv1d_stride1.W`` and ``.b`` and writes
``conv1d_stride1.dLdW`` and ``.dLdb``.

Every forward copies its array inputs and the current parameters into fresh float64 leaves,
builds the torch graph and keeps it; every backward is one autograd vector-Jacobian product
with the upstream gradient on that graph (retained, so backward may run more than once after
one forward). A loss's ``backward()`` takes no argument: its upstream is the scalar 1 (or an
edition's constant, below). No gradient is written by hand. The caller's arrays are never
modified; results and the attributes written are float64 ndarrays (Swish's dLdbeta, for a
scalar beta, a float64 scalar), losses Python floats. Layouts are mytorch's: (N, C) for
Linear, the activations, losses and BatchNorm1d; (N, C, W) and (N, C, H, W) for HW2P1.

mytorch's definitions versus torch's
Where they agree the twin calls torch's function; where they differ (marked *) it computes
mytorch's definition, as the last column says.

| op                   | mytorch (S24+)                       | torch -> the twin                  |
|----------------------|--------------------------------------|------------------------------------|
| Linear               | Z = A Wᵀ + 1 bᵀ; W (out, in),        | F.linear(A, W, b): the same (b     |
|                      | b (out, 1), both zeros; dLdW =       | flattened for torch; dLdb has b's  |
|                      | dLdZᵀA, dLdb = dLdZᵀ1 (sums over the | (out, 1) shape)                    |
|                      | batch)                               |                                    |
| Sigmoid, Tanh, ReLU  | elementwise                          | torch.sigmoid, torch.tanh, F.relu  |
| GELU                 | exact: Z·Φ(Z), Φ by erf              | F.gelu(approximate="none")         |
| Softmax              | over axis 1 of (N, C)                | F.softmax(dim=1): the same         |
| * Swish              | Z·σ(βZ) with a parameter β;          | F.silu is β = 1, no dLdbeta ->     |
|                      | dLdbeta = Σ over every element       | Z·torch.sigmoid(β·Z), β a leaf     |
| MSELoss              | Σ(A − Y)²/(N·C)                      | F.mse_loss (mean): the same        |
| CrossEntropyLoss     | mean over N of −Σ_j Y log            | F.cross_entropy with probability   |
|                      | softmax(A), one-hot Y; backward      | targets (mean): the same           |
|                      | (softmax − Y)/N                      |                                    |
| * BatchNorm1d eps    | 1e-8                                 | 1e-5 -> eps=self.eps (1e-8)        |
| BatchNorm1d train    | batch mean and *biased* variance     | F.batch_norm(training=True): same  |
| * BatchNorm1d        | running = α·running +                | momentum weighs the new value      |
|   running statistics | (1 − α)·sample, α = 0.9, *biased* V; | (1 − α), averages the *unbiased*   |
|                      | new arrays                           | V, in place -> F.batch_norm        |
|                      |                                      | without buffers; mytorch's update  |
|                      |                                      | in torch ops, stored as new arrays |
| BatchNorm1d eval     | running_M, running_V; left unchanged | F.batch_norm(training=False): same |
| SGD                  | μ = 0: W −= lr·dLdW; else v = μ·v +  | torch.optim.SGD(momentum=μ,        |
|                      | dLdW, W −= lr·v, v from zeros (v_W,  | dampening=0): the same (its first  |
|                      | v_b per layer; b likewise)           | buffer g = μ·0 + g)                |
| * Upsample1d/2d      | k − 1 zeros between samples: width   | F.interpolate repeats or           |
|                      | k(W − 1) + 1, no trailing zeros      | interpolates -> zeros, then        |
|                      |                                      | Z[..., ::k] = A                    |
| * Downsample1d/2d    | every k-th sample from the first:    | no op -> A[..., ::k]; autograd     |
|                      | width ceil(W/k); backward has the    | scatters into A's width            |
|                      | stored input width                   |                                    |
| Conv1d/2d_stride1    | cross-correlation, no padding; W     | F.conv1d / F.conv2d: the same      |
|                      | (out, in, k[, k]), b (out,); dLdW,   |                                    |
|                      | dLdb summed over the batch           |                                    |
| Conv1d/2d(stride,    | zero-pad both sides, stride-1 conv,  | F.conv1d/2d(stride, padding): the  |
|   padding)           | downsample: ceil((W + 2p − k + 1)/s) | same, ⌊(W + 2p − k)/s⌋ + 1         |
| * ConvTranspose1d/2d | zero-insert A by the factor s, then  | F.conv_transpose: W (in, out, k),  |
|                      | the stride-1 conv with W             | full (flipped) correlation, width  |
|                      | (out, in, k): width s(W − 1) − k + 2 | s(W − 1) + k -> F.conv1d/2d of     |
|                      |                                      | upsample(A); NOT conv_transpose    |
| MaxPool2d_stride1,   | max / mean over k × k windows,       | F.max_pool2d / F.avg_pool2d        |
|   MeanPool2d_stride1 | stride 1                             | (stride=1): the same               |
| MaxPool2d,           | stride-1 pool, then downsample by s  | F.max_pool2d / F.avg_pool2d        |
|   MeanPool2d         |                                      | (stride=s): the same               |
| Flatten              | (N, C, W...) -> (N, −1)              | reshape: the same                  |

(mytorch's ConvTranspose1d equals F.conv_transpose1d(A, W.flip(-1).transpose(0, 1), b,
stride=s, padding=k − 1) whenever that output is non-empty; the twin computes the handout's
definition directly.)

Older editions (keyword-only options; the default is S24+)
| option                           | S24+ (the default)           | older edition                  |
|----------------------------------|------------------------------|--------------------------------|
| Linear(..., batch_mean=)         | False: dLdW, dLdb sum over   | True (F22, S23): dLdW, dLdb    |
|                                  | the batch                    | ÷ N (dLdA unchanged)           |
| MSELoss(halved=)                 | False: L = Σ(A − Y)²/(N·C)   | True (S23): L =                |
|                                  |                              | Σ(A − Y)²/(2NC), backward      |
|                                  |                              | (A − Y)/(N·C)                  |
| MSELoss(unscaled_gradient=)      | False: backward() = ∂L/∂A    | True (F22): backward() returns |
|                                  |                              | A − Y, NOT the gradient of L   |
|                                  |                              | (N·C/2 times it)               |
| CrossEntropyLoss(mean_gradient=) | True: (softmax − Y)/N        | False (F22, S23): softmax − Y, |
|                                  |                              | N times ∂L/∂A                  |
| Identity, Sigmoid, Tanh, ReLU,   | False: backward(dLdA) ->     | True (F22, S23): backward() -> |
|   GELU(local=)                   | dLdZ                         | dA/dZ elementwise              |
|                                  |                              | (backward(dLdA) still dLdZ)    |

Softmax and Swish exist only in the S24+ API and have no `local` option. The editions' values
still come from the one vector-Jacobian product: a loss's upstream is that constant (N·C/2,
N·C when halved, N), a local activation's is ones (its Jacobian is diagonal), and Linear's
batch_mean divides the parameter gradients autograd returns by N.

Where the derivative is undefined
The harness's case generator must avoid these points (continuous random inputs do); the twins
then need not choose a subgradient. For the record, torch's choices are:
- ReLU at exactly 0: gradient 0 (and local dA/dZ 0);
- max-pool ties (the harness never generates them): the whole gradient goes to the first
  maximum of the window in row-major order;
- BatchNorm1d in training with a batch of one: torch refuses it (ValueError); mytorch's
  formula would give BZ = Bb.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from reference._autograd import leaf, to_numpy, vjp

InitFn = Callable[..., np.ndarray]


# ---------------------------------------------------------------- the tape
class _Twin:
    """Keeps the graph of the last forward: its leaves by name and its output."""

    _leaves: dict[str, Tensor] | None = None
    _output: Tensor | None = None

    def _keep(self, output: Tensor, **leaves: Tensor) -> np.ndarray:
        self._leaves, self._output = leaves, output
        return to_numpy(output)

    def _vjp(self, upstream: Any) -> dict[str, np.ndarray]:
        """{leaf name: d<output, upstream>/d leaf} for every leaf that requires grad."""
        if self._output is None or self._leaves is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        names = [n for n, t in self._leaves.items() if t.requires_grad]
        grads = vjp(self._output, [self._leaves[n] for n in names], np.asarray(upstream))
        return dict(zip(names, grads, strict=True))


def _scalar_or_array(grad: np.ndarray) -> Any:
    """A 0-d gradient (of a scalar parameter) as a float64 scalar, any other as the array."""
    return np.float64(grad) if grad.ndim == 0 else grad


# ---------------------------------------------------------------- Linear
class Linear(_Twin):
    """Z = A Wᵀ + 1 bᵀ: A (N, in), W (out, in), b (out, 1), Z (N, out).

    backward(dLdZ) -> dLdA and sets dLdW (out, in), dLdb (out, 1), summed over the batch
    (divided by N with ``batch_mean=True``, F22/S23); ``debug=True`` also sets self.dLdA.
    """

    def __init__(self, in_features: int, out_features: int, debug: bool = False, *,
                 batch_mean: bool = False) -> None:
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug
        self.batch_mean = batch_mean

    def forward(self, A: np.ndarray) -> np.ndarray:
        At, Wt, bt = leaf(A), leaf(self.W), leaf(self.b)
        self.N = np.shape(A)[0]
        return self._keep(F.linear(At, Wt, bt.reshape(-1)), A=At, W=Wt, b=bt)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        g = self._vjp(dLdZ)
        scale = self.N if self.batch_mean else 1
        self.dLdW, self.dLdb = g["W"] / scale, g["b"] / scale
        if self.debug:
            self.dLdA = g["A"]
        return g["A"]


# ---------------------------------------------------------------- activations
class _Activation(_Twin):
    """A = f(Z) elementwise; backward(dLdA) -> dLdZ, or with ``local=True`` (F22/S23)
    backward() -> dA/dZ."""

    def __init__(self, *, local: bool = False) -> None:
        self.local = local

    def _f(self, Z: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, Z: np.ndarray) -> np.ndarray:
        Zt = leaf(Z)
        self.A = self._keep(self._f(Zt), Z=Zt)
        return self.A.copy()

    def backward(self, dLdA: np.ndarray | None = None) -> np.ndarray:
        if dLdA is None:
            if not self.local:
                raise TypeError(f"{type(self).__name__}.backward() needs dLdA "
                                "(backward() without it is the F22/S23 API: local=True)")
            dLdA = np.ones(tuple(self._output.shape) if self._output is not None else ())
        return self._vjp(dLdA)["Z"]


class Identity(_Activation):
    def _f(self, Z: Tensor) -> Tensor:
        return Z.clone()


class Sigmoid(_Activation):
    def _f(self, Z: Tensor) -> Tensor:
        return torch.sigmoid(Z)


class Tanh(_Activation):
    def _f(self, Z: Tensor) -> Tensor:
        return torch.tanh(Z)


class ReLU(_Activation):
    def _f(self, Z: Tensor) -> Tensor:
        return F.relu(Z)


class GELU(_Activation):
    """Exact GELU, Z·Φ(Z) with Φ(z) = ½(1 + erf(z/√2))."""

    def _f(self, Z: Tensor) -> Tensor:
        return F.gelu(Z, approximate="none")


class Softmax(_Twin):
    """A = softmax over axis 1 of Z (N, C); backward(dLdA) -> dLdZ (S24+ only)."""

    def forward(self, Z: np.ndarray) -> np.ndarray:
        Zt = leaf(Z)
        self.A = self._keep(F.softmax(Zt, dim=1), Z=Zt)
        return self.A.copy()

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        return self._vjp(dLdA)["Z"]


class Swish(_Twin):
    """A = Z·σ(β·Z); backward(dLdA) -> dLdZ and sets dLdbeta = Σ dLdA·∂A/∂β (S24+ only)."""

    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def forward(self, Z: np.ndarray) -> np.ndarray:
        Zt, bt = leaf(Z), leaf(np.asarray(self.beta))
        self.A = self._keep(Zt * torch.sigmoid(bt * Zt), Z=Zt, beta=bt)
        return self.A.copy()

    def backward(self, dLdA: np.ndarray) -> np.ndarray:
        g = self._vjp(dLdA)
        self.dLdbeta = _scalar_or_array(g["beta"])
        return g["Z"]


# ---------------------------------------------------------------- losses
class MSELoss(_Twin):
    """L = Σ(A − Y)²/(N·C) (÷ 2 more with ``halved=True``, S23); backward() -> ∂L/∂A, or
    A − Y with ``unscaled_gradient=True`` (F22: not the gradient of L)."""

    def __init__(self, *, halved: bool = False, unscaled_gradient: bool = False) -> None:
        self.halved = halved
        self.unscaled_gradient = unscaled_gradient

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        At, Yt = leaf(A), leaf(Y, False)
        self.N, self.C = np.shape(A)[0], math.prod(np.shape(A)[1:])
        L = F.mse_loss(At, Yt, reduction="mean") / (2 if self.halved else 1)
        return float(self._keep(L, A=At, Y=Yt))

    def backward(self) -> np.ndarray:
        # L = Σ(A − Y)²/(d·N·C) has ∂L/∂A = 2(A − Y)/(d·N·C), so A − Y = (d·N·C/2)·∂L/∂A.
        d = 2 if self.halved else 1
        return self._vjp(d * self.N * self.C / 2 if self.unscaled_gradient else 1.0)["A"]


class CrossEntropyLoss(_Twin):
    """L = mean over N of −Σ_j Y log softmax(A) for A (N, C) and one-hot Y (N, C);
    backward() -> ∂L/∂A = (softmax − Y)/N, or softmax − Y with ``mean_gradient=False``.

    ∂L/∂A is (softmax·ΣY − Y)/N in general: the handout's (softmax − Y)/N only where each row
    of Y sums to 1, which one-hot (and probability) targets do."""

    def __init__(self, *, mean_gradient: bool = True) -> None:
        self.mean_gradient = mean_gradient

    def forward(self, A: np.ndarray, Y: np.ndarray) -> float:
        At, Yt = leaf(A), leaf(Y, False)
        self.N = np.shape(A)[0]
        return float(self._keep(F.cross_entropy(At, Yt, reduction="mean"), A=At, Y=Yt))

    def backward(self) -> np.ndarray:
        return self._vjp(1.0 if self.mean_gradient else float(self.N))["A"]


# ---------------------------------------------------------------- batch normalisation
class BatchNorm1d(_Twin):
    """BZ = BW·(Z − M)/√(V + eps) + Bb per feature of Z (N, C); BW, Bb (1, C).

    Train (eval=False): M, V the batch mean and biased variance; running_M and running_V
    become α·running + (1 − α)·(M, V) (new arrays). Eval: the running statistics, unchanged.
    backward(dLdBZ) -> dLdZ and sets dLdBW, dLdBb (1, C); after an eval forward it is the
    gradient of the eval forward (the running statistics are constants).
    """

    def __init__(self, num_features: int, alpha: float = 0.9) -> None:
        self.alpha = alpha
        self.eps = 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.dLdBW = np.zeros((1, num_features))
        self.dLdBb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z: np.ndarray, eval: bool = False) -> np.ndarray:
        Zt, BWt, Bbt = leaf(Z), leaf(self.BW), leaf(self.Bb)
        weight, bias = BWt.reshape(-1), Bbt.reshape(-1)
        running_M, running_V = leaf(self.running_M, False), leaf(self.running_V, False)
        if eval:
            BZ = F.batch_norm(Zt, running_M.reshape(-1), running_V.reshape(-1), weight, bias,
                              training=False, eps=self.eps)
        else:
            BZ = F.batch_norm(Zt, None, None, weight, bias, training=True, eps=self.eps)
            sample = Zt.detach()
            M = sample.mean(0, keepdim=True)
            V = sample.var(0, correction=0, keepdim=True)
            self.running_M = to_numpy(self.alpha * running_M + (1 - self.alpha) * M)
            self.running_V = to_numpy(self.alpha * running_V + (1 - self.alpha) * V)
        return self._keep(BZ, Z=Zt, BW=BWt, Bb=Bbt)

    def backward(self, dLdBZ: np.ndarray) -> np.ndarray:
        g = self._vjp(dLdBZ)
        self.dLdBW, self.dLdBb = g["BW"], g["Bb"]
        return g["Z"]


# ---------------------------------------------------------------- SGD
class SGD:
    """mytorch's SGD over ``model.layers`` (each with W, b, dLdW, dLdb), which is torch's.

    step(): μ = 0: W ← W − lr·dLdW; else v_W ← μ·v_W + dLdW, W ← W − lr·v_W (b likewise),
    with v starting at zeros. That is torch.optim.SGD(lr, momentum=μ, dampening=0,
    nesterov=False, weight_decay=0): its buffer is μ·buf + g, and its first buffer g equals
    μ·0 + g. Each step copies W, b and dLdW, dLdb into fresh float64 tensors, hands torch the
    velocities v_W[i], v_b[i] as its momentum buffers, takes one torch step and assigns the
    results as new arrays to layer.W, layer.b and self.v_W[i], self.v_b[i]; so the velocities
    carry over between steps (and a velocity the harness assigns is the one used). lr and mu
    are read at every step. A layer without W and b (an activation) is skipped; its
    velocities are None.
    """

    def __init__(self, model: Any, lr: float = 0.1, momentum: float = 0) -> None:
        self.l = model.layers
        self.L = len(model.layers)
        self.lr = lr
        self.mu = momentum
        self.v_W = [np.zeros(np.shape(layer.W)) if _has_params(layer) else None
                    for layer in self.l]
        self.v_b = [np.zeros(np.shape(layer.b)) if _has_params(layer) else None
                    for layer in self.l]

    def step(self) -> None:
        slots = [(layer, name, v, i) for i, layer in enumerate(self.l) if _has_params(layer)
                 for name, v in (("W", self.v_W), ("b", self.v_b))]
        params = []
        for layer, name, _, _ in slots:
            p = leaf(getattr(layer, name))
            p.grad = leaf(getattr(layer, f"dLd{name}"), False)
            params.append(p)
        if not params:
            return
        optimizer = torch.optim.SGD(params, lr=self.lr, momentum=self.mu, dampening=0)
        if self.mu != 0:
            for p, (_, _, v, i) in zip(params, slots, strict=True):
                optimizer.state[p]["momentum_buffer"] = leaf(np.asarray(v[i]), False)
        optimizer.step()
        for p, (layer, name, v, i) in zip(params, slots, strict=True):
            setattr(layer, name, to_numpy(p))
            if self.mu != 0:
                v[i] = to_numpy(optimizer.state[p]["momentum_buffer"])


def _has_params(layer: Any) -> bool:
    return hasattr(layer, "W") and hasattr(layer, "b")


# ---------------------------------------------------------------- resampling
def _upsample(x: Tensor, k: int, dims: int) -> Tensor:
    """Zero insertion on the last `dims` axes: k − 1 zeros between samples, k(W − 1) + 1."""
    shape = (*x.shape[:-dims], *(k * (n - 1) + 1 for n in x.shape[-dims:]))
    z = x.new_zeros(shape)
    z[_every(k, dims)] = x
    return z


def _downsample(x: Tensor, k: int, dims: int) -> Tensor:
    """Every k-th sample of the last `dims` axes, from the first: ceil(W/k)."""
    return x[_every(k, dims)]


def _every(k: int, dims: int) -> tuple[Any, ...]:
    """The index [..., ::k] (dims = 1) or [..., ::k, ::k] (dims = 2)."""
    return (Ellipsis, *(slice(None, None, k),) * dims)


class _Resample(_Twin):
    _dims = 1

    def _f(self, A: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, A: np.ndarray) -> np.ndarray:
        At = leaf(A)
        return self._keep(self._f(At), A=At)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        return self._vjp(dLdZ)["A"]


class _Upsample(_Resample):
    def __init__(self, upsampling_factor: int) -> None:
        self.upsampling_factor = upsampling_factor

    def _f(self, A: Tensor) -> Tensor:
        return _upsample(A, self.upsampling_factor, self._dims)


class _Downsample(_Resample):
    def __init__(self, downsampling_factor: int) -> None:
        self.downsampling_factor = downsampling_factor

    def _f(self, A: Tensor) -> Tensor:
        return _downsample(A, self.downsampling_factor, self._dims)


class Upsample1d(_Upsample):
    """A (N, C, W) -> Z (N, C, k(W − 1) + 1), A's samples k apart, zeros between."""


class Upsample2d(_Upsample):
    """A (N, C, H, W) -> Z (N, C, k(H − 1) + 1, k(W − 1) + 1)."""

    _dims = 2


class Downsample1d(_Downsample):
    """A (N, C, W) -> Z (N, C, ceil(W/k)) = A[..., ::k]; backward -> (N, C, W)."""


class Downsample2d(_Downsample):
    """A (N, C, H, W) -> Z (N, C, ceil(H/k), ceil(W/k)) = A[..., ::k, ::k]; backward ->
    (N, C, H, W)."""

    _dims = 2


# ---------------------------------------------------------------- convolutions
class _Conv(_Twin):
    """A convolution whose W and b live on `_weights()` (itself or its stride-1 sub-object);
    backward writes dLdW and dLdb there and returns dLdA."""

    def _weights(self) -> Any:
        return self

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, A: np.ndarray) -> np.ndarray:
        p = self._weights()
        At, Wt, bt = leaf(A), leaf(p.W), leaf(p.b)
        return self._keep(self._f(At, Wt, bt.reshape(-1)), A=At, W=Wt, b=bt)

    def backward(self, dLdZ: np.ndarray) -> np.ndarray:
        g = self._vjp(dLdZ)
        p = self._weights()
        p.dLdW, p.dLdb = g["W"], g["b"]
        return g["A"]


def _init(fn: InitFn | None, shape: tuple[int, ...], default: Callable[[], np.ndarray]
          ) -> np.ndarray:
    return np.asarray(default() if fn is None else fn(*shape), dtype=np.float64)


class _ConvStride1(_Conv):
    """W = weight_init_fn(out, in, k[, k]), else np.random.normal(0, 1, that shape);
    b = bias_init_fn(out), else zeros(out); dLdW, dLdb zeros until a backward."""

    _ndim = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 weight_init_fn: InitFn | None = None,
                 bias_init_fn: InitFn | None = None) -> None:
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        shape = (out_channels, in_channels, *(kernel_size,) * self._ndim)
        self.W = _init(weight_init_fn, shape, lambda: np.random.normal(0, 1.0, shape))
        self.b = _init(bias_init_fn, (out_channels,), lambda: np.zeros(out_channels))
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)


class Conv1d_stride1(_ConvStride1):
    """Z[n, o, x] = Σ_c Σ_i A[n, c, x + i]·W[o, c, i] + b[o]: A (N, in, W), W (out, in, k),
    b (out,), Z (N, out, W − k + 1); dLdW, dLdb summed over the batch."""

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv1d(A, W, b)


class Conv2d_stride1(_ConvStride1):
    """The 2-D Conv1d_stride1: A (N, in, H, W), W (out, in, k, k), b (out,),
    Z (N, out, H − k + 1, W − k + 1); weight_init_fn(out, in, k, k)."""

    _ndim = 2

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv2d(A, W, b)


class Conv1d(_Conv):
    """Conv1d_stride1 of A zero-padded by `padding` on both sides, then Downsample1d(stride):
    F.conv1d(A, W, b, stride, padding), Z (N, out, ⌊(W + 2p − k)/s⌋ + 1). W and b are
    self.conv1d_stride1's, and backward writes its dLdW and dLdb."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int = 0, weight_init_fn: InitFn | None = None,
                 bias_init_fn: InitFn | None = None) -> None:
        self.stride = stride
        self.pad = padding
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)
        self.downsample1d = Downsample1d(stride)

    def _weights(self) -> Conv1d_stride1:
        return self.conv1d_stride1

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv1d(A, W, b, stride=self.stride, padding=self.pad)


class Conv2d(_Conv):
    """The 2-D Conv1d: F.conv2d(A, W, b, stride, padding) on NCHW, H ≠ W allowed; W and b
    are self.conv2d_stride1's, and backward writes its dLdW and dLdb."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int = 0, weight_init_fn: InitFn | None = None,
                 bias_init_fn: InitFn | None = None) -> None:
        self.stride = stride
        self.pad = padding
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)
        self.downsample2d = Downsample2d(stride)

    def _weights(self) -> Conv2d_stride1:
        return self.conv2d_stride1

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv2d(A, W, b, stride=self.stride, padding=self.pad)


class ConvTranspose1d(_Conv):
    """mytorch's transposed convolution: Upsample1d(s) of A, then Conv1d_stride1 with
    W (out, in, k): Z (N, out, s(W − 1) − k + 2). Not torch's conv_transpose1d (see the
    table). W and b are self.conv1d_stride1's, and backward writes its dLdW and dLdb."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 upsampling_factor: int, weight_init_fn: InitFn | None = None,
                 bias_init_fn: InitFn | None = None) -> None:
        self.upsampling_factor = upsampling_factor
        self.upsample1d = Upsample1d(upsampling_factor)
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)

    def _weights(self) -> Conv1d_stride1:
        return self.conv1d_stride1

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv1d(_upsample(A, self.upsampling_factor, 1), W, b)


class ConvTranspose2d(_Conv):
    """The 2-D ConvTranspose1d: Upsample2d(s) of A (N, in, H, W), then Conv2d_stride1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 upsampling_factor: int, weight_init_fn: InitFn | None = None,
                 bias_init_fn: InitFn | None = None) -> None:
        self.upsampling_factor = upsampling_factor
        self.upsample2d = Upsample2d(upsampling_factor)
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size,
                                             weight_init_fn, bias_init_fn)

    def _weights(self) -> Conv2d_stride1:
        return self.conv2d_stride1

    def _f(self, A: Tensor, W: Tensor, b: Tensor) -> Tensor:
        return F.conv2d(_upsample(A, self.upsampling_factor, 2), W, b)


# ---------------------------------------------------------------- pooling and flatten
class _Pool(_Resample):
    """A pooling of A (N, C, H, W) over kernel × kernel windows at self.stride."""

    stride = 1
    _op: Callable[..., Tensor]

    def __init__(self, kernel: int) -> None:
        self.kernel = kernel

    def _f(self, A: Tensor) -> Tensor:
        return type(self)._op(A, self.kernel, stride=self.stride)


class MaxPool2d_stride1(_Pool):
    """Max over each kernel × kernel window, stride 1: (N, C, H − k + 1, W − k + 1)."""

    _op = F.max_pool2d


class MeanPool2d_stride1(_Pool):
    """Mean over each kernel × kernel window, stride 1: (N, C, H − k + 1, W − k + 1)."""

    _op = F.avg_pool2d


class MaxPool2d(_Pool):
    """MaxPool2d_stride1 then Downsample2d(stride): F.max_pool2d(A, kernel, stride)."""

    _op = F.max_pool2d

    def __init__(self, kernel: int, stride: int) -> None:
        self.kernel = kernel
        self.stride = stride
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)


class MeanPool2d(_Pool):
    """MeanPool2d_stride1 then Downsample2d(stride): F.avg_pool2d(A, kernel, stride)."""

    _op = F.avg_pool2d

    def __init__(self, kernel: int, stride: int) -> None:
        self.kernel = kernel
        self.stride = stride
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)


class Flatten(_Resample):
    """A (N, C, W...) -> Z (N, C·W·...); backward reshapes dLdZ to A's shape."""

    def _f(self, A: Tensor) -> Tensor:
        return A.reshape(A.shape[0], -1)
