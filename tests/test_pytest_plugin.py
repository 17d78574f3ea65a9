"""The pytest plugin: one item per op × output (all its cases), --nnparity-impl, xdist-safe
reports, and a good neighbour to other projects' pytest runs."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BUG = ROOT / "tests" / "buggy_impls" / "conv_db_first_item_only"
SIGMOID_BUG = ROOT / "tests" / "buggy_impls" / "sigmoid_backward_drops_dY"  # fails sigmoid dX


def _pytest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "test_parity.py"), "-q",
         "-p", "no:cacheprovider", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


def _lines(run: subprocess.CompletedProcess, start: str) -> list[str]:
    return [line for line in run.stdout.splitlines() if line.startswith(start)]


def test_items_are_op_outputs_and_a_bug_fails_only_its_output():
    # (Merging the report from xdist workers is tested in test_report.py.)
    run = _pytest("--nnparity-impl", str(BUG), "--parity-ops", "conv2d,relu",
                  "--parity-cases", "5")
    assert run.returncode == 1, run.stdout[-2000:]
    # conv2d: 4 outputs, relu: 2. db fails where n > 1: the first four (edge) cases have
    # n=2, the fifth has n=1. One FAILED line, naming the count and the first worst case:
    assert "1 failed, 5 passed" in run.stdout
    failed = _lines(run, "FAILED")
    assert len(failed) == 1 and "test_parity[conv2d-db]" in failed[0], run.stdout[-3000:]
    assert "conv2d db: 4 of 5 cases fail; worst [fail]" in run.stdout
    assert "repro: nnparity repro 'conv2d/n=2," in run.stdout
    assert f"--impl '{BUG / 'neural_networks'}'" in run.stdout  # the repro names the impl
    # The run ends, after pytest's short summary, with the check's table of the failing items
    # and the fix list the table refers to, without --parity-report:
    assert run.stdout.index("short test summary info") < run.stdout.index("nnparity: 1 of 6")
    summary = run.stdout.split("nnparity: 1 of 6 op outputs fail", 1)[1]
    assert "conv2d  db" in summary and "FAIL" in summary and "relu  " not in summary
    words = " ".join(summary.split())   # as wrapped at any width
    assert "fix list: 1 problem" in words and "1. [batch_axis]" in words
    assert "open: neural_networks/layers.py · Conv2D.backward" in words
    assert "repro: nnparity repro \\ 'conv2d/n=2," in words


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_one_failed_line_per_failing_output_and_one_passed_item_per_passing_one(xdist):
    run = _pytest("--nnparity-impl", str(SIGMOID_BUG), "--parity-ops", "sigmoid,relu",
                  "--parity-cases", "4", "-rA", *xdist)
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    # sigmoid dX fails on every case; sigmoid forward, relu forward and dX pass
    assert "1 failed, 3 passed" in run.stdout
    failed = _lines(run, "FAILED")
    assert len(failed) == 1, run.stdout[-3000:]
    assert "test_parity[sigmoid-dX]" in failed[0] and "sigmoid dX: 4 of 4 cases" in run.stdout
    passed = sorted(line.split("::", 1)[1] for line in _lines(run, "PASSED"))
    assert passed == ["test_parity[relu-dX]", "test_parity[relu-forward]",
                      "test_parity[sigmoid-forward]"]
    assert run.stdout.index("short test summary info") < run.stdout.index("nnparity: 1 of 4")
    summary = run.stdout.split("nnparity: 1 of 4 op outputs fail", 1)[1]
    words = " ".join(summary.split())
    # each case recorded once (by the one item of its output), whichever worker ran it:
    assert "sigmoid dX FAIL 4 4 " in words   # its cases and failed cases
    assert "fix list: 1 problem" in words and "1. [upstream_ignored]" in words


def test_unusable_impl_is_a_usage_error():
    run = _pytest("--nnparity-impl", "/no/such/dir", "--parity-cases", "1")
    assert run.returncode == 4  # pytest's usage-error exit code
    assert "no such file or directory" in run.stderr


def test_the_cs231n_api_runs_under_the_plugin_and_xdist():
    bug = ROOT / "tests" / "cs231n_impls" / "batchnorm_momentum_swapped"
    run = _pytest("--nnparity-impl", str(bug), "--parity-ops", "batchnorm",
                  "--parity-cases", "3", "-n", "2")
    assert run.returncode == 1, run.stdout[-2000:]
    # 6 outputs (of 3 cases each); running_mean and running_var fail on every case
    assert "2 failed, 4 passed" in run.stdout
    assert len(_lines(run, "FAILED")) == 2
    assert "running_mean: 3 of 3 cases fail" in run.stdout
    assert "repro: nnparity repro 'cs231n:batchnorm/" in run.stdout
    summary = run.stdout.split("nnparity: 2 of 6 op outputs fail", 1)[1]
    assert "momentum weighs the wrong term" in " ".join(summary.split())


def test_an_adapter_file_is_an_api():
    adapter = ROOT / "docs" / "adapters" / "dlfs.toml"
    run = _pytest("--nnparity-impl", str(ROOT / "tests" / "adapter_impls" / "dlfs"),
                  "--nnparity-api", str(adapter), "--parity-ops", "affine,pooling",
                  "--parity-cases", "2")
    assert run.returncode == 0, run.stdout[-2000:]
    assert "6 passed" in run.stdout   # affine 4 outputs + pooling 2 (of 2 cases each)


def test_another_project_with_its_own_impl_and_api_options_collects_cleanly(tmp_path):
    """Installed, the plugin loads in every pytest run of the environment: a project whose
    conftest.py adds --impl and --api (common names) starts, runs and is left as it was,
    without importing nnparity's modules."""
    (tmp_path / "conftest.py").write_text(
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--api', default='x')\n"
        "    parser.addoption('--impl', default='y')\n")
    (tmp_path / "test_other.py").write_text(
        "import sys\n\n"
        "def test_options(pytestconfig):\n"
        "    assert pytestconfig.getoption('--api') == 'x'\n"
        "    assert not [m for m in sys.modules if m.startswith('harness.core')]\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout and "nnparity" not in run.stdout
