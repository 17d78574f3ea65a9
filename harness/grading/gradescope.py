"""Gradescope's entry point: grade ROOT/submission, write ROOT/results/results.json.

    python -m harness.grading.gradescope [--root /autograder] [--rubric FILE]

Called by ``gradescope/run_autograder`` (see docs/gradescope.md). The rubric is --rubric, else
$NNPARITY_RUBRIC, else ROOT/source/rubric.toml when the autograder zip has one, else the
default HW6 rubric. Whatever happens, a valid results.json is written (a submission that
crashes everything scores what it earned, with its status and reason as the output). The
feedback is printed for Gradescope's view of stdout: the staff file (every test, hidden ones
too) when the rubric keeps stdout from students (``stdout_visibility = "hidden"``, the
default), else the student's feedback.md, which names no hidden test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from harness.grading.outputs import (
    FEEDBACK_FILE,
    GRADESCOPE_FILE,
    STAFF_FILE,
    failure_results,
    write_atomic,
)

DEFAULT_ROOT = "/autograder"


def _rubric_path(args: argparse.Namespace, root: Path) -> str | None:
    if args.rubric:
        return args.rubric
    if os.environ.get("NNPARITY_RUBRIC"):
        return os.environ["NNPARITY_RUBRIC"]
    staff = root / "source" / "rubric.toml"
    return str(staff) if staff.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.grading.gradescope")
    parser.add_argument("--root", default=os.environ.get("NNPARITY_AUTOGRADER_ROOT",
                                                         DEFAULT_ROOT))
    parser.add_argument("--rubric", default=None)
    args = parser.parse_args(argv)
    root = Path(args.root)
    results = root / "results" / "results.json"
    work = Path(tempfile.mkdtemp(prefix="nnparity-gradescope-"))
    try:
        from harness.grading.batch import grade_batch
        from harness.grading.rubric import load_rubric

        rubric = load_rubric(_rubric_path(args, root))
        outcome = grade_batch([str(root / "submission")], rubric, work / "out", workers=1,
                              regrade=True, progress=False, log=print)
        produced = work / "out" / outcome.results[0]["name"]
        json.loads((produced / GRADESCOPE_FILE).read_text())  # valid, or the fallback below
        write_atomic(results, (produced / GRADESCOPE_FILE).read_text())
        shown = STAFF_FILE if rubric.stdout_visibility == "hidden" else FEEDBACK_FILE
        print((produced / shown).read_text())
    except BaseException as exc:  # noqa: BLE001 - the student must get a results.json
        print(traceback.format_exc(), file=sys.stderr)
        write_atomic(results, json.dumps(failure_results(
            "The autograder could not grade this submission "
            f"({type(exc).__name__}: {str(exc)[:300]}). Please check that you uploaded the "
            "files the assignment asks for, and contact the course staff if this persists.")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
