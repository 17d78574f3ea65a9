"""A verdict as a JSON record, with its finding: where the output is wrong, the diagnosis,
and the maps of the mismatches (the report's schema: harness/core/results.py).

A diagnosis bug never loses the verdict: each step of a finding runs guarded, and one that
raises leaves a ``stopped`` entry instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from harness.core.registry import get_op
from harness.core.results import jsonable, stopped
from harness.core.verdict import Verdict
from harness.diagnosis.diagnose import diagnose
from harness.diagnosis.localize import mismatch_maps

T = TypeVar("T")


def _guarded(stops: list[dict[str, Any]], stage: str, fn: Callable[[], T], fallback: T) -> T:
    """fn(), or `fallback` with a stopped record in `stops` if it raises."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - a diagnosis bug must not lose the verdict
        stops.append(stopped("investigation", stage, exc))
        return fallback


# ---------------------------------------------------------------- findings
def _fallback_diagnosis(v: Verdict) -> list[dict[str, str]]:
    code = "student_exception" if v.error else "value_mismatch"
    return [{"code": code, "message": v.message}]


def finding(v: Verdict) -> dict[str, Any]:
    stops: list[dict[str, Any]] = []
    cmp = v.comparison
    loc: dict[str, object] | None = None
    if cmp is not None and (cmp.worst is not None or cmp.got_shape is not None):
        loc = {"mismatched": cmp.mismatched, "total": cmp.total,
               "got_shape": jsonable(cmp.got_shape),
               "expected_shape": jsonable(cmp.expected_shape)}
        if cmp.worst is not None:
            loc.update(cmp.worst.to_json())
            loc["top"] = [e.to_json() for e in cmp.top]
    return {
        "case_id": v.case.id,
        "params": {k: jsonable(x) for k, x in v.case.params},
        "status": v.status,
        "kind": cmp.kind if cmp is not None else ("exception" if v.error else v.status),
        "message": v.message,
        "localization": loc,
        "error": v.error,
        "diagnosis": _guarded(stops, "diagnosis", lambda: [c.to_json() for c in diagnose(v)],
                              _fallback_diagnosis(v)),
        "stdout": v.stdout,
        "maps": _guarded(stops, "maps", lambda: _maps(v), None),
    } | ({"stopped": stops} if stops else {}) \
      | ({"caused_by": v.caused_by} if v.caused_by else {})


def _maps(v: Verdict) -> dict[str, Any] | None:
    if v.got is None or v.expected is None:
        return None
    return mismatch_maps(get_op(v.op), v.case, v.output, v.got, v.expected)



def record(v: Verdict, index: int) -> dict[str, Any]:
    """The JSON-able record of one verdict; `index` is the case's place in generation order."""
    rec: dict[str, Any] = {"op": v.op, "output": v.output, "case_id": v.case.id,
                           "index": index, "status": v.status, "notes": list(v.notes)}
    if v.depends_on:
        rec["depends_on"] = list(v.depends_on)
    if not v.passed:
        rec["finding"] = finding(v)
    return rec


