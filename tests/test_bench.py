"""`nnparity bench`: a smoke test of its output's structure (tiny shapes, one repeat).

Speed itself is measured by the benchmark, never asserted here.
"""

import json

from harness.cli import main
from harness.sandbox.parent import Sandbox
from harness.tools.bench import report, throughput, timing
from harness.tools.bench.timing import fit_exponent, interleaved

OPS = {"conv2d", "pool2d_max", "pool2d_average", "fully_connected", "softmax"}


def test_quick_bench_writes_json_and_markdown(tmp_path, capsys):
    code = main(["bench", "--quick", "--repeats", "1", "--threads", "1", "--out", str(tmp_path),
                 "--skip", "harness,xdist,scaling,grading"])
    assert code == 0
    result = json.loads((tmp_path / "bench.json").read_text())
    assert {"machine", "settings", "ops", "gemm_gflops", "conv_gflops", "memory", "harness",
            "scaling", "grading", "targets"} <= result.keys()
    assert {e["op"] for e in result["ops"]} == OPS
    for e in result["ops"]:
        assert {"op", "shape", "ours_s", "torch_s", "ratio", "threads", "max_rel_diff"} <= e.keys()
        assert e["ours_s"] > 0 and e["torch_s"] > 0 and e["threads"] == 1
        assert e["max_rel_diff"] < 1e-9  # both sides computed the same thing
    assert result["gemm_gflops"] > 0 and result["conv_gflops"] > 0
    mem = result["memory"]
    assert mem["budget_bytes"] > 0 and mem["measured_bytes"] > 0
    assert result["harness"] is None and result["grading"] is None  # skipped
    assert result["machine"]["threads"]["torch"] >= 1
    assert all({"target", "shown", "met"} <= t.keys() for t in result["targets"])
    md = (tmp_path / "bench.md").read_text()
    for heading in ("# nnparity bench", "## Targets", "## student_nn vs PyTorch",
                    "## Memory of a Conv2D step", "## Harness throughput"):
        assert heading in md
    assert "bench.md" in capsys.readouterr().out


def test_unknown_part_is_a_usage_error(capsys):
    assert main(["bench", "--quick", "--skip", "everything"]) == 2
    assert "unknown part" in capsys.readouterr().err


def test_markdown_shows_harness_scaling_and_grading_figures():
    result = {
        "machine": {"date": "today", "cpu": "cpu", "cores": 2, "threads": {"torch": 2}},
        "settings": {"quick": False, "repeats": 15, "warmup": 3},
        "ops": [{"op": "conv2d", "shape": "medium", "shape_text": "N=32", "threads": 2,
                 "ours_s": 0.02, "torch_s": 0.01, "ratio": 2.0, "max_rel_diff": 1e-15},
                {"op": "pool2d_max", "shape": "medium", "shape_text": "N=32", "threads": 2,
                 "ours_s": 0.001, "torch_s": 0.002, "ratio": 0.5, "max_rel_diff": 0.0}],
        "conv_vs_gemm": [{"threads": 2, "shape": "medium", "gemm": {"best_gflops": 110.0},
                          "gemm_gflops": 100.0, "conv_gflops": 50.0, "conv_torch_gflops": 60.0,
                          "conv_gemm_share": 0.5}],
        "gemm": {"n": 2048},
        "memory": {"shape_text": "N=32", "budget_parts": {"im2col buffer": 10},
                   "budget_bytes": 100, "measured_bytes": 90, "held_after_step_bytes": 0},
        "harness": {"serial": {"cases": 600, "seconds": 2.0, "cases_per_s": 300.0,
                               "child_start_s": 1.0, "impl_s": 1.0, "reference_s": 0.5,
                               "startup_s": 0.0, "harness_s": 0.5, "harness_share": 0.25,
                               "per_op_mean_s": {"conv2d": 0.003}},
                    "xdist": {"command": "pytest -n auto tests/test_parity.py", "workers": 2,
                              "exit_code": 0, "wall_s": 8.0, "cases_per_s": 75.0}},
        "scaling": {"op": "conv2d", "exponent": 0.5, "exponent_impl": 0.6,
                    "exponent_reference": 0.4, "exponent_harness": 0.0,
                    "points": [{"case_id": "conv2d/n=1,seed=1", "flops": 10.0, "seconds": 0.01,
                                "impl_s": 0.005, "reference_s": 0.003, "harness_s": 0.002}]},
        "grading": {"status": "not yet available"},
    }
    result["targets"] = report.targets(result)
    met = {t["target"].split(" (")[0]: t["met"] for t in result["targets"]}
    assert met["Conv2D fwd+bwd ≤ 1.0× PyTorch"] is False
    assert met["Conv2D ≥ 50% of the float64 GEMM rate"] is None   # judged at 1 thread only
    assert met["Pool2D fwd+bwd ≤ 1.0× PyTorch on the medium and large shapes"] is True
    assert met["SoftMax fwd+bwd ≤ 1.5× PyTorch on wide rows"] is None   # not measured
    assert met["harness share of the serial check time ≤ 25%"] is True
    md = report.markdown(result)
    assert "α = 0.50" in md and "300.0" in md and "not yet available" in md
    assert "NOT MET" in md


