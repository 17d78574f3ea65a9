"""The class report: what a cohort gets wrong, built from the result.json files of a batch.

`write_class_report(out)` reads OUT/<name>/result.json of every submission the gradebook
lists (every OUT/*/result.json when there is no gradebook), so it gives the same report after
a local batch, a Dask batch or a resumed one, and writes beside the gradebook:

    class.json   the figures below, in the schema of docs/grading.md ("The class report")
    class.md     the same for the staff, then the class post: the five most common root
                 causes explained for students (visible tests only, nobody named)
    class.html   one self-contained page (inline CSS and SVG, no script, no network)

The class report is for the course staff: it names submissions and hidden tests. Only its
class post (in class.md) is written to be posted to students.

Root causes. A submission's root causes are its fix list's entries (`harness.diagnosis.fixlist`,
over every test, hidden ones too), each keyed across the class by its diagnosis code and the
function to open without line numbers and folders ('layers.py · Conv2D.backward'; for a
helper called from an op's method, that method: students name their helpers differently), so
that the same bug in 40 submissions counts once per submission. Within a submission an entry
with an unspecific code (``value_mismatch``, ``nan_inf``, ...: `fixlist.UNSPECIFIC`) at the
same place as an entry with a specific one joins it: hidden tests are not investigated, so
the same bug shows there as a bare mismatch. A root cause costs the points lost on the tests
it explains (a test two causes explain is shared equally between them).

Signatures and clusters. A submission's signature is its set of root-cause keys and the ids of
their smallest failing cases (when nnparity shrank one). Submissions that pass everything have
no signature and are left out. Identical signatures form a group; a group joins the largest
earlier cluster whose leading signature is near-identical to its own (`near`): the same root
causes (the smallest cases aside), a Jaccard similarity of at least `NEAR_JACCARD` over causes
and cases, or all root causes but one in common with at least `NEAR_SHARED` shared. Comparing
with the cluster's leader only keeps clusters from chaining. Similar signatures mean similar
bugs, often the course's most common ones: a prompt for office hours and for a closer look,
never evidence of copying.

The regrade diff. `diff_outs(old, new)` compares two --out directories submission by
submission and lists those whose status, score or maximum changed (or that only one holds),
with why: the rubric's fingerprint, the edition, nnparity's version, the submission's content
fingerprint, else "unknown". `nnparity grade --compare PREV_OUT` and `nnparity diff OLD NEW`
write it as regrade.csv and into the class report.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.core.opspec import FunctionOp
from harness.core.registry import find_op
from harness.diagnosis import fixlist
from harness.diagnosis.causes import CODES
from harness.grading import class_post as words
from harness.grading.outputs import (
    GRADEBOOK_FILE,
    RESULT_FILE,
    STATUS_TEXT,
    is_visible,
    test_fix_list,
    write_atomic,
)

SCHEMA = "nnparity-class-report/1"
CLASS_JSON, CLASS_MD, CLASS_HTML, REGRADE_CSV = "class.json", "class.md", "class.html", \
    "regrade.csv"
REVIEW_SHARE = 0.5      # an item failing for more than this share of the class is flagged
NEAR_JACCARD = 0.8      # near-identical signatures: at least this Jaccard similarity, or ...
NEAR_SHARED = 2         # ... all causes but one in common, sharing at least this many
POST_CAUSES = 5         # root causes the class post explains
HISTOGRAM_BINS = 10     # bins of the score histogram below full marks (full marks: a bar apart)
NOT_GRADED = ("refused_import", "import_error", "crashed", "timeout", "memory_limit",
              "invalid", "internal_error")
WHOLE = ("invalid", "internal_error")   # causes of the whole submission, not of a place
WHOLE_PLACE = "the submission"
LINE = re.compile(r":\d+(?= ·|,|$)")
SPECIFIC_NOT = fixlist.UNSPECIFIC


class ClassReportError(ValueError):
    """An output directory the class report cannot use; the message says what to fix."""


# ------------------------------------------------------------------ one submission
@dataclass(frozen=True)
class TestRow:
    """One test of one submission."""

    name: str
    item: str
    op: str
    output: str
    visibility: str
    score: float
    max_score: float
    code: str                   # its finding's top diagnosis ("" when it passes)

    @property
    def lost(self) -> float:
        return max(0.0, self.max_score - self.score)

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass(frozen=True)
class Cause:
    """One root cause of one submission (its fix-list entries at one place, merged)."""

    code: str
    where: str                  # 'layers.py · Conv2D.backward': no line, no folder
    message: str
    tests: tuple[str, ...]
    points: float               # the points lost on its tests
    visible: bool               # it explains a visible test
    smallest: str = ""          # its smallest failing case's id (visible tests only)

    @property
    def key(self) -> str:
        return cause_key(self.code, self.where)


@dataclass(frozen=True)
class PostCause:
    """A root cause as the student's own fix list (visible tests only) names it."""

    code: str
    where: str                  # the contract's place: 'layers.py · Conv2D.backward'
    op: str
    output: str
    test: str
    message: str
    case: str = ""              # its smallest failing case's id, seed and all
    params: str = ""            # that case's parameters, without its seed
    size: int = 0               # how big that case is (`class_post.case_size`)

    @property
    def key(self) -> str:
        return cause_key(self.code, self.where)


