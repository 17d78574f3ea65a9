"""A batch survives any submission, within a budget (issue #21, point 4): one wall-clock
budget per submission covers every phase, investigation included; the parent reads bounded
messages and keeps bounded strings.

(The hostile corpus, graded beside a correct submission, is tests/test_grading.py's.)
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import struct
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import worker_deaths

from harness.core import wire
from harness.grading.batch import _run_pool, grade_batch
from harness.grading.rubric import load_rubric
from harness.grading.submission import discover
from harness.progress import Progress
from harness.sandbox.parent import BudgetSpent, Limits, Outage, Policy, Sandbox, within_budget

CORPUS = Path(__file__).parent / "submissions"
RUBRIC = """\
[rubric]
name = "budgets"
seed = 3
cases = 3
graded_modules = ["activations"]
missing_module = "bundled"
investigate = {investigate}
refuse_imports = ["torch", "tensorflow", "jax"]

[limits]
case_seconds = 2
startup_seconds = 20
submission_seconds = {budget}
case_cpu_seconds = 3
process_cpu_seconds = 60
memory_mb = 1024
processes = 16
file_mb = 4
output_kb = 2
disk_mb = {disk_mb}

[[item]]
op = "relu"
points = {{ forward = 1, dX = 1 }}
"""
# ReLU whose forward is wrong, and slow from its fourth call on: the three graded cases are
# fast, every rerun of the investigation takes 1.8 s (under the case limit of 2 s).
SLOW_RERUNS = '''"""A wrong ReLU forward, fast when graded, slow when investigated."""
import time

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403

calls = 0


class ReLU(base.ReLU):
    def forward(self, Z):
        global calls
        calls += 1
        if calls > 3:
            time.sleep(1.8)
        return super().forward(Z) + 1.0
'''


def _rubric(tmp: Path, budget: float = 60, investigate: int = 20, disk_mb: int = 64) -> Path:
    path = tmp / "rubric.toml"
    path.write_text(RUBRIC.format(budget=budget, investigate=investigate, disk_mb=disk_mb))
    return path


def _submission(root: Path, name: str, activations: str | None = None) -> str:
    """A copy of the corpus's correct submission, with its own activations.py if given."""
    pkg = root / name / "neural_networks"
    shutil.copytree(CORPUS / "correct" / "neural_networks", pkg)
    if activations is not None:
        (pkg / "activations.py").write_text(activations)
    for p in [root, *root.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return str(pkg.parent)


def _grade(tmp: Path, subs: list[str], rubric: Path) -> dict[str, dict]:
    outcome = grade_batch(subs, load_rubric(rubric), tmp / "out", workers=1, progress=False,
                          log=lambda line: None)
    return {r["name"]: r for r in outcome.results}


# ------------------------------------------------------------------ one budget, every phase
def test_the_investigation_ends_with_the_submissions_budget(tmp_path):
    budget = 4
    subs = [_submission(tmp_path / "in", "correct"),   # first: warms the reference outputs
            _submission(tmp_path / "in", "slow_reruns", SLOW_RERUNS)]
    results = _grade(tmp_path, subs, _rubric(tmp_path, budget))
    r = results["slow_reruns"]
    # 20 reruns of 1.8 s each would take 36 s: the budget stops them, and the case running
    # when it ends gets what is left of it, not its whole limit
    assert r["seconds"] < budget + 2, r["seconds"]
    assert r["status"] == "graded" and r["score"] == 1.0   # the verdicts found stand
    assert [t["score"] for t in r["tests"]] == [0.0, 1.0]
    codes = [f["code"] for f in r["findings"]]
    assert "details_cut" in codes, r["findings"]
    assert "time budget ran out" in r["details"]
    feedback = (tmp_path / "out" / "slow_reruns" / "feedback.md").read_text()
    assert "the details below are partial" in feedback
    assert results["correct"]["score"] == 2.0


def test_no_request_starts_after_the_budget_and_none_waits_past_it(tmp_path):
    """The sandbox's side of the budget, which the substitution reruns and the
    investigation work within."""
    slow = SLOW_RERUNS.replace("calls > 3", "True")
    impl = Path(_submission(tmp_path, "slow", slow)) / "neural_networks"
    z = np.ones((2, 3))
    run = ({"cmd": "run", "kind": "activation", "module": "activations", "cls": "ReLU",
            "ctor": {}, "outputs": ["forward"]}, {"Z": z, "dY": z})
    load = ({"cmd": "load", "module": "activations"}, {})
    with Sandbox(impl, ("activations",), Limits(case_seconds=10, startup_seconds=30),
                 Policy()) as sb:
        assert not isinstance(sb.run(*load), Outage)
        start = time.monotonic()
        with within_budget(start + 0.5):
            with pytest.raises(BudgetSpent):
                sb.run(*run)                  # 1.8 s of sleep, cut at the budget's end
            took = time.monotonic() - start
            assert sb.proc is None            # the child running it was stopped
            with pytest.raises(BudgetSpent):  # after the end, nothing starts
                next(sb.run_many([run]))
        assert took < 1.5, took
        assert not isinstance(sb.run(*load), Outage)   # outside the budget, a fresh child


# ------------------------------------------------------------------ a worker's death
def _host_files(wanted: Callable[[Path], bool]) -> list[str]:
    """The files `wanted` at the top of the machine's temporary directory or a few levels
    down the directories nnparity makes there."""
    tmp = Path(tempfile.gettempdir())
    found = [str(p) for p in tmp.iterdir() if wanted(p)]
    for top in tmp.glob("nnparity-*"):
        for path, dirs, files in os.walk(top):
            if path.count(os.sep) - str(top).count(os.sep) >= 6:
                dirs.clear()
            found += [f"{path}/{f}" for f in files if wanted(Path(path, f))]
    return found


def _holds(path: Path, marker: str) -> bool:
    try:
        return path.suffix == ".py" and marker in path.read_text(errors="replace")
    except OSError:
        return False


def test_a_worker_that_dies_costs_only_the_submission_that_killed_it(tmp_path):
    names = ["first", worker_deaths.KILLER, "second", "third", "fourth"]
    marker = f"# staged by {tmp_path}"
    activations = (CORPUS / "correct" / "neural_networks" / "activations.py").read_text()
    subs = discover([_submission(tmp_path / "in", name, f"{activations}\n{marker}\n")
                     for name in names])
    rubric = load_rubric(_rubric(tmp_path))
    results: dict[str, list[dict]] = {}
    _run_pool(subs, rubric, tmp_path / "out", 2, Progress(1, "grading", enabled=False),
              lambda sub, result: results.setdefault(sub.name, []).append(result), "auto",
              grade=worker_deaths.grade_or_die)
    assert sorted(results) == sorted(names)
    assert all(len(once) == 1 for once in results.values())     # each finished once
    killer = results.pop(worker_deaths.KILLER)[0]
    assert killer["status"] == "internal_error" and "died twice" in killer["reason"]
    assert {name: (r[0]["status"], r[0]["score"]) for name, r in results.items()} == {
        name: ("graded", 2.0) for name in names if name != worker_deaths.KILLER}
    # what the workers stopped mid-submission had staged went with their pool
    assert _host_files(lambda p: _holds(p, marker)) == []


# ------------------------------------------------------------------ bounded messages
def _message(header: dict | list | str, size: int | None = None) -> io.BytesIO:
    head = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(head) if size is None else size) + head)


