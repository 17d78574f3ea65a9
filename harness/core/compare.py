"""Compare what an implementation returned with the reference, element by element.

Tolerance policy (float64). An element passes when

    |got - expected| <= atol + rtol * |expected|,   rtol = 1e-6,
                                                     atol = 1e-9 * max(1, max |expected|)

A correct float64 implementation differs from PyTorch only by rounding: about 1e-16 relative
per operation, 1e-13 after the longest sums in these cases. The policy leaves seven orders of
magnitude of headroom for reordered sums and still fails any real bug, which changes values in
the first few digits. atol is scaled by the largest expected magnitude so that elements that
cancel to nearly zero are judged against the size of the output, not against themselves.
The policy is one constant (`DEFAULT_TOLERANCE`): it is never loosened for a single op.

Every comparison returns one `Comparison`; its `message` gives counts, the worst element
by named axes (``n=1 row=3 col=0 ch=2``), got and expected there, like PyTorch's
``assert_close`` but with the axes named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict

import numpy as np

TOP_K = 5


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-6
    atol_scale: float = 1e-9

    def atol(self, expected: np.ndarray) -> float:
        peak = float(np.max(np.abs(expected))) if expected.size else 0.0
        return self.atol_scale * max(1.0, peak)

    def describe(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol_scale:g}*max(1, max|expected|)"


DEFAULT_TOLERANCE = Tolerance()


class ElementJSON(TypedDict):
    """`Element.to_json`: the element's index by axis name, and how far it is off."""

    index: dict[str, int]
    got: float
    expected: float
    abs_err: float
    rel_err: float


def _axis_text(axis: str, i: int, size: int) -> str:
    """``name=i``; for an axis of equal blocks named by letters, ``"4h:ifog"`` (an LSTM's four
    gates side by side), also which block and which unit of it: "4h=10 (gate o, unit 2)"."""
    name, _, blocks = axis.partition(":")
    text = f"{name}={i}"
    if blocks and size and size % len(blocks) == 0:
        unit = size // len(blocks)
        text += f" (gate {blocks[i // unit]}, unit {i % unit})"
    return text


@dataclass(frozen=True)
class Element:
    """One element: where it is and how far it is off."""

    index: tuple[int, ...]
    axes: tuple[str, ...]
    got: float
    expected: float
    shape: tuple[int, ...] = ()   # the array's: an axis of stacked blocks names its block

    @property
    def abs_err(self) -> float:
        return abs(self.got - self.expected)

    @property
    def rel_err(self) -> float:
        return self.abs_err / abs(self.expected) if self.expected else float("inf")

    @property
    def where(self) -> str:
        if not self.index:
            return "(scalar)"
        sizes = self.shape or (0,) * len(self.index)
        return " ".join(_axis_text(a, i, size)
                        for a, i, size in zip(self.axes, self.index, sizes, strict=True))

    def to_json(self) -> ElementJSON:
        return {"index": dict(zip(self.axes, self.index, strict=True)), "got": self.got,
                "expected": self.expected, "abs_err": self.abs_err, "rel_err": self.rel_err}

Kind = Literal["match", "values", "shape", "type", "dtype", "nonfinite", "mutated", "missing",
               "created"]   # what a comparison found (`Comparison.kind`)


@dataclass(frozen=True)
class Comparison:
    """The verdict on one output.

    kind: "match", or why it does not: "values", "shape", "type", "nonfinite", "mutated"
    (the values match, but the call modified one of its inputs in place and the profile fails
    that: `harness.check.checker`; the counts and elements stay the returned output's),
    "missing" (nothing comparable was returned), "created" (the values match, but the layer's
    `_init_parameters` created a parameter of the wrong shape: `harness.check.checker`),
    "dtype" (the values match, but not as float64), "type" also when the values match after
    conversion from a list or a scalar.
    """

    kind: Kind
    message: str
    got_shape: tuple[int, ...] | None = None
    expected_shape: tuple[int, ...] | None = None
    mismatched: int = 0
    total: int = 0
    worst: Element | None = None
    top: tuple[Element, ...] = ()
    values_match_after_reshape: bool | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.kind == "match"


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def distinct_digits(got: float, expected: float) -> tuple[str, str]:
    """got and expected with enough significant digits to show where they differ (6 at
    least, two past the first digit that differs, 17 at most): a factor of 1.0000015 is not
    printed as 1."""
    scale = max(abs(got), abs(expected))
    diff = abs(got - expected)
    if not (np.isfinite(diff) and diff and scale):
        return _fmt(got), _fmt(expected)
    digits = int(min(17, max(6, np.ceil(np.log10(scale / diff)) + 2)))
    return f"{got:.{digits}g}", f"{expected:.{digits}g}"


