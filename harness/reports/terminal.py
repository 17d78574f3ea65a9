"""The terminal report: what `nnparity check` and `nnparity repro` print.

Prose is wrapped at the terminal's width (`terminal_width`: 100 columns when the output is not
a terminal) and never cut: a word is never broken, and a shell command is split between its
arguments with a trailing backslash, so that it still pastes into a shell. `check` prints the
summary table and the first five entries of the fix list (`view.FIX_LIST_SHOWN`) in full, each
with its repro command, then how many more the report holds; verbose, every entry and the gist
of every failure. `repro` prints one failure's full finding (`section_text`): the Markdown
report's section, without its markup.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import textwrap
from collections.abc import Iterable
from typing import Any, TextIO

from tabulate import tabulate

from harness.diagnosis import fixlist
from harness.reports.markdown import text_grid
from harness.reports.view import (
    FIX_LIST_SHOWN,
    SUMMARY_HEADERS,
    Section,
    ablation_rows,
    conventions_line,
    entry_items_text,
    entry_repro,
    entry_root_text,
    fix_entries,
    headline,
    ref_label,
    relation_words,
    section,
    sections,
    skipped_groups,
    summary_rows,
)

DEFAULT_WIDTH = 100         # columns when the output is not a terminal
MIN_WIDTH, MAX_WIDTH = 60, 160
TABLE_HEADERS = ["op", "output", "status", "cases", "failed", "worst |err|", "problem"]
ENTRY_INDENT = "     "      # under "  1. "
HANG_LIMIT = 28             # a label wider than this: its text's next lines are not under it


def terminal_width(stream: TextIO | None = None) -> int:
    """$COLUMNS when set, else the terminal's width when `stream` (stdout) is one, else 100;
    kept between 60 and 160 columns."""
    stream = stream or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    elif hasattr(stream, "isatty") and stream.isatty():
        width = os.get_terminal_size(stream.fileno()).columns
    else:
        width = DEFAULT_WIDTH
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


# ---------------------------------------------------------------- wrapping
KEEP = "\u00a0"   # a space no line breaks at (textwrap splits on ASCII whitespace only)
SHORT_TUPLE = re.compile(r"\((?:-?[\w.]+, )+-?[\w.]+\)")   # (2, 0, 0, 2), (1, 1)


def wrap(text: str, width: int, indent: str = "", hang: str | None = None) -> list[str]:
    """`text` as lines of at most `width` columns (a word longer than a line stays whole,
    and so does a shape or a pair like ``(2, 5, 5, 2)``), the first indented by `indent`,
    the others by `hang` (default: `indent`)."""
    kept = SHORT_TUPLE.sub(lambda m: m.group().replace(" ", KEEP), " ".join(str(text).split()))
    lines = textwrap.wrap(kept, width, initial_indent=indent,
                          subsequent_indent=indent if hang is None else hang,
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace(KEEP, " ") for line in lines] or [indent.rstrip()]


def labelled(label: str, text: str, width: int, indent: str = "") -> list[str]:
    """'label: text', its continuation lines aligned under the text (under a label longer
    than `HANG_LIMIT`: four columns in)."""
    head = f"{indent}{label}: "
    hang = len(head) if len(head) <= HANG_LIMIT else len(indent) + 4
    return wrap(text, width, head, " " * hang)


def command_lines(label: str, command: str, width: int, indent: str = "") -> list[str]:
    """A shell command after 'label: ', split between its arguments (quoted as they are) with
    ' \\' where it would not fit, so that it still pastes whole. The program stays with its
    subcommand ('nnparity repro'), an option with its value ('--impl PATH')."""
    head = f"{indent}{label}: "
    try:
        tokens = shlex.split(command, posix=False)
    except ValueError:   # not shell syntax after all: prose
        return labelled(label, command, width, indent)
    words = [" ".join(tokens[:2])] if tokens else []
    for token in tokens[2:]:
        if words and words[-1].startswith("--") and " " not in words[-1] \
                and not token.startswith("--"):
            words[-1] += f" {token}"
        else:
            words.append(token)
    if not words:
        return [head.rstrip()]
    lines = [head + words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= width - 2:   # room left for " \\"
            lines[-1] += " " + word
        else:
            lines[-1] += " \\"
            lines.append(" " * (len(head) + 2) + word)
    return lines


# ---------------------------------------------------------------- the summary table
def _problem_numbers(entries: list[dict[str, Any]]) -> dict[tuple[str, ...], str]:
    """Item key -> the fix-list problems that explain it ('3', or '3, 4')."""
    return {key: ", ".join(dict.fromkeys(str(e["problem"]) for e in found))
            for key, found in fixlist.problems(entries).items()}


def table_rows(report: dict[str, Any], entries: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per output of an op with a failing output; one row for an op whose outputs all
    pass ('all N'); each failing row with the fix-list problem that explains it."""
    by_op: dict[str, list[dict[str, Any]]] = {}
    for item in report["results"]:
        by_op.setdefault(str(item.get("op", "?")), []).append(item)
    problem = _problem_numbers(entries)
    rows: list[list[Any]] = []
    for op, items in by_op.items():
        if len(items) > 1 and all(i.get("status") == "pass" for i in items):
            rows.append([op, f"all {len(items)}", "PASS", items[0].get("cases", ""), 0, "", ""])
            continue
        for i in items:
            loc = (i.get("finding") or {}).get("localization") or {}
            rows.append([op, i.get("output", "?"), str(i.get("status", "?")).upper(),
                         i.get("cases", ""), i.get("failed", ""),
                         f"{loc['abs_err']:.3g}" if "abs_err" in loc else "",
                         problem.get((op, str(i.get("output"))), "")])
    return rows


