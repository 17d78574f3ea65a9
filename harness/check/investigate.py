"""Investigate the failing items of a report: shrink, ablate, blame, re-rank the diagnosis.

`investigate(report, checker)` reruns variants of each failing item's case through the
checker (cached, see `harness.diagnosis.probe`) and adds to its finding the smallest failing case
(with its values when small), the ablation trials and the causes they imply. (An op failing
only through another op that fails on its own was rerun with that op substituted before it
got here, harness/check/substitute.py: what it still fails is its own code's.) A layer rule
(`harness.diagnosis.layer_rules`) is checked on every case the investigation ran, not only on
the one that suggested it.

An item's failing cases may hold several bugs. They are grouped by signature (shape vs
values, the exception's type) and, within a signature, by whether the one-factor change
that fixes the group's first case fixes each member too; each group is investigated on its
own (its own smallest case, ablation and diagnosis). With more than one group the finding
gets ``groups`` and the item a note "2 separate problems in conv2d dX: ...". The finding's
own smallest case, ablation and diagnosis are those of the group of its case.

Items that timed out, crashed, failed to import or are stubs are left as they are:
rerunning them teaches nothing. The JSON keys it adds are documented in
`harness.core.results`.

Investigation never costs the report: each step of each item (rerunning its case, shrinking,
ablation, diagnosis, blame) runs guarded. An exception skips that step only, with a
``stopped`` record and a note on the item ("investigation stopped (shrinking): ValueError:
... at harness/core/cases.py:437"); when shrinking stops, ablation starts from the original case.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import combinations
from typing import Any, TypeVar

import numpy as np

from harness.check.checker import Checker
from harness.check.findings import finding
from harness.check.session import run_checks
from harness.core.cases import Case, for_profile, pad_amount, param_int, param_ints
from harness.core.registry import OpSpec, get_op
from harness.core.results import (
    add_note,
    build_report,
    jsonable,
    repro_command,
    stopped,
    stopped_note,
)
from harness.core.verdict import Verdict
from harness.diagnosis import factors
from harness.diagnosis.ablation import (
    Trial,
    ablate,
    failure_summary,
    interpret,
    one_factor_changes,
    retry,
    scale_trials,
)
from harness.diagnosis.causes import Cause, rank
from harness.diagnosis.diagnose import diagnose
from harness.diagnosis.layer_rules import codes as rule_codes
from harness.diagnosis.layer_rules import explain as explain_rule
from harness.diagnosis.layer_rules import rules as layer_rules
from harness.diagnosis.probe import Probe, Signature, signature
from harness.diagnosis.shrink import shrink
from harness.diagnosis.suspects import locate
from harness.sandbox.parent import BudgetSpent, within_budget

SMALL = 48           # show an array's values when it has at most this many elements
GENERIC = ("value_mismatch", "wrong_shape")  # causes that name no particular bug
FACTOR_CODES = ("factor_tracks", "scale_factor")
GROUP_CASES = 24     # failing cases of an item rerun to group them into problems
MAX_GROUPS = 4       # separate problems investigated per item
OUT_OF_TIME = "not investigated: the time budget ran out"
CUT_SHORT = "investigation cut short: the time budget ran out"


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
    """Runs the steps of one item's investigation and keeps what they found for the item:
    the new keys of its finding, its notes, and a ``stopped`` record for each step that
    raised (skipped, and replaced by its fallback)."""

    finding: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stops: list[dict[str, Any]] = field(default_factory=list)

    def run(self, stage: str, fn: Callable[[], T], fallback: T) -> T:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - nnparity's bug must not cost the report
            self.stop(stopped("investigation", stage, exc))
            return fallback

    def stop(self, record: dict[str, Any]) -> None:
        """A step stopped: its record, and its note in the order things happened."""
        self.stops.append(record)
        self.notes.append(stopped_note(record))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def onto(self, item: dict[str, Any]) -> dict[str, Any]:
        """A new item: `item` with what the steps found (`item` is left as it was)."""
        new = {**item, "notes": list(item.get("notes", []))}
        if self.finding or self.stops:
            finding = item.get("finding") or {}
            records = list(finding.get("stopped", []))
            records += [r for n, r in enumerate(self.stops)
                        if r not in records and r not in self.stops[:n]]
            new["finding"] = {**finding, **self.finding, **({"stopped": records}
                                                            if records else {})}
        for text in self.notes:
            add_note(new, text)
        return new


@dataclass
class _Problem:
    """One problem of an item: the failing cases that fail alike, investigated on the first."""

    members: list[tuple[Case, Verdict]]     # (case, its verdict); the representative first
    small: Case | None = None
    sv: Verdict | None = None
    trials: list[Trial] = field(default_factory=list)
    smallest: dict[str, Any] | None = None
    causes: list[Cause] = field(default_factory=list)
    decided: set[str] = field(default_factory=set)  # codes rechecked here on more cases
    scale: list[Trial] = field(default_factory=list)  # the factor's trials
    factor_case: tuple[Case, Verdict] | None = None    # the case they start from
    ran: list[Case] = field(default_factory=list)      # its cases and its own reruns
    split_off: list[Case] = field(default_factory=list)  # the cases split off it

    @property
    def case(self) -> Case:
        return self.members[0][0]

    @property
    def base(self) -> Verdict:
        return self.members[0][1]

    @property
    def top(self) -> str:
        return self.causes[0].code if self.causes else ""


def _rule_checked(probe: Probe, spec: OpSpec, output: str, like: Signature, cases: list[Case],
                  causes: list[Cause]) -> list[Cause]:
    """`causes` with each layer rule (`harness.diagnosis.layer_rules`) checked on every case this
    problem ran that passes or fails the same way: a rule one case suggested and another
    refutes is dropped, one that fits them all is named (on several cases, a rule that merely
    coincides with another on one case is told apart)."""
    if spec.name not in layer_rules():
        return causes
    seen: dict[str, Case] = {c.id: c for c in cases}
    observations = []
    for case in seen.values():
        v = probe.cached(case, output)
        if v is None or v.got is None or v.expected is None:
            continue
        if v.passed or signature(v) == like:
            observations.append((case, v.got, v.expected))
    checked = explain_rule(spec, output, observations, probe.checker.tolerance)
    return checked + [c for c in causes if c.code not in rule_codes()]


def _explore(probe: Probe, spec: OpSpec, output: str, problem: _Problem, steps: _Steps,
             impl: str) -> None:
    """Shrink and ablate one problem from its representative case (and track a factor)."""
    case, base = problem.case, problem.base
    start = len(probe.log)
    like = signature(base)
    small = steps.run("shrinking", lambda: shrink(
        case, spec.family, lambda c: probe.fails_like(c, output, like)), case)
    sv = steps.run("rerunning the smallest case", lambda: probe.verdict(small, output), None)
    if sv is None or sv.passed:
        small, sv = case, base
    problem.small, problem.sv = small, sv
    tol = probe.checker.tolerance
    problem.trials = steps.run("ablation", lambda: ablate(probe, spec, small, output, sv,
                                                          probe.checker.profile, tol), [])
    # A factor is tracked from the smallest case unless it has too few numbers to show one
    # (a single element is always a multiple of the expected one), else from a member.
    problem.factor_case = next(((c, v) for c, v in [(small, sv), *problem.members]
                                if factors.measure(v.got, v.expected, tol) is not None),
                               (small, sv))
    fcase, fv = problem.factor_case
    problem.scale = steps.run("tracking the factor",
                              lambda: scale_trials(probe, spec, fcase, output, fv, tol), [])
    problem.smallest = steps.run("smallest case",
                                 lambda: smallest_json(small, sv, case, impl), None)
    problem.ran = [c for c, _ in problem.members] + [small] + probe.log[start:]


def _diagnose(probe: Probe, spec: OpSpec, output: str, problem: _Problem,
              steps: _Steps) -> None:
    """The causes of one explored problem: the diagnosis of its case (and of its smallest
    case when that names nothing), the ablation's, the factor's, and the layer rules checked
    on the problem's own cases and reruns."""
    base, small, sv = problem.base, problem.small or problem.case, problem.sv or problem.base
    tol = probe.checker.tolerance
    fcase, fv = problem.factor_case or (small, sv)
    found: list[Cause] = steps.run("interpreting the factor", lambda: factors.interpret(
        fcase, output, fv.got, fv.expected, problem.scale, tol), [])
    if not (base.comparison and base.comparison.kind == "created"):  # a shape, not values
        ablated: list[Cause] = steps.run("interpreting the ablation",
                                         lambda: interpret(small, output, sv, problem.trials),
                                         [])
        found += steps.run("control draws", partial(_evidenced, probe, problem.case, output,
                                                     ablated), ablated)
    causes: list[Cause] = steps.run("diagnosis", lambda: diagnose(base), [])
    if all(c.code in GENERIC for c in causes):  # the smallest case may show a pattern
        causes += steps.run("diagnosis of the smallest case", lambda: diagnose(sv), [])
    if any(c.code in FACTOR_CODES for c in found):  # the factor was tracked: no value guess
        causes = [c for c in causes if c.code not in FACTOR_CODES]
        problem.decided |= set(FACTOR_CODES)
    # the rule's evidence: the cases of this problem and its own reruns (shrinking,
    # ablation), not the cases split off it nor the reruns that split them (another bug)
    gone = {c.id for c in problem.split_off}
    ran = [c for c in problem.ran if c.id not in gone]
    problem.causes = steps.run("checking the layer rules", lambda: _rule_checked(
        probe, spec, output, signature(base), ran, found + causes), found + causes)
    if spec.name in layer_rules():
        problem.decided |= set(rule_codes())
    problem.trials = problem.trials + problem.scale


