"""A report made afresh reads and writes back exactly through the typed report
(harness/core/report.py): the samples of tests/test_report_types.py cannot go stale unnoticed.
A key the pipeline adds, renames or drops, or a value of a new type, fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.core.report import Finding, Report
from harness.pipeline import CheckRequest, run_check
from harness.reports.write import write_reports

HERE = Path(__file__).parent


@pytest.mark.parametrize(("impl", "ops"), [
    # wrong gradients of a layer: findings shrunk and ablated, their maps, a fix list
    ("buggy_impls/fc_skips_activation_derivative", "sigmoid,fully_connected"),
    # a stub (not implemented) and exceptions the implementation raised (their errors,
    # tracebacks and the fix list's frames)
    ("report_fixtures/many_problems", "sigmoid,relu,pool2d_max"),
])
def test_a_fresh_report_reads_and_writes_back_exactly(impl: str, ops: str,
                                                      tmp_path: Path) -> None:
    report = run_check(CheckRequest(impl=str(HERE / impl), ops=ops, cases=3))
    written = write_reports(report, tmp_path)["json"]   # with its fix list, as report.json
    d = json.loads(written.read_text())
    typed = Report.from_json(d)
    assert typed.to_json() == d
    assert json.dumps(typed.to_json(), sort_keys=True) == json.dumps(d, sort_keys=True)
    assert Report.from_json(typed.to_json()) == typed
    assert typed.summary.verdict == "fail" and typed.fix_list
    assert any(isinstance(i.finding, Finding) and i.finding.smallest for i in typed.results)