def table_text(report: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    return tabulate(table_rows(report, entries), headers=TABLE_HEADERS)


# ---------------------------------------------------------------- the fix list
def entry_lines(report: dict[str, Any], entry: dict[str, Any], width: int) -> list[str]:
    """One fix-list entry in full: the problem, the root (when not checked), what to open,
    what it explains, the command that reruns its smallest failing case."""
    code = f"[{entry['code']}] " if entry.get("code") else ""
    number = f"  {entry['problem']}. "
    out = wrap(f"{code}{entry['message']}", width, number, ENTRY_INDENT)
    if entry["root"].get("checked") is False:
        out += labelled("root", entry_root_text(entry), width, ENTRY_INDENT)
    if entry.get("open"):
        out += labelled("open", entry["open"], width, ENTRY_INDENT)
    out += labelled("explains", entry_items_text(entry), width, ENTRY_INDENT)
    repro = entry_repro(report, entry)
    if repro:
        out += command_lines("repro", repro, width, ENTRY_INDENT)
    return out


def fix_list_lines(report: dict[str, Any], entries: list[dict[str, Any]], width: int,
                   shown: int | None = None, more_in: str = "") -> list[str]:
    """The fix list: its summary line and the first `shown` entries in full (all when None),
    then 'N more in `more_in`'."""
    if not entries:
        return []
    out = wrap(f"fix list: {fixlist.summary_line(entries)}", width)
    for e in entries[:shown]:
        out += entry_lines(report, e, width)
    rest = len(entries) - len(entries[:shown])
    if rest:
        where = f" in {more_in}" if more_in else " in the report"
        out += wrap(f"{rest} more{where} (--verbose prints every entry here).", width, "  ")
    return out


# ---------------------------------------------------------------- failures
def gist_lines(report: dict[str, Any], width: int) -> list[str]:
    """The gist of each failure: likely bug, where, smallest case, repro command (an item
    explained in the same words by an earlier one: a pointer to it)."""
    out: list[str] = []
    for sec in sections(report):
        out += ["", sec.title]
        if sec.same_as is not None:
            out += wrap(f"same cause as {ref_label(sec.same_as)} (problem {sec.problem} in the "
                        "fix list)", width, "  ")
            continue
        if sec.problem is not None and sec.root is not None:
            out += wrap(f"part of problem {sec.problem} in the fix list: "
                        f"{relation_words(sec)} {ref_label(sec.root)}", width, "  ")
        out += labelled(f"likely bug [{sec.likely.get('code')}]",
                        str(sec.likely.get("message")), width, "  ")
        if sec.where:
            out += labelled("where", sec.where, width, "  ")
        shrunk = f" (shrunk: {sec.changed})" if sec.changed else ""
        out += labelled("smallest failing case", f"{sec.smallest_id}{shrunk}", width, "  ")
        out += command_lines("repro", sec.smallest_repro, width, "  ")
        for cause in sec.causes[:3]:
            out += labelled(f"also possible [{cause['code']}]", cause["message"], width, "  ")
    return out


def _block(title: str, text: str, indent: str = "    ") -> list[str]:
    """A preformatted block (arrays, maps, a traceback) under its title, indented."""
    return [title] + [f"{indent}{line}" for line in text.rstrip().splitlines()]


def _problems_lines(sec: Section, width: int) -> list[str]:
    if len(sec.problems) < 2:
        return []
    out = wrap(f"{len(sec.problems)} separate problems in this output (its failing cases fall "
               "into groups, each diagnosed on its own smallest case):", width, "  ")
    for n, g in enumerate(sec.problems, 1):
        top = (g.get("diagnosis") or [{}])[0]
        small = (g.get("smallest") or {}).get("case_id", g.get("case_id", ""))
        count = len(g.get("cases", []))
        out += wrap(f"{n}. {count} case{'s' if count != 1 else ''}, {g.get('summary', '')}: "
                    f"[{top.get('code', '')}] {top.get('message', '')} (smallest case {small})",
                    width, "    ", "       ")
    return out


def _maps_lines(sec: Section, width: int) -> list[str]:
    maps = sec.maps or {}
    out = labelled("where the mismatches are", f"case {sec.maps_case}: {sec.worst}", width,
                   "  ")
    for grid in maps.get("grids", []):
        title, *rows = text_grid(grid).splitlines()
        out += wrap(title, width, "    ", "      ") + [f"    {row}" for row in rows]
    if len(sec.top) > 1:
        out += ["  largest errors:"] + [line for t in sec.top for line in wrap(t, width, "    - ")]
    for axis, counts in maps.get("counts", {}).items():
        out += labelled(f"wrong elements per {axis}", str(counts), width, "  ")
    return out


def section_text(sec: Section, width: int) -> str:
    """One failure in full, for a terminal: likely bug, where, smallest case and its repro
    command, values, other causes, one change at a time, where the mismatches are, notes,
    traceback and what the implementation printed."""
    likely = f"[{sec.likely.get('code', '')}]" + (f" ({sec.likely_title})"
                                                  if sec.likely_title else "")
    out = [sec.title] + labelled(f"likely bug {likely}", str(sec.likely.get("message", "")),
                                 width, "  ")
    out += _problems_lines(sec, width)
    if sec.where:
        out += labelled("where", sec.where, width, "  ")
    if sec.caused_by:
        out += wrap(f"caused by {sec.caused_by['op']} {sec.caused_by['output']}: fix that "
                    "first.", width, "  ")
    shrunk = f" (shrunk from {sec.original_id}: {sec.changed})" if sec.changed else ""
    out += labelled("smallest failing case", f"{sec.smallest_id}{shrunk}", width, "  ")
    out += command_lines("repro", sec.smallest_repro, width, "  ")
    out += wrap(sec.smallest_message, width, "  ")
    for name, text in sec.values:
        out += _block(f"  {name} =", text)
    if sec.causes:
        out += ["  other possible causes:"]
        out += [line for c in sec.causes
                for line in wrap(f"[{c['code']}] {c['message']}", width, "    - ", "      ")]
    if sec.ablation:
        table = tabulate(ablation_rows(sec), headers=["change", "result", "detail"],
                         maxcolwidths=[None, None, max(20, width - 50)])
        out += _block("  one change at a time (from the smallest case):", table)
    if sec.maps or sec.worst:
        out += _maps_lines(sec, width)
    out += [line for n in sec.notes for line in labelled("note", n, width, "  ")]
    if sec.traceback:
        out += _block("  traceback:", sec.traceback)
    if sec.stdout.strip():
        out += _block("  printed by the implementation:", sec.stdout)
    return "\n".join(out)


def print_lines(lines: Iterable[str], out: TextIO | None = None) -> None:
    for line in lines:
        print(line, file=out or sys.stdout)


# ---------------------------------------------------------------- what `check` prints
def print_modules(plan: dict[str, dict[str, str]], out: TextIO | None = None) -> None:
    """Which modules came from where, when any did not come from the implementation."""
    borrowed = {m: s for m, s in plan.items() if s["origin"] != "submission"}
    if not borrowed:
        return
    print("modules not from the implementation:", file=out or sys.stdout)
    for m, s in borrowed.items():
        print(f"  {m}: {s['origin']} ({s['reason']})", file=out or sys.stdout)


def summary_table(report: dict[str, Any]) -> str:
    return tabulate(summary_rows(report, width=60), headers=SUMMARY_HEADERS)


def print_fix_list(report: dict[str, Any], out: TextIO | None = None,
                   shown: int | None = None, more_in: str = "") -> None:
    """The fix list, wrapped at the terminal's width: each root cause, what to open, what it
    explains, its repro command; the first `shown` entries (every one when None), then how
    many more `more_in` holds."""
    lines = fix_list_lines(report, fix_entries(report), terminal_width(out), shown, more_in)
    print_lines([""] + lines if lines else [], out)


def print_findings(report: dict[str, Any], out: TextIO | None = None) -> None:
    """The gist of each failure: likely bug, where, smallest case, repro command (an item
    explained in the same words by an earlier one: a pointer to it)."""
    print_lines(gist_lines(report, terminal_width(out)), out)


def print_check(report: dict[str, Any], api_title: str, verbose: bool = False,
                more_in: str = "", out: TextIO | None = None) -> None:
    """What `nnparity check` prints: the implementation and its conventions, borrowed
    modules, what was not checked, the table, the fix list (its first FIX_LIST_SHOWN entries
    unless `verbose`, which adds each failure's gist) and the headline."""
    width = terminal_width(out)
    print_lines(wrap(f"nnparity check: {report['impl']} ({api_title})", width)
                + wrap(conventions_line(report), width), out)
    print_modules(report["modules"], out)
    for reason, ops in skipped_groups(report).items():
        print_lines(wrap(f"not checked: {', '.join(ops)} ({reason})", width), out)
    print(file=out or sys.stdout)
    print(table_text(report, fix_entries(report)), file=out or sys.stdout)
    print_fix_list(report, out, shown=None if verbose else FIX_LIST_SHOWN, more_in=more_in)
    if verbose:
        print_findings(report, out)
    print_lines(["", *wrap(headline(report), width)], out)


def print_repro(report: dict[str, Any], case_id: str, out: TextIO | None = None) -> None:
    """What `nnparity repro` prints: the case, the implementation, the conventions, then each
    output's full finding (the report's section, for a terminal) or that it passes."""
    width = terminal_width(out)
    print_lines([f"case {case_id}", f"impl {report['impl']}",
                 *wrap(conventions_line(report), width)], out)
    for item in report["results"]:
        if item.get("finding"):
            print("\n" + section_text(section(item, report["impl"]), width), file=out or sys.stdout)
        else:
            print(f"\n{item['op']} {item['output']}: PASS", file=out or sys.stdout)
