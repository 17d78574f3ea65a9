"""The CS231n API's math, three ways.

- reference.cs231n (PyTorch, autograd) and student_nn.cs231n.layers (NumPy) agree in float64 on
  random inputs of several shapes, strides, pads and modes, and neither touches its inputs;
- the NumPy gradients are right: centred finite differences of <out, dout>;
- every deliberately buggy variant in tests/cs231n_impls differs from the twin on exactly the
  (op, output) items its README row says must fail, and agrees on every other one.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from reference import cs231n as ref
from student_nn.cs231n import layers as mine

RTOL, ATOL = 1e-7, 1e-10
IMPLS = Path(__file__).parent / "cs231n_impls"

Case = dict[str, object]
Pairs = dict[str, tuple[np.ndarray, np.ndarray]]  # output -> (got, expected)


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return False
    if got.dtype == bool or expected.dtype == bool:
        return np.array_equal(got, expected)
    return np.allclose(got, expected, rtol=RTOL, atol=ATOL)


def assert_close(got: np.ndarray, expected: np.ndarray) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- cases
def conv_out(size: int, kernel: int, stride: int, pad: int = 0) -> int:
    return 1 + (size + 2 * pad - kernel) // stride


def affine_case(seed: int, x_shape: tuple[int, ...], m: int) -> Case:
    rng = np.random.default_rng(seed)
    d = int(np.prod(x_shape[1:]))
    return dict(x=rng.normal(size=x_shape), w=rng.normal(size=(d, m)), b=rng.normal(size=m),
                dout=rng.normal(size=(x_shape[0], m)))


def relu_case(seed: int, shape: tuple[int, ...]) -> Case:
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=shape), dout=rng.normal(size=shape))


def conv_case(seed: int, n: int, c: int, h: int, w: int, f: int, hh: int, ww: int,
              stride: int, pad: int) -> Case:
    rng = np.random.default_rng(seed)
    out = (n, f, conv_out(h, hh, stride, pad), conv_out(w, ww, stride, pad))
    return dict(x=rng.normal(size=(n, c, h, w)), w=rng.normal(size=(f, c, hh, ww)),
                b=rng.normal(size=f), conv_param={"stride": stride, "pad": pad},
                dout=rng.normal(size=out))


def pool_case(seed: int, n: int, c: int, h: int, w: int, ph: int, pw: int, stride: int) -> Case:
    rng = np.random.default_rng(seed)
    out = (n, c, conv_out(h, ph, stride), conv_out(w, pw, stride))
    return dict(x=rng.normal(size=(n, c, h, w)), dout=rng.normal(size=out),
                pool_param={"pool_height": ph, "pool_width": pw, "stride": stride})


def norm_case(seed: int, shape: tuple[int, ...], param: dict, scale: float = 1.0) -> Case:
    """x (and a second batch x2) of `shape` whose features (axis 1) have different means and
    spreads, some small (so that where eps goes matters); gamma, beta of shape[1]."""
    rng = np.random.default_rng(seed)
    d = shape[1]
    spread = (scale * np.geomspace(0.02, 3.0, d)).reshape(1, d, *[1] * (len(shape) - 2))
    centre = rng.normal(size=spread.shape)
    return dict(x=centre + spread * rng.normal(size=shape),
                x2=centre + spread * rng.normal(size=shape),
                gamma=rng.normal(size=d), beta=rng.normal(size=d), param=param,
                dout=rng.normal(size=shape))


def stats_param(seed: int, d: int, **extra: float) -> dict:
    """bn_param entries with given running statistics (some variances small)."""
    rng = np.random.default_rng(seed)
    return dict(running_mean=rng.normal(size=d), running_var=np.geomspace(1e-3, 2.0, d), **extra)


def dropout_case(seed: int, shape: tuple[int, ...], param: dict) -> Case:
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=shape), dout=rng.normal(size=shape), param=param)


def loss_case(seed: int, n: int, c: int, scale: float = 1.0) -> Case:
    rng = np.random.default_rng(seed)
    return dict(x=scale * rng.normal(size=(n, c)), y=rng.integers(0, c, size=n))


# ---------------------------------------------------------------- running an op
def run_affine(m: ModuleType, c: Case) -> dict:
    out, cache = m.affine_forward(c["x"], c["w"], c["b"])
    dx, dw, db = m.affine_backward(c["dout"], cache)
    return {"forward": out, "dX": dx, "dW": dw, "db": db}


def run_relu(m: ModuleType, c: Case) -> dict:
    out, cache = m.relu_forward(c["x"])
    return {"forward": out, "dX": m.relu_backward(c["dout"], cache)}


def run_conv2d(m: ModuleType, c: Case) -> dict:
    out, cache = m.conv_forward_naive(c["x"], c["w"], c["b"], dict(c["conv_param"]))
    dx, dw, db = m.conv_backward_naive(c["dout"], cache)
    return {"forward": out, "dX": dx, "dW": dw, "db": db}


def run_pool2d_max(m: ModuleType, c: Case) -> dict:
    out, cache = m.max_pool_forward_naive(c["x"], dict(c["pool_param"]))
    return {"forward": out, "dX": m.max_pool_backward_naive(c["dout"], cache)}


def _run_batchnorm(forward: Callable, backward: Callable, c: Case) -> dict:
    """A train step with its backward, then a second train step on x2 with the same bn_param:
    the running statistics are those the caller reads from bn_param afterwards."""
    bn_param = {**copy.deepcopy(c["param"]), "mode": "train"}
    out, cache = forward(c["x"], c["gamma"], c["beta"], bn_param)
    dx, dgamma, dbeta = backward(c["dout"], cache)
    forward(c["x2"], c["gamma"], c["beta"], bn_param)
    return {"forward": out, "dX": dx, "dgamma": dgamma, "dbeta": dbeta,
            "running_mean": bn_param["running_mean"], "running_var": bn_param["running_var"]}


def run_batchnorm(m: ModuleType, c: Case) -> dict:
    return _run_batchnorm(m.batchnorm_forward, m.batchnorm_backward, c)


def run_batchnorm_test(m: ModuleType, c: Case) -> dict:
    bn_param = {**copy.deepcopy(c["param"]), "mode": "test"}
    out, _ = m.batchnorm_forward(c["x"], c["gamma"], c["beta"], bn_param)
    return {"forward": out}


def run_spatial_batchnorm(m: ModuleType, c: Case) -> dict:
    return _run_batchnorm(m.spatial_batchnorm_forward, m.spatial_batchnorm_backward, c)


def run_layernorm(m: ModuleType, c: Case) -> dict:
    out, cache = m.layernorm_forward(c["x"], c["gamma"], c["beta"], dict(c["param"]))
    dx, dgamma, dbeta = m.layernorm_backward(c["dout"], cache)
    return {"forward": out, "dX": dx, "dgamma": dgamma, "dbeta": dbeta}


def run_softmax_loss(m: ModuleType, c: Case) -> dict:
    loss, dx = m.softmax_loss(c["x"], c["y"])
    return {"forward": np.asarray(loss), "dX": dx}


def run_svm_loss(m: ModuleType, c: Case) -> dict:
    loss, dx = m.svm_loss(c["x"], c["y"])
    return {"forward": np.asarray(loss), "dX": dx}


RUNNERS: dict[str, Callable[[ModuleType, Case], dict]] = {
    "affine": run_affine, "relu": run_relu, "conv2d": run_conv2d,
    "pool2d_max": run_pool2d_max, "batchnorm": run_batchnorm,
    "batchnorm_test": run_batchnorm_test, "layernorm": run_layernorm,
    "spatial_batchnorm": run_spatial_batchnorm, "softmax_loss": run_softmax_loss,
    "svm_loss": run_svm_loss,
}


def dropout_pairs(m: ModuleType, c: Case) -> Pairs:
    """The implementation's forward and dX against the twin's given the units it kept (out ≠ 0),
    and (train mode) the units it kept against those the twin draws under the same seed."""
    out, cache = m.dropout_forward(c["x"], dict(c["param"]))
    dx = m.dropout_backward(c["dout"], cache)
    kept = out != 0
    expected, ref_cache = ref.dropout_forward(c["x"], dict(c["param"]), kept=kept)
    pairs = {"forward": (out, expected), "dX": (dx, ref.dropout_backward(c["dout"], ref_cache))}
    if c["param"]["mode"] == "train":
        _, own = ref.dropout_forward(c["x"], dict(c["param"]))
        pairs["mask"] = (kept, own.info["kept"])
    return pairs


def pairs(op: str, m: ModuleType, c: Case) -> Pairs:
    """(got, expected) per output of `op` on case `c`: module m against the twin."""
    if op == "dropout":
        return dropout_pairs(m, c)
    with np.errstate(all="ignore"):  # an overflowing softmax is a finding, not a crash
        got = RUNNERS[op](m, copy.deepcopy(c))
    expected = RUNNERS[op](ref, copy.deepcopy(c))
    assert got.keys() == expected.keys()
    return {k: (got[k], expected[k]) for k in expected}


# ---------------------------------------------------------------- twin and NumPy agree
CASES: dict[str, list[Case]] = {
    "affine": [affine_case(1, (4, 5), 3), affine_case(2, (3, 2, 3, 2), 4),
               affine_case(3, (1, 7), 1), affine_case(4, (2, 4, 3), 6)],
    "relu": [relu_case(5, (4, 6)), relu_case(6, (2, 3, 4, 5))],
    "conv2d": [conv_case(7, 2, 3, 5, 5, 4, 3, 3, 1, 1), conv_case(8, 1, 2, 7, 6, 3, 3, 2, 2, 0),
               conv_case(9, 3, 1, 6, 8, 2, 1, 1, 3, 2), conv_case(10, 2, 2, 4, 4, 1, 5, 5, 1, 2),
               conv_case(11, 2, 3, 8, 7, 2, 2, 3, 2, 1), conv_case(12, 1, 1, 3, 3, 1, 3, 3, 1, 0)],
    "pool2d_max": [pool_case(13, 2, 3, 4, 4, 2, 2, 2), pool_case(14, 1, 2, 7, 5, 3, 2, 2),
                   pool_case(15, 2, 1, 6, 6, 2, 3, 1), pool_case(16, 1, 1, 5, 5, 5, 5, 1),
                   pool_case(17, 2, 2, 7, 8, 2, 2, 3)],
    "batchnorm": [norm_case(18, (6, 4), {}), norm_case(19, (2, 3), {"momentum": 0.5}),
                  norm_case(20, (8, 5), stats_param(21, 5, eps=1e-3, momentum=0.7)),
                  norm_case(22, (5, 1), stats_param(23, 1), scale=10.0)],
    "batchnorm_test": [norm_case(24, (5, 3), stats_param(25, 3)),
                       norm_case(26, (1, 4), stats_param(27, 4, eps=1e-2)),
                       norm_case(28, (3, 2), {})],
    "layernorm": [norm_case(29, (4, 5), {}), norm_case(30, (3, 7), {"eps": 1e-3}),
                  norm_case(31, (1, 2), {}, scale=0.1)],
    "spatial_batchnorm": [norm_case(32, (2, 3, 4, 5), {}),
                          norm_case(33, (3, 2, 3, 3), stats_param(34, 2, momentum=0.8)),
                          norm_case(35, (1, 4, 2, 1), {"eps": 1e-3})],
    "dropout": [dropout_case(36, (20, 30), {"p": 0.3, "mode": "train", "seed": 1}),
                dropout_case(37, (4, 3, 5), {"p": 0.8, "mode": "train", "seed": 2}),
                dropout_case(38, (6, 7), {"p": 0.5, "mode": "test", "seed": 3})],
    "softmax_loss": [loss_case(39, 5, 4), loss_case(40, 1, 2), loss_case(41, 7, 10),
                     loss_case(42, 4, 6, scale=1000.0)],
    "svm_loss": [loss_case(43, 6, 5), loss_case(44, 1, 3), loss_case(45, 8, 10, scale=3.0),
                 loss_case(46, 4, 2, scale=0.2)],
}
CASE_IDS = [(op, i) for op, cases in CASES.items() for i in range(len(cases))]


def _arrays(c: Case) -> dict[str, np.ndarray]:
    out = {}
    for k, v in c.items():
        if isinstance(v, np.ndarray):
            out[k] = v
        elif isinstance(v, dict):
            out.update({f"{k}.{j}": a for j, a in v.items() if isinstance(a, np.ndarray)})
    return out


@pytest.mark.parametrize(("op", "i"), CASE_IDS, ids=[f"{op}-{i}" for op, i in CASE_IDS])
def test_twin_and_numpy_agree(op: str, i: int) -> None:
    c = CASES[op][i]
    before = {k: a.copy() for k, a in _arrays(c).items()}
    for output, (got, expected) in pairs(op, mine, c).items():
        assert np.all(np.isfinite(expected)), output
        if output == "mask":
            np.testing.assert_array_equal(got, expected)
        else:
            assert_close(got, expected)
    for k, a in _arrays(c).items():
        np.testing.assert_array_equal(a, before[k], err_msg=f"{k} was modified")


def test_relu_and_pool_cases_avoid_undefined_derivatives() -> None:
    """The agreement above is informative: no relu input at 0 and no tied max-pool window."""
    for c in CASES["relu"]:
        assert np.abs(c["x"]).min() > 1e-6
    for c in CASES["pool2d_max"]:
        p = c["pool_param"]
        win = np.lib.stride_tricks.sliding_window_view(
            c["x"], (p["pool_height"], p["pool_width"]), axis=(2, 3))
        flat = np.sort(win[:, :, ::p["stride"], ::p["stride"]].reshape(*win.shape[:2], -1,
                       p["pool_height"] * p["pool_width"]), axis=-1)
        if flat.shape[-1] > 1:
            assert (flat[..., -1] - flat[..., -2]).min() > 1e-9


# ---------------------------------------------------------------- batchnorm details
@pytest.mark.parametrize("impl", [ref, mine], ids=["twin", "numpy"])
@pytest.mark.parametrize("spatial", [False, True], ids=["batchnorm", "spatial"])
def test_running_stats_written_back_over_two_train_steps(impl: ModuleType, spatial: bool) -> None:
    rng = np.random.default_rng(50)
    shape = (6, 3, 2, 4) if spatial else (6, 3)
    axes = (0, 2, 3) if spatial else (0,)
    forward = impl.spatial_batchnorm_forward if spatial else impl.batchnorm_forward
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    x1, x2 = rng.normal(2.0, 3.0, size=shape), rng.normal(-1.0, 0.5, size=shape)
    bn_param = {"mode": "train", "momentum": 0.8}
    forward(x1, gamma, beta, bn_param)
    forward(x2, gamma, beta, bn_param)
    # From zeros: 0.8·(0.2·batch₁) + 0.2·batch₂, with the biased variance (÷ N).
    mean = 0.8 * 0.2 * x1.mean(axis=axes) + 0.2 * x2.mean(axis=axes)
    var = 0.8 * 0.2 * x1.var(axis=axes) + 0.2 * x2.var(axis=axes)
    assert_close(bn_param["running_mean"], mean)
    assert_close(bn_param["running_var"], var)
    # torch's own update (momentum 1 − 0.8, unbiased variance) is something else.
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    for x in (x1, x2):
        F.batch_norm(torch.from_numpy(x), rm, rv, training=True, momentum=0.2)
    assert_close(rm.numpy(), mean)
    assert not np.allclose(rv.numpy(), var, rtol=1e-3)
    # A test step normalises with these statistics and leaves them alone.
    bn_param["mode"] = "test"
    out, _ = forward(x1, gamma, beta, bn_param)
    shaped = (1, 3, 1, 1) if spatial else (1, 3)
    expected = (gamma.reshape(shaped) * (x1 - mean.reshape(shaped))
                / np.sqrt(var.reshape(shaped) + 1e-5) + beta.reshape(shaped))
    assert_close(out, expected)
    assert_close(bn_param["running_mean"], mean)
    assert_close(bn_param["running_var"], var)


@pytest.mark.parametrize("impl", [ref, mine], ids=["twin", "numpy"])
def test_batchnorm_test_mode_defaults_to_zero_statistics(impl: ModuleType) -> None:
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    out, _ = impl.batchnorm_forward(x, np.array([2.0, 1.0]), np.array([0.0, 1.0]),
                                    {"mode": "test", "eps": 0.25})
    assert_close(out, np.array([[4.0, -3.0], [12.0, 2.0]]))  # gamma·x/√0.25 + beta


@pytest.mark.parametrize("i", range(len(CASES["batchnorm"])))
def test_batchnorm_backward_alt_equals_batchnorm_backward(i: int) -> None:
    c = CASES["batchnorm"][i]
    for impl in (ref, mine):
        _, cache = impl.batchnorm_forward(c["x"], c["gamma"], c["beta"],
                                          {**copy.deepcopy(c["param"]), "mode": "train"})
        for a, b in zip(impl.batchnorm_backward(c["dout"], cache),
                        impl.batchnorm_backward_alt(c["dout"], cache), strict=True):
            assert_close(a, b)


# ---------------------------------------------------------------- dropout details
@pytest.mark.parametrize("p", [0.25, 0.5, 0.9])
def test_dropout_statistics(p: float) -> None:
    x = np.full((400, 250), 3.0)
    out, cache = mine.dropout_forward(x, {"p": p, "mode": "train", "seed": 7})
    twin_out, twin_cache = ref.dropout_forward(x, {"p": p, "mode": "train", "seed": 7})
    kept = out != 0
    assert abs(kept.mean() - p) < 0.01  # 1e5 draws: the standard error is below 0.0016
    assert_close(out[kept], np.full(kept.sum(), 3.0 / p))  # inverted dropout: scaled by 1/p
    assert abs(out.mean() - 3.0) < 0.05
    np.testing.assert_array_equal(twin_cache.info["kept"], kept)  # the same draws, same seed
    assert_close(twin_out, out)
    dout = np.ones_like(x)
    assert_close(mine.dropout_backward(dout, cache), kept / p)
    assert_close(ref.dropout_backward(dout, twin_cache), kept / p)


def test_dropout_twin_uses_the_mask_it_is_given() -> None:
    rng = np.random.default_rng(51)
    x, dout = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    kept = rng.random((5, 6)) < 0.6
    out, cache = ref.dropout_forward(x, {"p": 0.6, "mode": "train", "seed": 0}, kept=kept)
    assert_close(out, x * kept / 0.6)
    assert_close(ref.dropout_backward(dout, cache), dout * kept / 0.6)
    out, cache = ref.dropout_forward(x, {"p": 0.6, "mode": "test"}, kept=kept)
    assert_close(out, x)
    assert_close(ref.dropout_backward(dout, cache), dout)
    with pytest.raises(ValueError):
        ref.dropout_forward(x, {"p": 0.6, "mode": "train"}, kept=kept[:, :3])


# ---------------------------------------------------------------- losses
@pytest.mark.parametrize("impl", [ref, mine], ids=["twin", "numpy"])
def test_softmax_loss_large_logits(impl: ModuleType) -> None:
    x = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 799.0]])
    loss, dx = impl.softmax_loss(x, np.array([1, 2]))
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    e = np.exp(-1.0)
    assert np.isclose(loss, (1000.0 + np.log1p(np.exp(-1000.0) + np.exp(-2000.0))
                             + 1.0 + np.log1p(np.exp(-1.0))) / 2, rtol=1e-12)
    expected = np.array([[1.0, -1.0, 0.0], [0.0, 1 / (1 + e), e / (1 + e) - 1]]) / 2
    assert_close(dx, expected)


@pytest.mark.parametrize("impl", [ref, mine], ids=["twin", "numpy"])
def test_svm_loss_by_hand(impl: ModuleType) -> None:
    # Sample 0: margins 2 − 1 + 1 = 2 and 3 − 1 + 1 = 3; sample 1: every margin negative.
    x = np.array([[1.0, 2.0, 3.0], [5.0, 0.0, 0.5]])
    loss, dx = impl.svm_loss(x, np.array([0, 0]))
    assert np.isclose(loss, 5.0 / 2)
    assert_close(dx, np.array([[-2.0, 1.0, 1.0], [0.0, 0.0, 0.0]]) / 2)


# ---------------------------------------------------------------- finite differences
def numeric_gradient(f: Callable[[], np.ndarray], a: np.ndarray, dout: np.ndarray,
                     h: float = 1e-6) -> np.ndarray:
    """d<f(), dout>/da by centred differences, perturbing `a` in place one element at a time."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        keep = a[i]
        a[i] = keep + h
        up = np.sum(f() * dout)
        a[i] = keep - h
        down = np.sum(f() * dout)
        a[i] = keep
        grad[i] = (up - down) / (2 * h)
    return grad


