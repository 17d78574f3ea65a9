"""The class report's pages: class.html (one self-contained page: inline CSS and an SVG
histogram, no script, no network) and class.md, both rendered from class.json's content
(`harness.grading.cohort.build_class`).

Both are for the course staff: they name submissions (each linked to its staff.md) and
hidden tests. At 1366×768 the HTML page opens on the staff-only banner, the figures of the
batch, the score histogram beside the items flagged for review, and the head of the most
common root causes. class.md ends with the class post, the one part written for students: the
most common root causes of the visible tests, anonymised.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any
from urllib.parse import quote

from harness.reports.submission_words import STAFF_FILE, STATUS_TEXT

STAFF_ONLY = ("Staff only: this report names submissions and hidden tests. Students get "
              "their own feedback.md; only the class post at the end of class.md is written "
              "to be shared with them.")
NOT_ACCUSATION = ("Similar signatures mean similar bugs, and the course's most common bugs "
                  "make many alike: a cluster is a prompt for office hours and for a closer "
                  "look, never evidence of copying.")
POST_INTRO = ("Here are the problems that cost the most submissions points on the visible "
              "tests, with the smallest case that shows each, what the assignment asks for "
              "and a hint. Nobody's code is quoted; if one of them is yours, your own "
              "feedback says which test it explains.")
MEMBERS_SHOWN_MD = 12   # member names listed per root cause or cluster in class.md

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 color:#1d2330;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:14px 24px 40px}
h1{margin:0 0 4px;font-size:24px}h2{margin:26px 0 10px;font-size:20px}
h3{font-size:16px;margin:14px 0 6px}
.staff{padding:8px 14px;border-radius:8px;background:#fff4d6;border:1px solid #e9c46a;
 color:#6b4a00;font-weight:600;font-size:14px;margin:8px 0}
.meta{color:#4a5263;margin:4px 0;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:7px 12px;flex:1;
 min-width:110px}
.card b{display:block;font-size:21px;line-height:1.2}.card span{color:#4a5263;font-size:12px}
.card.warn b{color:#8a1c1c}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:stretch}
.panel{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:10px 16px;flex:1;
 min-width:320px}
.panel h2{margin:2px 0 6px;font-size:17px}
.panel h3{margin:12px 0 4px;font-size:15px}
ol.top{margin:4px 0;padding-left:22px}ol.top li{margin:6px 0;font-size:14px}
ol.top li>div.cause{display:grid;grid-template-columns:1fr auto;gap:10px;align-items:start}
ol.top .count{text-align:right;white-space:nowrap}ol.top .track{width:64px}
table{border-collapse:collapse;background:#fff;margin:8px 0 16px;font-size:14px;width:100%}
th,td{border:1px solid #dde1e8;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-size:13px}
td.num{text-align:right;white-space:nowrap}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:#5b6475;font-size:13px}
.track{display:inline-block;position:relative;width:90px;height:9px;background:#edf0f4;
 border-radius:3px;vertical-align:middle;margin-right:6px}
.bar{position:absolute;left:0;top:0;height:9px;border-radius:3px;background:#d64545}
.bar.ok{background:#3c9a5f}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:700}
.hidden{background:#e8dcf7;color:#4f2a84}.visible{background:#e3edf9;color:#1d4f91}
.review{background:#fde8e8;color:#8a1c1c}
details summary{cursor:pointer;color:#1457b8}
ul.flat{margin:4px 0;padding-left:18px}ul.flat li{margin:3px 0}
.note{background:#eef4fb;border-left:4px solid #5b8bd0;padding:8px 12px;border-radius:4px;
 font-size:14px}
.post{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:6px 18px;margin:10px 0}
a{color:#1457b8}
"""


def _e(text: Any) -> str:
    return escape(str(text))


def _inline(text: Any) -> str:
    """Text with its `code spans` (Markdown's backticks) as HTML code spans."""
    return re.sub(r"`([^`]+)`", r"<span class=code>\1</span>", _e(text))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _fmt(x: Any) -> str:
    if x is None:
        return "–"
    x = float(x)
    return str(int(x)) if x == int(x) else f"{x:.4g}"


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _sub_link(name: str) -> str:
    return f'<a href="{_e(quote(name))}/{STAFF_FILE}">{_e(name)}</a>'


def _members_html(names: list[str], summary: str) -> str:
    links = ", ".join(_sub_link(n) for n in names)
    return f"<details><summary>{_e(summary)}</summary><p>{links}</p></details>"


