"""reference.mytorch, the PyTorch twins of CMU 11-785's mytorch, against formulas written here.

Every expected value below is computed in NumPy from the handout's closed forms (convolutions
by explicit sums over windows, pooling by loops, BatchNorm1d's input gradient by centred finite
differences), never by torch: on tiny shapes, non-square images (H ≠ W), strides 1–3, padding
0–2 and every edition option. Also: backward may run more than once after one forward, the
caller's arrays are never modified, and SGD over three steps with momentum matches a loop.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from reference import mytorch as mt

RTOL, ATOL = 1e-10, 1e-12          # twin (torch, float64) versus a NumPy closed form
FD_RTOL, FD_ATOL = 1e-6, 1e-8      # versus centred finite differences

erf = np.vectorize(math.erf, otypes=[float])


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def close(got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


class Untouched:
    """Copies of arrays, to check afterwards that nobody modified the originals."""

    def __init__(self, *arrays: np.ndarray) -> None:
        self.pairs = [(a, a.copy()) for a in arrays]

    def check(self) -> None:
        for original, copy in self.pairs:
            np.testing.assert_array_equal(original, copy)


# ---------------------------------------------------------------- NumPy closed forms
def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def Phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + erf(z / math.sqrt(2)))


def phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def upsample_np(a: np.ndarray, k: int, dims: int) -> np.ndarray:
    """k − 1 zeros between samples on the last `dims` axes, by loops."""
    spatial = a.shape[-dims:]
    z = np.zeros(a.shape[:-dims] + tuple(k * (n - 1) + 1 for n in spatial))
    for idx in itertools.product(*map(range, spatial)):
        z[(..., *(k * i for i in idx))] = a[(..., *idx)]
    return z


def downsample_np(a: np.ndarray, k: int, dims: int) -> np.ndarray:
    """Every k-th sample from the first on the last `dims` axes, by loops."""
    spatial = a.shape[-dims:]
    z = np.zeros(a.shape[:-dims] + tuple(-(-n // k) for n in spatial))
    for idx in itertools.product(*(range(0, n, k) for n in spatial)):
        z[(..., *(i // k for i in idx))] = a[(..., *idx)]
    return z


def conv_np(A: np.ndarray, W: np.ndarray, b: np.ndarray, dLdZ: np.ndarray | None = None,
            stride: int = 1, pad: int = 0) -> tuple[np.ndarray, ...]:
    """Cross-correlation of A (N, C, *spatial) zero-padded by `pad` with W (O, C, *kernel) at
    `stride`, plus b, by explicit sums over each window: Z, and with dLdZ also
    (dLdA, dLdW, dLdb)."""
    dims = W.ndim - 2
    Ap = np.pad(A, [(0, 0), (0, 0)] + [(pad, pad)] * dims)
    kernel = W.shape[2:]
    out = tuple((n - k) // stride + 1 for n, k in zip(Ap.shape[2:], kernel, strict=True))
    Z = np.zeros((A.shape[0], W.shape[0], *out))
    dAp, dW = np.zeros(Ap.shape), np.zeros(W.shape)
    for pos in itertools.product(*map(range, out)):
        window = (..., *(slice(p * stride, p * stride + k) for p, k in zip(pos, kernel,
                                                                             strict=True)))
        Ap_w = Ap[window].reshape(A.shape[0], -1)                 # (N, C·k...)
        W_flat = W.reshape(W.shape[0], -1)                        # (O, C·k...)
        Z[(..., *pos)] = Ap_w @ W_flat.T + b
        if dLdZ is not None:
            g = dLdZ[(..., *pos)]                                 # (N, O)
            dAp[window] += (g @ W_flat).reshape(Ap[window].shape)
            dW += (g.T @ Ap_w).reshape(W.shape)
    if dLdZ is None:
        return (Z,)
    inner = (..., *(slice(pad, pad + n) for n in A.shape[2:]))
    return Z, dAp[inner], dW, dLdZ.sum(axis=(0, *range(2, dLdZ.ndim)))


def pool_np(A: np.ndarray, k: int, stride: int, kind: str,
            dLdZ: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max or mean pooling of A (N, C, H, W) over k × k windows at `stride`, by loops; the max's
    gradient goes to the window's first maximum in row-major order."""
    N, C, H, W = A.shape
    oh, ow = (H - k) // stride + 1, (W - k) // stride + 1
    Z, dLdA = np.zeros((N, C, oh, ow)), np.zeros(A.shape)
    for n, c, y, x in itertools.product(range(N), range(C), range(oh), range(ow)):
        win = A[n, c, y * stride:y * stride + k, x * stride:x * stride + k]
        if kind == "max":
            i, j = divmod(int(np.argmax(win)), k)
            Z[n, c, y, x] = win[i, j]
            dLdA[n, c, y * stride + i, x * stride + j] += dLdZ[n, c, y, x]
        else:
            Z[n, c, y, x] = win.sum() / (k * k)
            dLdA[n, c, y * stride:y * stride + k, x * stride:x * stride + k] += \
                dLdZ[n, c, y, x] / (k * k)
    return Z, dLdA


