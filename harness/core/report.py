"""The JSON report as types: frozen dataclasses that read and write report.json exactly.

`Report.from_json(d)` reads the dict of the report that `nnparity check --json FILE` writes
(and report.json in every report directory, `nnparity.check(...).json`, the pytest plugin's
``--parity-report``); `to_json()` gives the same dict back: ``Report.from_json(d).to_json()
== d`` for every report nnparity writes, and ``Report.from_json(r.to_json()) == r``. Every
class reads and writes its own part the same way (`Finding.from_json(item["finding"])`).

What each key means is documented where it is written (`harness.core.results`, which builds
the report, the investigation's `investigate`, `harness.diagnosis.fixlist`) and in
docs/json-report.md.
Here only its type, and how it is present. Each class says it in one table, `READ`: its
JSON keys, in the order they are written, each with the function that reads its value
(`_str`, `_nullable(_int)`, `_list(Trial._read)`, ...); `_Record` reads and writes every
class from that table and the class's fields:

- a key always written is a field without a default (``X | None`` when it may be null, its
  reader `_nullable`: ``localization``, ``error`` and ``maps`` of a finding, say);
- a key written only when there is something to say is a field defaulting to None: None
  means absent, and stays absent when written (such a key is never null in the JSON);
- a value is written back as it was read (`_json`): a record by its `to_json`, a tuple as a
  list; arrays of numbers (a small case's inputs, got and expected) stay nested lists
  (`Array`), and NaN and ±Inf are the strings strict JSON writes them as (`Real`).

What no table says is done by a small override in its class: a localization's worst element
is written in the localization's object itself (`Localization`), a finding that holds only
what stopped is a `StoppedOnly` (`_finding`), and a training case's loss curves travel as a
note of its item (`CURVE_NOTE` and JSON): such a note is read as a `Curve` (`_note`) and
written back as the same string (`Item.to_json`).

Reading is strict: a key a class does not know, a missing one, a value of another type or an
unknown status raises ValueError naming it and where it was ("unknown key 'foo' in
report.results[3].finding"), so a change of the JSON these types do not know about fails the
tests (tests/test_report_types.py, tests/test_report_roundtrip.py) rather than a reader.

The classes only convert (in the style of PyTorch's torch/testing/_comparison.py): the
pipeline and most renderers still build and read the dicts; the training curves are read
as `Curve` (harness/reports/model_section.py). Beside the standard library only a case's
parameter type is imported (harness.core.cases), so anything may read a report with them.

    Report                      impl, seed, profile, tolerance, cases_per_op, api, modules,
      summary: Summary          edition, skipped, fix_list, notes
      results: Item...          one per (op, output)
        notes: str | Curve
        depends_on: Dependency...
        finding: Finding | StoppedOnly
          localization: Localization (worst and top: Element)
          error: Error
          diagnosis: Diagnosis...
          maps: Maps (grids: Grid...)
          stopped: Stopped...
          caused_by: OutputRef
          smallest: Smallest
          ablation: Trial...
          groups: Group... (signature: Signature, smallest, ablation, diagnosis)
          suspect: Suspect (runs: SuspectRuns)
      modules: {module: ModuleSource}
      edition: Edition
      skipped: SkippedOp...
      fix_list: FixEntry... (root and items: FixRef, frames: Frame)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import ClassVar, Literal, Self, TypeAlias, TypeVar, cast, get_args

from harness.core.cases import ParamValue  # a case parameter's value

# ---------------------------------------------------------------- JSON values
JSON: TypeAlias = "None | bool | int | float | str | list[JSON] | dict[str, JSON]"
JSONObject: TypeAlias = "dict[str, JSON]"

NonFinite = Literal["NaN", "Infinity", "-Infinity"]   # how strict JSON writes NaN and ±Inf
Real: TypeAlias = "int | float | NonFinite"             # a number an implementation computed
Array: TypeAlias = "Real | list[Array]"                 # an array's values, nested lists

# ---------------------------------------------------------------- closed sets of values
Status = Literal["pass", "fail", "error", "not_implemented", "timeout"]   # an item's, a case's
Verdict = Literal["pass", "fail"]                                         # the report's
# What a comparison found (harness.core.compare.Kind).
CompareKind = Literal["match", "values", "shape", "type", "dtype", "nonfinite", "mutated",
                      "missing", "created"]
# A finding's kind: the comparison's, else "exception", else the status (a stub's None).
Kind = Literal[CompareKind, Literal["exception"], Status]
Factor = Literal["act", "pad", "s", "n", "channels", "kernel", "mag", "convention", "scale"]
Outcome = Literal["pass", "same", "different", "unknown"]        # an ablation trial's
StoppedWhat = Literal["investigation", "rendering"]
NotRun = Literal["budget", "outages", "blocked"]                   # why a case was not run
SkipWhy = Literal["edition", "starter", "optional", "absent"]      # why an op was not checked
Origin = Literal["submission", "starter", "student_nn", "missing"]  # where a module came from
EditionSource = Literal["detected", "option", "rubric"]
SuspectHow = Literal["values", "shared"]
Relation = Literal["same bug", "caused by"]                        # a fix-list item's, to its root
GridUnit = Literal["count", "share"]

# A note that holds a training case's loss curves: this prefix, then JSON
# (harness.core.results.curve_note writes it).
CURVE_NOTE = "nnparity-training-curve "

T = TypeVar("T")
Read = Callable[[object, str], T]     # reads one JSON value found at a place (for messages)


# ---------------------------------------------------------------- reading, strictly
def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _wrong(value: object, want: str, where: str) -> ValueError:
    return ValueError(f"{where}: expected {want}, got {_kind(value)} {value!r:.80}")


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _wrong(value, "a string", where)
    return value


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong(value, "an integer", where)
    return value


def _float(value: object, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _wrong(value, "a number", where)
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong(value, "true or false", where)
    return value


def _real(value: object, where: str) -> Real:
    if isinstance(value, str) and value in get_args(NonFinite):
        return cast(NonFinite, value)
    return _float(value, where)


def _array(value: object, where: str) -> Array:
    if isinstance(value, list):
        return [_array(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return _real(value, where)


def _param(value: object, where: str) -> ParamValue:
    if isinstance(value, list):
        return tuple(_int(v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(value, str):
        return value
    return _float(value, where)


def _choice(options: object) -> Read[str]:
    """A reader of one of the strings of a Literal alias."""
    allowed = get_args(options)

    def read(value: object, where: str) -> str:
        if value not in allowed:
            raise _wrong(value, " | ".join(map(str, allowed)), where)
        return cast(str, value)
    return read


_status = _choice(Status)


def _nullable(read: Read[T]) -> Read[T | None]:
    """A key always written that may be null."""
    return lambda value, where: None if value is None else read(value, where)


def _list(read: Read[T]) -> Read[tuple[T, ...]]:
    def list_of(value: object, where: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise _wrong(value, "a list", where)
        return tuple(read(v, f"{where}[{i}]") for i, v in enumerate(value))
    return list_of


def _dict(read: Read[T], key: Read[str] = _str) -> Read[dict[str, T]]:
    """An object whose keys are names (of axes, parameters, modules; each read by `key`):
    any key is known."""
    def dict_of(value: object, where: str) -> dict[str, T]:
        if not isinstance(value, dict):
            raise _wrong(value, "an object", where)
        return {key(k, where): read(v, f"{where}.{k}") for k, v in value.items()}
    return dict_of


def _object(value: object, where: str) -> Mapping[str, JSON]:
    if not isinstance(value, Mapping):
        raise _wrong(value, "an object", where)
    return cast(Mapping[str, JSON], value)


# ---------------------------------------------------------------- writing
def _json(value: object) -> JSON:
    """A field's value as JSON: a record by its `to_json`, a tuple (or a list) as a list, an
    object key by key; anything else (a string, a number, a bool, None) is JSON already."""
    if isinstance(value, _Record):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return cast(JSON, value)


# ---------------------------------------------------------------- a record, from its table
class _Record:
    """Shared by the classes below: reading and writing a class by its table `READ`.

    `READ` names every field of the class (a field it leaves out is its class's own
    business: `Localization.worst`). `to_json` writes the keys of `READ` in its order, each
    field's value by `_json`, and leaves out a field that defaults to None while it is None.
    `from_json` rejects a key that is not known (before a missing one, so a renamed key is
    named by its new name), then reads every key of `READ` with its reader: a missing key
    raises unless its field defaults to None, and such a key is never null."""

    READ: ClassVar[Mapping[str, Read[object]]]   # JSON key (a field's name) -> its reader
    KEYS: ClassVar[tuple[str, ...] | None] = None  # the keys known, when not the fields' names
    WHERE: ClassVar[str]                           # where it is read by default (`where=`)

    def __init_subclass__(cls, where: str) -> None:
        """`class Item(_Record, where="item")`: what a message names it by when `from_json`
        is not told where it reads."""
        cls.WHERE = where
        unread = set(cls.__annotations__) ^ set(cls.READ)
        if unread and not {"to_json", "from_json"} <= set(vars(cls)):
            raise TypeError(f"{cls.__name__}: the keys of READ are not its fields: {unread}")

    @classmethod
    def _absent_when_none(cls) -> frozenset[str]:
        """The keys written only when there is something to say: fields defaulting to None."""
        return frozenset(f.name for f in fields(cast(type, cls)) if f.default is None)

    def to_json(self) -> JSONObject:
        absent = self._absent_when_none()
        out: JSONObject = {}
        for key in self.READ:
            value = getattr(self, key)
            if value is not None or key not in absent:
                out[key] = _json(value)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "") -> Self:
        where = where or cls.WHERE
        d = _object(d, where)
        known = cls.KEYS if cls.KEYS is not None else tuple(
            f.name for f in fields(cast(type, cls)))
        unknown = [k for k in d if k not in known]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} in {where} (known keys: "
                             f"{', '.join(known)})")
        absent = cls._absent_when_none()
        values: dict[str, object] = {}
        for key, read in cls.READ.items():
            if key not in d:
                if key not in absent:
                    raise ValueError(f"missing key {key!r} in {where}")
            elif d[key] is None and key in absent:
                raise ValueError(f"{where}.{key}: null where the key is absent or has a value")
            else:
                values[key] = read(d[key], f"{where}.{key}")
        return cast(Callable[..., Self], cls)(**values)

    @classmethod
    def _read(cls, value: object, where: str) -> Self:
        """`from_json` as a reader of a value found at `where`."""
        return cls.from_json(_object(value, where), where)


# ---------------------------------------------------------------- small records
@dataclass(frozen=True)
class Diagnosis(_Record, where="diagnosis"):
    """A likely cause: a stable code (harness.diagnosis.causes.CODES) and what it says."""

    code: str
    message: str

    READ = {"code": _str, "message": _str}


@dataclass(frozen=True)
class OutputRef(_Record, where="caused_by"):
    """One output of an op: a finding's ``caused_by``."""

    op: str
    output: str

    READ = {"op": _str, "output": _str}