def test_a_header_announcing_a_huge_size_is_a_protocol_error_not_an_allocation():
    for size in (10 * 2**40, wire.MAX_HEADER + 1):
        tracemalloc.start()
        with pytest.raises(wire.WireError, match="too large"):
            wire.read_message(_message({"ok": True}, size))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 2**20


def test_a_header_nested_a_million_deep_is_a_protocol_error():
    deep = io.BytesIO()
    head = b"[" * 500_000 + b"]" * 500_000
    deep.write(struct.pack("<Q", len(head)) + head)
    deep.seek(0)
    with pytest.raises(wire.WireError, match="malformed"):
        wire.read_message(deep)


def test_long_strings_from_the_child_are_cut_with_a_note():
    long = "x" * 100_000
    header = {"errors": {"forward": {"message": long, "type": "é" * 5000}}, long: 1}
    got, _ = wire.read_message(_message(header))
    message = got["errors"]["forward"]["message"]
    assert message == "x" * wire.MAX_TEXT + f"… {100_000 - wire.MAX_TEXT} bytes cut"
    assert got["errors"]["forward"]["type"].endswith(f"… {2 * 1000} bytes cut")
    assert len(next(k for k in got if k.startswith("x"))) < wire.MAX_TEXT + 30
    short = {"message": "y" * wire.MAX_TEXT}
    assert wire.read_message(_message(short))[0] == short   # an honest message is unchanged