# ---------------------------------------------------------------- Linear
def test_linear_starts_with_zeros() -> None:
    layer = mt.Linear(3, 2)
    close(layer.W, np.zeros((2, 3)))
    close(layer.b, np.zeros((2, 1)))
    assert layer.debug is False


@pytest.mark.parametrize("batch_mean", [False, True])
@pytest.mark.parametrize("debug", [False, True])
def test_linear(batch_mean: bool, debug: bool) -> None:
    r = rng(1)
    N = 5
    A, W, b = r.normal(size=(N, 4)), r.normal(size=(3, 4)), r.normal(size=(3, 1))
    dLdZ = r.normal(size=(N, 3))
    guard = Untouched(A, W, b, dLdZ)
    layer = mt.Linear(4, 3, debug, batch_mean=batch_mean)
    layer.W, layer.b = W, b
    close(layer.forward(A), A @ W.T + np.ones((N, 1)) @ b.T)
    dLdA = layer.backward(dLdZ)
    scale = N if batch_mean else 1
    close(dLdA, dLdZ @ W)
    close(layer.dLdW, dLdZ.T @ A / scale)
    close(layer.dLdb, dLdZ.T @ np.ones((N, 1)) / scale)
    assert hasattr(layer, "dLdA") == debug
    if debug:
        close(layer.dLdA, dLdA)
    guard.check()


def test_linear_reads_its_parameters_at_each_forward() -> None:
    r = rng(2)
    A = r.normal(size=(2, 3))
    layer = mt.Linear(3, 2)
    close(layer.forward(A), np.zeros((2, 2)))
    layer.W = r.normal(size=(2, 3))
    close(layer.forward(A), A @ layer.W.T)