@dataclass(frozen=True)
class Dependency(_Record, where="depends_on"):
    """An op that failed on its own and was substituted in `cases` cases of an item."""

    op: str
    cases: int

    READ = {"op": _str, "cases": _int}


@dataclass(frozen=True)
class Stopped(_Record, where="stopped"):
    """An exception that stopped one step (of investigation or rendering) for one item;
    `file` and `line` the innermost frame in nnparity's code (null without a traceback)."""

    what: StoppedWhat
    stage: str
    type: str
    message: str
    file: str | None
    line: int | None

    READ = {"what": _choice(StoppedWhat), "stage": _str, "type": _str, "message": _str,
            "file": _nullable(_str), "line": _nullable(_int)}


@dataclass(frozen=True)
class Error(_Record, where="error"):
    """An exception the implementation raised (harness.sandbox.child.describe_error), or
    why nothing came back (a timeout, a crash, a protocol error: only stage, type and
    message); `stage` is "import", "forward", "backward", "run", "step 1 update", ...

    `file`, `line`, `function` and `code` (the line's text) are the innermost frame in the
    implementation's files, when there is one; `absent` the class or function a module lacks;
    `hint` what the sandbox offers instead of a missing package; `not_run` why a case was
    not run. Grading's results also write `budget` (the submission's time ran out) and
    `where` (the package or the module that did not start), never report.json."""

    stage: str
    type: str
    message: str
    not_implemented: bool | None = None
    traceback: str | None = None
    hint: str | None = None
    file: str | None = None
    line: int | None = None
    function: str | None = None
    code: str | None = None
    absent: str | None = None
    not_run: NotRun | None = None
    budget: bool | None = None
    where: str | None = None

    READ = {"stage": _str, "type": _str, "message": _str, "not_implemented": _bool,
            "traceback": _str, "hint": _str, "file": _str, "line": _int, "function": _str,
            "code": _str, "absent": _str, "not_run": _choice(NotRun), "budget": _bool,
            "where": _str}


