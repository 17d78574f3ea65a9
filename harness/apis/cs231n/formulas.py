"""The wrong formulas CS231n students compute, one table per op (`harness.diagnosis.fingerprints`);
assignment 3's recurrent layers' are in rnn_formulas.py.

Each row is a `Formula`: the output it is about, what the student computed, what is wrong
with it, and the formula itself from the case's inputs (x, gamma, beta, dout, y, and the
running statistics a case gives). The constants are the cases' own (eps 1e-5, momentum 0.9).
"""

from __future__ import annotations

import numpy as np

from harness.apis.cs231n import BN_PARAM
from harness.apis.cs231n.rnn_formulas import CATALOGUE as RNN_LAYERS
from harness.core.formula import Formula, Inputs

EPS, MOMENTUM = BN_PARAM["eps"], BN_PARAM["momentum"]


def _normalised(x: np.ndarray, axis: int = 0, ddof: int = 0, eps_outside: bool = False
                ) -> np.ndarray:
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    return (x - mu) / (np.sqrt(var) + EPS if eps_outside else np.sqrt(var + EPS))


def _affine(x: Inputs, xhat: np.ndarray) -> np.ndarray:
    return x["gamma"] * xhat + x["beta"]


def _running(x: Inputs, key: str) -> np.ndarray:
    return x.get(key, np.zeros(x["x"].shape[1]))


def _dx_ignoring_stats(x: Inputs) -> np.ndarray:
    return x["dout"] * x["gamma"] / np.sqrt(x["x"].var(axis=0) + EPS)


def _dx_ignoring_variance(x: Inputs) -> np.ndarray:
    d = x["dout"] * x["gamma"]
    return (d - d.mean(axis=0)) / np.sqrt(x["x"].var(axis=0) + EPS)


BATCHNORM = (
    Formula("forward", "γ·(x − μ)/√(σ²_unbiased + ε) + β", "the variance divides by N − 1 "
            "(ddof=1); batch normalisation uses the biased variance, np.var(x, axis=0)",
            lambda x: _affine(x, _normalised(x["x"], ddof=1))),
    Formula("forward", "γ·(x − μ)/(√σ² + ε) + β", "ε is outside the square root: "
            "divide by np.sqrt(var + eps)",
            lambda x: _affine(x, _normalised(x["x"], eps_outside=True))),
    Formula("forward", "γ·(x − μ)/σ² + β", "divided by the variance, not the standard "
            "deviation √(σ² + ε)",
            lambda x: _affine(x, (x["x"] - x["x"].mean(0)) / (x["x"].var(0) + EPS))),
    Formula("forward", "per-sample normalisation (axis 1)", "normalised over each sample's "
            "features (axis=1), which is layer normalisation; batchnorm takes the mean and "
            "variance over the batch (axis=0)",
            lambda x: _affine(x, _normalised(x["x"], axis=1))),
    Formula("dX", "dout·γ/√(σ² + ε)", "the mean and the variance depend on x too: "
            "dx = (γ/√(σ²+ε))·(dout − mean(dout) − x̂·mean(dout·x̂)) (per feature, over the "
            "batch), not just dout·γ/√(σ²+ε)", _dx_ignoring_stats),
    Formula("dX", "(γ/√(σ² + ε))·(dout − mean(dout))", "the variance's dependence on x is "
            "missing: subtract x̂·mean(dout·x̂) too", _dx_ignoring_variance),
    Formula("running_mean", "m·μ + (1 − m)·running_mean", "the momentum weighs the wrong "
            "term: running_mean = momentum·running_mean + (1 − momentum)·μ",
            lambda x: MOMENTUM * x["x"].mean(0) + (1 - MOMENTUM) * _running(x, "running_mean")),
    Formula("running_mean", "running_mean unchanged", "train mode must update it: "
            "running_mean = momentum·running_mean + (1 − momentum)·μ, stored in bn_param",
            lambda x: _running(x, "running_mean")),
    Formula("running_var", "m·σ² + (1 − m)·running_var", "the momentum weighs the wrong term: "
            "running_var = momentum·running_var + (1 − momentum)·σ²",
            lambda x: MOMENTUM * x["x"].var(0) + (1 - MOMENTUM) * _running(x, "running_var")),
    Formula("running_var", "m·running_var + (1 − m)·σ²_unbiased", "the running variance is "
            "updated with the unbiased variance (ddof=1, as torch does); CS231n keeps the "
            "biased one, np.var(x, axis=0)",
            lambda x: MOMENTUM * _running(x, "running_var")
            + (1 - MOMENTUM) * x["x"].var(0, ddof=1)),
    Formula("running_var", "running_var unchanged", "train mode must update it: "
            "running_var = momentum·running_var + (1 − momentum)·σ², stored in bn_param",
            lambda x: _running(x, "running_var")),
)