# ---------------------------------------------------------------- activations
ELEMENTWISE: dict[str, tuple[Callable[[np.ndarray], np.ndarray],
                             Callable[[np.ndarray], np.ndarray]]] = {
    "Identity": (lambda z: z, lambda z: np.ones_like(z)),
    "Sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "Tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "ReLU": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "GELU": (lambda z: z * Phi(z), lambda z: Phi(z) + z * phi(z)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_activation(name: str) -> None:
    f, df = ELEMENTWISE[name]
    r = rng(3)
    Z, dLdA = r.normal(size=(4, 5)) * 2, r.normal(size=(4, 5))
    guard = Untouched(Z, dLdA)
    act = getattr(mt, name)()
    close(act.forward(Z), f(Z))
    close(act.A, f(Z))
    close(act.backward(dLdA), dLdA * df(Z))
    with pytest.raises(TypeError, match="local=True"):
        act.backward()
    guard.check()


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_activation_local_edition(name: str) -> None:
    """F22/S23: backward() without an argument is dA/dZ; with one it is still dLdZ."""
    f, df = ELEMENTWISE[name]
    r = rng(4)
    Z, dLdA = r.normal(size=(3, 4)), r.normal(size=(3, 4))
    act = getattr(mt, name)(local=True)
    close(act.forward(Z), f(Z))
    close(act.backward(), df(Z))
    close(act.backward(dLdA), dLdA * df(Z))
    close(act.backward(), df(Z))


def test_softmax() -> None:
    r = rng(5)
    Z, dLdA = r.normal(size=(4, 6)) * 3, r.normal(size=(4, 6))
    guard = Untouched(Z, dLdA)
    act = mt.Softmax()
    S = softmax_rows(Z)
    close(act.forward(Z), S)
    close(act.backward(dLdA), S * (dLdA - (dLdA * S).sum(axis=1, keepdims=True)))
    guard.check()


@pytest.mark.parametrize("beta", [1.0, 0.7, -1.3])
def test_swish(beta: float) -> None:
    r = rng(6)
    Z, dLdA = r.normal(size=(4, 5)) * 2, r.normal(size=(4, 5))
    guard = Untouched(Z, dLdA)
    act = mt.Swish() if beta == 1.0 else mt.Swish(beta)
    assert act.beta == beta
    s = sigmoid(beta * Z)
    close(act.forward(Z), Z * s)
    close(act.backward(dLdA), dLdA * (s + beta * Z * s * (1 - s)))
    assert isinstance(act.dLdbeta, float) and np.ndim(act.dLdbeta) == 0
    close(act.dLdbeta, np.sum(dLdA * Z * Z * s * (1 - s)))
    guard.check()


def test_swish_reads_beta_at_each_forward() -> None:
    Z = rng(7).normal(size=(2, 3))
    act = mt.Swish()
    act.beta = 2.5
    close(act.forward(Z), Z * sigmoid(2.5 * Z))


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize(("halved", "unscaled"), list(itertools.product([False, True], repeat=2)))
def test_mse_loss(halved: bool, unscaled: bool) -> None:
    r = rng(8)
    N, C = 4, 3
    A, Y = r.normal(size=(N, C)), r.normal(size=(N, C))
    guard = Untouched(A, Y)
    loss = mt.MSELoss(halved=halved, unscaled_gradient=unscaled)
    d = 2 if halved else 1
    L = loss.forward(A, Y)
    assert type(L) is float
    close(L, np.sum((A - Y) ** 2) / (d * N * C))
    want = A - Y if unscaled else 2 * (A - Y) / (d * N * C)
    close(loss.backward(), want)
    close(loss.backward(), want)
    guard.check()


def test_mse_loss_default_is_s24() -> None:
    A, Y = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    loss = mt.MSELoss()
    assert loss.forward(A, Y) == pytest.approx(2.5)
    close(loss.backward(), np.array([[1.0, 2.0]]))


@pytest.mark.parametrize("mean_gradient", [True, False])
def test_cross_entropy_loss(mean_gradient: bool) -> None:
    r = rng(9)
    N, C = 5, 4
    A = r.normal(size=(N, C)) * 2
    Y = np.eye(C)[r.integers(0, C, size=N)]
    guard = Untouched(A, Y)
    loss = mt.CrossEntropyLoss() if mean_gradient else mt.CrossEntropyLoss(mean_gradient=False)
    S = softmax_rows(A)
    L = loss.forward(A, Y)
    assert type(L) is float
    close(L, np.mean(-np.sum(Y * np.log(S), axis=1)))
    close(loss.backward(), (S - Y) / (N if mean_gradient else 1))
    guard.check()


# ---------------------------------------------------------------- BatchNorm1d
def batchnorm_np(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, eps: float,
                 stats: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    M, V = (Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)) if stats is None \
        else stats
    return BW * (Z - M) / np.sqrt(V + eps) + Bb


def batchnorm_fd(Z: np.ndarray, BW: np.ndarray, Bb: np.ndarray, dLdBZ: np.ndarray,
                 stats: tuple[np.ndarray, np.ndarray] | None = None,
                 h: float = 1e-5) -> np.ndarray:
    """d<BZ, dLdBZ>/dZ by centred finite differences of `batchnorm_np` (eps 1e-8)."""
    grad = np.zeros(Z.shape)
    for idx in np.ndindex(Z.shape):
        step = np.zeros(Z.shape)
        step[idx] = h
        up = np.sum(batchnorm_np(Z + step, BW, Bb, 1e-8, stats) * dLdBZ)
        down = np.sum(batchnorm_np(Z - step, BW, Bb, 1e-8, stats) * dLdBZ)
        grad[idx] = (up - down) / (2 * h)
    return grad


def test_batchnorm_defaults() -> None:
    bn = mt.BatchNorm1d(3)
    assert bn.eps == 1e-8 and bn.alpha == 0.9
    for name, value in [("BW", 1), ("Bb", 0), ("dLdBW", 0), ("dLdBb", 0),
                        ("running_M", 0), ("running_V", 1)]:
        close(getattr(bn, name), np.full((1, 3), float(value)))


@pytest.mark.parametrize("alpha", [0.9, 0.6])
def test_batchnorm_train(alpha: float) -> None:
    r = rng(10)
    N, C = 6, 3
    BW, Bb = r.normal(size=(1, C)), r.normal(size=(1, C))
    bn = mt.BatchNorm1d(C) if alpha == 0.9 else mt.BatchNorm1d(C, alpha)
    bn.BW, bn.Bb = BW, Bb
    running_M, running_V = np.zeros((1, C)), np.ones((1, C))
    for step in range(2):                     # the running statistics accumulate
        Z = r.normal(size=(N, C)) * (step + 1) + step
        dLdBZ = r.normal(size=(N, C))
        guard = Untouched(Z, dLdBZ, BW, Bb, bn.running_M, bn.running_V)
        close(bn.forward(Z), batchnorm_np(Z, BW, Bb, 1e-8))
        M, V = Z.mean(axis=0, keepdims=True), Z.var(axis=0, keepdims=True)   # biased
        running_M = alpha * running_M + (1 - alpha) * M
        running_V = alpha * running_V + (1 - alpha) * V
        close(bn.running_M, running_M)
        close(bn.running_V, running_V)

        dLdZ = bn.backward(dLdBZ)
        NZ = (Z - M) / np.sqrt(V + 1e-8)
        close(bn.dLdBW, np.sum(dLdBZ * NZ, axis=0, keepdims=True))
        close(bn.dLdBb, np.sum(dLdBZ, axis=0, keepdims=True))
        close(dLdZ, batchnorm_fd(Z, BW, Bb, dLdBZ), FD_RTOL, FD_ATOL)
        guard.check()


def test_batchnorm_eval_uses_and_keeps_the_running_statistics() -> None:
    r = rng(11)
    N, C = 4, 3
    Z, dLdBZ = r.normal(size=(N, C)), r.normal(size=(N, C))
    BW, Bb = r.normal(size=(1, C)), r.normal(size=(1, C))
    rM, rV = r.normal(size=(1, C)), r.uniform(0.5, 2, size=(1, C))
    bn = mt.BatchNorm1d(C)
    bn.BW, bn.Bb, bn.running_M, bn.running_V = BW, Bb, rM, rV
    guard = Untouched(Z, dLdBZ, BW, Bb, rM, rV)
    close(bn.forward(Z, eval=True), batchnorm_np(Z, BW, Bb, 1e-8, (rM, rV)))
    assert bn.running_M is rM and bn.running_V is rV
    dLdZ = bn.backward(dLdBZ)
    close(dLdZ, dLdBZ * BW / np.sqrt(rV + 1e-8))
    close(bn.dLdBW, np.sum(dLdBZ * (Z - rM) / np.sqrt(rV + 1e-8), axis=0, keepdims=True))
    close(bn.dLdBb, np.sum(dLdBZ, axis=0, keepdims=True))
    close(dLdZ, batchnorm_fd(Z, BW, Bb, dLdBZ, (rM, rV)), FD_RTOL, FD_ATOL)
    guard.check()


def test_batchnorm_reads_eps() -> None:
    Z = rng(12).normal(size=(4, 2))
    bn = mt.BatchNorm1d(2)
    bn.eps = 0.5
    close(bn.forward(Z), batchnorm_np(Z, np.ones((1, 2)), np.zeros((1, 2)), 0.5))


# ---------------------------------------------------------------- SGD
def make_model(r: np.random.Generator) -> SimpleNamespace:
    shapes = [((3, 4), (3, 1)), ((2, 3), (2, 1))]
    return SimpleNamespace(layers=[SimpleNamespace(W=r.normal(size=w), b=r.normal(size=b))
                                   for w, b in shapes])


@pytest.mark.parametrize("mu", [0, 0.9])
def test_sgd_three_steps_match_a_loop(mu: float) -> None:
    r = rng(13)
    model = make_model(r)
    originals = [(layer.W, layer.b) for layer in model.layers]
    guard = Untouched(*(a for pair in originals for a in pair))
    W = [layer.W.copy() for layer in model.layers]
    b = [layer.b.copy() for layer in model.layers]
    vW, vb = [np.zeros(w.shape) for w in W], [np.zeros(x.shape) for x in b]
    opt = mt.SGD(model, lr=0.05, momentum=mu) if mu else mt.SGD(model, lr=0.05)
    assert opt.l is model.layers and opt.L == 2 and opt.lr == 0.05 and opt.mu == mu
    for i in range(2):
        close(opt.v_W[i], np.zeros(W[i].shape))
        close(opt.v_b[i], np.zeros(b[i].shape))
    for _ in range(3):
        for i, layer in enumerate(model.layers):
            layer.dLdW, layer.dLdb = r.normal(size=W[i].shape), r.normal(size=b[i].shape)
            if mu == 0:
                W[i] = W[i] - 0.05 * layer.dLdW
                b[i] = b[i] - 0.05 * layer.dLdb
            else:
                vW[i] = mu * vW[i] + layer.dLdW
                vb[i] = mu * vb[i] + layer.dLdb
                W[i] = W[i] - 0.05 * vW[i]
                b[i] = b[i] - 0.05 * vb[i]
        opt.step()
        for i, layer in enumerate(model.layers):
            close(layer.W, W[i])
            close(layer.b, b[i])
            close(opt.v_W[i], vW[i])
            close(opt.v_b[i], vb[i])
    guard.check()


def test_sgd_uses_a_velocity_assigned_to_it() -> None:
    r = rng(14)
    model = make_model(r)
    layer = model.layers[0]
    layer.dLdW, layer.dLdb = r.normal(size=(3, 4)), r.normal(size=(3, 1))
    model.layers[1].dLdW, model.layers[1].dLdb = np.zeros((2, 3)), np.zeros((2, 1))
    W0, b0 = layer.W.copy(), layer.b.copy()
    opt = mt.SGD(model, lr=0.1, momentum=0.5)
    v = r.normal(size=(3, 4))
    opt.v_W[0] = v
    opt.step()
    close(opt.v_W[0], 0.5 * v + layer.dLdW)
    close(layer.W, W0 - 0.1 * (0.5 * v + layer.dLdW))
    close(layer.b, b0 - 0.1 * layer.dLdb)


def test_sgd_drives_linear_twins() -> None:
    r = rng(15)
    model = SimpleNamespace(layers=[mt.Linear(3, 2)])
    A, dLdZ = r.normal(size=(4, 3)), r.normal(size=(4, 2))
    opt = mt.SGD(model, lr=0.2, momentum=0.9)
    model.layers[0].forward(A)
    model.layers[0].backward(dLdZ)
    opt.step()
    close(model.layers[0].W, -0.2 * dLdZ.T @ A)
    close(model.layers[0].b, -0.2 * dLdZ.sum(axis=0)[:, None])


# ---------------------------------------------------------------- resampling
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("width", [1, 4, 5])
def test_upsample1d(k: int, width: int) -> None:
    r = rng(16)
    A = r.normal(size=(2, 3, width))
    dLdZ = r.normal(size=(2, 3, k * (width - 1) + 1))
    guard = Untouched(A, dLdZ)
    up = mt.Upsample1d(k)
    assert up.upsampling_factor == k
    close(up.forward(A), upsample_np(A, k, 1))
    close(up.backward(dLdZ), downsample_np(dLdZ, k, 1))
    guard.check()


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("width", [1, 5, 6, 7])
def test_downsample1d(k: int, width: int) -> None:
    r = rng(17)
    A = r.normal(size=(2, 3, width))
    dLdZ = r.normal(size=(2, 3, math.ceil(width / k)))
    guard = Untouched(A, dLdZ)
    down = mt.Downsample1d(k)
    assert down.downsampling_factor == k
    close(down.forward(A), downsample_np(A, k, 1))
    dLdA = down.backward(dLdZ)
    assert dLdA.shape == A.shape
    want = np.zeros(A.shape)
    for i in range(dLdZ.shape[-1]):
        want[..., i * k] = dLdZ[..., i]
    close(dLdA, want)
    guard.check()


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize(("h", "w"), [(4, 6), (5, 3)])
def test_resampling2d(k: int, h: int, w: int) -> None:
    r = rng(18)
    A = r.normal(size=(2, 2, h, w))
    up, down = mt.Upsample2d(k), mt.Downsample2d(k)
    Zu = up.forward(A)
    close(Zu, upsample_np(A, k, 2))
    assert Zu.shape == (2, 2, k * (h - 1) + 1, k * (w - 1) + 1)
    dLdZu = r.normal(size=Zu.shape)
    close(up.backward(dLdZu), downsample_np(dLdZu, k, 2))

    Zd = down.forward(A)
    close(Zd, downsample_np(A, k, 2))
    assert Zd.shape == (2, 2, math.ceil(h / k), math.ceil(w / k))
    dLdZd = r.normal(size=Zd.shape)
    want = np.zeros(A.shape)
    want[..., ::k, ::k] = dLdZd
    close(down.backward(dLdZd), want)


# ---------------------------------------------------------------- convolutions
def recording_init(calls: list[tuple[int, ...]], r: np.random.Generator
                   ) -> Callable[..., np.ndarray]:
    def init(*shape: int) -> np.ndarray:
        calls.append(shape)
        return r.normal(size=shape)
    return init


@pytest.mark.parametrize("dims", [1, 2])
def test_conv_stride1_initialisation(dims: int) -> None:
    cls = mt.Conv1d_stride1 if dims == 1 else mt.Conv2d_stride1
    calls: list[tuple[int, ...]] = []
    conv = cls(2, 3, 4, recording_init(calls, rng(19)), recording_init(calls, rng(20)))
    assert calls == [(3, 2, *(4,) * dims), (3,)]
    assert conv.W.shape == (3, 2, *(4,) * dims) and conv.b.shape == (3,)
    close(conv.dLdW, np.zeros(conv.W.shape))
    close(conv.dLdb, np.zeros(3))
    np.random.seed(0)
    default = cls(2, 3, 4)
    np.random.seed(0)
    close(default.W, np.random.normal(0, 1.0, (3, 2, *(4,) * dims)))
    close(default.b, np.zeros(3))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_conv1d_stride1(k: int) -> None:
    r = rng(21)
    A, W, b = r.normal(size=(2, 3, 7)), r.normal(size=(4, 3, k)), r.normal(size=4)
    dLdZ = r.normal(size=(2, 4, 8 - k))
    guard = Untouched(A, W, b, dLdZ)
    conv = mt.Conv1d_stride1(3, 4, k)
    conv.W, conv.b = W, b
    Z, dLdA, dLdW, dLdb = conv_np(A, W, b, dLdZ)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), dLdA)
    close(conv.dLdW, dLdW)
    close(conv.dLdb, dLdb)
    guard.check()


