"""Results: one JSON record per verdict (`harness.check.findings.record`), aggregated per
(op, output) into the JSON report.

Records are plain dicts so that pytest-xdist workers can send them to the controller and
the report can be merged from any number of processes. The report schema (``report.json``):

    {"impl": str, "seed": int, "profile": str, "tolerance": str, "cases_per_op": int,
     "summary": {"verdict": "pass"|"fail", "items": int, "passed": int, "failed": int,
                 "cases": int, "by_status": {status: count}},
     "results": [{"op", "output", "status", "cases", "failed", "notes": [str],
                  "failed_cases": [case_id, ...],
                  "finding": {...} | absent when the item passed}],
     "fix_list": [{...}]  (the distinct root causes, below; written with the report files),
     "notes": [str]  (only when a report file, or a part of one that is no item's, such as
                      the whole-model section, could not be rendered)}

``fix_list`` (`harness.diagnosis.fixlist`, computed when the report is rendered) groups the failing
items into root causes, in the order to fix them (import errors first, then the registry's
order: activations before layers, forward before the gradients): one entry per cause with
``problem`` (1, 2, ...), ``code``, ``title`` and ``message`` (what the root cause is: the
missing class or method, the stub's methods, the exception, else the root's top diagnosis),
``open``, ``file``, ``line`` and ``function`` (the function that holds the bug: the raising
frame in the implementation's files, the stub's own methods, the module that lacks the class,
else the op's module and method, "neural_networks/activations.py · Sigmoid.backward"),
``why`` (what groups the items: the same import error, missing class, stub or exception site,
a ``caused_by`` pointer, ...), ``root`` (``{op, output}``; ``checked: false`` when the report
does not hold it) and ``items`` (every ``{op, output}`` it explains, root first; each other
one with ``relation``: "same bug" as the root, or "caused by" it). A finding that holds
several bugs (``groups``) gives one entry per group.

A finding (the first failing case of the item): ``case_id``, ``params``, ``status``,
``kind``, ``message``, ``localization`` (``index`` by named axis, ``got``, ``expected``,
``abs_err``, ``rel_err``, ``mismatched``, ``total``, ``top`` and the shapes; null when
nothing could be compared), ``error`` (the exception and its place in the implementation's
files, or null), ``diagnosis``, a list of ``{code, message}``, most likely first (codes:
`harness.diagnosis.causes.CODES`), ``stdout`` (what the implementation printed), ``maps`` (where
the mismatches are, see `harness.diagnosis.localize`; null unless the shapes match),
``caused_by`` (``{op, output}``, only for an output never computed because the call of another
output of the same case raised first: a network's step 2 forward after step 1's update raised)
and, when a step stopped on an exception, ``stopped`` (below).

`harness.check.investigate` adds to the findings of failing items (``nnparity check``, ``repro``
and ``pytest --parity-report``):

- ``repro``: the command that reruns the case;
- ``smallest``: the smallest variant that still fails the same way, with ``case_id``,
  ``params``, ``changed`` (parameter -> [original, smallest]), ``status``, ``kind``,
  ``message``, ``localization``, ``error``, ``maps``, ``repro`` and, when they are small,
  ``inputs``, ``got`` and ``expected`` (nested lists);
- ``ablation``: one ``{factor, change, case_id, outcome, detail}`` per factor changed on
  its own (outcome pass | same | different | unknown); factor ``scale`` when the output is a
  constant multiple of the expected one: m, kh, kw, ... changed one at a time, the factor
  measured on the variant in ``detail`` ("factor 3", `harness.diagnosis.factors`);
- ``diagnosis`` re-ranked with the causes that shrinking, ablation and blame found;
- ``groups`` (only when the item's failing cases hold more than one problem): one entry per
  problem, the finding's own first, each ``{case_id, signature: {status, kind}, error,
  summary, cases: [case_id, ...], smallest, ablation, diagnosis}`` (``error``, ``smallest``,
  ``ablation`` and ``diagnosis`` as above, for that problem's own case; ``kind`` is the
  comparison's kind or the exception's type). The cases are grouped by signature and,
  within one, by whether the change that fixes a group's case fixes each member; a case that
  shows two problems is in both. The item's ``notes`` then say "2 separate problems in conv2d
  dX: 1. ...".

The report is never lost to nnparity's own bugs: an exception while diagnosing, investigating
or rendering one item is caught, that step is skipped (the rest of the item, the other items,
the verdicts and all three report files are still produced) and the finding gets a
``stopped`` entry ``{what, stage, type, message, file, line}`` (``what`` is investigation |
rendering; ``file`` and ``line`` the innermost frame in nnparity's or the implementation's
code), echoed in the item's ``notes`` as "investigation stopped (shrinking): ValueError: ...
at harness/core/cases.py:437". An item investigation skipped for another reason (its case passed
when rerun, the budget was spent) says so in ``notes`` too.
"""

