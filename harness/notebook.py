"""`nnparity.check` from Python: the sandboxed check of `nnparity check`, as a report object.

    import nnparity
    report = nnparity.check("cs231n/layers.py", api="cs231n", ops="batchnorm", cases=10)
    report            # in Jupyter: the HTML report (inline); in IPython: the summary table
    print(report)     # the summary table and fix list `nnparity check` prints
    report.passed, report.results, report.fix_list, report.json
    report.save("reports/")   # report.json, report.md, report.html

The check is the command line's: the same arguments mean the same (impl None: the API's
bundled implementation; api None: detected from the files), the implementation runs in a
sandboxed child and the verdicts are computed in this process. Unusable input raises
`ValueError` with the command line's message; nothing is printed (but the progress bar, on
stderr, in a terminal or a Jupyter kernel; `progress=False` silences it).

In Jupyter the report is shown inline, in a scrolling box of its own, with no script and no
event handler: untrusted notebooks and GitHub's notebook view drop them, so the view works
without them (see BOX_HEIGHT); report.html is the full page.

The command line's modules are imported when a check runs or a report is rendered, not when
`nnparity` is imported (they load torch).
"""

from __future__ import annotations

import io
import re
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# The notebook view (`Report._repr_html_`) is report.html's content inline, with no <script>
# and no inline event handler: an untrusted notebook and GitHub's notebook view drop them, so
# nothing may depend on them. Its box sizes itself: at most BOX_HEIGHT pixels high (a longer
# report scrolls inside it), set in its style attribute, which JupyterLab's sanitizer keeps
# when it drops <style> elements. The report's CSS is scoped to the box: every selector is
# prefixed with the box's id, after a reset that keeps the notebook's CSS out of the box
# (`all:revert` outranks the notebook's class selectors; SVG is left alone, as its attributes
# count as styles), so neither restyles the other. Ids and in-page links (#fix-1) are prefixed
# with the same id: unique in the notebook, even with the same report shown twice, and a link
# scrolls the box to its target.
BOX_HEIGHT = 640
_BOX_STYLE = (f"max-height:{BOX_HEIGHT}px;overflow:auto;box-sizing:border-box;margin:0;"
              "border:1px solid #dde1e8;border-radius:6px")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_PAGE_SELECTORS = {"html", "body", "main"}   # the box itself in the notebook
_ID_OR_FRAGMENT = re.compile(r'(\sid="|\shref="#)')
# A copy button needs its onclick: dropped, and a click on the command selects all of it.
_BUTTON = re.compile(r"<button\b[^>]*>.*?</button>", re.S)
_NOTEBOOK_CSS = ".command pre{padding-right:12px;user-select:all;-webkit-user-select:all}"


def _scoped_css(css: str, box: str) -> str:
    """`css` for the element `box` (a selector) and its content only: page selectors become
    `box`, the others `box` descendants."""
    def scope(rule: re.Match[str]) -> str:
        selectors = (s.strip() for s in rule[1].split(","))
        scoped = ",".join(box if s in _PAGE_SELECTORS else f"{box} {s}" for s in selectors)
        return f"{scoped}{{{rule[2].strip()}}}"

    return _RULE.sub(scope, css).replace("\n", "")


def _isolation_css(box: str) -> str:
    """Resets that keep the notebook's CSS out of `box`; before the report's own rules, which
    are more specific still."""
    return f"{box}{{all:initial;display:block}}{box} :where(:not(svg,svg *)){{all:revert}}"


def notebook_html(report: dict[str, Any]) -> str:
    """The notebook view of `report`: its HTML content in a box of its own, without scripts or
    event handlers (see BOX_HEIGHT)."""
    from harness.reports.html_page import CSS
    from harness.reports.write import render_html_body

    box = f"nnparity-{uuid.uuid4().hex[:12]}"
    body = _BUTTON.sub("", _ID_OR_FRAGMENT.sub(rf"\g<1>{box}-", render_html_body(report)))
    css = _isolation_css(f"#{box}") + _scoped_css(CSS + _NOTEBOOK_CSS, f"#{box}")
    return (f'<div class="nnparity-report" id="{box}" style="{_BOX_STYLE}">'
            f"<style>{css}</style>{body}</div>")


_FLAGS = re.compile(r"--(impl|api|ops|cases|seed|profile|starter|timeout)\b")


def _usage(exc: Exception) -> ValueError:
    """The command line's message for unusable input, naming the keyword rather than the
    flag (`--api: unknown API ...` is `api: unknown API ...` here)."""
    return ValueError(_FLAGS.sub(r"\1", str(exc)))