# ---------------------------------------------------------------- localization and maps
@dataclass(frozen=True)
class Element(_Record, where="element"):
    """One element of an output: its index by named axis (``{"n": 0, "cout": 2}``) and how
    far it is off (rel_err "Infinity" where expected is 0)."""

    index: dict[str, int]
    got: Real
    expected: Real
    abs_err: Real
    rel_err: Real

    READ = {"index": _dict(_int), "got": _real, "expected": _real, "abs_err": _real,
            "rel_err": _real}


@dataclass(frozen=True)
class Localization(_Record, where="localization"):
    """Where an output is wrong: how many elements, the shapes (null when nothing came back
    to compare), and when values were compared the worst element (its keys written in this
    object itself: index, got, expected, abs_err, rel_err) and the `top` few."""

    mismatched: int
    total: int
    got_shape: tuple[int, ...] | None
    expected_shape: tuple[int, ...] | None
    worst: Element | None = None
    top: tuple[Element, ...] | None = None

    READ = {"mismatched": _int, "total": _int, "got_shape": _nullable(_list(_int)),
            "expected_shape": _nullable(_list(_int)), "top": _list(Element._read)}
    # `worst` is no key: its keys stand among the others, before `top` (which comes with them)
    WORST = ("index", "got", "expected", "abs_err", "rel_err")
    KEYS = ("mismatched", "total", "got_shape", "expected_shape", *WORST, "top")

    def to_json(self) -> JSONObject:
        out = super().to_json()
        if self.worst is not None:          # its keys, then top
            top = out.pop("top", None)
            out.update(self.worst.to_json())
            if top is not None:
                out["top"] = top
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "") -> Self:
        where = where or cls.WHERE
        loc = super().from_json(d, where)
        worst = [k for k in (*cls.WORST, "top") if k in d]
        if not worst:
            return loc
        if len(worst) < len(cls.WORST) + 1:
            missing = next(k for k in (*cls.WORST, "top") if k not in d)
            raise ValueError(f"missing key {missing!r} in {where} (the worst element's keys "
                             "and top come together)")
        return replace(loc, worst=Element.from_json({k: d[k] for k in cls.WORST}, where))


