"""How long the class report takes for a large class, on a class synthesised from real results.

    python -m harness.tools.bench.class_report [--from OUT] [--n 1000] [--seed 0] [--keep DIR]

A few real result.json files (the --out directory of an earlier `nnparity grade` run, or,
without --from, a handful of tests/buggy_impls and student_nn graded here first with a small
rubric) are recombined into N result.json files (`synthesise`): each synthetic submission
takes a passing donor's tests and overwrites them with the failing tests of zero to three
failing donors (so its root causes, score and signature vary), under a name of its own; a few
are a non-graded donor (crashed, timed out, ...) renamed. Then the class report is built
(`harness.grading.cohort.write_class_report`) and the time printed: reading and computing,
then rendering and writing. Nothing here asserts a time (tests/test_class_report.py uses
`synthesise` to check the statistics at scale).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DONORS = ("conv_db_first_item_only", "conv_dx_drops_first_row", "cross_entropy_divides_by_size",
          "fc_init_rows_from_batch", "fc_skips_activation_derivative",
          "flatten_backward_channels_first", "losses_syntax_error",
          "relu_backward_in_place_doubles", "sigmoid_backward_drops_dY", "softmax_adds_epsilon",
          "softmax_backward_diagonal", "softmax_without_max_shift")
RUBRIC = """\
[rubric]
name = "class-bench"
seed = 11
cases = 3
missing_module = "bundled"
investigate = 30
refuse_imports = ["torch", "tensorflow", "jax"]   # the buggy impls build on student_nn

[limits]
case_seconds = 5
startup_seconds = 30
submission_seconds = 120

[[item]]
op = "sigmoid"
points = { forward = 1, dX = 1 }
[[item]]
op = "relu"
points = { forward = 1, dX = 1 }
[[item]]
op = "softmax"
points = { forward = 1, dX = 1 }
[[item]]
op = "fully_connected"
points = { forward = 1, dX = 1, dW = 1, db = 1 }
[[item]]
op = "conv2d"
points = { forward = 1, dX = 1, dW = 1, db = 1 }
[[item]]
op = "flatten"
points = { forward = 1, dX = 1 }
[[item]]
op = "cross_entropy"
points = { forward = 1, dX = 1 }
[[item]]
name = "SoftMax (secret cases)"
op = "softmax"
seed = 90210
visibility = "hidden"
points = { forward = 2, dX = 2 }
"""


def _passes(result: dict[str, Any]) -> bool:
    return result.get("status") == "graded" and all(
        t["score"] >= t["max_score"] for t in result.get("tests") or [])


def synthesise(donors: list[dict[str, Any]], n: int, seed: int = 0,
               broken_share: float = 0.02) -> list[dict[str, Any]]:
    """`n` result.json contents made from `donors` (real results of one rubric): see the
    module docstring. Each result's ``synthetic`` key names the donors it was made of."""
    rng = random.Random(seed)
    passing = [d for d in donors if _passes(d)] or donors[:1]
    failing = [d for d in donors if d.get("status") == "graded" and not _passes(d)]
    broken = [d for d in donors if d.get("status") != "graded"]
    out = []
    for i in range(n):
        name = f"student_{i:04d}"
        if broken and rng.random() < broken_share:
            donor = rng.choice(broken)
            result = dict(donor, name=name, source=f"/submissions/{name}",
                          synthetic=[donor["name"]])
        else:
            base = rng.choice(passing)
            k = rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]
            picks = rng.sample(failing, min(k, len(failing)))
            tests = {t["name"]: t for t in base["tests"]}
            for donor in picks:
                tests.update({t["name"]: t for t in donor["tests"]
                              if t["score"] < t["max_score"]})
            rows = list(tests.values())
            lost = [t for t in rows if t["score"] < t["max_score"]]
            score = round(sum(t["score"] for t in rows), 4)
            result = {k: v for k, v in base.items() if k != "details"} | {
                "name": name, "source": f"/submissions/{name}", "tests": rows,
                "score": score, "max_score": round(sum(t["max_score"] for t in rows), 4),
                "status": "graded",
                "reason": (f"{len(lost)} of {len(rows)} tests lost points" if lost
                           else f"all {len(rows)} tests pass"),
                "synthetic": [d["name"] for d in picks]}
        seconds = float(result.get("seconds") or 1.0)
        result["seconds"] = round(seconds * rng.lognormvariate(0, 0.4), 2)
        result["fingerprint"] = hashlib.sha256(f"{seed}/{i}".encode()).hexdigest()[:16]
        out.append(result)
    return out


