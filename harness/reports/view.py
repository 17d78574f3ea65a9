"""What a report shows, built once from the JSON report for every renderer.

`fix_entries` gives the report's fix list (`harness.diagnosis.fixlist`: the distinct root causes, in
the order to fix them), `summary_rows` and `sections` turn a JSON report (see
`harness.core.results`) into the rows of the summary table and one `Section` per failing
(op, output), ordered for a tired student:
the likely bug in one sentence, where (file:line for an exception), the smallest failing
case with its repro command and values, then the other causes, the ablation trials and the
mismatch maps. A section whose item is explained by the same cause as an earlier one, with
the same message, is only a pointer to it; a root cause's traceback is shown once.
`harness.reports.markdown`, `harness.reports.html_page` and the CLI render these.

Rendering never costs the report: an item whose row or section cannot be built (a finding
of an unexpected shape, a bug here) gets a plain fallback with a note saying what stopped,
recorded on the item as well (`harness.core.results.add_stopped`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from harness.apis.known import APIS, DEFAULT
from harness.core.results import add_stopped, repro_command, stopped, stopped_note
from harness.diagnosis import fixlist
from harness.diagnosis.causes import CODES
from harness.reports.model_section import is_curve_note

T = TypeVar("T")

SUMMARY_HEADERS = ["op", "output", "status", "cases", "failed", "worst |err|",
                   "top diagnosis"]
FIX_LIST_SHOWN = 5  # fix-list entries shown in full (the terminal, the HTML page); the rest folded
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
        noted = list(dict.fromkeys(label for label, _ in passing_notes(report)))
        pointer = (f" {len(noted)} of them with a note ({', '.join(noted[:3])}"
                   f"{', ...' if len(noted) > 3 else ''}): see the report's notes."
                   if noted else "")
        return f"All {s['items']} op outputs match PyTorch over {cases}: no bug found.{pointer}"
    return f"{s['failed']} of {s['items']} op outputs do not match PyTorch ({cases} checked)."


# At most this many notes of one passing item in the reports: notes gather by their text, so one
# that names a case's shapes (a broadcast gradient) can come once per case.
NOTES_PER_ITEM = 3


def passing_notes(report: dict[str, Any]) -> list[tuple[str, str]]:
    """("op output", note) for the notes of the items that pass: an input modified in place,
    a gradient of a broadcast-equal shape, a match under an accepted convention."""
    out = []
    for item in report["results"]:
        if item["status"] == "pass":
            notes = [n for n in item.get("notes", []) if not is_curve_note(n)]
            out += [(f"{item['op']} {item['output']}", n) for n in notes[:NOTES_PER_ITEM]]
    return out


def conventions_line(report: dict[str, Any]) -> str:
    """The conventions and the tolerance; the conventions only for an API whose ops have
    them (HW6's; `Api.conventions`)."""
    api = APIS.get(report.get("api", DEFAULT.name))
    line = f"Tolerance: {report['tolerance']}."
    if api is not None and api.conventions:
        line = f"Conventions: profile {report['profile']}. {line}"
    return f"{line} {edition_line(report)}".rstrip()


def edition_line(report: dict[str, Any]) -> str:
    """'Edition: 2024+ (HW6 2024 and later: ...), detected: losses.py defines no L2.' ("")."""
    e = report.get("edition")
    if not e:
        return ""
    how = {"detected": "detected from", "option": "set by", "rubric": "set by"}[e["source"]]
    notes = "".join(f" {n[0].upper()}{n[1:]}." for n in e.get("notes", []))
    return f"Edition: {e['name']} ({e['title']}), {how} {e['evidence']}.{notes}"


def skipped_line(report: dict[str, Any]) -> str:
    """The ops left out: not in the implementation's edition, the course's starter code, or
    optional and absent ("")."""
    groups = skipped_groups(report)
    return ("Not checked: " + "; ".join(f"{', '.join(ops)} ({reason})"
                                        for reason, ops in groups.items()) + "."
            if groups else "")


def skipped_groups(report: dict[str, Any]) -> dict[str, list[str]]:
    """The ops left out, grouped by the reason (the four initialisers of one weights.py)."""
    groups: dict[str, list[str]] = {}
    for s in report.get("skipped") or []:
        groups.setdefault(s["reason"], []).append(s["op"])
    return groups


def top_cause(item: dict[str, Any]) -> dict[str, str]:
    diagnosis = (item.get("finding") or {}).get("diagnosis") or [{}]
    return diagnosis[0]


def summary_row(item: dict[str, Any], width: int = 70) -> list[Any]:
    loc = (item.get("finding") or {}).get("localization") or {}
    cause = top_cause(item)
    top = f"[{cause['code']}] {cause['message']}" if cause else ""
    return [item["op"], item["output"], item["status"].upper(), item["cases"],
            item["failed"], f"{loc['abs_err']:.3g}" if "abs_err" in loc else "",
            short(top, width)]


def summary_rows(report: dict[str, Any], width: int = 70) -> list[list[Any]]:
    """One row per (op, output): status, cases, failed, worst error, top diagnosis."""
    rows = []
    for item in report["results"]:
        try:
            rows.append(summary_row(item, width))
        except Exception as exc:  # noqa: BLE001 - one odd item must not cost the table
            record = stopped("rendering", "summary row", exc)
            add_stopped(item, record)
            rows.append([item.get("op", "?"), item.get("output", "?"),
                         str(item.get("status", "?")).upper(), item.get("cases", ""),
                         item.get("failed", ""), "", short(stopped_note(record), width)])
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
    problem: int | None = None                # its entry in the fix list
    problem_size: int = 1                     # how many items that entry explains
    root: dict[str, Any] | None = None        # the entry's root, when it is another item
    relation: str = fixlist.FOLLOWS           # to that root: the same bug, or caused by it
    same_as: dict[str, Any] | None = None     # an earlier item that says all this already
    traceback_of: dict[str, Any] | None = None  # an earlier item showing this traceback
    problems: list[dict[str, Any]] = field(default_factory=list)  # finding.groups: bugs

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
    """An input or output as NumPy prints it: numbers to 4 decimals, integers and booleans
    as they are (a mask reads True/False, num_heads 2)."""
    arr = np.asarray(values)
    if arr.dtype.kind not in "biu":
        arr = arr.astype(np.float64)
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
        stdout=f.get("stdout", ""), problems=list(f.get("groups") or []),
        notes=[n for n in item.get("notes", []) if not is_curve_note(n)])


