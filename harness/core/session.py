"""A checking session: every case of the selected ops through one Checker, as records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from harness.core.evaluate import Checker
from harness.core.registry import OpSpec
from harness.core.results import record

DEFAULT_CASES = 50


def run_checks(checker: Checker, specs: list[OpSpec], cases: int = DEFAULT_CASES,
               seed: int = 0, on_case: Callable[[str], None] | None = None,
               skipped: list[dict[str, str]] | None = None) -> Iterator[dict[str, Any]]:
    """Check `cases` cases of each op; yields one record per (case, output). An optional op
    whose function the implementation does not define at all is not checked: it goes to
    `skipped` (when given) with the reason. An op's cases go to the child in batches
    (`Checker.check_many`); the records are those of checking them one by one."""
    for spec in specs:
        cases_of_op = list(spec.cases(cases, seed))
        verdicts_of_op = checker.check_many(spec, cases_of_op)
        try:
            for index, (case, verdicts) in enumerate(zip(cases_of_op, verdicts_of_op,
                                                         strict=True)):
                if index == 0 and skipped is not None and _absent(spec, verdicts):
                    skipped.append({"op": spec.name, "reason": f"{spec.module}.py has no "
                                    f"{spec.cls}, which not every year's assignment asks "
                                    "for"})
                    break
                for verdict in verdicts.values():
                    yield record(verdict, index)
                if on_case:
                    on_case(case.id)
        finally:
            verdicts_of_op.close()   # an op left early: the child's other answers dropped


def _absent(spec: OpSpec, verdicts: dict[str, Any]) -> bool:
    """An optional op whose (forward) function the module does not define (the child says
    which name it did not find)."""
    return spec.optional and all((v.error or {}).get("absent") == spec.cls
                                 for v in verdicts.values())
