"""Which of the student's functions holds a wrong value: by the values its functions made,
else by spectrum-based fault localisation.

A wrong value says which output is wrong, not where: a Pool2D forward computed through a
``pad_image`` helper fails in ``Pool2D.forward`` by default, though the bug may be in the
helper. `locate` reruns some failing and some passing cases of each op with a wrong value
(no exception: a traceback already names its line; for each output up to PER_SIDE runs
where it had a wrong value, for a gradient those whose forward was right first), with what
the student's files ran recorded (`Checker.traced`: the lines of each call, which function
called which, and the values each was given and returned).

First the values: when the op's API lists its intermediate values, the function that made
the first wrong one from right inputs (`harness.diagnosis.dataflow`), or that first returned
the wrong sizes of an output of the wrong shape, is opened; when that is
the method itself (what it was given and what its callees handed back were right), the
method keeps the blame. The values also follow an exception back (`_follow_back`): an
output that only ever raised, in the student's own files, on a value another function made
wrong from right inputs (or made floats of integers alone, for an exception that asked for
integers) opens that function, and says which exception followed. Otherwise the lines
(but never a function first called after the failing runs had already gone wrong): every
line is scored by how closely running it goes with failing (Ochiai's coefficient, from
the fault-localisation literature):

    score(line) = failed(line) / sqrt(failed_total * (failed(line) + passed(line)))

where failed(line) and passed(line) count the failing and passing runs that executed it. A
line run by every failing case and no passing one scores 1; a line run by every case
scores sqrt(failed_total / runs).

What counts:

- the op's own reruns where the output passed or had a wrong value (not those where it
  raised: a traceback names that line), and the lines that computed it (forward's call
  for forward, every call for a gradient);
- as passing runs, every call that computed right values: the op's right forwards (for a
  gradient, unless the values say every failing run went wrong in forward: right outputs,
  but a wrong argmax cached for backward) and the right runs of every other op, traced
  too; a function whose every line the failing runs ran was also run by another op's
  right run is not a suspect at all (a ``CrossEntropy.forward`` that the cross-entropy
  checks pass, a Sigmoid whose own checks pass, when the layer fails mostly with it);
- only functions the output's method reached (called from it, directly or through
  others), and none that the failing runs first called after their first wrong value
  (`dataflow.called_after`); for a gradient also the op's forward and what it reached
  (backward starts from what forward cached): a constructor that stored the padding, or a
  factory that picked the loss, runs on exactly the cases that fail and computes nothing;
- nothing at all when every one of the op's own runs fails (or none does): only they can
  tell its lines apart, whatever other ops clear.

A function scores its best line. The op's own method (``Pool2D.forward`` for forward) keeps
the blame unless a function it reached scores strictly higher, or as high while all the
method does on its best lines is hand the cases to that function (a branch, a loop, a
``return``, the call itself): ``return self._average(Xp)`` in the average branch. A helper
run on every case ties with its caller and does not take the blame: the runs cannot tell
them apart. Of helpers that score the same, the one whose lines go with failing more
evenly (the larger share of its lines at its best score), then the first called. Per
finding:

    "suspect": {"file": "neural_networks/layers.py", "function": "pad_image", "line": 19,
                "score": 1.0, "method": "Pool2D.forward", "method_score": 0.71,
                "runs": {"failed": 6, "passed": 30}}

Last, what the classes have in common. A helper two classes share (a ``window`` that
Conv2D.forward and Pool2D's max pooling both call) fails in both, and within each class
ties with the method that runs it on every case. When the items of at least two classes are
left to their methods or to a caller of one helper, and one of them already points below its
method, the helper that every failing run of each went through and that scores highest over
all of them together (`shared`) is opened for all: one bug there explains them all. Without
such a pointer, two classes failing through a helper that every case runs could as well be
two bugs, one in each method, and nothing is said.

The lines come from the child (the submission's own process) and only point at code; no
verdict depends on them.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.core.cases import Case, for_profile
from harness.core.checking import CaseChecker
from harness.core.registry import find_op
from harness.core.verdict import Lines, Trace, Verdict
from harness.diagnosis import dataflow
from harness.diagnosis.fixlist import _Context, package_name

PER_SIDE = 6            # failing and passing cases rerun per op
TRIED_FAILING = 24      # failing cases tried per output, to find PER_SIDE with a wrong value
# An exception that asked for integers and got floats: ``np.bincount``, ``np.pad``, a slice,
# ``range``, ``np.empty``'s shape.
WANTS_INTEGERS = re.compile(r"integ(er|ral)|from dtype\('float|'float' object cannot be "
                            r"interpreted", re.IGNORECASE)
MARGIN = 1e-9           # a helper must score above its caller by more than rounding
VALUE = ("pass", "fail")   # runs that say where a value goes wrong (an exception: its traceback)
NOT_TRACED = ("model", "training")   # kinds whose passing runs are not rerun to clear code
CONTROL = (ast.For, ast.While, ast.If, ast.Break, ast.Continue, ast.Pass,
           ast.FunctionDef, ast.AsyncFunctionDef)

Where = tuple[str, str]                    # (file in the package, qualified function name)
Run = tuple[bool, list[tuple[str, int]]]   # (did the output fail?, the lines it ran, in order)
Traced = tuple[dict[str, Verdict], Trace]  # a rerun's verdicts and trace (Checker.traced)


def ochiai(failed: int, passed: int, failed_total: int) -> float:
    """Ochiai's suspiciousness of a line run by `failed` failing and `passed` passing runs."""
    if not failed or not failed_total:
        return 0.0
    return failed / math.sqrt(failed_total * (failed + passed))


