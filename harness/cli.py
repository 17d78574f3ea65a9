"""The `nnparity` command line.

    nnparity check [--impl PATH] [--api NAME] [--starter DIR] [--ops a,b] [--cases N]
                   [--seed S] [--report DIR] [--json FILE] [--no-cache] [--verbose]
    nnparity repro CASE_ID [--impl PATH] [--api NAME] [--starter DIR]
    nnparity evidence [--quick] [--out docs/evidence.md] (harness/evidence/)
    nnparity doctor   what this machine can do, and how to fix what is missing (harness/doctor.py)
    nnparity grade SUBMISSION... [--out DIR] [--compare PREV_OUT]  (harness/grading/command.py)
    nnparity class-report OUT_DIR [--compare PREV_OUT]   the class report of a graded batch
    nnparity diff OLD_OUT NEW_OUT   which submissions' grades changed, and why (regrade.csv)

`check` writes report.json, report.md and report.html into --report DIR and prints, wrapped at
the terminal's width (harness/reports/terminal.py), the summary table and the first five
entries of the fix list (the distinct root causes, in the order to fix them, each with what to
open and its repro command), then how many more report.md holds; with --verbose every entry
and the gist of each failure (likely bug, where, smallest failing case, repro command);
`repro` prints the full finding of one case (the report's section, for a terminal).

Exit codes: 0 every compared output matches, 1 at least one mismatch or error in the
implementation, 2 unusable input (no such path, no implementation there, unknown op or case),
130 interrupted (Ctrl-C; `check` still writes the report of the cases checked so far).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from tabulate import tabulate

from harness.apis.editions import Detected
from harness.apis.known import APIS, DEFAULT, Api
from harness.apis.resolve import resolve_api, resolve_impl
from harness.core import refcache
from harness.core.cases import Case
from harness.core.compare import DEFAULT_TOLERANCE
from harness.core.conventions import PROFILES, get_profile
from harness.core.evaluate import Checker
from harness.core.registry import get_op, select_ops
from harness.core.results import build_report, record
from harness.core.session import DEFAULT_CASES
from harness.diagnosis.investigate import check_and_investigate, investigate
from harness.progress import Progress
from harness.reports.terminal import (
    fix_list_lines,
    gist_lines,
    print_lines,
    section_text,
    table_text,
    terminal_width,
    wrap,
)
from harness.reports.view import (
    FIX_LIST_SHOWN,
    SUMMARY_HEADERS,
    conventions_line,
    fix_entries,
    headline,
    section,
    skipped_groups,
    summary_rows,
)
from harness.reports.write import write_reports
from harness.sandbox.parent import Limits, Policy, unprivileged
from harness.version import package_version

EXIT_OK, EXIT_MISMATCH, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Input nnparity cannot use; the message says what to fix (exit code 2)."""


def _api_arg(value: str | None, impl: str | None, op: str | None = None) -> Api:
    """--api NAME or FILE, else the case ID's API, else detected (harness/apis/resolve.py)."""
    try:
        return resolve_api(value, impl, op)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _impl_arg(value: str | None, api: Api = DEFAULT) -> Path:
    try:
        return resolve_impl(value, api)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _edition_arg(api: Api, impl: Path, value: str | None) -> Detected | None:
    """--edition NAME, else the edition the implementation's files follow."""
    try:
        return api.edition(impl, value)
    except ValueError as exc:
        raise UsageError(f"--edition: {exc}") from None


def _starter_arg(value: str | None) -> Path | None:
    if value is None:
        return None
    p = Path(value).expanduser().resolve()
    if not p.is_dir():
        raise UsageError(f"--starter {value}: not a directory; give the directory of the "
                         "course's starter code (holding neural_networks/ or its modules)")
    return p


def print_modules(plan: dict[str, dict[str, str]], out: TextIO | None = None) -> None:
    """Which modules came from where, when any did not come from the implementation."""
    borrowed = {m: s for m, s in plan.items() if s["origin"] != "submission"}
    if not borrowed:
        return
    print("modules not from the implementation:", file=out or sys.stdout)
    for m, s in borrowed.items():
        print(f"  {m}: {s['origin']} ({s['reason']})", file=out or sys.stdout)


def summary_table(report: dict[str, Any]) -> str:
    return tabulate(summary_rows(report, width=60), headers=SUMMARY_HEADERS)


def print_fix_list(report: dict[str, Any], out: TextIO | None = None,
                   shown: int | None = None, more_in: str = "") -> None:
    """The fix list, wrapped at the terminal's width: each root cause, what to open, what it
    explains, its repro command; the first `shown` entries (every one when None), then how
    many more `more_in` holds."""
    lines = fix_list_lines(report, fix_entries(report), terminal_width(out), shown, more_in)
    print_lines([""] + lines if lines else [], out)


