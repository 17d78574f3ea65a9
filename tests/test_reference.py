"""The PyTorch twins against hand-written NumPy formulas, and through the harness driver."""

from __future__ import annotations

import numpy as np
import pytest

import reference
from harness.apis.hw6 import model_eval
from harness.apis.hw6.runners import MODEL_KINDS
from harness.apis.known import OPS
from harness.core.conventions import Conventions
from harness.core.driver import run_op
from reference import activations, layers, losses
from reference.layers import output_size, pad_amounts

RNG = np.random.default_rng(0)
ASYM = Conventions(same_pad="asymmetric")


def randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def close(got: np.ndarray, want: np.ndarray) -> None:
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def run_layer(layer: layers.Layer, X: np.ndarray, dY: np.ndarray | None = None,
              **params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Y and dX of `layer` with the given parameters (dY defaults to ones)."""
    if params:
        layer._init_parameters(X.shape)
        layer.parameters.update(params)
    Y = layer.forward(X)
    return Y, layer.backward(np.ones_like(Y) if dY is None else dY)


# ---------------------------------------------------------------- NumPy references
def windows(Xp: np.ndarray, k: tuple[int, int], s: int):
    """(i, j, window slice) for every output position of padded NHWC Xp."""
    oh, ow = (Xp.shape[1] - k[0]) // s + 1, (Xp.shape[2] - k[1]) // s + 1
    for i in range(oh):
        for j in range(ow):
            yield i, j, (slice(None), slice(i * s, i * s + k[0]), slice(j * s, j * s + k[1]))


def np_pad(X: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0):
    return np.pad(X, ((0, 0), *pads, (0, 0)), constant_values=value)


def conv_loop(X, W, b, dY, s, pads):
    """Forward, dX, dW, db of a linear-activation conv, by direct loops."""
    Xp = np_pad(X, pads)
    kh, kw = W.shape[:2]
    Y, dXp, dW = np.zeros(dY.shape), np.zeros(Xp.shape), np.zeros(W.shape)
    for i, j, win in windows(Xp, (kh, kw), s):
        Y[:, i, j] = np.tensordot(Xp[win], W, axes=([1, 2, 3], [0, 1, 2])) + b[0]
        dXp[win] += np.tensordot(dY[:, i, j], W, axes=([1], [3]))
        dW += np.tensordot(Xp[win], dY[:, i, j], axes=([0], [0]))
    (t, _), (left, _) = pads
    dX = dXp[:, t:t + X.shape[1], left:left + X.shape[2]]
    return Y, dX, dW, dY.sum(axis=(0, 1, 2))[None]


def pool_loop(X, dY, k, s, pads, mode, value):
    """Forward and dX of max/average pooling by direct loops."""
    Xp = np_pad(X, pads, value)
    Y, dXp = np.zeros(dY.shape), np.zeros(Xp.shape)
    for i, j, win in windows(Xp, k, s):
        patch = Xp[win]
        if mode == "max":
            Y[:, i, j] = patch.max(axis=(1, 2))
            dXp[win] += (patch == Y[:, i, j][:, None, None]) * dY[:, i, j][:, None, None]
        else:
            Y[:, i, j] = patch.mean(axis=(1, 2))
            dXp[win] += dY[:, i, j][:, None, None] / (k[0] * k[1])
    (t, _), (left, _) = pads
    return Y, dXp[:, t:t + X.shape[1], left:left + X.shape[2]]


# ---------------------------------------------------------------- padding helper
@pytest.mark.parametrize("size,k,s,same_pad,pads,out", [
    (5, 2, 1, "symmetric", (0, 0), 4),
    (5, 2, 1, "asymmetric", (0, 1), 5),
    (5, 3, 1, "symmetric", (1, 1), 5),
    (5, 3, 2, "asymmetric", (1, 1), 3),
    (6, 3, 2, "asymmetric", (0, 1), 3),
    (7, 5, 3, "asymmetric", (2, 2), 3),
    (4, 4, 1, "symmetric", (1, 1), 3),
])
def test_same_padding(size, k, s, same_pad, pads, out):
    assert pad_amounts("same", size, k, s, same_pad) == pads
    assert output_size(size, k, s, pads) == out


def test_valid_and_int_padding():
    assert pad_amounts("valid", 5, 3, 1) == (0, 0)
    assert pad_amounts(2, 5, 3, 1, "asymmetric") == (2, 2)
    with pytest.raises(ValueError):
        pad_amounts("full", 5, 3, 1)


# ---------------------------------------------------------------- activations and losses
def test_activations_match_formulas():
    Z, dY = randn(3, 5), randn(3, 5)
    sig = 1 / (1 + np.exp(-Z))
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    soft = e / e.sum(axis=1, keepdims=True)
    expected = {
        "linear": (Z, dY),
        "sigmoid": (sig, dY * sig * (1 - sig)),
        "tanh": (np.tanh(Z), dY * (1 - np.tanh(Z) ** 2)),
        "relu": (np.maximum(Z, 0), dY * (Z > 0)),
        "softmax": (soft, soft * (dY - (dY * soft).sum(axis=1, keepdims=True))),
    }
    for name, (Y, dZ) in expected.items():
        act = activations.initialize_activation(name)
        close(act(Z), Y)
        close(act.backward(Z, dY), dZ)


def test_losses_match_formulas():
    Y = np.eye(4)[[0, 3, 1]]
    Y_hat = activations.SoftMax().forward(randn(3, 4))
    ce = losses.initialize_loss("cross_entropy")
    close(ce.forward(Y, Y_hat), -(Y * np.log(Y_hat)).sum() / 3)
    close(ce.backward(Y, Y_hat), -Y / Y_hat / 3)
    A, B = randn(3, 4), randn(3, 4)
    l2 = losses.L2("l2")
    close(l2.forward(A, B), ((A - B) ** 2).mean())
    close(l2.backward(A, B), 2 * (B - A) / A.size)


def test_l2_reductions_differ_only_beyond_the_contract():
    batch = losses.L2("l2", conventions=Conventions(l2_reduction="batch"))
    elements = losses.L2("l2")
    A, B = randn(3, 4), randn(3, 4)
    close(batch.forward(A, B), ((A - B) ** 2).sum() / 3)
    close(batch.backward(A, B), 2 * (B - A) / 3)
    A1, B1 = randn(5, 1), randn(5, 1)  # the contract's (batch_size, 1): the same loss
    close(batch.forward(A1, B1), elements.forward(A1, B1))
    close(batch.backward(A1, B1), elements.backward(A1, B1))


# ---------------------------------------------------------------- layers
def test_fully_connected_matches_formulas():
    X, W, b, dY = randn(4, 3), randn(3, 2), randn(1, 2), randn(4, 2)
    fc = layers.FullyConnected(2, "tanh")
    Y, dX = run_layer(fc, X, dY, W=W, b=b)
    dZ = dY * (1 - np.tanh(X @ W + b) ** 2)
    close(Y, np.tanh(X @ W + b))
    close(dX, dZ @ W.T)
    close(fc.gradients["W"], X.T @ dZ)
    close(fc.gradients["b"], dZ.sum(axis=0, keepdims=True))


@pytest.mark.parametrize("k,s,pad,conv", [
    ((3, 2), 1, "same", Conventions()),
    ((3, 2), 1, "same", ASYM),
    ((2, 2), 2, "same", ASYM),
    ((3, 3), 2, 1, Conventions()),
    ((2, 3), 1, "valid", Conventions()),
])
def test_conv2d_matches_loops(k, s, pad, conv):
    X, W, b = randn(1, 4, 4, 2), randn(*k, 2, 3), randn(1, 3)
    pads = tuple(pad_amounts(pad, 4, kk, s, conv.same_pad) for kk in k)
    dY = randn(1, *(output_size(4, kk, s, p) for kk, p in zip(k, pads, strict=True)), 3)
    layer = layers.Conv2D(3, k, "linear", stride=s, pad=pad, conventions=conv)
    Y, dX = run_layer(layer, X, dY, W=W, b=b)
    for got, want in zip((Y, dX, layer.gradients["W"], layer.gradients["b"]),
                         conv_loop(X, W, b, dY, s, pads), strict=True):
        close(got, want)


@pytest.mark.parametrize("mode,maxpool_pad", [("max", "-inf"), ("max", "zero"),
                                              ("average", "-inf")])
@pytest.mark.parametrize("k,s,pad", [((2, 2), 2, 0), ((3, 2), 1, 1), ((3, 3), 2, "same")])
def test_pool2d_matches_loops(mode, maxpool_pad, k, s, pad):
    X = randn(2, 4, 5, 3)
    pads = (pad_amounts(pad, 4, k[0], s), pad_amounts(pad, 5, k[1], s))
    dY = randn(2, output_size(4, k[0], s, pads[0]), output_size(5, k[1], s, pads[1]), 3)
    value = -np.inf if (mode, maxpool_pad) == ("max", "-inf") else 0.0
    layer = layers.Pool2D(k, mode, s, pad, conventions=Conventions(maxpool_pad=maxpool_pad))
    for got, want in zip(run_layer(layer, X, dY), pool_loop(X, dY, k, s, pads, mode, value),
                         strict=True):
        close(got, want)


def test_maxpool_padding_convention_matters_on_negative_input():
    X = -1.0 - np.abs(randn(1, 2, 2, 1))  # every 2x2 window: one real value, three padding
    Y = {c: layers.Pool2D(2, "max", 2, 1, conventions=Conventions(maxpool_pad=c)).forward(X)
         for c in ("-inf", "zero")}
    np.testing.assert_array_equal(Y["-inf"], X)
    np.testing.assert_array_equal(Y["zero"], np.zeros_like(X))


def test_average_pool_divides_by_full_kernel_area():
    Y = layers.Pool2D(3, "average", 1, 1).forward(np.ones((1, 3, 3, 1)))
    close(Y[0, :, :, 0], [[4, 6, 4], [6, 9, 6], [4, 6, 4]] / np.float64(9))


def test_flatten_round_trip():
    X = randn(2, 3, 4, 5)
    Y, dX = run_layer(layers.Flatten(), X, X.reshape(2, -1))
    np.testing.assert_array_equal(Y, X.reshape(2, -1))
    np.testing.assert_array_equal(dX, X)


@pytest.mark.parametrize("layer,X_shape", [
    (layers.FullyConnected(4, "relu"), (3, 5)),
    (layers.Conv2D(4, (3, 2), "sigmoid", stride=2), (2, 6, 5, 3)),
])
def test_lazy_init_and_gradient_shapes(layer, X_shape):
    X = randn(*X_shape)
    run_layer(layer, X)
    assert list(layer.gradients) == list(layer.parameters) == ["W", "b"]
    for name, p in layer.parameters.items():
        assert layer.gradients[name].shape == p.shape
        assert layer.gradients[name].dtype == np.float64
    assert layer.parameters["b"].shape == (1, 4)


def test_inputs_are_not_mutated_and_outputs_are_not_shared():
    X, W, b, dY = randn(2, 5, 5, 2), randn(3, 3, 2, 2), randn(1, 2), randn(2, 5, 5, 2)
    before = [a.copy() for a in (X, W, b, dY)]
    layer = layers.Conv2D(2, 3, "relu")
    Y, dX = run_layer(layer, X, dY, W=W, b=b)
    Y[...] = 0
    dX2 = layer.backward(dY)
    for a, a0 in zip((X, W, b, dY), before, strict=True):
        np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(dX, dX2)
    assert not np.shares_memory(dX, dX2)


def test_module_helper():
    assert reference.module("layers") is layers
    with pytest.raises(ValueError):
        reference.module("datasets")


# ---------------------------------------------------------------- through the harness driver
def is_finite_float64(value: object, output: str) -> bool:
    if output == "forward" and isinstance(value, float):
        return np.isfinite(value)
    return (isinstance(value, np.ndarray) and value.dtype == np.float64
            and bool(np.isfinite(value).all()))


@pytest.mark.parametrize("spec", OPS.values(), ids=list(OPS))
def test_every_op_runs_through_driver(spec):
    cls = getattr(reference.module(spec.module), spec.cls)
    for case in spec.cases(10):
        if spec.kind in MODEL_KINDS:  # whole models etc.: collected outputs (apis/hw6/runners.py)
            out = model_eval.reference_outputs(spec, spec.ctor(case), spec.inputs(case),
                                               Conventions())
            assert out and all(np.isfinite(np.asarray(getattr(v, "scale", v))).all()
                               for v in out.values()), case.id
            continue
        ctor = spec.ctor(case)
        if spec.kind == "layer":
            ctor["conventions"] = Conventions()
        run = run_op(spec.kind, cls, ctor, spec.inputs(case), spec.outputs)
        assert not run.errors, (case.id, run.errors)
        for output in spec.outputs:
            assert is_finite_float64(run.outputs[output], output), (case.id, output)


def test_the_twins_default_conventions_are_the_harness_preferred_ones() -> None:
    """reference/ imports nothing of the harness: its own defaults (PyTorch's) must be what
    the harness calls the reference's own choices, the first of each convention's."""
    from harness.core.conventions import CHOICES, Conventions
    from reference.conventions import PYTORCH

    for name in ("maxpool_pad", "same_pad", "l2_reduction"):
        assert getattr(PYTORCH, name) == getattr(Conventions(), name) == CHOICES[name][0]