# A constant added to every element (an epsilon "for safety"): far above rounding
# (OFFSET_FLOOR x max(1, max|expected|)) and the same on every element (each within
# OFFSET_SPREAD of it), over at least OFFSET_MIN_SIZE elements. Rounding is neither constant
# nor that large, so a correct implementation never shows one. It fails whether or not the
# tolerance would hide it: a forward that adds 1e-9 passed while the backward fed by it failed
# on a case in fifty; one policy for every output.
OFFSET_FLOOR, OFFSET_SPREAD, OFFSET_MIN_SIZE = 1e-12, 1e-2, 4


def constant_offset(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The constant `got` adds to every element of `expected`, if it adds one."""
    with np.errstate(invalid="ignore"):   # inf - inf: not finite, no offset
        diff = got - expected
    if diff.size < OFFSET_MIN_SIZE or not np.isfinite(diff).all():
        return None
    offset = float(np.median(diff))
    if abs(offset) <= OFFSET_FLOOR * max(1.0, float(np.abs(expected).max())):
        return None
    return offset if float(np.abs(diff - offset).max()) <= OFFSET_SPREAD * abs(offset) else None


def _offset_message(offset: float, total: int) -> str:
    return (f"adds about {offset:.3g} to every element (all {total} are off by that much): a "
            "constant such as an epsilon added to the result; the contract adds none")


def _is_close(got: np.ndarray, expected: np.ndarray, tol: Tolerance) -> np.ndarray:
    with np.errstate(invalid="ignore"):   # inf - inf is NaN: not close, unless equal below
        close = np.abs(got - expected) <= tol.atol(expected) + tol.rtol * np.abs(expected)
    # Matching infinities and matching NaNs count as equal.
    same_special = (got == expected) | (np.isnan(got) & np.isnan(expected))
    return close | same_special


def mismatch_mask(got: np.ndarray, expected: np.ndarray,
                  tol: Tolerance = DEFAULT_TOLERANCE) -> np.ndarray:
    """True where `got` is outside the tolerance of `expected` (arrays of the same shape)."""
    return ~_is_close(np.asarray(got, dtype=np.float64), expected, tol)


def compare_values(got: np.ndarray, expected: np.ndarray, axes: tuple[str, ...],
                   tol: Tolerance = DEFAULT_TOLERANCE) -> Comparison:
    """Element-wise comparison of two arrays of the same shape."""
    got = np.asarray(got, dtype=np.float64)
    close = _is_close(got, expected, tol)
    total = int(close.size)
    mismatched = total - int(close.sum())
    offset = constant_offset(got, expected)
    if mismatched == 0 and offset is None:
        return Comparison("match", "all elements match", got.shape, expected.shape, 0, total)
    if mismatched == 0:   # within the tolerance, but every element off by the same constant
        close = np.zeros_like(close)
        mismatched = total

    with np.errstate(invalid="ignore"):
        err = np.where(close, -1.0, np.abs(got - expected))
    err = np.where(np.isnan(err), np.inf, err)  # NaN where a number was expected: worst
    # largest first; among equal errors, the first index (as np.argmax would say)
    order = np.argsort(-err, axis=None, kind="stable")[: min(TOP_K, mismatched)]
    top = tuple(
        Element(tuple(int(i) for i in np.unravel_index(k, got.shape)), axes,
                float(got.flat[k]), float(expected.flat[k]), got.shape)
        for k in order)
    worst = top[0]
    nonfinite = int((~np.isfinite(got) & np.isfinite(expected)).sum())
    kind: Kind = "nonfinite" if nonfinite else "values"
    head = (f"{nonfinite} element(s) are NaN/Inf where finite values were expected; "
            if nonfinite else "")
    if offset is not None:
        head = f"{_offset_message(offset, total)}; "
    shown_got, shown_expected = distinct_digits(worst.got, worst.expected)
    message = (
        f"{head}mismatched elements: {mismatched} / {total} ({100 * mismatched / total:.1f}%); "
        f"worst at {worst.where}: got {shown_got}, expected {shown_expected} "
        f"(abs err {_fmt(worst.abs_err)}, rel err {_fmt(worst.rel_err)}); "
        f"tolerance {tol.describe()}")
    return Comparison(kind, message, got.shape, expected.shape, mismatched, total, worst, top)


def broadcast_equal(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """Whether two shapes line up element for element when broadcast (they differ only by
    leading or inner axes of size 1, as (n,), (1, n) and (1, 1, 1, n) do; (n, 1) and (1, n)
    do not: broadcast together they make (n, n))."""
    try:
        joint = np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return int(np.prod(joint)) == int(np.prod(a)) == int(np.prod(b))


def _reshape_match(got: np.ndarray, expected: np.ndarray, tol: Tolerance) -> str | None:
    """How `got` matches `expected` despite its shape: 'broadcast', 'reshape' or None.

    'broadcast': the shapes differ only by axes of size 1 (db as (n,), (1, n) or
    (1, 1, 1, n) for a (1, n) bias), so the values line up as `np.allclose` would line them
    up; 'reshape': the same number of elements, matching once reshaped."""
    if broadcast_equal(got.shape, expected.shape):
        if _is_close(got.reshape(expected.shape), expected, tol).all():
            return "broadcast"
    if got.size == expected.size and _is_close(got.reshape(expected.shape), expected, tol).all():
        return "reshape"
    return None


def compare_output(got: np.ndarray, expected: np.ndarray, axes: tuple[str, ...],
                   tol: Tolerance = DEFAULT_TOLERANCE,
                   allow_broadcast_shape: bool = False) -> Comparison:
    """Compare an output of any shape: a wrong shape gets its own finding.

    With `allow_broadcast_shape`, a gradient whose shape differs from the parameter's only
    by size-1 axes (db as (n,) for (1, n)) and whose values match passes with a warning.
    """
    got = np.asarray(got)
    if got.shape == expected.shape:
        return compare_values(got, expected, axes, tol)
    how = _reshape_match(got.astype(np.float64), expected, tol)
    shapes = f"got shape {got.shape}, expected {expected.shape}"
    if how == "broadcast" and allow_broadcast_shape:
        return Comparison("match", f"values match; {shapes}", got.shape, expected.shape,
                          0, expected.size,
                          warnings=(f"{shapes}: values match once broadcast; the contract "
                                    "wants exactly the parameter's shape",))
    if how:
        tail = f"the values match after {how} to {expected.shape}"
    elif got.size == expected.size:
        tail = "the values do not match even after reshaping"
    else:
        tail = f"{got.size} elements instead of {expected.size}"
    return Comparison("shape", f"wrong shape: {shapes}; {tail}", got.shape, expected.shape,
                      values_match_after_reshape=bool(how))


# How an in-place change is worded (`InPlaceChange.message`), by what the verdict makes of it:
# "warn" the returned values are right and the profile passes it, "fail" they are right and the
# profile fails it, "also" the returned values are wrong anyway (the change is then a note).
IN_PLACE_WORDING = {
    "warn": "{call} modifies its input {input} in place ({extent}): the returned values are "
            "right; work on a copy — the strict profile fails this",
    "fail": "{call} modifies its input {input} in place ({detail}): the returned values are "
            "right, but the contract leaves inputs untouched; work on a copy",
    "also": "{call} also modifies its input {input} in place ({extent}); work on a copy",
}


@dataclass(frozen=True)
class InPlaceChange:
    """An input that a call modified in place (`compare_unmodified`). It says what happened to
    the input, never how far the returned output is off."""

    input: str
    before_shape: tuple[int, ...]
    after_shape: tuple[int, ...]
    changed: int = 0                  # elements changed (when the shape stayed)
    total: int = 0
    example: Element | None = None    # one changed element: expected = was, got = now

    @property
    def extent(self) -> str:
        """How much changed, worded alike in every case of one bug (notes gather by text)."""
        if self.before_shape != self.after_shape:
            return "its shape changed"
        return ("all of its elements changed" if self.changed == self.total
                else "some of its elements changed")

    @property
    def detail(self) -> str:
        """How much changed in this case, with one changed element."""
        if self.example is None:
            return f"its shape changed from {self.before_shape} to {self.after_shape}"
        e = self.example
        return (f"{self.changed} of {self.total} elements changed; e.g. at {e.where}: was "
                f"{_fmt(e.expected)}, now {_fmt(e.got)}")

    def message(self, call: str, outcome: str) -> str:
        """The wording for `outcome` (a key of IN_PLACE_WORDING); `call` made the change."""
        return IN_PLACE_WORDING[outcome].format(call=call, input=self.input,
                                                extent=self.extent, detail=self.detail)


def compare_unmodified(name: str, before: np.ndarray, after: np.ndarray,
                       axes: tuple[str, ...]) -> InPlaceChange | None:
    """How the op modified its input `name` in place, or None if it left it as it was."""
    if before.shape != after.shape:
        return InPlaceChange(name, before.shape, after.shape)
    if ((before == after) | (np.isnan(before) & np.isnan(after))).all():
        return None
    changed = compare_values(after, before, axes, Tolerance(0.0, 0.0))
    return InPlaceChange(name, before.shape, after.shape, changed.mismatched, changed.total,
                         changed.worst)