@pytest.mark.parametrize(("h", "w", "k"), [(5, 7, 2), (6, 4, 3), (4, 4, 1)])
def test_conv2d_stride1(h: int, w: int, k: int) -> None:
    r = rng(22)
    A, W, b = r.normal(size=(2, 2, h, w)), r.normal(size=(3, 2, k, k)), r.normal(size=3)
    dLdZ = r.normal(size=(2, 3, h - k + 1, w - k + 1))
    guard = Untouched(A, W, b, dLdZ)
    conv = mt.Conv2d_stride1(2, 3, k)
    conv.W, conv.b = W, b
    Z, dLdA, dLdW, dLdb = conv_np(A, W, b, dLdZ)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), dLdA)
    close(conv.dLdW, dLdW)
    close(conv.dLdb, dLdb)
    guard.check()


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv1d(stride: int, pad: int) -> None:
    r = rng(23)
    A, W, b = r.normal(size=(2, 3, 8)), r.normal(size=(2, 3, 3)), r.normal(size=2)
    conv = mt.Conv1d(3, 2, 3, stride, pad)
    assert (conv.stride, conv.pad) == (stride, pad)
    assert isinstance(conv.conv1d_stride1, mt.Conv1d_stride1)
    assert isinstance(conv.downsample1d, mt.Downsample1d)
    assert conv.downsample1d.downsampling_factor == stride
    conv.conv1d_stride1.W, conv.conv1d_stride1.b = W, b
    (Z,) = conv_np(A, W, b, stride=stride, pad=pad)
    assert Z.shape[-1] == math.ceil((8 + 2 * pad - 3 + 1) / stride)
    dLdZ = r.normal(size=Z.shape)
    guard = Untouched(A, W, b, dLdZ)
    _, dLdA, dLdW, dLdb = conv_np(A, W, b, dLdZ, stride, pad)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), dLdA)
    close(conv.conv1d_stride1.dLdW, dLdW)
    close(conv.conv1d_stride1.dLdb, dLdb)
    guard.check()


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_conv2d(stride: int, pad: int) -> None:
    r = rng(24)
    A, W, b = r.normal(size=(2, 2, 5, 7)), r.normal(size=(3, 2, 2, 2)), r.normal(size=3)
    calls: list[tuple[int, ...]] = []
    conv = mt.Conv2d(2, 3, 2, stride, pad, recording_init(calls, r), recording_init(calls, r))
    assert calls == [(3, 2, 2, 2), (3,)]
    assert (conv.stride, conv.pad) == (stride, pad)
    assert isinstance(conv.conv2d_stride1, mt.Conv2d_stride1)
    assert isinstance(conv.downsample2d, mt.Downsample2d)
    assert conv.downsample2d.downsampling_factor == stride
    conv.conv2d_stride1.W, conv.conv2d_stride1.b = W, b
    (Z,) = conv_np(A, W, b, stride=stride, pad=pad)
    dLdZ = r.normal(size=Z.shape)
    guard = Untouched(A, W, b, dLdZ)
    _, dLdA, dLdW, dLdb = conv_np(A, W, b, dLdZ, stride, pad)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), dLdA)
    close(conv.conv2d_stride1.dLdW, dLdW)
    close(conv.conv2d_stride1.dLdb, dLdb)
    guard.check()