# Draws of a failing case's own parameters with other seeds that `_evidenced` runs.
CONTROL_DRAWS = 2


def _evidenced(probe: Probe, case: Case, output: str, causes: list[Cause]) -> list[Cause]:
    """The ablation's `causes`, without those of a factor when the failing case's own
    parameters, drawn again with CONTROL_DRAWS other seeds, pass every time: an ablation's
    change draws new data as well, so when new data alone passes, the factor proves nothing
    (a small error that crosses the tolerance in one case in ten passes with any change). A
    convention judges the same output again: it stays."""
    if all(c.code == "convention" for c in causes):
        return causes
    for k in range(1, CONTROL_DRAWS + 1):
        control = probe.verdict(replace(case, seed=case.seed + k), output)
        if control is None or not control.passed:
            return causes
    return [c for c in causes if c.code == "convention"]


def _failing(probe: Probe, item: dict[str, Any], output: str, case: Case, base: Verdict
             ) -> list[tuple[Case, Verdict]]:
    """The item's failing cases with their verdicts (rerun, cached), its finding's first."""
    out = [(case, base)]
    others = [Case.from_id(case_id) for case_id in item.get("failed_cases", [])[:GROUP_CASES]
              if case_id != case.id]
    probe.prefetch(others)
    for other in others:
        v = probe.verdict(other, output)
        if v is not None and not v.passed:
            out.append((other, v))
    return out


