"""student_nn/mytorch, the bundled 11-785 mytorch (HW1P1 + HW2P1), against PyTorch in float64.

Every forward output and every gradient a backward sets is compared with torch's (autograd on
the same inputs) on random shapes: non-square images, strides 1–3, paddings 0–2, kernels 1–4,
batches 1–4. One `run_torch` gives torch's output and gradients, one `check` compares.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from student_nn.mytorch.flatten import Flatten
from student_nn.mytorch.nn.activation import GELU, Identity, ReLU, Sigmoid, Softmax, Swish, Tanh
from student_nn.mytorch.nn.batchnorm import BatchNorm1d
from student_nn.mytorch.nn.Conv1d import Conv1d, Conv1d_stride1
from student_nn.mytorch.nn.Conv2d import Conv2d, Conv2d_stride1
from student_nn.mytorch.nn.ConvTranspose import ConvTranspose1d, ConvTranspose2d
from student_nn.mytorch.nn.linear import Linear
from student_nn.mytorch.nn.loss import CrossEntropyLoss, MSELoss
from student_nn.mytorch.nn.pool import MaxPool2d, MaxPool2d_stride1, MeanPool2d, MeanPool2d_stride1
from student_nn.mytorch.nn.resampling import Downsample1d, Downsample2d, Upsample1d, Upsample2d
from student_nn.mytorch.optim.sgd import SGD

RTOL, ATOL = 1e-10, 1e-12
STUDENT_NN = Path(__file__).parents[1] / "student_nn"


# ---------------------------------------------------------------- helpers
def check(got, expected) -> None:
    """got equals torch's expected, shape included."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def run_torch(fn: Callable, *inputs: np.ndarray, dout=1.0) -> tuple[np.ndarray, list]:
    """fn(*inputs) in torch, and the gradient of ⟨fn(*inputs), dout⟩ for each input."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = fn(*ts)
    out.backward(torch.as_tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def fixed(array: np.ndarray) -> Callable:
    """An init function returning `array`, and checking it was asked for array's shape."""
    def init(*shape: int) -> np.ndarray:
        assert shape == array.shape
        return array.copy()
    return init


def normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.normal(size=shape)


def out_size(size: int, kernel: int, stride: int = 1, pad: int = 0) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def upsample(x: torch.Tensor, k: int, dims: int) -> torch.Tensor:
    """x with k − 1 zeros between neighbours along its last `dims` axes, in torch."""
    shape = (*x.shape[:-dims], *(k * (s - 1) + 1 for s in x.shape[-dims:]))
    z = torch.zeros(shape, dtype=x.dtype)
    z[(..., *[slice(None, None, k)] * dims)] = x
    return z


# ---------------------------------------------------------------- linear
@pytest.mark.parametrize("n, d_in, d_out", [(1, 3, 2), (4, 5, 7), (3, 1, 1)])
def test_linear(n, d_in, d_out):
    rng = np.random.default_rng(n * 100 + d_in * 10 + d_out)
    A, W, b, dLdZ = (normal(rng, n, d_in), normal(rng, d_out, d_in), normal(rng, d_out),
                     normal(rng, n, d_out))
    layer = Linear(d_in, d_out, debug=True)
    check(layer.W, np.zeros((d_out, d_in)))
    check(layer.b, np.zeros((d_out, 1)))
    layer.W, layer.b = W, b[:, None]
    Z, (dA, dW, db) = run_torch(F.linear, A, W, b, dout=dLdZ)
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)
    check(layer.dLdA, dA)
    check(layer.dLdW, dW)
    check(layer.dLdb, db[:, None])


# ---------------------------------------------------------------- activations
ACTIVATIONS = {
    Identity: lambda z: z * 1.0,
    Sigmoid: torch.sigmoid,
    Tanh: torch.tanh,
    ReLU: torch.relu,
    GELU: lambda z: F.gelu(z, approximate="none"),
    Softmax: lambda z: F.softmax(z, dim=1),
}


@pytest.mark.parametrize("cls", ACTIVATIONS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(1, 1), (4, 6), (3, 2)])
def test_activation(cls, shape):
    rng = np.random.default_rng(sum(shape))
    Z, dLdA = 3 * normal(rng, *shape), normal(rng, *shape)
    A, (dZ,) = run_torch(ACTIVATIONS[cls], Z, dout=dLdA)
    act = cls()
    check(act.forward(Z), A)
    check(act.backward(dLdA), dZ)


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, GELU, Softmax, Swish],
                         ids=lambda c: c.__name__)
