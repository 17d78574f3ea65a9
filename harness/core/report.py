"""The JSON report as types: frozen dataclasses that read and write report.json exactly.

`Report.from_json(d)` reads the dict of the report that `nnparity check --json FILE` writes
(and report.json in every report directory, `nnparity.check(...).json`, the pytest plugin's
``--parity-report``); `to_json()` gives the same dict back: ``Report.from_json(d).to_json()
== d`` for every report nnparity writes, and ``Report.from_json(r.to_json()) == r``. Every
class reads and writes its own part the same way (`Finding.from_json(item["finding"])`).

What each key means is documented where it is written (`harness.core.results`, which builds
the report, the investigation's `investigate`, `harness.diagnosis.fixlist`) and in
docs/json-report.md.
Here only its type, and how it is present:

- a key always written is a field without a default (``X | None`` when it may be null:
  ``localization``, ``error`` and ``maps`` of a finding, say);
- a key written only when there is something to say is a field defaulting to None: None
  means absent, and stays absent when written (such a key is never null in the JSON);
- a list is a tuple; arrays of numbers (a small case's inputs, got and expected) stay nested
  lists (`Array`), and NaN and ±Inf are the strings strict JSON writes them as (`Real`);
- a training case's loss curves travel as a note of its item (`CURVE_NOTE` and JSON): such a
  note is read as a `Curve` and written back as the same string.

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
from dataclasses import dataclass, fields
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


def _choice(options: object) -> Callable[[object, str], str]:
    """A reader of one of the strings of a Literal alias."""
    allowed = get_args(options)

    def read(value: object, where: str) -> str:
        if value not in allowed:
            raise _wrong(value, " | ".join(map(str, allowed)), where)
        return cast(str, value)
    return read


def _status(value: object, where: str) -> Status:
    return cast(Status, _choice(Status)(value, where))


def _nullable(read: Read[T]) -> Read[T | None]:
    """A key always written that may be null."""
    return lambda value, where: None if value is None else read(value, where)


def _list(read: Read[T]) -> Read[tuple[T, ...]]:
    def list_of(value: object, where: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise _wrong(value, "a list", where)
        return tuple(read(v, f"{where}[{i}]") for i, v in enumerate(value))
    return list_of


def _dict(read: Read[T]) -> Read[dict[str, T]]:
    """An object whose keys are names (of axes, parameters, modules): any key is known."""
    def dict_of(value: object, where: str) -> dict[str, T]:
        if not isinstance(value, dict):
            raise _wrong(value, "an object", where)
        return {_str(k, where): read(v, f"{where}.{k}") for k, v in value.items()}
    return dict_of


class _Record:
    """Shared by the classes below: the JSON keys a class knows and reading them."""

    KEYS: ClassVar[tuple[str, ...] | None] = None   # when they are not the fields' names

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return cls.KEYS if cls.KEYS is not None else tuple(
            f.name for f in fields(cast(type, cls)))

    def to_json(self) -> JSONObject:
        raise NotImplementedError

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "") -> Self:
        raise NotImplementedError

    @classmethod
    def _read(cls, value: object, where: str) -> Self:
        """`from_json` as a reader of a value found at `where`."""
        return cls.from_json(_object(value, where), where)

    @classmethod
    def _reader(cls, d: Mapping[str, JSON], where: str) -> _Reader:
        return _Reader(d, where, cls._keys())


def _object(value: object, where: str) -> Mapping[str, JSON]:
    if not isinstance(value, dict):
        raise _wrong(value, "an object", where)
    return cast(Mapping[str, JSON], value)


class _Reader:
    """One JSON object being read: a key it does not know raises at once (before a missing
    one, so a renamed key is named by its new name)."""

    def __init__(self, d: Mapping[str, JSON], where: str, known: tuple[str, ...]) -> None:
        if not isinstance(d, Mapping):
            raise _wrong(d, "an object", where)
        unknown = [k for k in d if k not in known]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} in {where} (known keys: "
                             f"{', '.join(known)})")
        self.d, self.where = d, where

    def req(self, key: str, read: Read[T]) -> T:
        """A key always written."""
        if key not in self.d:
            raise ValueError(f"missing key {key!r} in {self.where}")
        return read(self.d[key], f"{self.where}.{key}")

    def opt(self, key: str, read: Read[T]) -> T | None:
        """A key written only when there is something to say (never null): None if absent."""
        if key not in self.d:
            return None
        if self.d[key] is None:
            raise ValueError(f"{self.where}.{key}: null where the key is absent or has a value")
        return read(self.d[key], f"{self.where}.{key}")


def _put(out: dict[str, JSON], key: str, value: JSON | None) -> None:
    """An optional key: written when it has a value."""
    if value is not None:
        out[key] = value


def _shape(shape: tuple[int, ...] | None) -> JSON:
    return None if shape is None else list(shape)


def _array_json(value: Array) -> JSON:
    return [_array_json(v) for v in value] if isinstance(value, list) else value


def _param_json(value: ParamValue) -> JSON:
    return list(value) if isinstance(value, tuple) else value


# ---------------------------------------------------------------- small records
@dataclass(frozen=True)
class Diagnosis(_Record):
    """A likely cause: a stable code (harness.diagnosis.causes.CODES) and what it says."""

    code: str
    message: str

    def to_json(self) -> JSONObject:
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "diagnosis") -> Self:
        r = cls._reader(d, where)
        return cls(code=r.req("code", _str), message=r.req("message", _str))


@dataclass(frozen=True)
class OutputRef(_Record):
    """One output of an op: a finding's ``caused_by``."""

    op: str
    output: str

    def to_json(self) -> JSONObject:
        return {"op": self.op, "output": self.output}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "caused_by") -> Self:
        r = cls._reader(d, where)
        return cls(op=r.req("op", _str), output=r.req("output", _str))