def _by_signature(failing: list[tuple[Case, Verdict]]) -> list[_Problem]:
    groups: dict[Signature, list[tuple[Case, Verdict]]] = {}
    for case, v in failing:
        groups.setdefault(signature(v), []).append((case, v))
    return [_Problem(members) for members in groups.values()]


def _split(probe: Probe, spec: OpSpec, output: str, problem: _Problem
           ) -> list[tuple[Case, Verdict]]:
    """The members that the change fixing the representative does not fix: the same change
    (with each member's own values) leaves them failing the same way, or none applies.
    They are another problem with the same signature. Nothing splits when no one-factor
    change fixes the representative."""
    fixes = [t for t in problem.trials if t.outcome == "pass" and t.factor != "scale"]
    if not fixes:
        return []
    profile, tol = probe.checker.profile, probe.checker.tolerance
    apart = []
    for case, v in problem.members[1:]:
        outcomes = [retry(probe, spec, case, output, v, t, profile, tol) for t in fixes]
        if all(o in (None, "same") for o in outcomes):
            apart.append((case, v))
    gone = {case.id for case, _ in apart}
    problem.members = [m for m in problem.members if m[0].id not in gone]
    problem.split_off = [case for case, _ in apart]
    return apart


def _fix(spec: OpSpec, case: Case, problem: _Problem) -> dict[str, object] | None:
    """The one-factor change that fixed `problem`'s representative, made with `case`'s own
    values (None when it has none, or none of that factor applies to `case`)."""
    for t in problem.trials:
        if t.outcome != "pass" or t.factor in ("scale", "convention"):
            continue
        options = [(change, changes) for factor, change, changes
                   in one_factor_changes(spec, case) if factor == t.factor]
        same = next((changes for change, changes in options if change == t.change), None)
        grown = _padding_as_pixels(spec, case) if t.change == "pad=0" else None
        if same or grown or options:
            return same or grown or options[0][1]
    return None


