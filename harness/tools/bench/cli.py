"""``nnparity bench``: the command line of the benchmarks (wired into harness/cli.py).

Imports nothing heavy at module level, so building nnparity's parser stays cheap.
"""

from __future__ import annotations

import argparse
import sys

from harness.tools.bench.baseline import BASE_COMMIT
from harness.tools.clock import log

PARTS = ("ops", "memory", "harness", "xdist", "scaling", "grading")

DESCRIPTION = """\
Benchmark student_nn against PyTorch (forward + backward, float64, same thread count, median
of interleaved repeats), the float64 GEMM rate, the memory of a Conv2D step, the harness's
throughput and the share of its time spent in the harness itself, time against case size,
and grading throughput. Writes bench.json and bench.md to --out."""

EPILOG = """\
parts (for --skip): ops (student_nn vs PyTorch and the GEMM rate), memory (Conv2D step),
harness (the check session in-process, `nnparity check`, and its wall time against
`import torch, numpy` on a cold and a warm reference cache), xdist (pytest -n auto),
scaling (time against case size), grading (nnparity grade: --workers 2, a Dask LocalCluster
of 2 workers and its overhead per submission, submissions per minute against --base on 20
correct and 20 failing submissions, and the cost of isolation).
Speed is measured here, never by timed unit tests; numbers from a loaded machine are noisy:
bench.md records the load average before and after."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="tiny shapes, few repeats and cases (a smoke test, not a measurement)")
    p.add_argument("--out", default="reports", metavar="DIR",
                   help="where bench.json and bench.md go (default: reports)")
    p.add_argument("--repeats", type=int, default=None, metavar="N",
                   help="repeats per measurement (default: 15; --quick: 3)")
    p.add_argument("--threads", default=None, metavar="N[,M]",
                   help="thread counts at which student_nn and torch are compared, torch and "
                        "OpenBLAS alike (default: 1 and the configured count, usually the "
                        "number of cores)")
    p.add_argument("--cases", type=int, default=None, metavar="N",
                   help="cases per op for the harness throughput (default: 50, the default "
                        "suite; --quick: 2)")
    p.add_argument("--skip", default="", metavar="A,B",
                   help=f"parts to leave out: {', '.join(PARTS)}")
    p.add_argument("--base", default=BASE_COMMIT, metavar="COMMIT",
                   help="the commit whose grading rate this code's is measured against, "
                        "checked out beside this one as a git worktree (default: "
                        f"{BASE_COMMIT}, main before issue #13's speed work)")


def run(args: argparse.Namespace) -> int:
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(PARTS)
    if unknown:
        print(f"nnparity bench: error: unknown part(s) {', '.join(sorted(unknown))}; "
              f"choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    repeats = args.repeats or (3 if args.quick else 15)
    try:
        threads = [int(t) for t in args.threads.split(",")] if args.threads else None
    except ValueError:
        threads = [0]
    if repeats < 1 or (args.cases is not None and args.cases < 1) \
            or (threads is not None and min(threads) < 1):
        print("nnparity bench: error: --repeats, --cases and --threads must be at least 1",
              file=sys.stderr)
        return 2
    from harness.tools.bench import report
    from harness.tools.bench.suite import run_suite

    result = run_suite(quick=args.quick, repeats=repeats, threads=threads,
                       cases=args.cases, skip=skip, log=log, base=args.base)
    paths = report.write(result, args.out)
    print()
    print(report.markdown(result))
    print(f"written: {paths['md']}, {paths['json']}")
    return 0