@dataclass(frozen=True)
class Dependency(_Record):
    """An op that failed on its own and was substituted in `cases` cases of an item."""

    op: str
    cases: int

    def to_json(self) -> JSONObject:
        return {"op": self.op, "cases": self.cases}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "depends_on") -> Self:
        r = cls._reader(d, where)
        return cls(op=r.req("op", _str), cases=r.req("cases", _int))


@dataclass(frozen=True)
class Stopped(_Record):
    """An exception that stopped one step (of investigation or rendering) for one item;
    `file` and `line` the innermost frame in nnparity's code (null without a traceback)."""

    what: StoppedWhat
    stage: str
    type: str
    message: str
    file: str | None
    line: int | None

    def to_json(self) -> JSONObject:
        return {"what": self.what, "stage": self.stage, "type": self.type,
                "message": self.message, "file": self.file, "line": self.line}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "stopped") -> Self:
        r = cls._reader(d, where)
        return cls(what=cast(StoppedWhat, r.req("what", _choice(StoppedWhat))),
                   stage=r.req("stage", _str), type=r.req("type", _str),
                   message=r.req("message", _str), file=r.req("file", _nullable(_str)),
                   line=r.req("line", _nullable(_int)))


@dataclass(frozen=True)
class Error(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"stage": self.stage, "type": self.type, "message": self.message}
        _put(out, "not_implemented", self.not_implemented)
        _put(out, "traceback", self.traceback)
        _put(out, "hint", self.hint)
        _put(out, "file", self.file)
        _put(out, "line", self.line)
        _put(out, "function", self.function)
        _put(out, "code", self.code)
        _put(out, "absent", self.absent)
        _put(out, "not_run", self.not_run)
        _put(out, "budget", self.budget)
        _put(out, "where", self.where)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "error") -> Self:
        r = cls._reader(d, where)
        return cls(stage=r.req("stage", _str), type=r.req("type", _str),
                   message=r.req("message", _str),
                   not_implemented=r.opt("not_implemented", _bool),
                   traceback=r.opt("traceback", _str), hint=r.opt("hint", _str),
                   file=r.opt("file", _str), line=r.opt("line", _int),
                   function=r.opt("function", _str), code=r.opt("code", _str),
                   absent=r.opt("absent", _str),
                   not_run=cast(NotRun | None, r.opt("not_run", _choice(NotRun))),
                   budget=r.opt("budget", _bool), where=r.opt("where", _str))