def test_instrumentation_puts_everything_back():
    run, start = Sandbox.run, Sandbox._start
    with throughput.instrumented() as clock:
        assert Sandbox.run is not run
    assert (Sandbox.run, Sandbox._start) == (run, start) and clock.impl == 0.0


def test_exponent_fit_and_interleaved_samples():
    assert abs(fit_exponent([1, 10, 100], [2, 20, 200]) - 1.0) < 1e-9
    samples = interleaved({"a": lambda: None, "b": lambda: None}, repeats=3, warmup=0,
                          min_sample_s=0.0)
    assert samples.repeats == 3 and set(samples.seconds) == {"a", "b"}


def _op(op, shape, threads, ratio, **params):
    return {"op": op, "shape": shape, "shape_text": shape, "threads": threads, "ratio": ratio,
            "ours_s": ratio * 0.01, "torch_s": 0.01, "params": params, "max_rel_diff": 0.0}


def test_speed_targets_follow_the_issue():
    """Conv2D ≤ 1.0× at every size and thread count, its GEMM share ≥ 50 % at 1 thread,
    SoftMax ≤ 1.5× on wide rows (≥ 1000 classes), Pool2D ≤ 1.0× on the medium and large
    shapes at 2 or more threads."""
    ops = [_op("conv2d", "small", 1, 0.9), _op("conv2d", "medium", 1, 0.95),
           _op("conv2d", "large", 1, 1.2), _op("conv2d", "medium", 2, 0.8),
           _op("softmax", "small", 1, 3.0, classes=10), _op("softmax", "medium", 1, 1.4,
                                                            classes=1000),
           _op("softmax", "medium", 2, 1.6, classes=1000),
           _op("pool2d_max", "small", 1, 2.0), _op("pool2d_max", "small", 2, 2.0),
           _op("pool2d_max", "medium 3x3/1", 2, 0.9), _op("pool2d_average", "large", 2, 0.7)]
    gemm = [{"threads": n, "conv_gemm_share": share, "conv_gflops": 1.0, "gemm_gflops": 2.0}
            for n, share in ((1, 0.55), (2, 0.2))]
    rows = report._speed_targets(ops, gemm)
    by = {(t["target"].split(" (")[0], t["target"].rsplit(", ", 1)[-1].rstrip(")")): t
          for t in rows}
    conv = [t for t in rows if t["target"].startswith("Conv2D fwd+bwd ≤ 1.0×")]
    assert [(t["value"], t["met"]) for t in conv] == [(0.9, True), (0.95, True), (1.2, False),
                                                      (0.8, True)]
    assert "large: large, 1 thread" in conv[2]["target"]
    (share,) = [t for t in rows if "GEMM rate" in t["target"]]
    assert share["met"] is True and share["value"] == 0.55 and "1 thread" in share["target"]
    soft1 = by[("SoftMax fwd+bwd ≤ 1.5× PyTorch on wide rows", "1 thread")]
    assert soft1["value"] == 1.4 and soft1["met"] is True   # the 10-class rows do not count
    assert by[("SoftMax fwd+bwd ≤ 1.5× PyTorch on wide rows", "2 threads")]["met"] is False
    (pool,) = [t for t in rows if t["target"].startswith("Pool2D")]
    assert "2 threads" in pool["target"] and "worst of 2 shapes" in pool["target"]
    assert pool["value"] == 0.9 and pool["met"] is True   # small shapes and 1 thread left out
    assert "pool2d_max medium 3x3/1" in pool["shown"]
    (alone,) = [t for t in report._speed_targets(ops[:3], gemm) if t["target"].startswith(
        "Pool2D")]
    assert alone["met"] is None and alone["shown"] == "not measured"