_CELLS = _list(_list(_nullable(_float)))   # a grid's rows of cells


@dataclass(frozen=True)
class Grid(_Record, where="grid"):
    """A 2-D map of where the mismatches are: `values` per (rows, cols) cell, counts or
    shares (null for a kernel tap nothing lands on), `max` what a cell can reach, and for the
    main map the largest |error| per cell (null where it is not finite)."""

    title: str
    rows: str
    cols: str
    values: tuple[tuple[float | None, ...], ...]
    max: int | float
    unit: GridUnit
    max_err: tuple[tuple[float | None, ...], ...] | None = None

    READ = {"title": _str, "rows": _str, "cols": _str, "values": _CELLS, "max": _float,
            "unit": _choice(GridUnit), "max_err": _CELLS}


@dataclass(frozen=True)
class Maps(_Record, where="maps"):
    """Where an output's mismatches are (harness.diagnosis.localize): the maps, the count
    per index of every other axis, the first wrong elements by index, and how many."""

    grids: tuple[Grid, ...]
    counts: dict[str, tuple[int, ...]]
    wrong: tuple[dict[str, int], ...]
    wrong_total: int

    READ = {"grids": _list(Grid._read), "counts": _dict(_list(_int)),
            "wrong": _list(_dict(_int)), "wrong_total": _int}


# ---------------------------------------------------------------- investigation
@dataclass(frozen=True)
class Trial(_Record, where="trial"):
    """An ablation trial: the case rerun with one factor changed (harness.diagnosis.ablation)."""

    factor: Factor
    change: str
    case_id: str
    outcome: Outcome
    detail: str

    READ = {"factor": _choice(Factor), "change": _str, "case_id": _str,
            "outcome": _choice(Outcome), "detail": _str}