# ---------------------------------------------------------------- localization and maps
@dataclass(frozen=True)
class Element(_Record):
    """One element of an output: its index by named axis (``{"n": 0, "cout": 2}``) and how
    far it is off (rel_err "Infinity" where expected is 0)."""

    index: dict[str, int]
    got: Real
    expected: Real
    abs_err: Real
    rel_err: Real

    def to_json(self) -> JSONObject:
        return {"index": dict(self.index), "got": self.got, "expected": self.expected,
                "abs_err": self.abs_err, "rel_err": self.rel_err}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "element") -> Self:
        r = cls._reader(d, where)
        return cls(index=r.req("index", _dict(_int)), got=r.req("got", _real),
                   expected=r.req("expected", _real), abs_err=r.req("abs_err", _real),
                   rel_err=r.req("rel_err", _real))


@dataclass(frozen=True)
class Localization(_Record):
    """Where an output is wrong: how many elements, the shapes (null when nothing came back
    to compare), and when values were compared the worst element (its keys written in this
    object itself: index, got, expected, abs_err, rel_err) and the `top` few."""

    mismatched: int
    total: int
    got_shape: tuple[int, ...] | None
    expected_shape: tuple[int, ...] | None
    worst: Element | None = None
    top: tuple[Element, ...] | None = None

    KEYS = ("mismatched", "total", "got_shape", "expected_shape", "index", "got", "expected",
            "abs_err", "rel_err", "top")
    WORST = ("index", "got", "expected", "abs_err", "rel_err")

    def to_json(self) -> JSONObject:
        out: JSONObject = {"mismatched": self.mismatched, "total": self.total,
                           "got_shape": _shape(self.got_shape),
                           "expected_shape": _shape(self.expected_shape)}
        if self.worst is not None:
            out.update(self.worst.to_json())
        _put(out, "top", None if self.top is None else [e.to_json() for e in self.top])
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "localization") -> Self:
        r = cls._reader(d, where)
        worst = [k for k in (*cls.WORST, "top") if k in d]
        if worst and len(worst) < len(cls.WORST) + 1:
            missing = next(k for k in (*cls.WORST, "top") if k not in d)
            raise ValueError(f"missing key {missing!r} in {where} (the worst element's keys "
                             "and top come together)")
        shape = _nullable(_list(_int))
        return cls(mismatched=r.req("mismatched", _int), total=r.req("total", _int),
                   got_shape=r.req("got_shape", shape),
                   expected_shape=r.req("expected_shape", shape),
                   worst=Element.from_json({k: d[k] for k in cls.WORST}, where)
                   if worst else None,
                   top=r.opt("top", _list(Element._read)))


@dataclass(frozen=True)
class Grid(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"title": self.title, "rows": self.rows, "cols": self.cols,
                           "values": [list(row) for row in self.values], "max": self.max,
                           "unit": self.unit}
        _put(out, "max_err", None if self.max_err is None else
             [list(row) for row in self.max_err])
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "grid") -> Self:
        r = cls._reader(d, where)
        cells = _list(_list(_nullable(_float)))
        return cls(title=r.req("title", _str), rows=r.req("rows", _str),
                   cols=r.req("cols", _str), values=r.req("values", cells),
                   max=r.req("max", _float), unit=cast(GridUnit, r.req("unit", _choice(GridUnit))),
                   max_err=r.opt("max_err", cells))


@dataclass(frozen=True)
class Maps(_Record):
    """Where an output's mismatches are (harness.diagnosis.localize): the maps, the count
    per index of every other axis, the first wrong elements by index, and how many."""

    grids: tuple[Grid, ...]
    counts: dict[str, tuple[int, ...]]
    wrong: tuple[dict[str, int], ...]
    wrong_total: int

    def to_json(self) -> JSONObject:
        return {"grids": [g.to_json() for g in self.grids],
                "counts": {k: list(v) for k, v in self.counts.items()},
                "wrong": [dict(w) for w in self.wrong], "wrong_total": self.wrong_total}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "maps") -> Self:
        r = cls._reader(d, where)
        return cls(grids=r.req("grids", _list(Grid._read)),
                   counts=r.req("counts", _dict(_list(_int))),
                   wrong=r.req("wrong", _list(_dict(_int))),
                   wrong_total=r.req("wrong_total", _int))