@dataclass(frozen=True)
class Graded:
    """What the class report needs of one result.json."""

    name: str
    status: str
    reason: str
    score: float
    max_score: float
    seconds: float | None
    isolation: str
    fingerprint: str
    rubric: str
    rubric_fingerprint: str
    edition: str
    nnparity: str
    tests: tuple[TestRow, ...]
    causes: tuple[Cause, ...]
    post: tuple[PostCause, ...]
    not_graded: tuple[str, ...] = ()

    @property
    def signature(self) -> frozenset[str]:
        return frozenset([c.key for c in self.causes]
                         + [f"case {c.smallest}" for c in self.causes if c.smallest])

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def title(code: str) -> str:
    """A diagnosis code's title in words, without the source file it points to."""
    text = CODES.get(code) or STATUS_TEXT.get(code) or code
    return re.sub(r"\s*\([\w/]+\.py\)", "", text)


def cause_key(code: str, where: str) -> str:
    return f"{code or 'unknown'} @ {where or WHOLE_PLACE}"


def place(open_: str) -> str:
    """The function to open, as the class counts it: no folders, no line numbers, and for a
    helper called from an op's method, that method ('layers.py · Conv2D.forward')."""
    text = str(open_ or "")
    if ", called from " in text:
        text = text.rpartition(", called from ")[2]
    text = LINE.sub("", text)
    return " · ".join(re.sub(r"^(?:[^\s/]+/)+", "", part.strip()) for part in text.split(" · "))


def _top_code(finding: dict[str, Any] | None) -> str:
    diagnosis = (finding or {}).get("diagnosis") or [{}]
    return str((diagnosis[0] or {}).get("code") or "")


def _smallest(finding: dict[str, Any] | None) -> dict[str, Any]:
    """The smallest failing case nnparity found ({} when it did not shrink one)."""
    small = (finding or {}).get("smallest")
    return small if isinstance(small, dict) and small.get("case_id") else {}


def _entry_code(entry: dict[str, Any], result: dict[str, Any]) -> str:
    code = str(entry.get("code") or "")
    if "RefusedImport" in str(entry.get("message", "")):
        return "refused_import"
    if not code and result.get("status") != "graded":
        return str(result.get("status"))
    return code


