"""The `nnparity` command line.

    nnparity check [--impl PATH] [--ops a,b] [--cases N] [--seed S] [--report DIR] [--json FILE]
    nnparity repro CASE_ID [--impl PATH]

Exit codes: 0 every compared output matches, 1 at least one mismatch or error in the
implementation, 2 unusable input (no such path, no implementation there, unknown op or case).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from tabulate import tabulate

from harness.cases import Case
from harness.compare import DEFAULT_TOLERANCE
from harness.conventions import PROFILES, get_profile
from harness.diagnosis import diagnose
from harness.evaluate import Checker
from harness.loader import BUNDLED_DIR, LoadError, locate
from harness.progress import Progress
from harness.registry import get_op, select_ops
from harness.results import build_report
from harness.sandbox import Limits
from harness.session import DEFAULT_CASES, run_checks

EXIT_OK, EXIT_MISMATCH, EXIT_UNUSABLE = 0, 1, 2


class UsageError(Exception):
    """Input nnparity cannot use; the message says what to fix (exit code 2)."""


def _impl_arg(value: str | None) -> Path:
    if value is None:
        return BUNDLED_DIR
    try:
        return locate(value)
    except LoadError as exc:
        raise UsageError(str(exc)) from None


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_table(report: dict[str, Any]) -> str:
    rows = []
    for item in report["results"]:
        f = item.get("finding") or {}
        loc = f.get("localization") or {}
        diag = (f.get("diagnosis") or [{}])[0]
        rows.append([item["op"], item["output"], item["status"].upper(), item["cases"],
                     item["failed"], f"{loc['abs_err']:.3g}" if "abs_err" in loc else "",
                     _short(diag.get("message", ""))])
    return tabulate(rows, headers=["op", "output", "status", "cases", "failed", "worst |err|",
                                   "first finding"])


def print_findings(report: dict[str, Any], impl: Path, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    for item in report["results"]:
        f = item.get("finding")
        if not f:
            continue
        print(f"\n{item['op']} {item['output']}: {item['status'].upper()} "
              f"({item['failed']}/{item['cases']} cases)", file=out)
        for cause in f["diagnosis"]:
            print(f"  [{cause['code']}] {cause['message']}", file=out)
        impl_opt = "" if impl == BUNDLED_DIR else f" --impl {impl}"
        print(f"  repro: nnparity repro '{f['case_id']}'{impl_opt}", file=out)


def cmd_check(args: argparse.Namespace) -> int:
    impl = _impl_arg(args.impl)
    try:
        specs = select_ops(args.ops)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.cases < 1:
        raise UsageError("--cases must be at least 1")
    profile = get_profile(args.profile)
    progress = Progress(len(specs) * args.cases, "checking")
    with Checker(impl, profile, limits=Limits(case_seconds=args.timeout)) as checker:
        records = list(run_checks(checker, specs, args.cases, args.seed,
                                  on_case=lambda cid: progress.advance(note=cid)))
    progress.close()
    report = build_report(records, impl=str(impl), seed=args.seed, profile=profile.describe(),
                          tolerance=DEFAULT_TOLERANCE.describe(), cases_per_op=args.cases)
    print(f"nnparity check: {impl}  (profile {profile.describe()})")
    print(summary_table(report))
    print_findings(report, impl)
    report_dir = Path(args.report)
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = [report_dir / "report.json"] + ([Path(args.json)] if args.json else [])
    for path in paths:
        path.write_text(json.dumps(report, indent=2))
    s = report["summary"]
    print(f"\n{s['passed']}/{s['items']} op outputs pass over {s['cases']} cases; "
          f"report: {report_dir / 'report.json'}")
    return EXIT_OK if s["verdict"] == "pass" else EXIT_MISMATCH


def cmd_repro(args: argparse.Namespace) -> int:
    impl = _impl_arg(args.impl)
    try:
        case = Case.from_id(args.case_id)
        spec = get_op(case.op)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    with Checker(impl, get_profile(args.profile)) as checker:
        verdicts = checker.check(spec, case)
    print(f"case {case.id}\nimpl {impl}")
    for name, v in verdicts.items():
        print(f"\n{spec.name} {name}: {v.status.upper()}  {v.message}")
        for cause in diagnose(v):
            print(f"  [{cause.code}] {cause.message}")
        cmp = v.comparison
        for el in (cmp.top if cmp is not None else ()):
            print(f"    at {el.where}: got {el.got:.6g}, expected {el.expected:.6g}")
        if v.error and v.error.get("traceback"):
            print("  " + v.error["traceback"].rstrip().replace("\n", "\n  "))
        if v.stdout:
            print(f"  printed: {_short(v.stdout, 300)}")
    return EXIT_OK if all(v.passed for v in verdicts.values()) else EXIT_MISMATCH


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnparity",
        description="Check a NumPy neural-network library op by op against PyTorch.",
        epilog="Exit codes: 0 all pass, 1 mismatches, 2 unusable input.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--impl", metavar="PATH",
                       help="directory holding neural_networks/ or student_nn/, or the package "
                            "itself (default: the bundled student_nn)")
        p.add_argument("--profile", default="homework", choices=sorted(PROFILES),
                       help="conventions accepted (default: homework)")

    check = sub.add_parser("check", help="check an implementation against PyTorch")
    common(check)
    check.add_argument("--ops", metavar="A,B", help="comma-separated ops (default: all)")
    check.add_argument("--cases", type=int, default=DEFAULT_CASES,
                       help=f"cases per op (default: {DEFAULT_CASES})")
    check.add_argument("--seed", type=int, default=0, help="case seed (default: 0)")
    check.add_argument("--report", default="reports", metavar="DIR",
                       help="report directory (default: reports)")
    check.add_argument("--json", metavar="FILE", help="also write the JSON report here")
    check.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                       help="time limit per case (default: 20)")
    check.set_defaults(func=cmd_check)

    repro = sub.add_parser("repro", help="rerun one case and print its full finding")
    repro.add_argument("case_id", metavar="CASE_ID")
    common(repro)
    repro.set_defaults(func=cmd_repro)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"nnparity: error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("\nnnparity: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
