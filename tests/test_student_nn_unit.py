"""Unit tests of student_nn against PyTorch autograd (float64), independent of the harness."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from student_nn.activations import SoftMax, initialize_activation
from student_nn.layers import Conv2D, Flatten, FullyConnected, Pool2D, initialize_layer
from student_nn.losses import L2, CrossEntropy
from student_nn.models import NeuralNetwork
from student_nn.optimizers import initialize_optimizer
from student_nn.utils import pad_amounts
from student_nn.weights import initialize_weights

TORCH_ACT = {"linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
             "relu": torch.relu, "softmax": lambda z: torch.softmax(z, dim=-1)}


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2)


def nhwc(x: torch.Tensor) -> np.ndarray:
    return x.permute(0, 2, 3, 1).detach().numpy()


def torch_pad(x: torch.Tensor, pads: tuple[int, int], value: float = 0.0) -> torch.Tensor:
    ph, pw = pads
    return F.pad(x, (pw, pw, ph, ph), value=value)


def run_layer(layer, X, dY, W=None, b=None):
    """Drive a layer the way the harness does; returns (Y, dX) and checks inputs are untouched."""
    arrays = {"X": X, "dY": dY, "W": W, "b": b}
    before = {k: v.copy() for k, v in arrays.items() if v is not None}
    if W is not None:
        layer._init_parameters(X.shape)
        layer.parameters["W"], layer.parameters["b"] = W, b
    Y = layer.forward(X)
    dX = layer.backward(dY)
    for k, v in before.items():
        np.testing.assert_array_equal(arrays[k], v, err_msg=f"{k} was modified")
    return Y, dX


def close(a, b) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "softmax"])
@pytest.mark.parametrize("shape", [(4, 7), (2, 3, 4, 5)])
def test_activation_matches_torch(name, shape):
    rng = np.random.default_rng(0)
    Z, dY = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    act = initialize_activation(name)
    Zt = t(Z)
    Yt = TORCH_ACT[name](Zt)
    Yt.backward(torch.tensor(dY))
    Z0, dY0 = Z.copy(), dY.copy()
    close(act(Z), Yt.detach().numpy())
    close(act.backward(Z, dY), Zt.grad.numpy())
    np.testing.assert_array_equal(Z, Z0)
    np.testing.assert_array_equal(dY, dY0)


def test_softmax_large_logits_and_sigmoid_extremes():
    rng = np.random.default_rng(1)
    Z, dY = rng.standard_normal((3, 5)) + 1000.0, rng.standard_normal((3, 5))
    Zt = t(Z)
    torch.softmax(Zt, dim=-1).backward(torch.tensor(dY))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        close(SoftMax().forward(Z), torch.softmax(torch.tensor(Z), dim=-1).numpy())
        close(SoftMax().backward(Z, dY), Zt.grad.numpy())
        s = initialize_activation("sigmoid")(np.array([-1000.0, 0.0, 1000.0]))
    close(s, [0.0, 0.5, 1.0])


def test_unknown_activation():
    with pytest.raises(ValueError):
        initialize_activation("gelu")


# ---------------------------------------------------------------- layers
@pytest.mark.parametrize("act", ["linear", "relu", "softmax"])
def test_fully_connected(act):
    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    dY = rng.standard_normal((5, 3))
    layer = FullyConnected(3, act)
    Y, dX = run_layer(layer, X, dY, W, b)

    Xt, Wt, bt = t(X), t(W), t(b)
    Yt = TORCH_ACT[act](Xt @ Wt + bt)
    Yt.backward(torch.tensor(dY))
    close(Y, Yt.detach().numpy())
    close(dX, Xt.grad.numpy())
    close(layer.gradients["W"], Wt.grad.numpy())
    close(layer.gradients["b"], bt.grad.numpy())


@pytest.mark.parametrize(
    "n, h, w, cin, cout, k, s, pad, act",
    [
        (2, 5, 6, 3, 4, (3, 3), 1, "same", "linear"),
        (2, 7, 7, 2, 3, (3, 3), 2, "same", "relu"),
        (1, 6, 5, 2, 3, (2, 4), 1, "same", "tanh"),   # even kernel: "same" shrinks the output
        (2, 5, 4, 3, 2, (3, 2), 2, 2, "linear"),      # pad 2, non-square kernel
        (2, 7, 7, 2, 2, (2, 2), 3, "valid", "sigmoid"),  # stride > kernel: uncovered rows
        (1, 3, 3, 1, 1, (1, 1), 1, 2, "linear"),      # padding wider than the kernel
    ],
)
def test_conv2d_matches_torch(n, h, w, cin, cout, k, s, pad, act):
    rng = np.random.default_rng(3)
    pads = pad_amounts(pad, k)
    oh = (h + 2 * pads[0] - k[0]) // s + 1
    ow = (w + 2 * pads[1] - k[1]) // s + 1
    X = rng.standard_normal((n, h, w, cin))
    W, b = rng.standard_normal((*k, cin, cout)), rng.standard_normal((1, cout))
    dY = rng.standard_normal((n, oh, ow, cout))
    layer = Conv2D(cout, k, act, stride=s, pad=pad)
    Y, dX = run_layer(layer, X, dY, W, b)

    Xt, Wt, bt = t(X), t(W), t(b)
    Zt = F.conv2d(torch_pad(nchw(Xt), pads), Wt.permute(3, 2, 0, 1).contiguous(), bt[0], stride=s)
    Yt = TORCH_ACT[act](Zt)
    Yt.backward(nchw(torch.tensor(dY)))
    close(Y, nhwc(Yt))
    close(dX, Xt.grad.numpy())
    close(layer.gradients["W"], Wt.grad.numpy())
    close(layer.gradients["b"], bt.grad.numpy())
    assert layer.gradients["W"].shape == W.shape and layer.gradients["b"].shape == b.shape


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(
    "n, h, w, c, k, s, pad",
    [
        (2, 6, 6, 3, (2, 2), 2, 0),
        (2, 5, 7, 2, (3, 3), 1, "same"),  # overlapping windows, padded
        (1, 4, 6, 2, (3, 2), 1, 1),       # non-square, padded
        (2, 7, 7, 1, (2, 2), 3, "valid"), # stride > kernel
    ],
)
def test_pool2d_matches_torch(mode, n, h, w, c, k, s, pad):
    rng = np.random.default_rng(4)
    pads = pad_amounts(pad, k)
    oh = (h + 2 * pads[0] - k[0]) // s + 1
    ow = (w + 2 * pads[1] - k[1]) // s + 1
    X, dY = rng.standard_normal((n, h, w, c)), rng.standard_normal((n, oh, ow, c))
    Y, dX = run_layer(Pool2D(k, mode=mode, stride=s, pad=pad), X, dY)

    Xt = t(X)
    if mode == "max":
        Yt = F.max_pool2d(torch_pad(nchw(Xt), pads, -np.inf), k, stride=s)
    else:
        Yt = F.avg_pool2d(torch_pad(nchw(Xt), pads), k, stride=s)
    Yt.backward(nchw(torch.tensor(dY)))
    close(Y, nhwc(Yt))
    close(dX, Xt.grad.numpy())


@pytest.mark.parametrize("k, s", [((3, 3), 1), ((3, 2), 2), ((2, 3), 1), ((2, 2), 2),
                                  ((2, 3), 3)])
def test_max_pool2d_routes_ties_to_the_first_maximum_like_torch(k, s):
    """Inputs drawn from {0, 1, 2} tie in almost every window: the separable maxima of
    overlapping windows and the tap-by-tap ones of disjoint windows must both send each
    window's gradient to its first maximum in row-major order, as PyTorch does."""
    rng = np.random.default_rng(9)
    X = rng.integers(0, 3, (3, 9, 10, 4)).astype(float)
    oh, ow = (9 - k[0]) // s + 1, (10 - k[1]) // s + 1
    dY = rng.standard_normal((3, oh, ow, 4))
    Y, dX = run_layer(Pool2D(k, mode="max", stride=s), X, dY)

    Xt = t(X)
    Yt = F.max_pool2d(nchw(Xt), k, stride=s)
    Yt.backward(nchw(torch.tensor(dY)))
    assert np.array_equal(Y, nhwc(Yt))
    close(dX, Xt.grad.numpy())