def _merged(entries: list[dict[str, Any]], result: dict[str, Any]
            ) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """The fix list's entries as (code, place, entries), one per root cause: the entries of
    one code at one place or with one message (a package that crashes while starting is one
    entry per module, in the words of the first), and an unspecific entry joined to a
    specific one at its place."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    said: dict[tuple[str, str], tuple[str, str]] = {}   # (code, message) -> its group
    for e in entries:
        code = _entry_code(e, result)
        where = WHOLE_PLACE if code in WHOLE else place(e.get("open", ""))
        group = said.setdefault((code, str(e.get("message", ""))), (code, where))
        groups.setdefault(group, []).append(e)
    specific: dict[str, str] = {}
    for code, where in groups:
        if code not in SPECIFIC_NOT:
            specific.setdefault(where, code)
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (code, where), members in groups.items():
        target = (specific[where], where) if code in SPECIFIC_NOT and where in specific \
            else (code, where)
        out.setdefault(target, []).extend(members)
    return [(code, where, members) for (code, where), members in out.items()]


def _causes(result: dict[str, Any], tests: dict[str, TestRow]) -> tuple[Cause, ...]:
    """The submission's root causes over every test, with the points each costs."""
    merged = _merged(test_fix_list(result), result)
    explained: Counter[str] = Counter()
    per_cause: list[list[str]] = []
    for _, _, members in merged:
        names = list(dict.fromkeys(r.get("test") for e in members for r in e["items"]
                                   if r.get("test") in tests))
        per_cause.append(names)
        explained.update(names)
    findings = {t["name"]: t.get("finding") for t in result.get("tests") or []}
    causes = []
    for (code, where, members), names in zip(merged, per_cause, strict=True):
        points = sum(tests[n].lost / explained[n] for n in names)
        small = next((_smallest(findings.get(n))["case_id"] for n in names
                      if is_visible({"visibility": tests[n].visibility})
                      and _smallest(findings.get(n))), "")
        causes.append(Cause(code, where, str(members[0].get("message", "")), tuple(names),
                            round(points, 4), any(tests[n].visibility == "visible"
                                                  for n in names), small))
    return tuple(sorted(causes, key=lambda c: (-c.points, c.key)))


def _post(result: dict[str, Any], tests: dict[str, TestRow]) -> tuple[PostCause, ...]:
    """The submission's root causes as its own fix list (visible tests only) names them."""
    findings = {t["name"]: t.get("finding") for t in result.get("tests") or []
                if is_visible(t)}
    out = []
    for code, _, members in _merged(test_fix_list(result, visible_only=True), result):
        if code in WHOLE:   # no package, or nnparity's own failure: nothing to explain
            continue
        root = members[0]["root"]
        op, output, test = root.get("op", ""), root.get("output", ""), root.get("test", "")
        names = [r.get("test") for e in members for r in e["items"] if r.get("test")]
        small = next((s for n in names if (s := _smallest(findings.get(n)))), {})
        finding = findings.get(test) or {}
        case = small or ({"case_id": finding.get("case_id"), "params": finding.get("params")}
                         if finding.get("case_id") else {})
        given = case.get("params")
        params: dict[str, object] = given if isinstance(given, dict) else {}
        out.append(PostCause(code, _post_place(place(members[0].get("open", "")), op, output),
                             op, output, test,
                             str(members[0].get("message", "")), str(case.get("case_id") or ""),
                             words.case_text(params), words.case_size(params)))
    return tuple(out)


def _post_place(where: str, op: str, output: str) -> str:
    """Where the class post says a root cause is: the fix list's place when it is the op's
    own class or a module that does not import, else the contract's method for the output
    (never a helper a student named)."""
    spec = find_op(op)
    function = where.rpartition(" · ")[2]
    if spec is not None and not isinstance(spec, FunctionOp) and (
            function.startswith(f"{spec.cls}.") or function == "<module>"):
        return where
    return words.contract_place(op, output)


def read_graded(result: dict[str, Any]) -> Graded:
    """A result.json's content as the class report sees it."""
    rows = []
    for t in result.get("tests") or []:
        rows.append(TestRow(str(t["name"]), str(t.get("item", t["name"])), str(t.get("op", "")),
                            str(t.get("output", "")), str(t.get("visibility", "visible")),
                            float(t.get("score") or 0.0), float(t.get("max_score") or 0.0),
                            "" if float(t.get("score") or 0) >= float(t.get("max_score") or 0)
                            else _top_code(t.get("finding")) or str(t.get("status", ""))))
    tests = {r.name: r for r in rows}
    rubric = result.get("rubric") or {}
    seconds = result.get("seconds")
    return Graded(
        name=str(result["name"]), status=str(result.get("status", "")),
        reason=str(result.get("reason", "")), score=float(result.get("score") or 0.0),
        max_score=float(result.get("max_score") or 0.0),
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        isolation=str(result.get("isolation") or "not recorded"),
        fingerprint=str(result.get("fingerprint", "")), rubric=str(rubric.get("name", "")),
        rubric_fingerprint=str(rubric.get("fingerprint", "")),
        edition=str((result.get("edition") or {}).get("name", "")),
        nnparity=str(result.get("nnparity", "")), tests=tuple(rows),
        causes=_causes(result, tests) if any(not r.passed for r in rows) else (),
        post=_post(result, tests) if any(not r.passed for r in rows) else (),
        not_graded=tuple(str(n.get("item")) for n in result.get("not_graded") or []))