def fallback_section(item: dict[str, Any], note: str) -> Section:
    """What is left of a section that could not be built: the item, its verdict, the note."""
    f = item.get("finding") or {}
    case_id = str(f.get("case_id", ""))
    return Section(op=str(item.get("op", "?")), output=str(item.get("output", "?")),
                   status=str(item.get("status", "fail")), cases=int(item.get("cases", 0)),
                   failed=int(item.get("failed", 0)),
                   likely={"code": "", "message": str(f.get("message", ""))},
                   smallest_id=case_id, original_id=case_id,
                   smallest_message=str(f.get("message", "")),
                   notes=[n for n in item.get("notes", []) if n != note] + [note])


def render_guarded(report: dict[str, Any], sec: Section, render: Callable[[Section], str],
                   stage: str) -> str:
    """render(sec); if that raises, the note goes on the item and its fallback is rendered
    (or, should even that fail, the note alone)."""
    try:
        return render(sec)
    except Exception as exc:  # noqa: BLE001 - one odd section must not cost the file
        record = stopped("rendering", stage, exc)
        item: dict[str, Any] = next((i for i in report["results"]
                     if (i.get("op"), i.get("output")) == (sec.op, sec.output)), {})
        if item:
            add_stopped(item, record)
        note = stopped_note(record)
        try:
            return render(fallback_section(item or {"op": sec.op, "output": sec.output}, note))
        except Exception:  # noqa: BLE001
            return f"{sec.op} {sec.output}: {sec.status.upper()} ({note})\n"


def block_guarded(report: dict[str, Any], render: Callable[[dict[str, Any]], T], stage: str,
                  fallback: Callable[[str], T]) -> T:
    """render(report) for a part of the page that is not one item's (the whole-model
    section, say); if it raises, fallback(note), with the note in the report's ``notes``."""
    try:
        return render(report)
    except Exception as exc:  # noqa: BLE001 - the rest of the page must survive
        note = stopped_note(stopped("rendering", stage, exc))
        notes = report.setdefault("notes", [])
        if note not in notes:
            notes.append(note)
        return fallback(note)