def _padding_as_pixels(spec: OpSpec, case: Case) -> dict[str, object] | None:
    """No padding, the image grown by what the padding added: the same windows, for a case
    where a padding of 0 leaves a kernel larger than the image (None when it changes
    nothing or makes no valid case)."""
    p = case.p
    if not {"pad", "k", "h", "w"} <= set(p):
        return None
    ph, pw = (pad_amount(p["pad"], k) for k in param_ints(p, "k"))
    h, w = param_int(p, "h") + 2 * ph, param_int(p, "w") + 2 * pw
    grown: dict[str, object] = {"pad": 0, "h": h, "w": w}
    return grown if (ph or pw) and spec.family.valid({**p, "pad": 0, "h": h, "w": w}) else None


def _shows(probe: Probe, spec: OpSpec, output: str, case: Case, earlier: list[_Problem]
           ) -> list[_Problem]:
    """The earlier problems a failing case shows together: those whose fixes, one or two
    combined, make it pass (empty when none do)."""
    fixes = [(p, f) for p in earlier if (f := _fix(spec, case, p)) is not None]
    for size in (1, 2):
        for combo in combinations(fixes, size):
            changes = {k: v for _, f in combo for k, v in f.items()}
            variant = case.replace(**changes)
            if len(changes) < sum(len(f) for _, f in combo) or not spec.family.valid(variant.p):
                continue  # two fixes of the same parameter
            v = probe.verdict(variant, output)
            if v is not None and v.passed:
                return [p for p, _ in combo]
    return []


def _attach(probe: Probe, spec: OpSpec, output: str, problem: _Problem,
            problems: list[_Problem]) -> bool:
    """Attach to the earlier problems each member that they explain (one case may show two
    problems); True when no member is left to investigate on its own."""
    if not problems:
        return False
    rest = []
    for member in problem.members:
        shown = _shows(probe, spec, output, member[0], problems)
        for p in shown:
            p.members.append(member)
        if not shown:
            rest.append(member)
    problem.members = rest
    return not rest


def _problems(probe: Probe, spec: OpSpec, item: dict[str, Any], output: str, case: Case,
              base: Verdict, steps: _Steps, impl: str) -> list[_Problem]:
    """The item's failing cases grouped into problems, each investigated on its own: by
    signature (shape vs values, the exception's type), then by whether the one-factor change
    that fixes a group's representative fixes each member too. A case that the fixes of the
    problems found so far make pass (one, or two combined) belongs to them (to both, when it
    takes two); groups whose investigation names the same specific cause are one problem
    showing in two ways."""
    pending = steps.run("grouping the failing cases", lambda: _by_signature(
        _failing(probe, item, output, case, base)), [_Problem([(case, base)])])
    problems: list[_Problem] = []
    while pending and len(problems) < MAX_GROUPS:
        problem = pending.pop(0)
        if steps.run("attaching cases to the problems found", partial(
                _attach, probe, spec, output, problem, problems), False):
            continue
        _explore(probe, spec, output, problem, steps, impl)
        apart: list[tuple[Case, Verdict]] = steps.run(
            "splitting the group", partial(_split, probe, spec, output, problem), [])
        if apart:
            pending.insert(0, _Problem(apart))
        _diagnose(probe, spec, output, problem, steps)
        same = next((p for p in problems if p.top == problem.top
                     and problem.top not in (*GENERIC, "student_exception")), None)
        if same is not None:
            same.members += problem.members
        else:
            problems.append(problem)
    left = sum(len(p.members) for p in pending)
    if left:
        steps.note(f"{left} failing case{'s' if left != 1 else ''} not grouped: at most "
                       f"{MAX_GROUPS} separate problems are investigated")
    return problems


def group_json(problem: _Problem, output: str) -> dict[str, Any]:
    """One entry of a finding's ``groups``: a problem, its cases and its own investigation."""
    status, kind = signature(problem.base)
    sv = problem.sv or problem.base
    return {"case_id": problem.case.id, "signature": {"status": status, "kind": kind},
            "error": problem.base.error, "summary": failure_summary(output, sv),
            "cases": [c.id for c, _ in problem.members],
            "smallest": problem.smallest, "ablation": [t.to_json() for t in problem.trials],
            "diagnosis": [c.to_json() for c in rank(problem.causes)]}


