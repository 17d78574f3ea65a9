"""bench.json and bench.md: the measurements, the targets met or not, and the machine.

bench.json holds one entry per op measurement in ``ops`` (``op``, ``shape``, ``ours_s``,
``torch_s``, ``ratio`` and more), the top-level ``gemm_gflops`` and ``conv_gflops``, and the
``memory``, ``harness``, ``scaling`` and ``grading`` figures; ``targets`` says which targets
are met. bench.md shows the same as tables.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tabulate import tabulate

SKIPPED = "skipped"

# The targets (#13 points 3 and 4): each speed ratio is ours / PyTorch's time.
CONV_RATIO_LIMIT = 1.0       # every Conv2D size, at every thread count
CONV_GEMM_SHARE_MIN = 0.50   # of the float64 GEMM rate, at 1 thread (medium Conv2D)
SOFTMAX_RATIO_LIMIT = 1.5    # on wide rows, at every thread count
SOFTMAX_WIDE_ROWS = 1000     # classes from which a row counts as wide
POOL_RATIO_LIMIT = 1.0       # medium and large shapes, both modes, at 2 (or more) threads
POOL_SHAPES = ("medium", "large")   # shape labels starting so: "medium", "medium 3x3/1", "large"
HARNESS_SHARE_LIMIT = 0.25
ISOLATION_COST_LIMIT = 0.3   # seconds more per submission in namespaces
DASK_OVERHEAD_LIMIT = 0.10   # the Dask cluster's overhead per submission, of its grading time
LATENCY_LIMIT = 1.5          # `nnparity check` wall / `import torch, numpy` wall (warm cache)
GRADING_SPEEDUP_CORRECT = 2.0   # correct submissions per minute, against the base commit
GRADING_SPEEDUP_FAILING = 1.5   # failing (investigated) submissions per minute, likewise


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value and whether it is met (None: not measured)."""
    ops = result.get("ops") or []
    rows = _speed_targets(ops, result.get("conv_vs_gemm") or [])
    mem = result.get("memory") or {}
    serial = (result.get("harness") or {}).get("serial") or {}
    rows += [
        _target("Conv2D step peak memory ≤ inputs + outputs + gradients + one im2col buffer"
                + (f" ({mem['shape_text']})" if mem else ""),
                mem.get("measured_bytes"), lambda v: v <= mem["budget_bytes"], "{}",
                fmt_value=_mb,
                detail=mem.get("budget_bytes") and f"budget {_mb(mem['budget_bytes'])}"),
        _target(f"harness share of the serial check time ≤ {HARNESS_SHARE_LIMIT:.0%}",
                serial.get("harness_share"), lambda v: v <= HARNESS_SHARE_LIMIT, "{:.0%}"),
    ]
    rows += _latency_targets((result.get("harness") or {}).get("latency") or {})
    rows += _vs_base_targets((result.get("grading") or {}).get("vs_base") or {})
    iso = (result.get("grading") or {}).get("isolation") or {}
    ok = iso.get("status") == "ok"
    rows.append(_target(
        f"namespaces cost ≤ {ISOLATION_COST_LIMIT:g} s more per graded submission",
        iso.get("extra_s_per_submission") if ok else None,
        lambda v: v <= ISOLATION_COST_LIMIT, "{:+.2f} s",
        detail=ok and f"{iso['levels']['namespaces']['wall_s_per_submission']:.2f} vs "
                      f"{iso['levels'][iso['without']]['wall_s_per_submission']:.2f} s at "
                      f"the {iso['without']} level"))
    dask = (result.get("grading") or {}).get("dask") or {}
    ok = dask.get("status") == "ok"
    rows.append(_target(
        f"Dask cluster overhead ≤ {DASK_OVERHEAD_LIMIT:.0%} of a correct submission's grading "
        f"time ({dask.get('scheduler', 'local:2')})",
        dask.get("overhead_share") if ok else None, lambda v: v <= DASK_OVERHEAD_LIMIT,
        "{:.1%}",
        detail=ok and dask.get("overhead_s_per_submission") is not None
        and f"{dask['overhead_s_per_submission']:.3f} s of {dask['correct_grading_s']:.2f} s"
            + (" on a warm worker" if dask.get("correct_grading_s") == dask.get("warm_grading_s")
               else "")))
    return rows


