"""What a report shows, built once from the JSON report for every renderer.

`summary_rows` and `sections` turn a JSON report (see `harness.results`) into the rows of
the summary table and one `Section` per failing (op, output), ordered for a tired student:
the likely bug in one sentence, where (file:line for an exception), the smallest failing
case with its repro command and values, then the other causes, the ablation trials and the
mismatch maps. `harness.report_md`, `harness.report_html` and the CLI render these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.causes import CODES
from harness.results import repro_command

SUMMARY_HEADERS = ["op", "output", "status", "cases", "failed", "worst |err|",
                   "top diagnosis"]
OUTCOME_TEXT = {"pass": "passes", "same": "still fails the same way",
                "different": "fails differently", "unknown": "not run (budget)"}


def short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def anchor(op: str, output: str) -> str:
    return f"{op}-{output}"


def headline(report: dict[str, Any]) -> str:
    """The report in one line (a correct implementation gets exactly this one line)."""
    s = report["summary"]
    cases = f"{s['cases']} case{'s' if s['cases'] != 1 else ''}"
    if s.get("interrupted"):
        return (f"Interrupted after {cases}: {s['failed']} of the {s['items']} op outputs "
                "checked so far do not match PyTorch (failures not investigated).")
    if s["verdict"] == "pass":
        return f"All {s['items']} op outputs match PyTorch over {cases}: no bug found."
    return f"{s['failed']} of {s['items']} op outputs do not match PyTorch ({cases} checked)."


def conventions_line(report: dict[str, Any]) -> str:
    return f"Conventions: profile {report['profile']}. Tolerance: {report['tolerance']}."


def top_cause(item: dict[str, Any]) -> dict[str, str]:
    diagnosis = (item.get("finding") or {}).get("diagnosis") or [{}]
    return diagnosis[0]


def summary_rows(report: dict[str, Any], width: int = 70) -> list[list[Any]]:
    """One row per (op, output): status, cases, failed, worst error, top diagnosis."""
    rows = []
    for item in report["results"]:
        loc = (item.get("finding") or {}).get("localization") or {}
        cause = top_cause(item)
        top = f"[{cause['code']}] {cause['message']}" if cause else ""
        rows.append([item["op"], item["output"], item["status"].upper(), item["cases"],
                     item["failed"], f"{loc['abs_err']:.3g}" if "abs_err" in loc else "",
                     short(top, width)])
    return rows


# ---------------------------------------------------------------- one failure
@dataclass
class Section:
    """Everything one failure section shows, in reading order."""

    op: str
    output: str
    status: str
    cases: int
    failed: int
    likely: dict[str, str]
    where: str = ""
    smallest_id: str = ""
    smallest_repro: str = ""
    smallest_message: str = ""
    changed: str = ""
    original_id: str = ""
    original_repro: str = ""
    values: list[tuple[str, str]] = field(default_factory=list)
    causes: list[dict[str, str]] = field(default_factory=list)
    ablation: list[dict[str, Any]] = field(default_factory=list)
    maps_case: str = ""
    worst: str = ""
    top: list[str] = field(default_factory=list)
    maps: dict[str, Any] | None = None
    caused_by: dict[str, str] | None = None
    traceback: str = ""
    stdout: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return anchor(self.op, self.output)

    @property
    def title(self) -> str:
        return (f"{self.op} {self.output}: {self.status.upper()} "
                f"({self.failed} of {self.cases} cases)")

    @property
    def likely_title(self) -> str:
        return CODES.get(self.likely.get("code", ""), "")


def where_text(error: dict[str, Any] | None) -> str:
    """'neural_networks/layers.py:42 in backward: dX = ...' for an exception, else ''."""
    if not error or "file" not in error:
        return ""
    return f"{error['file']}:{error['line']} in {error['function']}: {error['code']}"


def format_array(values: Any) -> str:
    arr = np.asarray(values, dtype=np.float64)
    return np.array2string(arr, precision=4, max_line_width=88, suppress_small=False)


def element_text(el: dict[str, Any]) -> str:
    """'at n=0 row=3 col=1 ch=0: got 0.5, expected 1.25' for one localized element."""
    where = " ".join(f"{k}={v}" for k, v in el["index"].items()) or "(scalar)"
    return f"at {where}: got {el['got']:.6g}, expected {el['expected']:.6g}"


def worst_text(loc: dict[str, Any] | None) -> str:
    if not loc or "index" not in loc:
        return ""
    return f"{loc['mismatched']} of {loc['total']} elements wrong; worst {element_text(loc)}"


def _changed_text(changed: dict[str, list[Any]]) -> str:
    def fmt(v: Any) -> str:
        return "x".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
    return ", ".join(f"{k} {fmt(a)}→{fmt(b)}" for k, (a, b) in changed.items())


def _values(small: dict[str, Any]) -> list[tuple[str, str]]:
    named = [(f"input {k}", v) for k, v in small.get("inputs", {}).items()]
    named += [(k, small[k]) for k in ("got", "expected") if k in small]
    return [(name, format_array(v)) for name, v in named]


def section(item: dict[str, Any], impl: str) -> Section:
    """The view of one failing item; `impl` is the report's, for repro commands."""
    f = item["finding"]
    small = f.get("smallest") or {}
    repro = f.get("repro") or repro_command(f["case_id"], impl)
    use_small_maps = not f.get("maps") and small.get("maps")
    maps_src = small if use_small_maps else f
    return Section(
        op=item["op"], output=item["output"], status=item["status"], cases=item["cases"],
        failed=item["failed"], likely=top_cause(item),
        where=where_text(small.get("error") or f.get("error")),
        smallest_id=small.get("case_id", f["case_id"]),
        smallest_repro=small.get("repro", repro),
        smallest_message=small.get("message", f["message"]),
        changed=_changed_text(small.get("changed", {})),
        original_id=f["case_id"], original_repro=repro,
        values=_values(small), causes=f.get("diagnosis", [])[1:],
        ablation=f.get("ablation", []), maps_case=maps_src["case_id"],
        worst=worst_text(maps_src.get("localization")), maps=maps_src.get("maps"),
        top=[element_text(e) for e in (maps_src.get("localization") or {}).get("top", [])],
        caused_by=f.get("caused_by"), traceback=(f.get("error") or {}).get("traceback", ""),
        stdout=f.get("stdout", ""), notes=item.get("notes", []))


def sections(report: dict[str, Any]) -> list[Section]:
    return [section(i, report["impl"]) for i in report["results"] if i.get("finding")]


def ablation_rows(sec: Section) -> list[list[str]]:
    return [[t["change"], OUTCOME_TEXT.get(t["outcome"], t["outcome"]), short(t["detail"], 90)]
            for t in sec.ablation]