# ---------------------------------------------------------------- the student's code
class _Functions:
    """The student's files, read through the fix list's view of them (`fixlist._Context`,
    rooted at the package): which function holds a line, which statement starts at it."""

    def __init__(self, root: Path) -> None:
        self.files = _Context("", root)

    def of(self, file: str, line: int) -> str | None:
        return self.files.qualname(file, line)

    def statement(self, file: str, line: int) -> ast.stmt | None:
        tree = self.files.tree(file)
        return None if tree is None else _statements(tree).get(line)


@lru_cache(maxsize=64)
def _statements(tree: ast.Module) -> dict[int, ast.stmt]:
    """The statements of a parsed file by their first line (a tree is parsed once per file
    version, `harness.core.stubs.parsed`, so the same object comes back)."""
    return {node.lineno: node for node in ast.walk(tree) if isinstance(node, ast.stmt)}


def _hands_over(where: Where, lines: Iterable[int], to: str, functions: _Functions) -> bool:
    """Whether each of `lines` of function `where` is control flow (a loop, a branch, its
    def line, ``return name``) or calls `to`: all it does there is hand the cases over."""
    for line in lines:
        stmt = functions.statement(where[0], line)
        if stmt is None or isinstance(stmt, CONTROL) or (
                isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Name | None)):
            continue
        short = to.rpartition(".")[2]
        called = {ast.unparse(n.func) for n in ast.walk(stmt) if isinstance(n, ast.Call)}
        if not called & {short, f"self.{short}"}:   # not `self.loss.forward` for `forward`
            return False
    return True


# ---------------------------------------------------------------- scoring
@dataclass(frozen=True)
class Score:
    """How suspicious a function is: its best line's Ochiai score, the lines that reach
    it, and what share of the lines it ran in failing runs they are."""

    best: float
    lines: tuple[int, ...]
    share: float


def scores(runs: list[Run], functions: _Functions) -> dict[Where, Score]:
    """(file, function) -> its `Score` over `runs` (a def line, which the call records,
    is not one of its lines)."""
    failed_total = sum(failed for failed, _ in runs)
    counts: dict[tuple[str, int], list[int]] = {}
    for failed, ran in runs:
        for line in ran:
            counts.setdefault(line, [0, 0])[0 if failed else 1] += 1
    lines_of: dict[Where, list[tuple[float, int]]] = {}
    for (file, n), (f, p) in counts.items():
        function = functions.of(file, n)
        if function is not None and f and not isinstance(functions.statement(file, n),
                                                         ast.FunctionDef):
            lines_of.setdefault((file, function), []).append((ochiai(f, p, failed_total), n))
    found = {}
    for where, lines in lines_of.items():
        best = max(score for score, _ in lines)
        top = tuple(sorted(n for score, n in lines if score >= best - MARGIN))
        found[where] = Score(best, top, len(top) / len(lines))
    return found