from __future__ import annotations

import json
import math
import traceback
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, cast

import numpy as np

from harness.core.cases import Case
from harness.core.registry import APIS, api_of, default_api
from harness.core.report import JSON, Curve, JSONObject

STATUS_PRECEDENCE = ("fail", "error", "timeout", "not_implemented")
# A value that is JSON once its tuples are lists (a case's parameter, a shape): `jsonable`'s.
Tupled: TypeAlias = "JSON | tuple[Tupled, ...]"


def strict_json(obj: object, indent: int | None = 2) -> str:
    """JSON text that every parser accepts: NaN and ±Inf (which an implementation may return)
    become the strings "NaN", "Infinity" and "-Infinity"; NumPy values become plain numbers
    and lists, anything else its str(), so that writing the report never fails."""
    def clean(x: object) -> JSON:
        if isinstance(x, np.generic | np.ndarray):
            x = x.tolist()
        if isinstance(x, float) and not math.isfinite(x):
            return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        if x is None or isinstance(x, str | int | float | bool):
            return x
        return str(x)
    return json.dumps(clean(obj), indent=indent, allow_nan=False)


def jsonable(value: Tupled) -> JSON:
    """Tuples (shapes, kernel sizes) as lists, the way JSON holds them."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- stopped steps
ROOT = Path(__file__).resolve().parents[2]
OWN_CODE = ("harness", "reference", "student_nn", "tests")


def _where(exc: BaseException) -> tuple[str | None, int | None]:
    """(file, line) of the innermost frame in this repository's code, else the innermost."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None, None
    ours = [f for f in frames if _relative(f.filename).split("/")[0] in OWN_CODE]
    frame = (ours or frames)[-1]
    return _relative(frame.filename), frame.lineno


def _relative(filename: str) -> str:
    path = Path(filename).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def stopped(what: str, stage: str, exc: BaseException) -> JSONObject:
    """The JSON record of an exception that stopped one step (`what`: investigation |
    rendering; `stage`: shrinking, ablation, patterns, maps, ...) for one item."""
    file, line = _where(exc)
    return {"what": what, "stage": stage, "type": type(exc).__name__,
            "message": " ".join(str(exc).split())[:300], "file": file, "line": line}


def stopped_note(s: Mapping[str, JSON]) -> str:
    """'investigation stopped (shrinking): ValueError: ... at harness/core/cases.py:437'."""
    where = f" at {s['file']}:{s['line']}" if s.get("file") else ""
    return f"{s['what']} stopped ({s['stage']}): {s['type']}: {s['message']}{where}"


def add_stopped(item: JSONObject, record: JSONObject) -> None:
    """Keep `record` on the item's finding and its note in the item's notes (once)."""
    # (the report's schema: an item's finding is an object, its stopped and notes lists)
    finding_ = cast(JSONObject, item.setdefault("finding", {}))
    records = cast(list[JSON], finding_.setdefault("stopped", []))
    if record not in records:
        records.append(record)
    note = stopped_note(record)
    notes = cast(list[JSON], item.setdefault("notes", []))
    if note not in notes:
        notes.append(note)


def add_note(item: JSONObject, note: str) -> None:
    notes = cast(list[JSON], item.setdefault("notes", []))   # an item's notes: a list
    if note not in notes:
        notes.append(note)


def repro_command(case_id: str, impl: str) -> str:
    """The shell command that reruns one case of `impl` (with its adapter file, for an op of
    a user-declared API: the case ID names the API, the file declares it)."""
    api = APIS.get(api_of(case_id))
    bundled = {str(default_api().bundled), str(api.bundled) if api and api.bundled else ""}
    impl_opt = "" if impl in bundled else f" --impl '{impl}'"
    api_opt = f" --api '{api.adapter}'" if api and api.adapter else ""
    return f"nnparity repro '{case_id}'{impl_opt}{api_opt}"


def skipped(record: Mapping[str, JSON]) -> bool:
    """Whether a verdict record (`record`'s) is of a case skipped for the time budget or its
    op's outages: not run, though its module was there to run."""
    # (a record's finding is an object or absent, the finding's error an object or null)
    finding_ = cast(JSONObject, record.get("finding") or {})
    error = cast(JSONObject, finding_.get("error") or {})
    return error.get("not_run") in ("budget", "outages")