def check_gradients(forward: Callable, backward: Callable, inputs: dict[str, np.ndarray],
                    dout: np.ndarray | float, names: list[str]) -> None:
    """backward(dout, cache) against finite differences of forward's output for each input named
    (in backward's order); forward(**inputs) returns (out, cache)."""
    inputs = {k: np.array(v, dtype=float) for k, v in inputs.items()}
    out, cache = forward(**inputs)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(names)
    for name, grad in zip(names, grads, strict=True):
        numeric = numeric_gradient(lambda: forward(**inputs)[0], inputs[name], dout)
        assert grad.shape == inputs[name].shape, name
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def _fd(op: str, i: int = 0) -> Case:
    return copy.deepcopy(CASES[op][i])


@pytest.mark.parametrize("i", [0, 1])
def test_fd_affine(i: int) -> None:
    c = _fd("affine", i)
    check_gradients(mine.affine_forward, mine.affine_backward,
                    {"x": c["x"], "w": c["w"], "b": c["b"]}, c["dout"], ["x", "w", "b"])


def test_fd_relu() -> None:
    c = _fd("relu", 0)
    check_gradients(mine.relu_forward, mine.relu_backward, {"x": c["x"]}, c["dout"], ["x"])


@pytest.mark.parametrize("i", [0, 1, 4])
def test_fd_conv(i: int) -> None:
    c = _fd("conv2d", i)
    check_gradients(lambda x, w, b: mine.conv_forward_naive(x, w, b, c["conv_param"]),
                    mine.conv_backward_naive, {"x": c["x"], "w": c["w"], "b": c["b"]},
                    c["dout"], ["x", "w", "b"])


