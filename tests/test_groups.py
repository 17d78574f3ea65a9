"""Several bugs in one output: the failing cases are grouped into problems, each diagnosed on
its own smallest case, and the report says "2 separate problems".

The implementations are in tests/diagnosis_impls: `conv_dx_two_bugs` (modelled on a real
spring 2023 submission: [p:-p] is empty at pad 0, a wrong shape, and the activation's
derivative is skipped, wrong values) and `conv_dx_stride_and_activation` (two bugs that both
give wrong values, so one signature: the group splits on the change that fixes its first
case, and a case that shows both belongs to both).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.check.checker import Checker
from harness.check.investigate import check_and_investigate
from harness.core.registry import select_ops
from harness.reports.markdown import render_markdown

IMPLS = Path(__file__).parent / "diagnosis_impls"
_REPORTS: dict[str, dict] = {}


def report_of(impl: str, cases: int = 8) -> dict:
    if impl not in _REPORTS:
        with Checker(IMPLS / impl / "neural_networks") as checker:
            _REPORTS[impl] = check_and_investigate(checker, select_ops("conv2d"), cases)
    return _REPORTS[impl]


def dx(report: dict) -> dict:
    return next(i for i in report["results"] if i["output"] == "dX")


def test_a_shape_bug_and_a_values_bug_are_two_problems_each_with_its_own_case() -> None:
    item = dx(report_of("conv_dx_two_bugs"))
    f = item["finding"]
    shape, values = f["groups"]
    assert shape["signature"] == {"status": "fail", "kind": "shape"}
    assert values["signature"] == {"status": "fail", "kind": "values"}
    assert shape["diagnosis"][0]["code"] == "padding"
    assert "passes with pad=1" in shape["diagnosis"][0]["message"]
    assert values["diagnosis"][0]["code"] == "activation_use"
    # each its own smallest case, reproducible on its own
    assert shape["smallest"]["case_id"] != values["smallest"]["case_id"]
    assert shape["smallest"]["kind"] == "shape" and values["smallest"]["kind"] == "values"
    assert values["smallest"]["repro"].startswith("nnparity repro '")
    assert {t["change"]: t["outcome"] for t in values["ablation"]}["act=linear"] == "pass"
    # the finding itself is its first case's group, as before
    assert f["diagnosis"] == shape["diagnosis"] and f["smallest"] == shape["smallest"]
    assert sorted(c for g in f["groups"] for c in g["cases"]) == sorted(item["failed_cases"])
    assert f["case_id"] == shape["case_id"] == shape["cases"][0]


def test_the_report_says_how_many_separate_problems() -> None:
    report = report_of("conv_dx_two_bugs")
    (note,) = [n for n in dx(report)["notes"] if "separate problems" in n]
    assert note.startswith("2 separate problems in conv2d dX")
    assert "1. 4 cases, dX has shape" in note and ": padding" in note
    assert "2. 3 cases, dX is wrong: activation_use" in note
    md = render_markdown(report)
    assert "**2 separate problems** in this output" in md
    assert "1. 4 cases, dX has shape" in md and "2. 3 cases, dX is wrong: `activation_use`" in md
    assert "- note: 2 separate problems" not in md  # listed once, not again as a note


def test_two_value_bugs_split_on_the_change_that_fixes_each() -> None:
    item = dx(report_of("conv_dx_stride_and_activation"))
    groups = item["finding"]["groups"]
    assert [g["diagnosis"][0]["code"] for g in groups] == ["conv_stride_ignored",
                                                           "activation_use"]
    assert {g["signature"]["kind"] for g in groups} == {"values"}
    stride, act = (set(g["cases"]) for g in groups)
    assert stride | act == set(item["failed_cases"])
    both = stride & act  # a nonlinear activation and a stride: both bugs show
    assert both and all("act=linear" not in c and "s=1," not in c for c in both)
    assert any("show more than one" in n for n in item["notes"])


@pytest.mark.parametrize("impl", ["conv_dx_forgets_stride", "conv_dx_unpad_slice",
                                  "conv_skips_activation_derivative"])
def test_one_bug_is_one_problem(impl: str) -> None:
    item = dx(report_of(impl))
    assert item["failed"] > 1 and "groups" not in item["finding"]
    assert not any("separate problems" in n for n in item["notes"])
