"""Fuzz: investigating any failure of any buggy implementation never raises.

For every implementation under tests/buggy_impls and tests/diagnosis_impls, a few seeds (the
last under the strict profile, whose L2 cases go beyond the contract) check every op on a few
cases (one edge case and two random ones; a whole model one edge case), build the report and
investigate it in process, the way `nnparity check` and `repro` do (shrinking, ablation,
patterns, maps, blame), then render it; the report it was given is left as it was (the
investigation returns a new one). Nothing may escape, and every failing item must come
out investigated: a smallest case, or a note saying why not (a spent budget). An
investigation step that stopped on an exception is nnparity's bug, so it fails the test too,
with the note that says where.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from harness.apis.known import OPS
from harness.check.checker import Checker
from harness.check.findings import record
from harness.check.investigate import _worth, investigate
from harness.core.cases import for_profile
from harness.core.conventions import get_profile
from harness.core.results import build_report
from harness.reports.html_page import render_html
from harness.reports.markdown import render_markdown
from harness.sandbox.parent import Limits

TESTS = Path(__file__).parent
IMPLS = sorted(p for d in ("buggy_impls", "diagnosis_impls") for p in (TESTS / d).iterdir()
               if (p / "neural_networks").is_dir())
RUNS = (("homework", 11), ("homework", 12), ("strict", 13))  # (profile, seed)
RANDOM_CASES = 2
BUDGET = 300          # reruns per report: enough for every item here, bounded for time
LIMITS = Limits(case_seconds=2.0)  # an infinite loop costs 2 × 2 s, then its op is skipped


WHOLE_MODELS = ("model", "training")  # a case runs a whole network: one edge case each


def _cases(spec, seed: int) -> list:
    """One edge case (a different one per seed) and RANDOM_CASES random ones."""
    edges = len(spec.family.edge_cases(spec.fixed))
    extra = 0 if spec.kind in WHOLE_MODELS else RANDOM_CASES
    stream = list(spec.cases(edges + extra, seed))
    return [stream[seed % edges], *stream[edges:]]


def _report(checker: Checker, profile: str, seed: int) -> dict:
    records = []
    for spec in (for_profile(s, checker.profile) for s in OPS.values()):
        for index, case in enumerate(_cases(spec, seed)):
            records += [record(v, index) for v in checker.check(spec, case).values()]
    report = build_report(records, impl=str(checker.impl), seed=seed, profile=profile,
                          tolerance=checker.tolerance.describe(), cases_per_op=RANDOM_CASES + 1)
    before = copy.deepcopy(report)
    investigated = investigate(report, checker, budget=BUDGET)
    assert report == before, "investigate edited the report it was given"
    return investigated


@pytest.mark.parametrize("impl", IMPLS, ids=[p.name for p in IMPLS])
def test_investigation_never_raises(impl: Path) -> None:
    problems = []
    with Checker(impl / "neural_networks", limits=LIMITS) as checker:  # one child per impl
        for name, seed in RUNS:
            checker.profile = get_profile(name)  # what the verdicts and the probes accept
            report = _report(checker, name, seed)
            render_markdown(report), render_html(report)
            for item in report["results"]:
                f = item.get("finding")
                where = f"{name} seed {seed}: {item['op']} {item['output']}"
                if f is None or not _worth(f):
                    continue
                stopped = [n for n in item["notes"] if " stopped (" in n]
                if stopped:
                    problems.append(f"{where}: {stopped}")
                elif "smallest" not in f and not any(n.startswith("not investigated")
                                                     for n in item["notes"]):
                    problems.append(f"{where}: neither investigated nor a note why not")
    assert not problems, "\n".join(problems)
