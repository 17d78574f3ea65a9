"""The report's section on whole models: network, optimisers, initialisers, training parity.

`markdown(report)` and `html(report)` return the section (empty when the report has none of
these ops), called from one line each in `harness.reports.markdown` and `harness.reports.html_page`:

- one row per op and output of the whole-model ops: status, cases, and for a failure where
  it is (step, layer, parameter) and the likely cause (the model-level localization);
- training parity: for every training case, both loss curves (the implementation's and
  PyTorch's, inline SVG in HTML, a table of steps in Markdown), the largest parameter
  deviation over all steps and, when they separate, the first step, layer and parameter.

The curves travel in the training item's notes (`harness.core.results.CURVE_NOTE`), which the
generic renderers leave out (`is_curve_note`).
"""

from __future__ import annotations

import contextlib
from html import escape
from typing import Any

from harness.core.report import CURVE_NOTE, Curve

MODEL_OPS = ("network", "sgd", "adam", "xavier_uniform", "xavier_normal", "he_uniform",
             "he_normal", "training")
TITLE = "Whole models, optimizers, initializers and training"
SVG_W, SVG_H, PAD = 560, 220, 38
COLOURS = {"implementation": "#c0392b", "reference": "#1f5fbf"}


def is_curve_note(note: str) -> bool:
    return note.startswith(CURVE_NOTE)


def _items(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in report.get("results", []) if i.get("op") in MODEL_OPS]


def curves(report: dict[str, Any]) -> list[Curve]:
    """The training cases' loss curves in the report's notes (a note not readable as one is
    left out)."""
    out = []
    for item in _items(report):
        for note in item.get("notes", []):
            if is_curve_note(note):
                with contextlib.suppress(ValueError):
                    out.append(Curve.from_note(note))
    return out


def _row(item: dict[str, Any]) -> list[str]:
    f = item.get("finding") or {}
    where = (f.get("message") or "").split(":")[0] if f else ""
    cause = (f.get("diagnosis") or [{}])[0] if f else {}
    top = f"[{cause.get('code', '')}] {cause.get('message', '')}" if cause else ""
    return [item["op"], item["output"], item["status"].upper(), str(item["cases"]),
            str(item["failed"]), where, top]


HEADERS = ["op", "output", "status", "cases", "failed", "first difference", "likely cause"]


def _curve_text(c: Curve) -> str:
    sep = f"they separate at {c.separation}" if c.separation else \
        "they never separate beyond the tolerance"
    dev = c.max_deviation
    dev_text = f"{dev:.3g} of max(1, |θ|)" if isinstance(dev, int | float) else \
        "not finite (NaN or Inf, or a parameter of another shape)"
    return f"largest parameter deviation {dev_text} over {len(c.reference)} steps; {sep}"


def _num(v: Any) -> str:
    return f"{v:.8g}" if isinstance(v, int | float) else "NaN/Inf"


def _steps_shown(n: int) -> list[int]:
    marks = sorted({0, 1, 2, n // 4, n // 2, 3 * n // 4, n - 1})
    return [i for i in marks if 0 <= i < n]


def markdown(report: dict[str, Any]) -> list[str]:
    """The Markdown section (a list of lines); never raises."""
    try:
        return _markdown(report)
    except Exception as exc:  # noqa: BLE001 - the rest of the report must survive
        return [f"## {TITLE}", "", f"(this section could not be rendered: {exc!r})", ""]


def _markdown(report: dict[str, Any]) -> list[str]:
    items = _items(report)
    if not items:
        return []
    cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    out = [f"## {TITLE}", "", "| " + " | ".join(HEADERS) + " |",
           "|" + "---|" * len(HEADERS)]
    out += ["| " + " | ".join(cell(x) for x in _row(i)) + " |" for i in items]
    out.append("")
    for c in curves(report):
        got, want = c.implementation, c.reference
        out += [f"### Training parity: `{c.case_id}`", "", _curve_text(c), "",
                "| step | implementation loss | PyTorch loss |", "|---|---|---|"]
        for i in _steps_shown(len(want)):
            g = _num(got[i]) if i < len(got) else "—"
            out.append(f"| {i + 1} | {g} | {_num(want[i])} |")
        out.append("")
    return out


def svg_curves(c: Curve) -> str:
    """Both loss curves on shared axes, as an inline SVG line chart."""
    series = {"reference": c.reference, "implementation": c.implementation}
    values = [v for s in series.values() for v in s if isinstance(v, int | float)
              and v == v and abs(v) != float("inf")]
    n = max(len(s) for s in series.values())
    if not values or n < 2:
        return ""
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 1.0
    x = lambda i: PAD + (SVG_W - PAD - 10) * i / (n - 1)  # noqa: E731
    y = lambda v: SVG_H - PAD + (PAD + 10 - SVG_H) * (v - lo) / (hi - lo)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_W}" height="{SVG_H}" '
             f'viewBox="0 0 {SVG_W} {SVG_H}" role="img" aria-label="loss per step">',
             f'<rect x="0" y="0" width="{SVG_W}" height="{SVG_H}" fill="#fff"/>',
             f'<line x1="{PAD}" y1="{SVG_H - PAD}" x2="{SVG_W - 10}" y2="{SVG_H - PAD}" '
             'stroke="#888"/>',
             f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{SVG_H - PAD}" stroke="#888"/>',
             f'<text x="{PAD}" y="{SVG_H - 12}" font-size="11">1</text>',
             f'<text x="{SVG_W - 30}" y="{SVG_H - 12}" font-size="11">{n}</text>',
             f'<text x="{SVG_W // 2 - 20}" y="{SVG_H - 4}" font-size="11">step</text>',
             f'<text x="2" y="{y(hi) + 4:.1f}" font-size="10">{hi:.3g}</text>',
             f'<text x="2" y="{y(lo) + 4:.1f}" font-size="10">{lo:.3g}</text>']
    for name, s in series.items():
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s)
                       if isinstance(v, int | float) and v == v and abs(v) != float("inf"))
        dash = ' stroke-dasharray="5,3"' if name == "implementation" else ""
        parts.append(f'<polyline fill="none" stroke="{COLOURS[name]}" stroke-width="2"{dash} '
                     f'points="{pts}"/>')
    for k, name in enumerate(("implementation", "reference")):
        label = "implementation" if name == "implementation" else "PyTorch"
        yy = 18 + 14 * k
        parts.append(f'<line x1="{SVG_W - 150}" y1="{yy}" x2="{SVG_W - 128}" y2="{yy}" '
                     f'stroke="{COLOURS[name]}" stroke-width="2"/>'
                     f'<text x="{SVG_W - 122}" y="{yy + 4}" font-size="11">{label}</text>')
    return "".join(parts) + "</svg>"


def html(report: dict[str, Any]) -> str:
    """The HTML section; never raises."""
    try:
        return _html(report)
    except Exception as exc:  # noqa: BLE001
        return f"<h2>{escape(TITLE)}</h2><p>(this section could not be rendered: " \
               f"{escape(repr(exc))})</p>"


def _html(report: dict[str, Any]) -> str:
    items = _items(report)
    if not items:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in HEADERS)
    rows = "".join("<tr>" + "".join(f"<td>{escape(x)}</td>" for x in _row(i)) + "</tr>"
                   for i in items)
    out = [f"<h2>{escape(TITLE)}</h2><table><tr>{head}</tr>{rows}</table>"]
    for c in curves(report):
        out.append(f"<h3>Training parity: <span class=code>{escape(c.case_id)}</span></h3>"
                   f"<p>{escape(_curve_text(c))}</p>{svg_curves(c)}")
    return "".join(out)
