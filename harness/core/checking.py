"""What the diagnosis may ask of a checker: the `CaseChecker` protocol.

The checker (`harness.check.checker.Checker`) sits above the diagnosis and the adapters: it
runs cases in the sandbox and judges them. The diagnosis reruns variants of a failing case
through this protocol, so it never imports the layer above it. An API's judge is handed
the part of it a judge may use, `harness.core.api.CheckerView`, which this protocol extends
(harness/core/api.py cannot import this module, which imports it).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Protocol

from harness.core.api import Api, CheckerView
from harness.core.cases import Case
from harness.core.opspec import OpSpec
from harness.core.verdict import Trace, Verdict


class CaseChecker(CheckerView, Protocol):
    """Checks cases of one implementation under one profile, tolerance and edition."""

    api: Api

    @property
    def package_dir(self) -> Path:
        """The folder of the implementation's modules."""
        ...

    def traced(self, spec: OpSpec, case: Case) -> tuple[dict[str, Verdict], Trace]:
        """`check`, with what the implementation's files ran."""
        ...

    def check_many(self, spec: OpSpec, cases: Iterable[Case]
                   ) -> Generator[dict[str, Verdict], None, None]:
        """The verdicts of each case, in order (close it to stop early)."""
        ...