def test_activation_is_stable_for_large_inputs(cls):
    Z = np.array([[-800.0, -40.0, -1e-3, 0.0, 40.0, 800.0]])
    dLdA = np.linspace(-1, 1, Z.size).reshape(Z.shape)
    fn = ACTIVATIONS.get(cls, lambda z: z * torch.sigmoid(z))
    A, (dZ,) = run_torch(fn, Z, dout=dLdA)
    act = cls()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        check(act.forward(Z), A)
        check(act.backward(dLdA), dZ)


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.3])
@pytest.mark.parametrize("shape", [(1, 3), (4, 5)])
def test_swish(beta, shape):
    rng = np.random.default_rng(len(shape) + int(10 * beta))
    Z, dLdA = 2 * normal(rng, *shape), normal(rng, *shape)
    A, (dZ, dbeta) = run_torch(lambda z, b: z * torch.sigmoid(b * z), Z, np.array(beta),
                               dout=dLdA)
    act = Swish(beta)
    assert act.beta == beta
    check(act.forward(Z), A)
    check(act.backward(dLdA), dZ)
    check(act.dLdbeta, dbeta)


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("n, c", [(1, 1), (4, 3), (2, 6)])
def test_mse_loss(n, c):
    rng = np.random.default_rng(n * 10 + c)
    A, Y = normal(rng, n, c), normal(rng, n, c)
    L, (dA,) = run_torch(lambda a: F.mse_loss(a, torch.tensor(Y)), A)
    loss = MSELoss()
    check(loss.forward(A, Y), L)
    check(loss.backward(), dA)


@pytest.mark.parametrize("n, c, scale", [(1, 2, 1.0), (4, 3, 1.0), (3, 5, 1000.0)])
def test_cross_entropy_loss(n, c, scale):
    rng = np.random.default_rng(n * 10 + c)
    A, labels = scale * normal(rng, n, c), rng.integers(c, size=n)
    Y = np.eye(c)[labels]
    L, (dA,) = run_torch(lambda a: F.cross_entropy(a, torch.tensor(labels)), A)
    loss = CrossEntropyLoss()
    check(loss.forward(A, Y), L)
    check(loss.backward(), dA)


# ---------------------------------------------------------------- batch norm
def torch_batchnorm(Z, BW, Bb, M=None, V=None, eps=1e-8):
    """BW (Z − M)/√(V + ε) + Bb, with the batch's mean and biased variance unless M, V given."""
    if M is None:
        M, V = Z.mean(0, keepdim=True), Z.var(0, correction=0, keepdim=True)
    return BW * (Z - M) / torch.sqrt(V + eps) + Bb


@pytest.mark.parametrize("n, c, alpha", [(1, 3, 0.9), (4, 5, 0.9), (3, 2, 0.7)])
def test_batchnorm1d(n, c, alpha):
    rng = np.random.default_rng(n * 10 + c)
    bn = BatchNorm1d(c, alpha)
    assert bn.eps == 1e-8 and bn.alpha == alpha
    for name, value in [("BW", 1.0), ("Bb", 0.0), ("dLdBW", 0.0), ("dLdBb", 0.0),
                        ("running_M", 0.0), ("running_V", 1.0)]:
        check(getattr(bn, name), np.full((1, c), value))
    bn.BW, bn.Bb = normal(rng, 1, c), normal(rng, 1, c)
    running_M, running_V = np.zeros((1, c)), np.ones((1, c))
    for _ in range(2):  # two training steps, so the running statistics move twice
        Z, dLdBZ = 2 + 3 * normal(rng, n, c), normal(rng, n, c)
        BZ, (dZ, dBW, dBb) = run_torch(torch_batchnorm, Z, bn.BW, bn.Bb, dout=dLdBZ)
        check(bn.forward(Z), BZ)
        check(bn.backward(dLdBZ), dZ)
        check(bn.dLdBW, dBW)
        check(bn.dLdBb, dBb)
        running_M = alpha * running_M + (1 - alpha) * Z.mean(axis=0, keepdims=True)
        running_V = alpha * running_V + (1 - alpha) * Z.var(axis=0, keepdims=True)
        check(bn.running_M, running_M)
        check(bn.running_V, running_V)

    Z, dLdBZ = normal(rng, n + 1, c), normal(rng, n + 1, c)
    M, V = torch.tensor(running_M), torch.tensor(running_V)
    BZ, (dZ, dBW, dBb) = run_torch(lambda z, w, b: torch_batchnorm(z, w, b, M, V),
                                   Z, bn.BW, bn.Bb, dout=dLdBZ)
    check(bn.forward(Z, eval=True), BZ)
    check(bn.running_M, running_M)
    check(bn.running_V, running_V)
    check(bn.backward(dLdBZ), dZ)
    check(bn.dLdBW, dBW)


