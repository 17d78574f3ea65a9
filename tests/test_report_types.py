"""The typed JSON report (harness/core/report.py) reads and writes report.json exactly.

The samples in tests/report_fixtures/json/ are reports `nnparity check --json` wrote for the
bundled implementation and for buggy ones under tests/ (ops and cases cut down, to stay small;
each file says which in its ``impl``). To regenerate one after the JSON changed on purpose:

    nnparity check --impl tests/report_fixtures/many_problems --ops sigmoid,relu,... \\
        --cases 3 --json tests/report_fixtures/json/many_problems.json --report /tmp/r

tests/test_report_roundtrip.py checks a report made afresh, so these cannot go stale unnoticed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.core.report import (
    Curve,
    Finding,
    Item,
    Report,
    StoppedOnly,
)

SAMPLES = sorted((Path(__file__).parent / "report_fixtures" / "json").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_the_samples_are_there_and_small() -> None:
    assert len(SAMPLES) >= 5
    assert all(p.stat().st_size < 60_000 for p in SAMPLES), [p.name for p in SAMPLES]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.stem)
def test_a_sample_reads_and_writes_back_exactly(path: Path) -> None:
    d = _load(path)
    report = Report.from_json(d)
    back = report.to_json()
    assert back == d
    assert json.dumps(back, sort_keys=True) == json.dumps(d, sort_keys=True)  # 1 vs 1.0, True vs 1
    assert Report.from_json(back) == report
    assert Report.from_json(copy.deepcopy(back)).to_json() == d


def _every(d: Any) -> list[dict[str, Any]]:
    """Every object in `d`, depth first."""
    found = []
    if isinstance(d, dict):
        found.append(d)
        for v in d.values():
            found += _every(v)
    elif isinstance(d, list):
        for v in d:
            found += _every(v)
    return found


def test_the_samples_cover_the_optional_parts() -> None:
    """What the samples hold between them: every part of the report the pipeline writes on
    the cases they come from (a sample dropped or cut further must not lose them silently)."""
    reports = [_load(p) for p in SAMPLES]
    keys = {k for d in reports for obj in _every(d) for k in obj}
    for key in ("fix_list", "edition", "modules", "skipped", "api", "finding", "depends_on",
                "smallest", "ablation", "groups", "suspect", "caused_by", "localization",
                "maps", "grids", "max_err", "top", "changed", "inputs", "got", "expected",
                "repro", "frames", "relation", "group", "traceback", "absent", "file"):
        assert key in keys, key
    items = [Item.from_json(i) for d in reports for i in d["results"]]
    assert any(isinstance(n, Curve) for i in items for n in i.notes)
    findings = [i.finding for i in items if isinstance(i.finding, Finding)]
    assert {f.status for f in findings} >= {"fail", "error", "not_implemented"}
    assert {f.kind for f in findings} >= {"values", "exception", "not_implemented"}


def _sample() -> dict[str, Any]:
    """The sample with the most kinds of keys."""
    return max((_load(p) for p in SAMPLES), key=lambda d: len({k for o in _every(d) for k in o}))


def _places(d: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where the error message must say it is, object) for an object of each class of the
    report, found in `d`."""
    results = d["results"]
    n, item = next((n, i) for n, i in enumerate(results) if i.get("finding", {}).get("smallest"))
    finding = item["finding"]
    e, failing = next((n, i) for n, i in enumerate(results)
                      if (i.get("finding") or {}).get("error"))
    return [("in report (", d), ("in report.summary (", d["summary"]),
            ("in report.results[0] (", results[0]),
            (f"in report.results[{n}].finding (", finding),
            (f"in report.results[{n}].finding.smallest (", finding["smallest"]),
            (f"in report.results[{n}].finding.ablation[0] (", finding["ablation"][0]),
            (f"in report.results[{n}].finding.diagnosis[0] (", finding["diagnosis"][0]),
            (f"in report.results[{e}].finding.error (", failing["finding"]["error"]),
            ("in report.fix_list[0] (", d["fix_list"][0]),
            ("in report.fix_list[0].root (", d["fix_list"][0]["root"])]


