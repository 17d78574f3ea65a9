"""The `nnparity` command line.

    nnparity check [--impl PATH] [--api NAME] [--starter DIR] [--ops a,b] [--cases N]
                   [--seed S] [--report DIR] [--json FILE] [--no-cache] [--verbose]
    nnparity repro CASE_ID [--impl PATH] [--api NAME] [--starter DIR]
    nnparity evidence [--quick] [--out docs/evidence.md] (harness/tools/evidence/)
    nnparity doctor   what this machine can do, and how to fix what is missing (harness/doctor.py)
    nnparity grade SUBMISSION... [--out DIR] [--compare PREV_OUT]  (harness/grading/command.py)
    nnparity class-report OUT_DIR [--compare PREV_OUT]   the class report of a graded batch
    nnparity diff OLD_OUT NEW_OUT   which submissions' grades changed, and why (regrade.csv)
    nnparity adapter init --impl PATH [--out FILE] [--name NAME]   a draft adapter file for a
                      library, from its source (harness/tools/adapter_draft/)

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
import os
import sys
from pathlib import Path
from typing import Any

from harness.apis.known import APIS
from harness.apis.resolve import resolve_api
from harness.check.session import DEFAULT_CASES
from harness.core import refcache
from harness.core.conventions import PROFILES
from harness.core.opspec import AdapterError
from harness.pipeline import (
    CheckRequest,
    UsageError,
    resolve,
    run_check,
    run_repro,
)
from harness.progress import Progress
from harness.reports.terminal import print_check, print_lines, print_repro, terminal_width, wrap
from harness.reports.view import FIX_LIST_SHOWN
from harness.reports.write import write_reports
from harness.version import package_version

EXIT_OK, EXIT_MISMATCH, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


def cmd_check(args: argparse.Namespace) -> int:
    request = CheckRequest(impl=args.impl, api=args.api, ops=args.ops, cases=args.cases,
                           seed=args.seed, profile=args.profile, starter=args.starter,
                           edition=args.edition, timeout=args.timeout, cache=not args.no_cache)
    resolved = resolve(request)
    progress = Progress(len(resolved.specs) * args.cases, "checking")
    report = run_check(request, on_case=lambda cid: progress.advance(note=cid),
                       resolved=resolved)
    progress.close()
    paths = write_reports(report, args.report)
    if args.json:
        Path(args.json).write_text(paths["json"].read_text())
    print_check(report, f"API {resolved.api.name}: {resolved.api.title}", verbose=args.verbose,
                more_in=str(paths["md"]))
    print_lines(wrap(f"report: {paths['md']}, {paths['html']}, {paths['json']}",
                     terminal_width()))
    if report["summary"].get("interrupted"):
        print(f"nnparity: interrupted; the report covers the {report['summary']['cases']} "
              "cases checked so far", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK if report["summary"]["verdict"] == "pass" else EXIT_MISMATCH


def cmd_repro(args: argparse.Namespace) -> int:
    request = CheckRequest(impl=args.impl, api=args.api, profile=args.profile,
                           starter=args.starter, edition=args.edition)
    report = run_repro(args.case_id, request)
    print_repro(report, args.case_id)
    return EXIT_OK if report["summary"]["verdict"] == "pass" else EXIT_MISMATCH


def cmd_grade(args: argparse.Namespace) -> int:
    from harness.grading import command  # local: grading's imports stay off `check`'s path

    return command.run(args)


def cmd_twins(args: argparse.Namespace) -> int:
    from harness.reports import twins

    apis = twins.builtin_apis()
    if args.api:
        try:
            apis = [resolve_api(args.api, None)]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.markdown:
        print(twins.markdown(apis))
        return 0
    for api in apis:
        print(f"{api.title} (--api {api.name})")
        for r in twins.rows(api):
            print(f"  {r.op}: {r.implementation}; twin {r.twin}")
            for label, text in (("inputs", r.inputs), ("arguments", r.arguments),
                                ("case parameters", r.parameters), ("outputs", r.outputs),
                                ("varies with", r.varies)):
                print(f"      {label}: {text}")
    return 0


TWINS_DESCRIPTION = """\
Every op nnparity checks: the implementation's class or functions, the PyTorch twin that
computes the expected outputs, the inputs and arguments of its first case (shapes of an
example), the case's parameters and the outputs compared. An adapter file's `twin` names one
of these ops, and its init, forward and backward name these inputs and arguments."""


def cmd_doctor(args: argparse.Namespace) -> int:
    from harness import doctor

    results = doctor.run_checks()
    print_lines(doctor.report_lines(results, terminal_width()))
    return doctor.exit_code(results)


def _editions() -> str:
    """Each built-in API's editions, for --edition's help ('hw6: 2020, ...; cs231n: ...')."""
    return "; ".join(f"{api.name}: {', '.join(e.name for e in api.editions)}"
                     for api in APIS.values() if api.editions and not api.adapter)


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
                            "layers.py itself; for --api mytorch a folder holding mytorch/ "
                            "(default: the API's bundled implementation in student_nn)")
        p.add_argument("--api", metavar="NAME|FILE",
                       help=f"the API the implementation follows: {', '.join(sorted(APIS))}, "
                            "or an adapter file (.toml or .py, see docs/adapters.md) "
                            "(default: detected from its files; hw6 when unsure)")
        p.add_argument("--profile", default="homework", choices=sorted(PROFILES),
                       help="conventions accepted (default: homework)")
        p.add_argument("--edition", metavar="NAME",
                       help=f"the year's assignment the implementation follows ({_editions()})"
                            ": ops it does not ask for are not checked (default: detected from "
                            "its files)")
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

    from harness import doctor
    from harness.grading import command as grading
    from harness.tools.adapter_draft import cli as adapter_cli
    from harness.tools.bench import cli as bench_cli
    from harness.tools.evidence import cli as evidence_cli

    # name, help, (description, epilog), add its arguments, run it
    tools: list[tuple[str, str, tuple[str, str], Any, Any]] = [
        ("grade", "grade submissions (directories or .zip files)",
         (grading.DESCRIPTION, grading.EPILOG), grading.add_arguments, cmd_grade),
        ("class-report", "rebuild the class report of a graded batch (class.html, class.md, "
         "class.json)", (grading.CLASS_DESCRIPTION, grading.CLASS_EPILOG),
         grading.add_class_report_arguments, grading.run_class_report),
        ("diff", "which submissions' grades changed between two graded batches, and why "
         "(writes regrade.csv)", (grading.DIFF_DESCRIPTION, grading.DIFF_EPILOG),
         grading.add_diff_arguments, grading.run_diff),
        ("bench", "benchmark student_nn against PyTorch, and the harness",
         (bench_cli.DESCRIPTION, bench_cli.EPILOG), bench_cli.add_arguments, bench_cli.run),
        ("evidence", "measure nnparity: mutants killed, diagnoses right, false positives "
         "(writes docs/evidence.md)", (evidence_cli.DESCRIPTION, evidence_cli.EPILOG),
         evidence_cli.add_arguments, evidence_cli.run),
        ("doctor", "what this machine can do for nnparity, and how to fix what is missing",
         (doctor.DESCRIPTION, doctor.EPILOG), None, cmd_doctor),
        ("adapter", "adapter files: `adapter init` drafts one for a library, from its source",
         (adapter_cli.DESCRIPTION, adapter_cli.EPILOG), adapter_cli.add_arguments,
         adapter_cli.run),
        ("twins", "every op's PyTorch twin: inputs, arguments, outputs (docs/twins.md)",
         (TWINS_DESCRIPTION, "Example: nnparity twins --api mytorch"), _twins_arguments,
         cmd_twins),
    ]
    for name, summary, (description, epilog), add_arguments, run in tools:
        command = sub.add_parser(name, help=summary, description=description, epilog=epilog,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        if add_arguments is not None:
            add_arguments(command)
        command.set_defaults(func=run)
    return parser


def _twins_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", metavar="NAME|FILE",
                        help="one API, or an adapter file (default: every built-in API)")
    parser.add_argument("--markdown", action="store_true",
                        help="print the catalogue as Markdown (docs/twins.md is that)")


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
    except AdapterError as exc:   # an adapter's expression that fails on a later case
        print(f"nnparity: error in the adapter file: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("\nnnparity: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:   # `nnparity twins | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")   # noqa: SIM115 - flushed at exit, never read
        return 0


if __name__ == "__main__":
    sys.exit(main())
