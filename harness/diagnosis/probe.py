"""Rerun variants of a failing case, cached, and tell whether they fail the same way.

Shrinking and ablation both ask "does this variant of the case still fail, and how?". A
`Probe` answers through one `Checker`, runs each case at most once, and stops running new
cases once its budget is spent or its deadline has passed (a variant over budget counts as
"unknown"; a rerun the deadline cuts short too). Every case asked for is logged in order
(`log`), so that an investigation can tell which reruns were its own.
"""

from __future__ import annotations

import time

from harness.core.cases import Case
from harness.core.checking import CaseChecker
from harness.core.registry import get_op
from harness.core.verdict import Verdict
from harness.sandbox.parent import BudgetSpent, within_budget

Signature = tuple[str, str]


def signature(v: Verdict) -> Signature:
    """How a verdict fails: its status and the kind of failure (or the exception type)."""
    if v.comparison is not None:
        return v.status, v.comparison.kind
    return v.status, str((v.error or {}).get("type", ""))


class Probe:
    """Cached reruns of cases through one Checker, at most `budget` new cases, none started
    after `deadline` (a time.monotonic() value) nor waited for past it."""

    def __init__(self, checker: CaseChecker, budget: int = 400,
                 deadline: float | None = None) -> None:
        self.checker = checker
        self.budget = budget
        self.deadline = deadline
        self.out_of_time = False   # the deadline refused or cut short a rerun
        self.runs = 0
        self.log: list[Case] = []  # every case asked for, in order (repeats included)
        self._cache: dict[str, dict[str, Verdict]] = {}

    def verdicts(self, case: Case) -> dict[str, Verdict] | None:
        """Every output's verdict for `case`, or None once the budget is spent.

        A variant that times out ends the budget: each further one could cost as much.
        """
        self.log.append(case)
        if case.id not in self._cache:
            if not self._may_run():
                return None
            self.runs += 1
            try:
                with within_budget(self.deadline):
                    found = self.checker.check(get_op(case.op), case)
            except BudgetSpent:
                self._stop()
                return None
            self._cache[case.id] = found
            if any(v.status == "timeout" for v in found.values()):
                self.budget = self.runs
        return self._cache[case.id]

    def prefetch(self, cases: list[Case]) -> None:
        """Run the cases of `cases` not run yet, in one batch per op (`Checker.check_many`),
        for callers that will ask for every one of them next, in this order: each is then
        run, counted and cut off by the budget (or by a timeout) exactly as `verdicts` would
        when asked one by one; nothing is logged until it is asked for."""
        todo = list({c.id: c for c in cases if c.id not in self._cache}.values())
        while todo and self._may_run():
            op = todo[0].op
            run = [c for c in todo[:self.budget - self.runs]]
            run = run[:next((i for i, c in enumerate(run) if c.op != op), len(run))]
            todo = todo[len(run):]
            verdicts = self.checker.check_many(get_op(op), run)
            try:
                with within_budget(self.deadline):
                    for case, found in zip(run, verdicts, strict=False):
                        self.runs += 1
                        self._cache[case.id] = found
                        if any(v.status == "timeout" for v in found.values()):
                            self.budget = self.runs
                            return
            except BudgetSpent:
                self._stop()
            finally:
                verdicts.close()

    def _may_run(self) -> bool:
        """Whether a new case may run: the budget is not spent and the deadline not past."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._stop()
        return self.runs < self.budget

    def _stop(self) -> None:
        """The deadline has come: no further case runs."""
        self.out_of_time = True
        self.budget = self.runs

    def cached(self, case: Case, output: str) -> Verdict | None:
        """The verdict of a case already run, without running anything."""
        found = self._cache.get(case.id)
        return None if found is None else found.get(output)

    def verdict(self, case: Case, output: str) -> Verdict | None:
        found = self.verdicts(case)
        return None if found is None else found[output]

    def fails_like(self, case: Case, output: str, like: Signature) -> bool:
        v = self.verdict(case, output)
        return v is not None and not v.passed and signature(v) == like
