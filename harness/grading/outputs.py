"""What grading writes under --out.

    OUT/gradebook.csv              one row per submission of the batch: status, score, reason,
                                   seconds, isolation level and one column per test (item and
                                   output)
    OUT/<name>/result.json         everything nnparity knows about the grade (written last and
                                   atomically: its presence marks the submission as done)
    OUT/<name>/results.json        Gradescope's format (tests[] with name, score, max_score,
                                   status, Markdown output and visibility)
    OUT/<name>/feedback.md         the feedback for the student, in Markdown: visible tests only
    OUT/<name>/staff.md            feedback.md, then what it leaves out, for the course staff:
                                   every test, hidden ones too, and the grade over all

Hidden stays hidden. A test whose rubric item is not ``visible`` follows Gradescope's
visibility settings (its autograder specification: ``hidden`` never shown to students,
``after_due_date`` shown after the deadline, ``after_published`` when grades are published).
Nothing a student sees before then names or counts such a test: feedback.md, Gradescope's
top-level output and the visible tests' outputs show the visible tests, their fix list, their
points and a line "Hidden tests: released after the deadline" (`RELEASE_TEXT`); the reason a
grade gives is told from the visible tests, or cleared of hidden test names and case IDs
(`student_text`). A hidden test's own output on Gradescope is released with the test. staff.md
holds everything.

feedback.md and Gradescope's top-level output start with the fix list (`harness.diagnosis.fixlist`)
of the visible failing tests, in the order to fix them: one list, so one problem count. Each
root cause is explained once, in its first test; the other tests it explains say "see problem N
in the fix list". nnparity's investigation of a failure (the smallest failing case, one change
at a time, where the mismatches are) is shown under its test, never as a second report.
Gradescope's top-level output is the status, the visible fix list and the findings, within
`TOP_OUTPUT_BYTES`; the details stay in each test's output.

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
from harness.reports.markdown import failure_sections
from harness.reports.submission_words import STAFF_FILE, STATUS_TEXT
from harness.reports.view import anchor, short

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


VISIBLE = "visible"
# What a student is told about the tests they cannot see yet, by Gradescope's visibility setting
RELEASE_TEXT = {"after_due_date": "released after the deadline",
                "after_published": "released when grades are published",
                "hidden": "not released to students"}
TOP_OUTPUT_BYTES = 4096   # Gradescope's top-level output at most (always visible, never folded)
REASON_WIDTH = 200        # a reason's characters at most (as the grader's)


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
            for t in tests if not visible_only or is_visible(t)]


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


def fix_list_markdown(entries: list[dict[str, Any]], shown: int | None = None) -> list[str]:
    """The fix list in Markdown: one numbered entry per root cause (the first `shown` of them,
    then how many more; every one when None)."""
    if not entries:
        return []
    out = ["**Fix list**: " + fixlist.summary_line(entries), ""]
    for e in entries[:shown]:
        code = f"`{e['code']}`: " if e.get("code") else ""
        out.append(f"{e['problem']}. {code}{e['message']}")
        if e.get("open"):
            out.append(f"   - open `{e['open']}`")
        names = [r.get("test") or f"{r['op']} {r['output']}" for r in e["items"]]
        out.append(f"   - {'explains' if len(names) > 1 else 'test'}: {', '.join(names)}")
    rest = len(entries) - len(entries[:shown])
    if rest:
        out.append(f"\n{rest} more problem{'s' if rest != 1 else ''}: see the failing tests "
                   "below.")
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


# ------------------------------------------------------------------ who sees what
def is_visible(test: dict[str, Any]) -> bool:
    return test.get("visibility", VISIBLE) == VISIBLE


def shown_tests(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The tests a student sees: the visible ones."""
    return [t for t in result.get("tests") or [] if is_visible(t)]


def hidden_line(result: dict[str, Any]) -> str:
    """'Hidden tests: released after the deadline.' for a student: when the tests they cannot
    see are released, never which or how many ("" when every test is visible)."""
    kinds = dict.fromkeys(RELEASE_TEXT.get(t.get("visibility"), RELEASE_TEXT["hidden"])
                          for t in result.get("tests") or [] if not is_visible(t))
    return f"Hidden tests: {'; '.join(kinds)}." if kinds else ""


