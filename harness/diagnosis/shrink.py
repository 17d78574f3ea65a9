"""Shrinking: the smallest variant of a failing case that still fails the same way.

Greedy and deterministic: the parameters are visited in the order the op's case family
gives (`Family.shrink`: the activation and input scale first, then batch, channels, kernel,
stride, padding, image size) and each is replaced by the simplest valid value that keeps the
failure (`Family.simplest`: "linear" for an activation, no padding; else the smallest
integer first, then half, then one less), until nothing changes. A dozen cases are tried
for a typical conv case; the search is bounded by `max_steps`.

Only parameters are shrunk; the data seed stays, so every candidate is a reproducible case ID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from harness.core.cases import Case, Family


def _smaller_ints(value: int, floor: int = 1) -> list[object]:
    """Candidates below `value`, simplest first: the floor, half, one less."""
    return [x for x in dict.fromkeys((floor, value // 2, value - 1)) if floor <= x < value]


def candidates(key: str, value: object, family: Family) -> list[object]:
    """Simpler values for one parameter of a case of `family`, simplest first (empty when it
    is already simplest, or shrinking leaves it)."""
    if key not in family.shrink or isinstance(value, bool):
        return []
    simplest = family.simplest.get(key, 1)
    if isinstance(simplest, str):
        return [simplest] if value != simplest else []
    if value == "same" and isinstance(simplest, int):   # a padding named by its rule
        return [simplest, simplest + 1]
    if isinstance(value, int) and isinstance(simplest, int):
        return _smaller_ints(value, floor=simplest)
    if isinstance(value, tuple):
        return [value[:i] + (x,) + value[i + 1:]
                for i, v in enumerate(value) for x in _smaller_ints(v)]
    return []


def variants(case: Case, family: Family) -> Iterator[Case]:
    """One-parameter simplifications of `case`, in the family's visiting order."""
    order = family.shrink
    for key in sorted(case.p, key=lambda k: order.index(k) if k in order else len(order)):
        for value in candidates(key, case.p[key], family):
            yield case.replace(**{key: value})


def shrink(case: Case, family: Family, still_fails: Callable[[Case], bool],
           max_steps: int = 60) -> Case:
    """The smallest valid case of `family` reachable from `case` by one-parameter steps that
    keep failing."""
    rejected: set[str] = set()
    steps = 0
    while steps < max_steps:
        for candidate in variants(case, family):
            if candidate.id in rejected or not family.valid(candidate.p):
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
