"""``nnparity evidence``: the command line of the evidence run (wired into harness/cli.py).

Imports nothing heavy at module level, so building nnparity's parser stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.tools.clock import log

DESCRIPTION = """\
Measure what nnparity finds: a mutation corpus of student_nn's activations, layers, losses and
utils (nnparity's own AST operators), each mutant checked with the default 50 cases per op
(killed? top diagnosis right?) and by a course-style assert_allclose test; equivalent
mutants identified (survive 500 cases and have an argument); the top diagnosis on the
labelled single-bug implementations; false positives over many cases of student_nn and of
an independent correct implementation. The same for the sequence models (CS231n
assignment 3's rnn_layers.py under --api cs231n, mytorch HW3P1's rnn_cell.py,
rnn_classifier.py, gru_cell.py and CTC.py under --api mytorch, and attention.py under --api
attention): their mutants and false positives. Writes docs/evidence.md (--out) and, with
--json, every record."""

EPILOG = """\
parts (for --skip): mutants, labelled, fp, seq_mutants, seq_fp (the sequence models' and
attention's). The full run takes long (100,000 false-positive cases per implementation, and
over the sequence ops): run it in the background, not in CI; --quick is a smoke test.
--render merges the JSON of earlier runs (later files win per part) into --out."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true",
                   help="a sample: 12 mutants, 10 cases, 100 confirming cases, 1,200 "
                        "false-positive cases, the labelled implementations")
    p.add_argument("--out", default="docs/evidence.md", metavar="FILE",
                   help="the Markdown report (default: docs/evidence.md)")
    p.add_argument("--json", default=None, metavar="FILE", help="also write every record here")
    p.add_argument("--cases", type=int, default=None, metavar="N",
                   help="cases per op for each mutant (default: 50, the default suite)")
    p.add_argument("--confirm", type=int, default=None, metavar="N",
                   help="cases per op that a survivor must also survive (default: 500)")
    p.add_argument("--fp-cases", type=int, default=None, metavar="N",
                   help="false-positive cases per implementation, over the 12 single ops "
                        "(and over the 16 sequence and attention ops) (default: 100000)")
    p.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="parallel processes (default: 2)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="run an even sample of N mutants (of each mutants part)")
    p.add_argument("--skip", default="", metavar="A,B", help="parts to leave out")
    p.add_argument("--render", nargs="+", default=None, metavar="JSON",
                   help="write --out from these JSON results instead of running")


def run(args: argparse.Namespace) -> int:
    from harness.tools.evidence import report
    from harness.tools.evidence.suite import PARTS, run_evidence

    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(PARTS):
        print(f"nnparity evidence: error: unknown part(s) {', '.join(sorted(skip - set(PARTS)))}"
              f"; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    if args.render:
        result: dict[str, Any] = {}
        for path in args.render:
            loaded = report.load(path)
            for key, value in loaded.items():
                if key == "meta":
                    result.setdefault("meta", value)
                    continue
                if isinstance(value, dict) and key in PARTS:
                    value["meta"] = loaded.get("meta", {})   # when this part was measured
                result[key] = value
        report.resummarize(result)
        paths = report.write(result, args.out, args.json)
        print(f"written: {', '.join(map(str, paths.values()))}")
        return 0
    quick = args.quick
    cases = args.cases or (10 if quick else 50)
    confirm = args.confirm or (100 if quick else 500)
    fp_cases = args.fp_cases or (1200 if quick else 100_000)
    limit = args.limit or (12 if quick else None)
    if min(cases, confirm, fp_cases, args.jobs) < 1:
        print("nnparity evidence: error: --cases, --confirm, --fp-cases and --jobs must be at "
              "least 1", file=sys.stderr)
        return 2
    result = run_evidence(quick=quick, cases=cases, confirm=confirm, fp_cases=fp_cases,
                          jobs=args.jobs, limit=limit,
                          parts=tuple(p for p in PARTS if p not in skip), log=log)
    paths = report.write(result, args.out, args.json)
    print(report.markdown(result).split("## Method")[0].rstrip())
    print(f"\nwritten: {', '.join(map(str, paths.values()))}")
    return 0
