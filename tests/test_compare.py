"""The comparison: tolerance policy, localisation by named axes, and each kind of finding."""

import numpy as np
import pytest

from harness.core.compare import (
    DEFAULT_TOLERANCE,
    Tolerance,
    compare_output,
    compare_unmodified,
    compare_values,
    constant_offset,
)

AXES = ("n", "row", "col", "ch")


def test_rounding_differences_pass_and_real_bugs_fail():
    rng = np.random.default_rng(0)
    want = rng.standard_normal((2, 3, 4, 5))
    assert compare_values(want * (1 + 1e-12), want, AXES).ok
    assert not compare_values(want * (1 + 1e-4), want, AXES).ok


def test_atol_scales_with_the_largest_expected_value():
    want = np.array([1e6, 1e-12])
    assert compare_values(np.array([1e6, 1e-4]), want, ("i",)).ok       # 1e-4 ≪ 1e-9·1e6
    assert not compare_values(np.array([1e6, 1e-2]), want, ("i",)).ok
    assert DEFAULT_TOLERANCE.atol(want) == 1e-9 * 1e6


def test_worst_element_is_named_by_axis_with_got_and_expected():
    want = np.zeros((2, 3, 4, 5))
    got = want.copy()
    got[1, 2, 0, 3] = 5.0
    got[0, 0, 1, 1] = -1.0
    r = compare_values(got, want, AXES)
    assert r.kind == "values" and (r.mismatched, r.total) == (2, 120)
    assert r.worst.index == (1, 2, 0, 3) and r.worst.where == "n=1 row=2 col=0 ch=3"
    assert (r.worst.got, r.worst.expected) == (5.0, 0.0)
    assert [e.index for e in r.top] == [(1, 2, 0, 3), (0, 0, 1, 1)]
    assert "2 / 120 (1.7%)" in r.message and "n=1 row=2 col=0 ch=3" in r.message


def test_nan_is_its_own_finding():
    want = np.ones((3, 2))
    got = want.copy()
    got[2, 1] = np.nan
    r = compare_values(got, want, ("n", "j"))
    assert r.kind == "nonfinite" and r.worst.index == (2, 1)


def test_wrong_shape_says_whether_values_match_after_reshape():
    want = np.arange(6.0).reshape(1, 6)
    r = compare_output(want.ravel(), want, ("_", "out"))
    assert r.kind == "shape" and r.values_match_after_reshape
    assert "(6,)" in r.message and "(1, 6)" in r.message
    r = compare_output(np.zeros(4), want, ("_", "out"))
    assert r.kind == "shape" and not r.values_match_after_reshape


def test_broadcast_equal_gradient_shape_passes_only_when_allowed():
    want = np.arange(3.0).reshape(1, 3)
    loose = compare_output(want.ravel(), want, ("_", "out"), allow_broadcast_shape=True)
    assert loose.ok and loose.warnings
    assert not compare_output(want.ravel(), want, ("_", "out")).ok
    # a conv db kept 4-D (keepdims over n, rows, cols) lines up with b (1, n) too ...
    four_d = compare_output(want.reshape(1, 1, 1, 3), want, ("_", "out"),
                            allow_broadcast_shape=True)
    assert four_d.ok and four_d.warnings
    # ... a column does not (b - lr·db would become (3, 3)), nor do wrong values
    column = compare_output(want.reshape(3, 1), want, ("_", "out"), allow_broadcast_shape=True)
    assert not column.ok and column.kind == "shape"
    assert not compare_output(want.ravel() + 1, want, ("_", "out"),
                              allow_broadcast_shape=True).ok


def test_in_place_modification_is_reported_with_the_changed_element():
    before = np.arange(4.0).reshape(2, 2)
    after = before.copy()
    after[1, 0] = -7
    r = compare_unmodified("X", before, after, ("n", "j"))
    assert (r.changed, r.total, r.example.index) == (1, 4, (1, 0))
    assert r.detail == "1 of 4 elements changed; e.g. at n=1 j=0: was 2, now -7"
    assert r.message("ReLU.forward", "fail").startswith(
        "ReLU.forward modifies its input X in place (1 of 4 elements changed;")
    # a note is worded alike in every case of the bug, so an item gathers it once
    assert r.message("ReLU.forward", "warn") == (
        "ReLU.forward modifies its input X in place (some of its elements changed): the "
        "returned values are right; work on a copy — the strict profile fails this")
    assert compare_unmodified("X", before, before.copy(), ("n", "j")) is None
    reshaped = compare_unmodified("X", before, before.reshape(4), ("n", "j"))
    assert reshaped.extent == "its shape changed" and "from (2, 2) to (4,)" in reshaped.detail


def test_a_constant_added_to_every_element_fails_even_within_the_tolerance():
    expected = np.random.default_rng(1).random((3, 5))
    cmp = compare_values(expected + 1e-9, expected, ("n", "class"))
    assert cmp.kind == "values" and cmp.mismatched == cmp.total == 15
    assert cmp.message.startswith("adds about 1e-09 to every element")


@pytest.mark.parametrize("got", [
    lambda e: e * (1 + 1e-15),                                  # rounding
    lambda e: e + 1e-9 * np.random.default_rng(2).random(e.shape),   # not the same everywhere
    lambda e: e + 1e-13,                                        # below the floor: rounding's size
])
def test_rounding_and_uneven_small_errors_are_no_constant_offset(got):
    expected = np.random.default_rng(1).random((3, 5))
    assert constant_offset(got(expected), expected) is None
    assert compare_values(got(expected), expected, ("n", "class")).ok


def test_an_offset_needs_a_few_elements_to_be_told_from_a_formula():
    expected = np.array([0.25, 0.75])
    assert constant_offset(expected + 1e-9, expected) is None


def test_got_and_expected_are_printed_with_the_digits_that_differ():
    cmp = compare_values(np.array([-0.0017480731]), np.array([-0.0017480700]), ("n",),
                         Tolerance(rtol=0.0, atol_scale=1e-12))
    assert "got -0.0017480731, expected -0.00174807 " in cmp.message
