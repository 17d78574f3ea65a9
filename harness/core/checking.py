"""What the diagnosis and an API's judge may ask of a checker: the `CaseChecker` protocol.

The checker (`harness.check.checker.Checker`) sits above the diagnosis and the adapters: it
runs cases in the sandbox and judges them. The diagnosis reruns variants of a failing case,
and HW6's model judge reruns a case traced, through this protocol, so neither imports the
layer above it. (An API's judge is handed it as `harness.core.api.CheckerView`, the part
of it a judge may use: harness/core/api.py cannot import this module, which imports it.)
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from pathlib import Path
from typing import Protocol

import numpy as np

from harness.core.api import Api
from harness.core.cases import Case
from harness.core.compare import Tolerance
from harness.core.conventions import Profile
from harness.core.editions import Detected
from harness.core.opspec import OpSpec
from harness.core.verdict import Trace, Verdict


class Child(Protocol):
    """A sandboxed child that runs requests (`harness.sandbox.parent.Sandbox`)."""

    def run(self, request: Mapping[str, object], inputs: dict[str, np.ndarray]) -> object:
        """The child's answer (header, arrays), or an outage (`harness.sandbox.parent.Outage`).
        `request` is sent as JSON (tuples as lists: a case's constructor arguments)."""
        ...


class CaseChecker(Protocol):
    """Checks cases of one implementation under one profile, tolerance and edition."""

    api: Api
    impl: Path
    profile: Profile
    tolerance: Tolerance
    edition: Detected | None
    failing: frozenset[str]   # ops that fail on their own (substituted in other ops' cases)

    @property
    def package_dir(self) -> Path:
        """The folder of the implementation's modules."""
        ...

    def check(self, spec: OpSpec, case: Case) -> dict[str, Verdict]:
        """One verdict per output of `case`."""
        ...

    def traced(self, spec: OpSpec, case: Case) -> tuple[dict[str, Verdict], Trace]:
        """`check`, with what the implementation's files ran."""
        ...

    def check_many(self, spec: OpSpec, cases: Iterable[Case]
                   ) -> Generator[dict[str, Verdict], None, None]:
        """The verdicts of each case, in order (close it to stop early)."""
        ...

    def spec_of(self, spec: OpSpec) -> OpSpec:
        """`spec` as this checker's edition asks it."""
        ...

    def sandbox_for(self, spec: OpSpec, case: Case | None = None) -> Child:
        """The child that runs `spec` on `case`."""
        ...