def problems_note(item: dict[str, Any], groups: list[dict[str, Any]]) -> str:
    """'2 separate problems in conv2d dX: 1. 4 cases, dX has shape ...: padding; 2. ...'."""
    counts = Counter(case_id for g in groups for case_id in g["cases"])
    both = sum(1 for n in counts.values() if n > 1)
    parts = []
    for n, g in enumerate(groups, 1):
        count = len(g["cases"])
        top = g["diagnosis"][0]["code"] if g["diagnosis"] else "not diagnosed"
        parts.append(f"{n}. {count} case{'s' if count != 1 else ''}, {g['summary']}: {top}")
    return (f"{len(groups)} separate problems in {item['op']} {item['output']} (its failing "
            "cases fall into groups that fail differently, each investigated on its own "
            "smallest case): " + "; ".join(parts)
            + (f" ({both} case{'s show' if both != 1 else ' shows'} more than one)"
               if both else ""))


def _investigate_item(probe: Probe, item: dict[str, Any], impl: str, steps: _Steps) -> None:
    """Investigate one failing item; what it finds goes to `steps` (the new keys of its
    finding: smallest, ablation, diagnosis, groups; its notes)."""
    f, found = item["finding"], steps.finding
    spec, output = get_op(item["op"]), item["output"]
    case = Case.from_id(f["case_id"])
    base = steps.run("rerunning the case", lambda: probe.verdict(case, output), None)
    if base is None:
        if not f.get("stopped") and not steps.stops:
            steps.note(OUT_OF_TIME if probe.out_of_time else
                       f"not investigated: the budget of {probe.budget} reruns was spent")
        return
    if base.passed:
        steps.note(f"not investigated: {case.id} passed when rerun (does the "
                   "implementation give different results on the same inputs?)")
        return
    problems = _problems(probe, spec, item, output, case, base, steps, impl)
    first = problems[0]
    if first.smallest is not None:
        found["smallest"] = first.smallest
        for record in first.smallest.get("stopped", []):
            steps.stop(record)
    found["ablation"] = [t.to_json() for t in first.trials]
    if first.causes:
        known = [Cause(d["code"], d["message"]) for d in f.get("diagnosis", [])
                 if d["code"] not in first.decided]
        found["diagnosis"] = [c.to_json() for c in rank(first.causes + known)]
    if len(problems) > 1:
        groups = [group_json(p, output) for p in problems]
        groups[0]["diagnosis"] = found.get("diagnosis", f["diagnosis"])
        found["groups"] = groups
        steps.note(problems_note(item, groups))


# ---------------------------------------------------------------- blame
def _prepended(diagnosis: list[dict[str, str]], cause: Cause) -> list[dict[str, str]]:
    causes = [cause] + [Cause(d["code"], d["message"]) for d in diagnosis]
    return [c.to_json() for c in rank(causes)]


def _blame_forward(report: dict[str, Any], item: dict[str, Any]) -> Cause | None:
    """A gradient that fails only on cases where the op's forward fails too: fix forward.

    Not for a loss: its backward(Y, Y_hat) is computed from the inputs, not from anything
    forward cached, so a shared cause (an L2 reduction, say) is not forward's fault."""
    spec = get_op(item["op"])
    if spec.scalar("forward"):
        return None
    if item["output"] in spec.derived or spec.stage_of(item["output"]) == "forward":
        return None  # forward's own call (dropout's draw, bn_param's statistics, next_c)
    forward = next((i for i in report["results"]
                    if i["op"] == item["op"] and i["output"] == "forward"), None)
    if forward is None or forward["status"] == "pass" or item["output"] == "forward":
        return None
    if not set(item["failed_cases"]) <= set(forward["failed_cases"]):
        return None
    return Cause("caused_by_forward",
                 f"{item['op']} forward fails too, on every case where {item['output']} "
                 "fails: backward starts from what forward computed and cached, so fix "
                 "forward first")


def _located(report: dict[str, Any], checker: Checker, deadline: float | None
             ) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with contextlib.suppress(BudgetSpent), within_budget(deadline):
        found = locate(report, checker)
    return found


