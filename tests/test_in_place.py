"""Inputs modified in place (issue #20, point 4): the profile's `inputs_in_place` setting.

An op whose returned values are right but that modifies an input in place passes with a warning
naming the input under the homework profile and fails under the strict one; wrong returned
values are the verdict either way, with the in-place change as a note. What a verdict localizes
(worst |err|, got, expected) is always about what the op returned.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.check.checker import Checker
from harness.check.findings import record
from harness.core.conventions import IN_PLACE, PROFILES, Profile, get_profile
from harness.core.registry import get_op
from harness.core.results import build_report
from harness.reports.view import headline, summary_row

TESTS = Path(__file__).parent
RELU_BACKWARD_IN_PLACE = TESTS / "submissions" / "mutates_inputs"     # dY *= Z > 0
IN_PLACE_AND_WRONG = TESTS / "buggy_impls" / "relu_backward_in_place_doubles"
WARNING = ("ReLU.backward modifies its input dY in place (some of its elements changed): the "
           "returned values are right; work on a copy — the strict profile fails this")


def _relu_dX(impl: Path, profile: str, cases: int = 6) -> list:
    """The relu dX verdicts of `impl` under `profile`, for the cases whose Z has a negative
    element (those where masking dY changes it)."""
    spec = get_op("relu")
    picked = [c for c in spec.cases(cases) if (spec.inputs(c)["Z"] < 0).any()]
    with Checker(impl, get_profile(profile)) as checker:
        return [checker.check(spec, case)["dX"] for case in picked]


def test_homework_passes_an_in_place_relu_backward_with_a_warning_naming_dY() -> None:
    verdicts = _relu_dX(RELU_BACKWARD_IN_PLACE, "homework")
    assert verdicts and all(v.status == "pass" for v in verdicts)
    assert all(v.notes == [WARNING] for v in verdicts)   # one wording: one note per item
    report = build_report([record(v, i) for i, v in enumerate(verdicts)], impl="x", seed=0,
                          profile=PROFILES["homework"].describe(), tolerance="",
                          cases_per_op=len(verdicts))
    assert report["results"][0]["notes"] == [WARNING]
    assert "1 of them with a note (relu dX)" in headline(report)


def test_strict_fails_it_without_presenting_the_input_change_as_an_output_error() -> None:
    verdicts = _relu_dX(RELU_BACKWARD_IN_PLACE, "strict")
    assert verdicts and all(v.status == "fail" for v in verdicts)
    v = verdicts[0]
    assert v.message.startswith("ReLU.backward modifies its input dY in place (")
    assert "elements changed; e.g. at " in v.message
    assert "the returned values are right" in v.message
    cmp = v.comparison
    assert cmp.kind == "mutated" and cmp.worst is None and cmp.mismatched == 0
    assert cmp.total == v.expected.size          # the counts are the returned output's
    report = build_report([record(v, 0)], impl="x", seed=0, profile="", tolerance="",
                          cases_per_op=1)
    item = report["results"][0]
    assert "abs_err" not in item["finding"]["localization"]
    assert summary_row(item)[5] == ""            # no worst |err|: nothing returned is wrong
    assert item["finding"]["diagnosis"][0]["code"] == "input_mutated"


@pytest.mark.parametrize("profile", ["homework", "strict"])
def test_wrong_returned_values_are_the_verdict_and_the_in_place_change_a_note(profile) -> None:
    for v in _relu_dX(IN_PLACE_AND_WRONG, profile):
        assert v.status == "fail" and v.comparison.kind == "values", v.message
        assert v.message.startswith("mismatched elements: ")
        # the worst element is the returned output's: 2·dY where Z > 0, against dY
        worst = v.comparison.worst
        assert worst.got == pytest.approx(2 * worst.expected) and worst.expected != 0
        assert v.notes == ["ReLU.backward also modifies its input dY in place (some of its "
                           "elements changed); work on a copy"]
        assert v.causes == [] and "input_mutated" not in v.message


def test_the_setting_is_named_validated_and_printed_with_the_profile() -> None:
    assert IN_PLACE["warn"].passes and not IN_PLACE["fail"].passes
    assert PROFILES["homework"].inputs_in_place == "warn"
    assert PROFILES["strict"].inputs_in_place == "fail"
    assert "inputs_in_place=warn" in PROFILES["homework"].describe()
    assert "inputs_in_place=fail" in PROFILES["strict"].describe()
    with pytest.raises(ValueError, match="inputs_in_place must be one of"):
        Profile("odd", ("-inf",), ("exact",), ("symmetric",), ("elements",),
                inputs_in_place="ignore")
