"""Checks the wrong-formula catalogues of the sequence and attention APIs share: the NumPy
model every wrong formula is a variant of computes the twin's values when nothing is wrong,
each row is recognised as itself where it differs, and a right output is never named."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from harness.core.conventions import DEFAULT_PROFILE
from harness.core.formula import Formula
from harness.core.registry import get_op
from harness.core.twin import cached_reference
from harness.diagnosis.fingerprints import identify

Model = Callable[[dict[str, np.ndarray], Any], Mapping[str, np.ndarray]]


def assert_right_way_is_the_twin(op: str, model: Model, right_way: Any, cases: int) -> None:
    """`model` (a catalogue's NumPy model of `op`) with no flag set equals the twin on
    `cases` cases of `op`."""
    spec = get_op(op)
    for case in spec.cases(cases, seed=1):
        expected = cached_reference(op, case, DEFAULT_PROFILE.preferred)
        mine = model(spec.inputs(case), right_way)
        for output in spec.outputs:
            np.testing.assert_allclose(mine[output], expected[output], rtol=1e-9, atol=1e-12)


Cases = list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]


def catalogue_cases(op: str, count: int, seed: int) -> Cases:
    """`count` cases of `op`: (inputs, the twin's outputs) each."""
    spec = get_op(op)
    return [(spec.inputs(c), cached_reference(op, c, DEFAULT_PROFILE.preferred))
            for c in spec.cases(count, seed=seed)]


def recognitions(op: str, formula: Formula, cases: Cases, rtol: float = 1e-6,
                 atol: float = 1e-9) -> tuple[int, int]:
    """(on how many of `cases` `formula` differs from the twin, on how many of those it is
    named itself). Wherever it differs, a row is named that computes its values there: it,
    or one listed before it that coincides on that case (√E = d when heads = d). Values
    the formula cannot compute (NaN, a target no path reaches) are no case for it."""
    differs = named = 0
    for inputs, expected in cases:
        want = np.asarray(expected[formula.output], dtype=np.float64)
        with np.errstate(all="ignore"):
            got = np.asarray(formula.fn(inputs), dtype=np.float64)
        if not np.isfinite(got).all() or (
                got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=1e-9)):
            continue
        differs += 1
        found = identify(op, formula.output, inputs, got, want)
        assert found is not None, (formula.output, formula.computes)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(np.asarray(found.fn(inputs), dtype=np.float64), got,
                                       rtol=rtol, atol=atol,
                                       err_msg=f"{formula.computes} / {found.computes}")
        named += found is formula
    return differs, named


def assert_right_outputs_are_not_named(op: str, cases: Cases, outputs: Iterable[str]) -> None:
    """A right output (the twin's own) is never fingerprinted."""
    for inputs, expected in cases:
        for output in outputs:
            want = np.asarray(expected[output], dtype=np.float64)
            assert identify(op, output, inputs, want, want) is None, (op, output)
