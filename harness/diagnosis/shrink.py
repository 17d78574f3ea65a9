"""Shrinking: the smallest variant of a failing case that still fails the same way.

Greedy and deterministic: parameters are visited in a fixed order (activation and input
scale first, then batch, channels, kernel, stride, padding, image size) and each is replaced
by the simplest valid value that keeps the failure (the smallest integer first, then half,
then one less; "linear" for an activation; no padding), until nothing changes. A dozen cases
are tried for a typical conv case; the search is bounded by `max_steps`.

Only parameters are shrunk; the data seed stays, so every candidate is a reproducible case ID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from harness.core.cases import Case, Params

# Visiting order: what changes the meaning of a case first, sizes after.
ORDER = ("act", "scale", "n", "cin", "cout", "c", "n_in", "n_out", "classes", "shape",
         "k", "s", "pad", "h", "w")
SIMPLEST = {"act": "linear", "scale": "normal"}


def _smaller_ints(value: int, floor: int = 1) -> list[object]:
    """Candidates below `value`, simplest first: the floor, half, one less."""
    return [x for x in dict.fromkeys((floor, value // 2, value - 1)) if floor <= x < value]


def candidates(key: str, value: object) -> list[object]:
    """Simpler values for one parameter, simplest first (empty when it is already simplest)."""
    if key in SIMPLEST:
        return [SIMPLEST[key]] if value != SIMPLEST[key] else []
    if key == "pad":
        if value == "same":
            return [0, 1]
        return _smaller_ints(value, floor=0) if isinstance(value, int) else []
    if isinstance(value, bool) or key not in ORDER:
        return []
    if isinstance(value, int):
        return _smaller_ints(value)
    if isinstance(value, tuple):
        return [value[:i] + (x,) + value[i + 1:]
                for i, v in enumerate(value) for x in _smaller_ints(v)]
    return []


def variants(case: Case) -> Iterator[Case]:
    """One-parameter simplifications of `case`, in visiting order."""
    params = case.p
    for key in sorted(params, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)):
        for value in candidates(key, params[key]):
            yield case.replace(**{key: value})


def shrink(case: Case, still_fails: Callable[[Case], bool],
           valid: Callable[[Params], bool], max_steps: int = 60) -> Case:
    """The smallest case reachable from `case` by one-parameter steps that keep failing."""
    rejected: set[str] = set()
    steps = 0
    while steps < max_steps:
        for candidate in variants(case):
            if candidate.id in rejected or not valid(candidate.p):
                continue
            steps += 1
            if still_fails(candidate):
                case = candidate
                break
            rejected.add(candidate.id)
            if steps >= max_steps:
                return case
        else:
            return case
    return case
