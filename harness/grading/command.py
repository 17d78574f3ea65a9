"""``nnparity grade``: the command line of batch grading (wired into harness/cli.py)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from harness.grading.batch import grade_batch
from harness.grading.cohort import (
    CLASS_HTML,
    CLASS_JSON,
    CLASS_MD,
    REGRADE_CSV,
    ClassReportError,
    read_results,
    write_class_report,
)
from harness.grading.rubric import DEFAULT_RUBRIC, RubricError, load_rubric, shipped_rubric
from harness.sandbox.confine import SandboxError

EXIT_OK, EXIT_UNUSABLE, EXIT_SCHEDULER_LOST = 0, 2, 3

DESCRIPTION = """\
Grade submitted implementations with a rubric. Each SUBMISSION is a directory (holding a
neural_networks/ package, possibly nested, or the contract modules themselves) or a .zip file.
Every submission runs in its own sandboxed process with limits on time, CPU, memory, processes
and file size (from the rubric); when run as root it runs as an unprivileged uid of its own,
so it cannot write the project, the reports or other submissions. Where the kernel allows it
(bubblewrap), it also runs in namespaces of its own: it sees only its own copy of the
submission, no other process and no network. Where not, the batch says so at its start; every
result records its isolation level (namespaces | uid | process). Only plain arrays cross the
process boundary and the verdicts are computed here.

Written to --out: gradebook.csv (one row per submission: status, score, reason, a column per
test) and, per submission, feedback.md, Gradescope's results.json and result.json; then the
class report, for the staff only: class.html, class.md and class.json (the score distribution,
pass rates, the most common root causes with the submissions that have them, clusters of
similar failure signatures, and a post for the class). Statuses:
graded, refused_import, import_error, crashed, timeout, memory_limit, invalid, internal_error.
A broken submission never stops the batch. Rerunning the same command resumes: submissions
whose result.json matches their content and the rubric are not graded again.