def print_findings(report: dict[str, Any], out: TextIO | None = None) -> None:
    """The gist of each failure: likely bug, where, smallest case, repro command (an item
    explained in the same words by an earlier one: a pointer to it)."""
    print_lines(gist_lines(report, terminal_width(out)), out)


def cmd_check(args: argparse.Namespace) -> int:
    api = _api_arg(args.api, args.impl)
    impl = _impl_arg(args.impl, api)
    try:
        specs = select_ops(args.ops, api.name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.cases < 1:
        raise UsageError("--cases must be at least 1")
    profile = get_profile(args.profile)
    starter = _starter_arg(args.starter)
    edition = _edition_arg(api, impl, args.edition)
    progress = Progress(len(specs) * args.cases, "checking")
    with refcache.disabled(args.no_cache), \
            unprivileged([impl, *([starter] if starter else [])]) as (uid, why), \
            Checker(impl, profile, limits=_check_limits(args.timeout, uid),
                    policy=Policy(uid=uid, gid=uid), starter=starter, api=api.name,
                    edition=edition) as checker:
        if why:
            print(f"nnparity check: note: the implementation runs as root without "
                  f"capabilities ({why})", file=sys.stderr)
        checker.start(specs)
        report = check_and_investigate(checker, specs, args.cases, args.seed,
                                       on_case=lambda cid: progress.advance(note=cid))
        report["modules"] = checker.plan().as_json()
        report["api"] = api.name
    progress.close()
    paths = write_reports(report, args.report)
    if args.json:
        Path(args.json).write_text(paths["json"].read_text())
    width = terminal_width()
    print_lines(wrap(f"nnparity check: {impl} (API {api.name}: {api.title})", width)
                + wrap(conventions_line(report), width))
    print_modules(report["modules"])
    for reason, ops in skipped_groups(report).items():
        print_lines(wrap(f"not checked: {', '.join(ops)} ({reason})", width))
    print()
    print(table_text(report, fix_entries(report)))
    print_fix_list(report, shown=None if args.verbose else FIX_LIST_SHOWN,
                   more_in=str(paths["md"]))
    if args.verbose:
        print_findings(report)
    print_lines(["", *wrap(headline(report), width),
                 *wrap(f"report: {paths['md']}, {paths['html']}, {paths['json']}", width)])
    if report["summary"].get("interrupted"):
        print(f"nnparity: interrupted; the report covers the {report['summary']['cases']} "
              "cases checked so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if report["summary"]["verdict"] == "pass" else EXIT_MISMATCH


def _check_limits(timeout: float, uid: int | None) -> Limits:
    """`check`'s children get grading's default limits (memory, CPU, file size, disk), with
    --timeout per case, wall clock and CPU; the process limit only under a uid of their own
    (it counts every process of the uid)."""
    from harness.grading.rubric import GradeLimits

    return replace(GradeLimits().sandbox_limits(), case_seconds=timeout,
                   case_cpu_seconds=timeout,
                   processes=GradeLimits.processes if uid is not None else None)


def cmd_repro(args: argparse.Namespace) -> int:
    try:
        case = Case.from_id(args.case_id)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    api = _api_arg(args.api, args.impl, case.op)   # an adapter's ops exist once it is read
    try:
        spec = get_op(case.op)
        spec.inputs(case)  # a case its family cannot build (UnbuildableCase) is unusable input
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if api.name != spec.api:
        raise UsageError(f"case {case.id} is an op of the {spec.api} API, not {api.name}")
    impl = _impl_arg(args.impl, api)
    profile = get_profile(args.profile)
    edition = _edition_arg(api, impl, args.edition)
    with Checker(impl, profile, starter=_starter_arg(args.starter), api=api.name,
                 edition=edition) as checker:
        records = [record(v, 0) for v in checker.check(spec, case).values()]
        report = build_report(records, impl=str(impl), seed=0, profile=profile.describe(),
                              tolerance=DEFAULT_TOLERANCE.describe(), cases_per_op=1)
        report["api"] = api.name
        investigate(report, checker)
    width = terminal_width()
    print_lines([f"case {case.id}", f"impl {impl}", *wrap(conventions_line(report), width)])
    for item in report["results"]:
        if item.get("finding"):
            print("\n" + section_text(section(item, report["impl"]), width))
        else:
            print(f"\n{item['op']} {item['output']}: PASS")
    return EXIT_OK if report["summary"]["verdict"] == "pass" else EXIT_MISMATCH


def cmd_grade(args: argparse.Namespace) -> int:
    from harness.grading import command  # local: grading's imports stay off `check`'s path

    return command.run(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from harness import doctor

    results = doctor.run_checks()
    print_lines(doctor.report_lines(results, terminal_width()))
    return doctor.exit_code(results)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnparity",
        description="Check a NumPy neural-network library op by op against PyTorch.",
        epilog="Exit codes: 0 all pass, 1 mismatches, 2 unusable input, 130 interrupted "
               "(check writes the report of the cases done so far).")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--impl", metavar="PATH",
                       help="directory holding neural_networks/ or student_nn/, or the package "
                            "itself; for --api cs231n a folder holding cs231n/layers.py, or "
                            "layers.py itself (default: the bundled student_nn, or its cs231n)")
        p.add_argument("--api", metavar="NAME|FILE",
                       help=f"the API the implementation follows: {', '.join(sorted(APIS))}, "
                            "or an adapter file (.toml or .py, see docs/adapters.md) "
                            "(default: detected from its files; hw6 when unsure)")
        p.add_argument("--profile", default="homework", choices=sorted(PROFILES),
                       help="conventions accepted (default: homework)")
        p.add_argument("--edition", metavar="NAME",
                       help="the year's assignment the implementation follows (HW6: 2020, "
                            "2021-23, 2024+, contract; CS231n: 2017, 2018+): ops it does not "
                            "ask for are not checked (default: detected from its files)")
        p.add_argument("--starter", metavar="DIR",
                       help="the course's starter code: modules that are not graded (weights, "
                            "utils, ...) come from there (default: from the implementation, or "
                            "from student_nn when it provides what the graded modules import)")

    check = sub.add_parser("check", help="check an implementation against PyTorch")
    common(check)
    check.add_argument("--ops", metavar="A,B", help="comma-separated ops (default: all)")
    check.add_argument("--cases", type=int, default=DEFAULT_CASES,
                       help=f"cases per op (default: {DEFAULT_CASES})")
    check.add_argument("--seed", type=int, default=0, help="case seed (default: 0)")
    check.add_argument("--report", default="reports", metavar="DIR",
                       help="report directory (default: reports)")
    check.add_argument("--json", metavar="FILE", help="also write the JSON report here")
    check.add_argument("--verbose", action="store_true",
                       help=f"print every fix-list entry and the gist of every failure "
                            f"(default: the first {FIX_LIST_SHOWN} entries; the rest are in "
                            "the report)")
    check.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                       help="time limit per case (default: 20)")
    check.add_argument("--no-cache", action="store_true",
                       help="compute every PyTorch reference afresh, neither reading nor "
                            f"writing the reference cache (same as {refcache.ENV_OFF}=1; "
                            "default: the cache in $NNPARITY_CACHE_DIR, else "
                            "~/.cache/nnparity)")
    check.set_defaults(func=cmd_check)

    repro = sub.add_parser("repro", help="rerun one case and print its full finding")
    repro.add_argument("case_id", metavar="CASE_ID")
    common(repro)
    repro.set_defaults(func=cmd_repro)

    from harness.grading import command as grading

    grade = sub.add_parser("grade", help="grade submissions (directories or .zip files)",
                           description=grading.DESCRIPTION, epilog=grading.EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    grading.add_arguments(grade)
    grade.set_defaults(func=cmd_grade)

    class_report = sub.add_parser("class-report", help="rebuild the class report of a graded "
                                  "batch (class.html, class.md, class.json)",
                                  description=grading.CLASS_DESCRIPTION,
                                  epilog=grading.CLASS_EPILOG,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    grading.add_class_report_arguments(class_report)
    class_report.set_defaults(func=grading.run_class_report)

    diff = sub.add_parser("diff", help="which submissions' grades changed between two graded "
                          "batches, and why (writes regrade.csv)",
                          description=grading.DIFF_DESCRIPTION, epilog=grading.DIFF_EPILOG,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    grading.add_diff_arguments(diff)
    diff.set_defaults(func=grading.run_diff)

    from harness.bench import cli as bench_cli

    bench = sub.add_parser("bench", help="benchmark student_nn against PyTorch, and the harness",
                           description=bench_cli.DESCRIPTION, epilog=bench_cli.EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_cli.add_arguments(bench)
    bench.set_defaults(func=bench_cli.run)

    from harness.evidence import cli as evidence_cli

    evidence = sub.add_parser("evidence", help="measure nnparity: mutants killed, diagnoses "
                              "right, false positives (writes docs/evidence.md)",
                              description=evidence_cli.DESCRIPTION,
                              epilog=evidence_cli.EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    evidence_cli.add_arguments(evidence)
    evidence.set_defaults(func=evidence_cli.run)

    from harness import doctor

    doctor_parser = sub.add_parser("doctor", help="what this machine can do for nnparity, and "
                                   "how to fix what is missing",
                                   description=doctor.DESCRIPTION, epilog=doctor.EPILOG,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    doctor_parser.set_defaults(func=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):   # a submission's bytes never stop the output
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"nnparity: error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("\nnnparity: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
