"""Grade a batch of submissions: in parallel, resumable, never losing a result.

Each submission is graded by one worker (a process of its own, with a sandbox uid of its own
when run as root) and its files are written as soon as it finishes, result.json last (by the
worker; on a Dask cluster, `scheduler`, by this process as each result arrives: see
harness/grading/distributed.py); a rerun with the same rubric skips every submission whose
result.json matches its content, so an interrupted batch resumes where it stopped. The
gradebook is rewritten after every submission, with ``pending`` rows for the ones still to
come. A worker process that dies (a submission that brings down its grader, the OOM killer)
costs only the submission that killed it: `_run_pool` grades the suspects again each alone.

The isolation level (harness/sandbox/isolation.py) is decided once, at the start of the batch, and
said there when it is not "namespaces"; every result records it. Below namespaces, as root,
the submissions' sources, the output directory and the refused packages are made unreadable
for other users (so for the sandbox uids) while the batch runs.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.grading.cohort import write_class_report
from harness.grading.grader import SubmissionGrader, fail, new_result
from harness.grading.outputs import read_result, write_gradebook, write_submission
from harness.grading.rubric import Rubric
from harness.grading.submission import Submission, discover
from harness.progress import Progress
from harness.sandbox.confine import SandboxError, claim_uid, release_uid, remove_tree
from harness.sandbox.isolation import (
    Isolation,
    answer_dirs,
    choose,
    hidden_from_others,
)
from harness.sandbox.parent import Policy, preflight
from harness.sandbox.visible import refused_package_dirs


@dataclass
class BatchOutcome:
    results: list[dict[str, Any]]          # one per submission, in the order given
    graded: list[str] = field(default_factory=list)    # names graded by this run
    resumed: list[str] = field(default_factory=list)   # names whose earlier result was kept
    gradebook: Path | None = None
    seconds: float = 0.0
    uid: int | None = None                  # the sandbox uid of in-process grading (root only)
    isolation: Isolation | None = None      # the level the batch ran at (None: nothing to grade)
    dask: Any = None                        # on a Dask cluster: its DaskRun (distributed.py)


def _pending_row(sub: Submission, rubric: Rubric) -> dict[str, Any]:
    return {"name": sub.name, "status": "pending", "score": "", "max_score": rubric.max_score,
            "reason": "not graded yet", "source": str(sub.path), "tests": []}


def is_done(result: dict[str, Any] | None, sub: Submission, rubric: Rubric) -> bool:
    return bool(result) and result is not None and result.get("status") != "internal_error" \
        and result.get("fingerprint") == sub.fingerprint \
        and result.get("rubric", {}).get("fingerprint") == rubric.fingerprint()


# ------------------------------------------------------------------ workers
_worker: dict[str, Any] = {}
Grade = Callable[[Submission], dict[str, Any]]   # grades one submission in a worker


def _init_worker(rubric: Rubric, out: Path, ticks: Any, level: str, scratch: str) -> None:
    # what this worker stages and its children's directories go under the pool's scratch,
    # which the batch removes after the pool: a worker killed mid-submission leaves nothing
    tempfile.tempdir = tempfile.mkdtemp(dir=scratch)
    os.chmod(tempfile.tempdir, 0o711)   # the sandbox uid may pass through, not list
    uid = claim_uid()
    _worker.update(out=out, rubric=rubric, ticks=ticks, grader=SubmissionGrader(
        rubric, uid, uid, on_case=lambda case_id: ticks.put(1), isolation=level))


def _grade_in_worker(sub: Submission) -> dict[str, Any]:
    """Grade `sub` in this worker and write its files."""
    result = _worker["grader"].grade(sub)
    write_submission(_worker["out"], result, _worker["rubric"])
    return result


def _announced(grade: Grade, sub: Submission) -> dict[str, Any]:
    """Say that this worker starts on `sub` (at once: the parent hears it even when the
    worker dies the next instant), then grade it."""
    _worker["ticks"].put(sub.name)
    return grade(sub)


def _internal_error(sub: Submission, rubric: Rubric, message: str,
                    level: str | None = None) -> dict[str, Any]:
    return fail(new_result(sub, rubric, isolation=level), rubric, "internal_error", message)


# ------------------------------------------------------------------ the batch
def grade_batch(paths: list[str], rubric: Rubric, out: str | Path, workers: int | None = None,
                regrade: bool = False, progress: bool | None = None,
                log: Callable[[str], None] | None = None,
                scheduler: str | None = None, compare: str | Path | None = None
                ) -> BatchOutcome:
    """Grade every submission in `paths` into `out`, with `workers` local processes or, with
    `scheduler` (tcp://HOST:PORT or local:N), on a Dask cluster; then write the class report
    (against the earlier run in `compare`, when given: its regrade section and regrade.csv).

    ValueError for unusable paths, SandboxError when the sandbox cannot work on this machine
    (or on a Dask worker); with a scheduler, distributed.DaskUnavailable when the cluster
    cannot be used and distributed.SchedulerLost when it goes away mid-batch (what finished is
    saved: a rerun resumes). A submission's own failures never raise (they are its status).
    """
    start = time.monotonic()
    subs = discover(paths)
    if not subs:
        raise ValueError("no submissions given")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o755)
    results: dict[str, dict[str, Any]] = {}
    outcome = BatchOutcome([])
    for sub in subs:
        previous = read_result(out, sub.name)
        if not regrade and previous is not None and is_done(previous, sub, rubric):
            results[sub.name] = previous
            outcome.resumed.append(sub.name)
    pending = [s for s in subs if s.name not in results]
    bar = Progress(len(pending) * rubric.case_count, "grading", enabled=progress)
    say = _logger(bar, log)
    if outcome.resumed:
        say(f"resuming: {len(outcome.resumed)} submission(s) already graded in {out} "
            "(--regrade to grade them again)")

    def finished(sub: Submission, result: dict[str, Any]) -> None:
        results[sub.name] = result
        outcome.graded.append(sub.name)
        say(f"{sub.name}: {result['status']}  {result['score']:g}/{result['max_score']:g}  "
            f"{result['reason']}")
        write_gradebook(out, [results.get(s.name) or _pending_row(s, rubric) for s in subs],
                        rubric)

    uid = None
    if pending and scheduler is not None:
        from harness.grading.distributed import grade_on_dask
        try:
            outcome.dask = grade_on_dask(pending, rubric, out, scheduler, bar, finished, say)
        finally:
            bar.close()
        outcome.isolation = outcome.dask.isolation
    elif pending:
        uid = claim_uid()
        try:
            iso = choose(uid)
        except SandboxError:
            release_uid(uid)
            raise
        level = iso.level
        problem = preflight(Policy(uid=uid, gid=uid, isolation=level)) \
            if uid is not None or level == "namespaces" else None
        if problem:
            release_uid(uid)
            raise SandboxError(f"cannot run submissions in the sandbox: {problem}")
        if level != "namespaces":
            say(iso.warning())
        outcome.isolation = iso
        # Without namespaces the sandbox uid sees the file system as any user does: hide the
        # batch's sources, the other results, the rubric (its hidden cases' seeds) and torch
        # & co. from it while the batch runs.
        hide = [s.path for s in subs] + [out, Path(rubric.path)] + refused_package_dirs(
            rubric.refuse_imports) + answer_dirs()
        guard: contextlib.AbstractContextManager[Any] = (
            hidden_from_others(hide) if level == "uid" else contextlib.nullcontext([]))
        n = max(1, min(workers or os.cpu_count() or 1, len(pending)))
        try:
            with guard:
                if n == 1:
                    grader = SubmissionGrader(rubric, uid, uid,
                                              on_case=lambda case_id: bar.advance(),
                                              isolation=level)
                    for sub in pending:
                        result = grader.grade(sub)
                        write_submission(out, result, rubric)
                        finished(sub, result)
                else:
                    _run_pool(pending, rubric, out, n, bar, finished, level)
        finally:
            bar.close()
    outcome.uid = uid
    outcome.results = [results[s.name] for s in subs]
    outcome.gradebook = write_gradebook(out, outcome.results, rubric)
    write_class_report(out, compare, on_error=say)   # class.html, .md, .json: from result.json
    outcome.seconds = time.monotonic() - start
    return outcome


def _run_pool(pending: list[Submission], rubric: Rubric, out: Path, n: int, bar: Progress,
              finished: Callable[[Submission, dict[str, Any]], None], level: str,
              grade: Grade = _grade_in_worker) -> None:
    """Grade `pending` with `n` worker processes, each submission by `grade` in a worker.

    A worker that dies breaks its pool, and the pool cannot tell which submission killed
    it: the ones its workers had started are graded again each alone, in a fresh worker, and
    the ones not started yet go on in a fresh pool. Only a submission that kills its lone
    worker too is lost (internal_error); its neighbours are graded as if nothing happened."""
    todo = list(pending)
    while todo:
        started, todo = _pool(todo, rubric, out, min(n, len(todo)), bar, finished, level,
                              grade)
        for sub in started:
            if _pool([sub], rubric, out, 1, bar, finished, level, grade)[0]:
                _record_error(sub, rubric, out, finished, level, "a grading worker process "
                              "died twice while grading this submission, the second time "
                              "grading it alone")


def _pool(todo: list[Submission], rubric: Rubric, out: Path, n: int, bar: Progress,
          finished: Callable[[Submission, dict[str, Any]], None], level: str, grade: Grade
          ) -> tuple[list[Submission], list[Submission]]:
    """One pool of `n` workers grading `todo`. When a worker dies, the submissions left
    unfinished: (those a worker had started, the others); both empty when none died."""
    ctx = multiprocessing.get_context("spawn")
    ticks = ctx.SimpleQueue()   # unbuffered: a worker's last word arrives even if it dies
    started: set[str] = set()
    broken: list[Submission] = []
    with _scratch() as scratch:
        pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker,
                                   initargs=(rubric, out, ticks, level, scratch))
        try:
            futures = {pool.submit(_announced, grade, sub): sub for sub in todo}
            while futures:
                done, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(ticks, bar, started)
                for fut in done:
                    sub = futures.pop(fut)
                    try:
                        finished(sub, fut.result())
                    except BrokenProcessPool:
                        broken.append(sub)
                    except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
                        _record_error(sub, rubric, out, finished, level,
                                      f"the worker failed: {exc!r}")
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    _drain(ticks, bar, started)
    # none announced (a worker died starting up, say): every unfinished one is a suspect
    suspects = [sub for sub in broken if sub.name in started] or broken
    return suspects, [sub for sub in broken if sub not in suspects]


@contextlib.contextmanager
def _scratch() -> Iterator[str]:
    """A directory for a pool's workers (`_init_worker`), removed with all they left."""
    scratch = tempfile.mkdtemp(prefix="nnparity-pool-")
    os.chmod(scratch, 0o711)
    try:
        yield scratch
    finally:
        remove_tree(scratch)


def _record_error(sub: Submission, rubric: Rubric, out: Path,
                  finished: Callable[[Submission, dict[str, Any]], None], level: str,
                  message: str) -> None:
    result = _internal_error(sub, rubric, message, level)
    write_submission(out, result, rubric)
    finished(sub, result)


def _drain(ticks: Any, bar: Progress, started: set[str]) -> None:
    """Read the workers' messages: a case done (1), or the name of a submission started."""
    while not ticks.empty():
        message = ticks.get()
        if isinstance(message, str):
            started.add(message)
        else:
            bar.advance(message)


def _logger(bar: Progress, log: Callable[[str], None] | None) -> Callable[[str], None]:
    def say(text: str) -> None:
        if log is not None:
            log(text)
            return
        if bar.enabled:
            bar.stream.write("\r\x1b[K")
        print(text, file=sys.stdout, flush=True)
    return say