def investigate(report: dict[str, Any], checker: Checker, budget: int = 2000,
                deadline: float | None = None) -> dict[str, Any]:
    """A new report: `report` with the findings of its failing items investigated (`report`
    itself is left as it was).

    At most `budget` reruns, none started after `deadline` (a time.monotonic() value) nor
    waited for past it: an item the deadline cuts short keeps what was found so far, with a
    note, and the report's summary says ``investigation_cut_short``."""
    probe = Probe(checker, budget, deadline)
    impl = report["impl"]
    failing = [i for i, item in enumerate(report["results"]) if item.get("finding")]
    found = {i: _Steps({"repro": repro_command(report["results"][i]["finding"]["case_id"],
                                               impl)}) for i in failing}
    todo = [i for i in failing if _worth(report["results"][i]["finding"])]
    for i in todo:
        before, steps = probe.out_of_time, found[i]
        steps.run("investigation", partial(_investigate_item, probe, report["results"][i],
                                           impl, steps), None)
        if probe.out_of_time and not before and OUT_OF_TIME not in steps.notes:
            steps.note(CUT_SHORT)
    # (an op failing only through another op that fails on its own was rerun with that op
    # substituted before: harness/check/substitute.py; what still fails is its own)
    for i in todo:
        steps, item = found[i], report["results"][i]
        cause = steps.run("blaming forward", partial(_blame_forward, report, item), None)
        if cause is not None:
            diagnosis = steps.finding.get("diagnosis", item["finding"]["diagnosis"])
            steps.finding["diagnosis"] = _prepended(diagnosis, cause)
    results = [found[i].onto(item) if i in found else item
               for i, item in enumerate(report["results"])]
    summary = {**report["summary"], **({"investigation_cut_short": True}
                                       if probe.out_of_time else {})}
    investigated = {**report, "summary": summary, "results": results}
    if todo and not probe.out_of_time:   # which function to open (diagnosis/suspects.py),
        located = {todo[0]: _Steps()}    # from the findings as investigated
        suspects: dict[tuple[str, str], dict[str, Any]] = located[todo[0]].run(
            "locating the bug", partial(_located, investigated, checker, deadline), {})
        for i in failing:
            key = (results[i]["op"], results[i]["output"])
            if key in suspects:
                located.setdefault(i, _Steps()).finding["suspect"] = suspects[key]
        investigated["results"] = [located[i].onto(item) if i in located else item
                                   for i, item in enumerate(results)]
    return investigated


def check_and_investigate(checker: Checker, specs: list[OpSpec], cases: int, seed: int = 0,
                          on_case: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Check `cases` cases of each op, build the JSON report and investigate its failures.

    The cases are those of the checker's profile: the contract's, plus any it asks for beyond
    the contract (`harness.core.cases.for_profile`). On Ctrl-C the report covers the cases checked
    so far, is not investigated, and says ``summary.interrupted = true``: nothing already
    checked is lost.
    """
    specs = [for_profile(spec, checker.profile) for spec in specs]
    records: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    try:
        records.extend(run_checks(checker, specs, cases, seed, on_case, skipped))
    except KeyboardInterrupt:
        interrupted = True
    else:
        interrupted = False
    report = verdict_report(records, checker, cases=cases, seed=seed)
    report["modules"] = checker.plan().as_json()
    if skipped:
        report["skipped"] = skipped
    if interrupted:
        report["summary"]["interrupted"] = True
        return report
    return investigate(report, checker)


def verdict_report(records: list[dict[str, Any]], checker: Checker, *, cases: int,
                   seed: int, impl: str | None = None, edition: bool = True
                   ) -> dict[str, Any]:
    """The JSON report of `records`, checked by `checker` (or by its like elsewhere), before
    any investigation: the implementation (`impl`, else the checker's), its API and, with
    `edition`, the year's assignment it follows (grading's details leave it out)."""
    report: dict[str, Any] = build_report(
        records, impl=impl or str(checker.impl), seed=seed, profile=checker.profile.describe(),
        tolerance=checker.tolerance.describe(), cases_per_op=cases)
    if edition and checker.edition is not None:
        report["edition"] = checker.edition.to_json()
    report["api"] = checker.api.name
    return report


def investigated(records: list[dict[str, Any]], checker: Checker, cases: int, seed: int
                 ) -> dict[str, Any]:
    """The report of records checked elsewhere (pytest's items), its failures investigated."""
    report = verdict_report(records, checker, cases=cases, seed=seed)
    return report if report["summary"]["verdict"] == "pass" else investigate(report, checker)
