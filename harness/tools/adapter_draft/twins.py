"""The twins a draft may name, as the registry declares them: their inputs, parameters, case
parameters and outputs, read from their cases (never from a table of ours), and how often a
case restriction holds on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from harness.core import expressions
from harness.core.cases import Case
from harness.core.opspec import OpSpec
from harness.core.registry import find_op

SAMPLED = 400       # the cases a restriction's share is measured on
MIN_SHARE = 0.05    # below this a restriction leaves too few cases (the run draws 20 per kept)


@dataclass(frozen=True)
class Twin:
    name: str
    inputs: frozenset[str]
    params: frozenset[str]          # constructor parameters (stride, pad, eps, mode, ...)
    case_params: frozenset[str]     # the case's own (shape, k, running, ...)
    outputs: tuple[str, ...]
    loss: bool
    defaults: tuple[tuple[str, object], ...]   # a parameter's value in the first case

    @property
    def names(self) -> frozenset[str]:
        """What an argument's expression may read."""
        return self.inputs | self.params

    @property
    def restrictable(self) -> frozenset[str]:
        """What a restriction may read."""
        return self.case_params | self.params

    def first(self, candidates: tuple[str, ...]) -> str | None:
        """The first of `candidates` that is one of the twin's inputs."""
        return next((c for c in candidates if c in self.inputs), None)


@cache
def twin(name: str) -> Twin | None:
    """The twin `name` (an op of the registry), or None if there is no such op."""
    spec = find_op(name)
    if spec is None:
        return None
    cases = list(spec.cases(8))
    return Twin(name, frozenset(n for c in cases for n in spec.inputs(c)),
                frozenset(n for c in cases for n in spec.ctor(c)),
                frozenset(n for c in cases for n in c.p), tuple(spec.outputs),
                spec.scalar("forward"), tuple(spec.ctor(cases[0]).items()) if cases else ())


def names(expression: str) -> frozenset[str]:
    """The names an expression reads (ExpressionError if it is not one an adapter allows)."""
    return expressions.names(expression)


@cache
def _sample(name: str) -> tuple[tuple[Case, dict[str, object]], ...]:
    spec: OpSpec | None = find_op(name)
    if spec is None:
        return ()
    return tuple((case, {**case.p, **spec.ctor(case)}) for case in spec.cases(SAMPLED))


def share(name: str, restrictions: tuple[str, ...]) -> float:
    """The share of the twin's cases that meet every restriction."""
    sample = _sample(name)
    if not restrictions or not sample:
        return 1.0
    kept = sum(all(_holds(r, values) for r in restrictions) for _, values in sample)
    return kept / len(sample)


def _holds(restriction: str, values: dict[str, object]) -> bool:
    try:
        return bool(expressions.evaluate(restriction, values))
    except expressions.ExpressionError:
        return False
