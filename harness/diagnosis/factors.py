"""Factor tracking: which parameter does a constant factor follow?

When what the student returned is c times the expected value (c not 0 or ±1), c alone cannot
say where it comes from: 2 is the batch size of one case and the kernel's width of another.
So the case is rerun with one parameter changed at a time (the batch size m, the kernel's
height kh and width kw, and the classes or channels where the case has them) and the factor
is measured again. A factor that changes with a parameter follows it: 2 with kw = 2 and 3
with kw = 3 is the factor kw (exponent 1; 1/kw has exponent −1). One that stays the same
whatever changes is a constant. The message names what the factor follows, never a
parameter that merely has the same value. When a variant shows no constant factor at all,
or one that changes but not as a power of the parameter, the factor is not what the bug is
and nothing is claimed.

`variants` are the reruns (`harness.diagnosis.ablation.scale_trials` runs them, as trials with
factor ``"scale"`` and the factor measured in their ``detail``); `interpret` turns the trials into
a `factor_tracks` cause (the factor follows kw) or a `scale_factor` cause (a constant: it
stays the same when m, kh and kw change). `measure` is the least-squares factor of one
output, when it is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.core.cases import Case, Params, param_int
from harness.core.compare import (
    DEFAULT_TOLERANCE,
    Tolerance,
    distinct_digits,
    mismatch_mask,
)
from harness.core.registry import OpSpec
from harness.diagnosis.causes import Cause


@dataclass(frozen=True)
class Param:
    label: str                                   # how the message names it: "m", "kw"
    value: Callable[[Params], int | None]        # its value in a case (None: not in this family)
    change: Callable[[Params, int], Params]      # the changes that give it another value


def _kernel(p: Params) -> tuple[int, int] | None:
    k = p.get("k")
    return k if isinstance(k, tuple) and len(k) == 2 else None  # type: ignore[return-value]


def _batch(p: Params) -> int | None:
    if isinstance(p.get("n"), int):
        return param_int(p, "n")
    shape = p.get("shape")
    return int(shape[0]) if isinstance(shape, tuple) else None


def _set_batch(p: Params, m: int) -> Params:
    return {"n": m} if "n" in p else {"shape": (m, *p["shape"][1:])}  # type: ignore[index]


def _set_kernel(p: Params, axis: int, value: int) -> Params:
    """The kernel dimension `axis` set to `value`, the image grown with it when needed (so the
    variant keeps at least one window)."""
    k = list(_kernel(p))  # type: ignore[arg-type]
    size = ("h", "w")[axis]
    k[axis] = value
    grow = max(0, value - param_int(p, size))
    return {"k": tuple(k), size: param_int(p, size) + grow}


def _int_of(p: Params, name: str) -> int | None:
    value = p.get(name)
    return value if isinstance(value, int) else None


def _key(name: str) -> Param:
    return Param(name, lambda p: _int_of(p, name), lambda p, v: {name: v})


def _kernel_size(p: Params, axis: int) -> int | None:
    k = _kernel(p)
    return k[axis] if k else None


def _classes(p: Params) -> int | None:
    """The classes, when more of them stay within the contract (L2's real targets are
    (batch_size, 1): more columns are the l2_reduction convention's cases, not a factor's)."""
    if not isinstance(p.get("classes"), int) or (p.get("target") == "real"
                                                  and p["classes"] == 1):
        return None
    return param_int(p, "classes")


# The parameters a factor may follow, in the order the message names them.
PARAMS: tuple[Param, ...] = (
    Param("m", _batch, _set_batch),
    Param("kh", lambda p: _kernel_size(p, 0), lambda p, v: _set_kernel(p, 0, v)),
    Param("kw", lambda p: _kernel_size(p, 1), lambda p, v: _set_kernel(p, 1, v)),
    Param("classes", _classes, lambda p, v: {"classes": v}),
    _key("cin"), _key("cout"), _key("c"), _key("n_in"), _key("n_out"),
)
EXPONENTS = (1, -1, 2, -2)
STAYS = "stays"


def measure(got: np.ndarray | None, expected: np.ndarray | None,
            tol: Tolerance = DEFAULT_TOLERANCE) -> float | None:
    """c when `got` is c times `expected` element for element (within the tolerance policy),
    else None. 1.0 for a match."""
    if got is None or expected is None:
        return None
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.size == expected.size == 1:
        got = got.reshape(expected.shape)
    if got.shape != expected.shape or not (np.isfinite(got).all() and np.isfinite(expected).all()):
        return None
    e, g = expected.ravel(), got.ravel()
    denom = float(e @ e)
    if denom == 0 or np.count_nonzero(e) < 2:
        return None  # one number is always a multiple of another
    c = float(g @ e) / denom
    return c if not mismatch_mask(got, c * expected, tol).any() else None


def is_factor(c: float | None) -> bool:
    """A factor worth tracking: not a match, not all zeros, not a sign flip."""
    return c is not None and c != 0 and not np.isclose(abs(c), 1.0, rtol=1e-6)


def variants(spec: OpSpec, case: Case) -> list[tuple[str, Case]]:
    """(change, variant): each parameter the case has, changed to its value + 1 (a kernel
    dimension with the image grown when it must), the variants the family can build."""
    p, out = case.p, []
    for param in PARAMS:
        value = param.value(p)
        if value is None:
            continue
        variant = case.replace(**param.change(p, value + 1))
        if spec.family.valid(variant.p):
            out.append((f"{param.label}={value + 1}", variant))
    return out


def detail(got: np.ndarray | None, expected: np.ndarray | None,
           tol: Tolerance = DEFAULT_TOLERANCE) -> str:
    """What a variant shows: 'factor 3', or that it is no constant factor."""
    found = measure(got, expected, tol)
    return f"factor {found:.6g}" if found is not None else "not a constant factor"


def _exponent(c: float, c2: float, v: int, v2: int) -> int | str | None:
    """How the factor changed from c (parameter v) to c2 (v2): STAYS, an exponent, or None."""
    if np.isclose(c2, c, rtol=1e-6):
        return STAYS
    ratio = c2 / c
    return next((e for e in EXPONENTS if np.isclose(ratio, (v2 / v) ** e, rtol=1e-6)), None)


def _power(label: str, e: int) -> str:
    return label if abs(e) == 1 else f"{label}²"


def expression(tracked: dict[str, int]) -> str:
    """'kw', '1/m', 'kh·kw', 'm/kw' for the exponents of the parameters a factor follows."""
    up = "·".join(_power(k, e) for k, e in tracked.items() if e > 0)
    down = "·".join(_power(k, e) for k, e in tracked.items() if e < 0)
    if not down:
        return up
    return f"{up or '1'}/{down if '·' not in down else '(' + down + ')'}"


HINTS: dict[frozenset[tuple[str, int]], str] = {
    frozenset({("m", 1)}): "the 1/m of the batch mean is missing",
    frozenset({("m", -1)}): "it is divided by the batch size m where it should not be (the "
                            "loss's 1/m already averages over the batch; a layer's gradients "
                            "are sums over the batch)",
    frozenset({("kw", 1)}): "kw is missing from a division: divided by kh where kh·kw belongs?",
    frozenset({("kh", 1)}): "kh is missing from a division: divided by kw where kh·kw belongs?",
    frozenset({("kh", -1)}): "it is divided by kh where it should not be",
    frozenset({("kw", -1)}): "it is divided by kw where it should not be",
    frozenset({("kh", 1), ("kw", 1)}): "the kernel area kh·kw is multiplied in where it should "
                                       "not be (something added once per kernel tap, or a "
                                       "missing division by kh·kw)",
    frozenset({("kh", -1), ("kw", -1)}): "it is divided by the kernel area kh·kw where it "
                                         "should not be (or twice)",
    frozenset({("classes", 1)}): "something is summed over the classes where one class belongs",
    frozenset({("classes", -1)}): "it is divided by the number of classes where it should not be",
}
WHAT = {"forward": "forward's output", "dX": "dX", "dW": "gradients['W']",
        "db": "gradients['b']"}


def _names(labels: list[str]) -> str:
    """'m changes', 'm and kh change'."""
    if len(labels) == 1:
        return f"{labels[0]} changes"
    return ", ".join(labels[:-1]) + " and " + labels[-1] + " change"


def interpret(case: Case, output: str, got: np.ndarray | None, expected: np.ndarray | None,
              found: list[Any], tol: Tolerance = DEFAULT_TOLERANCE) -> list[Cause]:
    """A `factor_tracks` cause naming what the factor follows, or a `scale_factor` cause for
    a constant, from the "scale" trials `found` of `case` (whose output was `got` instead of
    `expected`); nothing when the trials do not say."""
    c = measure(got, expected, tol)
    found = [t for t in found if t.factor == "scale"]
    if c is None or not is_factor(c) or not found:
        return []
    values = {param.label: param.value(case.p) for param in PARAMS}
    tracked: dict[str, int] = {}
    stays, seen = [], []
    for t in found:
        label, new = t.change.split("=")
        c2 = float(t.detail.split()[1]) if t.detail.startswith("factor ") else None
        if t.outcome == "pass":
            c2 = 1.0
        if t.outcome == "unknown":
            continue  # not run (budget): no evidence either way
        if c2 is None:
            return []  # no constant factor there: the factor is not what the bug is
        how = _exponent(c, c2, int(values[label]), int(new))  # type: ignore[arg-type]
        if how is None:
            return []  # it changes, but not as a power of the parameter
        if how == STAYS:
            stays.append(label)
        else:
            tracked[label] = int(how)
            seen.append(f"{c2:.6g} with {label} = {new}")
    what = WHAT.get(output, output)
    head = f"every element of {what} is {distinct_digits(c, 1.0)[0]} times the expected value"
    if not tracked:
        if "m" not in stays:  # the batch size is the first suspect: without it, say nothing
            return []
        hint = (" (the 2 of the derivative of a square, d/dx x² = 2x?)"
                if np.isclose(abs(c), 2) or np.isclose(abs(c), 0.5) else "")
        return [Cause("scale_factor", f"{head}, and the factor stays {c:.6g} when "
                                      f"{_names(stays)}: a constant factor is missing "
                                      f"or extra{hint}, not a parameter")]
    expr = expression(tracked)
    scale = c / float(np.prod([float(values[k]) ** e for k, e in tracked.items()]))  # type: ignore[arg-type]
    formula = expr if np.isclose(scale, 1.0, rtol=1e-6) else f"{scale:.6g}·{expr}"
    now = ", ".join(f"{k} = {values[k]}" for k in tracked)
    still = f"; it stays the same when {_names(stays)}" if stays else ""
    hint = HINTS.get(frozenset(tracked.items()),
                     f"{expr} enters where it should not (or is missing where it belongs)")
    return [Cause("factor_tracks", f"{head} ({now}), and the factor follows {expr}: it is "
                                   f"{formula} ({'; '.join(seen)}){still}: {hint}")]
