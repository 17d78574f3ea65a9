"""Run the evidence: the mutation corpus, the labelled implementations, the false positives.

Every part runs its jobs in `jobs` processes (each job checks in sandboxed children of its
own). `run_evidence` returns one JSON-able dict; `harness.tools.evidence.report` writes it.
The parts: HW6's mutants, labelled implementations and false positives, and the sequence
models' (issue #25: CS231n assignment 3, mytorch HW3P1, the attention API) mutants and false
positives.
"""

from __future__ import annotations

import functools
import os
import platform
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from harness.tools.evidence import fp, labelled
from harness.tools.evidence.course import describe as course_configs
from harness.tools.evidence.equivalent import judge
from harness.tools.evidence.mutants import HW6, OPERATORS, SEQUENCE, Corpus, generate
from harness.tools.evidence.run import run_mutant

PARTS = ("mutants", "labelled", "fp", "seq_mutants", "seq_fp")
# a mutants part -> what the log calls it, its corpora
MUTANT_PARTS: dict[str, tuple[str, tuple[Corpus, ...]]] = {
    "mutants": ("mutants", (HW6,)), "seq_mutants": ("sequence mutants", SEQUENCE)}
INDEPENDENT = Path(__file__).resolve().parents[3] / "tests" / "independent_impl"