def write_results(out: Path, results: list[dict[str, Any]]) -> None:
    """Each result as OUT/<name>/result.json (no gradebook: the class report reads them all)."""
    for r in results:
        d = out / r["name"]
        d.mkdir(parents=True, exist_ok=True)
        (d / "result.json").write_text(json.dumps(r))


def read_donors(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*/result.json"))]


def grade_donors(dest: Path) -> list[dict[str, Any]]:
    """A handful of tests/buggy_impls and student_nn graded into `dest` with a small rubric."""
    from harness.grading.batch import grade_batch
    from harness.grading.rubric import load_rubric

    buggy = PROJECT_ROOT / "tests" / "buggy_impls"
    paths = [str(buggy / name) for name in DONORS if (buggy / name).is_dir()]
    if not paths:
        raise SystemExit(f"no donors: {buggy} is missing; give --from OUT (the --out "
                         "directory of a `nnparity grade` run)")
    rubric = dest / "rubric.toml"
    rubric.write_text(RUBRIC)
    grade_batch([*paths, str(PROJECT_ROOT / "student_nn")], load_rubric(rubric), dest / "out",
                workers=2, progress=False, log=lambda line: None)
    return read_donors(dest / "out")


def measure(out: Path) -> dict[str, float]:
    """Seconds to build the class report of `out`: reading and computing, then rendering and
    writing the three files."""
    from harness.core.results import strict_json
    from harness.grading.cohort import class_report, write_class_report
    from harness.reports.class_page import render_class_html, render_class_markdown

    t0 = time.perf_counter()
    data = class_report(out)
    t1 = time.perf_counter()
    strict_json(data), render_class_markdown(data), render_class_html(data)
    t2 = time.perf_counter()
    write_class_report(out)
    t3 = time.perf_counter()
    return {"compute": t1 - t0, "render": t2 - t1, "write_class_report": t3 - t2,
            "submissions": len(data["signatures"]), "causes": len(data["causes"]),
            "clusters": len(data["clusters"])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.tools.bench.class_report",
                                description="Time the class report on a synthesised class.")
    p.add_argument("--from", dest="source", metavar="OUT", default=None,
                   help="real results to recombine: the --out directory of a grading run "
                        "(default: grade a few of tests/buggy_impls here first)")
    p.add_argument("--n", type=int, default=1000, help="submissions to synthesise (1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", metavar="DIR", default=None,
                   help="write the synthetic class here and keep it (default: a temporary "
                        "directory, removed)")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="nnparity-class-bench-"))
    try:
        if args.source:
            donors = read_donors(Path(args.source))
        else:
            t = time.perf_counter()
            donors = grade_donors(work)
            print(f"graded {len(donors)} donor submissions in {time.perf_counter() - t:.1f} s")
        if not donors:
            print(f"no result.json under {args.source}", file=sys.stderr)
            return 2
        out = Path(args.keep) if args.keep else work / "class"
        t = time.perf_counter()
        write_results(out, synthesise(donors, args.n, args.seed))
        print(f"synthesised {args.n} result.json files from {len(donors)} in "
              f"{time.perf_counter() - t:.2f} s -> {out}")
        m = measure(out)
        print(f"class report of {m['submissions']:g} submissions ({m['causes']:g} distinct root "
              f"causes, {m['clusters']:g} clusters): reading and computing "
              f"{m['compute']:.2f} s, rendering {m['render']:.2f} s; write_class_report "
              f"(all of it, files written) {m['write_class_report']:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