@pytest.mark.parametrize("i", [0, 1])
def test_fd_max_pool(i: int) -> None:
    c = _fd("pool2d_max", i)
    check_gradients(lambda x: mine.max_pool_forward_naive(x, c["pool_param"]),
                    mine.max_pool_backward_naive, {"x": c["x"]}, c["dout"], ["x"])


@pytest.mark.parametrize("backward", ["batchnorm_backward", "batchnorm_backward_alt"])
@pytest.mark.parametrize("mode", ["train", "test"])
def test_fd_batchnorm(backward: str, mode: str) -> None:
    c = _fd("batchnorm", 2)
    check_gradients(lambda x, gamma, beta: mine.batchnorm_forward(
                        x, gamma, beta, {**copy.deepcopy(c["param"]), "mode": mode}),
                    getattr(mine, backward), {"x": c["x"], "gamma": c["gamma"], "beta": c["beta"]},
                    c["dout"], ["x", "gamma", "beta"])


def test_fd_spatial_batchnorm() -> None:
    c = _fd("spatial_batchnorm", 1)
    check_gradients(lambda x, gamma, beta: mine.spatial_batchnorm_forward(
                        x, gamma, beta, {**copy.deepcopy(c["param"]), "mode": "train"}),
                    mine.spatial_batchnorm_backward,
                    {"x": c["x"], "gamma": c["gamma"], "beta": c["beta"]}, c["dout"],
                    ["x", "gamma", "beta"])


