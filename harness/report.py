"""Report files: report.json, report.md and report.html, written side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report_html import render_html
from harness.report_md import render_markdown
from harness.results import strict_json


def write_reports(report: dict[str, Any], directory: str | Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into `directory`; their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(strict_json(report))
    paths["md"].write_text(render_markdown(report))
    paths["html"].write_text(render_html(report))
    return paths