With --scheduler, each submission is a task on a Dask cluster (pip install "nnparity[dask]";
docs/distributed.md): it travels by value (its bytes, with the rubric) to a Dask worker,
which grades it in the same sandbox, with the same limits, and the results are written here
as they arrive. Neither this process nor the scheduler runs student code."""

EPILOG = """\
examples:
  nnparity grade submissions/*.zip --out grades
  nnparity grade alice/ bob.zip --rubric my_rubric.toml --workers 4 --out grades
  nnparity grade submissions/*.zip --scheduler tcp://scheduler.example.org:8786 --out grades
  nnparity grade submissions/*.zip --scheduler local:2 --out grades
  nnparity grade submissions/*.zip --out grades-v2 --compare grades

exit codes: 0 the batch finished (even if submissions failed), 2 unusable input (no such path,
not a directory or .zip, invalid rubric, sandbox unusable on this machine or on a Dask
worker, --scheduler without Dask installed or not reachable), 3 the Dask scheduler was lost
mid-batch (restart the cluster and rerun the same command to resume), 130 interrupted (rerun
the same command to resume)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="a submission directory or .zip file (shell globs welcome)")
    p.add_argument("--rubric", metavar="FILE", default=None,
                   help=f"rubric TOML (default: the HW6 rubric, {_rel(DEFAULT_RUBRIC)})")
    p.add_argument("--starter", metavar="DIR", default=None,
                   help="the course's starter code: modules the rubric does not grade come from "
                        "there (overrides the rubric's starter key)")
    p.add_argument("--api", metavar="NAME", default=None,
                   help="the submissions' API: without --rubric, grade with that API's "
                        "shipped rubric (hw6, cs231n: harness/rubrics/NAME.toml); with "
                        "--rubric, it must be the rubric's own (its api key)")
    p.add_argument("--out", metavar="DIR", default="reports/grades",
                   help="output directory (default: reports/grades)")
    p.add_argument("--workers", metavar="N", type=int, default=os.cpu_count() or 1,
                   help="submissions graded in parallel (default: the number of cores, "
                        f"{os.cpu_count() or 1} here)")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="grade on a Dask cluster: tcp://HOST:PORT (tls://HOST:PORT) of a running "
                        "Dask scheduler, or local:N to start a LocalCluster of N worker "
                        "processes here; --workers is then not used (needs the dask extra: "
                        'pip install "nnparity[dask]")')
    p.add_argument("--regrade", action="store_true",
                   help="grade every submission again, even those already graded in --out")
    p.add_argument("--compare", metavar="PREV_OUT", default=None,
                   help="an earlier --out directory: list the submissions whose score or "
                        "status changed since, and why (rubric, edition, nnparity version, the "
                        f"submission itself), in the class report and in {REGRADE_CSV}")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is drawn only on a terminal anyway)")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"nnparity grade: error: {message}", file=sys.stderr)
        return EXIT_UNUSABLE

    if args.workers < 1:
        return fail("--workers must be at least 1")
    dask_errors: tuple[type[Exception], ...] = ()
    if args.scheduler is not None:
        from harness.grading import distributed  # local: Dask stays off a local run's path
        try:
            distributed.parse_scheduler(args.scheduler)
            distributed.require_distributed()
        except distributed.DaskUnavailable as exc:
            return fail(str(exc))
        dask_errors = (distributed.DaskUnavailable, distributed.SchedulerLost)
    try:
        rubric = load_rubric(args.rubric or (shipped_rubric(args.api) if args.api else None))
    except RubricError as exc:
        return fail(str(exc))
    if args.api and rubric.api_spec.name != args.api:
        return fail(f"--api {args.api}: the rubric {rubric.path} grades the "
                    f"{rubric.api_spec.name} API (its api key); give a rubric for {args.api}")
    if args.starter:
        starter = Path(args.starter).expanduser().resolve()
        if not starter.is_dir():
            return fail(f"--starter {args.starter}: not a directory; give the directory of the "
                        "course's starter code (holding neural_networks/ or its modules)")
        rubric = dataclasses.replace(rubric, starter=str(starter))
    if args.compare is not None:
        problem = _out_problem(args.compare)
        if problem:
            return fail(f"--compare {args.compare}: {problem}")
    print(f"nnparity grade: {len(args.submissions)} submission(s), rubric {rubric.name} "
          f"({_rel(Path(rubric.path))}, {rubric.max_score:g} points, {len(rubric.tests)} tests, "
          f"{rubric.case_count} cases each), "
          + (f"on Dask ({args.scheduler})" if args.scheduler else f"{args.workers} worker(s)")
          + f" -> {args.out}", flush=True)
    try:
        outcome = grade_batch(args.submissions, rubric, args.out, workers=args.workers,
                              regrade=args.regrade,
                              progress=False if args.no_progress else None,
                              scheduler=args.scheduler, compare=args.compare)
    except (ValueError, SandboxError) as exc:
        return fail(str(exc))
    except dask_errors as exc:
        if type(exc).__name__ != "SchedulerLost":
            return fail(str(exc))
        print(f"\nnnparity grade: error: {exc}", file=sys.stderr)
        return EXIT_SCHEDULER_LOST
    except KeyboardInterrupt:
        print("\nnnparity grade: interrupted; finished submissions are saved, rerun the same "
              "command to resume", file=sys.stderr)
        return 130
    rows = [[r["name"], r["status"], f"{r['score']:g}/{r['max_score']:g}",
             _cut(r["reason"], 70)] for r in outcome.results]
    print()
    print(tabulate(rows, headers=["submission", "status", "score", "reason"]))
    print(f"\n{len(outcome.graded)} graded, {len(outcome.resumed)} kept from an earlier run, "
          f"in {outcome.seconds:.1f} s; gradebook: {outcome.gradebook}")
    if outcome.dask is not None:
        print(outcome.dask.summary())
    out = Path(args.out)
    if args.compare is not None and (out / CLASS_JSON).exists():   # the batch compared it
        _print_diff(json.loads((out / CLASS_JSON).read_text())["regrade"], out)
    if (out / CLASS_HTML).exists():
        print(f"class report (staff only): {out / CLASS_HTML} ({CLASS_MD}, {CLASS_JSON})")
    return EXIT_OK


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------ nnparity class-report
CLASS_DESCRIPTION = f"""\
Build the class report of a graded batch from its result.json files: {CLASS_HTML} (one
self-contained page), {CLASS_MD} and {CLASS_JSON}, written into OUT_DIR beside the gradebook.
`nnparity grade` writes them after every batch (local or on Dask); this rebuilds them, for a
resumed or copied directory, or against an earlier batch with --compare. The report is for the
course staff (it names submissions and hidden tests); the class post at the end of {CLASS_MD}
is the part written for students: visible tests only, nobody named."""

CLASS_EPILOG = """\
examples:
  nnparity class-report grades
  nnparity class-report grades-v2 --compare grades

exit codes: 0 written, 2 unusable input (OUT_DIR or PREV_OUT is not the --out directory of a
`nnparity grade` run)."""

DIFF_DESCRIPTION = f"""\
Compare two --out directories of `nnparity grade`, submission by submission: list those whose
status, score or maximum changed (or that only one of them holds) and why: the rubric changed
(its fingerprint), the edition changed, nnparity's version changed, the submission changed
(its content fingerprint), else unknown. Writes {REGRADE_CSV} into NEW_OUT and rebuilds
NEW_OUT's class report with the comparison in it."""

DIFF_EPILOG = """\
examples:
  nnparity diff grades grades-v2

exit codes: 0 compared (whether or not anything changed), 2 unusable input (OLD_OUT or
NEW_OUT is not the --out directory of a `nnparity grade` run)."""


def _out_problem(path: str) -> str | None:
    """Why `path` is not the --out directory of a grading run (None when it is)."""
    try:
        read_results(path)
    except ClassReportError as exc:
        return str(exc).partition(": ")[2] or str(exc)
    return None


def add_class_report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT_DIR", help="the --out directory of `nnparity grade`")
    p.add_argument("--compare", metavar="PREV_OUT", default=None,
                   help="an earlier --out directory: add the regrade diff against it (and "
                        f"write {REGRADE_CSV})")


def run_class_report(args: argparse.Namespace) -> int:
    def fail(message: str) -> int:
        print(f"nnparity class-report: error: {message}", file=sys.stderr)
        return EXIT_UNUSABLE

    for flag, path in (("OUT_DIR", args.out), ("--compare", args.compare)):
        problem = _out_problem(path) if path is not None else None
        if problem:
            return fail(f"{flag} {path}: {problem}")
    paths = write_class_report(args.out, args.compare)
    assert paths is not None
    data = json.loads(paths[CLASS_JSON].read_text())
    print(f"nnparity class-report: {data['submissions']['with_result']} submission(s), "
          f"{len(data['causes'])} distinct root cause(s), {len(data['clusters'])} cluster(s), "
          f"{len(data['review'])} item(s) flagged for review")
    if data["regrade"] is not None:
        _print_diff(data["regrade"], Path(args.out))
    print("written: " + ", ".join(str(p) for p in paths.values()))
    return EXIT_OK


def add_diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", metavar="OLD_OUT", help="the earlier --out directory")
    p.add_argument("new", metavar="NEW_OUT", help=f"the later one ({REGRADE_CSV} goes there)")


def run_diff(args: argparse.Namespace) -> int:
    for flag, path in (("OLD_OUT", args.old), ("NEW_OUT", args.new)):
        problem = _out_problem(path)
        if problem:
            print(f"nnparity diff: error: {flag} {path}: {problem}", file=sys.stderr)
            return EXIT_UNUSABLE
    paths = write_class_report(args.new, args.old)
    assert paths is not None
    _print_diff(json.loads(paths[CLASS_JSON].read_text())["regrade"], Path(args.new))
    return EXIT_OK


def _print_diff(diff: dict[str, Any], out: Path) -> None:
    """The regrade diff: a table of the changed submissions, then the counts."""
    rows = [[r["submission"], f"{r['old_status'] or '-'} {_num(r['old_score'])}",
             f"{r['new_status'] or '-'} {_num(r['new_score'])}", "; ".join(r["why"])]
            for r in diff["rows"]]
    if rows:
        print()
        print(tabulate(rows, headers=["submission", "before", "now", "why"]))
    reasons = ", ".join(f"{k} {v}" for k, v in diff["reasons"].items())
    total = diff["compared"] + diff["old_only"] + diff["new_only"]
    print(f"\nregrade: {diff['changed']} of {total} submission(s) changed against "
          f"{diff['old']}" + (f" ({reasons})" if reasons else "") + f"; {out / REGRADE_CSV}")


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"