def _first_called(runs: list[Run], functions: _Functions) -> dict[Where, int]:
    """(file, function) -> when it first ran in the first failing run (callers come first)."""
    lines = next(lines for failed, lines in runs if failed)
    order: dict[Where, int] = {}
    for file, n in lines:
        function = functions.of(file, n)
        if function is not None:
            order.setdefault((file, function), len(order))
    return order


def reached(method: str, calls: Iterable[tuple[str, str, str, str]]) -> set[Where]:
    """The functions `method` called, directly or through others (not itself)."""
    by_where: dict[Where, set[Where]] = {}
    for caller_file, caller, callee_file, callee in calls:
        by_where.setdefault((caller_file, caller), set()).add((callee_file, callee))
    todo = [w for w in by_where if w[1] == method]
    seen: set[Where] = set()
    while todo:
        for called in by_where.get(todo.pop(), set()):
            if called not in seen and called[1] != method:
                seen.add(called)
                todo.append(called)
    return seen


def suspect(runs: list[Run], method: str, reach: set[Where], package: str,
            functions: _Functions, own_runs: int | None = None) -> dict[str, Any] | None:
    """The function to open instead of `method`, or None (see the module docstring). The
    first `own_runs` of `runs` (all by default) are the op's own: when they all fail,
    nothing tells its lines apart, whatever other ops' right runs clear."""
    if not any(failed for failed, _ in runs) or all(failed for failed, _ in runs[:own_runs]):
        return None   # every run of the op failed (or none): nothing tells its lines apart
    ranked = scores(runs, functions)
    own = max((sc for (_, fn), sc in ranked.items() if fn == method),
              key=lambda sc: sc.best, default=None)
    helpers = {where: sc for where, sc in ranked.items() if where in reach}
    if own is None or not helpers:
        return None
    order = _first_called(runs, functions)
    (file, function), score = min(helpers.items(), key=lambda kv: (
        -kv[1].best, -kv[1].share, order.get(kv[0], len(order))))
    mine = next(where for where in ranked if where[1] == method)
    if score.best > own.best + MARGIN or (
            score.best >= own.best - MARGIN
            and _hands_over(mine, own.lines, function, functions)):
        return {"file": f"{package}/{file}", "function": function, "line": score.lines[0],
                "score": round(score.best, 3), "method": method,
                "method_score": round(own.best, 3),
                "runs": {"failed": sum(f for f, _ in runs),
                         "passed": sum(not f for f, _ in runs)}}
    return None


# ---------------------------------------------------------------- the runs
def _is_value_failure(item: dict[str, Any]) -> bool:
    f = item.get("finding") or {}
    top = ((f.get("diagnosis") or [{}])[0] or {}).get("code", "")
    return (item["status"] == "fail" and not f.get("error")
            and not str(top).startswith("caused_by"))


def _raised_in_own_code(item: dict[str, Any]) -> bool:
    """Whether computing the output raised in the student's own files (a frame to start
    from: the value that made it raise may have been made earlier, elsewhere)."""
    err = (item.get("finding") or {}).get("error") or {}
    return (item["status"] == "error" and bool(err.get("file")) and bool(err.get("line"))
            and err.get("stage") in ("forward", "backward"))


def _ran(lines: Lines, output: str) -> list[tuple[str, int]]:
    """The lines that computed `output`: forward's call for forward, every call otherwise."""
    stages = ["forward"] if output == "forward" and "forward" in lines else list(lines)
    return list(dict.fromkeys(pair for s in stages for pair in lines.get(s, [])))


