"""Layer rules: which wrong rule did the student's pooling or convolution follow?

The layer counterpart of `harness.diagnosis.fingerprints`. A layer's output is determined by the
case's inputs, so a wrong output can be recomputed under each of the usual wrong rules, in plain
NumPy here in the parent, and the rule that reproduces what the student returned names the
bug in the student's terms. Each API's adapter brings the rules of its layers
(`harness.core.api.Api.layer_rules`: HW6's in harness/apis/hw6/layer_rules.py, CS231n's
bridged to them in harness/apis/cs231n/layouts.py); `rules()` holds them all, by op.

Each `Rule` (harness/core/formula.py) is a stable key (the same idea on every case, so that
several cases can be checked against one rule), the output it is about, the code, and two
functions of the case: the candidate array and the message. A rule *fits* a set of
observations (case, what the student returned, what was expected) when it reproduces every
one within the tolerance policy (`harness.core.compare.mismatch_mask`, `DEFAULT_TOLERANCE`) and
differs from the expected value on at least one: a rule that coincides with the right
answer on every case proves nothing. Only failures are explained: nothing here judges.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from harness.core.cases import Case
from harness.core.compare import DEFAULT_TOLERANCE, Tolerance, mismatch_mask
from harness.core.formula import Inputs, Rule
from harness.core.registry import OpSpec, wrong_rules
from harness.diagnosis.causes import Cause

Observation = tuple[Case, np.ndarray, np.ndarray]   # (case, got, expected)



def rules() -> dict[str, tuple[Rule, ...]]:
    """Every API's layer rules, by op."""
    return wrong_rules()


def codes() -> tuple[str, ...]:
    """The codes the layer rules name."""
    return tuple(dict.fromkeys(rule.code for table in rules().values() for rule in table))


# ---------------------------------------------------------------- matching
def _close(got: np.ndarray, want: np.ndarray, tol: Tolerance) -> bool:
    return (got.shape == want.shape and bool(np.all(np.isfinite(want)))
            and not mismatch_mask(got, want, tol).any())


def _candidate(rule: Rule, case: Case, inputs: Inputs) -> np.ndarray | None:
    with np.errstate(all="ignore"):
        try:
            return np.asarray(rule.fn(case.p, inputs), dtype=np.float64)
        except (ValueError, IndexError, ZeroDivisionError, FloatingPointError):
            return None


def fitting(spec: OpSpec, output: str, observations: Iterable[Observation],
            tol: Tolerance = DEFAULT_TOLERANCE) -> list[tuple[Rule, Case]]:
    """The rules of `spec` that reproduce every observation and differ from the expected
    value on at least one, in table order, each with a case it explains (for its message)."""
    seen = [(case, np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64))
            for case, got, want in observations
            if got is not None and np.shape(got) == np.shape(want)]
    found = []
    for rule in rules().get(spec.name, ()):
        if rule.output != output:
            continue
        explained: Case | None = None
        for case, got, want in seen:
            candidate = _candidate(rule, case, spec.inputs(case))
            if candidate is None or not _close(got, candidate, tol):
                break
            if explained is None and not _close(candidate, want, tol):
                explained = case
        else:
            if explained is not None:
                found.append((rule, explained))
    return found


def explain(spec: OpSpec, output: str, observations: Iterable[Observation],
            tol: Tolerance = DEFAULT_TOLERANCE) -> list[Cause]:
    """A cause naming the first rule that fits the observations, or nothing. When other
    rules fit as well (they coincide on these cases), the message says so."""
    found = fitting(spec, output, observations, tol)
    if not found:
        return []
    (rule, case), others = found[0], [r for r, _ in found[1:] if r.key != found[0][0].key]
    message = rule.message(case.p)
    if others:
        message += (" (on the cases tried, " + " or ".join(r.said for r in others[:3])
                    + " gives the same values: a case where they differ tells them apart)")
    return [Cause(rule.code, message)]