# ------------------------------------------------------------------ reading an --out
def batch_names(out: Path) -> list[str] | None:
    """The submissions the gradebook lists, in its order (None without a gradebook)."""
    try:
        with (out / GRADEBOOK_FILE).open(newline="", encoding="utf-8") as f:
            return [row["submission"] for row in csv.DictReader(f) if row.get("submission")]
    except (OSError, KeyError, csv.Error):
        return None


def read_results(out: str | Path) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(the results, the names listed but not graded yet, the names whose result.json is
    unreadable) of the batch in `out`."""
    out = Path(out)
    if not out.is_dir():
        raise ClassReportError(f"{out}: not a directory; give the --out directory of a "
                               "`nnparity grade` run")
    names = batch_names(out)
    if names is None:
        names = sorted(p.parent.name for p in out.glob(f"*/{RESULT_FILE}"))
    results, pending, unreadable = [], [], []
    for name in names:
        path = out / name / RESULT_FILE
        if not path.exists():
            pending.append(name)
            continue
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(result, dict) or "name" not in result:
                raise ValueError("not a result")
        except (OSError, ValueError):
            unreadable.append(name)
            continue
        results.append(result)
    if not results and not pending:
        raise ClassReportError(f"{out}: no {RESULT_FILE} files and no {GRADEBOOK_FILE}; give "
                               "the --out directory of a `nnparity grade` run")
    return results, pending, unreadable


# ------------------------------------------------------------------ statistics
def _round(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def _describe(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None, "min": None, "max": None, "stdev": None}
    return {"mean": _round(statistics.fmean(values)), "median": _round(statistics.median(values)),
            "min": _round(min(values)), "max": _round(max(values)),
            "stdev": _round(statistics.pstdev(values))}


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return _round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)])


def _histogram(subs: list[Graded]) -> list[dict[str, Any]]:
    """Scores as a share of each submission's maximum: HISTOGRAM_BINS bins below full marks,
    then full marks."""
    width = 100 / HISTOGRAM_BINS
    counts, full_marks = [0] * HISTOGRAM_BINS, 0
    for s in subs:
        if s.max_score and s.score >= s.max_score:
            full_marks += 1
        else:
            counts[min(HISTOGRAM_BINS - 1, int(s.percent // width))] += 1
    bins: list[dict[str, Any]] = [
        {"low": _round(i * width, 2), "high": _round((i + 1) * width, 2), "count": counts[i],
         "label": f"{i * width:g}–{(i + 1) * width:g}%"} for i in range(HISTOGRAM_BINS)]
    full = {"low": 100.0, "high": 100.0, "count": full_marks, "label": "100%"}
    return [*bins, full]


def _scores(subs: list[Graded]) -> dict[str, Any]:
    maxima = sorted({s.max_score for s in subs})
    return {
        "max_score": maxima[-1] if maxima else 0.0, "max_scores": maxima,
        "points": _describe([s.score for s in subs]),
        "percent": _describe([s.percent for s in subs]),
        "full_marks": sum(1 for s in subs if s.max_score and s.score >= s.max_score),
        "zero": sum(1 for s in subs if s.score <= 0),
        "histogram": _histogram(subs),
    }


def _tests(subs: list[Graded]) -> list[dict[str, Any]]:
    """Per test: how many submissions it was graded for, how many passed it, the points lost."""
    rows: dict[str, dict[str, Any]] = {}
    for s in subs:
        for t in s.tests:
            row = rows.setdefault(t.name, {
                "test": t.name, "item": t.item, "op": t.op, "output": t.output,
                "visibility": t.visibility, "max_score": t.max_score, "submissions": 0,
                "passed": 0, "points_lost": 0.0, "codes": Counter()})
            row["submissions"] += 1
            row["passed"] += t.passed
            row["points_lost"] += t.lost
            if not t.passed and t.code:
                row["codes"][t.code] += 1
    out = []
    for row in rows.values():
        n = row["submissions"]
        codes: Counter[str] = row.pop("codes")
        out.append(row | {"pass_rate": _round(row["passed"] / n) if n else None,
                          "points_lost": _round(row["points_lost"]),
                          "mean_points_lost": _round(row["points_lost"] / n) if n else 0.0,
                          "diagnoses": dict(codes.most_common(5))})
    return out


def _items(subs: list[Graded], tests: list[dict[str, Any]],
           causes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rubric item: passed when every output scored full marks; flagged for review when it
    fails for more than REVIEW_SHARE of the submissions graded for it."""
    order = list(dict.fromkeys(t["item"] for t in tests))
    meta = {t["item"]: t for t in tests}
    graded: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    lost: dict[str, float] = defaultdict(float)
    cause_of: dict[str, Counter[str]] = defaultdict(Counter)
    codes: dict[str, Counter[str]] = defaultdict(Counter)
    for s in subs:
        by_item: dict[str, list[TestRow]] = defaultdict(list)
        for t in s.tests:
            by_item[t.item].append(t)
        for item, rows in by_item.items():
            graded[item] += 1
            ok = all(t.passed for t in rows)
            passed[item] += ok
            lost[item] += sum(t.lost for t in rows)
            if ok:
                continue
            names = {t.name for t in rows}
            cause_of[item].update({c.key for c in s.causes if names & set(c.tests)})
            codes[item].update({t.code for t in rows if not t.passed and t.code})
    out = []
    for item in order:
        n = graded[item]
        failing = n - passed[item]
        top = cause_of[item].most_common(1)
        code = codes[item].most_common(1)
        out.append({
            "item": item, "op": meta[item]["op"], "visibility": meta[item]["visibility"],
            "max_score": _round(sum(t["max_score"] for t in tests if t["item"] == item)),
            "outputs": [t["test"] for t in tests if t["item"] == item],
            "submissions": n, "passed": passed[item], "failed": failing,
            "pass_rate": _round(passed[item] / n) if n else None,
            "points_lost": _round(lost[item]),
            "review": bool(n) and failing > REVIEW_SHARE * n,
            "common_cause": ({"cause": causes[top[0][0]]["id"], "key": top[0][0],
                              "submissions": top[0][1]} if top else None),
            "common_diagnosis": ({"code": code[0][0], "title": CODES.get(code[0][0], ""),
                                  "submissions": code[0][1]} if code else None),
        })
    return out


