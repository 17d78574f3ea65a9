"""The HTML report: one self-contained page (inline CSS and SVG heatmaps, no network).

The content of the Markdown report, in an order for the first screen: the headline, the fix
list (each root cause links to the sections it explains; the entries after the first five
folded), then the implementation, conventions and the summary table (each failing row links
to its section), then one section per failure, each repro command with a button that copies it.
At 1366×768 the page opens on the headline, the fix list and the summary's heading.
"""

from __future__ import annotations

from html import escape
from typing import Any

from harness.diagnosis import fixlist
from harness.reports import model_section as report_models
from harness.reports.view import (
    FIX_LIST_SHOWN,
    SUMMARY_HEADERS,
    Section,
    ablation_rows,
    anchor,
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

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h1{margin:0 0 6px;font-size:24px}h2{margin:0 0 12px;font-size:20px}
h3{font-size:16px;margin:18px 0 6px}
.banner{padding:10px 16px;border-radius:8px;font-weight:600;font-size:17px;margin:8px 0}
.banner.pass{background:#e3f6e8;color:#125c2a;border:1px solid #9fd8ae}
.banner.fail{background:#fde8e8;color:#8a1c1c;border:1px solid #f2aaaa}
.meta{color:#4a5263;margin:4px 0;font-size:13px}
table{border-collapse:collapse;background:#fff;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #dde1e8;padding:5px 9px;text-align:left;vertical-align:top}
th{background:#eef1f5}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:700}
.s-pass{background:#d9f2e0;color:#17602f}.s-fail{background:#fbd5d5;color:#8a1c1c}
.s-error{background:#fde2c4;color:#874200}.s-timeout{background:#e8dcf7;color:#4f2a84}
.s-not_implemented{background:#e4e7ec;color:#3a4252}
section.failure{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:18px 20px;
 margin:18px 0}
.fixes li{margin:4px 0}.fixes .open{color:#4a5263}
.problem{color:#4a5263;margin:2px 0 8px}
.likely{background:#fff7e0;border-left:5px solid #e5a100;padding:10px 14px;border-radius:4px}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:#f0f2f5;padding:10px 12px;border-radius:6px;overflow-x:auto;font-size:13px}
.maps{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0;background:#fafbfc;border:1px solid #e4e7ec;border-radius:6px;padding:8px}
figcaption{font-size:13px;color:#4a5263;max-width:360px;margin-bottom:4px}
a{color:#1457b8}
.command{position:relative}.command pre{padding-right:70px}
.copy{position:absolute;top:6px;right:6px;font-size:12px;padding:2px 8px;border-radius:4px;
 border:1px solid #c4cad4;background:#fff;color:#1d2330;cursor:pointer}
.more-fixes summary{cursor:pointer;color:#1457b8;margin:4px 0 12px}
"""

MAX_SIDE = 360  # largest heatmap side in pixels

# A copy button copies its data-copy text: the Clipboard API where the page may use it, else
# (also when the API refuses) a selection copied the old way. Inline, so that the page has no
# <script>; the notebook view (harness.notebook), which has no handlers either, drops the button.
COPY_HANDLER = (
    "var b=this,t=b.getAttribute('data-copy'),done=function(){b.textContent='Copied'},"
    "old=function(){var a=document.createElement('textarea');a.value=t;"
    "document.body.appendChild(a);a.select();document.execCommand('copy');a.remove();done()};"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t)"
    ".then(done,old)}else{old()}")


def _e(text: Any) -> str:
    return escape(str(text))


def _badge(status: str) -> str:
    return f'<span class="badge s-{_e(status.lower())}">{_e(status.upper())}</span>'


def _colour(value: float | None, top: float) -> str:
    """White-ish for 0, deepening red up to `top`; grey for cells with no value."""
    if value is None:
        return "#d5d9e0"
    if value <= 0 or top <= 0:
        return "#f3f5f8"
    t = min(value / top, 1.0)
    r, g, b = (int(a + (z - a) * t) for a, z in ((252, 165), (210, 15), (200, 21)))
    return f"rgb({r},{g},{b})"


def svg_heatmap(grid: dict[str, Any]) -> str:
    """An inline SVG heatmap of one map (see `harness.diagnosis.localize`), with axis labels."""
    values = grid["values"]
    rows, cols = len(values), len(values[0]) if values else 0
    cell = max(6, min(26, MAX_SIDE // max(rows, cols, 1)))
    left, top = 40, 30
    width, height = left + cols * cell + 4, max(top + rows * cell + 4, 90)
    share = grid["unit"] == "share"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" class="heatmap" aria-label="{_e(grid["title"])}">',
             f'<text x="{left}" y="11" font-size="11" fill="#4a5263">{_e(grid["cols"])} →'
             f'</text><text transform="translate(11,{top}) rotate(90)" font-size="11" '
             f'fill="#4a5263">{_e(grid["rows"])} →</text>']
    step = max(1, 14 // cell + 1)
    for j in range(0, cols, step):
        parts.append(f'<text x="{left + j * cell + cell / 2}" y="{top - 4}" font-size="10" '
                     f'text-anchor="middle" fill="#4a5263">{j}</text>')
    for i in range(0, rows, step):
        parts.append(f'<text x="{left - 4}" y="{top + i * cell + cell / 2 + 4}" font-size="10" '
                     f'text-anchor="end" fill="#4a5263">{i}</text>')
    errs = grid.get("max_err")
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            tip = (f"{grid['rows']} {i}, {grid['cols']} {j}: "
                   + ("no contributions" if v is None else
                      f"{round(100 * v)}% wrong" if share else f"{v} of {grid['max']} wrong"))
            if errs and errs[i][j]:
                tip += f"; max |err| {errs[i][j]:.3g}"
            parts.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="{_colour(v, grid["max"])}">'
                         f'<title>{_e(tip)}</title></rect>')
            if cell >= 18 and v:
                label = f"{round(100 * v)}" if share else str(v)
                parts.append(f'<text x="{left + j * cell + (cell - 1) / 2}" '
                             f'y="{top + i * cell + cell / 2 + 3}" font-size="9" '
                             f'text-anchor="middle" fill="#fff">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _figure(grid: dict[str, Any]) -> str:
    scale = ("share of contributions" if grid["unit"] == "share"
             else f"count, at most {grid['max']} per cell")
    return (f"<figure><figcaption>{_e(grid['title'])} ({_e(scale)})</figcaption>"
            f"{svg_heatmap(grid)}</figure>")


def _table(headers: list[str], rows: list[list[Any]], raw_cols: tuple[int, ...] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if j in raw_cols else _e(c)}</td>"
                                    for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(report: dict[str, Any]) -> str:
    rows = []
    for item, row in zip(report["results"], summary_rows(report, width=110), strict=True):
        op = _e(row[0])
        if item.get("finding"):
            op = f'<a href="#{_e(anchor(item["op"], item["output"]))}">{op}</a>'
        rows.append([op, _e(row[1]), _badge(row[2]), *(_e(c) for c in row[3:])])
    return _table(SUMMARY_HEADERS, rows, raw_cols=tuple(range(len(SUMMARY_HEADERS))))


def _maps(sec: Section) -> str:
    maps = sec.maps or {}
    out = [f"<h3>Where the mismatches are</h3><p>Case <span class=code>{_e(sec.maps_case)}"
           f"</span>: {_e(sec.worst)}</p>"]
    if len(sec.top) > 1:
        out.append("<p>Largest errors:</p><ul>"
                   + "".join(f"<li class=code>{_e(t)}</li>" for t in sec.top) + "</ul>")
    if maps.get("grids"):
        out.append('<div class="maps">' + "".join(_figure(g) for g in maps["grids"])
                   + "</div>")
    counts = "".join(f"<li>wrong elements per {_e(a)}: <span class=code>{_e(c)}</span></li>"
                     for a, c in maps.get("counts", {}).items())
    return "".join(out) + (f"<ul>{counts}</ul>" if counts else "")


def command(text: str) -> str:
    """A shell command in a block with a button that copies it."""
    return (f'<div class=command><pre>{_e(text)}</pre><button type="button" class=copy '
            f'data-copy="{_e(text)}" title="Copy the command" onclick="{_e(COPY_HANDLER)}">'
            "Copy</button></div>")


def _smallest(sec: Section) -> str:
    shrunk = (f" (shrunk from <span class=code>{_e(sec.original_id)}</span>: "
              f"{_e(sec.changed)})" if sec.changed else "")
    out = [f"<h3>Smallest failing case</h3><p><span class=code>{_e(sec.smallest_id)}</span>"
           f"{shrunk}</p>{command(sec.smallest_repro)}<p>{_e(sec.smallest_message)}</p>"]
    if sec.values:
        out.append("<pre>" + "\n".join(_e(f"{n} =\n{t}") for n, t in sec.values) + "</pre>")
    return "".join(out)


def _link(ref: dict[str, Any]) -> str:
    if ref.get("checked") is False:
        return f"{_e(ref_label(ref))} (not checked in this report)"
    return f'<a href="#{_e(ref_anchor(ref))}">{_e(ref_label(ref))}</a>'


def _fix_entry(e: dict[str, Any]) -> str:
    code = f"<span class=code>[{_e(e['code'])}]</span> " if e.get("code") else ""
    root = (f"<br><span class=open>Root: {_e(entry_root_text(e))}</span>"
            if e["root"].get("checked") is False else "")
    opened = (f"<br><span class=open>Open <span class=code>{_e(e['open'])}</span></span>"
              if e.get("open") else "")
    why = f" ({_e(e['why'])})" if len(e["items"]) > 1 else ""
    return (f'<li id="{_e(fix_anchor(e["problem"]))}">{code}{_e(e["message"])}{root}'
            f"{opened}<br>Explains {', '.join(_link(r) for r in e['items'])}{why}</li>")


def fix_list_html(entries: list[dict[str, Any]]) -> str:
    """The fix list: one numbered entry per root cause, linking to the items it explains;
    the entries after the first `FIX_LIST_SHOWN` are collapsed, so that the summary table
    follows closely."""
    if not entries:
        return ""
    shown, rest = entries[:FIX_LIST_SHOWN], entries[FIX_LIST_SHOWN:]
    out = [f"<h2>Fix list</h2><p>{_e(fixlist.summary_line(entries))}</p><ol class=fixes>",
           *map(_fix_entry, shown), "</ol>"]
    if rest:
        out += [f"<details class=more-fixes><summary>{len(rest)} more problem"
                f"{'s' if len(rest) != 1 else ''}</summary><ol class=fixes "
                f'start="{rest[0]["problem"]}">', *map(_fix_entry, rest), "</ol></details>"]
    return "".join(out)


def _problem(sec: Section) -> str:
    if sec.problem is None or (sec.problem_size < 2 and sec.root is None):
        return ""
    where = f'<a href="#{_e(fix_anchor(sec.problem))}">problem {sec.problem}</a> in the fix list'
    if sec.root is None:
        return f"<p class=problem><b>Root cause</b> of {where}: fix this first.</p>"
    if sec.caused_by:
        return f"<p class=problem>Part of {where}.</p>"
    return f"<p class=problem>Part of {where}: {relation_words(sec)} {_link(sec.root)}.</p>"


def _compact(sec: Section) -> str:
    problem = (f' (<a href="#{_e(fix_anchor(sec.problem))}">problem {sec.problem}</a> in the '
               "fix list)" if sec.problem is not None else "")
    return (f'<section class="failure" id="{_e(sec.anchor)}"><h2>{_e(sec.op)} '
            f"{_e(sec.output)} {_badge(sec.status)} <small>{sec.failed} of {sec.cases} cases"
            f"</small></h2><p>Same cause as {_link(sec.same_as or {})}{problem}; first "
            f"failing case <span class=code>{_e(sec.original_id)}</span>.</p></section>")


def _section(sec: Section) -> str:
    if sec.same_as is not None:
        return _compact(sec)
    out = [f'<section class="failure" id="{_e(sec.anchor)}"><h2>{_e(sec.op)} {_e(sec.output)} '
           f'{_badge(sec.status)} <small>{sec.failed} of {sec.cases} cases</small></h2>',
           _problem(sec),
           f'<div class="likely"><b>Likely bug</b> <span class=code>[{_e(sec.likely.get("code"))}'
           f"]</span> {_e(sec.likely_title)}<br>{_e(sec.likely.get('message', ''))}</div>"]
    if sec.where:
        out.append(f"<p><b>Where:</b> <span class=code>{_e(sec.where)}</span></p>")
    if sec.caused_by:
        target = anchor(sec.caused_by["op"], sec.caused_by["output"])
        out.append(f'<p><b>Caused by:</b> <a href="#{_e(target)}">{_e(sec.caused_by["op"])} '
                   f"{_e(sec.caused_by['output'])}</a>; fix that first.</p>")
    out.append(_smallest(sec))
    if sec.causes:
        items = "".join(f"<li><span class=code>[{_e(c['code'])}]</span> {_e(c['message'])}"
                        "</li>" for c in sec.causes)
        out.append(f"<h3>Other possible causes</h3><ul>{items}</ul>")
    if sec.ablation:
        out.append("<h3>One change at a time (from the smallest case)</h3>"
                   + _table(["change", "result", "detail"], ablation_rows(sec)))
    if sec.maps or sec.worst:
        out.append(_maps(sec))
    out += [f"<p><i>note: {_e(n)}</i></p>" for n in sec.notes]
    if sec.traceback and sec.traceback_of is not None:
        out.append(f"<p>Traceback: as in {_link(sec.traceback_of)}.</p>")
    elif sec.traceback:
        out.append(f"<details><summary>Traceback</summary><pre>{_e(sec.traceback)}</pre>"
                   "</details>")
    if sec.stdout.strip():
        out.append(f"<p>Printed by the implementation:</p><pre>{_e(sec.stdout)}</pre>")
    return "".join(out) + "</section>"


def report_body(report: dict[str, Any]) -> str:
    """The report's content, without its page: what report.html's <main> holds (styled by
    `CSS`; a notebook shows it inline, see `harness.notebook`)."""
    verdict = report["summary"]["verdict"]
    entries = fix_entries(report)
    failures = sections(report, entries)
    body = [f"<h1>nnparity report</h1><div class='banner {verdict}'>{_e(headline(report))}"
            "</div>",
            block_guarded(report, lambda r: fix_list_html(entries), "HTML fix list",
                          lambda note: f"<p><i>note: {_e(note)}</i></p>"),
            "<h2>Summary</h2>",
            f"<p class=meta>Implementation <span class=code>{_e(report['impl'])}</span> · seed "
            f"{_e(report['seed'])} · {_e(report['cases_per_op'])} cases per op</p>",
            f"<p class=meta>{_e(conventions_line(report))}</p>",
            f"<p class=meta>{_e(skipped_line(report))}</p>" if skipped_line(report) else "",
            _summary(report),
            block_guarded(report, report_models.html, "HTML whole-model section",
                          lambda note: f"<p><i>note: {_e(note)}</i></p>")]
    if passing_notes(report):
        body += ["<h2>Notes on passing outputs</h2><ul>"
                 + "".join(f"<li>{_e(label)}: {_e(note)}</li>"
                           for label, note in passing_notes(report)) + "</ul>"]
    if failures:
        body += ["<h2>Failures</h2>"] + [render_guarded(report, sec, _section, "HTML section")
                                          for sec in failures]
    return "".join(body)


def render_html(report: dict[str, Any]) -> str:
    """report.html: `report_body` in a page of its own, with `CSS`."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>nnparity report</title><style>{CSS}</style></head><body><main>"
            + report_body(report) + "</main></body></html>\n")