def _hidden_words(result: dict[str, Any]) -> list[str]:
    """What names a hidden test: its name and the case IDs its finding names (a case ID
    regenerates the case's inputs), longest first."""
    words: set[str] = set()
    for t in result.get("tests") or []:
        if is_visible(t):
            continue
        f = t.get("finding") or {}
        found = [f, *(g for g in f.get(fixlist.GROUPS_KEY) or [] if isinstance(g, dict))]
        words |= {t["name"], *(str(x.get("case_id") or "") for x in found),
                  *(str((x.get("smallest") or {}).get("case_id") or "") for x in found)}
    return sorted(filter(None, words), key=len, reverse=True)


def student_text(text: str, result: dict[str, Any]) -> str:
    """`text` with every hidden test's name and case ID replaced ('a hidden test')."""
    for word in _hidden_words(result):
        text = text.replace(word, "a hidden test")
    return text


def student_reason(result: dict[str, Any]) -> str:
    """The grade's reason as a student may read it: the grader's when every test is visible;
    else, for a graded submission, told from the visible tests; else the grader's, cleared of
    hidden test names and case IDs."""
    visible = shown_tests(result)
    if len(visible) == len(result.get("tests") or []):
        return result["reason"]
    if result["status"] != "graded":
        return student_text(result["reason"], result)
    failing = [t for t in visible if t["score"] < t["max_score"]]
    if not failing:
        return f"all {len(visible)} visible tests pass"
    first = failing[0]
    return short(f"{len(failing)} of {len(visible)} visible tests lost points; first: "
                 f"{first['name']}: {first['message']}", REASON_WIDTH)


def score_text(result: dict[str, Any]) -> str:
    """'score 14/22' (with hidden tests: 'score 14/22 on the visible tests')."""
    tests = shown_tests(result)
    if len(tests) == len(result.get("tests") or []):
        return f"score {_fmt(result['score'])}/{_fmt(result['max_score'])}"
    return (f"score {_fmt(sum(t['score'] for t in tests))}/"
            f"{_fmt(sum(t['max_score'] for t in tests))} on the visible tests")


# ------------------------------------------------------------------ Markdown pieces
def test_markdown(test: dict[str, Any], explained: tuple[int, str | None] | None = None,
                  show_traceback: bool = False, investigated: str = "") -> str:
    """One test's output: cases passed, the first failing case and what is wrong.

    `explained` is (problem number, earlier test) from the fix list: a test whose root cause
    an earlier test already explains, in the same words, only points to it. With
    `show_traceback`, the implementation's traceback (only its own frames) is included.
    `investigated` (nnparity's investigation of the failure: its smallest case, likely bug,
    repro command, ...) stands instead of the first failing case."""
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
    if f and investigated:
        lines += ["", investigated]
    elif f:
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


def status_markdown(result: dict[str, Any]) -> list[str]:
    """Status and score, the reason, when the hidden tests are released, and (when a visible
    test has a repro command and the rubric says) how to install nnparity to run it."""
    status = STATUS_TEXT.get(result["status"], result["status"])
    hidden = hidden_line(result)
    install = install_line(result)
    return ([f"**Status: {status}** · {score_text(result)}", "", student_reason(result)]
            + (["", hidden] if hidden else []) + (["", install] if install else []))


def install_line(result: dict[str, Any]) -> str:
    """How to get nnparity to run the repro commands (the rubric's student_install), when a
    visible test the student sees has one."""
    install = str((result.get("rubric") or {}).get("student_install") or "")
    repro = any((t.get("finding") or {}).get("repro") for t in shown_tests(result))
    return f"To run the `Rerun it` commands, install nnparity: `{install}`" \
        if install and repro else ""


def findings_markdown(result: dict[str, Any]) -> list[str]:
    findings = result.get("findings") or []
    if not findings:
        return []
    return ["", "Findings:",
            *(f"- `{f['code']}`: {student_text(f['message'], result)}" for f in findings)]


def spared_markdown(result: dict[str, Any]) -> list[str]:
    """The visible tests spared a bug of another op (the rubric's charge_once): which cases
    were rerun with nnparity's correct version of which op, and why."""
    spared = [t for t in shown_tests(result) if t.get("depends_on")]
    if not spared:
        return []
    lines = ["", "Charged once: these tests failed partly through another op that fails on "
             "its own tests, so those cases were run again with nnparity's correct version "
             "of that op and scored on your own code (that op's bug costs points once, on its "
             "own tests; fix it first):"]
    groups: dict[str, list[str]] = {}   # "through sigmoid in 3 cases" -> its tests' names
    for test in spared:
        through = ", ".join(f"{d['op']} in {d['cases']} case{'s' if d['cases'] != 1 else ''}"
                            for d in test["depends_on"])
        groups.setdefault(through, []).append(test["name"])
    lines += [f"- {_shared_prefix(names)}: through {through}" for through, names in groups.items()]
    return lines


