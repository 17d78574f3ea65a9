"""Grading on a Dask cluster: ``nnparity grade SUBMISSION... --scheduler tcp://HOST:PORT``.

`harness.grading.batch.grade_batch` decides what is left to grade (resuming from --out as
always) and hands the pending submissions to `grade_on_dask`, which sends each one to Dask's
distributed scheduler as one task and writes each result into --out as it arrives, through
the same `finished` callback (per-submission files, then the gradebook) and the same progress
bar as a local run. ``--scheduler local:N`` starts a `distributed.LocalCluster` of N worker
processes on this machine instead of connecting to a running scheduler.

The client (this process) never runs student code, and neither does the scheduler: a task is
the submission's bytes (`Payload`: a .zip as it is, a directory as a tar of what staging would
copy), the rubric (a frozen dataclass) and the bytes of the files it names (`RubricFiles`: the
starter code, an API adapter), so workers need no shared file system. On a worker,
`GradingPlugin` (a Dask worker plugin, registered on every worker, present and future)
claims the worker process's own unprivileged sandbox uid when root,
decides its isolation level once, as a local batch does, and keeps one `SubmissionGrader`
per rubric; the reference outputs (harness.core.twin's per-process cache, keyed by op, case
and conventions, so by rubric and seed) are built by a worker's first submission and reused
by the next ones. A worker grades one submission at a time (the sandbox uid is one per
process): run workers with one thread each (``dask worker --nthreads 1 --nworkers N``).

Faults: a worker that dies mid-task loses nothing: the scheduler runs its tasks elsewhere,
and each task's result is written once, by the client, when it arrives. Dask counts a death
against every task on that worker, queued ones too, and gives up on a task after
``distributed.scheduler.allowed-failures`` + 1: such a task is graded again once the others
are done, alone on the cluster, so only a submission whose workers die then too is recorded
as internal_error (and graded again on the next run). A submission that crashes or hangs is
contained by the sandbox as locally: it costs its own row. A lost scheduler cancels every
future (Dask cannot keep them): `SchedulerLost` says how many results were saved; the
rerun resumes from them.

Only a bounded window of tasks is in flight (a few per worker thread), so thousands of
submissions never sit in the scheduler's memory at once.

Docs: docs/distributed.md (clusters on several machines, SLURM, Kubernetes, what to secure).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import io
import json
import logging
import os
import queue
import re
import shutil
import socket
import stat
import tarfile
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from harness.grading.grader import SubmissionGrader, _version, fail, new_result
from harness.grading.outputs import write_submission
from harness.grading.rubric import Rubric
from harness.grading.submission import MAX_BYTES, MAX_FILES, SKIP_DIRS, Submission
from harness.progress import Progress
from harness.sandbox.confine import SandboxError, claim_uid, release_uid
from harness.sandbox.isolation import Isolation, choose
from harness.sandbox.parent import Policy, preflight
from harness.sandbox.visible import refused_package_dirs

INSTALL = 'pip install "nnparity[dask]"'
PLUGIN_NAME = "nnparity-grading"
TOPIC = "nnparity-progress"           # the workers' case ticks, for the client's progress bar
TICK_SECONDS = 0.25                   # a worker sends its ticks at most this often
LOCAL = re.compile(r"local:(\d+)")
ADDRESS = re.compile(r"(tcp|tls|ws|wss|ucx|inproc)://\S+")
WORK_PREFIX = "nnparity-dask-"        # a worker process's scratch directory: nnparity-dask-PID-*


class DaskUnavailable(Exception):
    """--scheduler cannot be used: distributed is not installed, the address is not one, or
    the scheduler cannot be reached (exit 2); the message says what to do."""


class SchedulerLost(Exception):
    """The scheduler went away mid-batch; the results that arrived before are saved."""


def parse_scheduler(text: str) -> tuple[str, Any]:
    """("local", N) for local:N, ("address", text) for a scheduler's address."""
    text = text.strip()
    m = LOCAL.fullmatch(text)
    if m:
        if int(m.group(1)) < 1:
            raise DaskUnavailable("--scheduler local:N needs at least one worker (N >= 1)")
        return "local", int(m.group(1))
    if ADDRESS.fullmatch(text):
        return "address", text
    raise DaskUnavailable(f"--scheduler {text!r}: expected tcp://HOST:PORT (a running Dask "
                          "scheduler; tls://HOST:PORT with TLS) or local:N (a LocalCluster of "
                          "N worker processes on this machine)")