@pytest.mark.parametrize("index", range(10))
def test_an_unknown_key_is_rejected_naming_it(index: int) -> None:
    d = _sample()
    where, obj = _places(d)[index]
    obj["surprise_key"] = 1
    with pytest.raises(ValueError, match="unknown key 'surprise_key'") as info:
        Report.from_json(d)
    assert where in str(info.value)


def test_a_renamed_key_is_named_by_its_new_name() -> None:
    d = _sample()
    d["results"][0]["failed_cases_renamed"] = d["results"][0].pop("failed_cases")
    with pytest.raises(ValueError, match=r"unknown key 'failed_cases_renamed' in "
                                         r"report\.results\[0\]"):
        Report.from_json(d)


@pytest.mark.parametrize("change", [
    lambda d: d["summary"].pop("verdict"),
    lambda d: d["results"][0].update(status="passed"),
    lambda d: d["results"][0].update(cases="3"),
    lambda d: d["results"][0].update(cases=True),
    lambda d: d.update(api=None),                  # an optional key is absent, never null
    lambda d: d["summary"]["by_status"].update(skipped=1),
], ids=["missing", "status", "type", "bool-as-int", "null-optional", "by-status-key"])
def test_a_missing_key_or_a_wrong_value_is_rejected(change: Any) -> None:
    d = _sample()
    change(d)
    with pytest.raises(ValueError, match=r"report\.(summary|results\[0\]|api)"):
        Report.from_json(d)


def test_keys_the_samples_lack_read_and_write_back() -> None:
    """Keys written only rarely (Ctrl-C, the time budget, a renderer's failure, a fix-list
    root the report does not hold, grading's tests), added to a sample."""
    d = _sample()
    d["summary"].update(interrupted=True, investigation_cut_short=True)
    d["notes"] = ["rendering stopped (html report): ValueError: boom at x.py:1"]
    passing = next(i for i in d["results"] if i["status"] == "pass")
    stop = {"what": "rendering", "stage": "summary row", "type": "KeyError", "message": "'x'",
            "file": None, "line": None}
    passing["finding"] = {"stopped": [stop]}
    d["fix_list"][0]["root"].update(checked=False, test="sigmoid forward (2 pts)")
    failing = next(i for i in d["results"] if (i.get("finding") or {}).get("error"))
    failing["finding"]["error"].update(budget=True, where="package", not_run="budget")
    failing["finding"]["stopped"] = [stop | {"what": "investigation", "stage": "shrinking"}]
    failing["finding"]["error"]["hint"] = "the sandbox offers numpy and the standard library"
    small = next(i["finding"]["smallest"] for i in d["results"]
                 if (i.get("finding") or {}).get("smallest"))
    small["stopped"] = [stop | {"what": "investigation", "stage": "diagnosis", "line": 3,
                                "file": "harness/diagnosis/patterns.py"}]
    failing["finding"]["suspect"] = {   # found by coverage (harness.diagnosis.suspects)
        "file": "neural_networks/layers.py", "function": "pad_image", "line": 12,
        "score": 0.75, "method": "Pool2D.forward", "method_score": 0.25,
        "runs": {"failed": 3, "passed": 2}, "caller": "Pool2D.forward"}
    report = Report.from_json(d)
    assert report.to_json() == d
    assert any(isinstance(i.finding, StoppedOnly) for i in report.results)


def test_a_training_curve_note_is_a_curve_written_back_as_the_same_note() -> None:
    from harness.core.results import curve_note

    note = curve_note(SimpleNamespace(id="training/seed=1"), [2.5, 1.25, float("nan")],
                      [2.5, 1.0, 0.5], float("inf"), "from step 2")
    curve = Curve.from_note(note)
    assert curve == Curve("training/seed=1", (2.5, 1.25, None), (2.5, 1.0, 0.5), None,
                          "from step 2")
    assert curve.to_note() == note
    item = {"op": "training", "output": "loss", "status": "fail", "cases": 1, "failed": 1,
            "notes": ["a note", note], "failed_cases": ["training/seed=1"]}
    assert Item.from_json(item).notes == ("a note", curve)
    assert Item.from_json(item).to_json() == item
    bad = note.replace('"separation"', '"separation": "x", "extra"')
    with pytest.raises(ValueError, match="unknown key 'extra'"):
        Item.from_json(item | {"notes": [bad]})