@pytest.mark.parametrize("factor", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_conv_transpose1d(factor: int, k: int) -> None:
    r = rng(25)
    A, W, b = r.normal(size=(2, 3, 4)), r.normal(size=(2, 3, k)), r.normal(size=2)
    conv = mt.ConvTranspose1d(3, 2, k, factor)
    assert conv.upsampling_factor == factor
    assert isinstance(conv.upsample1d, mt.Upsample1d)
    assert conv.upsample1d.upsampling_factor == factor
    conv.conv1d_stride1.W, conv.conv1d_stride1.b = W, b
    up = upsample_np(A, factor, 1)
    (Z,) = conv_np(up, W, b)
    assert Z.shape[-1] == factor * 3 - k + 2
    dLdZ = r.normal(size=Z.shape)
    guard = Untouched(A, W, b, dLdZ)
    _, dLdup, dLdW, dLdb = conv_np(up, W, b, dLdZ)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), downsample_np(dLdup, factor, 1))
    close(conv.conv1d_stride1.dLdW, dLdW)
    close(conv.conv1d_stride1.dLdb, dLdb)
    guard.check()


@pytest.mark.parametrize(("factor", "k"), [(1, 2), (2, 2), (3, 3), (2, 1)])
def test_conv_transpose2d(factor: int, k: int) -> None:
    r = rng(26)
    A, W, b = r.normal(size=(2, 2, 3, 4)), r.normal(size=(3, 2, k, k)), r.normal(size=3)
    conv = mt.ConvTranspose2d(2, 3, k, factor)
    assert conv.upsampling_factor == factor
    assert isinstance(conv.upsample2d, mt.Upsample2d)
    conv.conv2d_stride1.W, conv.conv2d_stride1.b = W, b
    up = upsample_np(A, factor, 2)
    (Z,) = conv_np(up, W, b)
    dLdZ = r.normal(size=Z.shape)
    guard = Untouched(A, W, b, dLdZ)
    _, dLdup, dLdW, dLdb = conv_np(up, W, b, dLdZ)
    close(conv.forward(A), Z)
    close(conv.backward(dLdZ), downsample_np(dLdup, factor, 2))
    close(conv.conv2d_stride1.dLdW, dLdW)
    close(conv.conv2d_stride1.dLdb, dLdb)
    guard.check()


