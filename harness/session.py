"""A checking session: every case of the selected ops through one Checker, as records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from harness.evaluate import Checker
from harness.registry import OpSpec
from harness.results import record

DEFAULT_CASES = 50


def run_checks(checker: Checker, specs: list[OpSpec], cases: int = DEFAULT_CASES,
               seed: int = 0, on_case: Callable[[str], None] | None = None
               ) -> Iterator[dict[str, Any]]:
    """Check `cases` cases of each op; yields one record per (case, output)."""
    for spec in specs:
        for index, case in enumerate(spec.cases(cases, seed)):
            for verdict in checker.check(spec, case).values():
                yield record(verdict, index)
            if on_case:
                on_case(case.id)
