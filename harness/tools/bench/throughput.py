"""How fast the harness checks and grades, and where its time goes.

- serial: the `nnparity check` session in this process (one sandboxed child, cases one after
  another), instrumented: time inside `Sandbox.run` (the implementation, including the round
  trip to its child; child start-ups are counted apart) and inside `reference_outputs` (the
  PyTorch twin); the rest is the harness itself (making inputs, comparing, bookkeeping).
- the `nnparity check` command and `pytest -n auto tests/test_parity.py`, timed as
  subprocesses (wall clock, start-up included).
- scaling: conv2d cases of growing size through the same Checker; the fitted exponent α of
  time ∝ FLOPs^α says whether the time is fixed overhead (α ≈ 0) or the work itself (α ≈ 1).
- grading: `nnparity grade` on copies of student_nn as ``neural_networks/`` in temp dirs, with
  ``--workers 2`` and on a LocalCluster of 2 Dask workers (``--scheduler local:2``), and the
  cluster's overhead per submission (harness/grading/distributed.py measures it per task).
- isolation: what the namespace sandbox (harness/sandbox/isolation.py) costs: a child's start, first
  answer and clean-up, and seconds per graded submission, with and without namespaces.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from harness.apis.hw6.package import BUNDLED_DIR
from harness.apis.known import OPS
from harness.check.checker import Checker
from harness.check.session import DEFAULT_CASES, run_checks
from harness.core import refcache, twin
from harness.core.cases import Case
from harness.core.registry import get_op
from harness.sandbox import isolation
from harness.sandbox.confine import claim_uid, release_uid
from harness.sandbox.parent import Limits, Policy, Sandbox
from harness.tools.bench.baseline import BASE_COMMIT
from harness.tools.bench.timing import fit_exponent

PROJECT_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Clock:
    """Seconds spent in the implementation, its child's start-ups and the reference."""

    impl: float = 0.0
    startup: float = 0.0
    reference: float = 0.0
    calls: dict[str, int] = field(default_factory=lambda: {"run": 0, "start": 0, "ref": 0})

    def snapshot(self) -> tuple[float, float, float]:
        return self.impl, self.startup, self.reference


@contextlib.contextmanager
def instrumented() -> Iterator[Clock]:
    """Time `Sandbox.run`, `Sandbox.run_many`, `Sandbox._start` and
    `twin.reference_outputs` while inside; everything is put back on exit. Cached
    reference outputs are dropped first and the on-disk cache is off, so that the reference
    is really computed."""
    clock = Clock()
    run, start, reference = Sandbox.run, Sandbox._start, twin.reference_outputs
    run_many = Sandbox.run_many

    def timed(fn, field: str, call: str):
        """`fn`, adding its wall time to clock.<field> and counting calls as `call`."""
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(clock, field, getattr(clock, field) + time.perf_counter() - t)
                clock.calls[call] += 1
        return wrapper

    def timed_many(self, requests):
        """run_many, adding the time spent inside it (waiting for each answer) to
        clock.impl and counting each answer as a run."""
        answers = run_many(self, requests)
        try:
            while True:
                t = time.perf_counter()
                try:
                    answer = next(answers)
                except StopIteration:
                    return
                finally:
                    clock.impl += time.perf_counter() - t
                clock.calls["run"] += 1
                yield answer
        finally:
            answers.close()

    timed_run, timed_start = timed(run, "impl", "run"), timed(start, "startup", "start")
    timed_reference = timed(reference, "reference", "ref")

    _clear_reference_cache()
    _set_methods(Sandbox, run=timed_run, _start=timed_start, run_many=timed_many)
    twin.reference_outputs = timed_reference
    try:
        with refcache.disabled():   # the reference is computed, not read from disk
            yield clock
    finally:
        _set_methods(Sandbox, run=run, _start=start, run_many=run_many)
        twin.reference_outputs = reference
        _clear_reference_cache()


def _set_methods(cls: type, **methods: object) -> None:
    """Replace methods of `cls`, in order (instrumenting: mypy rejects assigning to one)."""
    for name, method in methods.items():
        setattr(cls, name, method)