def _changed(value: object, where: str) -> tuple[ParamValue | None, ParamValue]:
    pair = _list(_nullable(_param))(value, where)
    if len(pair) != 2 or pair[1] is None:
        raise _wrong(value, "[before, after]", where)
    return pair[0], pair[1]


@dataclass(frozen=True)
class Smallest(_Record, where="smallest"):
    """The smallest variant of a case that still fails the same way: how it fails, which
    parameters changed ([original, smallest]; original null for a parameter the case did not
    have), its repro command and, when small, its values."""

    case_id: str
    params: dict[str, ParamValue]
    status: Status
    kind: Kind
    message: str
    localization: Localization | None
    error: Error | None
    maps: Maps | None
    changed: dict[str, tuple[ParamValue | None, ParamValue]]
    repro: str
    inputs: dict[str, Array]
    stopped: tuple[Stopped, ...] | None = None
    got: Array | None = None
    expected: Array | None = None

    READ = {"case_id": _str, "params": _dict(_param), "status": _status, "kind": _choice(Kind),
            "message": _str, "localization": _nullable(Localization._read),
            "error": _nullable(Error._read), "maps": _nullable(Maps._read),
            "stopped": _list(Stopped._read), "changed": _dict(_changed), "repro": _str,
            "inputs": _dict(_array), "got": _array, "expected": _array}


@dataclass(frozen=True)
class Signature(_Record, where="signature"):
    """How a problem's cases fail: the status and the comparison's kind (or the exception's
    type: "ValueError"; "" when the error names none)."""

    status: Status
    kind: str

    READ = {"status": _status, "kind": _str}


@dataclass(frozen=True)
class Group(_Record, where="group"):
    """One of several problems an item's failing cases hold, investigated on its own."""

    case_id: str
    signature: Signature
    error: Error | None
    summary: str
    cases: tuple[str, ...]
    smallest: Smallest | None
    ablation: tuple[Trial, ...]
    diagnosis: tuple[Diagnosis, ...]

    READ = {"case_id": _str, "signature": Signature._read, "error": _nullable(Error._read),
            "summary": _str, "cases": _list(_str), "smallest": _nullable(Smallest._read),
            "ablation": _list(Trial._read), "diagnosis": _list(Diagnosis._read)}


@dataclass(frozen=True)
class SuspectRuns(_Record, where="runs"):
    failed: int
    passed: int

    READ = {"failed": _int, "passed": _int}


@dataclass(frozen=True)
class Suspect(_Record, where="suspect"):
    """The function of the implementation's that the failing runs point at
    (harness.diagnosis.suspects), called from `method` (or `caller`). Found by the lines the
    runs covered: `score`, `method_score` and `runs`; by the values: `how` "values" or
    "shared" and `why`."""

    file: str
    function: str
    line: int
    method: str
    score: float | None = None
    method_score: float | None = None
    runs: SuspectRuns | None = None
    how: SuspectHow | None = None
    why: str | None = None
    caller: str | None = None

    READ = {"file": _str, "function": _str, "line": _int, "score": _float, "method": _str,
            "method_score": _float, "runs": SuspectRuns._read, "how": _choice(SuspectHow),
            "why": _str, "caller": _str}


# ---------------------------------------------------------------- findings and items
@dataclass(frozen=True)
class Finding(_Record, where="finding"):
    """The first failing case of an item (of the most severe status), and for a failing item
    what investigating it found (`repro`, `smallest`, `ablation`, `groups`, `suspect`)."""

    case_id: str
    params: dict[str, ParamValue]
    status: Status
    kind: Kind
    message: str
    localization: Localization | None
    error: Error | None
    diagnosis: tuple[Diagnosis, ...]
    stdout: str
    maps: Maps | None
    stopped: tuple[Stopped, ...] | None = None
    caused_by: OutputRef | None = None
    repro: str | None = None
    smallest: Smallest | None = None
    ablation: tuple[Trial, ...] | None = None
    groups: tuple[Group, ...] | None = None
    suspect: Suspect | None = None

    READ = {"case_id": _str, "params": _dict(_param), "status": _status, "kind": _choice(Kind),
            "message": _str, "localization": _nullable(Localization._read),
            "error": _nullable(Error._read), "diagnosis": _list(Diagnosis._read),
            "stdout": _str, "maps": _nullable(Maps._read), "stopped": _list(Stopped._read),
            "caused_by": OutputRef._read, "repro": _str, "smallest": Smallest._read,
            "ablation": _list(Trial._read), "groups": _list(Group._read),
            "suspect": Suspect._read}