def own_runs(traced: list[Traced], output: str, forwards: bool = True) -> list[Run]:
    """The op's runs that speak about `output`: each where it passed or had a wrong value,
    with the lines that computed it, and for a gradient (unless not `forwards`: the values
    say forward cached something wrong) each right forward as a passing run of the lines
    forward ran."""
    runs = [(not verdicts[output].passed, _ran(trace.lines, output))
            for verdicts, trace in traced if output in verdicts and trace.lines
            and verdicts[output].status in VALUE]
    if output != "forward" and forwards:
        runs += [(False, trace.lines["forward"]) for verdicts, trace in traced
                 if "forward" in verdicts and verdicts["forward"].passed
                 and trace.lines.get("forward")]
    return runs


def right_runs(traced: list[Traced]) -> list[Run]:
    """The runs of other ops whose every output was right, as passing runs of all they ran."""
    return [(False, _ran(trace.lines, "")) for verdicts, trace in traced
            if trace.lines and all(v.passed for v in verdicts.values())]


def _verified(own: list[Run], cleared: list[Run], functions: _Functions) -> set[Where]:
    """The functions whose every line the op's failing runs ran was also run by another op's
    right run: checked by that op, on the same code path (a Sigmoid whose own checks pass;
    not a padding helper that the other op only ever ran without padding)."""
    right = {line for _, lines in cleared for line in lines}
    ran: dict[Where, set[tuple[str, int]]] = {}
    for failed, lines in own:
        for file, n in lines if failed else ():
            if (function := functions.of(file, n)) is not None:
                ran.setdefault((file, function), set()).add((file, n))
    return {where for where, lines in ran.items() if lines <= right}


def _failing_first(results: list[dict[str, Any]], op: str) -> dict[str, list[str]]:
    """Output -> its failing cases, for a gradient those whose forward was right first (they
    speak about the backward alone)."""
    mine = [i for i in results if i["op"] == op and i["status"] != "pass"]
    forward = {c for i in mine if i["output"] == "forward" for c in i.get("failed_cases", [])}
    return {i["output"]: sorted(i.get("failed_cases", []), key=lambda c: c in forward)
            if i["output"] != "forward" else list(i.get("failed_cases", [])) for i in mine}


def _traced(failed: dict[str, list[str]], spec: Any, checker: CaseChecker, report: dict[str, Any],
            went_wrong: tuple[str, ...] = ("fail",)) -> tuple[list[Case], list[Traced]]:
    """For each output, its failing cases traced until PER_SIDE of them gave it a wrong value
    (at most TRIED_FAILING: the first may all raise), each case once, or with `went_wrong`
    ("fail", "error"), an op whose outputs only raised, until PER_SIDE of them raised; then
    up to PER_SIDE of the op's cases that did not fail."""
    runs: dict[str, tuple[Case, Traced]] = {}
    for output, case_ids in failed.items():
        wrong = 0
        for case_id in case_ids[:TRIED_FAILING]:
            if wrong >= PER_SIDE:
                break
            if case_id not in runs:
                case = Case.from_id(case_id)
                runs[case_id] = case, checker.traced(spec, case)
            verdict = runs[case_id][1][0].get(output)
            wrong += verdict is not None and verdict.status in went_wrong
    every = {c for case_ids in failed.values() for c in case_ids}
    drawn = for_profile(spec, checker.profile).cases(int(report.get("cases_per_op") or 50),
                                                    int(report.get("seed") or 0))
    others = [c for c in drawn if c.id not in every][:PER_SIDE]
    return ([case for case, _ in runs.values()] + others,
            [*(run for _, run in runs.values()), *(checker.traced(spec, case) for case in others)])


