"""Rerun variants of a failing case, cached, and tell whether they fail the same way.

Shrinking and ablation both ask "does this variant of the case still fail, and how?". A
`Probe` answers through one `Checker`, runs each case at most once, and stops running new
cases once its budget is spent (a variant over budget counts as "unknown"). Every case asked
for is logged in order (`log`), so that an investigation can tell which reruns were its own.
"""

from __future__ import annotations

from harness.core.cases import Case
from harness.core.evaluate import Checker, Verdict
from harness.core.registry import get_op

Signature = tuple[str, str]


def signature(v: Verdict) -> Signature:
    """How a verdict fails: its status and the kind of failure (or the exception type)."""
    if v.comparison is not None:
        return v.status, v.comparison.kind
    return v.status, str((v.error or {}).get("type", ""))


class Probe:
    """Cached reruns of cases through one Checker, at most `budget` new cases."""

    def __init__(self, checker: Checker, budget: int = 400) -> None:
        self.checker = checker
        self.budget = budget
        self.runs = 0
        self.log: list[Case] = []  # every case asked for, in order (repeats included)
        self._cache: dict[str, dict[str, Verdict]] = {}

    def verdicts(self, case: Case) -> dict[str, Verdict] | None:
        """Every output's verdict for `case`, or None once the budget is spent.

        A variant that times out ends the budget: each further one could cost as much.
        """
        self.log.append(case)
        if case.id not in self._cache:
            if self.runs >= self.budget:
                return None
            self.runs += 1
            found = self.checker.check(get_op(case.op), case)
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
        while todo and self.runs < self.budget:
            op = todo[0].op
            run = [c for c in todo[:self.budget - self.runs]]
            run = run[:next((i for i, c in enumerate(run) if c.op != op), len(run))]
            todo = todo[len(run):]
            verdicts = self.checker.check_many(get_op(op), run)
            try:
                for case, found in zip(run, verdicts, strict=False):
                    self.runs += 1
                    self._cache[case.id] = found
                    if any(v.status == "timeout" for v in found.values()):
                        self.budget = self.runs
                        return
            finally:
                verdicts.close()

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
