"""What grading writes under --out.

    OUT/gradebook.csv              one row per submission of the batch: status, score, reason,
                                   seconds, isolation level and one column per test (item and
                                   output)
    OUT/<name>/result.json         everything nnparity knows about the grade (written last and
                                   atomically: its presence marks the submission as done)
    OUT/<name>/results.json        Gradescope's format (tests[] with name, score, max_score,
                                   status, Markdown output and visibility)
    OUT/<name>/feedback.md         the feedback for the student, in Markdown

feedback.md and Gradescope's top-level output start with the fix list (`harness.diagnosis.fixlist`):
the distinct root causes of the failing tests, in the order to fix them. Each root cause is
explained once, in its first test; the other tests it explains say "see problem N in the fix
list". feedback.md lists every failing test; Gradescope's top-level output, always visible,
only the visible ones (a hidden test keeps its own full output).

Every file is written to a temporary name and renamed into place, so an interrupted batch
never leaves a half-written file, and a rerun skips exactly the submissions that finished.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.apis.known import APIS, DEFAULT, Api
from harness.core.results import strict_json
from harness.diagnosis import fixlist
from harness.grading.rubric import Rubric

RESULT_FILE = "result.json"
GRADESCOPE_FILE = "results.json"
FEEDBACK_FILE = "feedback.md"
GRADEBOOK_FILE = "gradebook.csv"
ISOLATION_TEXT = {   # result["isolation"], see harness/sandbox/isolation.py
    "namespaces": "namespaces (your code ran in a sandbox of its own: its own files, "
                  "processes and no network)",
    "uid": "uid (your code ran as an unprivileged user of its own, without namespaces)",
    "process": "process (your code ran in a separate process, without further isolation)",
}
STATUS_TEXT = {
    "graded": "graded",
    "refused_import": "refused import",
    "import_error": "import error",
    "crashed": "crashed",
    "timeout": "timed out",
    "memory_limit": "out of memory",
    "invalid": "not gradable",
    "internal_error": "nnparity error",
}


def write_atomic(path: Path, text: str) -> None:
    """`text` into `path` whole or not at all; characters UTF-8 cannot hold (a lone surrogate
    from a submission's message or file name) are written as backslash escapes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fmt(x: float) -> str:
    return f"{x:.4g}" if x != int(x) else str(int(x))


# ------------------------------------------------------------------ the fix list
def test_items(tests: list[dict[str, Any]], visible_only: bool = False) -> list[dict[str, Any]]:
    """The tests as fix-list items (`harness.diagnosis.fixlist.fix_list_of`): op, output, status,
    finding, message and the test's name."""
    return [{"op": t["op"], "output": t["output"],
             "status": "pass" if t["score"] >= t["max_score"] else t["status"],
             "finding": t.get("finding"), "message": t.get("message", ""), "test": t["name"]}
            for t in tests if not visible_only or t.get("visibility") == "visible"]


def student_impl(api: Api) -> str:
    """How feedback names the submission in repro commands ('path/to/your/hw6'; a function
    API's: the folder that holds its module, 'path/to/your/cs231n')."""
    return f"path/to/your/{api.package if api.functions else api.name}"


def api_of_result(result: dict[str, Any]) -> Api:
    """The API a graded submission was graded as: its rubric's `api`, a name or the adapter
    file registered in this process (the default API when neither is known here)."""
    value = result.get("rubric", {}).get("api", DEFAULT.name)
    return APIS.get(value) or next((a for a in APIS.values() if a.adapter == value), DEFAULT)


def test_fix_list(result: dict[str, Any], visible_only: bool = False) -> list[dict[str, Any]]:
    """The fix list of a graded submission's failing tests (the visible ones only, for the
    output every student sees on Gradescope)."""
    api = api_of_result(result)
    try:
        return fixlist.fix_list_of(test_items(result.get("tests") or [], visible_only),
                                   fixlist.package_name(student_impl(api), api.name))
    except Exception:  # noqa: BLE001 - the feedback stands without its fix list
        return []


def fix_list_markdown(entries: list[dict[str, Any]]) -> list[str]:
    """The fix list in Markdown: one numbered entry per root cause."""
    if not entries:
        return []
    out = ["**Fix list**: " + fixlist.summary_line(entries), ""]
    for e in entries:
        code = f"`{e['code']}`: " if e.get("code") else ""
        out.append(f"{e['problem']}. {code}{e['message']}")
        if e.get("open"):
            out.append(f"   - open `{e['open']}`")
        names = [r.get("test") or f"{r['op']} {r['output']}" for r in e["items"]]
        out.append(f"   - {'explains' if len(names) > 1 else 'test'}: {', '.join(names)}")
    return out


def _explained(entries: list[dict[str, Any]], tests: list[dict[str, Any]]
               ) -> dict[str, tuple[int, str | None]]:
    """Test name -> (its problem number, the earlier test that already says the same, or
    None when this one says it first), for the tests of problems that explain several."""
    by_name = {t["name"]: t for t in tests}
    out: dict[str, tuple[int, str | None]] = {}
    for e in entries:
        if len(e["items"]) < 2:
            continue
        first_of: dict[tuple[Any, ...], str] = {}
        for ref in e["items"]:
            name = ref.get("test")
            test = by_name.get(name or "")
            if test is None or name in out:
                continue
            said = fixlist.says(test)
            out[name] = (e["problem"], first_of.get(said) if said[-1] else None)
            first_of.setdefault(said, name)
    return out


# ------------------------------------------------------------------ Markdown pieces
def test_markdown(test: dict[str, Any], explained: tuple[int, str | None] | None = None,
                  show_traceback: bool = False) -> str:
    """One test's output: cases passed, the first failing case and what is wrong.

    `explained` is (problem number, earlier test) from the fix list: a test whose root cause
    an earlier test already explains, in the same words, only points to it. With
    `show_traceback`, the implementation's traceback (only its own frames) is included."""
    credit = ("fraction of cases passed" if test["partial_credit"] == "fraction"
              else "all or nothing")
    lines = [f"**{test['passed']}/{test['cases']} cases pass**, "
             f"{_fmt(test['score'])}/{_fmt(test['max_score'])} points ({credit})."]
    f = test.get("finding")
    if f and explained is not None and explained[1] is not None:
        lines += ["", f"Same cause as **{explained[1]}**: see problem {explained[0]} in the "
                      f"fix list. First failing case: `{f['case_id']}`."]
        for note in test.get("notes") or []:
            lines += ["", f"Note: {note}"]
        return "\n".join(lines)
    if f and explained is not None:
        lines += ["", f"Problem {explained[0]} in the fix list."]
    if f:
        lines += ["", f"First failing case: `{f['case_id']}`", "", f"{f['message']}"]
        causes = [c for c in f.get("diagnosis") or [] if c.get("message") != f["message"]]
        if causes:
            lines += ["", "Likely causes:"] + [f"- `{c['code']}`: {c['message']}" for c in causes]
        err = f.get("error") or {}
        if err.get("file"):
            lines += ["", f"Raised at `{err['file']}:{err['line']}` in `{err.get('function')}`:"
                          f" `{err.get('code', '')}`"]
        trace = err.get("traceback") or ""
        if show_traceback and trace.strip():
            lines += ["", "Traceback (only the frames in your files):", "", "```text",
                      trace.rstrip(), "```"]
        if f.get("repro"):
            lines += ["", f"Rerun it: `{f['repro']}`"]
        if (f.get("stdout") or "").strip():
            lines += ["", "Printed by your code:", "", "```text", f["stdout"].rstrip()[:2000],
                      "```"]
    elif test["message"] and test["message"] != "all cases pass":
        lines += ["", test["message"]]
    for note in test.get("notes") or []:
        lines += ["", f"Note: {note}"]
    return "\n".join(lines)


def summary_markdown(result: dict[str, Any],
                     entries: list[dict[str, Any]] | None = None) -> str:
    """The submission-level part: status, score, reason, the fix list (`entries`) and the
    findings."""
    lines = [f"**Status: {STATUS_TEXT.get(result['status'], result['status'])}** · "
             f"score {_fmt(result['score'])}/{_fmt(result['max_score'])}", "",
             result["reason"]]
    if entries:
        lines += ["", *fix_list_markdown(entries)]
    if result.get("findings"):
        lines += ["", "Findings:"]
        lines += [f"- `{f['code']}`: {f['message']}" for f in result["findings"]]
    modules = {m: src for m, src in (result.get("modules") or {}).items()
               if _origin(src) != "submission"}
    if modules:
        lines += ["", "Modules not taken from the submission:"]
        lines += [f"- `{m}`: {_source(src)}" for m, src in modules.items()]
    return "\n".join(lines)


def _traceback_elsewhere(test: dict[str, Any], details: str) -> bool:
    """Whether the details (nnparity's investigated report) already show this traceback."""
    trace = str(((test.get("finding") or {}).get("error") or {}).get("traceback") or "")
    return bool(trace.strip()) and trace.strip() in details


def _tests_markdown(tests: list[dict[str, Any]], entries: list[dict[str, Any]],
                    details: str) -> dict[str, str]:
    """Each test's output, its root cause explained once (see `test_markdown`)."""
    explained = _explained(entries, tests)
    return {t["name"]: test_markdown(
        t, explained.get(t["name"]),
        show_traceback=(explained.get(t["name"]) or (0, None))[1] is None
        and not _traceback_elsewhere(t, details)) for t in tests}


def feedback_markdown(result: dict[str, Any]) -> str:
    rows = [[t["name"], f"{_fmt(t['score'])}/{_fmt(t['max_score'])}",
             f"{t['passed']}/{t['cases']}", t["status"],
             "" if t["visibility"] == "visible" else t["visibility"]] for t in result["tests"]]
    entries = test_fix_list(result)
    outputs = _tests_markdown(result["tests"], entries, result.get("details") or "")
    out = [f"# Feedback: {result['name']}", "", summary_markdown(result, entries), "",
           f"Rubric `{result['rubric']['name']}` (seed {result['rubric']['seed']}"
           + (f", profile {result['rubric']['profile']}" if api_of_result(result).conventions
              else "") + f"); graded by nnparity {result.get('nnparity', '')} in "
           f"{result.get('seconds', 0):g} s.", "",
           f"Isolation: {ISOLATION_TEXT.get(result.get('isolation'), 'not recorded')}.", "",
           "## Tests", "",
           tabulate(rows, headers=["test", "score", "cases", "status", "visibility"],
                    tablefmt="github"), ""]
    failing = [t for t in result["tests"] if t["score"] < t["max_score"]]
    if failing:
        out += ["## What went wrong", ""]
        for t in failing:
            out += [f"### {t['name']}", "", outputs[t["name"]], ""]
    notes = [(t["name"], n) for t in result["tests"] if t["score"] >= t["max_score"]
             for n in t.get("notes") or []]
    if notes:
        out += ["## Notes on passing tests", ""] + [f"- {name}: {n}" for name, n in notes] + [""]
    if result.get("details"):
        out += ["## Details", "", result["details"]]
    if result.get("traceback"):  # nnparity's own: its paths are for the staff (result.json)
        out += ["## nnparity's error", "", "nnparity itself failed on this submission; the "
                "course staff find its traceback in result.json."]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ Gradescope
def gradescope_results(result: dict[str, Any], rubric: Rubric) -> dict[str, Any]:
    """Gradescope's results.json for one submission: the top-level output (always visible)
    has the fix list of the visible tests, whose outputs point to it."""
    entries = test_fix_list(result, visible_only=True)
    visible = [t for t in result["tests"] if t.get("visibility") == "visible"]
    details = result.get("details") or ""
    outputs = {t["name"]: test_markdown(t) for t in result["tests"]}
    outputs.update(_tests_markdown(visible, entries, details))
    tests = [{
        "number": str(i),
        "name": t["name"],
        "score": t["score"],
        "max_score": t["max_score"],
        "status": "passed" if t["score"] >= t["max_score"] else "failed",
        "output": outputs[t["name"]],
        "output_format": "md",
        "visibility": t["visibility"],
        "tags": [t["op"]],
    } for i, t in enumerate(result["tests"], 1)]
    return {
        "score": result["score"],
        "execution_time": int(round(result.get("seconds", 0))),
        "output": summary_markdown(result, entries) + (
            f"\n\n{result['details']}" if result.get("details") else ""),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": rubric.stdout_visibility,
        "extra_data": {"status": result["status"], "reason": result["reason"],
                       "isolation": result.get("isolation"),
                       "nnparity": result.get("nnparity"), "rubric": result["rubric"]},
        "tests": tests,
    }


def failure_results(message: str) -> dict[str, Any]:
    """A valid results.json when nothing else could be produced."""
    return {"score": 0, "output": message, "output_format": "md", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"status": "internal_error"}}