def _clear_reference_cache() -> None:
    cached = getattr(twin, "cached_reference", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _shares(total: float, clock: Clock) -> dict[str, float]:
    impl = clock.impl - clock.startup       # a child's start-up happens inside Sandbox.run
    harness = max(total - impl - clock.reference, 0.0)
    return {"impl_s": impl, "reference_s": clock.reference, "startup_s": clock.startup,
            "harness_s": harness, "harness_share": harness / total if total else 0.0,
            "harness_share_with_startup": (harness + clock.startup) / total if total else 0.0}


# ---------------------------------------------------------------- the default suite, serially
def serial_session(cases_per_op: int = DEFAULT_CASES, seed: int = 0) -> dict[str, Any]:
    """Every op's cases through one Checker in this process, as `nnparity check` runs them.

    The child is started (one case outside the suite) before the clock starts; its start-up
    is reported apart, as ``child_start_s``."""
    specs = list(OPS.values())
    marks: list[float] = []
    with instrumented() as clock, Checker(BUNDLED_DIR) as checker:
        t = time.perf_counter()
        first = next(iter(specs[0].cases(1, seed + 1)))   # not in the suite: starts the child
        checker.check(specs[0], first)
        startup = time.perf_counter() - t
        clock.impl = clock.startup = clock.reference = 0.0
        start = time.perf_counter()
        records = list(run_checks(checker, specs, cases_per_op, seed,
                                  on_case=lambda _id: marks.append(time.perf_counter())))
        total = time.perf_counter() - start
    cases = len(marks)
    per_case = [b - a for a, b in zip([start, *marks], marks, strict=False)]
    per_op: dict[str, float] = {}
    for i, spec in enumerate(specs):
        chunk = per_case[i * cases_per_op:(i + 1) * cases_per_op]
        per_op[spec.name] = sum(chunk) / max(len(chunk), 1)
    passed = sum(r.get("status") == "pass" for r in records)
    return {"cases": cases, "items": len(records), "passed": passed, "seconds": total,
            "cases_per_s": cases / total if total else 0.0, **_shares(total, clock),
            "child_start_s": startup, "per_op_mean_s": per_op}


# ---------------------------------------------------------------- subprocesses
def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT),
                                                     env.get("PYTHONPATH", "")) if p)
    return env


def _run(argv: list[str], timeout: float, env: dict[str, str] | None = None
         ) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=PROJECT_ROOT, env=_env(env), capture_output=True, text=True,
                          timeout=timeout)
    return time.perf_counter() - start, proc


