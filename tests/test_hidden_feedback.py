"""Hidden stays hidden (issue #27, point 4). Graded with a rubric that has tests of each kind
Gradescope keeps from students (after_due_date, after_published, hidden): what a student sees
before release (feedback.md, Gradescope's top-level output, the visible tests' outputs, the fix
list, the counts and scores) names and counts no hidden test, case or value; staff.md holds
everything; Gradescope's top-level output is a few kilobytes; one run, one problem count."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.core.cases import for_profile
from harness.grading import gradescope
from harness.grading.batch import grade_batch
from harness.grading.outputs import (
    RELEASE_TEXT,
    TOP_OUTPUT_BYTES,
    student_reason,
    top_output,
)
from harness.grading.rubric import load_rubric
from harness.reports.markdown import failure_sections

FIXTURES = Path(__file__).parent / "report_fixtures"
SUBMISSION = FIXTURES / "many_problems"
RUBRIC = FIXTURES / "hidden_rubric.toml"
HIDDEN_LINE = ("Hidden tests: released after the deadline; released when grades are "
               "published; not released to students.")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("hidden") / "out"
    rubric = load_rubric(RUBRIC)
    grade_batch([str(SUBMISSION)], rubric, out, workers=1, regrade=True, progress=False,
                log=lambda *a: None)
    d = out / "many_problems"
    result = json.loads((d / "result.json").read_text())
    gradescope_json = json.loads((d / "results.json").read_text())
    return {"rubric": rubric, "result": result, "gradescope": gradescope_json,
            "feedback": (d / "feedback.md").read_text(), "staff": (d / "staff.md").read_text()}


def _hidden(graded: dict) -> list[dict]:
    return [t for t in graded["result"]["tests"] if t["visibility"] != "visible"]


def _hidden_case_ids(graded: dict) -> set[str]:
    """Every case of a hidden item (a case ID regenerates its inputs), but those a visible
    item shares."""
    rubric = graded["rubric"]

    def ids(items) -> set[str]:
        return {c.id for item in items
                for c in for_profile(item.spec, rubric.profile).cases(item.cases, item.seed)}

    hidden = ids(i for i in rubric.items if i.visibility != "visible")
    recorded = {t["finding"]["case_id"] for t in _hidden(graded) if t.get("finding")}
    return (hidden | recorded) - ids(i for i in rubric.items if i.visibility == "visible")


def _student_texts(graded: dict) -> dict[str, str]:
    """Everything a student sees before release."""
    gs = graded["gradescope"]
    texts = {"feedback.md": graded["feedback"], "top-level output": gs["output"]}
    texts.update({f"test {t['name']}": t["output"] for t in gs["tests"]
                  if t["visibility"] == "visible"})
    return texts


def test_the_fixture_fails_hidden_tests_of_every_kind(graded) -> None:
    lost = {t["visibility"] for t in _hidden(graded) if t["score"] < t["max_score"]}
    assert lost == {"after_due_date", "after_published", "hidden"}
    assert {t["visibility"] for t in graded["gradescope"]["tests"]} == \
        {"visible", *RELEASE_TEXT}


def test_no_hidden_name_case_or_value_reaches_a_student(graded) -> None:
    hidden = _hidden(graded)
    names = {t["name"] for t in hidden} | {"secret"}
    case_ids = _hidden_case_ids(graded)
    visible_messages = " ".join(str(t.get("message")) for t in graded["result"]["tests"]
                                if t["visibility"] == "visible")
    values = {t["message"] for t in hidden if t.get("finding")} - {""}
    values = {m for m in values if m not in visible_messages}   # a hidden case's own numbers
    assert case_ids and values
    for where, text in _student_texts(graded).items():
        for secret in names | case_ids | values:
            assert secret not in text, (where, secret)


def test_no_count_or_score_includes_hidden_tests(graded) -> None:
    r = graded["result"]
    tests = r["tests"]
    visible = [t for t in tests if t["visibility"] == "visible"]
    failing = [t for t in tests if t["score"] < t["max_score"]]
    failing_visible = [t for t in visible if t["score"] < t["max_score"]]
    total = f"{r['score']:.4g}"
    for where, text in _student_texts(graded).items():
        assert not re.search(rf"\bof {len(tests)}\b|\b{len(tests)} tests\b", text), where
        assert f"{len(failing)} failing" not in text and f"{len(failing)} of" not in text, where
        assert f"/{r['max_score']:g}" not in text and total not in text, where
    expected = (f"{len(failing_visible)} of {len(visible)} visible tests lost points; first: "
                "Sigmoid forward")
    for text in (graded["feedback"], graded["gradescope"]["output"]):
        assert expected in text and HIDDEN_LINE in text
        assert "on the visible tests" in text
    # no top-level total: Gradescope totals the tests and keeps it from students (its spec)
    assert "score" not in graded["gradescope"]
    assert sum(t["score"] for t in graded["gradescope"]["tests"]) == pytest.approx(r["score"])


def test_the_fix_list_a_student_sees_is_the_visible_tests_and_one_count_everywhere(graded):
    visible = {t["name"] for t in graded["result"]["tests"] if t["visibility"] == "visible"}
    counts, listed = set(), set()
    for where, text in _student_texts(graded).items():
        counts |= {int(n) for n in re.findall(r"(\d+) problems? explains?", text)}
        refs = {int(n) for n in re.findall(r"[Pp]roblem (\d+)\b", text)}
        assert all(1 <= n <= 8 for n in refs), (where, refs)
        for line in re.findall(r"^   - (?:explains|test): (.*)$", text, re.MULTILINE):
            listed |= set(line.split(", "))
    assert counts == {8}                       # feedback.md, Gradescope: one number
    entries = re.findall(r"^(\d+)\. `", graded["feedback"], re.MULTILINE)
    assert entries == [str(n) for n in range(1, 9)]
    assert listed and listed <= visible


def test_gradescope_top_level_output_is_the_status_and_the_fix_list(graded) -> None:
    top = graded["gradescope"]["output"]
    assert len(top.encode()) <= TOP_OUTPUT_BYTES
    assert top.startswith("**Status: graded** · score ")
    assert "**Fix list**: 8 problems explain the 11 failing outputs" in top
    assert "#" not in top.replace("# noqa", "")     # no second report, no sections
    tests = {t["name"]: t["output"] for t in graded["gradescope"]["tests"]}
    # the details stay per test: each root cause's test holds nnparity's investigation
    assert "**Smallest failing case:**" in tests["ReLU backward dX"]
    assert "upstream_ignored" in tests["ReLU backward dX"]
    assert "Problem 5 in the fix list." in tests["Conv2D dW"]


def test_feedback_has_no_second_report(graded) -> None:
    feedback = graded["feedback"]
    assert "nnparity report" not in feedback and "## Details" not in feedback
    assert feedback.count("**Fix list**") == 1
    assert "**Smallest failing case:**" in feedback


def test_staff_md_has_everything(graded) -> None:
    staff, r = graded["staff"], graded["result"]
    assert staff.startswith(graded["feedback"].rstrip())   # what the student got, then more
    for t in r["tests"]:
        assert t["name"] in staff
        if t.get("finding") and t["score"] < t["max_score"]:
            assert t["finding"]["case_id"] in staff, t["name"]
    assert f"**Grade: {r['score']:.4g}/{r['max_score']:g}** over every test" in staff
    assert r["reason"] in staff
    assert ("### SoftMax (secret cases) backward dX (after_published)\n\nSame root cause as "
            "**SoftMax backward dX**: problem 3 in the student's fix list.") in staff
    assert "| Pool2D (secret cases) backward dX  | 0/2" in staff


def test_gradescope_stdout_shown_to_students_names_no_hidden_test(graded, tmp_path) -> None:
    """With stdout_visibility = "visible" the autograder prints feedback.md (the staff file
    only when stdout is hidden from students)."""
    root = tmp_path / "autograder"
    shutil.copytree(SUBMISSION, root / "submission")
    rubric = root / "source" / "rubric.toml"
    rubric.parent.mkdir(parents=True)
    rubric.write_text(RUBRIC.read_text().replace(
        'name = "hidden-feedback"', 'name = "hidden-feedback"\nstdout_visibility = "visible"'))
    for p in [tmp_path, *tmp_path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert gradescope.main(["--root", str(root)]) == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["stdout_visibility"] == "visible"
    assert "# Feedback: " in printed.getvalue() and "course staff only" not in printed.getvalue()
    for t in _hidden(graded):
        assert t["name"] not in printed.getvalue()
    assert HIDDEN_LINE in printed.getvalue()


# ---------------------------------------------------------------- units
def _test(name: str, visibility: str = "visible", lost: bool = True, **finding) -> dict:
    return {"name": name, "op": "relu", "output": "dX", "visibility": visibility,
            "score": 0 if lost else 1, "max_score": 1, "status": "fail" if lost else "pass",
            "passed": 0, "cases": 1, "partial_credit": "fraction", "message": "m",
            "finding": finding or None}


def test_a_crash_in_a_hidden_case_is_told_without_its_case() -> None:
    case = "relu/shape=9x9,seed=424242"
    result = {"status": "crashed", "reason": f"relu: crashed in case {case} (Secret relu)",
              "tests": [_test("ReLU dX"), _test("Secret relu", "hidden", case_id=case)]}
    told = student_reason(result)
    assert case not in told and "Secret relu" not in told
    assert told == "relu: crashed in case a hidden test (a hidden test)"


def test_a_long_fix_list_leaves_the_top_level_output_within_its_budget() -> None:
    tests = [_test(f"Op{i} dX", case_id=f"relu/shape={i}x1,seed=1") for i in range(60)]
    result = {"status": "graded", "reason": "60 of 60 tests lost points", "score": 0,
              "max_score": 60, "tests": tests}
    entries = [{"problem": i + 1, "code": "wrong_formula", "message": "x " * 100,
                "open": f"neural_networks/layers.py · Op{i}.backward",
                "items": [{"op": "relu", "output": "dX", "test": f"Op{i} dX"}]}
               for i in range(60)]
    top = top_output(result, entries)
    assert len(top.encode()) <= TOP_OUTPUT_BYTES
    assert "**Fix list**: 60 problems explain the 60 failing outputs" in top
    shown = re.findall(r"^(\d+)\. `", top, re.MULTILINE)
    assert shown and f"{60 - len(shown)} more problems: see the failing tests below." in top


def test_failure_sections_of_a_report_without_failures() -> None:
    assert failure_sections("") == {}
    assert failure_sections("## nnparity report\n\n**All 4 op outputs match**\n") == {}


def test_the_rubrics_install_line_tells_students_how_to_run_their_repro(graded) -> None:
    """A rubric's student_install (the line gradescope/build_student_wheel.sh prints) is
    shown once, above the fix list, when a visible failing test has a repro command; it
    does not change the rubric's fingerprint (it decides no grade)."""
    line = "pip install ./nnparity-0.1.0-py3-none-any.whl"
    result = {**graded["result"], "rubric": {**graded["result"]["rubric"],
                                             "student_install": line}}
    text = top_output(result, [])
    assert text.count(line) == 1 and "`Rerun it`" in text
    assert line not in top_output(graded["result"], [])
    passing = {**result, "tests": [{**t, "finding": None} for t in result["tests"]]}
    assert line not in top_output(passing, [])
    rubric = graded["rubric"]
    assert replace(rubric, student_install=line).fingerprint() == rubric.fingerprint()