# ---------------------------------------------------------------- pooling and flatten
@pytest.mark.parametrize("kind", ["max", "mean"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_pool_stride1(kind: str, k: int) -> None:
    r = rng(27)
    A = r.normal(size=(2, 2, 5, 6))
    pool = (mt.MaxPool2d_stride1 if kind == "max" else mt.MeanPool2d_stride1)(k)
    assert pool.kernel == k
    dLdZ = r.normal(size=(2, 2, 6 - k, 7 - k))
    guard = Untouched(A, dLdZ)
    Z, dLdA = pool_np(A, k, 1, kind, dLdZ)
    close(pool.forward(A), Z)
    close(pool.backward(dLdZ), dLdA)
    guard.check()


@pytest.mark.parametrize("kind", ["max", "mean"])
@pytest.mark.parametrize(("k", "stride"), [(2, 1), (2, 2), (3, 2), (2, 3), (3, 3)])
def test_pool(kind: str, k: int, stride: int) -> None:
    r = rng(28)
    A = r.normal(size=(2, 3, 7, 5))
    pool = (mt.MaxPool2d if kind == "max" else mt.MeanPool2d)(k, stride)
    assert (pool.kernel, pool.stride) == (k, stride)
    inner = pool.maxpool2d_stride1 if kind == "max" else pool.meanpool2d_stride1
    assert isinstance(inner, mt.MaxPool2d_stride1 if kind == "max" else mt.MeanPool2d_stride1)
    assert inner.kernel == k
    assert pool.downsample2d.downsampling_factor == stride
    out = (math.ceil((7 - k + 1) / stride), math.ceil((5 - k + 1) / stride))
    dLdZ = r.normal(size=(2, 3, *out))
    guard = Untouched(A, dLdZ)
    Z, dLdA = pool_np(A, k, stride, kind, dLdZ)
    close(pool.forward(A), Z)
    close(pool.backward(dLdZ), dLdA)
    guard.check()


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 5)])
def test_flatten(shape: tuple[int, ...]) -> None:
    r = rng(29)
    A = r.normal(size=shape)
    dLdZ = r.normal(size=(shape[0], int(np.prod(shape[1:]))))
    guard = Untouched(A, dLdZ)
    flat = mt.Flatten()
    close(flat.forward(A), A.reshape(shape[0], -1))
    close(flat.backward(dLdZ), dLdZ.reshape(shape))
    guard.check()