def _class_causes(subs: list[Graded], names: words.Names) -> list[dict[str, Any]]:
    """The class's root causes, most submissions first: each with its members and points."""
    found: dict[str, dict[str, Any]] = {}
    for s in subs:
        for c in s.causes:
            row = found.setdefault(c.key, {"key": c.key, "code": c.code, "where": c.where,
                                           "members": [], "points": 0.0, "tests": Counter(),
                                           "messages": [], "visible": 0})
            row["members"].append(s.name)
            row["points"] += c.points
            row["tests"].update(c.tests)
            row["visible"] += c.visible
            if len(row["messages"]) < 200:
                row["messages"].append(c.message)
    ranked = sorted(found.values(), key=lambda r: (-len(r["members"]), -r["points"], r["key"]))
    out = []
    for rank, row in enumerate(ranked, 1):
        n = len(row["members"])
        out.append({
            "id": f"C{rank}", "key": row["key"], "code": row["code"],
            "title": title(row["code"]),
            "where": row["where"],
            "message": words.generalise(row["messages"], names),
            "example": row["messages"][0][:400],
            "submissions": n, "share": _round(n / len(subs)) if subs else 0.0,
            "points": _round(row["points"]), "mean_points": _round(row["points"] / n),
            "tests": dict(row["tests"].most_common()),
            "visible_submissions": row["visible"], "hidden_only": row["visible"] == 0,
            "members": row["members"],
        })
    return out


# ------------------------------------------------------------------ clusters
def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _cause_set(signature: frozenset[str]) -> frozenset[str]:
    return frozenset(x for x in signature if not x.startswith("case "))