def test_pool2d_has_no_parameters():
    layer = initialize_layer("pool2d", kernel_shape=(2, 2), stride=2)
    assert (layer.mode, layer.stride, layer.pads) == ("max", 2, (0, 0))
    assert not layer.parameters and not layer.gradients


def test_flatten_round_trip():
    rng = np.random.default_rng(5)
    X, dY = rng.standard_normal((3, 2, 4, 5)), rng.standard_normal((3, 40))
    Y, dX = run_layer(Flatten(), X, dY)
    close(Y, X.reshape(3, 40))
    close(dX, dY.reshape(X.shape))


# ---------------------------------------------------------------- losses
def test_losses_match_torch():
    rng = np.random.default_rng(6)
    Y = np.eye(4)[rng.integers(0, 4, size=6)]
    logits = rng.standard_normal((6, 4))
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    Pt = t(P)
    ce = -(torch.tensor(Y) * torch.log(Pt)).sum() / 6
    ce.backward()
    close(CrossEntropy("cross_entropy")(Y, P), ce.item())
    close(CrossEntropy("cross_entropy").backward(Y, P), Pt.grad.numpy())

    T, Y_hat = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    Yt = t(Y_hat)
    mse = F.mse_loss(Yt, torch.tensor(T))
    mse.backward()
    close(L2("l2")(T, Y_hat), mse.item())
    close(L2("l2").backward(T, Y_hat), Yt.grad.numpy())