# ---------------------------------------------------------------- every twin
def twins() -> list[tuple[str, Callable[[], Any], tuple[int, ...]]]:
    """(name, constructor, input shape) of every twin that has backward(upstream)."""
    return [
        ("Linear", lambda: mt.Linear(3, 2), (4, 3)),
        *((n, getattr(mt, n), (4, 3)) for n in ELEMENTWISE),
        ("Softmax", mt.Softmax, (4, 3)),
        ("Swish", lambda: mt.Swish(0.8), (4, 3)),
        ("BatchNorm1d", lambda: mt.BatchNorm1d(3), (4, 3)),
        ("Upsample1d", lambda: mt.Upsample1d(2), (2, 2, 4)),
        ("Downsample2d", lambda: mt.Downsample2d(2), (2, 2, 5, 4)),
        ("Conv1d", lambda: mt.Conv1d(2, 3, 2, 2, 1), (2, 2, 6)),
        ("Conv2d", lambda: mt.Conv2d(2, 3, 2, 2, 1), (2, 2, 5, 4)),
        ("ConvTranspose1d", lambda: mt.ConvTranspose1d(2, 3, 2, 2), (2, 2, 4)),
        ("ConvTranspose2d", lambda: mt.ConvTranspose2d(2, 3, 2, 2), (2, 2, 3, 4)),
        ("MaxPool2d", lambda: mt.MaxPool2d(2, 2), (2, 2, 5, 4)),
        ("MeanPool2d", lambda: mt.MeanPool2d(2, 2), (2, 2, 5, 4)),
        ("Flatten", mt.Flatten, (2, 2, 3)),
    ]