def _dataflow(op: str, spec: Any, cases: list[Case], runs: list[Traced], checker: CaseChecker
              ) -> list[dataflow.Run]:
    """The op's traced runs with each case's intermediate values under every convention the
    profile accepts (none when its API has no table of them, or the op is not in it)."""
    if checker.api.intermediates is None:
        return []
    intermediates = checker.api.intermediates()
    profile = checker.profile
    conventions = [profile.preferred, *(c for c in profile.alternatives()
                                        if c.grad_shape == profile.preferred.grad_shape
                                        and c.l2_reduction == profile.preferred.l2_reduction)]
    found = []
    for case, (verdicts, trace) in zip(cases, runs, strict=True):
        ctor, inputs = spec.ctor(case), spec.inputs(case)
        known = [{**dataflow.arguments(ctor), **intermediates(op, ctor, inputs, c)}
                 for c in conventions]
        if len(known[0]) == len(dataflow.arguments(ctor)):
            return []   # no intermediates for this op
        found.append(dataflow.Run(verdicts, trace, known[0], tuple(known[1:])))
    return found


def _made_by(made: dataflow.Made, runs: list[Traced], output: str, package: str,
             functions: _Functions, method: str, status: str = "fail"
             ) -> dict[str, Any] | None:
    """The suspect entry for the function that made the first wrong value, at the last line
    it ran in a run where `output`'s status was `status`, where it returned from; its name,
    and its caller's, only as the student's files have them: the trace is the child's
    word."""
    where = (made.file, made.function)
    failing = [trace for verdicts, trace in runs
               if output in verdicts and verdicts[output].status == status]
    lines = [n for trace in failing[:1] for stage in trace.lines.values() for f, n in stage
             if (f, functions.of(f, n)) == where
             and not isinstance(functions.statement(f, n), ast.FunctionDef)]
    if not lines:
        return None
    known = {(f, functions.of(f, n)) for _, trace in runs for stage in trace.lines.values()
             for f, n in stage}
    calls = [c for _, trace in runs for c in trace.calls if (c[0], c[1]) in known]
    return {"file": f"{package}/{where[0]}", "function": where[1], "line": lines[-1],
            "method": method, "how": "values", "why": made.why,
            "caller": _caller(where, calls, method)}


def _caller(where: Where, calls: Iterable[tuple[str, str, str, str]], otherwise: str) -> str:
    """The one function of the student's that called `where`, else `otherwise`."""
    callers = {c[1] for c in calls if c[2:] == where}
    return callers.pop() if len(callers) == 1 else otherwise