def _bar(share: float | None, ok: bool = False) -> str:
    width = max(2, round(90 * share)) if share else 0
    return (f'<span class=track><span class="bar{" ok" if ok else ""}" '
            f'style="width:{width}px"></span></span>')


# ------------------------------------------------------------------ SVG histogram
def svg_histogram(bins: list[dict[str, Any]], width: int = 520, height: int = 190) -> str:
    """The score distribution: one bar per bin (full marks last, in green), counts on top."""
    left, bottom, top = 34, 40, 18
    n = len(bins)
    slot = (width - left - 6) / max(n, 1)
    most = max((b["count"] for b in bins), default=0) or 1
    step = next(k * 10 ** e for e in range(9) for k in (1, 2, 5) if k * 10 ** e * 4 >= most)
    peak = step * math.ceil(most / step)
    plot = height - bottom - top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'role="img" aria-label="score histogram" class=histogram>',
             f'<line x1="{left}" y1="{top + plot}" x2="{width - 4}" y2="{top + plot}" '
             'stroke="#9aa3b2"/>']
    for value in range(0, peak + 1, step):
        y = top + plot - plot * value / peak
        parts.append(f'<text x="{left - 5}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
                     f'fill="#5b6475">{value}</text><line x1="{left}" y1="{y:.1f}" '
                     f'x2="{width - 4}" y2="{y:.1f}" stroke="#eef0f4"/>')
    for i, b in enumerate(bins):
        h = plot * b["count"] / peak
        x = left + i * slot + 3
        y = top + plot - h
        colour = "#3c9a5f" if b["low"] >= 100 else "#5b8bd0"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot - 6:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{_e(b["label"])}: {b["count"]} submission'
                     f'{"s" if b["count"] != 1 else ""}</title></rect>')
        if b["count"]:
            parts.append(f'<text x="{x + (slot - 6) / 2:.1f}" y="{y - 4:.1f}" font-size="11" '
                         f'text-anchor="middle" fill="#1d2330">{b["count"]}</text>')
        label = "100" if b["low"] >= 100 else f'{b["low"]:g}'
        parts.append(f'<text x="{x + (slot - 6) / 2:.1f}" y="{top + plot + 14}" font-size="10" '
                     f'text-anchor="middle" fill="#5b6475">{label}</text>')
    parts.append(f'<text x="{left + (width - left) / 2}" y="{height - 6}" font-size="11" '
                 'text-anchor="middle" fill="#4a5263">score, % of the maximum (bins of 10; '
                 'the green bar: full marks)</text></svg>')
    return "".join(parts)


# ------------------------------------------------------------------ HTML sections
def _header(data: dict[str, Any]) -> str:
    subs, scores = data["submissions"], data["scores"]
    n = subs["with_result"]
    rubric = ", ".join(data["rubric"]["names"]) or "?"
    maximum = _fmt(scores["max_score"])
    median = scores["points"]["median"]
    bad = sum(len(v) for v in data["not_graded_cleanly"].values())
    full = scores["full_marks"] / n if n else 0.0
    cards = [(str(n), "submissions" + (f" ({len(subs['pending'])} pending)"
                                        if subs["pending"] else ""), False),
             (f"{_fmt(median)}/{maximum}", "median score", False),
             (f"{_fmt(scores['points']['mean'])}", "mean score", False),
             (f"{scores['full_marks']}", f"full marks ({_pct(full)})", False),
             (f"{len(data['causes'])}", "root causes", False),
             (f"{len(data['review'])}", "items to review", bool(data["review"])),
             (f"{bad}", "not graded cleanly", bool(bad))]
    if data.get("regrade"):
        cards.append((str(data["regrade"]["changed"]), "changed (regrade)",
                      bool(data["regrade"]["changed"])))
    mixed = (f"<p class=meta><b>Several rubric versions</b> in this directory: "
             f"{_e(', '.join(f'{k} ({v})' for k, v in data['rubric']['versions'].items()))}</p>"
             if data["rubric"]["mixed"] else "")
    return (f"<h1>Class report · {_e(rubric)}</h1><div class=staff>{_e(STAFF_ONLY)}</div>"
            f"<p class=meta>{n} submissions in <span class=code>{_e(data['out'])}</span> · "
            f"nnparity {_e(', '.join(data['nnparity']))} · generated "
            f"{_e(data['generated_at'])}</p>{mixed}<div class=cards>"
            + "".join(f'<div class="card{" warn" if warn else ""}"><b>{_e(v)}</b>'
                      f"<span>{_e(label)}</span></div>" for v, label, warn in cards)
            + "</div>")


