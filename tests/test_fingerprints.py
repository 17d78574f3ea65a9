"""Formula fingerprints: every catalogued wrong formula is recognised as itself, and a correct
output is never fingerprinted."""

import numpy as np
import pytest

from harness.core.conventions import DEFAULT_PROFILE
from harness.core.registry import get_op
from harness.core.twin import cached_reference
from harness.diagnosis.fingerprints import catalogue, fingerprint, identify

CATALOGUE = catalogue()

CASES = 12
# A formula that shows on some cases only (a CTC skip mistake needs a target with two
# different neighbours) is drawn more cases, until it differs from the right one on
# CASES // 2 of them: each row is still named on that many cases.
MOST_CASES = 4 * CASES


def _cases(op: str, count: int = CASES):
    spec = get_op(op)
    for case in spec.cases(count, seed=3):
        inputs = spec.inputs(case)
        expected = cached_reference(op, case, DEFAULT_PROFILE.preferred)
        if spec.given is not None:  # as diagnosis does: the units a (correct) forward kept
            inputs = {**inputs, **spec.given({"forward": expected["forward"]}, inputs)}
        yield inputs, expected


ENTRIES = [(op, i) for op, table in CATALOGUE.items() for i in range(len(table))]


@pytest.mark.parametrize(("op", "index"), ENTRIES,
                         ids=[f"{op}-{CATALOGUE[op][i].computes}" for op, i in ENTRIES])
def test_every_catalogued_formula_is_recognised_as_itself(op, index):
    """Where two formulas coincide on a case (Ŷ − Y and (Ŷ − Y)/m at m = 1), either name is
    right; on most cases the formula must be named itself."""
    formula = CATALOGUE[op][index]
    recognised = differs = 0
    for inputs, expected in _cases(op, MOST_CASES):
        with np.errstate(all="ignore"):
            got = np.asarray(formula.fn(inputs), dtype=np.float64)
        want = expected[formula.output]
        if not np.all(np.isfinite(got)) or (
                got.shape == np.shape(want) and np.allclose(got, want, rtol=1e-6, atol=1e-9)):
            continue    # e.g. a 1x1 softmax, where the wrong formula happens to be right
        if differs == CASES // 2:
            break
        differs += 1
        found = identify(op, formula.output, inputs, got, want)
        assert found is not None, f"{formula.computes} not recognised"
        with np.errstate(all="ignore"):
            assert np.allclose(np.asarray(found.fn(inputs)).reshape(got.shape), got)
        recognised += found is formula
    assert differs >= CASES // 2, f"{formula.computes} equals the correct formula too often"
    assert recognised >= differs // 2 + 1


@pytest.mark.parametrize("op", sorted(CATALOGUE))
def test_a_correct_output_is_never_fingerprinted(op):
    for inputs, expected in _cases(op):
        for output, want in expected.items():
            assert identify(op, output, inputs, want, want) is None


def test_the_message_says_what_was_computed_and_what_is_missing():
    inputs, expected = next(_cases("sigmoid"))
    sig = 1 / (1 + np.exp(-inputs["Z"]))
    (cause,) = fingerprint("sigmoid", "dX", inputs, inputs["dY"] * sig, expected["dX"])
    assert cause.code == "wrong_formula"
    assert cause.message == ("backward returns dY·σ(Z): the (1 − σ(Z)) factor is missing: "
                             "dZ = dY·σ(Z)·(1 − σ(Z))")


def test_an_unrecognised_wrong_output_gets_no_fingerprint():
    inputs, expected = next(_cases("tanh"))
    assert fingerprint("tanh", "dX", inputs, expected["dX"] + 0.5, expected["dX"]) == []