def near(a: frozenset[str], b: frozenset[str]) -> bool:
    """Near-identical signatures (see the module docstring)."""
    ca, cb = _cause_set(a), _cause_set(b)
    if ca == cb or jaccard(a, b) >= NEAR_JACCARD:
        return True
    return len(ca ^ cb) == 1 and len(ca & cb) >= NEAR_SHARED


def _clusters(subs: list[Graded], ids: dict[str, str]) -> list[dict[str, Any]]:
    """Clusters of two or more submissions with identical or near-identical signatures."""
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for s in subs:
        if s.causes:
            groups[s.signature].append(s.name)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), -len(kv[0]), sorted(kv[0])))
    clusters: list[dict[str, Any]] = []
    by_cause_set: dict[frozenset[str], int] = {}
    for signature, members in ordered:
        home = by_cause_set.get(_cause_set(signature))
        if home is None:
            home = next((i for i, c in enumerate(clusters) if near(c["leader"], signature)),
                        None)
        if home is None:
            clusters.append({"leader": signature, "groups": []})
            home = len(clusters) - 1
            by_cause_set.setdefault(_cause_set(signature), home)
        clusters[home]["groups"].append((signature, members))
    out: list[dict[str, Any]] = []
    for c in clusters:
        members = [m for _, ms in c["groups"] for m in ms]
        if len(members) < 2:
            continue
        leader = c["leader"]
        out.append({
            "size": len(members), "members": members,
            "identical": len(c["groups"]) == 1,
            "groups": [{"size": len(ms), "members": ms,
                        "causes": sorted(ids[x] for x in _cause_set(sig)),
                        "cases": sorted(x[5:] for x in sig - _cause_set(sig)),
                        "jaccard": _round(jaccard(leader, sig), 3)} for sig, ms in c["groups"]],
            "causes": sorted((ids[x] for x in _cause_set(leader)),
                             key=lambda i: int(i[1:])),
            "cases": sorted(x[5:] for x in leader - _cause_set(leader)),
        })
    out.sort(key=lambda c: (len(c["causes"]) < 2, -c["size"], -len(c["causes"])))
    for n, c in enumerate(out, 1):
        c["id"] = f"K{n}"
    return out


# ------------------------------------------------------------------ the class post
def _class_post(subs: list[Graded], names: words.Names) -> list[dict[str, Any]]:
    """The POST_CAUSES most common root causes of the visible tests, told for students."""
    found: dict[str, dict[str, Any]] = {}
    for s in subs:
        for p in {p.key: p for p in s.post}.values():
            row = found.setdefault(p.key, {"key": p.key, "code": p.code, "where": p.where,
                                           "n": 0, "messages": [], "cases": {},
                                           "tests": Counter(), "outputs": Counter()})
            row["n"] += 1
            row["tests"][p.test] += 1
            row["outputs"][(p.op, p.output)] += 1
            if len(row["messages"]) < 200:
                row["messages"].append(p.message)
            if p.case:
                row["cases"].setdefault(p.case, (p.size, p.params, p.op))
    ranked = sorted(found.values(), key=lambda r: (-r["n"], r["key"]))[:POST_CAUSES]
    out = []
    for rank, row in enumerate(ranked, 1):
        op, output = row["outputs"].most_common(1)[0][0]
        case = min(row["cases"].values(), default=None)
        out.append({
            "rank": rank, "code": row["code"],
            "title": title(row["code"]),
            "where": row["where"], "op": op, "output": output,
            "test": row["tests"].most_common(1)[0][0],
            "submissions": row["n"], "share": _round(row["n"] / len(subs)) if subs else 0.0,
            "symptom": _sentence(words.generalise(
                [words.symptom(words.scrub(m, names), row["code"]) for m in row["messages"]],
                names)),
            "smallest_case": ({"op": case[2], "params": case[1]} if case else None),
            "contract": words.contract_text(op, output),
            "hint": words.hint(row["code"]),
        })
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    return text + ("" if not text or text.endswith((".", "?", "!")) else ".")