@dataclass(frozen=True)
class StoppedOnly(_Record, where="finding"):
    """The finding of an item that passed but could not be rendered (its summary row, say):
    only what stopped (harness.core.results.add_stopped)."""

    stopped: tuple[Stopped, ...]

    READ = {"stopped": _list(Stopped._read)}


def _finding(value: object, where: str) -> Finding | StoppedOnly:
    """An item's finding: a `StoppedOnly` when it holds nothing but ``stopped``."""
    d = _object(value, where)
    return StoppedOnly.from_json(d, where) if set(d) == {"stopped"} else \
        Finding.from_json(d, where)


@dataclass(frozen=True)
class Curve(_Record, where="curve"):
    """The loss curves of one training case (harness.core.results.curve_note): per step the
    implementation's and the reference's loss (null where not finite), the largest
    deviation and how the curves separate. It travels as a note: `CURVE_NOTE` and JSON."""

    case_id: str
    implementation: tuple[float | None, ...]
    reference: tuple[float | None, ...]
    max_deviation: float | None
    separation: str

    READ = {"case_id": _str, "implementation": _list(_nullable(_float)),
            "reference": _list(_nullable(_float)), "max_deviation": _nullable(_float),
            "separation": _str}

    def to_note(self) -> str:
        """The note the curves travel in (as harness.core.results.curve_note writes it)."""
        return CURVE_NOTE + json.dumps(self.to_json(), allow_nan=False)

    @classmethod
    def from_note(cls, note: str, where: str = "note") -> Self:
        """The curves of a note written by `to_note` (or curve_note); ValueError if the note
        is not one, or does not read back to the same text."""
        if not note.startswith(CURVE_NOTE):
            raise ValueError(f"{where}: not a training-curve note")
        try:
            data = json.loads(note[len(CURVE_NOTE):])
        except ValueError as exc:
            raise ValueError(f"{where}: a training-curve note that is not JSON: {exc}") from None
        curve = cls._read(data, where)
        if curve.to_note() != note:
            raise ValueError(f"{where}: a training-curve note written otherwise than "
                             "curve_note writes it (it would not read back the same)")
        return curve


def _note(value: object, where: str) -> str | Curve:
    """A note of an item: a `Curve` when it holds a training case's curves."""
    note = _str(value, where)
    return Curve.from_note(note, where) if note.startswith(CURVE_NOTE) else note


@dataclass(frozen=True)
class Item(_Record, where="item"):
    """One (op, output) over all its cases: the status of its most severe case, its notes
    (a training case's curves as a `Curve`), its failing case IDs, the ops substituted in
    some of its cases, and unless it passed the finding of its first failing case."""

    op: str
    output: str
    status: Status
    cases: int
    failed: int
    notes: tuple[str | Curve, ...]
    failed_cases: tuple[str, ...]
    depends_on: tuple[Dependency, ...] | None = None
    finding: Finding | StoppedOnly | None = None

    READ = {"op": _str, "output": _str, "status": _status, "cases": _int, "failed": _int,
            "notes": _list(_note), "failed_cases": _list(_str),
            "depends_on": _list(Dependency._read), "finding": _finding}

    def to_json(self) -> JSONObject:
        """A `Curve` among the notes is written back as the note it was read from."""
        out = super().to_json()
        out["notes"] = [n.to_note() if isinstance(n, Curve) else n for n in self.notes]
        return out


# ---------------------------------------------------------------- the report around them
@dataclass(frozen=True)
class Summary(_Record, where="summary"):
    """The verdict and the counts: items (op outputs) by status, distinct cases checked;
    `interrupted` when Ctrl-C stopped the check, `investigation_cut_short` when the time
    budget stopped investigating (both only ever true)."""

    verdict: Verdict
    items: int
    passed: int
    failed: int
    cases: int
    by_status: dict[Status, int]
    interrupted: bool | None = None
    investigation_cut_short: bool | None = None

    READ = {"verdict": _choice(Verdict), "items": _int, "passed": _int, "failed": _int,
            "cases": _int, "by_status": _dict(_int, key=_status), "interrupted": _bool,
            "investigation_cut_short": _bool}