def _pool(jobs: int, tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]], what: str,
          log: Callable[[str], None]) -> list[Any]:
    """Run (fn, args) tasks in `jobs` processes; results in task order. A task that raises
    is recorded as {"error": ...} so one broken job cannot cost the run."""
    results: list[Any] = [None] * len(tasks)
    done = 0

    def finished(k: int, get: Callable[[], Any]) -> None:
        nonlocal done
        try:
            results[k] = get()
        except Exception as exc:  # noqa: BLE001 - recorded, reported
            results[k] = {"error": f"{type(exc).__name__}: {exc}", "task": repr(tasks[k][1])}
        done += 1
        if done % max(1, len(tasks) // 20) == 0 or done == len(tasks):
            log(f"{what}: {done}/{len(tasks)}")

    if jobs <= 1:   # in this process (no pool to start)
        for k, (fn, args) in enumerate(tasks):
            finished(k, functools.partial(fn, *args))
        return results
    # spawned, not forked: a fork of a process with threads (pytest-xdist's, torch's) can
    # inherit a lock held by a thread that does not exist in the child, and hang
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(fn, *args): k for k, (fn, args) in enumerate(tasks)}
        for future in as_completed(futures):
            finished(futures[future], future.result)
    return results


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run_evidence(*, quick: bool = False, cases: int = 50, confirm: int = 500,
                 fp_cases: int = 100_000, jobs: int = 2, parts: tuple[str, ...] = PARTS,
                 limit: int | None = None, log: Callable[[str], None] = print
                 ) -> dict[str, Any]:
    """The evidence (see docs/evidence.md for what each part measures)."""
    start = time.monotonic()
    out: dict[str, Any] = {"meta": _meta(quick, cases, confirm, fp_cases, jobs, parts)}
    for part, (what, corpora) in MUTANT_PARTS.items():
        if part not in parts:
            continue
        mutants = [m for corpus in corpora for m in generate(corpus)]
        if limit is not None:   # an even sample of the corpus
            step = max(1, len(mutants) // limit)
            mutants = mutants[::step][:limit]
        log(f"{what}: {len(mutants)} to run")
        records = _pool(jobs, [(run_mutant, (m, cases, confirm)) for m in mutants], what, log)
        out[part] = {"records": records, "summary": summarize_mutants(records),
                     "corpus": sum(len(generate(corpus)) for corpus in corpora)}
        if part == "mutants":   # the course-style baseline is HW6's
            out["course"] = course_configs()
    if "labelled" in parts:
        labels = labelled.all_labels()
        results = _pool(jobs, [(labelled.run_label, (label,)) for label in labels],
                        "labelled", log)
        records = [r for chunk in results for r in (chunk if isinstance(chunk, list)
                                                    else [chunk])]
        out["labelled"] = {"records": records, "summary": summarize_labelled(records)}
    if "fp" in parts:
        tasks = [(fp.run_chunk, (impl, op, n, seed))
                 for impl in (None, str(INDEPENDENT / "neural_networks"))
                 for op, n, seed in fp.chunks(fp_cases)]
        chunks = _pool(jobs, tasks, "false positives", log)
        out["fp"] = {"chunks": chunks, "summary": summarize_fp(chunks)}
    if "seq_fp" in parts:   # the bundled implementations of the sequence ops, under their API
        tasks = [(fp.run_chunk, (None, op, n, seed))
                 for op, n, seed in fp.chunks(fp_cases, fp.SEQUENCE_OPS,
                                              spare=fp.SEQUENCE_SPARE)]
        chunks = _pool(jobs, tasks, "sequence false positives", log)
        out["seq_fp"] = {"chunks": chunks, "summary": summarize_fp(chunks)}
    out["meta"]["seconds"] = round(time.monotonic() - start, 1)
    out["meta"]["load_after"] = _load()
    out["meta"]["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return out


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=INDEPENDENT.parent, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _meta(quick: bool, cases: int, confirm: int, fp_cases: int, jobs: int,
          parts: tuple[str, ...]) -> dict[str, Any]:
    import numpy
    import torch

    return {"commit": _commit(), "quick": quick,
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cases": cases, "confirm": confirm, "fp_cases": fp_cases, "jobs": jobs,
            "parts": list(parts), "python": platform.python_version(),
            "numpy": numpy.__version__, "torch": torch.__version__,
            "cpus": os.cpu_count(), "load_before": _load()}


# ---------------------------------------------------------------- summaries
def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize_mutants(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Kill rates and diagnosis figures of the mutant records (a survivor of the confirming
    cases without an automatic argument gets its hand-written one here, if it has one)."""
    for r in records:
        judge(r)
    ok = [r for r in records if "error" not in r]
    equivalent = [r for r in ok if r.get("equivalent")]
    candidates = [r for r in ok if not r.get("equivalent")]
    killed = [r for r in candidates if r.get("killed")]
    course = [r for r in candidates if r.get("course_killed")]

    def rows(key: str, values: list[str]) -> list[dict[str, Any]]:
        table = []
        for v in values:
            group = [r for r in ok if r[key] == v]
            if not group:
                continue
            cand = [r for r in group if not r.get("equivalent")]
            kill = [r for r in cand if r.get("killed")]
            table.append({key: v, "generated": len(group), "equivalent": len(group) - len(cand),
                          "killed": len(kill), "course_killed": sum(
                              bool(r.get("course_killed")) for r in cand),
                          "diagnosis_right": sum(bool(r.get("diagnosis_ok")) for r in kill)})
        return table

    return {
        "generated": len(records), "errors": len(records) - len(ok),
        "equivalent": len(equivalent), "non_equivalent": len(candidates),
        "killed": len(killed), "kill_rate": _rate(len(killed), len(candidates)),
        "course_killed": len(course), "course_kill_rate": _rate(len(course), len(candidates)),
        "killed_by_confirm": sum(bool(r.get("killed_by_confirm")) for r in candidates),
        "diagnosis_right": sum(bool(r.get("diagnosis_ok")) for r in killed),
        "diagnosis_rate": _rate(sum(bool(r.get("diagnosis_ok")) for r in killed), len(killed)),
        "location_right": sum(bool(r.get("location_ok")) for r in killed),
        "location_rate": _rate(sum(bool(r.get("location_ok")) for r in killed), len(killed)),
        "top_codes": dict(Counter(r["top"]["code"] for r in killed).most_common()),
        "by_operator": rows("operator", list(OPERATORS)),
        "by_module": rows("module", list(dict.fromkeys(r["module"] for r in ok))),
        "by_op": _by_op(ok),
        "survivors": [r["id"] for r in candidates if not r.get("killed")],
        "not_equivalent": [r["id"] for r in candidates if r.get("not_equivalent")],
        "course_only": [r["id"] for r in candidates
                        if r.get("course_killed") and not r.get("killed")],
        "equivalent_kinds": dict(Counter(r["equivalent"]["kind"] for r in equivalent)),
    }


def _by_op(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per op: the mutants checked on it (a function several ops drive counts for each),
    the equivalent ones, those killed (on any of their ops) and those it fails."""
    table = []
    for op in dict.fromkeys(op for r in records for op in r["ops"]):
        group = [r for r in records if op in r["ops"]]
        cand = [r for r in group if not r.get("equivalent")]
        table.append({"op": op, "generated": len(group), "equivalent": len(group) - len(cand),
                      "killed": sum(bool(r.get("killed")) for r in cand),
                      "failing_here": sum(any(f.startswith(f"{op} ") for f in r["failing"])
                                          for r in cand if r.get("killed")),
                      "survived": sum(not r.get("killed") for r in cand)})
    return table


def summarize_labelled(records: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in records if "error" not in r]
    out: dict[str, Any] = {"labelled": len(ok), "right": sum(r["right"] for r in ok),
                           "rate": _rate(sum(r["right"] for r in ok), len(ok)),
                           "errors": len(records) - len(ok)}
    for source in ("diagnosis_impls", "buggy_impls"):
        group = [r for r in ok if r["source"] == source]
        out[source] = {"labelled": len(group), "right": sum(r["right"] for r in group),
                       "rate": _rate(sum(r["right"] for r in group), len(group))}
    out["wrong"] = [r for r in ok if not r["right"]]
    return out


def summarize_fp(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in chunks:
        if "error" in c:
            out.setdefault("errors", []).append(c)
            continue
        s = out.setdefault(c["impl"], {"cases": 0, "verdicts": 0, "failed": [],
                                       "convention_notes": 0, "by_op": {}, "seconds": 0.0})
        s["cases"] += c["cases"]
        s["verdicts"] += c["verdicts"]
        s["failed"] += c["failed"]
        s["convention_notes"] += c["convention_notes"]
        s["seconds"] = round(s["seconds"] + c["seconds"], 1)
        s["by_op"][c["op"]] = s["by_op"].get(c["op"], 0) + c["cases"]
    return out
