"""The Markdown report: the fix list and the summary table first, then one section per
failure.

`failure_sections` reads the failure sections back out of a rendered report (grading's
feedback shows each under its test). The terminal's rendering is harness/reports/terminal.py.
"""

from __future__ import annotations

import re
from typing import Any

from tabulate import tabulate

from harness.diagnosis import fixlist
from harness.reports import model_section as report_models
from harness.reports.view import (
    SUMMARY_HEADERS,
    Section,
    ablation_rows,
    block_guarded,
    conventions_line,
    entry_root_text,
    fix_anchor,
    fix_entries,
    headline,
    passing_notes,
    ref_anchor,
    ref_label,
    relation_words,
    render_guarded,
    sections,
    skipped_line,
    summary_rows,
)

MAX_LISTED = 12  # list the wrong elements one by one when there are at most this many


def _cell(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{round(100 * value)}%"
    return "." if value == 0 else str(value)


def text_grid(grid: dict[str, Any]) -> str:
    """A map as a text table: '.' for no mismatch, a count (or a share in %) otherwise."""
    cells = [[_cell(v, grid["unit"]) for v in row] for row in grid["values"]]
    ncols = len(cells[0]) if cells else 0
    width = max([len(c) for row in cells for c in row] + [len(str(ncols - 1))])
    corner = f"{grid['rows']}\\{grid['cols']}"
    head = corner + " " + " ".join(f"{j:>{width}}" for j in range(ncols))
    body = [f"{i:>{len(corner)}} " + " ".join(f"{c:>{width}}" for c in row)
            for i, row in enumerate(cells)]
    scale = "share of contributions" if grid["unit"] == "share" else f"of {grid['max']}"
    return "\n".join([f"{grid['title']} ({scale} per cell)", head, *body])


def _maps_md(sec: Section) -> list[str]:
    maps = sec.maps or {}
    out = [f"**Where the mismatches are** (case `{sec.maps_case}`): {sec.worst}", ""]
    for grid in maps.get("grids", []):
        out += ["```text", text_grid(grid), "```", ""]
    if len(sec.top) > 1:
        out += ["Largest errors:", ""] + [f"- {t}" for t in sec.top] + [""]
    for axis, counts in maps.get("counts", {}).items():
        out.append(f"- wrong elements per {axis}: {counts}")
    wrong = maps.get("wrong", [])
    if wrong and maps.get("wrong_total", 0) <= MAX_LISTED:
        listed = "; ".join(" ".join(f"{k}={v}" for k, v in w.items()) for w in wrong)
        out.append(f"- wrong elements: {listed}")
    return out + [""]


def _smallest_md(sec: Section) -> list[str]:
    shrunk = f" (shrunk from `{sec.original_id}`: {sec.changed})" if sec.changed else ""
    out = [f"**Smallest failing case:** `{sec.smallest_id}`{shrunk}", "",
           "```sh", sec.smallest_repro, "```", "", sec.smallest_message, ""]
    if sec.values:
        out += ["```text"] + [f"{name} =\n{text}" for name, text in sec.values] + ["```", ""]
    return out


def link(ref: dict[str, Any]) -> str:
    """A link to an item's section (plain text for a root the report does not hold)."""
    if ref.get("checked") is False:
        return f"{ref_label(ref)} (not checked in this report)"
    return f"[{ref_label(ref)}](#{ref_anchor(ref)})"


def fix_list_md(entries: list[dict[str, Any]], heading: str = "## Fix list") -> list[str]:
    """The fix list: one numbered line per root cause, what to open, the items it explains
    (links to their sections)."""
    if not entries:
        return []
    out = [heading, "", fixlist.summary_line(entries), ""]
    for e in entries:
        code = f"**[{e['code']}]** " if e.get("code") else ""
        out.append(f'{e["problem"]}. <a id="{fix_anchor(e["problem"])}"></a>{code}'
                   f"{e['message']}")
        if e["root"].get("checked") is False:
            out.append(f"   - Root: {entry_root_text(e)}")
        if e.get("open"):
            out.append(f"   - Open: `{e['open']}`")
        why = f" ({e['why']})" if len(e["items"]) > 1 else ""
        out.append(f"   - Explains: {', '.join(link(r) for r in e['items'])}{why}")
    return out + [""]


def _problem_md(sec: Section) -> list[str]:
    """Where the section stands in the fix list (only when its problem explains more)."""
    if sec.problem is None or (sec.problem_size < 2 and sec.root is None):
        return []
    where = f"[problem {sec.problem}](#{fix_anchor(sec.problem)}) in the fix list"
    if sec.root is None:
        return [f"**Root cause** of {where}: fix this first.", ""]
    if sec.caused_by:  # the section's own "Caused by" line names the root
        return [f"**Part of {where}**.", ""]
    return [f"**Part of {where}**: {relation_words(sec)} {link(sec.root)}.", ""]


def render_compact(sec: Section) -> str:
    """A failure explained, in the same words, by an earlier item: a pointer to it."""
    problem = (f" ([problem {sec.problem}](#{fix_anchor(sec.problem)}) in the fix list)"
               if sec.problem is not None else "")
    return "\n".join([f"### {sec.title}", "",
                      f"Same cause as {link(sec.same_as or {})}{problem}; first failing case "
                      f"`{sec.original_id}`.", ""])


def _problems_md(sec: Section) -> list[str]:
    """Several bugs in this output (finding.groups): each with its own likely bug and case."""
    if len(sec.problems) < 2:
        return []
    out = [f"**{len(sec.problems)} separate problems** in this output (its failing cases "
           "fall into groups, each diagnosed on its own smallest case):", ""]
    for n, g in enumerate(sec.problems, 1):
        top = (g.get("diagnosis") or [{}])[0]
        small = (g.get("smallest") or {}).get("case_id", g.get("case_id", ""))
        count = len(g.get("cases", []))
        out.append(f"{n}. {count} case{'s' if count != 1 else ''}, {g.get('summary', '')}: "
                   f"`{top.get('code', '')}` {top.get('message', '')} (smallest case "
                   f"`{small}`)")
    return out + [""]


def render_section(sec: Section) -> str:
    """One failure: likely bug, where, smallest case and repro, then the evidence."""
    if sec.same_as is not None:
        return render_compact(sec)
    out = [f"### {sec.title}", ""] + _problem_md(sec)
    out += [f"**Likely bug** (`{sec.likely.get('code', '')}`, {sec.likely_title}): "
            f"{sec.likely.get('message', '')}", ""] + _problems_md(sec)
    if sec.where:
        out += [f"**Where:** `{sec.where}`", ""]
    if sec.caused_by:
        out += [f"**Caused by:** {sec.caused_by['op']} {sec.caused_by['output']}; "
                "fix that first.", ""]
    out += _smallest_md(sec)
    if sec.causes:
        out += ["**Other possible causes:**", ""]
        out += [f"- `{c['code']}`: {c['message']}" for c in sec.causes] + [""]
    if sec.ablation:
        out += ["**One change at a time** (from the smallest case):", "",
                tabulate(ablation_rows(sec), headers=["change", "result", "detail"],
                         tablefmt="github"), ""]
    if sec.maps or sec.worst:
        out += _maps_md(sec)
    notes = [n for n in sec.notes if not (sec.problems and " separate problems in " in n)]
    if notes:
        out += [f"- note: {n}" for n in notes] + [""]
    if sec.traceback and sec.traceback_of is not None:
        out += [f"Traceback: as in {link(sec.traceback_of)}.", ""]
    elif sec.traceback:
        out += ["<details><summary>Traceback</summary>", "", "```text",
                sec.traceback.rstrip(), "```", "", "</details>", ""]
    if sec.stdout.strip():
        out += ["Printed by the implementation:", "", "```text", sec.stdout.rstrip(), "```", ""]
    return "\n".join(out)


SECTION_START = re.compile(r'^<a id="([^"]+)"></a>$', re.MULTILINE)
FIX_LIST_REFERENCES = (   # what a section says about its report's fix list (`_problem_md`, ...)
    re.compile(r"^\*\*(?:Root cause\*\* of|Part of) \[problem \d+\]\(#fix-\d+\)[^\n]*\n+",
               re.MULTILINE),
    re.compile(r" \(\[problem \d+\]\(#fix-\d+\) in the fix list\)"),
)


def failure_sections(markdown: str) -> dict[str, str]:
    """The failure sections of a rendered report (`render_markdown`, its headings nested
    deeper or not) by anchor ('conv2d-dX'), without what they say about the report's own fix
    list: for a page with a fix list of its own (grading's feedback)."""
    starts = list(SECTION_START.finditer(markdown))
    bounds = [m.start() for m in starts] + [len(markdown)]
    out = {}
    for m, end in zip(starts, bounds[1:], strict=True):
        text = markdown[m.end():end]
        for pattern in FIX_LIST_REFERENCES:
            text = pattern.sub("", text)
        out[m.group(1)] = text.strip()
    return out


def render_markdown(report: dict[str, Any]) -> str:
    entries = fix_entries(report)
    out = ["# nnparity report", "", f"**{headline(report)}**", "",
           f"Implementation: `{report['impl']}` · seed {report['seed']} · "
           f"{report['cases_per_op']} cases per op", "", conventions_line(report), ""]
    if skipped_line(report):
        out += [skipped_line(report), ""]
    out += block_guarded(report, lambda r: fix_list_md(entries), "Markdown fix list",
                         lambda note: [f"- note: {note}", ""])
    out += ["## Summary", "",
           tabulate(summary_rows(report, width=90), headers=SUMMARY_HEADERS,
                    tablefmt="github"), ""]
    out += block_guarded(report, report_models.markdown, "Markdown whole-model section",
                         lambda note: [f"- note: {note}", ""])  # models, optimizers, training
    if passing_notes(report):
        out += ["## Notes on passing outputs", ""]
        out += [f"- {label}: {note}" for label, note in passing_notes(report)] + [""]
    failures = sections(report, entries)
    if failures:
        out += ["## Failures", ""] + [
            f'<a id="{sec.anchor}"></a>\n\n' + render_guarded(report, sec, render_section,
                                                            "Markdown section")
            for sec in failures]
    return "\n".join(out).rstrip() + "\n"
