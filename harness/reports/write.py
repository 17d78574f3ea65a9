"""Report files: report.json, report.md and report.html, written side by side.

All three are always written. Markdown and HTML are rendered first, so that a note about a
section that could not be rendered is in the JSON too; a renderer that fails as a whole
gives a short page that says so and points to the JSON, which holds every verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from harness.core.results import stopped, stopped_note, strict_json
from harness.reports.html_page import render_html, report_body
from harness.reports.markdown import render_markdown


def _verdict_line(report: dict[str, Any]) -> str:
    s = report.get("summary", {})
    return (f"verdict: {s.get('verdict', '?')} ({s.get('failed', '?')} of {s.get('items', '?')} "
            "op outputs fail); every result is in report.json")


def _html_fallback_body(report: dict[str, Any], note: str) -> str:
    return (f"<h1>nnparity report</h1><p>{escape(_verdict_line(report))}</p>"
            f"<p>The HTML report could not be rendered: {escape(note)}</p>")


FALLBACKS: dict[str, Callable[[dict[str, Any], str], str]] = {
    "md": lambda report, note: (f"# nnparity report\n\n{_verdict_line(report)}\n\n"
                                f"The Markdown report could not be rendered: {note}\n"),
    "html": lambda report, note: ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
                                  "<title>nnparity report</title></head><body>"
                                  f"{_html_fallback_body(report, note)}</body></html>\n"),
}
RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {"md": render_markdown,
                                                         "html": render_html}


def _guarded(kind: str, render: Callable[[dict[str, Any]], str],
             fallback: Callable[[dict[str, Any], str], str], report: dict[str, Any]) -> str:
    try:
        return render(report)
    except Exception as exc:  # noqa: BLE001 - the other files (and the verdicts) must survive
        record = stopped("rendering", f"{kind} report", exc)
        report.setdefault("notes", []).append(stopped_note(record))
        return fallback(report, stopped_note(record))


def _render(kind: str, report: dict[str, Any]) -> str:
    return _guarded(kind, RENDERERS[kind], FALLBACKS[kind], report)


def render_html_body(report: dict[str, Any]) -> str:
    """report.html's content without its page (`html_page.report_body`), for a notebook; a
    renderer that fails gives the fallback page's content, as report.html does."""
    return _guarded("html", report_body, _html_fallback_body, report)


def write_reports(report: dict[str, Any], directory: str | Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into `directory`; their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    texts = {kind: _render(kind, report) for kind in RENDERERS}
    paths["json"].write_text(strict_json(report))
    for kind, text in texts.items():
        paths[kind].write_text(text)
    return paths