def _review_panel(data: dict[str, Any]) -> str:
    """The first screen's right panel: the most common root causes, then the items that fail
    for more than half of the class, each with its most common root cause."""
    n = data["submissions"]["with_result"] or 1
    causes = {c["id"]: c for c in data["causes"]}
    top = "".join(
        f'<li><div class=cause><div><a href="#cause-{_e(c["id"])}">{_e(c["id"])}</a> '
        f'{_e(c["title"])} '
        f'<span class=muted>(<span class=code>{_e(c["code"])}</span>)</span><br>'
        f'<span class="code muted">{_e(c["where"])}</span></div>'
        f'<div class=count>{_bar(c["submissions"] / n)}<b>{c["submissions"]}</b> '
        f'<span class=muted>({_pct(c["share"])}) · {_fmt(c["points"])} pts</span></div>'
        "</div></li>"
        for c in data["causes"][:5])
    top = (f"<ol class=top>{top}</ol>" if top else
           "<p class=muted>No submission lost a point.</p>")
    flagged = [i for i in data["items"] if i["review"]]
    if not flagged:
        review = "<p class=muted>No item fails for more than half of the class.</p>"
    else:
        rows = []
        for i in flagged:
            common = i.get("common_cause")
            cause = causes.get(common["cause"]) if common else None
            said = (f'<br><span class=muted>most often <a href="#cause-{_e(cause["id"])}">'
                    f'{_e(cause["id"])}</a> <span class=code>{_e(cause["code"])}</span> at '
                    f'<span class=code>{_e(cause["where"])}</span> ({common["submissions"]})'
                    "</span>" if cause else "")
            rows.append(f"<li><b>{_e(i['item'])}</b> {_vis(i['visibility'])} fails for "
                        f"{i['failed']} of {i['submissions']} ({_pct(1 - (i['pass_rate'] or 0))})"
                        f"{said}</li>")
        review = ("<p class=muted>Items failing for more than half of the class: worth a "
                  "look at the assignment's wording and the rubric.</p><ul class=flat>"
                  + "".join(rows) + "</ul>")
    return (f"<section class=panel><h2>What the class gets wrong</h2>{top}"
            f"<h3>Flagged for review</h3>{review}</section>")


def _vis(visibility: str) -> str:
    kind = "visible" if visibility == "visible" else "hidden"
    return f'<span class="badge {kind}">{_e(visibility)}</span>'


def _status_counts(data: dict[str, Any]) -> tuple[str, str]:
    """'graded 73, import error 2' and 'namespaces 76': the batch's statuses and isolation
    levels with their counts."""
    return (", ".join(f"{STATUS_TEXT.get(k, k)} {v}" for k, v in data["statuses"].items()),
            ", ".join(f"{k} {v}" for k, v in data["isolation"].items()))


def _scores_panel(data: dict[str, Any]) -> str:
    s = data["scores"]
    pts = s["points"]
    line = (f"mean {_fmt(pts['mean'])}, median {_fmt(pts['median'])}, min {_fmt(pts['min'])}, "
            f"max {_fmt(pts['max'])} of {_fmt(s['max_score'])}; {s['zero']} at zero")
    sec = data["seconds"]
    statuses, iso = _status_counts(data)
    return (f"<section class=panel><h2>Score distribution</h2>"
            f"{svg_histogram(s['histogram'])}<p class=muted>{_e(line)}<br>"
            f"Statuses: {_e(statuses)} · isolation: {_e(iso)}<br>Grading time: median "
            f"{_fmt(sec['median'])} s, 90th percentile {_fmt(sec['p90'])} s, max "
            f"{_fmt(sec['max'])} s (<a href=\"#running\">details</a>)</p></section>")