@dataclass(frozen=True)
class ModuleSource(_Record, where="module"):
    """Where a module of the package came from when checked, and why; `file`: where it is
    below the package, when that is not the module's own path (mytorch's
    nn/modules/linear.py)."""

    origin: Origin
    reason: str
    file: str | None = None

    READ = {"origin": _choice(Origin), "reason": _str, "file": _str}


@dataclass(frozen=True)
class Edition(_Record, where="edition"):
    """The year's assignment the implementation was checked as, how it was chosen, the ops
    it leaves out and notes on what it covers."""

    name: str
    title: str
    source: EditionSource
    evidence: str
    leaves_out: tuple[str, ...]
    notes: tuple[str, ...]

    READ = {"name": _str, "title": _str, "source": _choice(EditionSource), "evidence": _str,
            "leaves_out": _list(_str), "notes": _list(_str)}


@dataclass(frozen=True)
class SkippedOp(_Record, where="skipped"):
    """An op not checked: why (its edition does not ask for it, its module is the course's
    starter code, it is optional, the implementation does not define it) and the reason."""

    op: str
    reason: str
    why: SkipWhy

    READ = {"op": _str, "reason": _str, "why": _choice(SkipWhy)}


@dataclass(frozen=True)
class Frame(_Record, where="frame"):
    """One frame of an exception's traceback in the implementation's files."""

    file: str
    line: int
    function: str

    READ = {"file": _str, "line": _int, "function": _str}


@dataclass(frozen=True)
class FixRef(_Record, where="ref"):
    """An item a fix-list entry names: its root (``checked`` false when the report does not
    hold it) or one it explains (``relation`` to the root). Grading's tests add ``test``."""

    op: str
    output: str
    test: str | None = None
    relation: Relation | None = None
    checked: bool | None = None

    READ = {"op": _str, "output": _str, "test": _str, "relation": _choice(Relation),
            "checked": _bool}


@dataclass(frozen=True)
class FixEntry(_Record, where="fix_list"):
    """One root cause of the fix list (harness.diagnosis.fixlist): what it is, what to open
    (`file`, `line` and `function` null when unknown; `frames` for an exception), why its
    items are grouped, its root and every item it explains (the root first); `group` when
    the root is one of several problems of one item."""

    problem: int
    code: str
    title: str
    message: str
    open: str
    file: str | None
    line: int | None
    function: str | None
    why: str
    root: FixRef
    items: tuple[FixRef, ...]
    frames: tuple[Frame, ...] | None = None
    group: int | None = None

    READ = {"problem": _int, "code": _str, "title": _str, "message": _str, "open": _str,
            "file": _nullable(_str), "line": _nullable(_int), "function": _nullable(_str),
            "frames": _list(Frame._read), "why": _str, "root": FixRef._read,
            "items": _list(FixRef._read), "group": _int}


@dataclass(frozen=True)
class Report(_Record, where="report"):
    """report.json. `api`, `modules`, `edition` and `skipped` are written by
    `nnparity check` (not all by `repro` and the pytest plugin), `fix_list` with the report
    files, `notes` only when a report file, or a part of one that is no item's, could not be
    rendered."""

    impl: str
    seed: int
    profile: str
    tolerance: str
    cases_per_op: int
    summary: Summary
    results: tuple[Item, ...]
    edition: Edition | None = None
    skipped: tuple[SkippedOp, ...] | None = None
    modules: dict[str, ModuleSource] | None = None
    api: str | None = None
    fix_list: tuple[FixEntry, ...] | None = None
    notes: tuple[str, ...] | None = None

    READ = {"impl": _str, "seed": _int, "profile": _str, "tolerance": _str,
            "cases_per_op": _int, "summary": Summary._read, "results": _list(Item._read),
            "edition": Edition._read, "skipped": _list(SkippedOp._read),
            "modules": _dict(ModuleSource._read), "api": _str,
            "fix_list": _list(FixEntry._read), "notes": _list(_str)}