def _ops_arg(ops: str | Iterable[str] | None) -> str | None:
    if ops is None or isinstance(ops, str):
        return ops
    return ",".join(ops)


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def check(impl: str | Path | None = None, api: str | None = None,
          ops: str | Iterable[str] | None = None, cases: int = 50, seed: int = 0,
          profile: str = "homework", starter: str | Path | None = None,
          report_dir: str | Path | None = None, timeout: float = 20.0,
          progress: bool | None = None, edition: str | None = None) -> Report:
    """Check an implementation against PyTorch, as `nnparity check` does (the same
    pipeline, `harness.pipeline.run_check`: the same limits, and as a uid of its own when
    run as root); the report.

    `impl`: a directory holding neural_networks/ or student_nn/ (or the package itself); for
    the CS231n API a folder holding cs231n/layers.py, or layers.py itself (default: the
    bundled implementation of the API). `api`: "hw6" or "cs231n" (default: detected from
    the files). `ops`: "a,b" or a list of op names (default: all the API's ops). `cases`:
    cases per op. `starter`: the course's starter code (modules that are not graded).
    `report_dir`: also write report.json, report.md and report.html there. `timeout`:
    seconds per case. `progress`: draw a progress bar on stderr (default: in a terminal or a
    Jupyter kernel). `edition`: the year's assignment ("2021-23", ...; default: detected).

    Raises ValueError, with a message that says what to fix, on unusable input (no such path,
    no implementation there, an unknown API, op or profile, cases < 1).
    """
    from harness.pipeline import CheckRequest, UsageError, resolve, run_check
    from harness.progress import Progress

    request = CheckRequest(impl=None if impl is None else str(impl), api=api, ops=_ops_arg(ops),
                           cases=cases, seed=seed, profile=profile,
                           starter=None if starter is None else str(starter),
                           edition=edition, timeout=timeout)
    try:
        resolved = resolve(request)
    except (UsageError, ValueError) as exc:
        raise _usage(exc) from None
    bar = Progress(len(resolved.specs) * cases, "checking", enabled=_show_progress(progress))
    try:
        report = run_check(request, on_case=lambda cid: bar.advance(note=cid), resolved=resolved)
    finally:
        bar.close()
    result = Report(report)
    if report_dir is not None:
        result.save(report_dir)
    return result


class Report:
    """One check's report: `json` is the dict of report.json (see docs/json-report.md);
    renders as the HTML report in Jupyter and as the summary table in a terminal."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.json = report

    @property
    def passed(self) -> bool:
        """Every compared output matches (an interrupted check has not passed)."""
        s = self.json["summary"]
        return s["verdict"] == "pass" and not s.get("interrupted")

    @property
    def interrupted(self) -> bool:
        return bool(self.json["summary"].get("interrupted"))

    @property
    def results(self) -> list[dict[str, Any]]:
        """One item per (op, output): op, output, status, cases, failed, and a finding when
        it fails."""
        return self.json["results"]

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The items that did not pass."""
        return [r for r in self.results if r["status"] != "pass"]

    @property
    def fix_list(self) -> list[dict[str, Any]]:
        """The distinct root causes, in the order to fix them (each: problem, code, message,
        open, and the items it explains)."""
        from harness.reports.view import fix_entries

        return fix_entries(self.json)

    def text(self, findings: bool = False) -> str:
        """What `nnparity check` prints: implementation and conventions, borrowed modules,
        the summary table, the fix list and the headline; with `findings`, the gist of each
        failure too (likely bug, smallest failing case, repro command)."""
        from harness.core.registry import default_api, get_api
        from harness.reports.terminal import (
            print_findings,
            print_fix_list,
            print_modules,
            summary_table,
        )
        from harness.reports.view import conventions_line, headline

        out = io.StringIO()
        name = self.json.get("api", default_api().name)
        try:
            title = f" (API {name}: {get_api(name).title})"
        except ValueError:
            title = f" (API {name})"
        print(f"nnparity check: {self.json['impl']}{title}\n{conventions_line(self.json)}",
              file=out)
        print_modules(self.json.get("modules", {}), out)
        print(file=out)
        print(summary_table(self.json), file=out)
        print_fix_list(self.json, out)
        if findings:
            print_findings(self.json, out)
        print(f"\n{headline(self.json)}", file=out)
        return out.getvalue()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        s = self.json["summary"]
        if s.get("interrupted"):
            state = (f"interrupted after {s['cases']} cases, {s['failed']} of {s['items']} "
                     "outputs fail so far")
        elif s["verdict"] == "pass":
            state = f"all {s['items']} outputs pass"
        else:
            state = f"{s['failed']} of {s['items']} outputs fail"
        return f"<nnparity Report: {state} — impl {self.json['impl']}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's terminal shows the table (Jupyter shows `_repr_html_`)."""
        printer.text(repr(self) if cycle else self.text().rstrip("\n"))

    def to_html(self) -> str:
        """The HTML report: the same page as report.html."""
        from harness.reports.write import _render

        return _render("html", self.json)

    def _repr_html_(self) -> str:
        """The HTML report inline, for Jupyter: no <script> and no event handler (untrusted
        notebooks and GitHub's notebook view drop them), its CSS and the notebook's kept
        apart, in a box that scrolls past BOX_HEIGHT pixels; repro commands have no copy
        button (a click selects the command)."""
        return notebook_html(self.json)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write report.json, report.md and report.html into `directory`; their paths."""
        from harness.reports.write import write_reports

        return write_reports(self.json, directory)