def require_distributed() -> Any:
    """The `distributed` module, or DaskUnavailable saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise DaskUnavailable(f"--scheduler needs Dask's distributed scheduler, which is not "
                              f"installed here ({exc}); install the optional extra: "
                              f"{INSTALL}") from None
    return distributed


# ------------------------------------------------------------------ submissions by value
@dataclass(frozen=True)
class Payload:
    """A submission (or the starter code) by value: what a worker needs to grade it."""

    name: str            # the submission's name in the batch (its directory under --out)
    source: str          # where it lies on the client (result.json's and the gradebook's)
    fingerprint: str     # of its content on the client (what resuming compares)
    filename: str        # the .zip's file name or the directory's name (kept: messages use it)
    kind: str            # "zip" (data: the file's bytes) | "dir" (data: a tar of its files)
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:16]


def _tree(root: Path) -> Iterator[tuple[Path, bool]]:
    """(path, is_dir) of what staging copies from a directory (harness.grading.submission:
    no symlinks, no special files, no caches), in a stable order."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS
                             and not os.path.islink(os.path.join(dirpath, d)))
        for d in dirnames:
            yield Path(dirpath) / d, True
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                yield p, False


def _tar(root: Path) -> bytes:
    """The directory's files as a tar. Past the staging limits it stops one file beyond
    them, so the worker's staging refuses the submission with the same message."""
    buf = io.BytesIO()
    count = size = 0
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, is_dir in _tree(root):
            rel = path.relative_to(root).as_posix()
            if is_dir:
                info = tarfile.TarInfo(rel)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
                continue
            data = path.read_bytes()
            info = tarfile.TarInfo(rel)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
            count, size = count + 1, size + len(data)
            if count > MAX_FILES or size > MAX_BYTES:
                break
    return buf.getvalue()


def pack(sub: Submission) -> Payload:
    """The submission by value (its bytes), as the worker will grade it."""
    if sub.path.is_file():
        return Payload(sub.name, str(sub.path), sub.fingerprint, sub.path.name, "zip",
                       sub.path.read_bytes())
    return Payload(sub.name, str(sub.path), sub.fingerprint, sub.path.name, "dir",
                   _tar(sub.path))


def pack_dir(path: Path) -> Payload:
    """A directory that is not a submission (the starter code), by value."""
    return Payload(path.name, str(path), "", path.name, "dir", _tar(path))


@dataclass(frozen=True)
class RubricFiles:
    """The files a rubric names, by value: the starter code (a directory) and the adapter
    file of a user-declared API (harness/apis/user.py: one .toml or .py)."""

    starter: Payload | None = None
    adapter: Payload | None = None

    @property
    def digest(self) -> str:
        return "-".join(p.digest for p in (self.starter, self.adapter) if p is not None)


def rubric_files(rubric: Rubric) -> RubricFiles:
    api = Path(getattr(rubric, "api", "") or "")
    adapter = None
    if api.suffix in (".toml", ".py") and api.is_file():
        adapter = Payload(api.name, str(api), "", api.name, "file", api.read_bytes())
    return RubricFiles(pack_dir(Path(rubric.starter)) if rubric.starter else None, adapter)