def test_fd_layernorm() -> None:
    c = _fd("layernorm", 1)
    check_gradients(lambda x, gamma, beta: mine.layernorm_forward(x, gamma, beta, c["param"]),
                    mine.layernorm_backward, {"x": c["x"], "gamma": c["gamma"], "beta": c["beta"]},
                    c["dout"], ["x", "gamma", "beta"])


@pytest.mark.parametrize("i", [1, 2])
def test_fd_dropout(i: int) -> None:
    c = _fd("dropout", i)  # the seed in dropout_param redraws the same mask every call
    check_gradients(lambda x: mine.dropout_forward(x, c["param"]), mine.dropout_backward,
                    {"x": c["x"]}, c["dout"], ["x"])


@pytest.mark.parametrize("loss", ["softmax_loss", "svm_loss"])
def test_fd_losses(loss: str) -> None:
    c = _fd(loss, 0)
    f = getattr(mine, loss)
    check_gradients(lambda x: f(x, c["y"]), lambda dout, dx: dx, {"x": c["x"]}, 1.0, ["x"])


# ---------------------------------------------------------------- the buggy implementations
# A few fixed inputs per op, chosen so that each bug shows: multi-axis affine inputs, pad > 0,
# kernels larger than 1×1, features with small variances (where eps sits matters), p ≠ 0.5,
# batches of several samples, several channels and pixels, and large softmax scores.
BUG_CASES: dict[str, list[Case]] = {
    "affine": [CASES["affine"][1], CASES["affine"][0]],
    "relu": CASES["relu"],
    "conv2d": [CASES["conv2d"][0], CASES["conv2d"][1], CASES["conv2d"][3]],
    "pool2d_max": CASES["pool2d_max"][:3],
    "batchnorm": [CASES["batchnorm"][0], CASES["batchnorm"][2]],
    "batchnorm_test": CASES["batchnorm_test"][:2],
    "layernorm": CASES["layernorm"][:2],
    "dropout": CASES["dropout"],
    "spatial_batchnorm": CASES["spatial_batchnorm"][:2],
    "softmax_loss": [CASES["softmax_loss"][0], CASES["softmax_loss"][3]],
    "svm_loss": [CASES["svm_loss"][0], CASES["svm_loss"][2]],
}
# The compared outputs of each op, under the names the harness's registry uses.
OUTPUTS: dict[str, list[str]] = {
    "affine": ["forward", "dX", "dW", "db"], "relu": ["forward", "dX"],
    "conv2d": ["forward", "dX", "dW", "db"], "pool2d_max": ["forward", "dX"],
    "batchnorm": ["forward", "dX", "dgamma", "dbeta", "running_mean", "running_var"],
    "batchnorm_test": ["forward"], "layernorm": ["forward", "dX", "dgamma", "dbeta"],
    "dropout": ["forward", "dX", "mask"],
    "spatial_batchnorm": ["forward", "dX", "dgamma", "dbeta", "running_mean", "running_var"],
    "softmax_loss": ["forward", "dX"], "svm_loss": ["forward", "dX"],
}


