"""Grading on a Dask cluster (harness/grading/distributed.py, ``nnparity grade --scheduler``).

A LocalCluster of two worker processes grades small batches (a rubric of four activations, two
cases each) and must give exactly the rows of ``--workers 1``, survive a worker killed with
SIGKILL mid-batch without losing or duplicating a row, and keep its workers through
submissions that crash or hang. A real ``dask scheduler`` (with a ``dask worker``) is killed
mid-batch: the client stops with exit code 3 and the same command, rerun on a
restarted cluster, resumes from what was saved.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest

from harness.cli import main as cli_main
from harness.grading import distributed as dist
from harness.grading.batch import grade_batch
from harness.grading.rubric import load_rubric
from harness.grading.submission import Submission, discover
from harness.sandbox.parent import PROJECT_ROOT

distributed = pytest.importorskip("distributed")   # CI installs the extra: .[dev,dask]

CORPUS = Path(__file__).parent / "submissions"
STUDENT_NN = PROJECT_ROOT / "student_nn"
RUBRIC = """\
[rubric]
name = "dask-test"
seed = 11
cases = 2
graded_modules = ["activations"]
missing_module = "bundled"
investigate = 10
refuse_imports = ["torch", "tensorflow", "jax"]
{starter}

[limits]
case_seconds = 2
startup_seconds = 20
submission_seconds = 60
case_cpu_seconds = 3
process_cpu_seconds = 30
memory_mb = 1024
processes = 16
file_mb = 4
output_kb = 2

[[item]]
op = "linear"
points = {{ forward = 1, dX = 1 }}
[[item]]
op = "tanh"
points = {{ forward = 1, dX = 1 }}
[[item]]
op = "relu"
points = {{ forward = 1, dX = 1 }}
[[item]]
op = "softmax"
points = {{ forward = 1, dX = 1 }}
"""
FULL = 8.0
# Correct, but slow enough (about a second) that a worker can be killed while grading it.
SLOW = '''"""Correct activations that take their time."""
import time

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class Linear(base.Linear):
    def forward(self, Z):
        time.sleep(0.12)
        return super().forward(Z)


class TanH(base.TanH):
    def forward(self, Z):
        time.sleep(0.12)
        return super().forward(Z)
'''
VOLATILE = ("graded_at", "seconds", "sandbox")   # result.json keys that differ run to run


def _rubric(tmp: Path, starter: bool = False) -> Path:
    lines = ""
    if starter:
        pkg = tmp / "starter" / "neural_networks"
        shutil.copytree(STUDENT_NN, pkg, ignore=shutil.ignore_patterns("__pycache__"))
        lines = 'starter = "starter"'
    path = tmp / "rubric.toml"
    path.write_text(RUBRIC.format(starter=lines))
    return path


def _submissions(root: Path, n: int, slow: bool = True) -> list[str]:
    """n correct submissions, slow{i}/ (about a second each) or fast{i}/."""
    paths = []
    for i in range(n):
        pkg = root / f"{'slow' if slow else 'fast'}{i}" / "neural_networks"
        shutil.copytree(CORPUS / "correct" / "neural_networks", pkg)
        if slow:
            (pkg / "activations.py").write_text(SLOW)
        paths.append(str(pkg.parent))
    return paths


def _gradebook(out: Path) -> list[dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


def _rows(out: Path) -> list[dict[str, str]]:
    """The gradebook without its timing column."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in _gradebook(out)]


def _result(out: Path, name: str) -> dict:
    data = json.loads((out / name / "result.json").read_text())
    return {k: v for k, v in data.items() if k not in VOLATILE}


