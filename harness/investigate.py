"""Investigate the failing items of a report: shrink, ablate, blame, re-rank the diagnosis.

`investigate(report, checker)` reruns variants of each failing item's case through the
checker (cached, see `harness.probe`) and adds to its finding the smallest failing case
(with its values when small), the ablation trials, the causes they imply and, for a layer
that fails only with an activation that itself fails, a ``caused_by`` pointer to that
activation. Items that timed out, crashed, failed to import or are stubs are left as they
are: rerunning them teaches nothing. The JSON keys it adds are documented in
`harness.results`.

Investigation never costs the report: each step of each item (rerunning its case, shrinking,
ablation, diagnosis, blame) runs guarded. An exception skips that step only, with a
``stopped`` record and a note on the item ("investigation stopped (shrinking): ValueError:
... at harness/cases.py:437"); when shrinking stops, ablation starts from the original case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from harness.ablation import ablate, interpret
from harness.cases import ACTIVATIONS, Case, for_profile
from harness.causes import Cause, rank
from harness.diagnosis import diagnose
from harness.evaluate import Checker, Verdict
from harness.probe import Probe, signature
from harness.registry import OPS, OpSpec, get_op
from harness.results import (
    add_note,
    add_stopped,
    build_report,
    finding,
    jsonable,
    repro_command,
    stopped,
)
from harness.session import run_checks
from harness.shrink import shrink

SMALL = 48           # show an array's values when it has at most this many elements
BLAME_CASES = 4      # cases of an activation checked when the report does not cover it
GENERIC = ("value_mismatch", "wrong_shape")  # causes that name no particular bug


def _worth(f: dict[str, Any]) -> bool:
    err = f.get("error") or {}
    return (f["status"] in ("fail", "error") and err.get("stage") != "import"
            and err.get("type") not in ("timeout", "crashed"))


def _values(arrays: dict[str, Any]) -> dict[str, Any]:
    return {k: np.asarray(v).tolist() for k, v in arrays.items()
            if v is not None and np.asarray(v).size <= SMALL}


def smallest_json(small: Case, v: Verdict, original: Case, impl: str) -> dict[str, Any]:
    """The ``smallest`` entry of a finding: the shrunk case, how it fails, its values."""
    f = finding(v)
    keep = ("case_id", "params", "status", "kind", "message", "localization", "error", "maps")
    out = {k: f[k] for k in keep}
    if f.get("stopped"):
        out["stopped"] = f["stopped"]
    before = original.p
    out["changed"] = {k: [jsonable(before.get(k)), jsonable(x)]
                      for k, x in small.p.items() if before.get(k) != x}
    out["repro"] = repro_command(small.id, impl)
    out["inputs"] = _values(get_op(small.op).inputs(small))
    out.update(_values({"got": v.got, "expected": v.expected}))
    return out


T = TypeVar("T")


@dataclass
class _Steps:
    """Runs the steps of one item's investigation; a step that raises is skipped, recorded
    on the item (a ``stopped`` record and a note) and replaced by its fallback."""

    item: dict[str, Any]

    def run(self, stage: str, fn: Callable[[], T], fallback: T) -> T:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - nnparity's bug must not cost the report
            add_stopped(self.item, stopped("investigation", stage, exc))
            return fallback


def _investigate_item(probe: Probe, item: dict[str, Any], impl: str) -> None:
    f = item["finding"]
    spec, output = get_op(item["op"]), item["output"]
    steps = _Steps(item)
    case = Case.from_id(f["case_id"])
    base = steps.run("rerunning the case", lambda: probe.verdict(case, output), None)
    if base is None:
        if not f.get("stopped"):
            add_note(item, f"not investigated: the budget of {probe.budget} reruns was spent")
        return
    if base.passed:
        add_note(item, f"not investigated: {case.id} passed when rerun (does the "
                       "implementation give different results on the same inputs?)")
        return
    like = signature(base)
    small = steps.run("shrinking", lambda: shrink(
        case, lambda c: probe.fails_like(c, output, like), spec.family.valid), case)
    sv = steps.run("rerunning the smallest case", lambda: probe.verdict(small, output), None)
    if sv is None or sv.passed:
        small, sv = case, base
    trials = steps.run("ablation", lambda: ablate(probe, spec, small, output, sv,
                                                  probe.checker.profile,
                                                  probe.checker.tolerance), [])
    smallest = steps.run("smallest case", lambda: smallest_json(small, sv, case, impl), None)
    if smallest is not None:
        f["smallest"] = smallest
        for s in smallest.get("stopped", []):
            add_stopped(item, s)
    f["ablation"] = [t.to_json() for t in trials]
    causes = steps.run("diagnosis", lambda: diagnose(base), [])
    if all(c.code in GENERIC for c in causes):  # the smallest case may show a pattern
        causes += steps.run("diagnosis of the smallest case", lambda: diagnose(sv), [])
    causes += steps.run("interpreting the ablation",
                        lambda: interpret(small, output, sv, trials), [])
    if causes:
        known = [Cause(d["code"], d["message"]) for d in f.get("diagnosis", [])]
        f["diagnosis"] = [c.to_json() for c in rank(causes + known)]


# ---------------------------------------------------------------- blame
class _ActivationStatus:
    """Which output of each activation op fails: from the report, else checked directly."""

    def __init__(self, probe: Probe, report: dict[str, Any]) -> None:
        self.probe, self.report = probe, report
        self._known: dict[str, str | None] = {}

    def failing_output(self, act: str) -> str | None:
        if act not in self._known:
            self._known[act] = self._find(act)
        return self._known[act]

    def _find(self, act: str) -> str | None:
        items = [i for i in self.report["results"] if i["op"] == act]
        if items:
            return next((i["output"] for i in items if i["status"] != "pass"), None)
        for case in get_op(act).cases(BLAME_CASES, self.report.get("seed", 0)):
            found = self.probe.verdicts(case) or {}
            failing = [out for out, v in found.items() if not v.passed]
            if failing:
                return failing[0]
        return None


def _prepend(f: dict[str, Any], cause: Cause) -> None:
    causes = [cause] + [Cause(d["code"], d["message"]) for d in f["diagnosis"]]
    f["diagnosis"] = [c.to_json() for c in rank(causes)]


def _blame(probe: Probe, item: dict[str, Any], acts_status: _ActivationStatus) -> None:
    """Point a layer that fails only with failing activations at the activation."""
    f = item["finding"]
    acts = {Case.from_id(cid).p.get("act") for cid in item["failed_cases"]}
    if not acts or None in acts or any(acts_status.failing_output(a) is None for a in acts):
        return
    good = next((a for a in ACTIVATIONS if acts_status.failing_output(a) is None), None)
    small = Case.from_id((f.get("smallest") or f)["case_id"])
    v = probe.verdict(small.replace(act=good), item["output"]) if good else None
    if v is None or not v.passed:
        return
    act = str(small.p["act"])
    bad_output = acts_status.failing_output(act)
    f["caused_by"] = {"op": act, "output": bad_output}
    cause = Cause("caused_by_activation",
                  f"{item['op']} {item['output']} fails only with the activation "
                  f"{', '.join(sorted(map(str, acts)))}, and {act} itself fails ({act} "
                  f"{bad_output}): fix {OPS[act].cls} in activations.py first; with "
                  f"act={good} this case passes")
    _prepend(f, cause)


def _blame_forward(report: dict[str, Any], item: dict[str, Any]) -> None:
    """A gradient that fails only on cases where the op's forward fails too: fix forward.

    Not for a loss: its backward(Y, Y_hat) is computed from the inputs, not from anything
    forward cached, so a shared cause (an L2 reduction, say) is not forward's fault."""
    if get_op(item["op"]).kind == "loss":
        return
    forward = next((i for i in report["results"]
                    if i["op"] == item["op"] and i["output"] == "forward"), None)
    if forward is None or forward["status"] == "pass" or item["output"] == "forward":
        return
    if set(item["failed_cases"]) <= set(forward["failed_cases"]):
        _prepend(item["finding"], Cause(
            "caused_by_forward",
            f"{item['op']} forward fails too, on every case where {item['output']} fails: "
            "backward starts from what forward computed and cached, so fix forward first"))


