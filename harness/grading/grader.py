"""Grade one submission with a rubric: run its cases in the sandbox, score, explain.

The result is one JSON-able dict (``result.json`` under --out; see `harness.grading.outputs`):
``status`` is one of

    graded          every case ran (tests may still have failed)
    refused_import  it imported (or tried to import) a refused module such as torch
    import_error    a graded module cannot be imported (syntax error, missing dependency, ...)
    crashed         the process died: os._exit, a segfault, a resource limit
    timeout         a case exceeded its time limit, or the submission its time budget
    memory_limit    it ran out of its address-space limit (MemoryError)
    invalid         no implementation found: not a package, an unreadable or unsafe zip, ...
    internal_error  nnparity itself failed (the traceback is in result.json)

and ``reason`` says why in one line. Scores are computed in every case: an item scores what
its cases earned, so a submission that crashes in Conv2D still gets its activations' points.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.check.checker import Checker
from harness.check.findings import record
from harness.check.session import verdicts_of
from harness.check.substitute import absent, absent_reason, charge_once
from harness.core.cases import Case, for_profile
from harness.core.loading import BUNDLED, MISSING
from harness.core.registry import OpSpec, get_op
from harness.core.results import aggregate, repro_command, skipped
from harness.core.verdict import Status, Verdict, describe_exception, is_outage
from harness.grading.outputs import VISIBLE, student_impl
from harness.grading.rubric import Item, Rubric
from harness.grading.submission import (
    InvalidSubmission,
    Submission,
    find_library,
    find_package,
    scan_imports,
    stage,
)
from harness.sandbox.isolation import level_for
from harness.sandbox.parent import BudgetSpent, Outage, Policy, Sandbox, within_budget
from harness.sandbox.visible import denied_to, hidden_paths, refused_package_dirs

STATUSES = ("graded", "refused_import", "import_error", "crashed", "timeout", "memory_limit",
            "invalid", "internal_error")
CUT_NOTE = re.compile(r"\n\.\.\. \[(\d+) more bytes of output cut\]")
OLD_NUMPY = re.compile(r"module 'numpy' has no attribute '(\w+)'|`np\.(\w+)` was removed")
NUMPY_REPLACEMENTS = {
    "int": "int", "float": "float (or np.float64)", "complex": "complex", "object": "object",
    "str": "str", "bool": "bool", "product": "np.prod", "cumproduct": "np.cumprod",
    "sometrue": "np.any", "alltrue": "np.all", "asscalar": "a.item()", "float_": "np.float64",
    "complex_": "np.complex128", "NaN": "np.nan", "Inf": "np.inf", "infty": "np.inf",
    "round_": "np.round", "in1d": "np.isin", "trapz": "np.trapezoid", "msort": "np.sort",
}


@lru_cache(maxsize=1)
def _version() -> str:
    """nnparity's installed version (read once: the metadata lookup costs milliseconds)."""
    try:
        from importlib.metadata import version
        return version("nnparity")
    except Exception:  # noqa: BLE001
        return "unknown"