@pytest.fixture(scope="module")
def grading_lock(tmp_path_factory):
    """test_grading.py's lock: grading that stages at the top of /tmp waits for its corpus
    batch (which checks that no staging directory appeared there meanwhile)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    @contextlib.contextmanager
    def held():
        with open(shared / "nnparity-grading.lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    return held


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes of one thread each, and a client of the tests' own."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.ERROR) as c, \
            distributed.Client(c) as client:
        yield c, client


# ------------------------------------------------------------------ the command line
def test_without_dask_the_flag_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed fails
    code = cli_main(["grade", str(CORPUS / "correct"), "--scheduler", "local:2",
                     "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "needs Dask's distributed scheduler" in err and 'pip install "nnparity[dask]"' in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value, message", [
    ("local:0", "at least one worker"),
    ("localhost:8786", "expected tcp://HOST:PORT"),
])
def test_scheduler_argument_errors(value, message, tmp_path, capsys):
    code = cli_main(["grade", str(CORPUS / "correct"), "--scheduler", value,
                     "--out", str(tmp_path / "out"), "--no-progress"])
    assert code == 2 and message in capsys.readouterr().err


def test_unreachable_scheduler_is_unusable_input(tmp_path, capsys):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = cli_main(["grade", str(CORPUS / "correct"), "--scheduler", "tcp://127.0.0.1:9",
                         "--rubric", str(_rubric(tmp_path)), "--out", str(tmp_path / "out"),
                         "--no-progress"])
    assert code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


# ------------------------------------------------------------------ by value
def test_submissions_travel_by_value(tmp_path, grading_lock):
    """A worker grades the bytes it was sent: the original may be gone by then. Symlinks and
    caches stay behind, the client's fingerprint and path travel along."""
    src = tmp_path / "alice"
    shutil.copytree(CORPUS / "correct", src)
    (src / "neural_networks" / "__pycache__").mkdir()
    (src / "neural_networks" / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    (src / "link.py").symlink_to("/etc/hostname")
    (sub,) = discover([str(src)])
    payload = dist.pack(sub)
    with tarfile.open(fileobj=io.BytesIO(payload.data)) as tar:
        names = sorted(m.name for m in tar.getmembers())
    assert names == ["neural_networks", "neural_networks/__init__.py",
                     "neural_networks/activations.py"]
    (tmp_path / "w").mkdir()
    copy = dist.unpack(payload, tmp_path / "w")
    assert copy.fingerprint == sub.fingerprint and copy.path == tmp_path / "w" / "alice"
    assert Submission("x", copy.path).fingerprint == sub.fingerprint   # the same content
    shutil.rmtree(src)
    rubric = load_rubric(_rubric(tmp_path))
    worker = dist.WorkerGrading()     # what a Dask worker's plugin holds
    with grading_lock():
        worker.setup()
        try:
            result = worker.grade(payload, rubric, None)["result"]
        finally:
            worker.teardown()
    assert (result["status"], result["score"]) == ("graded", FULL)
    assert result["source"] == str(sub.path)
    assert result["fingerprint"] == sub.fingerprint
    assert result["rubric"]["fingerprint"] == rubric.fingerprint()


def test_refused_packages_stay_hidden_until_the_last_worker_leaves(tmp_path):
    """Below namespaces the worker processes of a machine share the hiding of torch & co."""
    target = tmp_path / "torch"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    hide = dist._SharedHide(tmp_path / "hidden.json")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        hide.enter([target])
        hide.enter([target], pid=other.pid)
        assert target.stat().st_mode & 0o007 == 0
        hide.leave()
        assert target.stat().st_mode & 0o007 == 0          # the other one still grades
        other.kill()
        other.wait()
        hide.enter([], pid=os.getpid())                    # the other died without leaving
        hide.leave()
        assert target.stat().st_mode & 0o777 == 0o755
        assert not (tmp_path / "hidden.json").exists()
    finally:
        other.kill()


# ------------------------------------------------------------------ on a LocalCluster
def test_cluster_gives_the_rows_of_one_worker_and_keeps_its_workers(cluster, tmp_path,
                                                                    grading_lock):
    """Same gradebook rows and results as --workers 1 (a starter travels with the rubric);
    crashing, hanging and broken submissions cost their own rows, never a worker; each
    worker builds the reference outputs once and reuses them."""
    c, client = cluster
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("correct", "infinite_loop", "os_exit", "crash_everything",
                 "exception_forward", "nan_outputs"):
        shutil.copytree(CORPUS / name, inputs / name)
    with zipfile.ZipFile(inputs / "correct_zip.zip", "w") as zf:
        for f in ("__init__.py", "activations.py"):
            zf.write(CORPUS / "correct" / "neural_networks" / f, f"hw6/neural_networks/{f}")
    with zipfile.ZipFile(inputs / "zip_slip.zip", "w") as zf:
        zf.writestr("../evil.py", "print('escaped')\n")
    subs = sorted(str(p) for p in inputs.iterdir())
    rubric = load_rubric(_rubric(tmp_path, starter=True))
    pids = client.run(os.getpid)

    t = time.monotonic()
    with grading_lock():
        local = grade_batch(subs, rubric, tmp_path / "local", workers=1, progress=False,
                            log=lambda m: None)
    local_s = time.monotonic() - t
    t = time.monotonic()
    remote = grade_batch(subs, rubric, tmp_path / "dask", progress=False, log=lambda m: None,
                         scheduler=c.scheduler_address)
    dask_s = time.monotonic() - t
    print(f"--workers 1: {local_s:.1f} s; LocalCluster(2): {dask_s:.1f} s; "
          f"{remote.dask.summary()}")

    assert _rows(tmp_path / "dask") == _rows(tmp_path / "local")
    rows = {r["submission"]: r for r in _rows(tmp_path / "dask")}
    assert rows["correct"]["status"] == rows["correct_zip"]["status"] == "graded"
    assert float(rows["correct"]["score"]) == FULL
    assert rows["infinite_loop"]["status"] == "timeout"
    assert rows["os_exit"]["status"] == rows["crash_everything"]["status"] == "crashed"
    assert rows["zip_slip"]["status"] == "invalid"
    assert rows["correct"]["source"] == str(inputs / "correct")
    for name in rows:
        assert _result(tmp_path / "dask", name) == _result(tmp_path / "local", name), name
        for f in ("feedback.md", "results.json"):
            assert (tmp_path / "dask" / name / f).is_file()
    assert _result(tmp_path / "dask", "correct")["modules"]["layers"]["origin"] == "starter"
    assert sorted(remote.graded) == sorted(rows) and len(remote.graded) == len(rows)
    assert client.run(os.getpid) == pids          # no worker was lost or restarted
    assert remote.isolation is not None and remote.isolation.level == local.isolation.level
    # each worker built the references with its first submission and reused them after
    firsts = [t for t in remote.dask.timings if t["name"] in remote.dask.first_on_worker]
    later = [t for t in remote.dask.timings if t["name"] not in remote.dask.first_on_worker
             and t["name"] in ("correct", "correct_zip")]
    assert any(t["reference_built"] > 0 for t in firsts)
    assert all(t["reference_built"] == 0 and t["reference_reused"] > 0 for t in later)


def _adapter_of(name: str) -> str | None:
    from harness.apis.known import APIS
    return APIS[name].adapter if name in APIS else None


def _adapters_on_workers(cluster, name: str) -> list[str]:
    """Where each worker that knows the API `name` read its adapter from."""
    _, client = cluster
    return [w for w in client.run(_adapter_of, name).values() if w]


def test_a_user_declared_api_travels_with_its_adapter_file(cluster, tmp_path, grading_lock):
    """A rubric for an adapter's API (docs/adapters.md) sends the adapter file along: the
    cluster grades a class library as --workers 1 does."""
    c, _ = cluster
    # The adapter where test_grading_apis.py reads it: an API name is one file per process.
    adapter = PROJECT_ROOT / "docs" / "adapters" / "dlfs.toml"
    (tmp_path / "rubric.toml").write_text(
        f'[rubric]\nname = "dlfs-test"\napi = "{adapter}"\ncases = 3\n'
        'refuse_imports = ["torch"]\n'
        '[[item]]\nop = "affine"\npoints = { forward = 1, dX = 1, dW = 1, db = 1 }\n'
        '[[item]]\nop = "sigmoid"\npoints = { forward = 1, dX = 1 }\n')
    rubric = load_rubric(tmp_path / "rubric.toml")
    good = Path(__file__).parent / "adapter_impls" / "dlfs"
    buggy = tmp_path / "buggy"
    shutil.copytree(good, buggy)
    layers = buggy / "common" / "layers.py"
    layers.write_text(layers.read_text().replace("dout * self.out * (1.0 - self.out)",
                                                 "dout * self.out"))
    subs = [str(good), str(buggy)]
    with grading_lock():
        grade_batch(subs, rubric, tmp_path / "local", workers=1, progress=False,
                    log=lambda m: None)
    grade_batch(subs, rubric, tmp_path / "dask", progress=False, log=lambda m: None,
                scheduler=c.scheduler_address)
    rows = _rows(tmp_path / "dask")
    assert rows == _rows(tmp_path / "local")
    assert [(r["submission"], r["score"]) for r in rows] == [("dlfs", "6.0"), ("buggy", "5.0")]
    # the workers read the adapter from the bytes they were sent, not from the client's path
    where = _adapters_on_workers(cluster, "dlfs")
    assert where and all(dist.WORK_PREFIX in w and w.endswith("/dlfs.toml") for w in where)


def test_a_worker_killed_mid_batch_loses_no_row(cluster, tmp_path):
    c, client = cluster
    subs = _submissions(tmp_path / "in", 6)
    rubric = load_rubric(_rubric(tmp_path))
    pids = client.run(os.getpid)
    victim: dict[str, str] = {}
    started = threading.Event()

    def on_tick(event):
        msg = event[1]
        if isinstance(msg, dict) and not victim:
            victim.update(worker=msg["worker"], name=msg["name"])
            started.set()

    client.subscribe_topic(dist.TOPIC, on_tick)

    def kill_when_grading():
        if started.wait(60):
            os.kill(pids[victim["worker"]], signal.SIGKILL)

    killer = threading.Thread(target=kill_when_grading)
    killer.start()
    try:
        outcome = grade_batch(subs, rubric, tmp_path / "out", progress=False,
                              log=lambda m: None, scheduler=c.scheduler_address)
    finally:
        killer.join()
        client.unsubscribe_topic(dist.TOPIC)
    rows = _gradebook(tmp_path / "out")
    assert [r["submission"] for r in rows] == [f"slow{i}" for i in range(6)]
    assert all(r["status"] == "graded" and float(r["score"]) == FULL for r in rows), rows
    assert sorted(outcome.graded) == [f"slow{i}" for i in range(6)]   # each exactly once
    # the submission the killed worker was grading was graded by another one
    assert outcome.dask.where[victim["name"]] != victim["worker"]
    assert victim["worker"] not in client.run(os.getpid)
    client.wait_for_workers(2, timeout=60)        # the nanny started a new worker
    # What the killed worker was staging lay in its own scratch, which the new one removed.
    tmp = Path(tempfile.gettempdir())
    assert not [p for p in tmp.glob("nnparity-stage-*") if "take their time" in "".join(
        f.read_text() for f in p.rglob("activations.py"))]
    killed = f"{dist.WORK_PREFIX}{pids[victim['worker']]}-"
    deadline = time.monotonic() + 30
    while list(tmp.glob(f"{killed}*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(tmp.glob(f"{killed}*"))


# ------------------------------------------------------------------ a real scheduler, lost
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Cluster:
    """``dask scheduler`` and ``dask worker`` as separate processes."""

    def __init__(self, port: int, log: Path) -> None:
        self.address = f"tcp://127.0.0.1:{port}"
        self.log = open(log, "a")
        dask = [sys.executable, "-m", "dask"]
        self.scheduler = subprocess.Popen(
            [*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=self.log, stderr=self.log)
        self.worker = subprocess.Popen(
            [*dask, "worker", self.address, "--nworkers", "1", "--nthreads", "1",
             "--no-dashboard"], stdout=self.log, stderr=self.log)
        with distributed.Client(self.address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)

    def stop(self) -> None:
        for p in (self.worker, self.scheduler):   # the worker first: it cleans up as it stops
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
            p.wait()
        self.log.close()


def test_lost_scheduler_stops_the_client_and_the_rerun_resumes(tmp_path):
    subs = _submissions(tmp_path / "in", 6, slow=False)
    rubric = _rubric(tmp_path)
    out = tmp_path / "out"
    port = _free_port()
    argv = [sys.executable, "-m", "harness.cli", "grade", *subs, "--rubric", str(rubric),
            "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
    first = _Cluster(port, tmp_path / "cluster.log")
    try:
        client = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/result.json"))) < 2 and client.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        first.scheduler.send_signal(signal.SIGKILL)
        stdout, stderr = client.communicate(timeout=60)
        first.worker.wait(timeout=60)     # Dask's workers stop without their scheduler
    finally:
        first.stop()
    assert client.returncode == 3, (stdout, stderr)
    assert f"lost the Dask scheduler at tcp://127.0.0.1:{port} mid-batch" in stderr
    assert "rerun the same command" in stderr
    assert "Traceback" not in stderr
    saved = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    rows = _gradebook(out)
    assert len(rows) == 6 and 2 <= len(saved) < 6
    assert sorted(r["submission"] for r in rows if r["status"] == "graded") == sorted(saved)
    assert all(r["status"] == "pending" for r in rows if r["submission"] not in saved)

    second = _Cluster(port, tmp_path / "cluster.log")   # restarted where it was
    try:
        rerun = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True,
                               text=True, timeout=300)
    finally:
        second.stop()
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming: {len(saved)} submission(s) already graded" in rerun.stdout
    assert f"{6 - len(saved)} graded, {len(saved)} kept from an earlier run" in rerun.stdout
    rows = _gradebook(out)
    assert [r["submission"] for r in rows] == [f"fast{i}" for i in range(6)]
    assert all(r["status"] == "graded" and float(r["score"]) == FULL for r in rows)
    assert {n: (out / n / "result.json").stat().st_mtime_ns for n in saved} == saved


# ------------------------------------------------------------------ nnparity bench
def test_bench_reports_the_cluster_throughput_and_its_overhead_target():
    from harness.tools.bench import report

    grading = {"status": "ok",
               "single": {"workers": 1, "wall_s": 6.0, "mean_grader_s": 4.0, "full_score": 1,
                          "submissions": 1},
               "batch": {"submissions": 4, "workers": 2, "wall_s": 16.0, "full_score": 4},
               "submissions_per_minute": 15.0,
               "dask": {"status": "ok", "scheduler": "local:2", "submissions_per_minute": 16.0,
                        "run": {"submissions": 4, "wall_s": 15.0, "full_score": 4},
                        "submissions_per_minute_cluster_up": 22.0, "cluster_start_s": 4.1,
                        "overhead_s_per_submission": 0.05, "correct_grading_s": 4.0,
                        "overhead_share": 0.0125, "summary": "Dask local:2: 4 submission(s)"}}
    (row,) = [t for t in report.targets({"grading": grading}) if "Dask" in t["target"]]
    assert row["met"] is True and row["shown"].startswith("1.2% (0.050 s of 4.00 s)")
    text = "\n".join(report._grading_section(grading))
    assert "--scheduler local:2 (a LocalCluster)" in text and "16.0 submissions/min" in text
    (missing,) = [t for t in report.targets({}) if "Dask" in t["target"]]
    assert missing["met"] is None and missing["shown"] == "not measured"