# ---------------------------------------------------------------- resampling and flatten
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("shape", [(2, 3, 7), (1, 2, 1), (2, 1, 5, 8), (1, 2, 6, 3)])
def test_resampling(k, shape):
    rng = np.random.default_rng(k + sum(shape))
    dims = len(shape) - 2
    up, down = (Upsample1d(k), Downsample1d(k)) if dims == 1 else (Upsample2d(k), Downsample2d(k))
    A = normal(rng, *shape)

    out_shape = (*shape[:2], *(k * (s - 1) + 1 for s in shape[2:]))
    dLdZ = normal(rng, *out_shape)
    Z, (dA,) = run_torch(lambda a: upsample(a, k, dims), A, dout=dLdZ)
    check(up.forward(A), Z)
    check(up.backward(dLdZ), dA)

    step = (..., *[slice(None, None, k)] * dims)
    dLdZ = normal(rng, *A[step].shape)
    Z, (dA,) = run_torch(lambda a: a[step], A, dout=dLdZ)
    check(down.forward(A), Z)
    check(down.backward(dLdZ), dA)


@pytest.mark.parametrize("shape", [(1, 3, 4), (2, 3, 4, 5), (4, 1, 1)])
def test_flatten(shape):
    rng = np.random.default_rng(sum(shape))
    A = normal(rng, *shape)
    dLdZ = normal(rng, shape[0], A[0].size)
    Z, (dA,) = run_torch(lambda a: a.flatten(1), A, dout=dLdZ)
    layer = Flatten()
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)


# ---------------------------------------------------------------- convolutions
CONV1D = [  # n, c_in, c_out, width, kernel, stride, padding
    (1, 1, 1, 5, 1, 1, 0), (2, 3, 4, 9, 3, 2, 1), (4, 2, 3, 10, 4, 3, 2),
    (3, 2, 2, 6, 2, 1, 0), (2, 1, 3, 7, 3, 3, 0), (1, 3, 2, 4, 4, 2, 2),
]
CONV2D = [  # n, c_in, c_out, height, width, kernel, stride, padding
    (1, 1, 1, 5, 5, 1, 1, 0), (2, 3, 4, 7, 5, 3, 2, 1), (4, 2, 3, 6, 9, 4, 3, 2),
    (3, 2, 2, 8, 6, 2, 1, 0), (2, 1, 3, 5, 8, 3, 3, 0), (1, 3, 2, 4, 7, 4, 2, 2),
]


def conv_case(seed: int, n, c_in, c_out, spatial, k, stride, pad):
    """A, W, b and a dLdZ of the output's shape."""
    rng = np.random.default_rng(seed)
    A = normal(rng, n, c_in, *spatial)
    W, b = normal(rng, c_out, c_in, *[k] * len(spatial)), normal(rng, c_out)
    dLdZ = normal(rng, n, c_out, *(out_size(s, k, stride, pad) for s in spatial))
    return A, W, b, dLdZ


def check_conv(layer, conv, A, dLdZ, expected):
    """The layer's output, dLdA, and the stride-1 core's dLdW and dLdb."""
    Z, (dA, dW, db) = expected
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)
    check(conv.dLdW, dW)
    check(conv.dLdb, db)


@pytest.mark.parametrize("n, c_in, c_out, w, k, s, p", CONV1D)
def test_conv1d(n, c_in, c_out, w, k, s, p):
    A, W, b, dLdZ = conv_case(w * k + s, n, c_in, c_out, (w,), k, s, p)
    expected = run_torch(lambda a, w_, b_: F.conv1d(a, w_, b_, stride=s, padding=p),
                         A, W, b, dout=dLdZ)
    layer = Conv1d(c_in, c_out, k, s, p, weight_init_fn=fixed(W), bias_init_fn=fixed(b))
    assert (layer.stride, layer.pad) == (s, p)
    check_conv(layer, layer.conv1d_stride1, A, dLdZ, expected)