@dataclass
class ItemResult:
    """One (op, output) over all its cases."""

    op: str
    output: str
    cases: int = 0
    failed: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    failed_cases: list[str] = field(default_factory=list)
    finding: JSONObject | None = None
    depends_on: Counter[str] = field(default_factory=Counter)   # substituted op -> its cases

    @property
    def status(self) -> str:
        for status in STATUS_PRECEDENCE:
            if self.by_status[status]:
                return status
        return "pass"

    def add(self, rec: Mapping[str, JSON]) -> None:
        # (a verdict record, `harness.check.findings.record`: its status and case ID strings,
        # its notes and depends_on lists of strings, its finding an object)
        status = cast(str, rec["status"])
        self.cases += 1
        self.by_status[status] += 1
        self.depends_on.update(cast(list[str], rec.get("depends_on", [])))
        for note in cast(list[str], rec.get("notes", [])):
            if note not in self.notes:
                self.notes.append(note)
        if status != "pass":
            self.failed += 1
            self.failed_cases.append(cast(str, rec["case_id"]))
            # Keep the finding of the most severe status; first case (edge cases) wins ties.
            rank = STATUS_PRECEDENCE.index
            if self.finding is None or rank(status) < rank(self.finding["status"]):
                self.finding = cast(JSONObject, rec["finding"])

    def to_json(self) -> JSONObject:
        notes: list[JSON] = list(self.notes)
        for s in cast(list[JSONObject], (self.finding or {}).get("stopped", [])):
            if stopped_note(s) not in notes:
                notes.append(stopped_note(s))
        if self.depends_on:
            notes.insert(0, depends_note(self.op, self.output, self.status,
                                         dict(self.depends_on)))
        out: JSONObject = {"op": self.op, "output": self.output, "status": self.status,
                           "cases": self.cases, "failed": self.failed, "notes": notes,
                           "failed_cases": cast(list[JSON], self.failed_cases)}
        if self.depends_on:
            out["depends_on"] = [{"op": op, "cases": n}
                                 for op, n in sorted(self.depends_on.items())]
        if self.finding is not None:
            out["finding"] = self.finding
        return out


def depends_note(op: str, output: str, status: str, used: dict[str, int]) -> str:
    """'fully_connected dX: pass with nnparity's correct sigmoid in place of yours in 7 cases
    (your sigmoid fails on its own: fix it first)'."""
    ops = " and ".join(sorted(used))
    cases = sum(used.values())
    verdict = "passes" if status == "pass" else "is judged"
    return (f"{op} {output} {verdict} with nnparity's correct {ops} in place of yours in "
            f"{cases} case{'s' if cases != 1 else ''} (your {ops} "
            f"fail{'s' if len(used) == 1 else ''} on {'its' if len(used) == 1 else 'their'} "
            "own: fix it first; it is charged there, not here)")


def aggregate(records: list[JSONObject]) -> list[ItemResult]:
    """Per (op, output) results in registry order."""
    items: dict[tuple[str, str], ItemResult] = {}
    # (a record's index is an int, its case ID, op and output strings)
    for rec in sorted(records, key=lambda r: (cast(int, r["index"]), cast(str, r["case_id"]))):
        key = (cast(str, rec["op"]), cast(str, rec["output"]))
        items.setdefault(key, ItemResult(*key)).add(rec)
    order = {(op, out): i for i, (op, out) in enumerate(
        (s.name, o) for api in APIS.values() for s in api.ops.values() for o in s.outputs)}
    return sorted(items.values(), key=lambda r: order.get((r.op, r.output), len(order)))


def build_report(records: list[JSONObject], *, impl: str, seed: int, profile: str,
                 tolerance: str, cases_per_op: int) -> JSONObject:
    items = aggregate(records)
    by_status = Counter(i.status for i in items)
    return {
        "impl": impl, "seed": seed, "profile": profile, "tolerance": tolerance,
        "cases_per_op": cases_per_op,
        "summary": {
            "verdict": "pass" if items and by_status["pass"] == len(items) else "fail",
            "items": len(items), "passed": by_status["pass"],
            "failed": len(items) - by_status["pass"],
            "cases": len({r["case_id"] for r in records}),
            "by_status": dict(by_status),
        },
        "results": [i.to_json() for i in items],
    }


# ---------------------------------------------------------------- training curves
# A training case's loss curves travel in its item's notes, as JSON after a prefix
# (`harness.core.report.Curve`): the reports draw them (harness/reports/model_section.py) and
# leave them out of the notes shown.
def curve_note(case: Case, got: list[float], want: list[float], deviation: float,
               separation: str) -> str:
    """The loss curves of one training case as a note the reports draw."""
    def num(x: float) -> float | None:   # NaN/Inf (a diverging implementation) as null
        return float(f"{x:.8g}") if np.isfinite(x) else None

    return Curve(case.id, tuple(num(x) for x in got), tuple(num(x) for x in want),
                 num(deviation), separation).to_note()
