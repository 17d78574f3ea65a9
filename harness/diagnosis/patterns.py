"""Diagnosis by pattern: what the wrong values themselves say about the bug.

`detect` compares what an implementation returned with the expected array and recognises
classic bugs: all zeros, a flipped sign, a constant scale factor (named when one parameter
has its value: batch size, kw, 2, ...; when several do, none is picked, see
`harness.diagnosis.factors`), transposed or permuted axes, an axis reversed, a shift by one, a
constant offset per unit (bias), errors only at the image border, errors repeating with the stride.
Each recognised pattern is a `Cause` (codes in `harness.diagnosis.causes`). Nothing here reruns
anything. An activation's dX that is f'(Z) without the upstream dY is recognised too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from itertools import combinations, permutations

import numpy as np

from harness.core.cases import SPATIAL_AXES, Case, Params, pad_amount, param_int, param_ints
from harness.core.compare import (
    DEFAULT_TOLERANCE,
    Tolerance,
    distinct_digits,
    mismatch_mask,
)
from harness.core.registry import OpSpec
from harness.diagnosis.causes import Cause


class _Ctx:
    """One wrong output with everything a detector needs."""

    def __init__(self, spec: OpSpec, case: Case, output: str, got: np.ndarray,
                 expected: np.ndarray, tol: Tolerance) -> None:
        self.spec, self.case, self.output, self.tol = spec, case, output, tol
        self.got, self.expected = np.asarray(got, dtype=np.float64), expected
        self.axes = spec.axes(output, expected.ndim)

    @cached_property
    def inputs(self) -> dict[str, np.ndarray]:
        return self.spec.inputs(self.case)

    def close(self, got: np.ndarray, expected: np.ndarray | None = None) -> bool:
        want = self.expected if expected is None else expected
        return got.shape == want.shape and not mismatch_mask(got, want, self.tol).any()

    @property
    def what(self) -> str:
        """The output in words (any other output by its name: skip, gamma, dWx ...)."""
        return {"forward": "forward's output", "dX": "dX", "dW": "gradients['W']",
                "db": "gradients['b']"}.get(self.output, self.output)


def _describe_axes(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(names) + ")"


# ---------------------------------------------------------------- detectors
def _all_zeros(x: _Ctx) -> Cause | None:
    if x.got.any() or not x.expected.any():
        return None
    if x.output in ("dW", "db"):
        key = x.output[1]
        return Cause("all_zeros", f"gradients['{key}'] is all zeros: backward never stores the "
                                  f"gradient (assign self.gradients['{key}'] = d{key} in "
                                  "backward; do not leave the initial zeros)")
    return Cause("all_zeros", f"{x.what} is all zeros: the value is never computed, or "
                              "computed into an array that is not returned")


def _sign_flip(x: _Ctx) -> Cause | None:
    if x.close(-x.got):
        return Cause("sign_flip", f"{x.what} has the opposite sign everywhere: a minus sign is "
                                  "missing or extra (e.g. Y - Y_hat instead of Y_hat - Y)")
    return None


def _upstream_ignored(x: _Ctx) -> Cause | None:
    dY = x.inputs.get("dY") if x.spec.kind == "activation" else None
    if dY is None or x.output != "dX" or not x.close(x.got * dY, x.expected):
        return None
    return Cause("upstream_ignored", "dX is the derivative f'(Z) alone: backward must multiply "
                                     "it by the upstream gradient dY (chain rule: dZ = f'(Z)·dY)")


def _kernel(p: Params) -> tuple[int, ...] | None:
    """The case's kernel (kh, kw), or None (in other families "k" may count something else)."""
    k = p.get("k")
    return k if isinstance(k, tuple) else None


def _named_factors(x: _Ctx) -> list[tuple[float, str, str]]:
    """(factor, name, hint) for the factors a bug typically introduces in this case."""
    p = x.case.p
    shape = x.expected.shape
    first_input = next(iter(x.inputs.values()))
    kernel = _kernel(p)
    batch = param_ints(p, "shape")[0] if "shape" in p else None
    sizes = [
        ("the batch size m", param_int(p, "n") if "n" in p else batch,
         "a 1/m average over the batch is missing, added, or applied twice"),
        ("the number of input elements", first_input.size,
         "the mean is over the wrong number of elements"),
        ("the number of classes", param_int(p, "classes") if "classes" in p else None,
         "something is divided by (or summed over) the classes instead of the batch"),
        ("the kernel area kh·kw", int(np.prod(kernel)) if kernel else None,
         "the kernel area enters where it should not (or is missing)"),
        ("the kernel height kh", kernel[0] if kernel else None,
         "kh enters where it should not (or is missing)"),
        ("the kernel width kw", kernel[1] if kernel else None,
         "kw enters where it should not (or is missing)"),
        ("the number of output units", shape[-1] if len(shape) > 1 else None,
         "something is summed or averaged over the output units"),
    ]
    named = []
    for label, value, hint in sizes:
        if value and value > 1:
            named.append((float(value), f"{label} = {value}", hint))
            named.append((1.0 / value, f"1/{value}, one over {label}", hint))
    return named


