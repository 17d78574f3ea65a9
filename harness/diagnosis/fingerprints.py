"""Formula fingerprints: which wrong formula did the student compute?

For the element-wise activations and the losses the inputs determine the output completely, so
a wrong output can be recomputed under each of the usual wrong formulas: the factor or term
dropped, the derivative taken of the wrong variable or evaluated at the output, the forward
value used where the derivative belongs, the wrong axis, the wrong function. Formulas that are
the correct one times a constant (a missing 1/m, a sign, dY ignored) are not catalogued: on one
case a constant cannot tell which parameter it follows, so the patterns and the ablation
(`harness.diagnosis.patterns`, `harness.diagnosis.ablation`) explain those. When one
candidate reproduces what the student returned (within the tolerance policy) and the correct
formula does not, the student computed that candidate, and the message says so in the
student's terms: "backward returns dY·σ(Z): the (1 − σ(Z)) factor is missing".

`catalogue()` holds one table per op: each `Formula` is the output it is about, the formula in
math, what is wrong with it, and a function of the case's inputs. Adding a known wrong formula
is one row; tests/test_fingerprints.py checks that every row is recognised.
"""

from __future__ import annotations

import numpy as np

from harness.core.compare import DEFAULT_TOLERANCE, Tolerance, mismatch_mask
from harness.core.formula import Formula, Inputs
from harness.core.registry import wrong_formulas
from harness.diagnosis.causes import Cause

__all__ = ["Formula", "catalogue", "fingerprint", "identify"]

def _sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray, axis: int | None = -1) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _s(x: Inputs) -> np.ndarray:
    return _softmax(x["Z"])


def _m(x: Inputs) -> int:
    return x["Y"].shape[0]


SIGMOID = (
    Formula("forward", "1/(1 + e^Z)", "the exponent's sign is wrong: σ(Z) = 1/(1 + e^(−Z))",
            lambda x: _sig(-x["Z"])),
    Formula("forward", "tanh(Z)", "that is TanH; the sigmoid is 1/(1 + e^(−Z))",
            lambda x: np.tanh(x["Z"])),
    Formula("forward", "1/(1 − e^(−Z))", "the denominator's sign is wrong: 1/(1 + e^(−Z))",
            lambda x: 1.0 / (1.0 - np.exp(-x["Z"]))),
    Formula("dX", "dY·σ(Z)", "the (1 − σ(Z)) factor is missing: dZ = dY·σ(Z)·(1 − σ(Z))",
            lambda x: x["dY"] * _sig(x["Z"])),
    Formula("dX", "dY·(1 − σ(Z))", "the σ(Z) factor is missing: dZ = dY·σ(Z)·(1 − σ(Z))",
            lambda x: x["dY"] * (1 - _sig(x["Z"]))),
    Formula("dX", "dY·Z·(1 − Z)", "the derivative is taken of Z instead of σ(Z): "
            "dZ = dY·σ(Z)·(1 − σ(Z))", lambda x: x["dY"] * x["Z"] * (1 - x["Z"])),
    Formula("dX", "dY·σ(σ(Z))·(1 − σ(σ(Z)))", "the derivative is evaluated at the output "
            "σ(Z) instead of at Z: backward receives Z, so use σ(Z)·(1 − σ(Z)) directly",
            lambda x: x["dY"] * _sig(_sig(x["Z"])) * (1 - _sig(_sig(x["Z"])))),
    Formula("dX", "dY·σ(Z)·(1 + σ(Z))", "the sign inside is wrong: dZ = dY·σ(Z)·(1 − σ(Z))",
            lambda x: x["dY"] * _sig(x["Z"]) * (1 + _sig(x["Z"]))),
    Formula("dX", "dY·σ(Z)²", "σ(Z)·(1 − σ(Z)) became σ(Z)²",
            lambda x: x["dY"] * _sig(x["Z"]) ** 2),
)