def _extract(data: bytes, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python before 3.11.4
            for m in tar.getmembers():
                if m.name.startswith("/") or ".." in Path(m.name).parts \
                        or not (m.isfile() or m.isdir()):
                    raise ValueError(f"unsafe member {m.name!r}")
            tar.extractall(dest)


def unpack(payload: Payload, root: Path) -> Submission:
    """Write the payload under `root` (its own file or directory name kept) as a Submission
    that carries the client's fingerprint."""
    dest = root / payload.filename
    if payload.kind in ("zip", "file"):
        dest.write_bytes(payload.data)
    else:
        _extract(payload.data, dest)
    sub = Submission(payload.name, dest)
    sub.__dict__["fingerprint"] = payload.fingerprint   # the cached_property, as on the client
    return sub


# ------------------------------------------------------------------ on the workers
class _SharedHide:
    """Below namespaces, as root: the refused packages (torch, ...) unreadable for other users
    (so for the sandbox uids) while any grading worker process of this machine runs.

    Several worker processes share a machine and start and stop at different times, so the
    original modes and the pids that need them hidden live in one state file under a lock;
    the last one to leave (or the next one to come, after a SIGKILL) puts the modes back."""

    def __init__(self, state: Path | None = None) -> None:
        self.state = state or _private_dir() / "hidden.json"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        fd = os.open(self.state.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                data = json.loads(self.state.read_text())
            except (OSError, ValueError):
                data = {"modes": {}, "pids": []}
            data["pids"] = [p for p in data["pids"] if _alive(p)]
            if not data["pids"]:      # every holder died (SIGKILL): put the modes back first
                _restore(data)
            yield data
            if data["pids"] or data["modes"]:
                tmp = self.state.with_suffix(".tmp")
                tmp.write_text(json.dumps(data))
                os.replace(tmp, self.state)
            else:
                self.state.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def enter(self, paths: Iterable[Path], pid: int | None = None) -> None:
        """Hide `paths` (if not hidden already) for as long as `pid` (this process) runs."""
        pid = pid or os.getpid()
        with self._locked() as data:
            for p in dict.fromkeys(str(x) for x in paths):
                if p in data["modes"]:
                    continue      # hidden already, by this or another worker process
                with contextlib.suppress(OSError):
                    mode = stat.S_IMODE(os.stat(p).st_mode)
                    if mode & 0o007:
                        os.chmod(p, mode & ~0o007)
                        data["modes"][p] = mode
            if pid not in data["pids"]:
                data["pids"].append(pid)

    def leave(self, pid: int | None = None) -> None:
        pid = pid or os.getpid()
        with self._locked() as data:
            data["pids"] = [p for p in data["pids"] if p != pid]
            if not data["pids"]:
                _restore(data)


def _private_dir() -> Path:
    """A directory of this machine only root (we) can write, for the shared state."""
    d = Path("/run" if os.path.isdir("/run") else tempfile.gettempdir()) / "nnparity-dask"
    d.mkdir(mode=0o700, exist_ok=True)
    st = os.lstat(d)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise SandboxError(f"{d} is not a private directory of this user; remove it")
    return d


def _restore(data: dict[str, Any]) -> None:
    for p, mode in data["modes"].items():
        with contextlib.suppress(OSError):
            os.chmod(p, mode)
    data["modes"] = {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reference_cache() -> tuple[int, int]:
    """(built, reused) so far: the misses and hits of harness.core.twin's reference cache."""
    try:
        from harness.core import twin
        info = twin.cached_reference.cache_info()
        return info.misses, info.hits
    except Exception:  # noqa: BLE001 - a statistic only
        return 0, 0


class _Local(TypedDict, total=False):
    """A rubric's paths on this worker (`dataclasses.replace` of its `Rubric`)."""

    starter: str
    api: str


class WorkerGrading:
    """One worker process's grading: its sandbox uid and level, its graders, its scratch."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uid: int | None = None
        self.isolation: Isolation | None = None
        self.problem: str | None = None
        self.graders: dict[str, SubmissionGrader] = {}
        self.files: dict[str, Path] = {}        # digest -> a rubric's file unpacked here
        self.hide: _SharedHide | None = None
        self.worker: Any = None
        self.batch, self.current, self.ticks, self.sent = "", "", 0, 0.0
        self.graded = 0
        self.root: Path | None = None
        self.tempdir: str | None | bool = False    # tempfile.tempdir before setup (False: kept)

    def setup(self, worker: Any = None) -> None:
        """Claim the uid, choose the level and check the sandbox once (as a local batch does
        before it starts); import the grader and PyTorch now, not in the first task."""
        self.worker = worker
        _clean_stale_scratch()
        self.root = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))
        self.root.chmod(0o711)       # the sandbox uids may pass through, not list
        if worker is not None:
            # A Dask worker process grades only: its staging and its children's directories
            # go under its scratch, so that a worker killed mid-submission leaves nothing at
            # the top of /tmp, and the next worker process of this machine removes it all.
            self.tempdir, tempfile.tempdir = tempfile.tempdir, str(self.root)
        try:
            self.uid = claim_uid()
            self.isolation = choose(self.uid)
            level = self.isolation.level
            if self.uid is not None or level == "namespaces":
                self.problem = preflight(Policy(uid=self.uid, gid=self.uid, isolation=level))
        except SandboxError as exc:
            self.problem = str(exc)
        if self.problem is None and self.isolation is not None and self.isolation.level == "uid":
            from harness.grading.rubric import DEFAULT_REFUSED
            self.hide = _SharedHide()
            self.hide.enter(refused_package_dirs(DEFAULT_REFUSED))
        with contextlib.suppress(Exception):
            import harness.check.checker  # noqa: F401 - PyTorch loads with the first twin
            import reference  # noqa: F401      # not in the reference cache

    def teardown(self) -> None:
        with self.lock:
            if self.hide is not None:
                self.hide.leave()
                self.hide = None
            release_uid(self.uid)
            self.uid = None
            if not isinstance(self.tempdir, bool):   # (False: kept; it is never True)
                tempfile.tempdir, self.tempdir = self.tempdir, False
            for d in [self.root, *(p.parent for p in self.files.values())]:
                if d is not None:
                    shutil.rmtree(d, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        iso = self.isolation
        return {"host": socket.gethostname(), "pid": os.getpid(), "uid": self.uid,
                "nnparity": _version(),
                "level": iso.level if iso else None, "reason": iso.reason if iso else "",
                "problem": self.problem, "graded": self.graded,
                "reference": dict(zip(("built", "reused"), _reference_cache(), strict=True))}

    # -------------------------------------------------------------- progress
    def _tick(self, case_id: str) -> None:
        self.ticks += 1
        if time.monotonic() - self.sent >= TICK_SECONDS:
            self._flush()

    def _flush(self) -> None:
        if self.ticks and self.worker is not None:
            with contextlib.suppress(Exception):
                self.worker.log_event(TOPIC, {"batch": self.batch, "name": self.current,
                                              "n": self.ticks, "worker": self.worker.address})
        self.ticks, self.sent = 0, time.monotonic()

    # -------------------------------------------------------------- one submission
    def _unpacked(self, payload: Payload) -> Path:
        """A rubric's file or directory, unpacked once per content (its name kept) into a
        directory of this process (unguessable, ours alone to write), readable by the
        sandbox uids."""
        if payload.digest not in self.files:
            base = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-files-"))
            unpack(payload, base)
            for p in [base, *base.rglob("*")]:
                p.chmod(0o755 if p.is_dir() else 0o644)
            self.files[payload.digest] = base / payload.filename
        return self.files[payload.digest]

    def _adapter(self, payload: Payload) -> Path:
        """An API adapter, written where this process keeps the adapter of that client path:
        an API's name belongs to one adapter file per process (harness/apis/user.py), so a
        changed adapter replaces the old one there. It runs here, never in the sandbox."""
        assert self.root is not None, "setup() makes the root"
        d = self.root / "adapters" / hashlib.sha256(payload.source.encode()).hexdigest()[:16]
        d.mkdir(parents=True, exist_ok=True)
        path = d / payload.filename
        path.write_bytes(payload.data)
        return path

    def _grader(self, rubric: Rubric, files: RubricFiles | None) -> SubmissionGrader:
        files = files or RubricFiles()
        key = rubric.fingerprint() + files.digest
        if key not in self.graders:
            if self.hide is not None:
                self.hide.enter(refused_package_dirs(rubric.refuse_imports))
            local: _Local = {}
            if files.starter is not None:
                local["starter"] = str(self._unpacked(files.starter))
            if files.adapter is not None:
                local["api"] = str(self._adapter(files.adapter))
            rubric = dataclasses.replace(rubric, **local) if local else rubric
            if "api" in local:
                _ = rubric.api_spec    # reads the adapter: registers its ops in this process
            assert self.isolation is not None, "grade() grades only after setup() chose it"
            self.graders[key] = SubmissionGrader(rubric, self.uid, self.uid,
                                                 on_case=self._tick,
                                                 isolation=self.isolation.level)
        return self.graders[key]

    def grade(self, payload: Payload, rubric: Rubric, files: RubricFiles | None = None,
              batch: str = "") -> dict[str, Any]:
        """The result of one submission and how it went here (never raises for the
        submission's own failures; SandboxError when this worker cannot sandbox)."""
        with self.lock:
            started = time.time()
            if self.problem:
                raise SandboxError(f"the Dask worker on {socket.gethostname()} cannot run "
                                   f"submissions in the sandbox: {self.problem}")
            grader = self._grader(rubric, files)
            scratch = Path(tempfile.mkdtemp(dir=self.root))   # 0700: the bytes are ours only
            try:
                sub = unpack(payload, scratch)
                self.batch, self.current = batch, payload.name
                self.ticks, self.sent = 0, time.monotonic()
                built, reused = _reference_cache()
                t0 = time.time()
                result = grader.grade(sub)
                t1 = time.time()
                built2, reused2 = _reference_cache()
                self._flush()
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            # As graded where it lies: its path and the client's rubric (where the rubric's
            # files lie on this worker is not part of the grade).
            result["source"] = payload.source
            result["rubric"] = new_result(sub, rubric)["rubric"]
            self.graded += 1
            address = getattr(self.worker, "address", None) or socket.gethostname()
            return {"result": result, "address": address, "host": socket.gethostname(),
                    "pid": os.getpid(),
                    "started": started, "grade_start": t0, "grade_end": t1,
                    "ended": time.time(), "reference_built": built2 - built,
                    "reference_reused": reused2 - reused}


def _clean_stale_scratch() -> None:
    """Remove the scratch directories of worker processes of this machine that died."""
    for d in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}[0-9]*-*"):
        pid = d.name[len(WORK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


_LOCAL_STATE: WorkerGrading | None = None   # grade_packed called outside a Dask worker


def _state() -> WorkerGrading:
    global _LOCAL_STATE
    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    if worker is not None:
        plugin = worker.plugins.get(PLUGIN_NAME)
        if plugin is not None:
            assert isinstance(plugin, GradingPlugin), plugin   # registered under that name
            return plugin.state
    if _LOCAL_STATE is None:
        _LOCAL_STATE = WorkerGrading()
        _LOCAL_STATE.setup(worker)
    return _LOCAL_STATE


def grade_packed(payload: Payload, rubric: Rubric, files: RubricFiles | None = None,
                 batch: str = "") -> dict[str, Any]:
    """The task: grade one submission sent by value on this worker."""
    return _state().grade(payload, rubric, files, batch)


def _describe_worker(dask_worker: Any = None) -> dict[str, Any]:
    plugin = dask_worker.plugins.get(PLUGIN_NAME) if dask_worker is not None else None
    return plugin.state.describe() if plugin is not None else {"problem": "no nnparity plugin"}


if TYPE_CHECKING:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
else:
    try:
        from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
    except ImportError:     # the module imports without Dask (the client checks first)
        _WorkerPlugin = object


class GradingPlugin(_WorkerPlugin):
    """The nnparity grading state of a Dask worker process (see WorkerGrading)."""

    name = PLUGIN_NAME
    idempotent = True     # one per worker for its life, whichever client registers it

    def setup(self, worker: Any) -> None:
        self.state = WorkerGrading()
        self.state.setup(worker)

    def teardown(self, worker: Any) -> None:
        self.state.teardown()


# ------------------------------------------------------------------ on the client
class DaskTiming(TypedDict):
    """Where one submission's time went on the cluster (seconds), and the reference outputs
    its worker built and reused for it (`DaskRun.timings`)."""

    name: str
    pack_s: float
    grade_s: float
    dispatch_s: float
    worker_s: float
    return_s: float
    reference_built: int
    reference_reused: int


@dataclass
class DaskRun:
    """What the cluster did for one batch (BatchOutcome.dask)."""

    scheduler: str
    isolation: Isolation | None = None
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)   # at the start
    where: dict[str, str] = field(default_factory=dict)       # submission -> worker address
    timings: list[DaskTiming] = field(default_factory=list)   # per submission
    cluster_start_s: float = 0.0
    first_on_worker: set[str] = field(default_factory=set)    # each worker's first submission

    def overhead(self, steady: bool = True) -> dict[str, float] | None:
        """Mean seconds per submission spent on Dask rather than on grading: packing on the
        client, dispatch (from the worker being free, or the task being sent if later, to the
        task starting there), unpacking and bookkeeping on the worker, and the result's way
        back to the client. `steady`: without each worker's first submission (a worker that
        joins mid-batch starts up in it), unless there are no others. Clocks: the client's
        and the workers' (time.time()), so on several machines they must be synchronised."""
        rows = [t for t in self.timings if not steady or t["name"] not in self.first_on_worker]
        rows = rows or self.timings
        if not rows:
            return None
        parts: tuple[Literal["pack_s", "dispatch_s", "worker_s", "return_s"], ...] = (
            "pack_s", "dispatch_s", "worker_s", "return_s")
        mean: dict[str, float] = {p: sum(t[p] for t in rows) / len(rows) for p in parts}
        mean["total_s"] = sum(mean[p] for p in parts)
        mean["grade_s"] = sum(t["grade_s"] for t in rows) / len(rows)
        mean["share"] = mean["total_s"] / mean["grade_s"] if mean["grade_s"] else 0.0
        mean["submissions"] = len(rows)
        return mean

    def summary(self) -> str:
        o = self.overhead()
        hosts = sorted({w.get("host", "?") for w in self.workers.values()})
        text = (f"Dask {self.scheduler}: {len(self.where)} submission(s) on "
                f"{len(set(self.where.values()))} worker(s) ({', '.join(hosts)})")
        if self.cluster_start_s:
            text += f", cluster started in {self.cluster_start_s:.1f} s"
        if o:
            text += (f"; overhead {o['total_s']:.3f} s per submission ({o['share']:.1%} of its "
                     f"{o['grade_s']:.2f} s of grading: packing {o['pack_s']:.3f}, dispatch "
                     f"{o['dispatch_s']:.3f}, on the worker {o['worker_s']:.3f}, result "
                     f"{o['return_s']:.3f})")
        return text


@contextlib.contextmanager
def _quiet(level: int = logging.ERROR) -> Iterator[None]:
    """Dask's and tornado's loggers (each: distributed.client has a level of its own) no
    chattier than `level` while inside: the batch says what matters in its own words."""
    names = [n for n in list(logging.root.manager.loggerDict) + ["distributed", "tornado"]
             if n.split(".")[0] in ("distributed", "tornado")]
    loggers = [logging.getLogger(n) for n in dict.fromkeys(names)]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(lg.getEffectiveLevel(), level))
    try:
        yield
    finally:
        for lg, lv in zip(loggers, before, strict=True):
            lg.setLevel(lv)


@contextlib.contextmanager
def _client(scheduler: str, run: DaskRun) -> Iterator[Any]:
    distributed = require_distributed()
    kind, value = parse_scheduler(scheduler)
    cluster = None
    start = time.monotonic()
    try:
        if kind == "local":
            cluster = distributed.LocalCluster(
                n_workers=value, threads_per_worker=1, processes=True,
                dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(value)
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {value}: {exc}") from None
    try:
        client.register_plugin(GradingPlugin())
        run.cluster_start_s = time.monotonic() - start if cluster is not None else 0.0
        yield client
    finally:
        lost = client.status != "running"
        with _quiet(logging.CRITICAL if lost else logging.ERROR):
            with contextlib.suppress(Exception):
                client.close(timeout=5)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=10)


def _window(client: Any) -> int:
    """How many tasks to keep in flight: three per worker thread, at least eight."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # noqa: BLE001
        threads = 0
    return max(8, 3 * threads)


def grade_on_dask(pending: list[Submission], rubric: Rubric, out: Path, scheduler: str,
                  bar: Progress, finished: Callable[[Submission, dict[str, Any]], None],
                  say: Callable[[str], None], task: Callable[..., dict[str, Any]] = grade_packed
                  ) -> DaskRun:
    """Grade `pending` on the Dask cluster at `scheduler` (or local:N), writing each result
    into `out` as it arrives; each submission is one `task` (`grade_packed`'s arguments).
    DaskUnavailable when the cluster cannot be used, SandboxError when a worker cannot run
    the sandbox, SchedulerLost when the scheduler goes away."""
    run = DaskRun(scheduler)
    files = rubric_files(rubric)
    with _quiet(), _client(scheduler, run) as client:
        try:
            run.workers = client.run(_describe_worker)
        except Exception as exc:  # noqa: BLE001 - a worker leaving right now, say
            say(f"could not ask the Dask workers how they sandbox ({exc}); their tasks say")
        mine = _version()
        other = {a: w.get("nnparity") for a, w in run.workers.items()
                 if w.get("nnparity") not in (None, mine)}
        if other:
            raise DaskUnavailable(f"the Dask worker(s) {', '.join(sorted(other))} run nnparity "
                                  f"{', '.join(sorted({str(v) for v in other.values()}))}, "
                                  "this client "
                                  f"{mine}: install the same version everywhere")
        broken = {a: w["problem"] for a, w in run.workers.items() if w.get("problem")}
        if broken:
            raise SandboxError("cannot run submissions in the sandbox on the Dask worker(s) " +
                               "; ".join(f"{a}: {p}" for a, p in sorted(broken.items())))
        levels = sorted({(w["level"], w["reason"]) for w in run.workers.values()})
        for level, reason in levels:
            if level != "namespaces":
                say(f"on {sum(w['level'] == level for w in run.workers.values())} Dask "
                    f"worker(s): {Isolation(level, reason).warning()}")
        if levels:
            run.isolation = Isolation(*levels[0])
        else:
            say(f"no Dask worker has joined the scheduler at {scheduler} yet; the tasks wait "
                "for one")
        ticks: queue.SimpleQueue = queue.SimpleQueue()
        client.subscribe_topic(TOPIC, lambda event: ticks.put(event[1]))
        _loop(client, pending, rubric, files, out, bar, finished, run, ticks, task)
    return run


def _loop(client: Any, pending: list[Submission], rubric: Rubric, files: RubricFiles,
          out: Path, bar: Progress, finished: Callable[[Submission, dict[str, Any]], None],
          run: DaskRun, ticks: queue.SimpleQueue, task: Callable[..., dict[str, Any]]) -> None:
    """Keep a window of tasks in flight and record each result as it arrives. A task lost
    with the workers that died under it (KilledWorker: Dask counts a death against every
    task on that worker, queued ones too) is a suspect: once everything else is graded, the
    suspects are graded again one at a time, each alone on the cluster, and only one whose
    workers die then too is recorded as internal_error."""
    from distributed import KilledWorker, as_completed

    todo = deque(pending)
    suspects: deque[Submission] = deque()
    alone: set[str] = set()               # the suspects sent alone
    running: dict[Any, tuple[Submission, float, float]] = {}   # future -> (sub, pack_s, sent)
    counted: dict[str, int] = {}          # cases shown on the bar, per submission
    done: set[str] = set()
    last_end: dict[str, float] = {}       # worker address -> when its last task ended
    ac = as_completed()
    batch = uuid.uuid4().hex
    window, sized = _window(client), time.monotonic()

    def advance(name: str, n: int) -> None:
        n = min(n, rubric.case_count - counted.get(name, 0))
        if n > 0 and name not in done:
            counted[name] = counted.get(name, 0) + n
            bar.advance(n)

    def send(sub: Submission) -> None:
        t = time.perf_counter()
        payload = pack(sub)
        pack_s = time.perf_counter() - t
        fut = client.submit(task, payload, rubric, files, batch, pure=False,
                            key=f"nnparity-grade-{sub.name}-{uuid.uuid4().hex[:8]}")
        running[fut] = (sub, pack_s, time.time())
        ac.add(fut)

    def refill() -> None:
        while todo and len(running) < window:
            send(todo.popleft())
        if suspects and not todo and not running:
            alone.add(suspects[0].name)
            send(suspects.popleft())

    def record(sub: Submission, result: dict[str, Any]) -> None:
        done.add(sub.name)
        write_submission(out, result, rubric)
        finished(sub, result)

    refill()
    while running:
        arrived = ac.next_batch(block=False)
        while True:
            try:
                event = ticks.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, dict) and event.get("batch") == batch:
                advance(str(event.get("name")), int(event.get("n", 0)))
        if not arrived:
            if client.status != "running":
                _lost(client, run, out, len(pending), len(done), "the connection closed")
            time.sleep(0.02)
            continue
        for fut in arrived:
            sub, pack_s, sent = running.pop(fut)
            try:
                answer = fut.result()
            except CancelledError as exc:
                reason = getattr(exc, "reason", None) or "its futures were cancelled"
                _lost(client, run, out, len(pending), len(done),
                      "the connection to it was lost" if reason == "scheduler-connection-lost"
                      else reason)
            except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
                if isinstance(exc, KilledWorker) and sub.name not in alone:
                    suspects.append(sub)
                    continue
                message = (f"the Dask workers grading this submission died "
                           f"{exc.allowed_failures + 1} times while it was alone on the "
                           f"cluster (the last: {getattr(exc.last_worker, 'address', '?')})"
                           if isinstance(exc, KilledWorker)
                           else f"the Dask worker failed: {type(exc).__name__}: {exc}")
                advance(sub.name, rubric.case_count)
                record(sub, fail(new_result(sub, rubric), rubric, "internal_error", message))
                continue
            got = time.time()
            address = answer["address"]
            advance(sub.name, rubric.case_count)
            record(sub, answer["result"])
            run.where[sub.name] = address
            if address not in last_end:
                run.first_on_worker.add(sub.name)
            free = max(sent, last_end.get(address, 0.0))
            last_end[address] = answer["ended"]
            grade_s = answer["grade_end"] - answer["grade_start"]
            run.timings.append({
                "name": sub.name, "pack_s": pack_s, "grade_s": grade_s,
                "dispatch_s": max(answer["started"] - free, 0.0),
                "worker_s": max(answer["ended"] - answer["started"] - grade_s, 0.0),
                "return_s": max(got - answer["ended"], 0.0),
                "reference_built": answer["reference_built"],
                "reference_reused": answer["reference_reused"]})
        if time.monotonic() - sized > 2.0:
            window, sized = _window(client), time.monotonic()
        refill()


def _lost(client: Any, run: DaskRun, out: Path, total: int, saved: int, why: str) -> None:
    raise SchedulerLost(
        f"lost the Dask scheduler at {run.scheduler} mid-batch ({why}): {saved} of {total} "
        f"submission(s) graded here were saved in {out}, the others are 'pending' in its "
        "gradebook. Restart the scheduler and its workers (Dask's workers stop without it) "
        "and rerun the same command: it resumes from what was saved")