GRADIENTS = ("dLdW", "dLdb", "dLdBW", "dLdBb", "dLdbeta")


def written_gradients(twin: Any) -> dict[str, np.ndarray]:
    holders = [twin, *(getattr(twin, n) for n in ("conv1d_stride1", "conv2d_stride1")
                       if hasattr(twin, n))]
    return {f"{id(h)}.{g}": np.array(getattr(h, g)) for h in holders for g in GRADIENTS
            if hasattr(h, g)}


@pytest.mark.parametrize(("name", "make", "shape"), twins(), ids=[t[0] for t in twins()])
def test_backward_runs_again_after_one_forward(name: str, make: Callable[[], Any],
                                               shape: tuple[int, ...]) -> None:
    """A second backward on the same forward is the product with its own upstream: backward(g)
    then backward(−2g) gives −2 times the first results, input and parameter gradients."""
    r = rng(30)
    twin = make()
    A = r.normal(size=shape)
    Z = twin.forward(A)
    g = r.normal(size=Z.shape)
    first = twin.backward(g)
    first_params = written_gradients(twin)
    close(twin.backward(-2 * g), -2 * first)
    for key, value in written_gradients(twin).items():
        close(value, -2 * first_params[key])
    close(twin.backward(g), first)


@pytest.mark.parametrize(("name", "make", "shape"), twins(), ids=[t[0] for t in twins()])
def test_backward_before_forward_is_an_error(name: str, make: Callable[[], Any],
                                             shape: tuple[int, ...]) -> None:
    with pytest.raises(RuntimeError, match="before forward"):
        make().backward(np.ones(shape))


def test_returned_arrays_are_the_callers_own() -> None:
    """Writing into what a twin returned changes neither the twin's graph nor its gradients."""
    r = rng(31)
    layer = mt.Linear(3, 2)
    layer.W = r.normal(size=(2, 3))
    A, dLdZ = r.normal(size=(4, 3)), r.normal(size=(4, 2))
    layer.forward(A)[:] = 0
    dLdA = layer.backward(dLdZ)
    dLdW = layer.dLdW
    dLdA[:] = 0
    dLdW[:] = 0
    close(layer.backward(dLdZ), dLdZ @ layer.W)
    close(layer.dLdW, dLdZ.T @ A)