# ---------------------------------------------------------------- weights
@pytest.mark.parametrize(
    "name, spread",
    [
        ("xavier_uniform", lambda fi, fo: np.sqrt(6 / (fi + fo)) / np.sqrt(3)),
        ("xavier_normal", lambda fi, fo: np.sqrt(2 / (fi + fo))),
        ("he_uniform", lambda fi, fo: np.sqrt(6 / fi) / np.sqrt(3)),
        ("he_normal", lambda fi, fo: np.sqrt(2 / fi)),
    ],
)
@pytest.mark.parametrize("shape, fan_in, fan_out", [((300, 200), 300, 200),
                                                   ((3, 5, 16, 32), 240, 480)])
def test_weight_init_fan_rules(name, spread, shape, fan_in, fan_out):
    np.random.seed(0)
    W = initialize_weights(name)(shape)
    assert W.shape == shape
    np.testing.assert_allclose(W.std(), spread(fan_in, fan_out), rtol=0.05)
    if name.endswith("uniform"):
        assert np.abs(W).max() <= spread(fan_in, fan_out) * np.sqrt(3)


# ---------------------------------------------------------------- model
def test_network_loss_decreases_with_sgd():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 6, 6, 2))
    Y = np.eye(3)[rng.integers(0, 3, size=8)]
    net = NeuralNetwork(
        loss="cross_entropy",
        layer_args=[
            {"name": "conv2d", "n_out": 4, "kernel_shape": (3, 3), "activation": "relu"},
            {"name": "pool2d", "kernel_shape": (2, 2), "stride": 2},
            {"name": "flatten"},
            {"name": "fully_connected", "n_out": 3, "activation": "softmax"},
        ],
        optimizer_args={"name": "sgd", "lr": 0.1},
        seed=0,
    )
    X_before = X.copy()
    losses = [net.train_step(X, Y, epoch) for epoch in range(20)]
    np.testing.assert_array_equal(X, X_before)
    _, final = net.predict(X, Y)
    assert final < 0.5 * losses[0]
    assert all(not np.any(g) for layer in net.layers for g in layer.gradients.values())


# ---------------------------------------------------------------- optimizers
@pytest.mark.parametrize(
    "args, torch_opt",
    [
        ({"name": "sgd", "lr": 0.1, "momentum": 0.9}, lambda p: torch.optim.SGD(p, 0.1, 0.9)),
        ({"name": "adam", "lr": 0.01}, lambda p: torch.optim.Adam(p, 0.01, eps=1e-8)),
    ],
)
def test_optimizers_match_torch(args, torch_opt):
    rng = np.random.default_rng(8)
    param, grads = rng.standard_normal((3, 2)), rng.standard_normal((4, 3, 2))
    opt = initialize_optimizer(**args)
    pt = torch.tensor(param, requires_grad=True)
    topt = torch_opt([pt])
    for epoch, g in enumerate(grads):
        param = param - opt.update("W0", param, g, epoch)
        pt.grad = torch.tensor(g)
        topt.step()
    close(param, pt.detach().numpy())