def short(text: str, width: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


class SubmissionGrader:
    """Grades submissions one after another with one rubric, as one sandbox uid, at one
    isolation level (harness/sandbox/isolation.py; "auto": the best the machine allows)."""

    def __init__(self, rubric: Rubric, uid: int | None = None, gid: int | None = None,
                 on_case: Callable[[str], None] | None = None,
                 isolation: str = "auto") -> None:
        self.rubric = rubric
        self.uid, self.gid = uid, gid
        self.isolation = level_for(isolation, uid)
        self.policy = Policy(uid=uid, gid=gid, refuse_imports=rubric.refuse_imports,
                             numpy_compat=rubric.numpy_compat, isolation=self.isolation)
        self.limits = rubric.limits.sandbox_limits()
        self.on_case = on_case or (lambda name: None)
        self._hidden: list[Path] | None = None
        self._passable: list[Path] = []
        if self.isolation == "uid" and uid is not None:
            # what of the project the sandbox uid may not read (harness/sandbox/visible.py)
            solution = "student_nn" not in rubric.refuse_imports
            self._hidden = hidden_paths(solution, [Path(rubric.starter)] if rubric.starter
                                        else [])
            # and the refused packages (torch, ...): their site-packages directory can be
            # passed through (to the allowed packages' links) but not listed, so that no
            # path the child puts on sys.path finds them, not even as an empty namespace
            refused = refused_package_dirs(rubric.refuse_imports)
            self._hidden += refused
            self._passable = sorted({p.parent for p in refused})

    @contextlib.contextmanager
    def _project_hidden(self, result: dict[str, Any]) -> Iterator[None]:
        """At the uid level, the project's answers denied to the sandbox uid while grading
        (result's sandbox.project_hidden: true, or why the file system would not)."""
        if self._hidden is None or self.uid is None:
            yield
            return
        with denied_to(self.uid, self._hidden, self._passable) as problem:
            result["sandbox"]["project_hidden"] = problem or True
            yield

    # -------------------------------------------------------------- one submission
    def grade(self, sub: Submission) -> dict[str, Any]:
        """The result of one submission; never raises (nnparity's own failures included)."""
        start = time.monotonic()
        result = new_result(sub, self.rubric, self.uid, self.isolation)
        staging = Path(tempfile.mkdtemp(prefix="nnparity-stage-"))
        staging.chmod(0o711)  # the sandbox uid may pass through, not list
        try:
            with self._project_hidden(result):
                _Run(self, sub, staging / "submission", result, start).execute()
        except InvalidSubmission as exc:
            fail(result, self.rubric, "invalid", str(exc))
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - never lose a result
            fail(result, self.rubric, "internal_error", f"nnparity failed on this submission: "
                 f"{type(exc).__name__}: {exc}", traceback.format_exc()[-6000:])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result["score"] = round(sum(t["score"] for t in result["tests"]), 4)
        result["max_score"] = round(sum(t["max_score"] for t in result["tests"]), 4)
        result["seconds"] = round(time.monotonic() - start, 2)
        return result


def new_result(sub: Submission, rubric: Rubric, uid: int | None = None,
               isolation: str | None = None) -> dict[str, Any]:
    """The result of a submission before grading (status graded, no tests yet); `isolation`
    is the level its sandbox ran at (namespaces | uid | process)."""
    return {
        "name": sub.name, "source": str(sub.path), "fingerprint": sub.fingerprint,
        "rubric": {"name": rubric.name, "path": rubric.path,
                   "fingerprint": rubric.fingerprint(), "seed": rubric.seed,
                   "profile": rubric.profile.describe(), "api": rubric.api,
                   "student_install": rubric.student_install},
        "nnparity": _version(), "graded_at": datetime.now(UTC).isoformat(),
        "isolation": isolation, "sandbox": {"uid": uid, "limits": vars(rubric.limits)},
        "status": "graded", "reason": "", "score": 0.0, "max_score": rubric.max_score,
        "modules": {}, "findings": [], "tests": [],
    }


def fail(result: dict[str, Any], rubric: Rubric, status: str, reason: str,
         trace: str | None = None) -> dict[str, Any]:
    """Mark `result` as not graded: `status`, `reason`, and zero for every test not scored."""
    result.update(status=status, reason=short(reason))
    if trace:
        result["traceback"] = trace
    if not result["tests"]:
        result["tests"] = [_test_entry(item, out, 0, item.cases, "error", f"not graded: {reason}")
                           for item, out in rubric.tests]
    return result


def _test_entry(item: Item, output: str, passed: int, cases: int, status: str, message: str,
                finding: dict[str, Any] | None = None, notes: list[str] | None = None,
                not_run: int = 0) -> dict[str, Any]:
    """One test (an item's output): `passed` of `cases` cases, `not_run` of them skipped."""
    points = item.points[output]
    if item.partial_credit == "fraction":
        score = points * passed / cases if cases else 0.0
    else:
        score = points if passed == cases else 0.0
    return {"name": item.test_name(output), "item": item.name, "op": item.op, "output": output,
            "score": round(score, 4), "max_score": points, "passed": passed, "cases": cases,
            "not_run": not_run,
            "status": status, "message": message, "visibility": item.visibility,
            "partial_credit": item.partial_credit, "finding": finding, "notes": notes or []}


class _Run:
    """The state of grading one submission."""

    def __init__(self, grader: SubmissionGrader, sub: Submission, staged: Path,
                 result: dict[str, Any], start: float) -> None:
        self.g, self.rubric, self.sub, self.staged = grader, grader.rubric, sub, staged
        self.result = result
        self.deadline = start + self.rubric.limits.submission_seconds
        self.findings: list[dict[str, Any]] = result["findings"]
        self.blocked: dict[str, tuple[Status, dict[str, Any]]] = {}  # module -> (status, error)
        self.verdicts: dict[tuple[str, str], dict[str, Verdict]] = {}
        self.outages: list[Verdict] = []
        self.load_errors: list[tuple[str, dict[str, Any]]] = []

    def execute(self) -> None:
        self.staged.mkdir()
        stage(self.sub, self.staged, self.g.uid, self.g.gid)
        api = self.rubric.api_spec
        find = find_library if api.functions else find_package
        package = find(self.staged, api)
        self.result["package"] = str(package.relative_to(self.staged))
        self._modules(package)
        static = scan_imports(package, self.plan.running, self.rubric.refuse_imports)
        starter = self.rubric.starter or None
        self._edition(package, starter)
        checker = Checker(package, self.rubric.profile, limits=self.g.limits,
                          graded=self.rubric.graded_modules, starter=starter, api=api.name,
                          edition=self.edition, policy=self.g.policy, share=self.staged)
        self.checker = checker
        try:
            self._load(checker.sandbox)
            for op, cases in self._cases().items():
                self._run_op(checker, get_op(op), cases)
            if self.rubric.charge_once:
                self._charge_once(checker)
            self._unwritten()
            self._score()
            self.result["details"] = self._details(checker)
        finally:
            checker.close()
        children = checker.sandboxes()   # substitution reruns ran in children of their own
        self._refused(static + [r for sb in children for r in sb.refused])
        standins = {name for sb in children for name in sb.standins}
        if standins:
            self._finding("stand_ins", f"the submission imports {', '.join(sorted(standins))}"
                          ", not available inside the grader's sandbox: the imports got "
                          "stand-ins (using them is an error), so modules that only import "
                          "them still load")
        removed = [f for sb in children for f in sb.removed_files]
        if removed:
            where = "its private /tmp" if checker.sandbox.namespaced else "shared directories"
            self._finding("left_files", f"removed what the submission left in {where}: "
                          f"{', '.join(removed[:5])}")
        self._status()

    # -------------------------------------------------------------- the edition
    def _edition(self, package: Path, starter: str | None) -> None:
        """The year's assignment the submission follows (the rubric's `edition`, else
        detected from its files), and the items it grades: an op that year does not ask for,
        or whose module is the course's unchanged starter code, is not graded (its points
        leave the maximum too), with the reason in the result."""
        api = self.rubric.api_spec
        self.edition = api.edition(package, self.rubric.edition or None, "rubric")
        self.items = list(self.rubric.items)
        if self.edition is None:
            return
        self.result["edition"] = self.edition.to_json()
        starter_pkg = api.loader.starter_package(Path(starter)) if starter else None
        not_graded = []
        for item in self.rubric.items:
            excluded = self.edition.excluded(item.spec, package, starter_pkg)
            if excluded is not None:
                not_graded.append({"item": item.name, "op": item.op, "reason": excluded[1]})
        gone = {n["item"] for n in not_graded}
        self.items = [item for item in self.rubric.items if item.name not in gone]
        if not_graded:
            self.result["not_graded"] = not_graded

    def _unwritten(self) -> None:
        """An op optional that year and left as the starter's stub is not graded either, nor
        an optional op whose class the submission does not define (mytorch's HW2P1 classes
        in a HW1P1 checkout)."""
        unwritten = self.edition.unwritten_ops(self.verdicts) if self.edition else {}
        for item in self.items:
            found = [v for (op, _), v in self.verdicts.items() if op == item.op]
            if found and all(absent(self.checker, item.spec, v) for v in found):
                unwritten[item.op] = absent_reason(self.checker, item.spec)
        for item in [i for i in self.items if i.op in unwritten]:
            self.items.remove(item)
            self.result.setdefault("not_graded", []).append(
                {"item": item.name, "op": item.op, "reason": unwritten[item.op]})

    @property
    def tests(self) -> list[tuple[Item, str]]:
        """The rubric's tests of the items this submission's edition grades."""
        graded = {item.name for item in self.items}
        return [(item, out) for item, out in self.rubric.tests if item.name in graded]

    # -------------------------------------------------------------- modules
    def _modules(self, package: Path) -> None:
        """Record where every module comes from (its API's `Loader.plan`) in the result; block
        the graded modules the submission lacks (unless the rubric borrows them)."""
        missing = BUNDLED if self.rubric.missing_module == "bundled" else MISSING
        plan = self.rubric.api_spec.loader.plan(
            package, self.rubric.graded_modules,
            Path(self.rubric.starter) if self.rubric.starter else None, missing)
        self.result["modules"] = plan.as_json()
        self.plan = plan
        for module in self.rubric.graded_modules:
            if plan.origin(module) == MISSING:
                self.blocked[module] = ("not_implemented", {
                    "stage": "import", "type": "missing", "not_implemented": True,
                    "message": f"not implemented: {module}.py is missing from the submission"})


    def _load(self, sandbox: Sandbox) -> None:
        """Import each graded module once: one that fails, hangs or crashes blocks its ops
        (also a borrowed one: the package's __init__.py runs first, and may crash)."""
        for module in self.rubric.graded_modules:
            if module in self.blocked:
                continue
            answer = sandbox.run({"cmd": "load", "module": module}, {})
            status: Status
            if isinstance(answer, Outage):
                status = "timeout" if answer.status == "timeout" else "error"
                what = ("starting (importing the package)" if answer.stage == "start"
                        else f"importing {module}.py")
                err: dict[str, Any] = {
                    "stage": "import", "type": answer.status, "not_implemented": False,
                    "message": f"while {what}: {answer.detail}",
                    "where": "package" if answer.stage == "start" else module}
                self.blocked[module] = (status, err)
                continue
            header, _ = answer
            if header.get("stdout", "").strip():
                self.result.setdefault("printed_at_import", {})[module] = header["stdout"]
                self._finding("printed_at_import",
                              f"importing {module}.py printed: {_printed(header['stdout'])}")
            if header.get("package_error") and not any(
                    f["code"] == "package_init" for f in self.findings):
                self._finding("package_init", "the package's __init__.py failed and was "
                              f"skipped: {describe_exception(header['package_error'])}")
            if not header["ok"]:
                err = header["error"]
                status = "not_implemented" if err.get("not_implemented") else "error"
                self.blocked[module] = (status, err)
                self.load_errors.append((module, err))

    # -------------------------------------------------------------- cases
    def _spec(self, item: Item) -> OpSpec:
        """The item's op as the submission's edition defines it, with the cases the rubric's
        profile asks for beyond the contract."""
        return for_profile(self.checker.spec_of(item.spec), self.rubric.profile)

    def _cases(self) -> dict[str, list[tuple[int, Case]]]:
        """Distinct cases per op, in rubric order: (generation index, case)."""
        per_op: dict[str, dict[str, tuple[int, Case]]] = {}
        for item in self.items:
            cases = per_op.setdefault(item.op, {})
            for index, case in enumerate(self._spec(item).cases(item.cases, item.seed)):
                cases.setdefault(case.id, (index, case))
        return {op: list(cases.values()) for op, cases in per_op.items()}

    def _run_op(self, checker: Checker, spec: OpSpec, cases: list[tuple[int, Case]]) -> None:
        """Verdicts of an op's cases: all not run when its module is blocked; else from the
        child in batches (`Checker.check_many`, which gives up after repeated outages
        itself), each case checked against the submission's time budget before it counts:
        once the budget is used up, the cases after are not run."""
        todo = [case for _, case in cases]
        ran = verdicts_of(checker, spec, todo, blocked=self.blocked.get(spec.module),
                          deadline=self.deadline, budget=self._budget())
        with contextlib.closing(ran):
            for case, verdicts in zip(todo, ran, strict=True):
                first = next(iter(verdicts.values()))
                if is_outage(first):
                    self.outages.append(first)
                self._done(spec, case, verdicts)

    def _charge_once(self, checker: Checker) -> None:
        """Each root cause charged once: a case failing through another op that fails on its
        own is rerun with that op substituted (harness/check/substitute.py), within the
        submission's time budget; the cases it leaves keep the verdicts they had."""
        try:
            with within_budget(self.deadline):
                charge_once(checker, list({item.op: self._spec(item) for item in self.items}
                                          .values()), self.verdicts, self.rubric.seed)
        except BudgetSpent:
            self._finding("budget", f"the submission's time budget ({self._budget()}) ran out "
                          "before every failing case that uses another failing op was rerun "
                          "with that op substituted: those cases are charged as they failed")

    def _budget(self) -> str:
        return f"{self.rubric.limits.submission_seconds:g} s"

    def _done(self, spec: OpSpec, case: Case, verdicts: dict[str, Verdict]) -> None:
        self.verdicts[(spec.name, case.id)] = verdicts
        self.g.on_case(case.id)

    # -------------------------------------------------------------- scoring
    def _score(self) -> None:
        tests = []
        self.visible_records: list[dict[str, Any]] = []
        for item, output in self.tests:
            records = []
            for index, case in enumerate(self._spec(item).cases(item.cases, item.seed)):
                records.append(record(self.verdicts[(item.op, case.id)][output], index))
            if item.visibility == VISIBLE:
                self.visible_records += records
            passed = sum(r["status"] == "pass" for r in records)
            not_run = sum(skipped(r) for r in records)
            (agg,) = aggregate(records)
            finding: dict[str, Any] | None = agg.finding   # the report's JSON, as read here
            message = (finding or {}).get("message", "") if finding else ""
            if finding:
                finding["repro"] = repro_command(finding["case_id"],
                                                 student_impl(self.rubric.api_spec))
            # its notes lead with what was substituted, if anything
            summary: dict[str, Any] = agg.to_json()
            tests.append(_test_entry(item, output, passed, len(records), agg.status,
                                     message or "all cases pass", finding,
                                     _distinct(summary["notes"]), not_run))
            if summary.get("depends_on"):
                tests[-1]["depends_on"] = summary["depends_on"]
        self.result["tests"] = tests

    def _details(self, checker: Checker) -> str:
        """nnparity's own report of the visible failures, investigated (the smallest failing
        case, what changing one factor does, likely causes), in Markdown; "" if none."""
        budget = self.rubric.investigate_budget
        if not budget or time.monotonic() > self.deadline or not any(
                r["status"] != "pass" for r in self.visible_records):
            return ""
        try:
            from harness.check.investigate import investigate, verdict_report
            from harness.reports.markdown import render_markdown
        except ImportError:
            return ""
        unique = {(r["op"], r["output"], r["case_id"]): r for r in self.visible_records}
        api = self.rubric.api_spec
        report = verdict_report(list(unique.values()), checker, cases=self.rubric.cases,
                                seed=self.rubric.seed, impl=student_impl(api), edition=False)
        try:
            report = investigate(report, checker, budget=budget, deadline=self.deadline)
            self._investigated(report)
            if report["summary"].get("investigation_cut_short"):
                self._finding("details_cut", "the details below are partial: the submission's "
                              f"time budget ({self._budget()}) ran out while nnparity "
                              "investigated its failures")
            text = render_markdown(report)
        except Exception as exc:  # noqa: BLE001 - the grade stands without the details
            self._finding("no_details", f"nnparity could not write the detailed report "
                          f"({type(exc).__name__}: {exc})")
            return ""
        return re.sub(r"^#", "##", text, flags=re.MULTILINE)  # nested under the feedback

    def _investigated(self, report: dict[str, Any]) -> None:
        """Each visible test's finding as the investigation left it (the smallest failing
        case, the ablation, the causes it found): what the class report and the staff see."""
        found = {(i["op"], i["output"], i["finding"]["case_id"]): i["finding"]
                 for i in report["results"] if i.get("finding")}
        for test in self.result["tests"]:
            finding = test["finding"]
            if test["visibility"] == VISIBLE and finding:
                test["finding"] = found.get((test["op"], test["output"], finding["case_id"]),
                                            finding)

    # -------------------------------------------------------------- findings and status
    def _finding(self, code: str, message: str) -> None:
        self.findings.append({"code": code, "message": message})

    def _refused(self, attempts: list[dict[str, Any]]) -> None:
        seen = set()
        for a in attempts:
            where = f"{a['file']}:{a['line']}" if a.get("file") else "(at run time)"
            key = (a["module"].partition(".")[0], where)
            if key in seen:
                continue
            seen.add(key)
            note = f" ({a['note']})" if a.get("note") else ""
            self._finding("refused_import", f"import of '{a['module']}' refused at {where}"
                          f"{note}: this assignment must be written from scratch with NumPy")

    def _old_numpy(self) -> str | None:
        errors = [e for _, e in self.load_errors] + [
            v.error for vs in self.verdicts.values() for v in vs.values() if v.error]
        for err in errors:
            if err.get("type") != "AttributeError":
                continue
            m = OLD_NUMPY.search(err.get("message", ""))
            if m:
                name = m.group(1) or m.group(2)
                use = NUMPY_REPLACEMENTS.get(name)
                where = f" (at {err['file']}:{err['line']})" if "file" in err else ""
                return (f"this code was written for an older NumPy: np.{name}{where} was "
                        f"removed in NumPy 1.24/2.0{f'; use {use}' if use else ''}. The grader "
                        f"runs NumPy {_numpy_version()}; a rubric can set numpy_compat = true "
                        "to restore the old aliases")
        return None

    def _status(self) -> None:
        r = self.result
        old = self._old_numpy()
        if old:
            self._finding("old_numpy", old)
        refused = [f for f in self.findings if f["code"] == "refused_import"]
        # (kind, text) of every time the child timed out or died, in order
        incidents = [(e["type"], f"{e['where']}: {e['message']}")
                     for _, e in self.blocked.values() if e.get("type") in ("timeout", "crashed")]
        incidents += [((v.error or {}).get("type", ""), v.message) for v in self.outages]
        incidents += [("timeout", v.message) for vs in self.verdicts.values()
                      for v in vs.values() if (v.error or {}).get("budget")][:1]
        crash = next((i for i in incidents if i[0] == "crashed"), None)
        hang = next((i for i in incidents if i[0] == "timeout"), None)
        memory = [v for vs in self.verdicts.values() for v in vs.values()
                  if (v.error or {}).get("type") == "MemoryError"]
        if refused:
            r.update(status="refused_import", reason=refused[0]["message"])
        elif self.load_errors:
            module, err = self.load_errors[0]
            why = old if old and err.get("type") == "AttributeError" else describe_exception(err)
            r.update(status="import_error", reason=f"{module}.py cannot be imported: {why}")
        elif (incident := crash or hang) is not None:
            r.update(status=incident[0], reason=incident[1])
        elif memory:
            r.update(status="memory_limit",
                     reason=f"{memory[0].op}: {memory[0].message} (the memory limit is "
                            f"{self.rubric.limits.memory_mb} MB)")
        else:
            failing = [t for t in r["tests"] if t["score"] < t["max_score"]]
            if old:
                reason = old
            elif failing:
                t = failing[0]
                reason = (f"{len(failing)} of {len(r['tests'])} tests lost points; first: "
                          f"{t['name']}: {t['message']}")
            else:
                reason = f"all {len(r['tests'])} tests pass"
            r.update(status="graded", reason=reason)
        r["reason"] = short(r["reason"])


def _printed(text: str) -> str:
    """Printed output in one line: its start, and how much was cut."""
    m = CUT_NOTE.search(text)
    body = text[: m.start()] if m else text
    return short(body, 240) + (f" [... {m.group(1)} more bytes cut]" if m else "")


def _numpy_version() -> str:
    import numpy
    return numpy.__version__


def _distinct(notes: list[str], keep: int = 3) -> list[str]:
    """Notes that differ in more than their numbers (one per kind), at most `keep`."""
    out, kinds = [], set()
    for note in notes:
        kind = re.sub(r"\d+", "#", note)
        if kind not in kinds:
            kinds.add(kind)
            out.append(note)
    return out[:keep]
