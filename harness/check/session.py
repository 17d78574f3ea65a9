"""A checking session: every case of the selected ops through one Checker, as records.

`verdicts_of` is the one loop that checks an op's cases, for `nnparity check`, repro's
investigation, the pytest plugin and the grader alike: in batches through the checker, none
when the op's module is blocked (missing, or failed to import), and none started once a
deadline has passed (grading's time budget per submission).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

from harness.check.checker import Checker
from harness.check.findings import record
from harness.check.substitute import absent, absent_reason, charge_once
from harness.core.cases import Case
from harness.core.registry import OpSpec
from harness.core.verdict import Status, Verdict, describe_exception, not_run

DEFAULT_CASES = 50

# A module that cannot run: the status its ops' cases get, and the error (why not).
Blocked = tuple[Status, dict[str, Any]]


def verdicts_of(checker: Checker, spec: OpSpec, cases: Sequence[Case], *,
                blocked: Blocked | None = None, deadline: float | None = None,
                budget: str = "") -> Generator[dict[str, Verdict], None, None]:
    """The verdicts of each of `cases`, in order: all not run when `spec`'s module is
    `blocked`; else from the child in batches (`Checker.check_many`, which gives up after
    repeated outages itself), each case checked against `deadline` (a time.monotonic()
    value) before it counts: once it has passed, the cases after are not run, for the time
    `budget` (its words: "300 s") was used up. Close it to stop early."""
    if blocked is not None:
        status, err = blocked
        msg = err["message"] if err["type"] == "missing" else describe_exception(err)
        for case in cases:
            yield not_run(spec, case, status, msg, err, "blocked")
        return
    ran: Generator[dict[str, Verdict], None, None] | None = checker.check_many(spec, cases)
    try:
        for case in cases:
            if ran is not None and deadline is not None and time.monotonic() > deadline:
                ran.close()     # the child's other answers are dropped
                ran = None
            if ran is None:
                msg = f"not run: the submission's time budget ({budget}) was used up"
                yield not_run(spec, case, "timeout", msg,
                              {"stage": "run", "type": "timeout", "message": msg,
                               "budget": True}, "budget")
            else:
                yield next(ran)
    finally:
        if ran is not None:
            ran.close()


def run_checks(checker: Checker, specs: list[OpSpec], cases: int = DEFAULT_CASES,
               seed: int = 0, on_case: Callable[[str], None] | None = None,
               skipped: list[dict[str, str]] | None = None) -> Iterator[dict[str, Any]]:
    """Check `cases` cases of each op; yields one record per (case, output), op by op.

    Not checked, and listed in `skipped` (when given) with the reason: an op the
    implementation's edition does not ask for, and an optional op whose function the
    implementation does not define at all. An op's cases go to the child in batches
    (`Checker.check_many`). A failing case that uses another op failing on its own is
    rerun with that op substituted (harness/check/substitute.py), so the records of an op
    come once every op before it is done."""
    verdicts: dict[tuple[str, str], dict[str, Verdict]] = {}
    index: dict[tuple[str, str], int] = {}
    checked: list[OpSpec] = []
    try:
        _check_ops(checker, specs, cases, seed, on_case, skipped, verdicts, index, checked)
    except KeyboardInterrupt:   # what was checked is kept (not rerun: Ctrl-C means stop)
        yield from _records(verdicts, index)
        raise
    charge_once(checker, checked, verdicts, seed)
    unwritten = checker.edition.unwritten_ops(verdicts) if checker.edition else {}
    for op, reason in unwritten.items():   # optional that year, and left as the stub
        for key in [k for k in verdicts if k[0] == op]:
            del verdicts[key]
        if skipped is not None:
            skipped.append({"op": op, "reason": reason, "why": "optional"})
    yield from _records(verdicts, index)


def _records(verdicts: dict[tuple[str, str], dict[str, Verdict]],
             index: dict[tuple[str, str], int]) -> Iterator[dict[str, Any]]:
    for key, found in verdicts.items():
        for verdict in found.values():
            yield record(verdict, index[key])


def _check_ops(checker: Checker, specs: list[OpSpec], cases: int, seed: int,
               on_case: Callable[[str], None] | None, skipped: list[dict[str, str]] | None,
               verdicts: dict[tuple[str, str], dict[str, Verdict]],
               index: dict[tuple[str, str], int], checked: list[OpSpec]) -> None:
    starter = checker.api.loader.starter_package(checker.starter)   # the course's own code
    for spec in specs:
        excluded = checker.edition.excluded(spec, checker.package_dir, starter) \
            if checker.edition else None
        if excluded is not None:   # not that year's, or the course's own code
            if skipped is not None:
                skipped.append({"op": spec.name, "reason": excluded[1], "why": excluded[0]})
            continue
        spec = checker.spec_of(spec)
        cases_of_op = list(spec.cases(cases, seed))
        verdicts_of_op = verdicts_of(checker, spec, cases_of_op)
        try:
            for i, (case, found) in enumerate(zip(cases_of_op, verdicts_of_op, strict=True)):
                if i == 0 and skipped is not None and absent(checker, spec, found):
                    skipped.append({"op": spec.name, "reason": absent_reason(checker, spec),
                                    "why": "absent"})
                    break
                verdicts[(spec.name, case.id)] = found
                index[(spec.name, case.id)] = i
                if on_case:
                    on_case(case.id)
            else:
                checked.append(spec)
        finally:
            verdicts_of_op.close()   # an op left early: the child's other answers dropped