# A factor that no parameter of the case has (named only then).
CONSTANTS = ((2.0, "2", "a factor 2 is missing or extra (the derivative of a square is 2x)"),
             (0.5, "1/2, one over 2", "a factor 2 is missing or extra (the derivative of a "
                                      "square is 2x)"))


def _scale_factor(x: _Ctx) -> Cause | None:
    e, g = x.expected.ravel(), x.got.ravel()
    denom = float(e @ e)
    if denom == 0:
        return None
    c = float(g @ e) / denom
    if np.isclose(c, 1.0, rtol=1e-6) or np.isclose(c, -1.0, rtol=1e-6) or c == 0:
        return None
    if not x.close(x.got, c * x.expected):
        return None
    names = list(dict.fromkeys((label, hint) for value, label, hint in _named_factors(x)
                               if np.isclose(c, value, rtol=1e-6)))
    names = names or [(label, hint) for value, label, hint in CONSTANTS
                      if np.isclose(c, value, rtol=1e-6)]
    if not names and np.count_nonzero(e) < 2:
        return None  # one number is always a multiple of another
    head = f"every element of {x.what} is {distinct_digits(c, 1.0)[0]} times the expected value"
    if len(names) > 1:  # a coincidence of values names nothing: the ablation tells which
        labels = [label for label, _ in names]
        return Cause("scale_factor", f"{head}; {', '.join(labels[:-1])} and {labels[-1]} all "
                                     "have this value: which one the factor follows shows when "
                                     "each is changed")
    return Cause("scale_factor", head + (f" ({names[0][0]}): {names[0][1]}" if names else ""))


def _permuted(x: _Ctx) -> Cause | None:
    nd = x.expected.ndim
    for perm in list(permutations(range(nd)))[1:]:
        want = x.expected.transpose(perm)
        if want.shape == x.got.shape and x.close(x.got, want):
            order = tuple(x.axes[i] for i in perm)
            how = ("is transposed" if nd == 2 else
                   f"has its axes in the order {_describe_axes(order)} instead of "
                   f"{_describe_axes(x.axes)}")
            return Cause("permuted_axes", f"the values of {x.what} are right but it {how} "
                                          f"(shape {x.got.shape}, expected "
                                          f"{x.expected.shape}): check a .T, transpose or "
                                          "reshape")
    return None


def _flipped(x: _Ctx) -> Cause | None:
    flippable = [i for i, s in enumerate(x.expected.shape) if s > 1]
    for size in range(1, len(flippable) + 1):
        for axes in combinations(flippable, size):
            if x.close(np.flip(x.got, axes)):
                names = " and ".join(x.axes[i] for i in axes)
                spatial = {x.axes[i] for i in axes} in ({"kh", "kw"},
                                                         *(set(p) for p in SPATIAL_AXES))
                hint = (": the kernel is rotated by 180 degrees (a true convolution instead of "
                        "the cross-correlation, or W[::-1, ::-1])" if spatial else
                        ": an index runs backwards")
                return Cause("flipped_axes", f"the values of {x.what} are right but reversed "
                                             f"along {names}{hint}")
    return None


def _shift_by_one(x: _Ctx) -> Cause | None:
    for axis, size in enumerate(x.expected.shape):
        if size < 3 or x.axes[axis] in ("n", "_"):
            continue
        for step in (1, -1):
            got = np.take(x.got, range(max(step, 0), size + min(step, 0)), axis=axis)
            want = np.take(x.expected, range(max(-step, 0), size + min(-step, 0)), axis=axis)
            if x.close(got, want):
                sign = "+" if step > 0 else "-"
                return Cause("shift_by_one",
                             f"the values of {x.what} are right but shifted by one along "
                             f"{x.axes[axis]} (element i holds the expected element i{sign}1)"
                             ": an off-by-one in an index, a slice or the padding")
    return None


def _bias_offset(x: _Ctx) -> Cause | None:
    b = x.inputs.get("b") if x.output == "forward" else None
    if b is None:
        return None
    per_unit = (x.got - x.expected).reshape(-1, x.expected.shape[-1]).mean(axis=0)
    if not x.close(x.got, x.expected + per_unit):
        return None
    b = b.ravel()
    if np.allclose(per_unit, -b, rtol=1e-6, atol=1e-9):
        how = "the bias b is never added"
    elif np.allclose(per_unit, b, rtol=1e-6, atol=1e-9):
        how = "the bias b is added twice"
    elif x.expected.size >= 2 * x.expected.shape[-1]:  # one row is always "constant"
        how = "the bias is wrong (its value, shape or the axis it is added on)"
    else:
        return None
    return Cause("bias_offset", f"{x.what} is off by a constant per output unit: {how}")