def test_on_dask_too_a_dead_worker_costs_only_its_killer(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    from harness.grading.distributed import grade_on_dask

    names = [worker_deaths.KILLER, "first", "second"]
    subs = discover([_submission(tmp_path / "in", name) for name in names])
    rubric = load_rubric(_rubric(tmp_path))
    results: dict[str, list[dict]] = {}
    # One worker, so that the others wait on the worker the killer brings down; no retry
    # of Dask's own, so that each task that was there is lost at the first death.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address="127.0.0.1:0",
                                     silence_logs=logging.ERROR) as cluster:
        grade_on_dask(subs, rubric, tmp_path / "out", cluster.scheduler_address,
                      Progress(1, "grading", enabled=False),
                      lambda sub, result: results.setdefault(sub.name, []).append(result),
                      lambda line: None, task=worker_deaths.grade_packed_or_die)
    assert all(len(once) == 1 for once in results.values()) and sorted(results) == sorted(names)
    killer = results.pop(worker_deaths.KILLER)[0]
    assert killer["status"] == "internal_error" and "alone" in killer["reason"]
    assert {name: (r[0]["status"], r[0]["score"]) for name, r in results.items()} == {
        "first": ("graded", 2.0), "second": ("graded", 2.0)}


# ------------------------------------------------------------------ the disk quota
def test_a_submission_that_fills_its_disk_is_graded_and_stopped_at_its_quota(tmp_path):
    quota = 8
    sub = tmp_path / "in" / "fills_disk"
    shutil.copytree(CORPUS / "fills_disk", sub)
    for p in [tmp_path / "in", *(tmp_path / "in").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    r = _grade(tmp_path, [str(sub)], _rubric(tmp_path, disk_mb=quota))["fills_disk"]
    assert (r["status"], r["score"]) == ("graded", 2.0), r["reason"]
    printed = r["printed_at_import"]["activations"]
    stored = dict(re.findall(r"DISK (\S+) stored=(\d+)", printed))
    assert len(stored) == 2, printed
    if r["isolation"] == "namespaces":
        # /tmp and the working directory: each a tmpfs of the quota, full before 96 MB
        assert printed.count(f"full=True size={quota * 2**20}") == 2, printed
        assert all(int(n) <= quota * 2**20 for n in stored.values()), stored
        left = next(f["message"] for f in r["findings"] if f["code"] == "left_files")
        assert "/tmp/fills-disk-0.bin" in left      # read while its tmpfs was there
    assert _host_files(lambda p: p.name.startswith("fills-disk-")) == []


def test_a_bubblewrap_without_tmpfs_sizes_binds_the_hosts_directories(tmp_path,
                                                                       monkeypatch):
    """bubblewrap before 0.7 (Ubuntu 22.04's) has no --size: no quota, but still namespaces,
    a private /tmp, and nothing left behind."""
    from harness.sandbox import isolation

    if isolation.choose(None).level != "namespaces":
        pytest.skip("namespaces are not available here")
    monkeypatch.setattr(isolation, "sized_tmpfs", lambda: False)
    sub = tmp_path / "in" / "fills_disk"
    shutil.copytree(CORPUS / "fills_disk", sub)
    for p in [tmp_path / "in", *(tmp_path / "in").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    r = _grade(tmp_path, [str(sub)], _rubric(tmp_path, disk_mb=8))["fills_disk"]
    assert (r["status"], r["score"], r["isolation"]) == ("graded", 2.0, "namespaces")
    printed = r["printed_at_import"]["activations"]
    assert printed.count(f"stored={32 * 3 * 2**20} full=False") == 2, printed
    left = next(f["message"] for f in r["findings"] if f["code"] == "left_files")
    assert "/tmp/fills-disk-0.bin" in left
    assert _host_files(lambda p: p.name.startswith("fills-disk-")) == []


# ------------------------------------------------------------------ what is kept per item
def test_a_20_mb_exception_message_leaves_small_files_and_the_right_grade(tmp_path):
    sub = tmp_path / "in" / "huge_message"
    shutil.copytree(CORPUS / "huge_message", sub)
    for p in [tmp_path / "in", *(tmp_path / "in").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    r = _grade(tmp_path, [str(sub)], CORPUS / "rubric.toml")["huge_message"]
    assert (r["status"], r["score"]) == ("graded", 26.0), r["reason"]
    lost = {t["name"] for t in r["tests"] if t["score"] < t["max_score"]}
    assert lost == {"Sigmoid forward", "Sigmoid backward dX"}
    sigmoid = next(t for t in r["tests"] if t["name"] == "Sigmoid forward")
    assert "spam spam" in sigmoid["message"]
    error = sigmoid["finding"]["error"]
    assert error["message"].endswith(f"… {150_000 - wire.MAX_TEXT} bytes cut")  # past the child
    sizes = {f.name: f.stat().st_size for f in (tmp_path / "out" / "huge_message").iterdir()}
    assert sizes["result.json"] < 256_000 and sizes["feedback.md"] < 128_000, sizes
    assert sizes["results.json"] < 128_000, sizes


# ------------------------------------------------------------------ rubric values
@pytest.mark.parametrize("limit, value", [("case_seconds", "1e308"), ("disk_mb", "0"),
                                          ("output_kb", "1e9"), ("processes", "10000000")])
def test_a_limit_out_of_bounds_is_a_one_line_error_with_exit_2(limit, value, tmp_path,
                                                              capsys):
    from harness.cli import main

    rubric = _rubric(tmp_path).read_text()
    rubric = re.sub(rf"(?m)^{limit} = .*$", f"{limit} = {value}", rubric)
    (tmp_path / "rubric.toml").write_text(rubric)
    code = main(["grade", str(CORPUS / "correct"), "--rubric", str(tmp_path / "rubric.toml"),
                 "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("nnparity grade: error: ") and f"[limits] {limit}" in err[0]


# ------------------------------------------------------------------ check's child
SAYS_WHO = '''"""A ReLU that says who runs it and within which limits (and is off by one)."""
import os
import resource

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class ReLU(base.ReLU):
    def forward(self, Z):
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print("WHO", os.getuid(), resource.getrlimit(resource.RLIMIT_AS)[0],
              resource.getrlimit(resource.RLIMIT_FSIZE)[0], int(status["CapEff"], 16))
        return super().forward(Z) + 1.0
'''


def _checked_by_whom(impl: Path, report: Path, capsys) -> tuple[list[int], str]:
    """Run `nnparity check` on relu; (uid, address space, file size, capabilities) of its
    child, and what it said on stderr."""
    from harness.cli import main

    code = main(["check", "--impl", str(impl), "--ops", "relu", "--cases", "1",
                 "--report", str(report)])
    err = capsys.readouterr().err
    assert code == 1, err
    results = json.loads((report / "report.json").read_text())["results"]
    printed = next(r["finding"]["stdout"] for r in results if r["output"] == "forward")
    return [int(x) for x in re.search(r"WHO (.*)", printed).group(1).split()], err


@pytest.mark.parametrize("readable", [True, False])
def test_check_runs_its_child_unprivileged_with_gradings_limits(readable, tmp_path, capsys):
    from harness.grading.rubric import GradeLimits

    root = Path(tempfile.mkdtemp(prefix="nnparity-checktest-"))   # reachable by every uid
    try:
        impl = Path(_submission(root, "says_who", SAYS_WHO))
        if not readable:
            impl.chmod(0o700)   # a sandbox uid cannot read it: check says so, as root
        (uid, memory, fsize, caps), err = _checked_by_whom(impl, tmp_path / "r", capsys)
    finally:
        shutil.rmtree(root)
    limits = GradeLimits()
    assert (memory, fsize) == (limits.memory_mb * 2**20, limits.file_mb * 2**20)
    assert caps == 0
    if os.geteuid() != 0:
        assert uid == os.geteuid() and "note" not in err
    elif readable:
        assert uid >= 1000 and "note" not in err         # a sandbox uid, as grading's
    else:
        assert uid == 0 and len(err.strip().splitlines()) == 1
        assert err.startswith("nnparity check: note: the implementation runs as root "
                              "without capabilities") and "cannot read" in err