def _causes_html(data: dict[str, Any]) -> str:
    causes = data["causes"]
    if not causes:
        return "<h2>Most common root causes</h2><p>No submission lost a point.</p>"
    n = data["submissions"]["with_result"] or 1
    rows = []
    for c in causes:
        tests = ", ".join(f"{t} ({k})" for t, k in list(c["tests"].items())[:4])
        hidden = ' <span class="badge hidden">hidden tests only</span>' if c["hidden_only"] \
            else ""
        who = _members_html(c["members"], f"{len(c['members'])} submissions")
        rows.append(
            f'<tr id="cause-{_e(c["id"])}"><td class=num>{_e(c["id"])}</td>'
            f'<td><span class=code>{_e(c["code"])}</span> {_e(c["title"])}{hidden}<br>'
            f'<span class=muted>{_e(c["message"][:260])}</span></td>'
            f'<td class=code>{_e(c["where"])}</td>'
            f'<td class=num>{_bar(c["submissions"] / n)}{c["submissions"]} '
            f'<span class=muted>({_pct(c["share"])})</span></td>'
            f'<td class=num>{_fmt(c["points"])}<br><span class=muted>{_fmt(c["mean_points"])}'
            f" each</span></td><td class=muted>{_e(tests)}</td>"
            f"<td>{who}</td></tr>")
    return ("<h2>Most common root causes</h2><p class=muted>Each submission's fix list, over "
            "every test (hidden ones too), counted once per submission: a root cause is its "
            "diagnosis at the function to open. Points: what the tests it explains lost.</p>"
            "<table><thead><tr><th>#</th><th>diagnosis</th><th>where</th><th>submissions</th>"
            "<th>points lost</th><th>tests</th><th>who</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _items_html(data: dict[str, Any]) -> str:
    causes = {c["id"]: c for c in data["causes"]}
    rows = []
    for i in data["items"]:
        common = i.get("common_cause")
        cause = causes.get(common["cause"]) if common else None
        said = (f'<a href="#cause-{_e(cause["id"])}">{_e(cause["id"])}</a> '
                f'<span class=code>{_e(cause["code"])}</span> ({common["submissions"]})'
                if cause else "")
        flag = ' <span class="badge review">review</span>' if i["review"] else ""
        rows.append(f"<tr><td>{_e(i['item'])}{flag}</td><td>{_vis(i['visibility'])}</td>"
                    f"<td class=num>{_bar(i['pass_rate'], ok=True)}{_pct(i['pass_rate'])}</td>"
                    f"<td class=num>{i['failed']}/{i['submissions']}</td>"
                    f"<td class=num>{_fmt(i['points_lost'])} <span class=muted>of "
                    f"{_fmt(i['max_score'] * i['submissions'])}</span></td><td>{said}</td></tr>")
    tests = "".join(
        f"<tr><td>{_e(t['test'])}</td><td>{_vis(t['visibility'])}</td>"
        f"<td class=num>{_pct(t['pass_rate'])}</td><td class=num>{t['passed']}/"
        f"{t['submissions']}</td><td class=num>{_fmt(t['points_lost'])}</td>"
        f"<td class=code>{_e(', '.join(f'{k} ({v})' for k, v in t['diagnoses'].items()))}</td>"
        "</tr>" for t in data["tests"])
    return ("<h2>Items</h2><p class=muted>An item passes when every one of its outputs scores "
            "full marks; per output below.</p><table><thead><tr><th>item</th><th>visibility"
            "</th><th>pass rate</th><th>failed</th><th>points lost</th><th>most common root "
            "cause</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            "<details><summary>Per output (the gradebook's columns)</summary><table><thead>"
            "<tr><th>test</th><th>visibility</th><th>pass rate</th><th>passed</th><th>points "
            "lost</th><th>diagnoses of its failures</th></tr></thead><tbody>" + tests
            + "</tbody></table></details>")


def _cluster_rows(clusters: list[dict[str, Any]], causes: dict[str, dict[str, Any]]) -> str:
    rows = []
    for c in clusters:
        said = "; ".join(f'<a href="#cause-{_e(i)}">{_e(i)}</a> <span class=code>'
                         f'{_e(causes[i]["code"])}</span> at <span class=code>'
                         f'{_e(causes[i]["where"])}</span> ({causes[i]["submissions"]})'
                         for i in c["causes"] if i in causes)
        kind = ("one signature" if c["identical"]
                else f"{len(c['groups'])} near-identical signatures")
        who = _members_html(c["members"], f"{c['size']} submissions")
        rows.append(f'<tr id="cluster-{_e(c["id"])}"><td class=num>{_e(c["id"])}</td>'
                    f"<td class=num>{c['size']}</td><td>{kind}</td><td>{said}</td>"
                    f"<td>{who}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>size</th><th>signatures</th><th>root causes "
            "(class-wide count)</th><th>who</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _clusters_html(data: dict[str, Any]) -> str:
    """Clusters of two or more root causes first (the distinctive ones); the clusters of
    one root cause (everyone with that bug alone) folded below."""
    clusters = data["clusters"]
    causes = {c["id"]: c for c in data["causes"]}
    intro = (f"<h2 id=clusters>Similar failure signatures</h2><p class=note>"
             f"{_e(NOT_ACCUSATION)}</p><p class=muted>A signature is a submission's set of "
             "root causes and their smallest failing cases; submissions that pass everything "
             "have none. A cluster holds identical signatures and near-identical ones (the same "
             "causes, a Jaccard similarity of at least 0.8, or all causes but one in common with "
             "two or more shared). The class-wide count after each cause says how rare it is.</p>")
    if not clusters:
        return intro + "<p>No two submissions have similar signatures.</p>"
    several = [c for c in clusters if len(c["causes"]) > 1]
    single = [c for c in clusters if len(c["causes"]) <= 1]
    out = [intro]
    if several:
        out += [f"<h3>{len(several)} cluster{'s' if len(several) != 1 else ''} of several "
                "root causes</h3>", _cluster_rows(several, causes)]
    if single:
        folded = _cluster_rows(single, causes)
        out.append(f"<details><summary>{len(single)} cluster"
                   f"{'s' if len(single) != 1 else ''} of one root cause (the submissions "
                   f"with that bug alone)</summary>{folded}</details>" if several else
                   f"<h3>Clusters of one root cause</h3>{folded}")
    return "".join(out)


def _regrade_html(data: dict[str, Any]) -> str:
    diff = data.get("regrade")
    if not diff:
        return ""
    reasons = ", ".join(f"{k}: {v}" for k, v in diff["reasons"].items()) or "none"
    rows = "".join(
        f"<tr><td>{_sub_link(r['submission'])}</td><td>{_e(r['old_status'] or '–')} "
        f"{_fmt(r['old_score'])}</td><td>{_e(r['new_status'] or '–')} {_fmt(r['new_score'])}"
        f"</td><td>{_e('; '.join(r['why']))}</td><td class=muted>"
        f"{_e('; '.join(r['tests_changed'][:4]))}</td></tr>" for r in diff["rows"])
    table = ("<table><thead><tr><th>submission</th><th>before</th><th>now</th><th>why</th>"
             f"<th>tests changed</th></tr></thead><tbody>{rows}</tbody></table>" if rows
             else "<p>No score or status changed.</p>")
    return (f"<h2 id=regrade>Regrade</h2><p class=meta>Against <span class=code>"
            f"{_e(diff['old'])}</span>: "
            f"{diff['compared']} compared, {diff['changed']} changed ({_e(reasons)}); "
            f"regrade.csv holds the rows.</p>{table}")


def _running_html(data: dict[str, Any]) -> str:
    sec = data["seconds"]
    statuses, iso = _status_counts(data)
    problems = "".join(
        f"<li>{_e(STATUS_TEXT.get(k, k))} ({len(v)}): {', '.join(_sub_link(n) for n in v[:40])}"
        f"{' …' if len(v) > 40 else ''}</li>" for k, v in data["not_graded_cleanly"].items())
    slow = ", ".join(f"{_sub_link(s['submission'])} {_fmt(s['seconds'])} s"
                     for s in sec["slowest"])
    pending = data["submissions"]["pending"]
    pending_line = (f"<li>not graded yet ({len(pending)}): {_e(', '.join(pending[:20]))}</li>"
                    if pending else "")
    unreadable = data["submissions"]["unreadable"]
    unreadable_line = (f"<li>unreadable result.json ({len(unreadable)}): "
                       f"{_e(', '.join(unreadable[:20]))}</li>" if unreadable else "")
    return ("<h2 id=running>Running the batch</h2><ul class=flat>"
            f"<li>Statuses: {_e(statuses)}</li>"
            f"<li>Isolation levels: {_e(iso)}</li>"
            f"<li>Grading time: {_fmt(sec['total'])} s in all; per submission mean "
            f"{_fmt(sec['mean'])} s, median {_fmt(sec['median'])} s, 90th percentile "
            f"{_fmt(sec['p90'])} s, max {_fmt(sec['max'])} s. Slowest: {slow or '–'}</li>"
            f"{problems}{pending_line}{unreadable_line}</ul>")


def _post_html(data: dict[str, Any]) -> str:
    post = data["post"]
    if not post:
        return ""
    parts = ["<h2>For the class</h2><p class=muted>The post at the end of class.md, to share "
             "with students: visible tests only, nobody named.</p>"]
    for p in post:
        parts.append(f"<div class=post>{_post_body_html(p)}</div>")
    return "".join(parts)


def _post_body_html(p: dict[str, Any]) -> str:
    case = p.get("smallest_case")
    case_text = (f"<span class=code>{_e(case['op'])}</span> with <span class=code>"
                 f"{_e(case['params'] or 'its default parameters')}</span>" if case
                 else "not recorded")
    return (f"<h3>{p['rank']}. {_e(p['where'])}: {_e(p['title'])} "
            f"<span class=muted>({_plural(p['submissions'], 'submission')})</span></h3>"
            f"<p><b>Symptom.</b> {_inline(p['symptom'])}</p>"
            f"<p><b>Smallest failing case.</b> {case_text} (test {_e(p['test'])}).</p>"
            f"<p><b>What the contract says.</b> "
            f"{_inline(p['contract'] or 'see the assignment.')}</p>"
            f"<p><b>Hint.</b> {_inline(p['hint'])}</p>")


def _submissions_html(data: dict[str, Any]) -> str:
    rows = []
    for s in data["signatures"]:
        causes = " ".join(f'<a href="#cause-{_e(c)}">{_e(c)}</a>' for c in s["causes"])
        cluster = (f'<a href="#cluster-{_e(s["cluster"])}">{_e(s["cluster"])}</a>'
                   if s["cluster"] else "")
        rows.append(f"<tr><td>{_sub_link(s['submission'])}</td><td>{_e(s['status'])}</td>"
                    f"<td class=num>{_fmt(s['score'])}/{_fmt(s['max_score'])}</td>"
                    f"<td>{causes}</td><td>{cluster}</td></tr>")
    return (f"<h2>Every submission</h2><details><summary>{len(rows)} submissions: status, "
            "score, root causes, cluster</summary><table><thead><tr><th>submission</th>"
            "<th>status</th><th>score</th><th>root causes</th><th>cluster</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></details>")


def class_body(data: dict[str, Any]) -> str:
    return "".join([
        _header(data),
        '<div class="row">', _scores_panel(data), _review_panel(data), "</div>",
        _causes_html(data), _items_html(data), _clusters_html(data), _regrade_html(data),
        _running_html(data), _post_html(data), _submissions_html(data)])


def render_class_html(data: dict[str, Any]) -> str:
    """class.html: the class report in a page of its own (no script, nothing fetched)."""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Class report · {_e(', '.join(data['rubric']['names']))}</title>"
            f"<style>{CSS}</style></head><body><main>{class_body(data)}</main></body></html>\n")


# ------------------------------------------------------------------ Markdown
def _md(text: Any) -> str:
    """Text for a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _names_md(names: list[str]) -> str:
    shown = ", ".join(names[:MEMBERS_SHOWN_MD])
    more = len(names) - MEMBERS_SHOWN_MD
    return shown + (f" and {more} more (class.json)" if more > 0 else "")


def _table_md(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return out


def post_markdown(data: dict[str, Any]) -> list[str]:
    """The class post: for students, anonymised, visible tests only."""
    post = data["post"]
    out = ["# For the class: what many submissions got wrong", "", POST_INTRO, ""]
    if not post:
        return [*out, "Every visible test passed for every submission."]
    for p in post:
        case = p.get("smallest_case")
        case_text = (f"`{case['op']}` with `{case['params'] or 'its default parameters'}`"
                     if case else "not recorded")
        out += [f"## {p['rank']}. `{p['where']}`: {p['title']}", "",
                f"- **Symptom.** {p['symptom']}",
                f"- **Smallest failing case.** {case_text} (test {p['test']}).",
                f"- **What the contract says.** {p['contract'] or 'see the assignment.'}",
                f"- **Hint.** {p['hint']}", ""]
    return out


def render_class_markdown(data: dict[str, Any]) -> str:
    """class.md: the class report for the staff, then the class post for students."""
    subs, scores = data["submissions"], data["scores"]
    n = subs["with_result"]
    pts = scores["points"]
    out = [f"# Class report: {', '.join(data['rubric']['names'])}", "", f"> {STAFF_ONLY}", "",
           f"{n} submissions graded in `{data['out']}`"
           + (f", {len(subs['pending'])} not graded yet" if subs["pending"] else "")
           + f"; nnparity {', '.join(data['nnparity'])}; generated {data['generated_at']}.", ""]
    if data["rubric"]["mixed"]:
        out += ["**Several rubric versions** in this directory: "
                + ", ".join(f"{k} ({v})" for k, v in data["rubric"]["versions"].items()), ""]
    out += ["## Scores", "",
            f"Mean {_fmt(pts['mean'])}, median {_fmt(pts['median'])}, min {_fmt(pts['min'])}, "
            f"max {_fmt(pts['max'])} of {_fmt(scores['max_score'])}; full marks "
            f"{scores['full_marks']}, zero {scores['zero']}.", ""]
    peak = max((b["count"] for b in scores["histogram"]), default=0) or 1
    out += _table_md(["score (% of max)", "submissions", ""],
                     [[b["label"], b["count"], "█" * round(30 * b["count"] / peak)]
                      for b in scores["histogram"]]) + [""]
    out += ["## Flagged for review", ""]
    flagged = [i for i in data["items"] if i["review"]]
    causes = {c["id"]: c for c in data["causes"]}
    if flagged:
        for i in flagged:
            common = i.get("common_cause")
            cause = causes.get(common["cause"]) if common else None
            said = (f"; most often {cause['id']} `{cause['code']}` at `{cause['where']}` "
                    f"({common['submissions']})" if cause else "")
            out.append(f"- **{i['item']}** ({i['visibility']}) fails for {i['failed']} of "
                       f"{i['submissions']}{said}")
    else:
        out.append("No item fails for more than half of the class.")
    out += ["", "## Most common root causes", ""]
    out += _table_md(["#", "diagnosis", "where", "submissions", "points lost", "who"],
                     [[c["id"], f"`{c['code']}` {c['title']}: {c['message'][:200]}",
                       f"`{c['where']}`", f"{c['submissions']} ({_pct(c['share'])})",
                       _fmt(c["points"]), _names_md(c["members"])]
                      for c in data["causes"]]) + [""]
    out += ["## Items", ""]
    out += _table_md(["item", "visibility", "pass rate", "failed", "points lost",
                      "most common root cause"],
                     [[i["item"] + (" (review)" if i["review"] else ""), i["visibility"],
                       _pct(i["pass_rate"]), f"{i['failed']}/{i['submissions']}",
                       _fmt(i["points_lost"]),
                       (i["common_cause"] or {}).get("cause", "")] for i in data["items"]])
    out += ["", "## Similar failure signatures", "", NOT_ACCUSATION, ""]
    if data["clusters"]:
        out += _table_md(["#", "size", "root causes", "who"],
                         [[c["id"], c["size"], ", ".join(c["causes"]), _names_md(c["members"])]
                          for c in data["clusters"]])
    else:
        out.append("No two submissions have similar signatures.")
    diff = data.get("regrade")
    if diff:
        out += ["", "## Regrade", "", f"Against `{diff['old']}`: {diff['compared']} compared, "
                f"{diff['changed']} changed; regrade.csv holds the rows.", ""]
        out += _table_md(["submission", "before", "now", "why"],
                         [[r["submission"], f"{r['old_status'] or '–'} {_fmt(r['old_score'])}",
                           f"{r['new_status'] or '–'} {_fmt(r['new_score'])}",
                           "; ".join(r["why"])] for r in diff["rows"]])
    sec = data["seconds"]
    out += ["", "## Running the batch", "",
            "- Statuses: " + ", ".join(f"{k} {v}" for k, v in data["statuses"].items()),
            "- Isolation levels: " + ", ".join(f"{k} {v}" for k, v in data["isolation"].items()),
            f"- Grading time: {_fmt(sec['total'])} s in all; per submission mean "
            f"{_fmt(sec['mean'])} s, median {_fmt(sec['median'])} s, 90th percentile "
            f"{_fmt(sec['p90'])} s, max {_fmt(sec['max'])} s"]
    out += [f"- {STATUS_TEXT.get(k, k)}: {_names_md(v)}"
            for k, v in data["not_graded_cleanly"].items()]
    out += ["", "---", "", *post_markdown(data)]
    return "\n".join(out).rstrip() + "\n"
