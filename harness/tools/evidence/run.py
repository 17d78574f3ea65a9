"""Run one mutant: is it killed, what does nnparity say first, does the course-style test kill it.

Each mutant is written as a temporary package (its corpus's bundled package with the one
mutated function) and checked like any implementation under its API: `check_and_investigate`
in the sandbox, the default 50 cases of every op the mutated function drives, with the
corpus's files graded (HW6: activations, layers, losses and utils; the implementation's
own). Killed: at least one (op, output) fails. The top diagnosis is the fix list's first root
cause (`harness.diagnosis.fixlist`): what a student is told to fix first. The course-style
test runs where the baseline has configurations for the mutant's ops (HW6's).

A survivor is checked again on `confirm` cases (500 by default); one that survives those too
is equivalent only with an argument (`equivalence`): the mutated line never runs when the ops
are driven as the contract says (line tracing of the original on the same cases), the
mutant's outputs are bitwise identical to the original's on every confirming case, they
differ by rounding only. Those are evidence over the cases drawn: when the results are
summarised, `harness.tools.evidence.equivalent` adds the argument for every contract input, or
overrules it (a difference the cases never reach, or that the driver hides). A survivor
without an argument counts as not killed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from harness.check.checker import Checker
from harness.check.investigate import check_and_investigate
from harness.check.session import run_checks
from harness.core.registry import get_op
from harness.diagnosis.fixlist import fix_list
from harness.sandbox.parent import Limits
from harness.tools.evidence.course import course_test, covers, raw_outputs
from harness.tools.evidence.intent import diagnosis_matches, location_matches
from harness.tools.evidence.mutants import CORPORA, HW6, Mutant, write_package

LIMITS = Limits(case_seconds=10.0, startup_seconds=60.0, memory_mb=4096)
ROUNDING = 1e-12   # relative: what float64 reassociation changes, far below the tolerance


def run_mutant(mutant: Mutant, cases: int = 50, confirm: int = 500, seed: int = 0,
               course: bool = True) -> dict[str, Any]:
    """The record of one mutant (see the module docstring); the course-style test only
    where the course baseline has configurations for its ops (HW6's)."""
    start = time.monotonic()
    out: dict[str, Any] = mutant.to_json()
    corpus = CORPORA[mutant.api]
    specs = [get_op(op) for op in mutant.ops]
    with tempfile.TemporaryDirectory(prefix="nnparity-mutant-") as tmp:
        pkg = write_package(mutant, Path(tmp))
        with Checker(pkg, graded=corpus.modules, api=corpus.api, limits=LIMITS) as checker:
            report = check_and_investigate(checker, specs, cases, seed)
            failing = [f"{i['op']} {i['output']}" for i in report["results"]
                       if i["status"] != "pass"]
            out.update(killed=bool(failing), failing=failing, cases=cases * len(specs),
                       notes=sorted({n for i in report["results"] for n in i.get("notes", [])
                                     if "convention" in n or "contract wants" in n})[:3])
            if failing:
                top = fix_list(report)[0]
                out["top"] = {k: top.get(k) for k in ("code", "message", "open", "file",
                                                       "function", "line", "frames")}
                out["diagnosis_ok"] = diagnosis_matches(mutant, top)
                out["location_ok"] = location_matches(mutant, top)
            if course and all(covers(op) for op in mutant.ops):
                failures = [f for spec in specs for f in course_test(checker, spec)]
                out.update(course_killed=bool(failures), course_failures=failures[:3])
            if not failing and confirm > cases:
                out.update(_confirm(mutant, checker, confirm, seed))
    out["seconds"] = round(time.monotonic() - start, 2)
    return out


def _confirm(mutant: Mutant, checker: Checker, confirm: int, seed: int) -> dict[str, Any]:
    """Check a survivor on `confirm` cases; if it survives, look for its argument."""
    specs = [get_op(op) for op in mutant.ops]
    records = list(run_checks(checker, specs, confirm, seed))
    failed = sorted({f"{r['op']} {r['output']}" for r in records if r["status"] != "pass"})
    out: dict[str, Any] = {"confirm_cases": confirm * len(specs), "killed_by_confirm": failed}
    if failed:
        return out
    out["survived_confirm"] = True
    out["equivalent"] = equivalence(mutant, checker, confirm, seed)
    return out


def equivalence(mutant: Mutant, checker: Checker, confirm: int, seed: int
                ) -> dict[str, str] | None:
    """Why the mutant cannot be told apart from its bundled package, or None (no argument
    found)."""
    ran = executed_lines(mutant.module, mutant.ops, confirm, seed, mutant.api)
    if not ran & set(range(mutant.stmt_first, mutant.stmt_last + 1)):
        return {"kind": "dead code", "why": f"line {mutant.line} of {mutant.module}.py never "
                f"runs when {', '.join(mutant.ops)} are driven as the contract says"}
    worst = _max_difference(mutant, checker, confirm, seed)
    if worst == 0.0:
        return {"kind": "numerically identical",
                "why": f"bitwise the same outputs as student_nn on all {confirm} cases"}
    if worst is not None and worst <= ROUNDING:
        return {"kind": "rounding", "why": f"outputs differ from student_nn's by rounding "
                f"only (largest relative difference {worst:.2g} over {confirm} cases)"}
    return None


def _max_difference(mutant: Mutant, checker: Checker, confirm: int, seed: int
                    ) -> float | None:
    """The largest relative difference between the mutant's and the bundled package's raw
    outputs."""
    worst = 0.0
    corpus = CORPORA[mutant.api]
    with Checker(corpus.source, api=corpus.api, limits=LIMITS) as original:
        for op in mutant.ops:
            spec = get_op(op)
            for case in spec.cases(confirm, seed):
                got, errors = raw_outputs(checker, spec, case)
                want, want_errors = raw_outputs(original, spec, case)
                if errors or want_errors or got.keys() != want.keys():
                    return None
                for k in want:
                    a, b = np.asarray(got[k], np.float64), np.asarray(want[k], np.float64)
                    if a.shape != b.shape:
                        return None
                    if a.size and not np.array_equal(a, b, equal_nan=True):
                        scale = max(1.0, float(np.max(np.abs(b))))
                        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


@lru_cache(maxsize=64)
def executed_lines(module: str, ops: tuple[str, ...], cases: int, seed: int,
                   api: str = HW6.api) -> frozenset[int]:
    """The lines of the bundled `module` of `api`'s corpus that run when `ops` are driven on
    their cases (in this process, with the driver the sandbox uses)."""
    import importlib

    from harness.core.driver import run_op

    corpus = CORPORA[api]
    path = corpus.source / f"{module}.py"
    targets = {str(path.resolve()), str(path)}
    lines: set[int] = set()

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename in targets:
            if event == "line":
                lines.add(frame.f_lineno)
            return tracer
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        for op in ops:
            spec = get_op(op)
            how = spec.how()
            held = importlib.import_module(f"{corpus.importable}.{spec.module}")
            # a function API's driver calls the module's functions (as the sandbox's child)
            cls = held if "calls" in how else getattr(held, spec.cls)
            for case in spec.cases(cases, seed):
                inputs = {k: v.copy() for k, v in spec.inputs(case).items()}
                run_op(spec.kind, cls, spec.ctor(case), inputs, spec.outputs, **how)
    finally:
        sys.settrace(previous)
    return frozenset(lines)