def _and(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _every_failing_ran(runs: list[Traced], output: str, functions: _Functions) -> set[Where]:
    """The functions that every run where `output` had a wrong value ran (computing it)."""
    ran = [{(f, fn) for f, n in _ran(trace.lines, output) if (fn := functions.of(f, n))}
           for verdicts, trace in runs
           if output in verdicts and verdicts[output].status == "fail" and trace.lines]
    return set.intersection(*ran) if ran else set()


def _failing_runs(items: list[dict[str, Any]], traced: dict[str, list[Traced]]) -> list[Run]:
    """Every traced run where one of `items` had a wrong value, once, with all it ran."""
    wrong = {(i["op"], i["output"]) for i in items}
    return [(True, _ran(trace.lines, "")) for op, runs in traced.items()
            for verdicts, trace in runs if trace.lines and any(
                (op, output) in wrong and v.status == "fail" for output, v in verdicts.items())]


def _owner(method: str) -> str:
    """The class of a method (``Conv2D`` of ``Conv2D.backward``), or the function itself."""
    return method.rpartition(".")[0] or method


def shared(candidates: dict[int, tuple[str, set[Where]]], score: dict[Where, Score],
           anchored: set[int]) -> dict[int, Where]:
    """Item -> the one helper behind wrong values of several classes' methods.

    `candidates`: item -> (its method, the helpers every failing run of it ran); `score`:
    each function's `Score` over the failing runs of every item and the right runs of every
    op; `anchored`: the items whose own runs already pointed away from their method, at a
    candidate or at a caller of one. A helper that is a candidate of items of at least two
    classes, one of them anchored (``tap``, behind Conv2D.backward's dX and, through
    ``Pool2D._max``, Pool2D.forward) may be their common cause: an item goes to it when it
    scores above the item's other candidates and at least as high as the item's method (a
    ``pad2d`` that the right runs of every op ran scores lower). Without an anchor, two
    classes failing through a helper that every case runs cannot be told from two bugs,
    one in each class's method."""
    explains: dict[Where, list[int]] = {}
    for i, (_, helpers) in candidates.items():
        for where in helpers:
            explains.setdefault(where, []).append(i)
    common = {where for where, items in explains.items()
              if len({_owner(candidates[i][0]) for i in items}) > 1 and anchored & set(items)}

    def best(where: Where) -> float:
        return score[where].best if where in score else 0.0

    found = {}
    for i, (method, helpers) in candidates.items():
        ranked = sorted(helpers, key=best, reverse=True)
        top = ranked[0]
        own = max((sc.best for (_, fn), sc in score.items() if fn == method), default=0.0)
        if (top in common and best(top) >= own - MARGIN
                and (len(ranked) == 1 or best(top) > best(ranked[1]) + MARGIN)):
            found[i] = top
    return found


def _shared_suspect(where: Where, methods: list[str], runs: list[Traced],
                    output: str, package: str, functions: _Functions, method: str
                    ) -> dict[str, Any] | None:
    """The suspect entry for a helper shared by wrong values of several classes."""
    lines = [n for verdicts, trace in runs
             if output in verdicts and verdicts[output].status == "fail"
             for f, n in _ran(trace.lines, output) if (f, functions.of(f, n)) == where
             and not isinstance(functions.statement(f, n), ast.FunctionDef)]
    if not lines:
        return None
    return {"file": f"{package}/{where[0]}", "function": where[1], "line": lines[-1],
            "method": method, "how": "shared",
            "caller": _caller(where, (c for _, trace in runs for c in trace.calls), method),
            "why": f"every failing run of {_and(list(dict.fromkeys(methods)))} went through "
                   "it: one bug here would explain them all"}


def _follow_back(item: dict[str, Any], method: str, values: dict[str, list[dataflow.Run]],
                 roles: dict[str, dataflow.Roles], traced: dict[str, list[Traced]],
                 package: str, functions: _Functions) -> dict[str, Any] | None:
    """An exception raised where a wrong value made earlier, by another function from right
    inputs, was used (``np.bincount`` given the float indices of a ``window_origins``):
    that function is the one to open, and the suspect says so."""
    op, output = item["op"], item["output"]
    err = item["finding"]["error"]
    made = dataflow.made_wrong(values[op], output, roles[op]) if values.get(op) else None
    if made is None and WANTS_INTEGERS.search(str(err.get("message") or "")):
        made = dataflow.made_floats([dataflow.Run(verdicts, trace, {})
                                     for verdicts, trace in traced[op]], output)
    file = str(err["file"]).removeprefix(f"{package}/")
    if made is None or (made.file, made.function) == (file, functions.of(file, err["line"])):
        return None   # the raising function made it: its traceback says where
    found = _made_by(made, traced[op], output, package, functions, method, status="error")
    if found is not None:
        found["why"] += (f"; the {err.get('type') or 'exception'} at {err['file']}:"
                         f"{err['line']} followed from it")
    return found


def locate(report: dict[str, Any], checker: CaseChecker
           ) -> dict[tuple[str, str], dict[str, Any]]:
    """The ``suspect`` of each wrong-valued item (op, output) whose runs point at a function
    its method reached rather than at the method (see the module docstring): by the values
    its functions made when the API can say what they should be (`dataflow`), else by the
    lines they ran; and to each output that raised in the student's files on a value
    another function made wrong (`_follow_back`)."""
    items = [i for i in report["results"] if _is_value_failure(i)]
    raised = [i for i in report["results"] if _raised_in_own_code(i)]
    if not items and not raised:
        return {}
    package = package_name(report.get("impl"), report.get("api"))
    functions = _Functions(checker.package_dir)
    failing = {op: _failing_first(report["results"], op)
               for op in dict.fromkeys(i["op"] for i in items + raised)}
    specs = {op: spec for op in dict.fromkeys(i["op"] for i in report["results"])
             if (spec := find_op(op)) is not None   # other ops' right runs clear lines
             and (op in failing or (items and spec.kind not in NOT_TRACED))}
    cases, traced = {}, {}
    only_raised = {i["op"] for i in raised} - {i["op"] for i in items}
    for op, spec in specs.items():
        cases[op], traced[op] = _traced(failing.get(op, {}), spec, checker, report,
                                        ("fail", "error") if op in only_raised else ("fail",))
    values = {op: _dataflow(op, specs[op], cases[op], traced[op], checker) for op in failing
              if op in specs}
    roles = {op: dataflow.roles(runs) for op, runs in values.items()}   # once per op
    right = {op: right_runs(runs) for op, runs in traced.items()}   # each op's, once
    cleared_by = {op: [r for o, runs in right.items() if o != op for r in runs]
                  for op in failing if op in specs}   # other ops' right runs, per op
    every_right = [r for runs in right.values() for r in runs]
    unknown: dict[int, tuple[str, set[Where]]] = {}   # items the values left open
    anchored: set[int] = set()   # those the lines pointed at a helper
    found_for: dict[int, dict[str, Any]] = {}   # item index -> its suspect
    for index, item in enumerate(items):
        op, output = item["op"], item["output"]
        if op not in specs:
            continue
        spec = specs[op]
        method = spec.function(output, False)
        made = (dataflow.made_wrong(values[op], output, roles[op])
                or dataflow.made_wrong_size(values[op], output)
                or dataflow.made_wrong_output(values[op], output, roles[op]))
        if made is not None:   # the values say who made the first wrong one
            found = None if made.function == method else _made_by(
                made, traced[op], output, package, functions, method)
            if found is not None:
                found_for[index] = found
                unknown[index] = method, {(made.file, made.function)}   # an anchor for
                anchored.add(index)   # another class's item that went through it (`shared`)
            if made.function == method or found is not None:
                continue   # the method itself, from right inputs and right callees
        calls = {c for _, trace in traced[op] for c in trace.calls}
        reach = reached(method, calls)
        if output != "forward" and "forward" in spec.outputs:   # what forward left behind
            forward = spec.function("forward", False)
            reach |= reached(forward, calls) | {w for c in calls for w in (c[:2], c[2:])
                                                if w[1] == forward}
        # what forward cached went wrong (an argmax): its right outputs clear nothing
        in_forward = output != "forward" and dataflow.went_wrong_in(values[op], output,
                                                                   "forward", roles[op])
        own, cleared = own_runs(traced[op], output, not in_forward), cleared_by[op]
        found = suspect(own + cleared, method, reach - _verified(own, cleared, functions)
                        - dataflow.called_after(values[op], output, roles[op]),
                        package, functions, len(own))
        pointed = None if found is None else (found["file"].partition("/")[2],
                                              found["function"])
        if pointed is not None and dataflow.went_wrong_before(values[op], output, pointed,
                                                              roles[op]):
            pointed = None
        if pointed is not None and found is not None:
            found["caller"] = _caller(pointed, calls, method)   # Pool2D._max for a dX
            found_for[index] = found
        helpers = _every_failing_ran(traced[op], output, functions) & reach
        if pointed is not None:   # the lines' suspect, or one of its callees
            helpers = {pointed} | (helpers & reached(pointed[1], calls))
            anchored.add(index)
        if helpers:
            unknown[index] = method, helpers
    followed = {(item["op"], item["output"]): back for item in raised if item["op"] in specs
                and (back := _follow_back(item, specs[item["op"]].function(item["output"],
                                                                          False),
                                          values, roles, traced, package, functions))}
    chosen = shared(unknown, scores(_failing_runs(items, traced) + every_right, functions),
                    anchored)
    for index, where in chosen.items():
        item = items[index]
        if found_for.get(index, {}).get("how") == "values":
            continue   # its own values said who made it
        op, output = item["op"], item["output"]
        if dataflow.went_wrong_before(values[op], output, where, roles[op]):
            continue
        methods = [unknown[i][0] for i, w in chosen.items() if w == where]
        found = _shared_suspect(where, methods, traced[op], output, package, functions,
                                unknown[index][0])
        if found is not None:
            found_for[index] = found
    return {**{(items[i]["op"], items[i]["output"]): s for i, s in found_for.items()},
            **followed}