def _run_in(tree: Path, argv: list[str], timeout: float
            ) -> tuple[float, subprocess.CompletedProcess]:
    """`argv` run with the code checked out in `tree` (its directory first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return time.perf_counter() - start, proc


def check_command(cases_per_op: int = DEFAULT_CASES) -> dict[str, Any]:
    """`nnparity check` as a user runs it (start-up and report writing included)."""
    with tempfile.TemporaryDirectory(prefix="nnparity-bench-") as tmp:
        wall, proc = _run([sys.executable, "-m", "harness.cli", "check", "--cases",
                           str(cases_per_op), "--report", tmp], timeout=3600)
    cases = cases_per_op * len(OPS)
    return {"command": f"nnparity check --cases {cases_per_op}", "exit_code": proc.returncode,
            "cases": cases, "wall_s": wall, "cases_per_s": cases / wall}


def pytest_parity(cases_per_op: int = DEFAULT_CASES, workers: str = "auto") -> dict[str, Any]:
    """`pytest -n auto tests/test_parity.py` (workers="auto"), or without xdist (workers="0"):
    wall clock, interpreter start-up, xdist workers and collection included."""
    xdist = ["-n", workers] if workers != "0" else ["-p", "no:xdist"]
    argv = [sys.executable, "-m", "pytest", *xdist, "tests/test_parity.py",
            "-p", "no:cacheprovider", "--parity-cases", str(cases_per_op)]
    wall, proc = _run(argv, timeout=3600)
    tail = proc.stdout.strip().splitlines()[-1].strip("= ") if proc.stdout.strip() else ""
    found = re.search(r"(\d+) passed", tail)
    started = re.search(r"created: (\d+)/\d+ workers", proc.stdout)
    cases = cases_per_op * len(OPS)
    shown = "pytest " + (f"-n {workers} " if workers != "0" else "-p no:xdist ") \
        + "tests/test_parity.py" \
        + ("" if cases_per_op == DEFAULT_CASES else f" --parity-cases {cases_per_op}")
    return {"command": shown, "exit_code": proc.returncode,
            "workers": int(started.group(1)) if started else (1 if workers == "0" else None),
            "items_passed": int(found.group(1)) if found else None, "cases": cases,
            "wall_s": wall, "cases_per_s": cases / wall, "summary": tail}


# ---------------------------------------------------------------- feedback latency
LATENCY_TARGET = 1.5   # `nnparity check` at most this many times `import torch, numpy`


def latency(rounds: int = 3, cases_per_op: int = DEFAULT_CASES) -> dict[str, Any]:
    """Wall clock of `nnparity check` (the default suite, student_nn) against
    ``python -c "import torch, numpy"``, in `rounds` rounds of: the import, a check on an
    empty reference cache (cold: every twin computed, torch imported), the same check again
    (warm: every reference from the cache). The ratios are the median of each round's
    check / import, so that both sides of a ratio see the same load. nnparity's bytecode is
    compiled first, as torch's is (pip compiles a package when it installs it; a checkout
    run with PYTHONDONTWRITEBYTECODE would otherwise compile every module on every run)."""
    compile_tree(PROJECT_ROOT)
    runs: dict[str, list[float]] = {"import": [], "cold": [], "warm": []}
    codes = set()
    for _ in range(max(rounds, 1)):
        with tempfile.TemporaryDirectory(prefix="nnparity-bench-cache-") as cache, \
                tempfile.TemporaryDirectory(prefix="nnparity-bench-") as out:
            env = {refcache.ENV_DIR: cache, refcache.ENV_OFF: ""}
            wall, _ = _run([sys.executable, "-c", "import torch, numpy"], timeout=300)
            runs["import"].append(wall)
            for kind in ("cold", "warm"):
                wall, proc = _run([sys.executable, "-m", "harness.cli", "check", "--cases",
                                   str(cases_per_op), "--report", out], timeout=3600, env=env)
                runs[kind].append(wall)
                codes.add(proc.returncode)
    ratios = {kind: _median([c / i for c, i in zip(runs[kind], runs["import"], strict=True)])
              for kind in ("cold", "warm")}
    return {"command": f"nnparity check --cases {cases_per_op}", "rounds": rounds,
            "exit_codes": sorted(codes), "import_s": runs["import"], "cold_s": runs["cold"],
            "warm_s": runs["warm"], "import_median_s": _median(runs["import"]),
            "cold_median_s": _median(runs["cold"]), "warm_median_s": _median(runs["warm"]),
            "cold_ratio": ratios["cold"], "warm_ratio": ratios["warm"],
            "target_ratio": LATENCY_TARGET}


def compile_tree(tree: Path) -> None:
    """Compile the .py files of a checkout of nnparity to bytecode (__pycache__, ignored by
    git), as installing it with pip does."""
    import compileall
    for top in ("harness", "reference", "student_nn"):
        if (tree / top).is_dir():
            compileall.compile_dir(str(tree / top), quiet=1)


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return (xs[n // 2] + xs[(n - 1) // 2]) / 2 if n else float("nan")


# ---------------------------------------------------------------- time against case size
# conv2d cases from tiny to the medium shape: (n, h = w, cin, cout), 3×3 kernel, "same".
SWEEP = ((1, 3, 1, 1), (1, 4, 2, 2), (2, 6, 2, 3), (2, 8, 4, 4), (4, 10, 4, 8),
         (4, 14, 8, 8), (8, 14, 8, 16), (8, 20, 16, 16), (16, 28, 16, 16), (32, 28, 16, 32))
QUICK_SWEEP = SWEEP[:4]


def conv_flops(p: dict[str, Any]) -> float:
    """Multiply-adds ×2 of forward, dW and dX (a stride-1 "same" conv: oh = h, ow = w)."""
    kh, kw = p["k"]
    return 3 * 2 * p["n"] * p["h"] * p["w"] * kh * kw * p["cin"] * p["cout"]


class _Point(TypedDict):
    """One conv2d case of `scaling`: its size and where its seconds went."""

    case_id: str
    flops: float
    seconds: float
    impl_s: float
    reference_s: float
    harness_s: float


def scaling(sweep: tuple[tuple[int, int, int, int], ...] = SWEEP, repeats: int = 3
            ) -> dict[str, Any]:
    """Seconds per conv2d case against its FLOPs, and the fitted exponents."""
    spec = get_op("conv2d")
    points: list[_Point] = []
    with instrumented() as clock, Checker(BUNDLED_DIR) as checker:
        checker.check(spec, Case.make("conv2d", _sweep_params(*sweep[0]), 1))  # start the child
        for size in sweep:
            case = Case.make("conv2d", _sweep_params(*size), 1)
            runs = []
            for _ in range(repeats):
                _clear_reference_cache()
                before = clock.snapshot()
                t = time.perf_counter()
                checker.check(spec, case)
                total = time.perf_counter() - t
                impl, _, ref = (a - b for a, b in zip(clock.snapshot(), before, strict=True))
                runs.append((total, impl, ref))
            total, impl, ref = sorted(runs)[len(runs) // 2]
            points.append({"case_id": case.id, "flops": conv_flops(case.p), "seconds": total,
                           "impl_s": impl, "reference_s": ref,
                           "harness_s": max(total - impl - ref, 0.0)})
    flops = [p["flops"] for p in points]
    top = points[-4:]  # the largest cases, where the work itself should dominate
    return {"op": "conv2d", "points": points,
            "exponent": fit_exponent(flops, [p["seconds"] for p in points]),
            "exponent_largest": fit_exponent([p["flops"] for p in top],
                                             [p["seconds"] for p in top]),
            "largest_harness_share": top[-1]["harness_s"] / top[-1]["seconds"],
            "exponent_impl": fit_exponent(flops, [p["impl_s"] for p in points]),
            "exponent_reference": fit_exponent(flops, [p["reference_s"] for p in points]),
            "exponent_harness": fit_exponent(flops, [max(p["harness_s"], 1e-6)
                                                     for p in points])}


def _sweep_params(n: int, hw: int, cin: int, cout: int) -> dict[str, Any]:
    return {"n": n, "h": hw, "w": hw, "cin": cin, "cout": cout, "k": (3, 3), "s": 1,
            "pad": "same", "act": "linear"}


# ---------------------------------------------------------------- grading
DASK_OVERHEAD_SHARE = 0.10   # the cluster's overhead per submission, of a correct one's grading


def grading(one_workers: int = 1, batch: int = 4, batch_workers: int = 2) -> dict[str, Any]:
    """`nnparity grade` (default rubric) on copies of student_nn as neural_networks/:
    seconds for one correct submission, and submissions per minute for a batch with
    `batch_workers` local workers and on a LocalCluster of as many Dask workers."""
    wall, probe = _run([sys.executable, "-m", "harness.cli", "grade", "--help"], timeout=300)
    if probe.returncode != 0:
        return {"status": "not yet available",
                "detail": (probe.stderr.strip().splitlines() or [""])[-1][:200]}
    tmp = Path(tempfile.mkdtemp(prefix="nnparity-bench-grade-"))
    try:
        subs = [_submission(tmp / f"student{i}") for i in range(max(batch, 1))]
        one = _grade(subs[:1], tmp / "out-one", one_workers)
        many = _grade(subs, tmp / "out-batch", batch_workers)
        cluster = _dask(subs, tmp / "out-dask", batch_workers, one)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"status": "ok", "rubric": "default",
            "seconds_per_submission": one["wall_s"],
            "grader_seconds_per_submission": one["mean_grader_s"],
            "workers_one": one_workers, "single": one,
            "batch": many, "batch_workers": batch_workers,
            "submissions_per_minute": 60.0 * len(subs) / many["wall_s"],
            "dask": cluster}


def _dask(subs: list[Path], out: Path, workers: int, one: dict[str, Any]) -> dict[str, Any]:
    """The same batch on a LocalCluster of `workers` Dask workers (`--scheduler local:N`):
    submissions per minute (wall clock of the command, the cluster's start included, and
    without it), and the overhead per submission the command reports (packing, dispatch,
    unpacking on the worker, the result's way back), against a correct submission's grading
    time: the shorter of a warm worker's (the cluster's own, references built) and the first
    one's with --workers 1."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return {"status": "dask not installed (pip install \"nnparity[dask]\")"}
    done = _grade(subs, out, workers, scheduler=f"local:{workers}")
    line = next((ln for ln in done["stdout"].splitlines() if ln.startswith("Dask ")), "")
    overhead = _float(r"overhead ([0-9.]+) s per submission", line)
    started = _float(r"cluster started in ([0-9.]+) s", line) or 0.0
    # The stricter of the two: a warm worker's grading time of a correct submission (its
    # references built already), not the first submission's (which builds them).
    warm_s = _float(r"of its ([0-9.]+) s of grading", line)
    first_s = one.get("mean_grader_s")
    grading_s = min(x for x in (warm_s, first_s, float("inf")) if x)
    grading_s = None if grading_s == float("inf") else grading_s
    share = overhead / grading_s if overhead is not None and grading_s else None
    up = done["wall_s"] - started
    return {"status": "ok" if done["exit_code"] == 0 else f"exit {done['exit_code']}",
            "scheduler": f"local:{workers}", "workers": workers, "run": done,
            "submissions_per_minute": 60.0 * len(subs) / done["wall_s"],
            "submissions_per_minute_cluster_up": 60.0 * len(subs) / up if up > 0 else None,
            "cluster_start_s": started, "overhead_s_per_submission": overhead,
            "correct_grading_s": grading_s, "warm_grading_s": warm_s,
            "first_grading_s": first_s, "overhead_share": share,
            "target_share": DASK_OVERHEAD_SHARE, "summary": line,
            "met": share is not None and share <= DASK_OVERHEAD_SHARE}