# ---------------------------------------------------------------- investigation
@dataclass(frozen=True)
class Trial(_Record):
    """An ablation trial: the case rerun with one factor changed (harness.diagnosis.ablation)."""

    factor: Factor
    change: str
    case_id: str
    outcome: Outcome
    detail: str

    def to_json(self) -> JSONObject:
        return {"factor": self.factor, "change": self.change, "case_id": self.case_id,
                "outcome": self.outcome, "detail": self.detail}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "trial") -> Self:
        r = cls._reader(d, where)
        return cls(factor=cast(Factor, r.req("factor", _choice(Factor))),
                   change=r.req("change", _str), case_id=r.req("case_id", _str),
                   outcome=cast(Outcome, r.req("outcome", _choice(Outcome))),
                   detail=r.req("detail", _str))


def _changed(value: object, where: str) -> tuple[ParamValue | None, ParamValue]:
    pair = _list(_nullable(_param))(value, where)
    if len(pair) != 2 or pair[1] is None:
        raise _wrong(value, "[before, after]", where)
    return pair[0], pair[1]


@dataclass(frozen=True)
class Smallest(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "case_id": self.case_id,
            "params": {k: _param_json(v) for k, v in self.params.items()},
            "status": self.status, "kind": self.kind, "message": self.message,
            "localization": None if self.localization is None else self.localization.to_json(),
            "error": None if self.error is None else self.error.to_json(),
            "maps": None if self.maps is None else self.maps.to_json()}
        _put(out, "stopped", None if self.stopped is None else
             [s.to_json() for s in self.stopped])
        out["changed"] = {k: [None if a is None else _param_json(a), _param_json(b)]
                          for k, (a, b) in self.changed.items()}
        out["repro"] = self.repro
        out["inputs"] = {k: _array_json(v) for k, v in self.inputs.items()}
        _put(out, "got", None if self.got is None else _array_json(self.got))
        _put(out, "expected", None if self.expected is None else _array_json(self.expected))
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "smallest") -> Self:
        r = cls._reader(d, where)
        return cls(case_id=r.req("case_id", _str), params=r.req("params", _dict(_param)),
                   status=r.req("status", _status),
                   kind=cast(Kind, r.req("kind", _choice(Kind))),
                   message=r.req("message", _str),
                   localization=r.req("localization", _nullable(Localization._read)),
                   error=r.req("error", _nullable(Error._read)),
                   maps=r.req("maps", _nullable(Maps._read)),
                   changed=r.req("changed", _dict(_changed)), repro=r.req("repro", _str),
                   inputs=r.req("inputs", _dict(_array)),
                   stopped=r.opt("stopped", _list(Stopped._read)),
                   got=r.opt("got", _array), expected=r.opt("expected", _array))


@dataclass(frozen=True)
class Signature(_Record):
    """How a problem's cases fail: the status and the comparison's kind (or the exception's
    type: "ValueError"; "" when the error names none)."""

    status: Status
    kind: str

    def to_json(self) -> JSONObject:
        return {"status": self.status, "kind": self.kind}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "signature") -> Self:
        r = cls._reader(d, where)
        return cls(status=r.req("status", _status), kind=r.req("kind", _str))


@dataclass(frozen=True)
class Group(_Record):
    """One of several problems an item's failing cases hold, investigated on its own."""

    case_id: str
    signature: Signature
    error: Error | None
    summary: str
    cases: tuple[str, ...]
    smallest: Smallest | None
    ablation: tuple[Trial, ...]
    diagnosis: tuple[Diagnosis, ...]

    def to_json(self) -> JSONObject:
        return {"case_id": self.case_id, "signature": self.signature.to_json(),
                "error": None if self.error is None else self.error.to_json(),
                "summary": self.summary, "cases": list(self.cases),
                "smallest": None if self.smallest is None else self.smallest.to_json(),
                "ablation": [t.to_json() for t in self.ablation],
                "diagnosis": [c.to_json() for c in self.diagnosis]}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "group") -> Self:
        r = cls._reader(d, where)
        return cls(case_id=r.req("case_id", _str),
                   signature=r.req("signature", Signature._read),
                   error=r.req("error", _nullable(Error._read)),
                   summary=r.req("summary", _str), cases=r.req("cases", _list(_str)),
                   smallest=r.req("smallest", _nullable(Smallest._read)),
                   ablation=r.req("ablation", _list(Trial._read)),
                   diagnosis=r.req("diagnosis", _list(Diagnosis._read)))