def _shared_prefix(names: list[str]) -> str:
    """"FullyConnected forward, backward dX, dW" for tests of one op named alike."""
    first = {name.partition(" ")[0] for name in names}
    if len(names) < 2 or len(first) > 1:
        return ", ".join(names)
    return f"{names[0]}, " + ", ".join(name.partition(" ")[2] for name in names[1:])


def modules_markdown(result: dict[str, Any]) -> list[str]:
    modules = {m: src for m, src in (result.get("modules") or {}).items()
               if _origin(src) != "submission"}
    if not modules:
        return []
    return ["", "Modules not taken from the submission:",
            *(f"- `{m}`: {_source(src)}" for m, src in modules.items())]


def summary_markdown(result: dict[str, Any],
                     entries: list[dict[str, Any]] | None = None) -> str:
    """The submission-level part: status, score, reason, the fix list (`entries`), the
    findings and the modules that did not come from the submission."""
    lines = status_markdown(result)
    if entries:
        lines += ["", *fix_list_markdown(entries)]
    return "\n".join(lines + findings_markdown(result) + spared_markdown(result)
                     + modules_markdown(result))


def top_output(result: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    """Gradescope's top-level output, which every student sees: the status, the visible fix
    list and the findings, within TOP_OUTPUT_BYTES (the fix list's last entries give way
    first; the tests' outputs hold the rest)."""
    text = ""
    for shown in range(len(entries), -1, -1):
        fixes = ["", *fix_list_markdown(entries, shown)] if entries else []
        text = "\n".join(status_markdown(result) + fixes + findings_markdown(result))
        if len(text.encode()) <= TOP_OUTPUT_BYTES:
            return text
    cut = text.encode()[:TOP_OUTPUT_BYTES - 4].decode(errors="ignore")
    return cut[:cut.rfind("\n")] + "\n…"


def _traceback_elsewhere(test: dict[str, Any], details: str) -> bool:
    """Whether the details (nnparity's investigated report) already show this traceback."""
    trace = str(((test.get("finding") or {}).get("error") or {}).get("traceback") or "")
    return bool(trace.strip()) and trace.strip() in details


def _sections(result: dict[str, Any], tests: list[dict[str, Any]],
              explained: dict[str, tuple[int, str | None]]) -> dict[str, str]:
    """nnparity's investigation of each visible failing test (its section of the report in
    ``details``, which covers the visible cases only), under the first test that says it."""
    sections = failure_sections(result.get("details") or "")
    out = {}
    for t in tests:
        key = anchor(t["op"], t["output"])
        pointer = (explained.get(t["name"]) or (0, None))[1] is not None
        if is_visible(t) and t["score"] < t["max_score"] and key in sections and not pointer:
            out[t["name"]] = f'<a id="{key}"></a>\n\n{sections.pop(key)}'
    return out


def tests_markdown(result: dict[str, Any], tests: list[dict[str, Any]],
                   entries: list[dict[str, Any]]) -> dict[str, str]:
    """Each test's output, its root cause explained once (see `test_markdown`), with
    nnparity's investigation of it when there is one."""
    explained = _explained(entries, tests)
    details = result.get("details") or ""
    sections = _sections(result, tests, explained)
    return {t["name"]: test_markdown(
        t, explained.get(t["name"]),
        show_traceback=(explained.get(t["name"]) or (0, None))[1] is None
        and not _traceback_elsewhere(t, details),
        investigated=sections.get(t["name"], "")) for t in tests}


def _rubric_line(result: dict[str, Any]) -> str:
    rubric = result["rubric"]
    profile = f", profile {rubric['profile']}" if api_of_result(result).conventions else ""
    return (f"Rubric `{rubric['name']}` (seed {rubric['seed']}{profile}); graded by nnparity "
            f"{result.get('nnparity', '')} in {result.get('seconds', 0):g} s.")


def _tests_table(tests: list[dict[str, Any]], visibility: bool = False) -> str:
    headers = ["test", "score", "cases", "status"] + (["visibility"] if visibility else [])
    rows = [[t["name"], f"{_fmt(t['score'])}/{_fmt(t['max_score'])}",
             f"{t['passed']}/{t['cases']}", t["status"]]
            + ([t["visibility"]] if visibility else []) for t in tests]
    return tabulate(rows, headers=headers, tablefmt="github")


def feedback_markdown(result: dict[str, Any]) -> str:
    """feedback.md, what a student sees: the visible tests, their fix list and points, and
    when the hidden tests are released."""
    tests = shown_tests(result)
    entries = test_fix_list(result, visible_only=True)
    outputs = tests_markdown(result, tests, entries)
    out = [f"# Feedback: {result['name']}", "", summary_markdown(result, entries), "",
           _rubric_line(result), "",
           f"Isolation: {ISOLATION_TEXT.get(str(result.get('isolation')), 'not recorded')}.", "",
           "## Tests", "", _tests_table(tests), ""]
    failing = [t for t in tests if t["score"] < t["max_score"]]
    if failing:
        out += ["## What went wrong", ""]
        for t in failing:
            out += [f"### {t['name']}", "", outputs[t["name"]], ""]
    notes = [(t["name"], n) for t in tests if t["score"] >= t["max_score"]
             for n in t.get("notes") or []]
    if notes:
        out += ["## Notes on passing tests", ""] + [f"- {name}: {n}" for name, n in notes] + [""]
    if result.get("traceback"):  # nnparity's own: its paths are for the staff (staff.md)
        out += ["## nnparity's error", "", "nnparity itself failed on this submission; the "
                "course staff find its traceback in staff.md."]
    return "\n".join(out).rstrip() + "\n"


def _hidden_cause(test: dict[str, Any], every: list[dict[str, Any]],
                  student: dict[tuple[str, ...], list[dict[str, Any]]]) -> str:
    """How a hidden test's failure relates to the student's fix list: the visible test that
    shares its root cause, and that test's problem number there."""
    for e in every:
        names = [r.get("test") for r in e["items"]]
        shared = [n for n in names if (n,) in student]
        if test["name"] in names and shared:
            return (f"Same root cause as **{shared[0]}**: problem "
                    f"{student[(shared[0],)][0]['problem']} in the student's fix list.")
    return "No visible test shares its root cause: the student's fix list does not show it."


def staff_markdown(result: dict[str, Any]) -> str:
    """staff.md: the student's feedback.md as they get it, then what it leaves out: the grade
    over every test and the grader's reason, the hidden tests (each failure related to the
    student's fix list, which keeps its numbers) and nnparity's own error."""
    tests = result.get("tests") or []
    hidden = [t for t in tests if not is_visible(t)]
    out = [feedback_markdown(result).rstrip(), "", "---", "",
           "# For the course staff only (students get feedback.md)", "",
           f"**Grade: {_fmt(result['score'])}/{_fmt(result['max_score'])}** over every test, "
           f"{len(hidden)} of them hidden from students before release · {result['reason']}",
           ""]
    raw = [f for f in result.get("findings") or [] if student_text(f["message"], result)
           != f["message"]]
    out += ["Findings as recorded:", *(f"- `{f['code']}`: {f['message']}" for f in raw),
            ""] if raw else []
    out += ["## Every test", "", _tests_table(tests, visibility=True), ""]
    failing = [t for t in hidden if t["score"] < t["max_score"]]
    if failing:
        every = test_fix_list(result)
        student = fixlist.problems(test_fix_list(result, visible_only=True))
        details = result.get("details") or ""
        out += ["## Hidden tests that lost points", ""]
        for t in failing:
            cause = _hidden_cause(t, every, student)
            out += [f"### {t['name']} ({t['visibility']})", "", cause, "",
                    test_markdown(t, show_traceback=not _traceback_elsewhere(t, details)), ""]
    if result.get("traceback"):
        out += ["## nnparity's error", "", "```text", result["traceback"].rstrip(), "```"]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ Gradescope
def gradescope_results(result: dict[str, Any], rubric: Rubric) -> dict[str, Any]:
    """Gradescope's results.json for one submission. The top-level output, which every student
    sees, is the status and the visible tests' fix list (`top_output`); each visible test's
    output points to it and holds nnparity's investigation; a hidden test's output is its own,
    released with it. With hidden tests there is no top-level score: Gradescope totals the
    tests itself and, by its specification, keeps the total from students while tests are
    hidden."""
    entries = test_fix_list(result, visible_only=True)
    outputs = {t["name"]: test_markdown(t) for t in result["tests"]}
    outputs.update(tests_markdown(result, shown_tests(result), entries))
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
    score = ({"score": result["score"]}
             if len(shown_tests(result)) == len(result["tests"]) else {})
    return {
        **score,
        "execution_time": int(round(result.get("seconds", 0))),
        "output": top_output(result, entries),
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
    """Write feedback.md, staff.md, results.json and, last, result.json; the submission's
    directory."""
    d = out / result["name"]
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    write_atomic(d / FEEDBACK_FILE, feedback_markdown(result))
    write_atomic(d / STAFF_FILE, staff_markdown(result))
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