# ------------------------------------------------------------------ the regrade diff
DIFF_FIELDS = ["submission", "old_status", "old_score", "old_max_score", "new_status",
               "new_score", "new_max_score", "why", "detail", "tests_changed"]


def _why(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Why a submission's grade changed: (reasons, details)."""
    reasons, details = [], []
    o_rubric, n_rubric = old.get("rubric") or {}, new.get("rubric") or {}
    if o_rubric.get("fingerprint") != n_rubric.get("fingerprint"):
        reasons.append("rubric changed")
        details.append(f"rubric {o_rubric.get('name')} {o_rubric.get('fingerprint')} -> "
                       f"{n_rubric.get('name')} {n_rubric.get('fingerprint')}")
    o_ed, n_ed = ((r.get("edition") or {}).get("name") for r in (old, new))
    if o_ed != n_ed:
        reasons.append("edition changed")
        details.append(f"edition {o_ed} -> {n_ed}")
    if old.get("nnparity") != new.get("nnparity"):
        reasons.append("nnparity version changed")
        details.append(f"nnparity {old.get('nnparity')} -> {new.get('nnparity')}")
    if old.get("fingerprint") != new.get("fingerprint"):
        reasons.append("submission changed")
        details.append(f"content fingerprint {old.get('fingerprint')} -> "
                       f"{new.get('fingerprint')}")
    return reasons or ["unknown"], details


def _tests_changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before = {t["name"]: t.get("score") for t in old.get("tests") or []}
    after = {t["name"]: t.get("score") for t in new.get("tests") or []}
    return [f"{n}: {before.get(n, '-')} -> {after.get(n, '-')}"
            for n in dict.fromkeys([*before, *after]) if before.get(n) != after.get(n)]


def diff_results(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, Any]:
    """The submissions whose status, score or maximum differ between two batches' results,
    and why (see the module docstring)."""
    before = {r["name"]: r for r in old}
    after = {r["name"]: r for r in new}
    rows: list[dict[str, Any]] = []
    reasons: Counter[str] = Counter()
    detail: list[str]
    for name in dict.fromkeys([*after, *before]):
        o, n = before.get(name), after.get(name)
        if o is None or n is None:
            why, detail = (["new submission"] if o is None else ["no longer graded"]), []
        elif (o.get("status") != n.get("status")
              or abs(float(o.get("score") or 0) - float(n.get("score") or 0)) > 1e-9
              or abs(float(o.get("max_score") or 0) - float(n.get("max_score") or 0)) > 1e-9):
            why, detail = _why(o, n)
        else:
            continue
        reasons.update(why)
        rows.append({
            "submission": name,
            "old_status": o.get("status") if o else None, "old_score": o.get("score") if o
            else None, "old_max_score": o.get("max_score") if o else None,
            "new_status": n.get("status") if n else None, "new_score": n.get("score") if n
            else None, "new_max_score": n.get("max_score") if n else None,
            "why": why, "detail": detail,
            "tests_changed": _tests_changed(o, n) if o and n else [],
        })
    return {"compared": len(set(before) & set(after)), "old_only": len(set(before) - set(after)),
            "new_only": len(set(after) - set(before)), "changed": len(rows),
            "reasons": dict(reasons.most_common()), "rows": rows}


def diff_outs(old: str | Path, new: str | Path) -> dict[str, Any]:
    """`diff_results` of two --out directories (ClassReportError when one is unusable)."""
    old_results = read_results(old)[0]
    new_results = read_results(new)[0]
    return {"old": str(old), "new": str(new), **diff_results(old_results, new_results)}


def regrade_csv(diff: dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(DIFF_FIELDS)
    for row in diff["rows"]:
        w.writerow(["; ".join(row[k]) if isinstance(row[k], list) else
                    ("" if row[k] is None else row[k]) for k in DIFF_FIELDS])
    return buf.getvalue()


# ------------------------------------------------------------------ the whole report
def build_class(results: list[dict[str, Any]], out: str | Path = "",
                pending: Iterable[str] = (), unreadable: Iterable[str] = (),
                regrade: dict[str, Any] | None = None) -> dict[str, Any]:
    """class.json's content for a batch's results (see docs/grading.md, "The class report")."""
    subs = [read_graded(r) for r in results]
    pending, unreadable = list(pending), list(unreadable)
    names = words.names_pattern([s.name for s in subs])
    causes = _class_causes(subs, names)
    ids = {c["key"]: c["id"] for c in causes}
    by_key = {c["key"]: c for c in causes}
    tests = _tests(subs)
    items = _items(subs, tests, by_key)
    seconds = [s.seconds for s in subs if s.seconds is not None]
    slowest = sorted((s for s in subs if s.seconds is not None), key=lambda s: -(s.seconds or 0))
    statuses = Counter(s.status for s in subs)
    clusters = _clusters(subs, ids)
    cluster_of = {m: c["id"] for c in clusters for m in c["members"]}
    rubrics = Counter(f"{s.rubric} {s.rubric_fingerprint}" for s in subs)
    return {
        "schema": SCHEMA, "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "out": str(out), "nnparity": sorted({s.nnparity for s in subs}),
        "rubric": {"names": sorted({s.rubric for s in subs}), "versions": dict(rubrics),
                   "mixed": len(rubrics) > 1},
        "submissions": {"total": len(subs) + len(pending) + len(unreadable),
                        "with_result": len(subs), "pending": pending,
                        "unreadable": unreadable,
                        "all_pass": sum(1 for s in subs if not s.causes)},
        "scores": _scores(subs),
        "statuses": {k: statuses.get(k, 0) for k in ("graded", *NOT_GRADED)
                     if statuses.get(k)} | {k: v for k, v in statuses.items()
                                             if k not in ("graded", *NOT_GRADED)},
        "not_graded_cleanly": {k: [s.name for s in subs if s.status == k] for k in NOT_GRADED
                               if statuses.get(k)},
        "isolation": dict(Counter(s.isolation for s in subs).most_common()),
        "seconds": {"total": _round(sum(seconds), 2), **_describe(seconds),
                    "p90": _quantile(seconds, 0.9),
                    "slowest": [{"submission": s.name, "seconds": s.seconds}
                                for s in slowest[:5]]},
        "tests": tests,
        "items": items,
        "review": [i["item"] for i in items if i["review"]],
        "causes": causes,
        "clusters": clusters,
        "signatures": [{"submission": s.name, "status": s.status, "score": s.score,
                        "max_score": s.max_score, "causes": [ids[c.key] for c in s.causes],
                        "cases": sorted({c.smallest for c in s.causes if c.smallest}),
                        "cluster": cluster_of.get(s.name)} for s in subs],
        "post": _class_post(subs, names),
        "regrade": regrade,
    }


def class_report(out: str | Path, compare: str | Path | None = None) -> dict[str, Any]:
    """class.json's content for the batch in `out` (with the regrade diff against `compare`,
    an earlier --out directory)."""
    results, pending, unreadable = read_results(out)
    regrade = None
    if compare is not None:
        regrade = {"old": str(compare), "new": str(out),
                   **diff_results(read_results(compare)[0], results)}
    return build_class(results, out, pending, unreadable, regrade)


def write_class_report(out_dir: str | Path, compare: str | Path | None = None,
                       on_error: Callable[[str], None] | None = None) -> dict[str, Path] | None:
    """Write class.json, class.md and class.html (and with `compare`, regrade.csv) into
    `out_dir` from its result.json files; their paths. With `on_error`, a failure is told
    through it and None returned (a batch's grades never depend on its class report);
    without, ClassReportError (or any other error) is raised."""
    from harness.core.results import strict_json
    from harness.reports.class_page import render_class_html, render_class_markdown

    out = Path(out_dir)
    try:
        data = class_report(out, compare)
        texts = {CLASS_JSON: strict_json(data), CLASS_MD: render_class_markdown(data),
                 CLASS_HTML: render_class_html(data)}
        if data["regrade"] is not None:
            texts[REGRADE_CSV] = regrade_csv(data["regrade"])
        for name, text in texts.items():
            write_atomic(out / name, text)
    except Exception as exc:  # noqa: BLE001 - told through on_error, or raised
        if on_error is None:
            raise
        on_error(f"class report not written ({type(exc).__name__}: {exc}); rebuild it with "
                 f"`nnparity class-report {out}`")
        return None
    return {name: out / name for name in texts}