@dataclass(frozen=True)
class SuspectRuns(_Record):
    failed: int
    passed: int

    def to_json(self) -> JSONObject:
        return {"failed": self.failed, "passed": self.passed}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "runs") -> Self:
        r = cls._reader(d, where)
        return cls(failed=r.req("failed", _int), passed=r.req("passed", _int))


@dataclass(frozen=True)
class Suspect(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"file": self.file, "function": self.function, "line": self.line}
        _put(out, "score", self.score)
        out["method"] = self.method
        _put(out, "method_score", self.method_score)
        _put(out, "runs", None if self.runs is None else self.runs.to_json())
        _put(out, "how", self.how)
        _put(out, "why", self.why)
        _put(out, "caller", self.caller)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "suspect") -> Self:
        r = cls._reader(d, where)
        return cls(file=r.req("file", _str), function=r.req("function", _str),
                   line=r.req("line", _int), method=r.req("method", _str),
                   score=r.opt("score", _float), method_score=r.opt("method_score", _float),
                   runs=r.opt("runs", SuspectRuns._read),
                   how=cast(SuspectHow | None, r.opt("how", _choice(SuspectHow))),
                   why=r.opt("why", _str), caller=r.opt("caller", _str))


# ---------------------------------------------------------------- findings and items
@dataclass(frozen=True)
class Finding(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "case_id": self.case_id,
            "params": {k: _param_json(v) for k, v in self.params.items()},
            "status": self.status, "kind": self.kind, "message": self.message,
            "localization": None if self.localization is None else self.localization.to_json(),
            "error": None if self.error is None else self.error.to_json(),
            "diagnosis": [c.to_json() for c in self.diagnosis], "stdout": self.stdout,
            "maps": None if self.maps is None else self.maps.to_json()}
        _put(out, "stopped", None if self.stopped is None else
             [s.to_json() for s in self.stopped])
        _put(out, "caused_by", None if self.caused_by is None else self.caused_by.to_json())
        _put(out, "repro", self.repro)
        _put(out, "smallest", None if self.smallest is None else self.smallest.to_json())
        _put(out, "ablation", None if self.ablation is None else
             [t.to_json() for t in self.ablation])
        _put(out, "groups", None if self.groups is None else [g.to_json() for g in self.groups])
        _put(out, "suspect", None if self.suspect is None else self.suspect.to_json())
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "finding") -> Self:
        r = cls._reader(d, where)
        return cls(case_id=r.req("case_id", _str), params=r.req("params", _dict(_param)),
                   status=r.req("status", _status),
                   kind=cast(Kind, r.req("kind", _choice(Kind))),
                   message=r.req("message", _str),
                   localization=r.req("localization", _nullable(Localization._read)),
                   error=r.req("error", _nullable(Error._read)),
                   diagnosis=r.req("diagnosis", _list(Diagnosis._read)),
                   stdout=r.req("stdout", _str), maps=r.req("maps", _nullable(Maps._read)),
                   stopped=r.opt("stopped", _list(Stopped._read)),
                   caused_by=r.opt("caused_by", OutputRef._read),
                   repro=r.opt("repro", _str), smallest=r.opt("smallest", Smallest._read),
                   ablation=r.opt("ablation", _list(Trial._read)),
                   groups=r.opt("groups", _list(Group._read)),
                   suspect=r.opt("suspect", Suspect._read))


@dataclass(frozen=True)
class StoppedOnly(_Record):
    """The finding of an item that passed but could not be rendered (its summary row, say):
    only what stopped (harness.core.results.add_stopped)."""

    stopped: tuple[Stopped, ...]

    def to_json(self) -> JSONObject:
        return {"stopped": [s.to_json() for s in self.stopped]}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "finding") -> Self:
        r = cls._reader(d, where)
        return cls(stopped=r.req("stopped", _list(Stopped._read)))


def _finding(value: object, where: str) -> Finding | StoppedOnly:
    d = _object(value, where)
    return StoppedOnly.from_json(d, where) if set(d) == {"stopped"} else \
        Finding.from_json(d, where)