# ---------------------------------------------------------------- against the code before #13
GRADING_SPEEDUP_CORRECT = 2.0
GRADING_SPEEDUP_FAILING = 1.5


def grading_vs_base(base: str = BASE_COMMIT, submissions: int = 20, workers: int = 2
                    ) -> dict[str, Any]:
    """Submissions per minute of `nnparity grade --workers N` (default rubric), this code
    against the code at `base` (a git worktree beside this checkout, made for the run unless
    one is there), on the same submissions in the same run: `submissions` correct ones
    (copies of student_nn) and as many failing ones (mutants of student_nn, each with one
    bug, investigated). This code runs on an empty reference cache first (cold), then on
    the cache that run filled (warm; the failing batch runs warm too)."""
    try:
        tree_cm = base_tree(base)
        tree = tree_cm.__enter__()
    except (OSError, subprocess.CalledProcessError) as exc:
        return {"status": f"no checkout of {base}", "detail": str(exc)[:300]}
    tmp = Path(tempfile.mkdtemp(prefix="nnparity-bench-vs-"))
    try:
        for checkout in (PROJECT_ROOT, tree):   # both as installed (see `latency`)
            compile_tree(checkout)
        correct = [_submission(tmp / "correct" / f"student{i:02d}") for i in range(submissions)]
        failing = _failing_submissions(tmp / "failing", submissions)
        with tempfile.TemporaryDirectory(prefix="nnparity-bench-cache-") as cache:
            new_env = {refcache.ENV_DIR: cache, refcache.ENV_OFF: ""}
            runs = {
                "old_correct": _grade(correct, tmp / "o1", workers, tree=tree),
                "new_correct_cold": _grade(correct, tmp / "n1", workers, env=new_env),
                "new_correct": _grade(correct, tmp / "n2", workers, env=new_env),
                "old_failing": _grade(failing, tmp / "o3", workers, tree=tree),
                "new_failing": _grade(failing, tmp / "n3", workers, env=new_env),
            }
        same = {kind: _same_grades(tmp / f"o{i}", tmp / f"n{i}")
                for kind, i in (("correct", 1), ("failing", 3))}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        tree_cm.__exit__(None, None, None)
    rate = {k: 60.0 * r["submissions"] / r["wall_s"] for k, r in runs.items()}
    for r in runs.values():
        r.pop("stdout", None)
    return {"status": "ok", "base": base, "workers": workers, "submissions": submissions,
            "runs": runs, "per_minute": rate, "same_scores": same,
            "speedup_correct": rate["new_correct"] / rate["old_correct"],
            "speedup_correct_cold": rate["new_correct_cold"] / rate["old_correct"],
            "speedup_failing": rate["new_failing"] / rate["old_failing"],
            "target_correct": GRADING_SPEEDUP_CORRECT,
            "target_failing": GRADING_SPEEDUP_FAILING}