def fix_entries(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's fix list, kept as ``report["fix_list"]`` (so report.json has it); if it
    cannot be built, a note in the report's ``notes`` and no list."""
    try:
        return fixlist.attach(report)
    except Exception as exc:  # noqa: BLE001 - the report stands without its fix list
        note = stopped_note(stopped("rendering", "fix list", exc))
        notes = report.setdefault("notes", [])
        if note not in notes:
            notes.append(note)
        report["fix_list"] = []
        return []


def fix_anchor(problem: int) -> str:
    return f"fix-{problem}"


def ref_label(ref: dict[str, Any]) -> str:
    return ref.get("test") or f"{ref['op']} {ref['output']}"


def ref_anchor(ref: dict[str, Any]) -> str:
    return test_anchor(ref["test"]) if ref.get("test") else anchor(ref["op"], ref["output"])


def test_anchor(name: str) -> str:
    """An anchor for a grading test's name: 'test-conv2d-backward-dx'."""
    return "test-" + "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def _link_problems(secs: list[Section], report: dict[str, Any],
                   entries: list[dict[str, Any]]) -> None:
    """Mark each section with its problem, and which earlier item already explains it."""
    items = {(i["op"], i["output"]): i for i in report["results"]}
    by_key = {(s.op, s.output): s for s in secs}
    for e in entries:
        shown: dict[tuple[Any, ...], dict[str, Any]] = {}   # what it says -> item ref
        traceback_shown: dict[str, Any] | None = None      # one traceback per root cause
        root = e["root"]
        for ref in e["items"]:
            sec = by_key.get((ref["op"], ref["output"]))
            item = items.get((ref["op"], ref["output"]))
            if sec is None or item is None or sec.problem is not None:
                continue
            sec.problem, sec.problem_size = e["problem"], len(e["items"])
            if (root["op"], root["output"]) != (sec.op, sec.output):
                sec.root, sec.relation = root, ref.get("relation", fixlist.FOLLOWS)
            said = fixlist.says(item)
            if said[-1] and said in shown:
                sec.same_as = shown[said]
            else:
                shown.setdefault(said, ref)
            if sec.traceback:
                if traceback_shown is not None:
                    sec.traceback_of = traceback_shown
                else:
                    traceback_shown = ref


def sections(report: dict[str, Any],
             entries: list[dict[str, Any]] | None = None) -> list[Section]:
    """One section per failing item; an item whose section cannot be built gets a fallback.
    Each is linked to its problem in the fix list (`entries`, else `fix_entries`)."""
    out = []
    for item in report["results"]:
        if not item.get("finding"):
            continue
        try:
            out.append(section(item, report["impl"]))
        except Exception as exc:  # noqa: BLE001 - one odd item must not cost the report
            record = stopped("rendering", "failure section", exc)
            add_stopped(item, record)
            out.append(fallback_section(item, stopped_note(record)))
    entries = fix_entries(report) if entries is None else entries
    try:
        _link_problems(out, report, entries)
    except Exception as exc:  # noqa: BLE001 - unlinked sections are still the report
        note = stopped_note(stopped("rendering", "fix list links", exc))
        report.setdefault("notes", []).append(note)
    return out


def relation_words(sec: Section) -> str:
    """How a section's item stands to its problem's root: 'same bug as', 'caused by'."""
    return "same bug as" if sec.relation == fixlist.SAME else "caused by"


def entry_items_text(entry: dict[str, Any], limit: int = 8) -> str:
    """'relu dX, conv2d dX and 2 more' (plain text)."""
    labels = [ref_label(r) for r in entry["items"]]
    if len(labels) > limit:
        return ", ".join(labels[:limit]) + f" and {len(labels) - limit} more"
    return ", ".join(labels)


def entry_repro(report: dict[str, Any], entry: dict[str, Any]) -> str:
    """The command that reruns the smallest failing case of a fix-list entry: its root's (its
    problem's, when the root's finding holds several), else its first explained item's
    ("" when none of them has a finding)."""
    items = {(i.get("op"), i.get("output")): i for i in report.get("results", [])}
    for ref in [entry["root"], *entry["items"]]:
        f = (items.get((ref.get("op"), ref.get("output"))) or {}).get("finding")
        if not f or "case_id" not in f:
            continue
        groups = f.get(fixlist.GROUPS_KEY) or []
        group = entry.get("group")
        found = groups[group] if group is not None and group < len(groups) else f
        small = found.get("smallest") or f.get("smallest") or {}
        return (small.get("repro") or f.get("repro")
                or repro_command(small.get("case_id", f["case_id"]), report.get("impl", "")))
    return ""


def entry_root_text(entry: dict[str, Any]) -> str:
    """What a virtual root says: 'relu dX (not checked in this report)'."""
    root = entry["root"]
    return f"{ref_label(root)} (not checked in this report)" if root.get("checked") is False \
        else ref_label(root)


def ablation_rows(sec: Section) -> list[list[str]]:
    return [[t["change"], OUTCOME_TEXT.get(t["outcome"], t["outcome"]), short(t["detail"], 90)]
            for t in sec.ablation]
