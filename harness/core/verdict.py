"""A verdict on one output of one case, and what the parent makes of the child's answer.

`Verdict` is what judging an output gives (`harness.check.checker.Checker.check`). Statuses:
pass | fail | error (an exception or a crash) | not_implemented | timeout. `received` keeps
only what the parent may trust of the sandboxed child's answer (its bytes, never its word);
`Trace` is what a traced run says it executed, used only to point at code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from harness.core.cases import Case
from harness.core.compare import Comparison
from harness.core.opspec import OpSpec
from harness.core.report import JSON, JSONObject, NotRun, Status
from harness.core.wire import NUMERIC


class LikelyCause(Protocol):
    """A likely cause of a failure, as judging finds it: a `harness.diagnosis.causes.Cause`
    (the diagnosis sits above the core, which names it through this protocol): a stable
    code and what it says."""

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass
class Verdict:
    op: str
    output: str
    case: Case
    status: Status
    message: str = ""
    comparison: Comparison | None = None
    error: JSONObject | None = None          # the child's description of an exception
    convention: str | None = None            # "maxpool_pad=zero" when matched only under it
    notes: list[str] = field(default_factory=list)
    got: np.ndarray | None = field(default=None, repr=False)
    expected: np.ndarray | None = field(default=None, repr=False)
    stdout: str = ""
    causes: list[LikelyCause] = field(default_factory=list)   # found while judging (models)
    # the ops failing on their own substituted in this case (harness/check/substitute.py)
    depends_on: tuple[str, ...] = ()
    # {op, output}: the output whose own call raised and kept this one from being computed
    # (a network's step 2 forward after step 1's update raised): the fix list's root
    caused_by: dict[str, str] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


# What the parent keeps of the child's description of a returned value: the name of its type
# and, for a value that is not numeric, its repr or which special value (None, ...) it was.
CLAIMS = ("type", "special", "repr")
# What it keeps of an exception's description, with the defaults for what is absent.
ERROR_FIELDS: JSONObject = {"stage": "run", "type": "Exception", "message": "",
                             "not_implemented": False}


def received(header: Mapping[str, JSON], arrays: dict[str, np.ndarray]
             ) -> tuple[JSONObject, dict[str, np.ndarray]]:
    """The child's answer as the parent judges it: nothing the child says about its outputs is
    trusted (issue #21). The child runs in the submission's process, so a submission can
    rewrite its answer; what it cannot do is make a claim earn what its bytes do not:

    - each output's description keeps only `CLAIMS`; its dtype (``info["dtype"]``) is read
      here from the bytes of the array that came back, and a complex array is judged on its
      real part (its dtype fails the contract); an array that is not numeric is dropped;
    - whether a call modified its inputs is judged from the copies of the inputs the child
      sends after each call (`Checker._mutation`), the shapes of the parameters a layer
      created from those arrays (`Checker._created_problem`); one that did not come back fails
      the output as a protocol error, never as a silent pass.

    The type's name (a list, an ndarray, a subclass) is necessarily the child's word: the
    parent sees only bytes. A lie there earns no more than an honest ``np.asarray(value)``
    would: the values, dtype and shape judged are those of the array sent, exactly what
    returning ``np.asarray(value)`` would have sent under its true name. Likewise, bytes the
    child forges (a float64 copy of a float32 result, a copy of an input taken before the call)
    are what a one-line honest fix (``.astype(np.float64)``, ``.copy()``) would have sent."""
    numeric = {name: arr for name, arr in arrays.items()
               if arr.dtype.kind in NUMERIC and not arr.dtype.fields}
    outputs: JSONObject = {}
    for name, info in _mapping(header.get("outputs")).items():
        kept: JSONObject = {k: str(v) for k, v in _mapping(info).items() if k in CLAIMS}
        kept.setdefault("type", "value it did not describe")
        arr = numeric.get(f"out/{name}")
        if arr is not None:
            kept["dtype"] = arr.dtype.name
        outputs[str(name)] = kept
    errors: JSONObject = {str(name): {**ERROR_FIELDS, **_mapping(err)}
                          for name, err in _mapping(header.get("errors")).items()}
    plain = {name: arr.real if arr.dtype.kind == "c" else arr for name, arr in numeric.items()}
    return {**header, "outputs": outputs, "errors": errors}, plain


def _mapping(value: JSON) -> JSONObject:
    """`value` if it is a dict (what an honest child sends), else an empty one."""
    return value if isinstance(value, dict) else {}


# Lines of the implementation's files run per call, in the order each first ran:
# {stage: [(file, line), ...]}.
Lines = dict[str, list[tuple[str, int]]]
# Which of its functions called which: (caller's file, its qualified name, callee's file, ...).
Call = tuple[str, str, str, str]


@dataclass(frozen=True, eq=False)   # compared by identity: it holds an array
class Value:
    """One value a function of the implementation was given or returned, as the child
    recorded it: its `k`-th call in `stage` from `site` (the file:line that called it, ""
    for the harness), argument `slot` (or "return", "return[0]", an
    argument "X after" the call). `value` is an array, a tuple of numbers (ints, or ints and
    floats), a float, or None for arrays it could not record."""

    stage: str
    file: str
    function: str
    site: str
    k: int
    slot: str
    value: np.ndarray | tuple[int | float, ...] | float | None


@dataclass(frozen=True)
class Trace:
    """What a traced run says it executed (harness/sandbox/lines.py): the child's word, used
    only to point at code."""

    lines: Lines = field(default_factory=dict)
    calls: frozenset[Call] = frozenset()
    values: tuple[Value, ...] = ()


SLOT = re.compile(r"[A-Za-z_]\w{0,63}( after)?(\[\d{1,2}\])?")   # "dXp after", "return[1]"


def _values(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[Value, ...]:
    """The child's `values`, keeping only entries of their shape (arrays from the bytes)."""
    found = []
    for entry in header.get("values") or []:
        if not (isinstance(entry, list) and len(entry) == 8 and isinstance(entry[4], int)):
            continue
        stage, file, function, site, k, slot, kind, payload = entry
        if not (isinstance(slot, str) and SLOT.fullmatch(slot)):
            continue   # a name the reports may print: an argument's, or "return"
        if kind == "array" and isinstance(payload, str) and payload.startswith("value/"):
            value: Any = arrays.get(payload)
            if value is None:
                continue
        elif kind == "ints" and isinstance(payload, list) and all(
                isinstance(v, int) for v in payload):
            value = tuple(payload)
        elif kind == "numbers" and isinstance(payload, list) and all(
                isinstance(v, int | float) for v in payload):
            value = tuple(payload)
        elif kind == "float" and isinstance(payload, float):
            value = payload
        elif kind == "opaque":
            value = None
        else:
            continue
        found.append(Value(str(stage), str(file), str(function), str(site), k, str(slot),
                           value))
    return tuple(found)


def _trace(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> Trace:
    """The child's `lines`, `calls` and `values`, keeping only what has their shape."""
    lines = {str(stage): [(str(pair[0]), pair[1]) for pair in pairs
                          if isinstance(pair, list | tuple) and len(pair) == 2
                          and isinstance(pair[1], int)]
             for stage, pairs in _mapping(header.get("lines")).items()
             if isinstance(pairs, list)}
    calls = header.get("calls")
    edges = frozenset(tuple(map(str, c)) for c in calls if isinstance(c, list | tuple)
                      and len(c) == 4) if isinstance(calls, list) else frozenset()
    return Trace(lines, edges, _values(header, arrays or {}))  # type: ignore[arg-type]


def is_outage(v: Verdict) -> bool:
    """The child gave no answer for this case: it timed out or died (not a skipped case)."""
    err = v.error or {}
    return (err.get("type") in ("timeout", "crashed") and err.get("stage") == "run"
            and not err.get("not_run"))




def not_run(spec: OpSpec, case: Case, status: Status, message: str, error: Mapping[str, JSON],
            why: NotRun) -> dict[str, Verdict]:
    """Verdicts for a case that was not run: the time budget was spent, its op gave up after
    outages in a row, its module is blocked (missing, refused, does not import). The
    error's ``not_run`` says which."""
    return {o: Verdict(spec.name, o, case, status, message, error={**error, "not_run": why})
            for o in spec.outputs}


# Exceptions that code written for older NumPy or for Python 2 raises here, and what to say:
# (type, the start of the message, the hint).
OLDER_CODE_HINTS = (
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars",
     "NumPy 2 no longer turns a 1-element array into a Python number (NumPy 1.25 warned): "
     "use .item() or index it"),
    ("ValueError", "setting an array element with a sequence",
     "if the value is a 1-element array, NumPy before 2 took it as a number (1.25 warned): "
     "use .item(); if it has more elements, its shape is wrong"),
    ("TypeError", "Cannot cast array data from dtype('float64') to dtype('int64')",
     "an index or size computed with / is a float in Python 3 (Python 2's / divided integers "
     "exactly): use //"),
    ("TypeError", "'float' object cannot be interpreted as an integer",
     "a size computed with / is a float in Python 3 (Python 2's / divided integers exactly): "
     "use //"),
    ("SyntaxError", "Missing parentheses in call to 'print'",
     "the file is Python 2, as the course was before 2017; nnparity runs Python 3, where "
     "print is a function: print(...)"),
)


def describe_exception(err: Mapping[str, JSON], head: str = "") -> str:
    """One line: what was raised (`head`, default "STAGE raised" or "not implemented"), and
    where in the implementation's own files."""
    if err.get("type") in ("timeout", "crashed"):
        return str(err.get("message"))
    head = head or ("not implemented" if err.get("not_implemented")
                    else f"{err.get('stage')} raised")
    text = f"{head}: {err.get('type')}: {err.get('message')}"
    if "file" in err:
        text += (f" (at {err['file']}:{err.get('line')} in {err.get('function')}: "
                 f"{err.get('code')})")
    hint = err.get("hint") or next((h for kind, start, h in OLDER_CODE_HINTS
                                    if err.get("type") == kind
                                    and str(err.get("message", "")).startswith(start)), "")
    if hint:
        text += f"; {hint}"
    return text