@contextlib.contextmanager
def base_tree(commit: str) -> Iterator[Path]:
    """A checkout of `commit` beside this one: a git worktree in the temp directory, added
    for the run and removed after (one already there is used and left as it was)."""
    sha = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--verify",
                          f"{commit}^{{commit}}"], capture_output=True, text=True,
                         check=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"nnparity-base-{sha[:7]}"
    added = False
    if not (path / "harness" / "cli.py").is_file():
        subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "add", "--detach",
                        str(path), sha], capture_output=True, check=True)
        added = True
    try:
        yield path
    finally:
        if added:
            subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "remove", "--force",
                            str(path)], capture_output=True)


# Failing submissions: mutants of these functions, one bug each (cycled when more are asked).
FAILING_FUNCTIONS = ("ReLU.backward", "Sigmoid.forward", "FullyConnected.backward",
                     "Conv2D.forward", "SoftMax.backward", "Pool2D.backward",
                     "CrossEntropy.forward", "TanH.backward", "Conv2D.backward",
                     "FullyConnected.forward")


def _failing_submissions(root: Path, n: int) -> list[Path]:
    """`n` copies of student_nn as neural_networks/, each with one arithmetic mutant of one
    of FAILING_FUNCTIONS (harness/tools/evidence/mutants.py; of any function when student_nn has
    none of them), the functions in turn."""
    from harness.tools.evidence.mutants import generate, write_package

    by_function: dict[str, list[Any]] = {}
    for m in generate():
        if m.operator == "arith":
            by_function.setdefault(m.function, []).append(m)
    order = [f for f in FAILING_FUNCTIONS if by_function.get(f)] or sorted(by_function)
    subs = []
    for i in range(n):
        mutants = by_function[order[i % len(order)]]
        dest = root / f"student{i:02d}"
        dest.mkdir(parents=True)
        write_package(mutants[(i // len(order)) % len(mutants)], dest)
        subs.append(dest)
    return subs


def _same_grades(old: Path, new: Path) -> bool:
    """Both gradebooks give every submission the same status and score."""
    def grades(path: Path) -> list[tuple[str, str, str]]:
        return sorted((r.get("name", ""), r.get("status", ""), r.get("score", ""))
                      for r in _gradebook(path / "gradebook.csv"))
    return bool(grades(old)) and grades(old) == grades(new)


def _float(pattern: str, text: str) -> float | None:
    m = re.search(pattern, text)
    return float(m.group(1)) if m else None


def _submission(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(BUNDLED_DIR, root / "neural_networks",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


def _grade(subs: list[Path], out: Path, workers: int, env: dict[str, str] | None = None,
           scheduler: str | None = None, tree: Path | None = None) -> dict[str, Any]:
    """`nnparity grade` of this code, or with `tree` of the code checked out there."""
    argv = [sys.executable, "-m", "harness.cli", "grade", *map(str, subs), "--out", str(out),
            "--workers", str(workers), "--no-progress"]
    if scheduler:
        argv += ["--scheduler", scheduler]
    if tree is None:
        wall, proc = _run(argv, timeout=3600, env=env)
    else:
        wall, proc = _run_in(tree, argv, timeout=3600)
    rows = _gradebook(out / "gradebook.csv")
    full = [r for r in rows if r.get("status") == "graded"
            and _num(r.get("score")) == _num(r.get("max_score"))]
    seconds = [s for r in rows if (s := _num(r.get("seconds"))) is not None]
    return {"submissions": len(subs), "workers": workers, "wall_s": wall,
            "exit_code": proc.returncode, "full_score": len(full),
            "isolation": sorted({r.get("isolation", "?") for r in rows}),
            "mean_grader_s": sum(seconds) / len(seconds) if seconds else None,
            "statuses": sorted({r.get("status", "?") for r in rows}),
            **({"stdout": proc.stdout[-4000:]} if scheduler else {})}


def _gradebook(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return []


def _num(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


# ---------------------------------------------------------------- the cost of isolation
ISOLATION_TARGET_S = 0.3   # at most this much more per submission with namespaces


def isolation_cost(submissions: int = 3, rounds: int = 2, starts: int = 10) -> dict[str, Any]:
    """Seconds per submission graded with and without namespaces (default rubric, one
    worker, copies of student_nn; after one warm-up the levels alternate, in turns, `rounds`
    times, so that both see the same load), and the median time of one child's start, first
    answer and clean-up."""
    problem = isolation.namespaces_problem()
    if problem is not None:
        return {"status": "namespaces not available", "detail": problem}
    without = "uid" if os.geteuid() == 0 else "process"
    levels = ("namespaces", without)
    tmp = Path(tempfile.mkdtemp(prefix="nnparity-bench-iso-"))
    tmp.chmod(0o755)
    try:
        subs = [_submission(tmp / f"student{i}") for i in range(max(submissions, 1))]
        for p in [tmp, *tmp.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        starts_s = {level: _child_start(subs[0] / "neural_networks", level, starts)
                    for level in levels}
        _grade(subs[:1], tmp / "out-warmup", 1)   # warms the file cache for both
        runs: dict[str, list[dict[str, Any]]] = {level: [] for level in levels}
        for r in range(max(rounds, 1)):
            for level in levels if r % 2 == 0 else levels[::-1]:
                runs[level].append(_grade(subs, tmp / f"out-{level}-{r}", 1,
                                          env={isolation.ENV_VAR: level}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    per: dict[str, dict[str, Any]] = {}
    for level, done in runs.items():
        walls = sorted(d["wall_s"] / d["submissions"] for d in done)
        grader = sorted(d["mean_grader_s"] for d in done if d["mean_grader_s"] is not None)
        per[level] = {"wall_s_per_submission": walls[len(walls) // 2],
                      "grader_s_per_submission": grader[len(grader) // 2] if grader else None,
                      "child_start_s": starts_s[level],
                      "full_score": sum(d["full_score"] for d in done),
                      "graded": sum(d["submissions"] for d in done),
                      "recorded": sorted({x for d in done for x in d["isolation"]})}
    ns, other = per["namespaces"], per[without]
    extra = ns["wall_s_per_submission"] - other["wall_s_per_submission"]
    extra_grader = (ns["grader_s_per_submission"] - other["grader_s_per_submission"]
                    if ns["grader_s_per_submission"] is not None
                    and other["grader_s_per_submission"] is not None else None)
    return {"status": "ok", "without": without, "levels": per, "submissions": len(subs),
            "rounds": rounds, "extra_s_per_submission": extra,
            "extra_grader_s_per_submission": extra_grader,
            "extra_child_start_s": ns["child_start_s"] - other["child_start_s"],
            "target_s": ISOLATION_TARGET_S,
            "met": extra <= ISOLATION_TARGET_S}


def _child_start(package: Path, level: str, n: int) -> float:
    """Median seconds of starting a child at `level`, its first answer and closing it."""
    uid = claim_uid()
    try:
        times = []
        for _ in range(max(n, 1)):
            start = time.perf_counter()
            with Sandbox(package, ("activations", "layers", "losses"), Limits(),
                         Policy(uid=uid, gid=uid, refuse_imports=("torch",),
                                isolation=level), share=package.parent) as sb:
                answer = sb.run({"cmd": "load", "module": "activations"}, {})
            times.append(time.perf_counter() - start)
            if not isinstance(answer, tuple) or not answer[0].get("ok"):
                raise RuntimeError(f"the child did not start at level {level}: {answer}")
    finally:
        release_uid(uid)
    return sorted(times)[len(times) // 2]
