"""The pytest plugin: one item per op × output × case, --impl, and xdist-safe reports."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
BUG = ROOT / "tests" / "buggy_impls" / "conv_db_first_item_only"


def _pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_parity.py"), "-q",
         "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_items_are_op_output_case_and_a_bug_fails_only_its_items():
    # (Merging the report from xdist workers is tested in test_report.py.)
    run = _pytest("--impl", str(BUG), "--parity-ops", "conv2d,relu", "--parity-cases", "5")
    assert run.returncode == 1, run.stdout[-2000:]
    # conv2d: 4 outputs x 5 cases, relu: 2 outputs x 5 cases. db fails where n > 1: the
    # first four (edge) cases have n=2, the fifth has n=1.
    assert "4 failed, 26 passed" in run.stdout
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 4 and all(":db" in line and "n=2" in line for line in failed)
    assert "repro: nnparity repro 'conv2d/" in run.stdout
    assert f"--impl '{BUG / 'neural_networks'}'" in run.stdout  # the repro names the impl
    # The run ends with the check's summary of the failing items, without --parity-report:
    summary = run.stdout.split("nnparity: 1 of 6 op outputs fail", 1)[1]
    summary = summary.split("short test summary info", 1)[0]
    assert "conv2d  db" in summary and "FAIL" in summary
    assert "likely bug [batch_axis]" in summary
    assert "smallest failing case: conv2d/n=2," in summary and "relu  " not in summary


def test_unusable_impl_is_a_usage_error():
    run = _pytest("--impl", "/no/such/dir", "--parity-cases", "1")
    assert run.returncode == 4  # pytest's usage-error exit code
    assert "no such file or directory" in run.stderr