BATCHNORM_TEST = (
    Formula("forward", "γ·(x − μ_batch)/√(σ²_batch + ε) + β", "test mode normalises with the "
            "batch's own statistics; it must use bn_param's running_mean and running_var",
            lambda x: _affine(x, _normalised(x["x"]))),
    Formula("forward", "γ·(x − running_mean)/(√running_var + ε) + β", "ε is outside the "
            "square root: divide by np.sqrt(running_var + eps)",
            lambda x: _affine(x, (x["x"] - x["running_mean"])
                              / (np.sqrt(x["running_var"]) + EPS))),
)

LAYERNORM = (
    Formula("forward", "normalisation over the batch (axis 0)", "layer normalisation takes "
            "each sample's mean and variance over its features (axis=1), not the batch's",
            lambda x: _affine(x, _normalised(x["x"], axis=0))),
    Formula("forward", "γ·(x − μ)/(√σ² + ε) + β", "ε is outside the square root: "
            "divide by np.sqrt(var + eps)",
            lambda x: _affine(x, _normalised(x["x"], axis=1, eps_outside=True))),
    Formula("dX", "dout·γ/√(σ² + ε)", "each sample's mean and variance depend on x too: "
            "the same formula as batchnorm's backward, over axis 1",
            lambda x: x["dout"] * x["gamma"]
            / np.sqrt(x["x"].var(axis=1, keepdims=True) + EPS)),
)


def _spatial_no_transpose(x: Inputs) -> np.ndarray:
    n, c, h, w = x["x"].shape
    flat = x["x"].reshape(-1, c)      # NCHW memory order: rows mix channels and pixels
    out = x["gamma"] * _normalised(flat) + x["beta"]
    return out.reshape(n, c, h, w)


SPATIAL_BATCHNORM = (
    Formula("forward", "batchnorm of x.reshape(-1, C)", "(N, C, H, W) reshaped to (N·H·W, C) "
            "without moving C last first: transpose to (N, H, W, C), then reshape (and back)",
            _spatial_no_transpose),
)


def _svm_margins(x: Inputs) -> tuple[np.ndarray, np.ndarray]:
    n = x["x"].shape[0]
    correct = x["x"][np.arange(n), x["y"]][:, None]
    return x["x"] - correct + 1, np.arange(n)


def _svm_counting_correct(x: Inputs) -> float:
    margins, _ = _svm_margins(x)
    return float(np.maximum(margins, 0).sum() / margins.shape[0])


SVM_LOSS = (
    Formula("forward", "Σ_j max(0, x_j − x_y + 1) over every class j", "the correct class "
            "is counted too (its margin is always 1): skip j = y, margins[range(N), y] = 0",
            _svm_counting_correct),
    Formula("forward", "Σ_{j≠y} max(0, x_j − x_y) / N", "the margin Δ = 1 is missing: "
            "max(0, x_j − x_y + 1)",
            lambda x: float(np.maximum(_svm_margins(x)[0] - 1, 0).sum() / x["x"].shape[0])),
)

DROPOUT = (  # "kept": the units the implementation kept (forward's nonzero entries)
    Formula("forward", "x·mask", "the kept units are not scaled by 1/p: inverted dropout "
            "divides by the keep probability in train mode, out = x·mask/p (so that test "
            "mode needs no scaling)", lambda x: np.where(x["kept"], x["x"], 0.0)),
)

CATALOGUE: dict[str, tuple[Formula, ...]] = {
    "cs231n:dropout": DROPOUT,
    "cs231n:batchnorm": BATCHNORM,
    "cs231n:batchnorm_alt": tuple(f for f in BATCHNORM if f.output == "dX"),
    "cs231n:batchnorm_test": BATCHNORM_TEST,
    "cs231n:layernorm": LAYERNORM,
    "cs231n:spatial_batchnorm": SPATIAL_BATCHNORM,
    "cs231n:svm_loss": SVM_LOSS,
    **RNN_LAYERS,   # assignment 3's (harness/apis/cs231n/rnn_formulas.py)
}