@dataclass(frozen=True)
class Curve(_Record):
    """The loss curves of one training case (harness.core.results.curve_note): per step the
    implementation's and the reference's loss (null where not finite), the largest
    deviation and how the curves separate. It travels as a note: `CURVE_NOTE` and JSON."""

    case_id: str
    implementation: tuple[float | None, ...]
    reference: tuple[float | None, ...]
    max_deviation: float | None
    separation: str

    def to_json(self) -> JSONObject:
        return {"case_id": self.case_id, "implementation": list(self.implementation),
                "reference": list(self.reference), "max_deviation": self.max_deviation,
                "separation": self.separation}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "curve") -> Self:
        r = cls._reader(d, where)
        losses = _list(_nullable(_float))
        return cls(case_id=r.req("case_id", _str),
                   implementation=r.req("implementation", losses),
                   reference=r.req("reference", losses),
                   max_deviation=r.req("max_deviation", _nullable(_float)),
                   separation=r.req("separation", _str))

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
    note = _str(value, where)
    return Curve.from_note(note, where) if note.startswith(CURVE_NOTE) else note


@dataclass(frozen=True)
class Item(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "op": self.op, "output": self.output, "status": self.status,
            "cases": self.cases, "failed": self.failed,
            "notes": [n.to_note() if isinstance(n, Curve) else n for n in self.notes],
            "failed_cases": list(self.failed_cases)}
        _put(out, "depends_on", None if self.depends_on is None else
             [x.to_json() for x in self.depends_on])
        _put(out, "finding", None if self.finding is None else self.finding.to_json())
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "item") -> Self:
        r = cls._reader(d, where)
        return cls(op=r.req("op", _str), output=r.req("output", _str),
                   status=r.req("status", _status), cases=r.req("cases", _int),
                   failed=r.req("failed", _int), notes=r.req("notes", _list(_note)),
                   failed_cases=r.req("failed_cases", _list(_str)),
                   depends_on=r.opt("depends_on", _list(Dependency._read)),
                   finding=r.opt("finding", _finding))


# ---------------------------------------------------------------- the report around them
@dataclass(frozen=True)
class Summary(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"verdict": self.verdict, "items": self.items, "passed": self.passed,
                           "failed": self.failed, "cases": self.cases,
                           "by_status": {k: n for k, n in self.by_status.items()}}
        _put(out, "interrupted", self.interrupted)
        _put(out, "investigation_cut_short", self.investigation_cut_short)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "summary") -> Self:
        r = cls._reader(d, where)
        by_status = r.req("by_status", _dict(_int))
        for status in by_status:
            _status(status, f"{where}.by_status")
        return cls(verdict=cast(Verdict, r.req("verdict", _choice(Verdict))),
                   items=r.req("items", _int), passed=r.req("passed", _int),
                   failed=r.req("failed", _int), cases=r.req("cases", _int),
                   by_status=cast(dict[Status, int], by_status),
                   interrupted=r.opt("interrupted", _bool),
                   investigation_cut_short=r.opt("investigation_cut_short", _bool))


@dataclass(frozen=True)
class ModuleSource(_Record):
    """Where a module of the package came from when checked, and why."""

    origin: Origin
    reason: str

    def to_json(self) -> JSONObject:
        return {"origin": self.origin, "reason": self.reason}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "module") -> Self:
        r = cls._reader(d, where)
        return cls(origin=cast(Origin, r.req("origin", _choice(Origin))),
                   reason=r.req("reason", _str))


@dataclass(frozen=True)
class Edition(_Record):
    """The year's assignment the implementation was checked as, how it was chosen, the ops
    it leaves out and notes on what it covers."""

    name: str
    title: str
    source: EditionSource
    evidence: str
    leaves_out: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self) -> JSONObject:
        return {"name": self.name, "title": self.title, "source": self.source,
                "evidence": self.evidence, "leaves_out": list(self.leaves_out),
                "notes": list(self.notes)}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "edition") -> Self:
        r = cls._reader(d, where)
        return cls(name=r.req("name", _str), title=r.req("title", _str),
                   source=cast(EditionSource, r.req("source", _choice(EditionSource))),
                   evidence=r.req("evidence", _str),
                   leaves_out=r.req("leaves_out", _list(_str)),
                   notes=r.req("notes", _list(_str)))


