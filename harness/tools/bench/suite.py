"""One benchmark run: every part in order, gathered into bench.json's structure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.tools.bench import ops as opbench
from harness.tools.bench import report, throughput, timing

Log = Callable[[str], None]


def run_suite(quick: bool = False, repeats: int = 15, threads: list[int] | None = None,
              cases: int | None = None, skip: set[str] | frozenset[str] = frozenset(),
              log: Log = lambda message: None,
              base: str = throughput.BASE_COMMIT) -> dict[str, Any]:
    """Every part not in `skip`. `threads`: the thread counts (torch and OpenBLAS alike) at
    which student_nn and torch are compared; default: 1 and the configured count. `base`:
    the commit whose grading rate this code's is measured against."""
    default_threads = timing.thread_counts()
    threads = threads or sorted({1, default_threads["torch"] or 1})
    warmup = 1 if quick else 3
    result: dict[str, Any] = {
        "machine": timing.machine(),
        "settings": {"quick": quick, "repeats": repeats, "warmup": warmup, "threads": threads,
                     "default_threads": default_threads, "skipped": sorted(skip)},
        "ops": None, "gemm_gflops": None, "conv_gflops": None, "memory": None,
        "harness": None, "scaling": None, "grading": None,
    }
    shapes = opbench.QUICK_SHAPES if quick else opbench.SHAPES
    if "ops" not in skip:
        try:
            result.update(_ops(shapes, repeats, warmup, quick, threads, log))
        finally:
            timing.set_threads(default_threads["torch"] or 1)
            if default_threads["openblas"]:
                timing.set_blas_threads(default_threads["openblas"])
    if "memory" not in skip:  # one step at the medium shape, also with --quick: it is cheap,
        log("memory: conv2d medium")  # and tiny shapes would measure Python's own objects
        result["memory"] = opbench.conv2d_memory(opbench.SHAPES["conv2d"]["medium"])
    harness_parts = {"harness", "xdist"} - set(skip)
    if harness_parts:
        result["harness"] = _harness(harness_parts, cases or (2 if quick else None), log)
    if "scaling" not in skip:
        log("scaling: conv2d cases of growing size")
        result["scaling"] = throughput.scaling(throughput.QUICK_SWEEP if quick
                                               else throughput.SWEEP, 1 if quick else 3)
    if "grading" not in skip:
        log("grading: nnparity grade on copies of student_nn")
        result["grading"] = throughput.grading(batch=2 if quick else 4)
        log(f"grading: against {base}, correct and failing submissions")
        result["grading"]["vs_base"] = throughput.grading_vs_base(
            base, submissions=2 if quick else 20)
        log("grading: the cost of isolation, with and without namespaces")
        result["grading"]["isolation"] = throughput.isolation_cost(
            submissions=1 if quick else 3, rounds=1 if quick else 2, starts=3 if quick else 10)
    result["load_average_after"] = timing.load_average()
    result["targets"] = report.targets(result)
    return result


def _ops(shapes: dict[str, dict[str, opbench.Params]], repeats: int, warmup: int, quick: bool,
         threads: list[int], log: Log) -> dict[str, Any]:
    entries, conv_gemm = [], []
    conv_label = "medium" if "medium" in shapes["conv2d"] else next(iter(shapes["conv2d"]))
    gemm_n = opbench.QUICK_GEMM_N if quick else opbench.GEMM_N
    for n in threads:
        in_force = timing.set_threads(n)
        for op, by_label in shapes.items():
            for label, params in by_label.items():
                log(f"ops: {op} {label} ({opbench.describe(op, params)}), {n} thread(s)")
                with_gemm = op == "conv2d" and label == conv_label
                entry = opbench.measure(op, label, params, repeats, warmup,
                                        min_sample_s=0.001 if quick else 0.005,
                                        gemm_n=gemm_n if with_gemm else None)
                entry["threads"] = n
                entry["threads_in_force"] = in_force
                if with_gemm:
                    gemm = entry.pop("gemm")
                    conv_gemm.append({
                        "threads": n, "shape": f"{conv_label} ({entry['shape_text']})",
                        "gemm": gemm, "gemm_gflops": gemm["gflops"],
                        "conv_gflops": entry["ours_gflops"],
                        "conv_torch_gflops": entry["torch_gflops"],
                        "conv_gemm_share": entry["ours_gflops"] / gemm["gflops"]})
                entries.append(entry)
    main = conv_gemm[-1]   # the largest thread count: the machine as configured
    return {"ops": entries, "conv_vs_gemm": conv_gemm, "gemm": main["gemm"],
            "gemm_gflops": main["gemm_gflops"], "conv_gflops": main["conv_gflops"],
            "conv_torch_gflops": main["conv_torch_gflops"],
            "conv_gemm_share": main["conv_gemm_share"], "conv_shape": main["shape"],
            "conv_threads": main["threads"]}


def _harness(parts: set[str], cases: int | None, log: Log) -> dict[str, Any]:
    kwargs = {} if cases is None else {"cases_per_op": cases}
    out: dict[str, Any] = {}
    if "harness" in parts:
        log("harness: the check session in-process, serially")
        out["serial"] = throughput.serial_session(**kwargs)
        log("harness: nnparity check")
        out["check_command"] = throughput.check_command(**kwargs)
        log("harness: latency, nnparity check against import torch, numpy")
        out["latency"] = throughput.latency(rounds=1 if cases else 3, **kwargs)
    if "xdist" in parts:
        log("harness: pytest tests/test_parity.py without xdist")
        out["pytest_serial"] = throughput.pytest_parity(**kwargs, workers="0")
        log("harness: pytest -n auto tests/test_parity.py")
        out["xdist"] = throughput.pytest_parity(**kwargs, workers="auto")
    return out