@pytest.mark.parametrize("n, c_in, c_out, w, k, s, p", CONV1D)
def test_conv1d_stride1(n, c_in, c_out, w, k, s, p):
    A, W, b, dLdZ = conv_case(w * k, n, c_in, c_out, (w,), k, 1, 0)
    expected = run_torch(F.conv1d, A, W, b, dout=dLdZ)
    layer = Conv1d_stride1(c_in, c_out, k, weight_init_fn=fixed(W), bias_init_fn=fixed(b))
    check_conv(layer, layer, A, dLdZ, expected)


@pytest.mark.parametrize("n, c_in, c_out, h, w, k, s, p", CONV2D)
def test_conv2d(n, c_in, c_out, h, w, k, s, p):
    A, W, b, dLdZ = conv_case(h * w + k + s, n, c_in, c_out, (h, w), k, s, p)
    expected = run_torch(lambda a, w_, b_: F.conv2d(a, w_, b_, stride=s, padding=p),
                         A, W, b, dout=dLdZ)
    layer = Conv2d(c_in, c_out, k, s, p, weight_init_fn=fixed(W), bias_init_fn=fixed(b))
    assert (layer.stride, layer.pad) == (s, p)
    check_conv(layer, layer.conv2d_stride1, A, dLdZ, expected)


@pytest.mark.parametrize("n, c_in, c_out, h, w, k, s, p", CONV2D)
def test_conv2d_stride1(n, c_in, c_out, h, w, k, s, p):
    A, W, b, dLdZ = conv_case(h * w + k, n, c_in, c_out, (h, w), k, 1, 0)
    expected = run_torch(F.conv2d, A, W, b, dout=dLdZ)
    layer = Conv2d_stride1(c_in, c_out, k, weight_init_fn=fixed(W), bias_init_fn=fixed(b))
    check_conv(layer, layer, A, dLdZ, expected)


@pytest.mark.parametrize("n, c_in, c_out, h, w, k, s, _", CONV2D)
@pytest.mark.parametrize("dims", [1, 2])
def test_conv_transpose(dims, n, c_in, c_out, h, w, k, s, _):
    """mytorch's ConvTranspose: insert s − 1 zeros between samples, then a stride-1 conv."""
    spatial = (h, w)[-dims:]
    A, W, b, _ = conv_case(h * w + k + dims, n, c_in, c_out, spatial, k, 1, 0)
    up_spatial = [s * (x - 1) + 1 for x in spatial]
    dLdZ = normal(np.random.default_rng(s), n, c_out, *(x - k + 1 for x in up_spatial))
    conv = F.conv1d if dims == 1 else F.conv2d
    expected = run_torch(lambda a, w_, b_: conv(upsample(a, s, dims), w_, b_), A, W, b,
                         dout=dLdZ)
    cls = ConvTranspose1d if dims == 1 else ConvTranspose2d
    layer = cls(c_in, c_out, k, s, weight_init_fn=fixed(W), bias_init_fn=fixed(b))
    assert layer.upsampling_factor == s
    core = layer.conv1d_stride1 if dims == 1 else layer.conv2d_stride1
    check_conv(layer, core, A, dLdZ, expected)


@pytest.mark.parametrize("cls, shape", [(Conv1d_stride1, (4, 3, 2)),
                                        (Conv2d_stride1, (4, 3, 2, 2))])
def test_conv_default_init(cls, shape):
    layer = cls(3, 4, 2)
    assert layer.W.shape == shape and layer.W.std() > 0
    check(layer.b, np.zeros(4))


# ---------------------------------------------------------------- pooling
POOL = [  # n, c, height, width, kernel, stride
    (1, 1, 4, 4, 1, 1), (2, 3, 6, 9, 2, 2), (4, 2, 7, 5, 3, 3),
    (3, 2, 5, 8, 4, 1), (2, 1, 9, 6, 3, 2), (1, 3, 4, 7, 2, 3),
]
POOLS = {"max": (MaxPool2d, F.max_pool2d), "mean": (MeanPool2d, F.avg_pool2d)}


