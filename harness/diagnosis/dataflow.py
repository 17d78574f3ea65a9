"""Which of the student's functions made the first wrong value: the values its functions
returned, compared with the reference's intermediate values.

Line coverage cannot tell a helper that every case runs from its caller: a ``pad_amounts``
called by every constructor, an ``unpad`` that every backward ends with. Their values can.
A traced run (`Checker.traced`) records what each function of the package was given and
returned (`harness.sandbox.lines`); the op's API computes, for the same case, the values a
correct layer computes on the way (its ``intermediates``: the padding, the padded input,
the pre-activation Z, the gradient of the padded input, ...). Then:

1. **Roles, from the runs that were right.** A value a function was given or made plays a
   role when it equals the same intermediate in every run of the op whose outputs were all
   right: ``pad2d``'s return is "padded X", ``pad_amounts``'s is "padding". Each call is
   told apart by its function, its argument (or "return"), the line that called it, and
   which call from that line in the stage it is (a helper called on two paths plays a role
   on each). A run where the intermediate is one number, or one number repeated, may rule
   a role out but does not earn it; ints earn a role only by taking two different values
   across those runs: a constant says nothing. An array no intermediate equals (a
   ``window_origins``'s indices, a view into a buffer of zeros) still has a form in those
   runs: the kind of numbers it holds, and the intermediates whose shape it has, whole or
   with some axes fixed (a tap of the padded input, shaped like a slice of the windows),
   when its shape changed from run to run.
2. **The first wrong value, in a failing run.** Going through the values in the order the
   run made them, the first that plays a role and does not equal that intermediate in
   this run, or breaks its form (floats for integers, another shape), is where the run
   first went wrong.
3. **Who made it.** If that value is what a function returned (or wrote into a buffer it
   was given), and everything the function was given, and every array its own callees
   returned to it, is known to be right (it plays a role, or equals an input, an
   intermediate or a constructor argument of the case, is ints each found in one of those
   or 0, or is a zero-filled buffer), the function made the wrong value from right inputs:
   it is the one to open. If the first wrong value is an argument, whoever made it is not
   known, and nothing is said.

4. **Wrong sizes, when no run was right.** An output of the wrong shape in every case
   leaves no right run to learn roles from, but its wrong sizes are there to see: the first
   function that returned them (an ``out_size`` that forgot the +1), from sizes the case
   has, made them (`made_wrong_size`).
5. **Floats for integers, when every run raised.** An exception that asked for integers
   (``np.bincount``, ``np.pad``, a slice) where no run was right: the first function that
   made floats out of integers alone (``/`` for ``//``) made them (`made_floats`).

The same rules follow an exception back (`harness.diagnosis.suspects`): the runs where
computing the output raised, when it never had a wrong value, say who made the value it
raised on.

Every failing run of the output that says where it went wrong must name the same function,
or at least leave it possible (a run whose first wrong value was made from what that
function handed back, itself not known to be right, may have gone wrong there too):
when some runs go wrong in a helper and others in the method itself, the output has two
bugs, and the lines decide (`harness.diagnosis.suspects`). As with
`harness.diagnosis.suspects`, the values are the child's word: they only point at code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from harness.core.verdict import Trace, Value, Verdict

RTOL, ATOL = 1e-7, 1e-9    # the values are float64 copies of float64 work: equal up to rounding

Key = tuple[str, str, str, str, int, str]   # (stage, file, function, site, k-th call, slot)


def _key(v: Value) -> Key:
    return v.stage, v.file, v.function, v.site, v.k, v.slot


def _made(slot: str) -> bool:
    """Whether the slot is a value the function made: its return, or a buffer it filled."""
    return slot.startswith("return") or slot.endswith(" after")


def equal(value: Any, expected: Any) -> bool:
    """Whether a recorded value is the intermediate: the same ints or float, or an array of
    the same numbers up to a reshape (``dZ.reshape(-1, C)`` is still dZ)."""
    if isinstance(expected, tuple):   # (1.0, 1.0) is not the padding (1, 1)
        return isinstance(value, tuple) and value == expected and all(
            isinstance(a, float) == isinstance(b, float)
            for a, b in zip(value, expected, strict=True))
    if isinstance(expected, float):
        return isinstance(value, float) and (value == expected or (value != value
                                                                    and expected != expected))
    if not isinstance(value, np.ndarray) or not isinstance(expected, np.ndarray):
        return False
    if value.size != expected.size or value.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(value.reshape(expected.shape), expected, rtol=RTOL, atol=ATOL))


def _informative(expected: Any) -> bool:
    """An array of at least two different numbers (a zero array equals too much)."""
    return isinstance(expected, tuple) or (
        isinstance(expected, np.ndarray) and expected.size > 1 and np.ptp(expected) > 0)


def _names(value: Any, run: Run) -> set[str]:
    """The intermediates `value` equals in `run`, under any convention the profile accepts."""
    return {name for known in (run.known, *run.variants) for name, expected in known.items()
            if equal(value, expected)}


PART = "part of "   # the role of a value that is one slice of an intermediate


def _is_part(value: np.ndarray, expected: Any) -> bool:
    """Whether `value` is `expected` with some of its axes fixed."""
    if not isinstance(expected, np.ndarray) or expected.ndim <= value.ndim:
        return False
    for fixed in combinations(range(expected.ndim), expected.ndim - value.ndim):
        kept = tuple(n for a, n in enumerate(expected.shape) if a not in fixed)
        if kept != value.shape:
            continue
        parts = np.moveaxis(expected, fixed, range(len(fixed))).reshape(-1, value.size)
        with np.errstate(invalid="ignore"):
            close = np.isclose(parts, value.reshape(-1), rtol=RTOL, atol=ATOL)
        if close.all(axis=1).any():
            return True
    return False


def _parts(value: Any, run: Run) -> set[str]:
    """``part of argmax``, ...: the intermediates `value` is a slice of in `run`, under any
    convention the profile accepts."""
    if not isinstance(value, np.ndarray) or value.size == 0:
        return set()
    return {PART + name for known in (run.known, *run.variants)
            for name, expected in known.items() if _is_part(value, expected)}


def part_of(value: Any, run: Run) -> bool:
    """Whether an array of at least two different numbers is an intermediate with some of
    its axes fixed: entry (i, j) of every window (a tap, ``windows[:, :, :, i, j]``), the
    window at one output pixel (``windows[:, r, c]``), the argmax of one window."""
    return isinstance(value, np.ndarray) and _informative(value) and any(
        _is_part(value, expected) for known in (run.known, *run.variants)
        for expected in known.values())


def arguments(ctor: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """A case's constructor arguments that are ints or pairs of ints, as the child records
    them: ``stride=2`` is (2,), ``kernel_shape=(3, 3)`` is (3, 3)."""
    found: dict[str, tuple[int, ...]] = {}
    for name, value in ctor.items():
        if isinstance(value, int) and not isinstance(value, bool):
            found[f"argument {name}"] = (value,)
        elif isinstance(value, tuple | list) and value and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            found[f"argument {name}"] = tuple(value)
    return found


@dataclass(frozen=True)
class Run:
    """One traced run of the op: its verdicts, what its functions were given and returned,
    and the case's intermediate values (constructor arguments, inputs, then intermediates),
    under each accepted convention (zero or −inf padding for max pooling)."""

    verdicts: dict[str, Verdict]
    trace: Trace
    known: dict[str, Any]                    # under the preferred conventions
    variants: tuple[dict[str, Any], ...] = ()   # under the other accepted ones


KINDS = {"b": "booleans", "i": "integers", "u": "integers", "f": "floats"}   # dtype.kind


def _kind(value: Any) -> str:
    """What numbers an array holds: integers (indices), floats or booleans ("" otherwise)."""
    return KINDS.get(value.dtype.kind, "") if isinstance(value, np.ndarray) else ""


def _shaped_like(value: Any, run: Run) -> set[str]:
    """The intermediates of `run` whose shape an array has, whole or with some axes fixed
    (``part of windows``: a tap of the padded input, (N, oh, ow, C))."""
    if not isinstance(value, np.ndarray):
        return set()
    found = set()
    for name, expected in run.known.items():
        if not isinstance(expected, np.ndarray):
            continue
        if expected.shape == value.shape:
            found.add(name)
        elif expected.ndim > value.ndim and any(
                tuple(n for a, n in enumerate(expected.shape) if a not in fixed) == value.shape
                for fixed in combinations(range(expected.ndim), expected.ndim - value.ndim)):
            found.add(PART + name)
    return found


@dataclass(frozen=True)
class Role:
    """What a value must be, as the right runs say: the intermediates it equals (or is a
    slice of: ``part of argmax``); failing that, only its form, the kind of numbers it holds
    (window indices stay integers) and the intermediates whose shape it has (a tap of the
    padded input is shaped like the output)."""

    names: frozenset[str] = frozenset()
    kind: str = ""
    shapes: frozenset[str] = frozenset()

    def broken_by(self, value: Any, run: Run) -> bool:
        """Whether `value`, in `run`, is not what the role says."""
        if self.names:
            return not self.names & _names(value, run) and not (
                any(n.startswith(PART) for n in self.names) and self.names & _parts(value, run))
        if self.kind and _kind(value) and _kind(value) != self.kind:
            return True
        return bool(self.shapes) and isinstance(value, np.ndarray) and not (
            self.shapes & _shaped_like(value, run))


Roles = dict[Key, Role]


def roles(runs: Iterable[Run]) -> Roles:
    """Key -> what its value was in every right run that had it: the intermediates it
    equalled, else the kind of numbers and the shapes it had."""
    seen: dict[Key, set[str]] = {}
    telling: dict[Key, set[str]] = {}   # the names it equalled where that meant something
    ints: dict[Key, set[tuple[int | float, ...]]] = {}
    kinds: dict[Key, set[str]] = {}
    shapes: dict[Key, set[str]] = {}
    sizes: dict[Key, set[tuple[int, ...]]] = {}   # the shapes it had: a constant says nothing
    for run in runs:
        if not run.verdicts or not all(v.passed for v in run.verdicts.values()):
            continue   # a right forward may have cached a wrong argmax: only all-right runs
        for v in run.trace.values:
            if v.value is None or isinstance(v.value, float):
                continue
            key = _key(v)
            names = _names(v.value, run) or _parts(v.value, run)   # whole, else a slice
            seen[key] = seen[key] & names if key in seen else names
            telling.setdefault(key, set()).update(
                n for n in names if _informative(v.value if n.startswith(PART)
                                                 else run.known[n]))
            if isinstance(v.value, tuple):
                ints.setdefault(key, set()).add(v.value)
            else:
                kinds.setdefault(key, set()).add(_kind(v.value))
                like = _shaped_like(v.value, run)
                shapes[key] = shapes[key] & like if key in shapes else like
                sizes.setdefault(key, set()).add(v.value.shape)
    found: Roles = {}
    for key, names in seen.items():
        named = names & telling.get(key, set()) if key not in ints or len(ints[key]) > 1 \
            else set()
        kind = next(iter(kinds[key])) if len(kinds.get(key, ())) == 1 else ""
        like = shapes.get(key, set()) if len(sizes.get(key, ())) > 1 else set()
        if named or kind or like:
            found[key] = Role(frozenset(named), kind, frozenset(like))
    return found


def first_wrong(run: Run, role: Roles) -> Value | None:
    """The first value of a failing run that is not what its role says (a value the child
    could not record says nothing)."""
    for v in run.trace.values:
        found = role.get(_key(v))
        if found is not None and v.value is not None and found.broken_by(v.value, run):
            return v
    return None


def _unknown(made: Value, run: Run, role: Roles) -> set[tuple[str, str]] | None:
    """What may be wrong among the inputs of the call that made `made`: None when something
    it was given is not known to be right, else the callees whose values handed back to it
    are not (empty: it made `made` from right inputs).

    Known to be right: a value that plays a role (being before the first wrong value, it
    was right), else one equal to an input, an intermediate or a constructor argument of
    the case, or to part of one (`part_of`: the taps of the windows a ``first_max`` is
    given), ints each found in one of those (``ph`` and ``pw`` passed apart,
    ``Xp.shape[1:3]``: a known array's sizes count), or a zero-filled buffer. A value that
    is none of these (a padding value the case does not pad with, ``window_origins``'s
    indices, a window's mean) may be what was wrong, unless a function made it after
    forward as it made it in a forward whose output was right (`_as_in_a_right_forward`).
    A method called after forward may also read what forward left in the object: what
    forward's functions made counts as handed to it. A callee's array that was then given
    whole to another callee is that callee's input, judged by what it made (`_passed_on`)."""
    numbers = {0} | {n for value in run.known.values()   # 0: where every loop starts
                     for n in (value if isinstance(value, tuple) else np.shape(value))}
    call = _key(made)[:5]
    values = run.trace.values
    start = next(i for i, v in enumerate(values) if _key(v)[:5] == call)
    end = next(i for i, v in enumerate(values) if v is made)
    unknown: set[tuple[str, str]] = set()
    for i, v in enumerate(values[start:end], start):
        mine = _key(v)[:5] == call
        if (mine and _made(v.slot)) or (not mine and not _made(v.slot)):
            continue   # what the call itself made, or what it passed on to its callees
        if not _right(v, run, role, numbers) and not (not mine and _passed_on(v, values[i:end])):
            if mine:
                return None
            unknown.add((v.file, v.function))
    if "." in made.function and made.stage != values[0].stage:
        # a method after forward may read what forward left in the object (an argmax in
        # self.cache): what forward's functions made and is not known right is an input
        # too, unless it went into another of forward's callees, or was made again here
        unknown |= {(v.file, v.function) for i, v in enumerate(values[:start])
                    if v.stage != made.stage and _made(v.slot)
                    and not _right(v, run, role, numbers)
                    and not _passed_on(v, values[i:start])
                    and not _passed_on(v, values[start:end], again=True)}
    return unknown


def _passed_on(v: Value, later: tuple[Value, ...], again: bool = False) -> bool:
    """Whether an array a callee handed back was then given whole to another callee (a
    buffer ``ones_column`` prepared, which ``im2col`` fills): that callee's own values say
    whether what came of it was right. With `again`: whether the same function made it
    again among `later` (backward rebuilding forward's im2col matrix), there judged."""
    def same(w: Value) -> bool:
        if again:   # its return, or the buffer it filled: the same numbers
            return w.function == v.function and _made(w.slot)
        return not _made(w.slot) and w.function != v.function

    return isinstance(v.value, np.ndarray) and any(
        same(w) and isinstance(w.value, np.ndarray) and w.value.size == v.value.size
        and np.array_equal(w.value.ravel(), v.value.ravel(), equal_nan=True) for w in later)


def _right(v: Value, run: Run, role: Roles, numbers: set[int]) -> bool:
    """Whether a value is known to be right (see `_unknown`)."""
    if v.value is None:
        return False   # arrays the child could not record
    found = role.get(_key(v))
    if (found is not None and found.names) or _names(v.value, run) or part_of(v.value, run):
        return True
    if isinstance(v.value, float):
        return False   # a padding value, a window's mean: not one the case knows
    if isinstance(v.value, tuple):   # ph, pw apart: each a number of the case's
        return set(v.value) <= numbers and not any(isinstance(n, float) for n in v.value)
    return not np.any(v.value) or _as_in_a_right_forward(v, run)


def _as_in_a_right_forward(v: Value, run: Run) -> bool:
    """Whether an array a function made after forward is one it made in forward too, in a
    run whose forward output was right (backward rebuilding forward's im2col matrix): the
    right output was computed from it."""
    forward = run.verdicts.get("forward")
    if v.stage == "forward" or forward is None or not forward.passed or not _made(v.slot):
        return False
    value = v.value
    return isinstance(value, np.ndarray) and any(
        w.stage == "forward" and (w.file, w.function, w.slot) == (v.file, v.function, v.slot)
        and isinstance(w.value, np.ndarray) and w.value.shape == value.shape
        and np.array_equal(w.value, value) for w in run.trace.values)


def _given_right(made: Value, run: Run, role: Roles) -> bool:
    """Whether everything the call that made `made` was given, and every value its own
    callees handed back to it, is known to be right (`_unknown`)."""
    return _unknown(made, run, role) == set()


def maker(run: Run, role: Roles) -> tuple[str, str] | None:
    """(file, function) that made the run's first wrong value from right inputs, or None."""
    wrong = first_wrong(run, role)
    if wrong is None or not _made(wrong.slot) or not _given_right(wrong, run, role):
        return None
    return wrong.file, wrong.function


def _could_have_made(run: Run, role: Roles) -> set[tuple[str, str]] | None:
    """The functions that may have made the run's first wrong value: the one that made it,
    and those of its callees whose values it was handed are not known to be right (a
    ``Pool2D._max`` that made a wrong argmax out of what two ``first_max`` calls returned);
    None when it was given something not known to be right (the wrong value may be its
    caller's, sliced wrong), or the value is an argument."""
    wrong = first_wrong(run, role)
    if wrong is None or not _made(wrong.slot):
        return None
    unknown = _unknown(wrong, run, role)
    return None if unknown is None else {(wrong.file, wrong.function), *unknown}


@dataclass(frozen=True)
class Made:
    """The function that made the first wrong value, and what it made, in words."""

    file: str
    function: str
    why: str


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(np.shape(value))


def _did(made: Value) -> str:
    """``returned``, or ``wrote into dXp`` for a buffer it was given and filled."""
    return (f"wrote into {made.slot.removesuffix(' after')}" if made.slot.endswith(" after")
            else "returned")


def _short(value: Any) -> str:
    return str(value[0]) if isinstance(value, tuple) and len(value) == 1 else str(value)


def why(wrong: Value, run: Run, role: Role) -> str:
    """``it returned (2, 2) where the padding is (1, 1)``, ``it wrote into dXp a wrong
    padded dX from right inputs``, ``it returned floats where the right runs' were
    integers``: what the wrong value was, against the intermediate it plays, else against
    the form it should have."""
    made = _did(wrong)
    if not role.names:
        if role.kind and _kind(wrong.value) != role.kind:
            return f"it {made} {_kind(wrong.value)} where they should be {role.kind}"
        whole = {n for n in role.shapes if not n.startswith(PART)}
        if whole:
            name = max(whole, key=list(run.known).index)
            return (f"it {made} shape {_shape(wrong.value)} where it should have the "
                    f"{name}'s, {np.shape(run.known[name])}")
        name = max((n.removeprefix(PART) for n in role.shapes), key=list(run.known).index)
        return (f"it {made} shape {_shape(wrong.value)}: no slice of the {name}, "
                f"{np.shape(run.known[name])}, has that shape")
    names = role.names
    whole = {n for n in names if not n.startswith(PART)}
    if not whole:   # argmax[:, r, c]: one window's argmax
        name = max((n.removeprefix(PART) for n in names), key=list(run.known).index)
        return f"it {made} a wrong slice of the {name} from right inputs"
    name = max(whole, key=list(run.known).index)   # an intermediate before an input
    expected = run.known[name]
    if isinstance(expected, tuple):
        return f"it {made} {_short(wrong.value)} where the {name} is {_short(expected)}"
    if isinstance(wrong.value, np.ndarray) and wrong.value.size != np.size(expected):
        return (f"it {made} shape {wrong.value.shape} where the {name} has shape "
                f"{np.shape(expected)}")
    return f"it {made} a wrong {name} from right inputs"


def _failing(runs: list[Run], output: str) -> list[Run]:
    """The runs where `output` had a wrong value, else (an output that only ever raised)
    those where computing it raised; for a gradient, those whose forward was right when
    there are any (they speak about the backward alone)."""
    failing = next((found for status in ("fail", "error") if (found := [
        r for r in runs if output in r.verdicts and r.verdicts[output].status == status
        and r.trace.values])), [])
    alone = [r for r in failing if "forward" in r.verdicts and r.verdicts["forward"].passed]
    return alone if output != "forward" and alone else failing


def went_wrong_before(runs: list[Run], output: str, function: tuple[str, str],
                      role: Roles | None = None) -> bool:
    """Whether every failing run of `output` had made its first wrong value before
    `function` was first called: it cannot have made it (at least one run says so).
    `role`: the runs' `roles`, when the caller has them already."""
    found = _first_wrongs(runs, output, roles(runs) if role is None else role)
    return bool(found) and not any(
        (v.file, v.function) == function for run, at in found for v in run.trace.values[:at + 1])


def _first_wrongs(runs: list[Run], output: str, role: Roles
                  ) -> list[tuple[Run, int]]:
    """(run, where in its values its first wrong value is) for each failing run that says."""
    found = []
    for run in _failing(runs, output):
        wrong = first_wrong(run, role)
        if wrong is not None:
            found.append((run, next(i for i, v in enumerate(run.trace.values) if v is wrong)))
    return found


def went_wrong_in(runs: list[Run], output: str, stage: str, role: Roles
                  ) -> bool:
    """Whether every failing run of `output` that says went wrong in `stage` (a gradient
    whose forward's output was right, but not what it cached: an argmax)."""
    found = _first_wrongs(runs, output, role)
    return bool(found) and all(run.trace.values[at].stage == stage for run, at in found)


def called_after(runs: list[Run], output: str, role: Roles
                 ) -> set[tuple[str, str]]:
    """The functions every failing run of `output` that says first gave or returned a value
    after its first wrong value: they cannot have made it."""
    found = _first_wrongs(runs, output, role)
    after: set[tuple[str, str]] | None = None
    for run, at in found:
        before = {(v.file, v.function) for v in run.trace.values[:at + 1]}
        later = {(v.file, v.function) for v in run.trace.values[at + 1:]} - before
        after = later if after is None else after & later
    return after or set()


def made_wrong(runs: list[Run], output: str,
               role: Roles | None = None) -> Made | None:
    """The function that every run where `output` had a wrong value, and a value went
    wrong that the right runs say what it should be, says made it; or None. For a gradient,
    the runs whose forward was right, when there are any. `role`: as for
    `went_wrong_before`."""
    role = roles(runs) if role is None else role
    said = [r for r in _failing(runs, output) if first_wrong(r, role) is not None]
    makers = [(r, maker(r, role)) for r in said]
    named = [r for r, m in makers if m is not None]
    found = {m for _, m in makers if m is not None}
    if len(found) != 1:
        return None
    (where,) = found
    could = [_could_have_made(r, role) or set() for r in said]
    if any(where not in c for c in could):
        return None   # a run that went wrong elsewhere, or that cannot say where
    callees = {c[2:] for r in said for c in r.trace.calls if c[:2] == where}
    if callees & set().union(*could):
        return None   # what its callees handed it may be wrong: right, where it named it,
        #               only by chance (a wrong view of a buffer that was still zeros)
    wrong = first_wrong(named[0], role)
    assert wrong is not None
    return Made(wrong.file, wrong.function, why(wrong, named[0], role[_key(wrong)]))


def _wrong_sizes(verdict: Verdict) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(got, expected) shapes of an output of the right rank but the wrong sizes."""
    if verdict.got is None or verdict.expected is None:
        return None
    got, expected = np.shape(verdict.got), np.shape(verdict.expected)
    return (got, expected) if len(got) == len(expected) and got != expected else None


def _wrong_at(value: Any, got: tuple[int, ...], expected: tuple[int, ...]) -> int | None:
    """Where in the got shape `value` is, if it is ints that are the got shape where it
    differs from the expected: an ``output_size`` that returned (3, 2), or an ``out_h``
    that returned 3, for a (N, 3, 2, C) output that should be (N, 2, 1, C); else None."""
    if not isinstance(value, tuple) or not value:
        return None
    return next((k for k in range(len(got) - len(value) + 1)
                 if value == got[k:k + len(value)]
                 and all(got[j] != expected[j] for j in range(k, k + len(value)))), None)


def _wrong_shaped(value: Any, got: tuple[int, ...], shapes: set[tuple[int, ...]]) -> bool:
    """Whether `value` is an array of the output's wrong shape, a shape none of the case's
    intermediates has (an ``unpad`` that returned (N, 0, W, C) for a dX; not the output
    itself, which the harness called for)."""
    return isinstance(value, np.ndarray) and value.shape == got and got not in shapes


def made_wrong_size(runs: list[Run], output: str) -> Made | None:
    """For an output of the wrong size in every failing run: the function that first
    returned the wrong sizes, or an array of the output's wrong shape, from right inputs,
    when every run that says names the same one.

    No run need be right: the wrong sizes are read off the output itself, and the sizes the
    function was given are checked against the case's own (`_given_right`). A run where the
    wrong sizes are also the case's own (an output of 2×2 where the kernel is 2×2), or the
    wrong shape an intermediate's (an unpadded dX of the padded input's shape), says
    nothing."""
    found: dict[tuple[str, str], tuple[Value, tuple[int, ...]]] = {}
    for run in runs:
        if output not in run.verdicts or run.verdicts[output].status != "fail":
            continue
        sizes = _wrong_sizes(run.verdicts[output])
        if sizes is None or not run.trace.values:
            return None
        right = {v for v in run.known.values() if isinstance(v, tuple)}
        shapes = {v.shape for v in run.known.values() if isinstance(v, np.ndarray)}
        returned = [v for v in run.trace.values if v.slot == "return"]
        if any(_wrong_at(v.value, *sizes) is not None for v in returned):   # sizes as ints
            made = next((v for v in returned if _wrong_at(v.value, *sizes) is not None
                         and v.value not in right), None)
        else:   # only arrays of the wrong shape
            made = next((v for v in returned if v.site
                         and _wrong_shaped(v.value, sizes[0], shapes)), None)
        if made is None:
            continue
        if not _given_right(made, run, {}):
            return None
        if isinstance(made.value, np.ndarray):
            at: int | None = 0
            n = made.value.ndim
        else:
            at = _wrong_at(made.value, *sizes)
            n = len(made.value) if isinstance(made.value, tuple) else 0
        assert at is not None
        k = at
        found.setdefault((made.file, made.function), (made, sizes[1][k:k + n]))
    if len(found) != 1:
        return None
    (file, function), (made, expected) = found.popitem()
    if isinstance(made.value, np.ndarray):
        return Made(file, function, f"it returned shape {made.value.shape}, the wrong shape of "
                                    f"the {output} output (it should be {expected})")
    return Made(file, function, f"it returned {_short(made.value)}, the wrong size of the "
                                f"{output} output (it should be {_short(expected)})")


def made_wrong_output(runs: list[Run], output: str, role: Roles) -> Made | None:
    """The helper that returned the wrong output itself, of its shape, which its caller
    only handed on (a ``_weight_gradient`` whose return is dW), from right inputs, when
    every failing run names the same one: no right run need say what the value should be,
    the verdict does. A run where no helper returned it (a dZ that is a wrong db only when
    the batch and the image are 1×1) says the method made it."""
    found: dict[tuple[str, str], Value] = {}
    for run in runs:
        verdict = run.verdicts.get(output)
        if verdict is None or verdict.status != "fail" or not isinstance(verdict.got,
                                                                         np.ndarray):
            continue
        made = next((v for v in run.trace.values if v.site and _made(v.slot)
                     and isinstance(v.value, np.ndarray) and v.value.shape == verdict.got.shape
                     and equal(v.value, verdict.got) and not equal(v.value, verdict.expected)),
                    None)
        if made is None:
            return None   # a run where no helper made it: it was made in the method
        wrong = first_wrong(run, role)
        if (wrong is not None and wrong is not made) or not _given_right(made, run, role):
            return None   # it went wrong before, or may have been handed something wrong
        found.setdefault((made.file, made.function), made)
    if len(found) != 1:
        return None
    (file, function), made = found.popitem()
    did = _did(made)
    return Made(file, function, f"it {did} the wrong {output} from right inputs")


def _integers(value: Any) -> bool:
    """Ints, or an array of integers (sizes, strides, indices)."""
    return (isinstance(value, tuple) and bool(value)
            and not any(isinstance(n, float) for n in value)) or _kind(value) == "integers"


def _floats(value: Any) -> bool:
    """A float, a tuple holding one, or an array of floats."""
    return (isinstance(value, float) or _kind(value) == "floats"
            or (isinstance(value, tuple) and any(isinstance(n, float) for n in value)))


def _from_integers(made: Value, run: Run) -> bool:
    """Whether the call that made `made` was given integers and nothing else it recorded."""
    call = _key(made)[:5]
    given = [v for v in run.trace.values if _key(v)[:5] == call and not _made(v.slot)]
    return bool(given) and all(v.value is not None and _integers(v.value) for v in given)


def made_floats(runs: list[Run], output: str) -> Made | None:
    """For an output whose computing raised asking for integers (``np.bincount`` given float
    indices, ``np.pad`` a float padding): the function that made floats out of integers
    alone (an ``out_size`` or ``pad`` with ``/`` for ``//``), when every run that raised
    and says names the same one."""
    found: dict[tuple[str, str], Value] = {}
    for run in runs:
        if output not in run.verdicts or run.verdicts[output].status != "error":
            continue
        made = next((v for v in run.trace.values if _made(v.slot) and _floats(v.value)
                     and _from_integers(v, run)), None)
        if made is not None:
            found.setdefault((made.file, made.function), made)
    if len(found) != 1:
        return None
    (file, function), made = found.popitem()
    did = _did(made)
    return Made(file, function, f"it {did} {_shown(made.value)}: floats made from integers "
                                "alone (/ where // keeps them integers?)")


def _shown(value: Any) -> str:
    """A float, a tuple, or an array's first few numbers, as the student would print them."""
    if isinstance(value, np.ndarray):
        head = ", ".join(f"{x:g}" for x in value.ravel()[:4])
        return f"array([{head}{', ...' if value.size > 4 else ''}])"
    return _short(value)