def test_latency_and_grading_against_the_base_commit_are_targets():
    lat = {"command": "nnparity check --cases 50", "rounds": 3, "exit_codes": [0],
           "import_s": [2.0, 2.1, 1.9], "cold_s": [5.0, 5.2, 4.8], "warm_s": [2.5, 2.6, 2.4],
           "import_median_s": 2.0, "cold_median_s": 5.0, "warm_median_s": 2.5,
           "cold_ratio": 2.5, "warm_ratio": 1.25, "target_ratio": 1.5}
    run = {"submissions": 20, "workers": 2, "wall_s": 30.0, "exit_code": 0, "full_score": 20,
           "statuses": ["graded"]}
    vs = {"status": "ok", "base": "f925467", "workers": 2, "submissions": 20,
          "runs": {k: run for k in ("old_correct", "new_correct_cold", "new_correct",
                                    "old_failing", "new_failing")},
          "per_minute": {"old_correct": 40.0, "new_correct_cold": 50.0, "new_correct": 100.0,
                         "old_failing": 10.0, "new_failing": 14.0},
          "same_scores": {"correct": True, "failing": True}, "speedup_correct": 2.5,
          "speedup_correct_cold": 1.25, "speedup_failing": 1.4}
    result = {"machine": {"date": "today", "cpu": "cpu", "cores": 2, "threads": {}},
              "settings": {"quick": False, "repeats": 15, "warmup": 3},
              "harness": {"latency": lat}, "grading": {"status": "ok", "vs_base": vs,
                                                        "single": {**run, "mean_grader_s": 1.0},
                                                        "batch": run,
                                                        "submissions_per_minute": 40.0}}
    result["targets"] = report.targets(result)
    met = {t["target"].split(" (")[0]: t["met"] for t in result["targets"]}
    assert met['`nnparity check` ≤ 1.5× the wall time of `python -c "import torch, numpy"`']
    assert met["grading ≥ 2× the correct submissions per minute"] is True
    assert met["grading ≥ 1.5× the failing"] is False
    md = report.markdown(result)
    assert "Feedback latency" in md and "1.25×" in md and "Against f925467" in md


def test_the_base_commit_is_checked_out_beside_and_removed_after():
    import subprocess
    import tempfile
    from pathlib import Path
    sha = subprocess.run(["git", "-C", str(throughput.PROJECT_ROOT), "rev-parse", "HEAD"],
                         capture_output=True, text=True, check=True).stdout.strip()
    path = Path(tempfile.gettempdir()) / f"nnparity-base-{sha[:7]}"
    existed = (path / "harness" / "cli.py").is_file()
    with throughput.base_tree("HEAD") as tree:
        assert tree == path and (tree / "harness" / "cli.py").is_file()
    assert (path / "harness" / "cli.py").is_file() == existed   # made for the run: removed


def test_wire_npy_compares_the_hand_written_code_with_numpy_lib_format():
    """The wire's .npy code against numpy.lib.format: both give the same bytes and arrays
    (measure checks it before timing), and every row has its ratios."""
    from harness.tools.bench import wire_npy

    result = wire_npy.measure(repeats=1, warmup=0, min_sample_s=0.0)
    kinds = [(r["kind"], r["what"].split(", ")[0]) for r in result["rows"]]
    assert ("read", "(32,16,16,8)") in kinds and ("message", "one small case") in kinds
    for row in result["rows"]:
        assert row["hand_s"] > 0
        assert [k for k in row if k.endswith("/hand")], row
    assert "numpy.lib.format" in wire_npy.table(result)


def test_blas_threads_are_read_and_set_through_threadpoolctl():
    before = timing.blas_threads()
    assert before is not None and before >= 1   # NumPy's wheels bring OpenBLAS
    try:
        assert timing.set_blas_threads(1) and timing.blas_threads() == 1
    finally:
        timing.set_blas_threads(before)
    assert timing.blas_threads() == before
    m = timing.machine()
    assert m["openblas"].startswith("OpenBLAS ") and m["openblas_kernel"]
    assert m["threads"]["openblas"] == before