def _speed_targets(ops: list[dict[str, Any]], conv_gemm: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    """student_nn against PyTorch: Conv2D at every size and thread count, its GEMM share at
    1 thread, SoftMax on wide rows at every thread count, Pool2D on the medium and large
    shapes at every thread count above 1."""
    counts = sorted({e["threads"] for e in ops}) or [None]
    rows = []
    for n in counts:
        at = [e for e in ops if e["threads"] == n]
        convs: list[dict[str, Any] | None] = [e for e in at if e["op"] == "conv2d"] or [None]
        rows += [_target(f"Conv2D fwd+bwd ≤ {CONV_RATIO_LIMIT:.1f}× PyTorch ({_where(conv)}, "
                         f"{_threads(n)})", conv and conv["ratio"],
                         lambda v: v <= CONV_RATIO_LIMIT, "{:.2f}×",
                         detail=conv and f"{_ms(conv['ours_s'])} vs {_ms(conv['torch_s'])} ms")
                 for conv in convs]
        if n == 1 or (n == counts[-1] and 1 not in counts):   # once, not measured if so
            gemm = next((g for g in conv_gemm if g["threads"] == 1), None)
            rows.append(_target(
                f"Conv2D ≥ {CONV_GEMM_SHARE_MIN:.0%} of the float64 GEMM rate "
                f"({_where(gemm and _headline_conv(at))}, 1 thread)",
                gemm and gemm["conv_gemm_share"], lambda v: v >= CONV_GEMM_SHARE_MIN, "{:.0%}",
                detail=gemm and f"{gemm['conv_gflops']:.1f} of {gemm['gemm_gflops']:.1f} "
                                "GFLOP/s"))
        wide = [e for e in at if e["op"] == "softmax"
                and e["params"]["classes"] >= SOFTMAX_WIDE_ROWS]
        rows.append(_worst(f"SoftMax fwd+bwd ≤ {SOFTMAX_RATIO_LIMIT:.1f}× PyTorch on wide rows "
                           f"(worst of {len(wide)} shapes with ≥ {SOFTMAX_WIDE_ROWS} classes, "
                           f"{_threads(n)})", wide, SOFTMAX_RATIO_LIMIT))
    pool_counts = [n for n in counts if n and n > 1] or [None]
    for n in pool_counts:
        pools = [e for e in ops if e["threads"] == n and e["op"].startswith("pool2d")
                 and e["shape"].startswith(POOL_SHAPES)]
        rows.append(_worst(f"Pool2D fwd+bwd ≤ {POOL_RATIO_LIMIT:.1f}× PyTorch on the medium and "
                           f"large shapes (worst of {len(pools)} shapes and modes, "
                           f"{_threads(n) if n else '2 or more threads'})", pools,
                           POOL_RATIO_LIMIT))
    return rows


def _worst(text: str, entries: list[dict[str, Any]], limit: float) -> dict[str, Any]:
    """The target `ratio ≤ limit` judged on the slowest of `entries` (None if there is none)."""
    worst = max(entries, key=lambda e: e["ratio"], default=None)
    return _target(text, worst and worst["ratio"], lambda v: v <= limit, "{:.2f}×",
                   detail=worst and f"{worst['op']} {worst['shape']}: {_ms(worst['ours_s'])} "
                                    f"vs {_ms(worst['torch_s'])} ms")


def _latency_targets(lat: dict[str, Any]) -> list[dict[str, Any]]:
    """Feedback latency (#13 point 1): a warm check within LATENCY_LIMIT× the import of torch
    and NumPy, both timed in the same bench run; the cold check is shown beside it."""
    return [_target(
        f"`nnparity check` ≤ {LATENCY_LIMIT:g}× the wall time of `python -c \"import torch, "
        "numpy\"` (default suite, warm reference cache)", lat.get("warm_ratio"),
        lambda v: v <= LATENCY_LIMIT, "{:.2f}×",
        detail=lat and f"{lat['warm_median_s']:.1f} s vs {lat['import_median_s']:.1f} s, "
                       f"median of {lat['rounds']}; cold cache {lat['cold_ratio']:.2f}× "
                       f"({lat['cold_median_s']:.1f} s)")]


def _vs_base_targets(vs: dict[str, Any]) -> list[dict[str, Any]]:
    """Grading throughput (#13 point 2) against the code before the issue's work."""
    ok = vs.get("status") == "ok"
    where = (f"{vs['submissions']} submissions, --workers {vs['workers']}, against "
             f"{vs['base']}") if ok else "against the base commit"
    rate = vs.get("per_minute") or {}
    return [
        _target(f"grading ≥ {GRADING_SPEEDUP_CORRECT:g}× the correct submissions per minute "
                f"({where})", vs.get("speedup_correct") if ok else None,
                lambda v: v >= GRADING_SPEEDUP_CORRECT, "{:.2f}×",
                detail=ok and f"{rate['new_correct']:.1f} vs {rate['old_correct']:.1f}/min; "
                              f"cold cache {vs['speedup_correct_cold']:.2f}×"),
        _target(f"grading ≥ {GRADING_SPEEDUP_FAILING:g}× the failing (investigated) "
                f"submissions per minute ({where})", vs.get("speedup_failing") if ok else None,
                lambda v: v >= GRADING_SPEEDUP_FAILING, "{:.2f}×",
                detail=ok and f"{rate['new_failing']:.1f} vs {rate['old_failing']:.1f}/min"),
    ]


def _threads(n: int | None) -> str:
    return "threads not measured" if n is None else f"{n} thread{'s' if n != 1 else ''}"


def _headline_conv(ops: list[dict[str, Any]]) -> dict[str, Any] | None:
    convs = [e for e in ops if e["op"] == "conv2d"]
    medium = [e for e in convs if e["shape"] == "medium"]
    return next(iter(medium or convs), None)


def _where(entry: dict[str, Any] | None) -> str:
    return f"{entry['shape']}: {entry['shape_text']}" if entry else "not measured"


def _target(text: str, value: Any, ok, fmt: str, detail: Any = None,
            fmt_value=None) -> dict[str, Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {"target": text, "value": None, "shown": "not measured", "met": None}
    shown = fmt_value(value) if fmt_value else fmt.format(value)
    if detail:
        shown += f" ({detail})"
    return {"target": text, "value": value, "shown": shown, "met": bool(ok(value))}


def _mb(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB"


def _ms(s: float | None) -> str:
    return "-" if s is None else f"{s * 1e3:.3f}" if s < 0.01 else f"{s * 1e3:.1f}"


def _num(x: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


# ---------------------------------------------------------------- writing
def write(result: dict[str, Any], out: str | Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "bench.json", "md": out / "bench.md"}
    paths["json"].write_text(json.dumps(result, indent=2, default=_jsonable) + "\n")
    paths["md"].write_text(markdown(result))
    return paths


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def machine_line(m: dict[str, Any]) -> str:
    threads = m.get("threads", {})
    return (f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB; "
            f"Python {m.get('python')}, NumPy {m.get('numpy')} (OpenBLAS, "
            f"{m.get('openblas_kernel')} kernel), torch {m.get('torch')} "
            f"({m.get('torch_blas')}); threads: torch {threads.get('torch')}, "
            f"OpenBLAS {threads.get('openblas')}")


def markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    s = result["settings"]
    lines = ["# nnparity bench", "",
             f"Measured {m['date']} on {machine_line(m)}.",
             f"Load average before/after: {m.get('load_average')} / "
             f"{result.get('load_average_after')}"
             + (f"; BLAS environment: {m['blas_env']}" if m.get("blas_env") else "") + ".",
             f"Settings: {'quick, ' if s['quick'] else ''}median of {s['repeats']} interleaved "
             f"repeats after {s['warmup']} warm-up calls; ratio = median over repeats of "
             "ours/torch measured back to back (below 1: student_nn is faster).", ""]
    lines += ["## Targets", "", _table(
        [[t["target"], t["shown"], {True: "met", False: "NOT MET", None: "-"}[t["met"]]]
         for t in result["targets"]], ["target", "measured", ""]), ""]
    lines += _ops_section(result)
    lines += _memory_section(result.get("memory"))
    lines += _harness_section(result.get("harness"))
    lines += _scaling_section(result.get("scaling"))
    lines += _grading_section(result.get("grading"))
    return "\n".join(lines) + "\n"


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def _ops_section(result: dict[str, Any]) -> list[str]:
    ops = result.get("ops")
    if ops is None:
        return ["## student_nn vs PyTorch", "", SKIPPED, ""]
    rows = [[e["threads"], e["op"], e["shape"], e["shape_text"], _ms(e["ours_s"]),
             _ms(e["torch_s"]), f"{e['ratio']:.2f}", _num(e.get("ours_gflops"), "{:.1f}"),
             _num(e.get("torch_gflops"), "{:.1f}"), _num(e.get("spread"), "{:.0%}"),
             f"{e['max_rel_diff']:.0e}"] for e in ops]
    out = ["## student_nn vs PyTorch (forward + backward, float64)", "",
           "ours: student_nn's classes called directly on NHWC arrays; torch: "
           "torch.nn.functional on NCHW tensors with autograd, inputs converted before timing; "
           "both with the same number of threads (torch and OpenBLAS; NumPy's element-wise "
           "operations use one thread whatever the setting). noise: the larger interquartile "
           "range of the two sides' samples, relative to their median. max rel diff: the "
           "largest difference of any output, relative to its largest value.", "",
           _table(rows, ["threads", "op", "shape", "", "ours ms", "torch ms", "ratio",
                         "ours GFLOP/s", "torch GFLOP/s", "noise", "max rel diff"]), ""]
    gemm_rows = [[g["threads"], g["shape"], f"{g['gemm_gflops']:.1f}",
                  f"{g['gemm']['best_gflops']:.1f}", f"{g['conv_gflops']:.1f}",
                  f"{g['conv_gemm_share']:.0%}", f"{g['conv_torch_gflops']:.1f}"]
                 for g in result.get("conv_vs_gemm") or []]
    if gemm_rows:
        n = result["gemm"]["n"]
        out += [f"Conv2D against the float64 GEMM rate (np.matmul of two {n}×{n} matrices, "
                "timed in the same loop as the Conv2D). FLOPs counted: 2·multiply-adds of the "
                "forward, dW and dX products.", "",
                _table(gemm_rows, ["threads", "Conv2D", "GEMM GFLOP/s", "GEMM best",
                                   "ours GFLOP/s", "ours / GEMM", "torch GFLOP/s"]), ""]
    return out


def _memory_section(mem: dict[str, Any] | None) -> list[str]:
    if mem is None:
        return ["## Memory of a Conv2D step", "", SKIPPED, ""]
    rows = [[k, _mb(v)] for k, v in mem["budget_parts"].items()]
    rows += [["**budget**", _mb(mem["budget_bytes"])],
             ["**measured peak** (inputs + tracemalloc peak)", _mb(mem["measured_bytes"])],
             ["held by the layer after the step", _mb(mem["held_after_step_bytes"])]]
    return [f"## Memory of a Conv2D step ({mem['shape_text']}, linear activation)", "",
            _table(rows, ["", "bytes"]), ""]


def _harness_section(h: dict[str, Any] | None) -> list[str]:
    if h is None:
        return ["## Harness throughput", "", SKIPPED, ""]
    out = ["## Harness throughput", ""]
    rows = []
    serial = h.get("serial")
    if serial:
        rows.append([f"check session in-process, serial ({serial['cases']} cases; child "
                     f"started before, in {serial['child_start_s']:.2f} s)",
                     f"{serial['seconds']:.1f}", f"{serial['cases_per_s']:.1f}"])
    for key in ("check_command", "pytest_serial", "xdist"):
        item = h.get(key)
        if item:
            n = item.get("workers")
            workers = f", {n} worker{'s' if n != 1 else ''}" if n else ""
            rows.append([f"`{item['command']}`{workers} (exit {item['exit_code']})",
                         f"{item['wall_s']:.1f}", f"{item['cases_per_s']:.1f}"])
        elif key in h:
            rows.append([key, SKIPPED, ""])
    out += [_table(rows, ["run", "seconds", "cases/s"]), ""]
    lat = h.get("latency")
    if lat:
        runs = [[kind, " / ".join(f"{x:.2f}" for x in lat[f"{kind}_s"]),
                 f"{lat[f'{kind}_median_s']:.2f}",
                 "" if kind == "import" else f"{lat[f'{kind}_ratio']:.2f}×"]
                for kind in ("import", "cold", "warm")]
        out += [f"Feedback latency: `{lat['command']}` against `python -c \"import torch, "
                "numpy\"`, in rounds of import, check on an empty reference cache (cold), "
                "check again (warm); the ratio is the median of the rounds' check / import:",
                "", _table(runs, ["run", "seconds (each round)", "median s", "ratio"]), ""]
    if serial:
        total = serial["seconds"]
        split = [["implementation (inside Sandbox.run: the op and the round trip to its child)",
                  f"{serial['impl_s']:.2f}", f"{serial['impl_s'] / total:.0%}"],
                 ["reference (reference_outputs, PyTorch)", f"{serial['reference_s']:.2f}",
                  f"{serial['reference_s'] / total:.0%}"],
                 ["child restarts", f"{serial['startup_s']:.2f}",
                  f"{serial['startup_s'] / total:.0%}"],
                 ["**harness itself** (the rest)", f"{serial['harness_s']:.2f}",
                  f"{serial['harness_share']:.0%}"]]
        out += ["Where the serial session's time goes:", "",
                _table(split, ["part", "seconds", "share"]), "",
                "Mean seconds per case by op: " + ", ".join(
                    f"{op} {s * 1e3:.1f} ms" for op, s in serial["per_op_mean_s"].items()), ""]
    return out


def _scaling_section(sc: dict[str, Any] | None) -> list[str]:
    if sc is None:
        return ["## Time against case size", "", SKIPPED, ""]
    rows = [[p["case_id"].split("/", 1)[1].rsplit(",seed", 1)[0], f"{p['flops']:.3g}",
             _ms(p["seconds"]), _ms(p["impl_s"]), _ms(p["reference_s"]), _ms(p["harness_s"])]
            for p in sc["points"]]
    return [f"## Time against case size ({sc['op']} cases through the Checker)", "",
            _table(rows, ["case", "FLOPs", "total ms", "impl ms", "reference ms",
                          "harness ms"]), "",
            f"Fitted exponent: time ∝ FLOPs^α with **α = {sc['exponent']:.2f}** over all "
            f"cases (implementation {sc['exponent_impl']:.2f}, reference "
            f"{sc['exponent_reference']:.2f}, harness {sc['exponent_harness']:.2f}) and "
            f"**α = {_num(sc.get('exponent_largest'))}** over the {min(4, len(sc['points']))} "
            "largest; α ≈ 0 means fixed per-case overhead, α ≈ 1 time proportional to the "
            f"work. The harness's own share of the largest case: "
            f"{_num(sc.get('largest_harness_share'), '{:.0%}')}.", ""]


def _grading_section(g: dict[str, Any] | None) -> list[str]:
    if g is None:
        return ["## Grading throughput", "", SKIPPED, ""]
    if g.get("status") != "ok":
        return ["## Grading throughput", "", f"{g.get('status')}"
                + (f": {g['detail']}" if g.get("detail") else ""), ""]
    one, batch = g["single"], g["batch"]
    rows = [[f"one correct submission, --workers {one['workers']}",
             f"{one['wall_s']:.1f} s wall ({_num(one['mean_grader_s'], '{:.1f}')} s in the "
             "grader)", f"{one['full_score']}/{one['submissions']} full score"],
            [f"{batch['submissions']} submissions, --workers {batch['workers']}",
             f"{g['submissions_per_minute']:.1f} submissions/min ({batch['wall_s']:.1f} s)",
             f"{batch['full_score']}/{batch['submissions']} full score"]]
    dask = g.get("dask") or {}
    if dask.get("status") == "ok":
        run = dask["run"]
        rows.append([f"{run['submissions']} submissions, --scheduler {dask['scheduler']} "
                     "(a LocalCluster)",
                     f"{dask['submissions_per_minute']:.1f} submissions/min ({run['wall_s']:.1f} "
                     f"s; {_num(dask.get('submissions_per_minute_cluster_up'), '{:.1f}')}/min "
                     f"once the cluster is up, after {dask['cluster_start_s']:.1f} s)",
                     f"{run['full_score']}/{run['submissions']} full score"])
    elif dask:
        rows.append(["--scheduler local:2", dask.get("status", "?"), ""])
    lines = [f"{dask['summary']}.", ""] if dask.get("summary") else []
    return ["## Grading throughput (`nnparity grade`, default rubric, copies of student_nn)",
            "", _table(rows, ["run", "time", "result"]), "", *lines,
            *_vs_base_lines(g.get("vs_base")), *_isolation_lines(g.get("isolation"))]


def _vs_base_lines(vs: dict[str, Any] | None) -> list[str]:
    """This code's grading rate against the base commit's, on the same submissions."""
    if not vs:
        return []
    if vs.get("status") != "ok":
        return [f"Against the base commit: {vs.get('status')}"
                + (f" ({vs['detail']})" if vs.get("detail") else ""), ""]
    names = {"old_correct": f"correct, {vs['base']}", "new_correct_cold": "correct, this "
             "code, empty reference cache", "new_correct": "correct, this code, warm cache",
             "old_failing": f"failing, {vs['base']}", "new_failing": "failing, this code"}
    rows = [[names[k], f"{r['wall_s']:.1f} s", f"{vs['per_minute'][k]:.1f}",
             f"{r['full_score']}/{r['submissions']}", ", ".join(r["statuses"])]
            for k, r in vs["runs"].items()]
    same = vs.get("same_scores", {})
    return [f"Against {vs['base']} (a worktree of it, run in the same bench; "
            f"{vs['submissions']} submissions each, `--workers {vs['workers']}`; failing ones "
            "are mutants of student_nn, investigated):", "",
            _table(rows, ["submissions, code", "wall", "per minute", "full score",
                          "statuses"]), "",
            f"Same statuses and scores as {vs['base']}: correct "
            f"{'yes' if same.get('correct') else 'NO'}, failing "
            f"{'yes' if same.get('failing') else 'NO'}.", ""]


def _isolation_lines(iso: dict[str, Any] | None) -> list[str]:
    """The cost of the namespace sandbox (harness/sandbox/isolation.py), with and without it."""
    if not iso:
        return []
    if iso.get("status") != "ok":
        return [f"Isolation cost: {iso.get('status')}"
                + (f" ({iso['detail']})" if iso.get("detail") else ""), ""]
    rows = [[level, f"{v['wall_s_per_submission']:.2f} s",
             _num(v["grader_s_per_submission"], "{:.2f} s"), f"{1000 * v['child_start_s']:.0f} ms",
             f"{v['full_score']}/{v['graded']}"] for level, v in iso["levels"].items()]
    return [f"Isolation cost ({iso['submissions']} submissions × {iso['rounds']} rounds per "
            "level, `--workers 1`; the child's start is its start, first answer and clean-up):",
            "", _table(rows, ["isolation", "wall per submission", "in the grader",
                              "child start", "full score"]), "",
            f"Namespaces cost {iso['extra_s_per_submission']:+.2f} s per submission "
            f"({1000 * iso['extra_child_start_s']:+.0f} ms per child start).", ""]
