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
    `skipped` (when given) with the reason."""
    for spec in specs:
        for index, case in enumerate(spec.cases(cases, seed)):
            verdicts = checker.check(spec, case)
            if index == 0 and skipped is not None and _absent(spec, verdicts):
                skipped.append({"op": spec.name, "reason": f"{spec.module}.py has no "
                                f"{spec.cls}, which not every year's assignment asks for"})
                break
            for verdict in verdicts.values():
                yield record(verdict, index)
            if on_case:
                on_case(case.id)


def _absent(spec: OpSpec, verdicts: dict[str, Any]) -> bool:
    """An optional op whose (forward) function the module does not define (the child says
    which name it did not find)."""
    return spec.optional and all((v.error or {}).get("absent") == spec.cls
                                 for v in verdicts.values())