# ------------------------------------------------------------------ files
def write_submission(out: Path, result: dict[str, Any], rubric: Rubric) -> Path:
    """Write feedback.md, results.json and, last, result.json; the submission's directory."""
    d = out / result["name"]
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    write_atomic(d / FEEDBACK_FILE, feedback_markdown(result))
    write_atomic(d / GRADESCOPE_FILE, strict_json(gradescope_results(result, rubric)))
    write_atomic(d / RESULT_FILE, strict_json(result))
    return d


def read_result(out: Path, name: str) -> dict[str, Any] | None:
    try:
        return json.loads((out / name / RESULT_FILE).read_text())
    except (OSError, ValueError):
        return None


def gradebook_csv(results: list[dict[str, Any]], rubric: Rubric) -> str:
    tests = [item.test_name(out) for item, out in rubric.tests]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["submission", "status", "score", "max_score", "reason", "seconds", "isolation",
                "source", *tests])
    for r in results:
        by_name = {t["name"]: t["score"] for t in r.get("tests", [])}
        w.writerow([r["name"], r["status"], r["score"], r["max_score"], r["reason"],
                    r.get("seconds", ""), r.get("isolation") or "", r.get("source", ""),
                    *[by_name.get(t, "") for t in tests]])
    return buf.getvalue()


def write_gradebook(out: Path, results: list[dict[str, Any]], rubric: Rubric) -> Path:
    path = out / GRADEBOOK_FILE
    write_atomic(path, gradebook_csv(results, rubric))
    return path


def _origin(src: dict[str, str] | str) -> str:
    return src if isinstance(src, str) else src["origin"]


def _source(src: dict[str, str] | str) -> str:
    """Where a module came from, and why (result.json keeps {origin, reason})."""
    if isinstance(src, str):
        return src
    return f"{src['origin']} ({src['reason']})"