def test_every_op_compares_its_outputs() -> None:
    assert OUTPUTS.keys() == BUG_CASES.keys() == CASES.keys()
    for op, cases in BUG_CASES.items():
        assert list(pairs(op, mine, cases[0])) == OUTPUTS[op]


def impl_folders() -> list[Path]:
    return sorted(p for p in IMPLS.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def load_layers(folder: Path) -> ModuleType:
    path = folder / "cs231n" / "layers.py"
    if not path.exists():
        path = folder / "layers.py"
    spec = importlib.util.spec_from_file_location(f"_cs231n_impl_{folder.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _items(cell: str) -> set[tuple[str, str]]:
    """'batchnorm: forward, dX; batchnorm_test: forward' -> {(op, output)}; skips prose."""
    items = set()
    for part in cell.split(";"):
        if ":" in part:
            op, outputs = part.split(":", 1)
            items |= {(op.strip(), o.strip()) for o in outputs.split(",")}
    return items


def readme_rows() -> dict[str, tuple[set, set]]:
    """folder -> (items that must fail, items named as still passing), from the README table."""
    rows = {}
    for line in (IMPLS / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|([^|]*)\|\s*$", line)
        if m:
            rows[m.group(1)] = (_items(m.group(2)), _items(m.group(3)))
    return rows


def test_readme_lists_every_folder_with_known_items() -> None:
    rows = readme_rows()
    assert sorted(rows) == [f.name for f in impl_folders()]
    known = {(op, o) for op, outs in OUTPUTS.items() for o in outs}
    for folder, (fails, passes) in rows.items():
        assert fails | passes <= known, (folder, (fails | passes) - known)
        assert not fails & passes, folder


def test_bug_folders_redefine_one_function() -> None:
    for folder in impl_folders():
        module = load_layers(folder)
        own = [name for name, v in vars(module).items()
               if callable(v) and getattr(v, "__module__", None) == module.__name__]
        doc = (module.__doc__ or "").strip()
        if folder.name == "flat_layout":
            assert own == [] and doc.startswith("Correct:")
        else:
            assert len(own) == 1 and doc.startswith("Bug: "), (folder.name, own)


@pytest.mark.parametrize("folder", impl_folders(), ids=lambda f: f.name)
def test_bug_fails_exactly_where_the_readme_says(folder: Path) -> None:
    fails, passes = readme_rows()[folder.name]
    module = load_layers(folder)
    failing = set()
    for op, cases in BUG_CASES.items():
        for c in cases:
            for output, (got, expected) in pairs(op, module, c).items():
                if not close(got, expected):
                    failing.add((op, output))
    assert failing == fails
    assert not failing & passes