TANH = (
    Formula("forward", "σ(Z)", "that is the sigmoid; TanH is (e^Z − e^(−Z))/(e^Z + e^(−Z))",
            lambda x: _sig(x["Z"])),
    Formula("forward", "(e^Z − e^(−Z))/2", "that is sinh(Z): divide by cosh(Z), "
            "(e^Z + e^(−Z))/2", lambda x: np.sinh(x["Z"])),
    Formula("dX", "dY·(1 − tanh(Z))", "tanh(Z) is not squared: dZ = dY·(1 − tanh²(Z))",
            lambda x: x["dY"] * (1 - np.tanh(x["Z"]))),
    Formula("dX", "dY·(1 − Z²)", "the derivative is taken of Z instead of tanh(Z): "
            "dZ = dY·(1 − tanh²(Z))", lambda x: x["dY"] * (1 - x["Z"] ** 2)),
    Formula("dX", "dY·(1 − tanh²(tanh(Z)))", "the derivative is evaluated at the output "
            "tanh(Z) instead of at Z: backward receives Z, so use 1 − tanh²(Z)",
            lambda x: x["dY"] * (1 - np.tanh(np.tanh(x["Z"])) ** 2)),
    Formula("dX", "dY·tanh²(Z)", "the 1 − is missing: dZ = dY·(1 − tanh²(Z))",
            lambda x: x["dY"] * np.tanh(x["Z"]) ** 2),
    Formula("dX", "dY·(1 + tanh²(Z))", "the sign of tanh² is wrong: dZ = dY·(1 − tanh²(Z))",
            lambda x: x["dY"] * (1 + np.tanh(x["Z"]) ** 2)),
)

RELU = (
    Formula("forward", "|Z|", "negative values must become 0: max(Z, 0), not |Z|",
            lambda x: np.abs(x["Z"])),
    Formula("forward", "min(Z, 0)", "min instead of max: ReLU is max(Z, 0)",
            lambda x: np.minimum(x["Z"], 0)),
    Formula("forward", "1[Z > 0]", "that is the derivative (the step); forward is max(Z, 0)",
            lambda x: (x["Z"] > 0).astype(np.float64)),
    Formula("dX", "dY·1[Z < 0]", "the mask is reversed: the gradient passes where Z > 0",
            lambda x: x["dY"] * (x["Z"] < 0)),
    Formula("dX", "dY·max(Z, 0)", "the forward value max(Z, 0) is used where the derivative "
            "1[Z > 0] belongs", lambda x: x["dY"] * np.maximum(x["Z"], 0)),
    Formula("dX", "max(dY, 0)", "the mask is taken of dY instead of Z: dZ = dY·1[Z > 0]",
            lambda x: np.maximum(x["dY"], 0)),
)

LINEAR = (
    Formula("dX", "dY·Z", "the derivative of Z is 1, so dZ = dY", lambda x: x["dY"] * x["Z"]),
    Formula("dX", "Z", "backward returns Z; the derivative of Z is 1, so dZ = dY",
            lambda x: x["Z"]),
)

SOFTMAX = (
    Formula("forward", "softmax over axis 0", "normalised over the batch axis (axis 0) instead "
            "of each row's classes (the last axis)", lambda x: _softmax(x["Z"], axis=0)),
    Formula("forward", "softmax over the whole array", "normalised over every element instead "
            "of each row: sum over axis=-1 with keepdims=True",
            lambda x: _softmax(x["Z"], axis=None)),
    Formula("forward", "σ(Z)", "an element-wise sigmoid; softmax is e^Z / Σ_row e^Z",
            lambda x: _sig(x["Z"])),
    Formula("dX", "dY·s·(1 − s)", "only the diagonal of the Jacobian: softmax is not "
            "element-wise, dZ = s·(dY − Σ_row dY·s)", lambda x: x["dY"] * _s(x) * (1 - _s(x))),
    Formula("dX", "s·dY", "the − s·Σ_row(dY·s) term is missing: dZ = s·(dY − Σ_row dY·s)",
            lambda x: _s(x) * x["dY"]),
    Formula("dX", "dY − Σ_row dY·s", "the leading factor s is missing: "
            "dZ = s·(dY − Σ_row dY·s)",
            lambda x: x["dY"] - np.sum(x["dY"] * _s(x), axis=-1, keepdims=True)),
    Formula("dX", "s·(dY − Σ_all dY·s)", "Σ dY·s is summed over the whole array instead of "
            "each row: sum over axis=-1 with keepdims=True",
            lambda x: _s(x) * (x["dY"] - np.sum(x["dY"] * _s(x)))),
    Formula("dX", "s·(dY − Σ_batch dY·s)", "Σ dY·s is summed over the batch (axis 0) instead "
            "of each row's classes (the last axis)",
            lambda x: _s(x) * (x["dY"] - np.sum(x["dY"] * _s(x), axis=0, keepdims=True))),
)