def investigate(report: dict[str, Any], checker: Checker, budget: int = 2000
                ) -> dict[str, Any]:
    """Enrich the findings of `report`'s failing items in place; returns the report."""
    probe = Probe(checker, budget)
    impl = report["impl"]
    failing = [i for i in report["results"] if i.get("finding")]
    for item in failing:
        item["finding"]["repro"] = repro_command(item["finding"]["case_id"], impl)
    todo = [i for i in failing if _worth(i["finding"])]
    for item in todo:
        _Steps(item).run("investigation", partial(_investigate_item, probe, item, impl), None)
    acts_status = _ActivationStatus(probe, report)
    for item in todo:
        steps = _Steps(item)
        steps.run("blaming forward", partial(_blame_forward, report, item), None)
    # A layer stubbed or raising only with an activation that is itself a stub (Sigmoid left
    # as `return ...` makes FullyConnected "return Ellipsis") is blamed on it too.
    stubbed = [i for i in failing if i not in todo and i["status"] == "not_implemented"
               and (i["finding"].get("error") or {}).get("stage") != "import"]
    for item in todo + stubbed:
        if get_op(item["op"]).kind == "layer":
            _Steps(item).run("blaming the activation",
                             partial(_blame, probe, item, acts_status), None)
    return report


def check_and_investigate(checker: Checker, specs: list[OpSpec], cases: int, seed: int = 0,
                          on_case: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Check `cases` cases of each op, build the JSON report and investigate its failures.

    The cases are those of the checker's profile: the contract's, plus any it asks for beyond
    the contract (`harness.cases.for_profile`). On Ctrl-C the report covers the cases checked
    so far, is not investigated, and says ``summary.interrupted = true``: nothing already
    checked is lost.
    """
    specs = [for_profile(spec, checker.profile) for spec in specs]
    records: list[dict[str, Any]] = []
    try:
        records.extend(run_checks(checker, specs, cases, seed, on_case))
    except KeyboardInterrupt:
        interrupted = True
    else:
        interrupted = False
    report = build_report(records, impl=str(checker.impl), seed=seed,
                          profile=checker.profile.describe(),
                          tolerance=checker.tolerance.describe(), cases_per_op=cases)
    if interrupted:
        report["summary"]["interrupted"] = True
        return report
    return investigate(report, checker)