def _wrong_rows_cols(x: _Ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    pair = next((p for p in SPATIAL_AXES if set(p) <= set(x.axes)), None)
    if pair is None:
        return None
    mask = mismatch_mask(x.got, x.expected, x.tol)
    r, c = x.axes.index(pair[0]), x.axes.index(pair[1])
    others = tuple(i for i in range(mask.ndim) if i not in (r, c))
    rc = np.asarray(mask.any(axis=others))   # (rows, cols): arrays, as the masks below
    return rc, np.asarray(rc.any(axis=1)), np.asarray(rc.any(axis=0))


def _lines(wrong: np.ndarray) -> str:
    """'all', 'none' or the indices of the wrong rows (or columns)."""
    if wrong.all():
        return "all"
    return ", ".join(map(str, np.flatnonzero(wrong))) or "none"


def _border_only(x: _Ctx) -> Cause | None:
    found = _wrong_rows_cols(x)
    if found is None:
        return None
    rc, rows, cols = found
    p = x.case.p
    kernel = _kernel(p)
    pads = [pad_amount(p["pad"], k) for k in kernel] if kernel and "pad" in p else [0]
    band = max(pads + [1])
    H, W = rc.shape
    interior = rc[band:H - band, band:W - band]
    if interior.size == 0 or interior.any():
        return None
    hint = ("the padding is wrong (its amount, its value, or how it is cut off again)"
            if max(pads) else "an edge row or column is skipped or handled on its own "
                              "(an off-by-one in a loop bound or a slice)")
    return Cause("border_only", f"only elements within {band} of the image border are wrong "
                                f"(rows: {_lines(rows)}; columns: {_lines(cols)}) and the "
                                f"interior is right: {hint}")


def _covered(size: int, kernel: int, stride: int, pad: int) -> np.ndarray:
    """Which input rows (or columns) some window touches."""
    out = (size + 2 * pad - kernel) // stride + 1
    hit = np.zeros(size, bool)
    for o in range(max(out, 0)):
        lo = o * stride - pad
        hit[max(lo, 0):max(lo + kernel, 0)] = True
    return hit


def _residues(lines: np.ndarray, s: int) -> list[int]:
    """Residues mod s of the lines that are mostly wrong."""
    return sorted({int(i) % s for i in np.flatnonzero(lines >= 0.5)})


def _periodic_model(rc: np.ndarray, s: int) -> tuple[list[int], list[int], np.ndarray]:
    """Residues of the mostly wrong rows and columns, and the pixels they predict wrong."""
    rows, cols = _residues(rc.mean(axis=1), s), _residues(rc.mean(axis=0), s)
    r_idx, c_idx = np.arange(rc.shape[0]) % s, np.arange(rc.shape[1]) % s
    return rows, cols, np.isin(r_idx, rows)[:, None] | np.isin(c_idx, cols)[None, :]


def _stride_periodic(x: _Ctx) -> Cause | None:
    """dX wrong exactly on the rows and columns of some residues modulo the stride.

    Not when the errors are simply everywhere some window reaches (stride > kernel leaves
    lines that no window covers, which are trivially right).
    """
    found = _wrong_rows_cols(x)
    p = x.case.p
    kernel = _kernel(p)
    if found is None or (param_int(p, "s") if "s" in p else 1) < 2 or x.output != "dX" \
            or not kernel:
        return None
    rc, s = found[0], param_int(p, "s")
    rows, cols, model = _periodic_model(rc, s)
    if len(rows) == s or len(cols) == s or not rows + cols:
        return None
    hit = [_covered(n, k, s, pad_amount(p.get("pad", 0), k)) for n, k in zip(rc.shape, kernel,
                                                                       strict=True)]
    everywhere = np.array_equal(rc, hit[0][:, None] & hit[1][None, :])
    if (rc & ~model).any() or rc[model].mean() < 0.5 or everywhere:
        return None
    which = " or ".join(f"{name} i with i mod {s} in {{{', '.join(map(str, res))}}}"
                        for name, res in (("rows", rows), ("columns", cols)) if res)
    return Cause("stride_periodic",
                 f"errors in {x.what} repeat with the stride's period {s}: only {which} are "
                 "wrong: windows are mapped back onto the input wrong (window r starts at s·r; "
                 "lines no window covers get 0; overlapping windows add up with +=)")


SAME_SHAPE: tuple[Callable[[_Ctx], Cause | None], ...] = (
    _sign_flip, _upstream_ignored, _scale_factor, _permuted, _flipped, _shift_by_one, _bias_offset,
    _border_only, _stride_periodic)


def detect(spec: OpSpec, case: Case, output: str, got: np.ndarray, expected: np.ndarray,
           tol: Tolerance = DEFAULT_TOLERANCE) -> list[Cause]:
    """Recognised patterns in a wrong output, most specific first (may be empty)."""
    got = np.asarray(got, dtype=np.float64)
    if not np.isfinite(got).all() or not np.isfinite(expected).all():
        return []
    if got.size == expected.size == 1:
        got = got.reshape(expected.shape)  # a scalar, however it is wrapped
    x = _Ctx(spec, case, output, got, expected, tol)
    if got.shape != expected.shape:
        found = _permuted(x) if got.size == expected.size else None
        return [found] if found else []
    if (zeros := _all_zeros(x)) is not None:
        return [zeros]
    return [c for c in (d(x) for d in SAME_SHAPE) if c is not None]