@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("n, c, h, w, k, s", POOL)
def test_pool(kind, n, c, h, w, k, s):
    rng = np.random.default_rng(h * w + k * s)
    A, dLdZ = normal(rng, n, c, h, w), normal(rng, n, c, out_size(h, k, s), out_size(w, k, s))
    cls, fn = POOLS[kind]
    Z, (dA,) = run_torch(lambda a: fn(a, k, s), A, dout=dLdZ)
    layer = cls(k, s)
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)


@pytest.mark.parametrize("cls, fn", [(MaxPool2d_stride1, F.max_pool2d),
                                     (MeanPool2d_stride1, F.avg_pool2d)])
@pytest.mark.parametrize("n, c, h, w, k, _", POOL)
def test_pool_stride1(cls, fn, n, c, h, w, k, _):
    rng = np.random.default_rng(h * w + k)
    A, dLdZ = normal(rng, n, c, h, w), normal(rng, n, c, out_size(h, k), out_size(w, k))
    Z, (dA,) = run_torch(lambda a: fn(a, k, 1), A, dout=dLdZ)
    layer = cls(k)
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)


@pytest.mark.parametrize("k, s", [(2, 1), (3, 1), (2, 2), (3, 2)])
def test_maxpool_ties_go_to_the_first_maximum(k, s):
    """On a tie, a window's gradient goes to its first maximum in row-major order (torch's CPU
    kernel does the same), summed over overlapping windows."""
    rng = np.random.default_rng(k * s)
    A = rng.integers(0, 2, size=(2, 2, 6, 7)).astype(float)
    dLdZ = normal(rng, 2, 2, out_size(6, k, s), out_size(7, k, s))
    Z, (dA,) = run_torch(lambda a: F.max_pool2d(a, k, s), A, dout=dLdZ)
    layer = MaxPool2d(k, s)
    check(layer.forward(A), Z)
    check(layer.backward(dLdZ), dA)


# ---------------------------------------------------------------- SGD
@pytest.mark.parametrize("lr, mu", [(0.1, 0.0), (0.05, 0.9), (0.3, 0.5)])
def test_sgd(lr, mu):
    rng = np.random.default_rng(int(100 * mu))
    layers = [Linear(3, 4), Linear(4, 2)]
    for layer in layers:
        layer.W, layer.b = normal(rng, *layer.W.shape), normal(rng, *layer.b.shape)
    params = [torch.tensor(p) for layer in layers for p in (layer.W, layer.b)]
    torch_sgd = torch.optim.SGD(params, lr=lr, momentum=mu, dampening=0)
    sgd = SGD(SimpleNamespace(layers=layers), lr=lr, momentum=mu)
    assert (sgd.L, sgd.lr, sgd.mu) == (2, lr, mu) and sgd.l is layers
    for _ in range(3):
        for layer, (W, b) in zip(layers, zip(params[::2], params[1::2], strict=True),
                                 strict=True):
            layer.dLdW, layer.dLdb = normal(rng, *layer.W.shape), normal(rng, *layer.b.shape)
            W.grad, b.grad = torch.tensor(layer.dLdW), torch.tensor(layer.dLdb)
        sgd.step()
        torch_sgd.step()
        for layer, W, b in zip(layers, params[::2], params[1::2], strict=True):
            check(layer.W, W.numpy())
            check(layer.b, b.numpy())


# ---------------------------------------------------------------- the handout's import name
@pytest.fixture
def mytorch_on_path(monkeypatch):
    """student_nn/ on sys.path, so the package imports as top-level `mytorch`, as in a handout;
    whatever `mytorch` was loaded before is put back afterwards."""
    def loaded() -> list[str]:
        return [name for name in sys.modules if name.split(".")[0] == "mytorch"]
    for name in loaded():
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(STUDENT_NN))
    yield
    for name in loaded():
        del sys.modules[name]


def test_imports_as_top_level_mytorch(mytorch_on_path):
    conv = importlib.import_module("mytorch.nn.Conv1d")
    resampling = importlib.import_module("mytorch.nn.resampling")
    assert Path(conv.__file__).parent == STUDENT_NN / "mytorch" / "nn"
    layer = conv.Conv1d(2, 3, 2, stride=2, padding=1)
    assert isinstance(layer.downsample1d, resampling.Downsample1d)
    assert layer.forward(np.ones((1, 2, 5))).shape == (1, 3, 3)
    for module in ("mytorch.flatten", "mytorch.optim.sgd", "mytorch.nn.ConvTranspose",
                   "mytorch.nn.pool"):
        importlib.import_module(module)