@dataclass(frozen=True)
class SkippedOp(_Record):
    """An op not checked: why (its edition does not ask for it, its module is the course's
    starter code, it is optional, the implementation does not define it) and the reason."""

    op: str
    reason: str
    why: SkipWhy

    def to_json(self) -> JSONObject:
        return {"op": self.op, "reason": self.reason, "why": self.why}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "skipped") -> Self:
        r = cls._reader(d, where)
        return cls(op=r.req("op", _str), reason=r.req("reason", _str),
                   why=cast(SkipWhy, r.req("why", _choice(SkipWhy))))


@dataclass(frozen=True)
class Frame(_Record):
    """One frame of an exception's traceback in the implementation's files."""

    file: str
    line: int
    function: str

    def to_json(self) -> JSONObject:
        return {"file": self.file, "line": self.line, "function": self.function}

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "frame") -> Self:
        r = cls._reader(d, where)
        return cls(file=r.req("file", _str), line=r.req("line", _int),
                   function=r.req("function", _str))


@dataclass(frozen=True)
class FixRef(_Record):
    """An item a fix-list entry names: its root (``checked`` false when the report does not
    hold it) or one it explains (``relation`` to the root). Grading's tests add ``test``."""

    op: str
    output: str
    test: str | None = None
    relation: Relation | None = None
    checked: bool | None = None

    def to_json(self) -> JSONObject:
        out: JSONObject = {"op": self.op, "output": self.output}
        _put(out, "test", self.test)
        _put(out, "relation", self.relation)
        _put(out, "checked", self.checked)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "ref") -> Self:
        r = cls._reader(d, where)
        return cls(op=r.req("op", _str), output=r.req("output", _str),
                   test=r.opt("test", _str),
                   relation=cast(Relation | None, r.opt("relation", _choice(Relation))),
                   checked=r.opt("checked", _bool))


@dataclass(frozen=True)
class FixEntry(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"problem": self.problem, "code": self.code, "title": self.title,
                           "message": self.message, "open": self.open, "file": self.file,
                           "line": self.line, "function": self.function}
        _put(out, "frames", None if self.frames is None else [f.to_json() for f in self.frames])
        out.update(why=self.why, root=self.root.to_json(),
                   items=[i.to_json() for i in self.items])
        _put(out, "group", self.group)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "fix_list") -> Self:
        r = cls._reader(d, where)
        return cls(problem=r.req("problem", _int), code=r.req("code", _str),
                   title=r.req("title", _str), message=r.req("message", _str),
                   open=r.req("open", _str), file=r.req("file", _nullable(_str)),
                   line=r.req("line", _nullable(_int)),
                   function=r.req("function", _nullable(_str)), why=r.req("why", _str),
                   root=r.req("root", FixRef._read), items=r.req("items", _list(FixRef._read)),
                   frames=r.opt("frames", _list(Frame._read)), group=r.opt("group", _int))


@dataclass(frozen=True)
class Report(_Record):
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

    def to_json(self) -> JSONObject:
        out: JSONObject = {"impl": self.impl, "seed": self.seed, "profile": self.profile,
                           "tolerance": self.tolerance, "cases_per_op": self.cases_per_op,
                           "summary": self.summary.to_json(),
                           "results": [i.to_json() for i in self.results]}
        _put(out, "edition", None if self.edition is None else self.edition.to_json())
        _put(out, "skipped", None if self.skipped is None else
             [s.to_json() for s in self.skipped])
        _put(out, "modules", None if self.modules is None else
             {k: m.to_json() for k, m in self.modules.items()})
        _put(out, "api", self.api)
        _put(out, "fix_list", None if self.fix_list is None else
             [e.to_json() for e in self.fix_list])
        _put(out, "notes", None if self.notes is None else list(self.notes))
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, JSON], where: str = "report") -> Self:
        r = cls._reader(d, where)
        return cls(impl=r.req("impl", _str), seed=r.req("seed", _int),
                   profile=r.req("profile", _str), tolerance=r.req("tolerance", _str),
                   cases_per_op=r.req("cases_per_op", _int),
                   summary=r.req("summary", Summary._read),
                   results=r.req("results", _list(Item._read)),
                   edition=r.opt("edition", Edition._read),
                   skipped=r.opt("skipped", _list(SkippedOp._read)),
                   modules=r.opt("modules", _dict(ModuleSource._read)),
                   api=r.opt("api", _str), fix_list=r.opt("fix_list", _list(FixEntry._read)),
                   notes=r.opt("notes", _list(_str)))