CROSS_ENTROPY = (
    Formula("forward", "−(1/m)·Σ [Y·log(Ŷ) + (1 − Y)·log(1 − Ŷ)]", "that is the binary "
            "cross-entropy; the multi-class loss is −(1/m)·Σ Y·log(Ŷ)",
            lambda x: -np.sum(x["Y"] * np.log(x["Y_hat"])
                              + (1 - x["Y"]) * np.log(1 - x["Y_hat"])) / _m(x)),
    Formula("forward", "−(1/m)·Σ log(Ŷ)", "the target Y is missing from the sum",
            lambda x: -np.sum(np.log(x["Y_hat"])) / _m(x)),
    Formula("dX", "(Ŷ − Y)/m", "that is the gradient of softmax and cross-entropy combined "
            "(w.r.t. the logits); CrossEntropy.backward returns the gradient w.r.t. Ŷ, "
            "−Y/(m·Ŷ)", lambda x: (x["Y_hat"] - x["Y"]) / _m(x)),
    Formula("dX", "Ŷ − Y", "that is the combined softmax + cross-entropy gradient, without "
            "1/m; CrossEntropy.backward returns −Y/(m·Ŷ)", lambda x: x["Y_hat"] - x["Y"]),
    Formula("dX", "−1/(m·Ŷ)", "the target Y is missing: −Y/(m·Ŷ)",
            lambda x: -1.0 / (_m(x) * x["Y_hat"])),
)

L2 = (
    Formula("forward", "√mean((Y − Ŷ)²)", "a square root: the loss is the mean squared error, "
            "not its root", lambda x: np.sqrt(np.mean((x["Y"] - x["Y_hat"]) ** 2))),
    Formula("forward", "mean(|Y − Ŷ|)", "absolute instead of squared errors",
            lambda x: np.mean(np.abs(x["Y"] - x["Y_hat"]))),
)

OWN: dict[str, tuple[Formula, ...]] = {
    "sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "linear": LINEAR, "softmax": SOFTMAX,
    "cross_entropy": CROSS_ENTROPY, "l2": L2,
}


def catalogue() -> dict[str, tuple[Formula, ...]]:
    """Every op's wrong formulas: these, and those each API's adapter brings for its own ops
    (`Api.formulas`: CS231n's batchnorm, layernorm, dropout and SVM,
    harness/apis/cs231n/formulas.py)."""
    return {**OWN, **wrong_formulas()}


CALL = {"forward": "forward returns", "dX": "backward returns"}


def _call(output: str) -> str:
    return CALL.get(output, f"{output} is")


def _close(got: np.ndarray, want: np.ndarray, tol: Tolerance) -> bool:
    return got.shape == want.shape and bool(np.all(np.isfinite(want))) \
        and not mismatch_mask(got, want, tol).any()


def identify(op: str, output: str, inputs: Inputs, got: np.ndarray, expected: np.ndarray,
             tol: Tolerance = DEFAULT_TOLERANCE) -> Formula | None:
    """The catalogued wrong formula that reproduces `got` (and not `expected`), if any."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.size == 1 and expected.size == 1:
        got, expected = got.reshape(()), expected.reshape(())
    for formula in catalogue().get(op, ()):
        if formula.output != output:
            continue
        with np.errstate(all="ignore"):
            try:
                candidate = np.asarray(formula.fn(inputs), dtype=np.float64)
            except (ValueError, ZeroDivisionError, FloatingPointError):
                continue
        if candidate.size == 1:
            candidate = candidate.reshape(got.shape) if got.size == 1 else candidate
        if _close(got, candidate, tol) and not _close(candidate, expected, tol):
            return formula
    return None


def fingerprint(op: str, output: str, inputs: Inputs, got: np.ndarray, expected: np.ndarray,
                tol: Tolerance = DEFAULT_TOLERANCE) -> list[Cause]:
    """A `wrong_formula` cause naming the formula the student computed, or nothing."""
    formula = identify(op, output, inputs, got, expected, tol)
    if formula is None:
        return []
    return [Cause("wrong_formula", f"{_call(output)} {formula.computes}: {formula.wrong}")]
