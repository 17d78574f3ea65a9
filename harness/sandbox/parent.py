"""Run an implementation in a separate process and talk to it in plain arrays.

`Sandbox` starts ``python -m harness.child`` (harness/sandbox/child.py) in a fresh temporary
directory, in its own process group, with a scrubbed environment, and sends it one request
per case (`run`) or one batch of cases (`run_many`, answered case by case as each finishes).
A case that takes longer than its time limit, or a child that dies (``os._exit``, a
segfault, a resource limit), is reported as an `Outage` of that case; the child is killed
with its whole process group and a fresh one is started for the next case (in a batch: for
the cases after it), so one bad case never sinks the others.

What the implementation prints (Python or C level, stdout and stderr) goes through a pipe that
the parent drains while it waits for an answer: every case's output is kept up to
`Limits.output_bytes` and the rest is counted, so a submission that prints 100 MB neither
fills a disk nor blocks.

Grading adds a `Policy` (harness/grading): resource limits set inside the child before the
implementation is imported (address space, CPU time, processes, file size), refused imports,
the old-NumPy compatibility shim and, when nnparity runs as root, a dedicated unprivileged uid.
Every process of that uid is killed on close, so nothing survives, not even processes that
left the process group. Claiming that uid, starting Python as it, and killing and removing what
it left are in harness/sandbox/confine.py.

Where the kernel allows it, the child also runs in namespaces of its own
(harness/sandbox/isolation.py, through bubblewrap): it sees a read-only root with Python, NumPy
and the other allowed packages (harness/sandbox/packages.py), nnparity's harness and
student_nn, its own copy of the implementation, an empty private /tmp and working directory
(tmpfs of `Limits.disk_mb` each, gone with it), its own processes only, and no network.
Without namespaces (`isolation` "uid" or "process") it sees the machine as its uid does, but
for site packages: the child imports the allowed ones only
(`harness.sandbox.packages.SiteGate`). `Sandbox.isolation` says which level applies.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import io
import math
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from harness.core import wire
from harness.core.loading import Loader, LoadError
from harness.core.registry import APIS, default_api
from harness.sandbox import isolation
from harness.sandbox.confine import (
    TOKEN_VAR,
    Runtime,
    SandboxError,
    _kill_marked,
    become_subreaper,
    claim_uid,
    kill_uid,
    reap_adopted,
    release_uid,
    remove_files_of,
    remove_tree,
    runtime_for,
    unreadable,
)
from harness.sandbox.loader import BUNDLED_ALIAS
from harness.sandbox.visible import PROJECT_ROOT, SOLUTION, child_files

KEEP_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")
TAIL_BYTES = 8000                   # output kept for a death notice
KEPT_NOTES = 100                    # refused imports and stand-ins kept per child
# The end of the time budget the sandboxes of this thread work within (`within_budget`).
_BUDGET_END: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "nnparity_budget_end", default=None)


@dataclass(frozen=True)
class Limits:
    """Limits for the child.

    case_seconds bounds one case's wall-clock time, startup_seconds the child's start (Python,
    NumPy and the implementation's imports). The others apply only when set (grading sets them):
    case_cpu_seconds: CPU time per case (a soft RLIMIT_CPU moved before every case);
    process_cpu_seconds: CPU time of one child process over its life (hard RLIMIT_CPU);
    memory_mb: address space (RLIMIT_AS); processes: processes and threads of the child's uid
    (RLIMIT_NPROC, meaningful with a dedicated uid); file_mb: largest file it may write
    (RLIMIT_FSIZE); output_bytes: printed output kept per case (the rest is counted);
    disk_mb: what it may store in its /tmp and in its working directory, each (in namespaces,
    where both are size-limited tmpfs that go with it; not enforced at the other levels).
    """

    case_seconds: float = 20.0
    startup_seconds: float = 60.0
    case_cpu_seconds: float | None = None
    process_cpu_seconds: float | None = None
    memory_mb: int | None = None
    processes: int | None = None
    file_mb: int | None = None
    output_bytes: int = 4000
    disk_mb: int | None = None

    def rlimits(self) -> str:
        """The child's ``--rlimits`` argument."""
        parts = {"as": self.memory_mb and self.memory_mb * 2**20,
                 "cpu": self.process_cpu_seconds and math.ceil(self.process_cpu_seconds),
                 "nproc": self.processes,
                 "fsize": self.file_mb and self.file_mb * 2**20}
        return ",".join(f"{k}={int(v)}" for k, v in parts.items() if v)


@dataclass(frozen=True)
class Policy:
    """What else the child may (not) do; the default changes nothing (used by `check`).

    uid/gid: run as this user (needs root); refuse_imports: top-level modules the
    implementation may not import (each attempt is reported with its file and line);
    numpy_compat: restore aliases removed from NumPy (np.int, np.product, ...) before import;
    isolation: "auto" (the best the machine allows, see harness/sandbox/isolation.py), or a level:
    "namespaces" (an error where they are not available), "uid" or "process" (none).
    """

    uid: int | None = None
    gid: int | None = None
    refuse_imports: tuple[str, ...] = ()
    numpy_compat: bool = False
    isolation: str = "auto"


@dataclass(frozen=True)
class Outage:
    """The child produced no answer: it timed out or died."""

    status: str   # "timeout" | "crashed"
    detail: str
    stage: str = "run"   # "start": while starting Python and importing the package


class BudgetSpent(Exception):
    """The time budget (`within_budget`) ended before a request could start or before its
    answer came; the child that was running it has been stopped."""


@contextlib.contextmanager
def within_budget(deadline: float | None) -> Iterator[None]:
    """Inside, the sandboxes of this thread start no request once `deadline` (a
    time.monotonic() value; None: no budget) has passed, and wait for no answer past it:
    they raise BudgetSpent instead. A budget inside another ends at the earlier deadline."""
    outer = _BUDGET_END.get()
    if deadline is None or (outer is not None and outer < deadline):
        deadline = outer
    token = _BUDGET_END.set(deadline)
    try:
        yield
    finally:
        _BUDGET_END.reset(token)


def _budget_end(seconds: float) -> float:
    """When a wait of `seconds` from now ends: then, or at the budget's end if sooner."""
    end = time.monotonic() + seconds
    budget = _BUDGET_END.get()
    return end if budget is None else min(end, budget)


def _budget_spent() -> bool:
    budget = _BUDGET_END.get()
    return budget is not None and time.monotonic() >= budget


# ------------------------------------------------------------------ starting the child
def child_env(home: Path | str, runtime: Runtime | None = None, token: str = ""
              ) -> dict[str, str]:
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    runtime = runtime or Runtime((sys.executable,))
    env.update(
        HOME=str(home), TMPDIR=str(home),
        PYTHONPATH=os.pathsep.join((str(PROJECT_ROOT), *runtime.pythonpath)),
        PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONNOUSERSITE="1",
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
        **runtime.env,
    )
    if token:
        env[TOKEN_VAR] = token
    return env


# Run in the child's sandbox by `preflight`: NumPy and nnparity import, torch & co. do not.
PREFLIGHT = ("import importlib.util, sys, numpy, harness.child\n"
             "found = [m for m in sys.argv[1:] if importlib.util.find_spec(m)]\n"
             "sys.exit('importable in the sandbox: ' + ', '.join(found) if found else 0)\n")


def preflight(policy: Policy) -> str | None:
    """Start the child's interpreter as the policy's user once; None if it works, else why not.

    Run once before a batch, so that a machine where the unprivileged child cannot import
    NumPy or nnparity fails with one clear message instead of a crash per submission. In
    namespaces, it also checks that torch, tensorflow and jax are not importable there.
    """
    try:
        level = isolation.level_for(policy.isolation, policy.uid)
        runtime = runtime_for(policy.uid, policy.gid) if level != "namespaces" \
            else Runtime((sys.executable,))
    except SandboxError as exc:
        return str(exc)
    hidden = isolation.HIDDEN_PACKAGES if level == "namespaces" else ()
    with tempfile.TemporaryDirectory(prefix="nnparity-preflight-") as tmp:
        home, private_tmp = Path(tmp, "home"), Path(tmp, "tmp")
        home.mkdir()
        private_tmp.mkdir()
        if policy.uid is not None:
            for d in (tmp, home, private_tmp):
                os.chown(d, policy.uid, policy.gid if policy.gid is not None else -1)
        prefix, cwd, inside = [], home, str(home)
        if level == "namespaces":
            prefix = isolation.bwrap_argv(home, private_tmp, [], policy.uid, policy.gid)
            inside = isolation.HOME
        try:
            proc = subprocess.run(
                [*prefix, *runtime.argv, "-c", PREFLIGHT, *hidden], cwd=cwd,
                env=child_env(inside, runtime), capture_output=True, timeout=120,
                stdin=subprocess.DEVNULL, pass_fds=runtime.fds,
                **(_user_kwargs(policy) if level != "namespaces" else {}))
        except (OSError, subprocess.SubprocessError) as exc:
            return f"cannot start the child's interpreter: {exc}"
    if proc.returncode != 0:
        who = f"uid {policy.uid}" if policy.uid is not None else "the child"
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        if tail and tail[-1].startswith("importable in the sandbox"):
            return (f"{tail[-1]} (harness/sandbox/isolation.py binds only the site packages "
                    "of harness/sandbox/packages.py's ALLOWED)")
        return (f"{who} cannot import numpy and nnparity ({' | '.join(tail)}); the project "
                f"({PROJECT_ROOT}) and the Python installation must be readable by every user")
    return None


@contextlib.contextmanager
def unprivileged(reads: list[Path]) -> Iterator[tuple[int | None, str]]:
    """For children that are not graded (`check`'s) but should not run as root either: as
    root, a sandbox uid of this process's own, claimed as a grading worker claims one
    (`claim_uid`) and held while inside: (uid, ""); or (None, why not) when that uid could not
    run Python or read `reads` (the implementation, the starter code: judged from the mode
    bits), and the children run as root without capabilities instead. Not root: (None, "")."""
    uid = claim_uid()
    why = _cannot_run(uid, reads) if uid is not None else ""
    if why:
        release_uid(uid)
        uid = None
    try:
        yield uid, why
    finally:
        release_uid(uid)


def _cannot_run(uid: int, reads: list[Path]) -> str:
    """Why `uid` cannot run the child on `reads` and the project, or ""."""
    try:
        runtime_for(uid, uid)
        namespaced = isolation.level_for("auto", uid) == "namespaces"
    except SandboxError as exc:
        return str(exc)
    # the child's own modules, not all of harness/: a grader hides the rest from its uid
    # (harness/sandbox/visible.py), and that must not make `check` run without a uid
    own = [f for f in child_files() if f.suffix == ".py"]
    for path in [*own, *(p.resolve() for p in reads)]:
        # in namespaces the directory around it is bound, below directories bwrap made
        start = _holder(path if path.is_dir() else path.parent) if namespaced else Path("/")
        bad = unreadable(path, uid, uid, start)
        if bad is not None:
            return f"uid {uid} cannot read {bad}"
    return ""


def _capless(uid: int | None) -> list[str]:
    """As root without a uid to drop to and without namespaces (where bwrap drops them): the
    prefix that starts the child without any capability and without gaining any."""
    setpriv = shutil.which("setpriv")
    if uid is not None or os.geteuid() != 0 or setpriv is None:
        return []
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]


def _user_kwargs(policy: Policy) -> dict[str, Any]:
    if policy.uid is None:
        return {}
    return {"user": policy.uid, "group": policy.gid if policy.gid is not None else policy.uid,
            "extra_groups": []}


# ------------------------------------------------------------------ the pipes
class _Output:
    """What the child printed: the head of each case's output and the tail of everything.

    In a batch the child writes `marker` after each case's output (before its answer), so
    each case keeps what it printed: `finished` holds the texts of the cases whose marker has
    been read, oldest first. The marker itself is never part of the text."""

    def __init__(self, keep: int, marker: bytes = b"") -> None:
        self.keep, self.head, self.cut, self.tail = keep, bytearray(), 0, b""
        self.marker, self.carry = marker, b""
        self.finished: list[str] = []

    def add(self, data: bytes) -> None:
        if not self.marker:
            self._add(data)
            return
        data, self.carry = self.carry + data, b""
        while True:
            at = data.find(self.marker)
            if at < 0:
                break
            self._add(data[:at])
            self.finished.append(self._text())
            data = data[at + len(self.marker):]
        keep = _prefix_suffix(data, self.marker)   # a marker cut between two reads
        self.carry = data[len(data) - keep:] if keep else b""
        self._add(data[:len(data) - keep])

    def _add(self, data: bytes) -> None:
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
        self.cut += max(0, len(data) - max(room, 0))
        self.tail = (self.tail + data)[-TAIL_BYTES:]

    def _text(self) -> str:
        text = self.head.decode(errors="replace")
        if self.cut:
            text += f"\n... [{self.cut} more bytes of output cut]"
        self.head, self.cut = bytearray(), 0
        return text

    def take(self) -> str:
        """The oldest finished case's output (a batch), else everything since the last take."""
        return self.finished.pop(0) if self.finished else self._text()


def _prefix_suffix(data: bytes, marker: bytes) -> int:
    """The length of the longest end of `data` that is a proper start of `marker`."""
    for n in range(min(len(marker) - 1, len(data)), 0, -1):
        if data.endswith(marker[:n]):
            return n
    return 0


class _Channel:
    """The protocol pipes of one child, used with a deadline; drains its output meanwhile."""

    def __init__(self, proc: subprocess.Popen, out_fd: int, output: _Output) -> None:
        self.proc, self.out_fd, self.output = proc, out_fd, output
        assert proc.stdout is not None and proc.stdin is not None   # started with PIPEs
        self.rfd = proc.stdout.fileno()
        self.wfd = proc.stdin.fileno()
        self.deadline = 0.0

    def _wait(self, fd: int, write: bool) -> None:
        """Block until `fd` is ready, collecting output meanwhile; TimeoutError at the deadline."""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            rlist = ([] if write else [fd]) + ([self.out_fd] if self.out_fd >= 0 else [])
            r, w, _ = select.select(rlist, [fd] if write else [], [], remaining)
            if self.out_fd in r:
                self._read_output()
            if w or fd in r:
                return

    def _read_output(self) -> bool:
        """One read of the output pipe; False when there is nothing (more) to read."""
        try:
            data = os.read(self.out_fd, 1 << 16)
        except BlockingIOError:
            return False
        if not data:
            os.close(self.out_fd)
            self.out_fd = -1
            return False
        self.output.add(data)
        return True

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._wait(self.wfd, write=True)
            view = view[os.write(self.wfd, view[: 1 << 16]):]

    def read(self, n: int) -> bytes:
        self._wait(self.rfd, write=False)
        return os.read(self.rfd, min(n, 1 << 20))

    def drain_ready(self, reads: int = 64, until_finished: int | None = None) -> None:
        """Collect what is already in the output pipe (up to `reads` reads: a background
        process may print forever), without waiting for more; with `until_finished`, stop
        once that many cases' outputs are finished (their markers read)."""
        for _ in range(reads):
            if until_finished is not None and len(self.output.finished) >= until_finished:
                return
            if self.out_fd < 0 or not self._read_output():
                return


_SLOW = "(an infinite loop, or far too slow)"


@dataclass
class _Batch:
    """A batch out at the child: how many answers are still due, and those read already
    (for another request) but not yet yielded."""

    pending: int
    answers: collections.deque = field(default_factory=collections.deque)


# ------------------------------------------------------------------ the sandbox
# The directories of this process's sandboxes that have not been closed: a sandbox that
# cleans up after its uid leaves them to their own sandboxes (a substitution rerun's child
# runs as the same uid as the submission's).
_RUNNING: set[Path] = set()


class Sandbox:
    """One implementation in one child process, restarted after a timeout or crash.

    `share` is the directory the child may see around the implementation (grading passes the
    staged copy of the submission); by default the directory holding the package. In
    namespaces it is bound read-only under /sandbox/submission, the starter under
    /sandbox/starter, and the child is given those paths.
    """

    def __init__(self, impl: str | Path, graded: tuple[str, ...] | None = None,
                 limits: Limits | None = None, policy: Policy | None = None,
                 starter: str | Path | None = None, share: str | Path | None = None,
                 loader: Loader | None = None, substitute: tuple[str, ...] = ()) -> None:
        self.impl = str(impl)
        self.substitute = substitute   # modules from student_nn (harness/check/substitute.py)
        self.loader = loader or default_api().loader   # how the child imports it
        self.graded = graded
        self.starter = str(starter) if starter else None   # the course's starter code
        self.limits = limits or Limits()
        self.policy = policy or Policy()
        self.isolation = isolation.level_for(self.policy.isolation, self.policy.uid)
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None
        self.tmpdir: Path | None = None           # for the child's /tmp (namespaces)
        self.starts = 0
        self.refused: list[dict[str, Any]] = []   # refused imports the child reported
        self.standins: set[str] = set()           # packages the child imported as stand-ins
        self.removed_files: list[str] = []        # files the child left in /tmp and the like
        self._channel: _Channel | None = None
        self._pinged = False                      # the running child answered its ping
        self._batch: _Batch | None = None         # the batch whose answers are still due
        self._token = uuid.uuid4().hex
        self._marker = f"\0nnparity-case-end-{uuid.uuid4().hex}\0".encode()
        self._child_pid: int | None = None
        self._mounts: list[tuple[str, str]] = []
        self._child_impl, self._child_starter = self.impl, self.starter
        # a graded child whose rubric refuses student_nn holds no solution: only copies of
        # the student_nn modules it borrows (never of what it grades); any child is given
        # copies of the other files it runs with (a course handout's stand-in), which it
        # cannot see where they are
        self.solution = "student_nn" not in self.policy.refuse_imports
        self._staged = {name: file for name, file in self._staged_modules().items()
                        if not (self.solution and file.is_relative_to(PROJECT_ROOT / SOLUTION))}
        if self.isolation == "namespaces":
            self._child_impl = self._mount(self.impl, share, isolation.SUBMISSION_ROOT)
            if self.starter:
                self._child_starter = self._mount(self.starter, None,
                                                  isolation.STARTER_ROOT)

    @property
    def namespaced(self) -> bool:
        return self.isolation == "namespaces"

    def _mount(self, path: str, share: str | Path | None, root: str) -> str:
        """Bind the directory around `path` read-only under `root`; `path` inside the sandbox.

        Paths the sandbox already has (the bundled student_nn) and paths that do not exist
        (the child reports them) are passed unchanged."""
        p = Path(path).expanduser().resolve()
        if p.is_file():  # a function API's module given as a file (layers.py)
            p = p.parent
        bound = isolation.PROJECT_ROOT / SOLUTION
        if not p.exists() or (self.solution and p.is_relative_to(bound)):
            return path
        # (by this loader's folder names: another API registered in this process, an
        # adapter whose package is "nn", must not make mytorch/ hold itself and hide CTC/)
        around = Path(share).resolve() if share else _holder(p, self.loader.dirs)
        if not p.is_relative_to(around):
            around = _holder(p, self.loader.dirs)
        dest = isolation.mount_point(root, around)
        self._mounts.append((str(around), dest))
        rel = p.relative_to(around).as_posix()
        return dest if rel == "." else f"{dest}/{rel}"

    def _staged_modules(self) -> dict[str, Path]:
        """The bundled modules this child is given copies of (`Loader.staged`): a package
        implementation's borrowed ones and what they import, never its graded ones."""
        try:
            package = self.loader.locate(self.impl)
        except LoadError:
            return {}   # the child reports it
        return self.loader.staged(package, self.graded,
                                  Path(self.starter) if self.starter else None, self.substitute)

    def _stage(self) -> None:
        """Copy the staged bundled modules into the child's working directory."""
        if not self._staged:
            return
        assert self.workdir is not None   # made by _start first
        dest = self.workdir / BUNDLED_ALIAS
        dest.mkdir(mode=0o755)
        for module, source in self._staged.items():
            shutil.copyfile(source, dest / f"{module}.py")
            (dest / f"{module}.py").chmod(0o644)

    # -------------------------------------------------------------- lifecycle
    def _command(self) -> list[str]:
        uid, gid = self.policy.uid, self.policy.gid
        if self.namespaced:
            assert self.workdir is not None and self.tmpdir is not None   # made by _start
            cmd = [*isolation.bwrap_argv(self.workdir, self.tmpdir, self._mounts, uid, gid,
                                         self.solution, self.limits.disk_mb),
                   sys.executable]
        else:
            cmd = [*_capless(uid), *runtime_for(uid, gid).argv]
        cmd += ["-m", "harness.child", self._child_impl]   # the child's entry point
        if self.graded:
            cmd += ["--graded", ",".join(self.graded)]
        if self._child_starter:
            cmd += ["--starter", self._child_starter]
        if self.substitute:
            cmd += ["--substitute", ",".join(self.substitute)]
        if self._staged:
            home = isolation.HOME if self.namespaced else str(self.workdir)
            cmd += ["--bundled", f"{home}/{BUNDLED_ALIAS}"]
        if self.limits.rlimits():
            cmd += ["--rlimits", self.limits.rlimits()]
        if self.policy.refuse_imports:
            cmd += ["--refuse", ",".join(self.policy.refuse_imports)]
        if self.policy.numpy_compat:
            cmd.append("--numpy-compat")
        return cmd + self.loader.child_args()

    def _start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="nnparity-child-"))
        _RUNNING.add(self.workdir)
        self._stage()
        if self.namespaced:   # bound at /tmp by a bwrap without a tmpfs size (else unused)
            self.tmpdir = Path(tempfile.mkdtemp(prefix="nnparity-tmp-"))
            _RUNNING.add(self.tmpdir)
        uid, gid = self.policy.uid, self.policy.gid
        if uid is not None:
            for d in filter(None, (self.workdir, self.tmpdir)):
                os.chown(d, uid, gid if gid is not None else uid)
            become_subreaper()
        runtime = Runtime((sys.executable,)) if self.namespaced else runtime_for(uid, gid)
        home = isolation.HOME if self.namespaced else self.workdir
        out_r, out_w = os.pipe()
        os.set_blocking(out_r, False)
        self._child_pid = None
        try:
            self.proc = subprocess.Popen(
                self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=out_w,
                cwd=self.workdir, env=child_env(home, runtime, self._token),
                start_new_session=True, umask=0o077, pass_fds=runtime.fds,
                **({} if self.namespaced else _user_kwargs(self.policy)))
        except BaseException:
            os.close(out_r)
            raise
        finally:
            os.close(out_w)
        self._channel = _Channel(self.proc, out_r, _Output(self.limits.output_bytes,
                                                           self._marker))
        self.starts += 1

    def close(self) -> None:
        """Kill the child's whole process group (and, with a dedicated uid, every process of
        that uid; in namespaces, its whole PID namespace, whose /tmp goes with it) and remove
        its working directory and the files it left behind."""
        if self.proc is not None and self.namespaced:   # while its tmpfs /tmp is there
            self.removed_files += self._left_in_tmp()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            if self.policy.uid is not None:
                kill_uid(self.policy.uid)
            else:
                _kill_marked(self._token)
            self.proc.wait()
            if self.policy.uid is not None:
                reap_adopted()
            for stream in (self.proc.stdin, self.proc.stdout):
                assert stream is not None   # started with PIPEs
                with contextlib.suppress(OSError):
                    stream.close()
            if self._channel is not None and self._channel.out_fd >= 0:
                os.close(self._channel.out_fd)
            self.proc = self._channel = None
            self._child_pid = None
        if self.tmpdir is not None:
            remove_tree(self.tmpdir)
            _RUNNING.discard(self.tmpdir)
            self.tmpdir = None
        if self.workdir is not None:
            remove_tree(self.workdir)
            _RUNNING.discard(self.workdir)
            self.workdir = None
            if self.policy.uid is not None:   # not another sandbox's of that uid (issue #26)
                self.removed_files += remove_files_of(self.policy.uid, keep=_RUNNING)

    def _left_in_tmp(self) -> list[str]:
        """What the child has at the top of its private /tmp (read while it runs, when it is
        a tmpfs), but the directories bwrap made there to bind things below it."""
        pid = self.child_pid()
        where = f"/proc/{pid}/root/tmp" if isolation.sized_tmpfs() else self.tmpdir
        try:
            if where is None or os.path.samestat(os.stat(where), os.stat("/tmp")):
                return []   # no child, or not the sandbox's own /tmp: nothing to say
            names = os.listdir(where)
        except OSError:
            return []
        ours = isolation.under_tmp(self._mounts)
        return [f"/tmp/{name}" for name in sorted(names) if name not in ours]

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def child_pid(self) -> int | None:
        """The pid of the child's Python (in namespaces, below bwrap's two processes)."""
        if self.proc is None:
            return None
        if not self.namespaced:
            return self.proc.pid
        if self._child_pid is None:
            pid: int | None = self.proc.pid
            for _ in range(3):   # bwrap's monitor, bwrap's init (PID 1 inside), Python
                if pid is None or _comm(pid) not in ("bwrap", "setpriv"):
                    break
                pid = _first_child(pid)
            # Right after the fork, before bwrap runs, proc.pid still has the parent's name:
            # it is not the child (and must not be taken for it), nor is a bwrap process.
            if pid == self.proc.pid or (pid is not None and _comm(pid) in ("bwrap", "setpriv")):
                return None
            self._child_pid = pid
        return self._child_pid

    # -------------------------------------------------------------- requests
    def run(self, request: Mapping[str, object], inputs: dict[str, np.ndarray]
            ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        """Send one request; the answer, or an Outage after which the child is replaced.

        The answer's header carries ``stdout``: what the implementation printed meanwhile.
        """
        # Starting Python and importing the implementation gets its own time budget; what
        # the import prints stays in the output buffer for the first answer.
        self._refuse_when_spent()
        self._collect_batch()
        failed = self._ensure_started()
        if failed is not None:
            return failed
        self._limit_case_cpu()
        return self._exchange(request, inputs, self.limits.case_seconds, _SLOW)

    def start(self) -> None:
        """Start the child now, without waiting for it (the next request waits for its start):
        so Python, NumPy and the implementation load while the parent does other work."""
        if self.proc is None:
            self._start()
            self._pinged = False
            self._send_ping()

    def _send_ping(self) -> None:
        buf = io.BytesIO()
        wire.write_message(buf, {"cmd": "ping"})
        channel = self._channel
        assert channel is not None   # just started
        channel.deadline = _budget_end(self.limits.startup_seconds)
        with contextlib.suppress(TimeoutError, OSError):   # a dead child: the answer says so
            channel.send(buf.getvalue())

    def _ensure_started(self) -> Outage | None:
        """Start the child if needed and wait for its ping's answer; an Outage (stage
        "start") when it does not come. What the import printed stays for the first answer."""
        if self.proc is None:
            self.start()
        if self._pinged:
            return None
        started = self._answer(self.limits.startup_seconds,
                               "to start (an import that never ends?)", keep_output=True)
        if isinstance(started, Outage):
            return Outage(started.status, started.detail, "start")
        self._pinged = True
        return None

    def run_many(self, requests: list[tuple[dict[str, Any], dict[str, np.ndarray]]]
                 ) -> Generator[tuple[dict[str, Any], dict[str, np.ndarray]] | Outage,
                                None, None]:
        """Send `run` requests as one batch; yields each answer, in order, as `run` would give
        it one by one (each with what that case printed, each case within its own time and
        CPU limits, measured from the previous answer).

        The first Outage is yielded and ends the batch (the child is replaced): it belongs
        to the case that was running, so the caller resends the cases after it, in a fresh
        child, and one bad case never costs the others their verdicts. A caller that stops
        early leaves nothing behind: the rest of the batch's answers are read and dropped
        (or, when they do not come in time, the child is replaced). Another request while a
        batch is out (judging one case may rerun another, e.g. a model's localization) first
        reads the batch's remaining answers, which this iterator then yields."""
        if not requests:
            return
        self._refuse_when_spent()
        self._collect_batch()
        failed = self._ensure_started()
        if failed is not None:
            yield failed
            return
        header = {"cmd": "batch", "runs": [r for r, _ in requests],
                  "case_cpu_seconds": self.limits.case_cpu_seconds,
                  "marker": self._marker.decode()}
        arrays = {f"{i}/{k}": v for i, (_, inputs) in enumerate(requests)
                  for k, v in inputs.items()}
        buf = io.BytesIO()
        wire.write_message(buf, header, arrays)
        sent = self._send(buf.getvalue(), self.limits.case_seconds, _SLOW)
        if sent is not None:
            yield sent
            return
        batch = self._batch = _Batch(len(requests))
        try:
            for _ in requests:
                answer = batch.answers.popleft() if batch.answers else self._batch_answer(batch)
                yield answer
                if isinstance(answer, Outage):
                    return
        finally:
            if self._batch is batch:
                self._batch = None
                self._drop_answers(batch)

    def _batch_answer(self, batch: _Batch) -> tuple[dict[str, Any], dict[str, np.ndarray]] \
            | Outage:
        """The next answer of `batch` from the child."""
        if batch.pending <= 0 or self.proc is None:   # closed under the batch
            batch.pending = 0
            return Outage("crashed", "the child was stopped before it answered")
        answer = self._answer(self.limits.case_seconds, _SLOW)
        batch.pending = 0 if isinstance(answer, Outage) else batch.pending - 1
        return answer

    def _collect_batch(self) -> None:
        """Read the answers still due for the batch that is out into its queue (before
        another request goes to the child)."""
        batch, self._batch = self._batch, None
        while batch is not None and batch.pending > 0:
            batch.answers.append(self._batch_answer(batch))

    def _drop_answers(self, batch: _Batch) -> None:
        """Read and drop the answers still due for an abandoned batch; replace the child if
        they do not all come within their time limits."""
        while batch.pending > 0:
            if isinstance(self._batch_answer(batch), Outage):
                self.close()
                return

    def _send(self, data: bytes, seconds: float, what: str) -> Outage | None:
        """Send one message within `seconds`; an Outage when the child does not take it."""
        channel = self._channel
        assert channel is not None   # the child is started
        channel.deadline = _budget_end(seconds)
        try:
            channel.send(data)
        except TimeoutError:
            return self._timed_out(seconds, what)
        except OSError:
            return self._death_notice()
        return None

    def _answer(self, seconds: float, what: str, keep_output: bool = False,
                deadline: float | None = None
                ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        """Wait for the next answer, at most `seconds` (or until `deadline`), and never past
        the budget's end (`within_budget`)."""
        channel = self._channel
        assert channel is not None   # the child is started
        channel.deadline = deadline if deadline is not None else _budget_end(seconds)
        try:
            header, arrays = wire.read_message(channel)  # type: ignore[arg-type]
        except TimeoutError:
            return self._timed_out(seconds, what)
        except (wire.WireError, OSError):
            return self._death_notice()
        if header.get("batched"):   # its output ends at its marker, already in the pipe
            channel.drain_ready(until_finished=1)
        else:
            channel.drain_ready()
        if not keep_output:
            header["stdout"] = channel.output.take()
        header.pop("batched", None)
        self.refused.extend(_first(header.pop("refused", []), KEPT_NOTES - len(self.refused)))
        self.standins.update(_first(header.pop("standins", []),
                                    KEPT_NOTES - len(self.standins)))
        return header, arrays

    def _refuse_when_spent(self) -> None:
        """No request starts once the budget (`within_budget`) has ended."""
        if _budget_spent():
            raise BudgetSpent("the time budget ended before this request")

    def _timed_out(self, seconds: float, what: str) -> Outage:
        """The child did not answer in time: it is stopped. An Outage of the case when its own
        limit ended the wait; BudgetSpent when the budget's end did."""
        self.close()
        if _budget_spent():
            raise BudgetSpent("the time budget ended before the child answered")
        return Outage("timeout", f"no answer within {seconds:g} s {what}")

    def _exchange(self, request: Mapping[str, object], inputs: dict[str, np.ndarray],
                  seconds: float, what: str, keep_output: bool = False
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        """One request and its answer, both within `seconds`."""
        buf = io.BytesIO()
        wire.write_message(buf, request, inputs)
        sent = self._send(buf.getvalue(), seconds, what)
        if sent is not None:
            return sent
        assert self._channel is not None   # _send succeeded: the child is running
        return self._answer(seconds, what, keep_output, deadline=self._channel.deadline)

    def _limit_case_cpu(self) -> None:
        """Move the child's soft CPU limit to (CPU used so far) + the case's CPU allowance."""
        seconds = self.limits.case_cpu_seconds
        pid = self.child_pid() if seconds else None
        if pid is None:
            return
        assert seconds is not None   # else pid is None
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            _, hard = resource.prlimit(pid, resource.RLIMIT_CPU)
            soft = math.ceil(used + seconds)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.prlimit(pid, resource.RLIMIT_CPU, (soft, hard))
        except (OSError, ValueError, IndexError):
            pass

    def _death_notice(self) -> Outage:
        proc, channel = self.proc, self._channel
        assert proc is not None and channel is not None   # called while the child runs
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        channel.drain_ready()
        tail = channel.output.tail.decode(errors="replace").strip()
        self.close()
        status = "crashed"
        if self.namespaced and code is not None and code > 128 and _is_signal(code - 128):
            code = 128 - code   # bwrap exits with 128 + N for a child killed by signal N
        if code is None:
            what = "the child process broke the protocol (it wrote to nnparity's channel?)"
        elif code < 0:
            sig = signal.Signals(-code)
            what = f"the process was killed by signal {sig.name}"
            if sig == signal.SIGXCPU:
                status, what = "timeout", what + " (CPU time limit exceeded)"
            elif sig == signal.SIGXFSZ:
                what += f" (it wrote a file larger than the {self.limits.file_mb} MB limit)"
            elif sig == signal.SIGSEGV:
                what += " (a segmentation fault: invalid memory access, e.g. through ctypes)"
            elif sig == signal.SIGKILL:
                what += " (killed from outside, e.g. out of memory)"
        else:
            what = f"the process exited with code {code} (os._exit?)"
        return Outage(status, what + self._last_words(tail))

    def _last_words(self, tail: str) -> str:
        """The end of what a dead child printed; for a fatal error, where it happened."""
        if not tail:
            return ""
        fatal = tail.rfind("Fatal Python error")
        if fatal < 0:
            return f"; its last words: {tail[-1500:]}"
        lines = tail[fatal:].splitlines()
        frames = [f"{m[1]}:{m[2]} in {m[3]}" for m in
                  re.finditer(r'File "(.+?)", line (\d+) in (\S+)', tail[fatal:])]
        package = (str(PurePosixPath(self._child_impl).parent) if self.namespaced
                   else str(Path(self.impl).resolve().parent)) + os.sep
        own = [f.replace(package, "") for f in frames if f.startswith(package)]
        where = own or frames[:3]
        return f"; {lines[0].strip()}" + (f" at {'; '.join(where)}" if where else "")


# ------------------------------------------------------------------ helpers
def _package_dirs() -> tuple[str, ...]:
    """The folder names any registered API's package may have."""
    return tuple(dict.fromkeys(name for api in APIS.values()
                               for name in (*api.loader.dirs, api.package)))


def _holder(impl: Path, dirs: tuple[str, ...] | None = None) -> Path:
    """The directory around an implementation: itself when it holds the package (a folder
    named as in `dirs`, its loader's; default: any registered API's), else the directory
    holding it (never the file system's root)."""
    names = _package_dirs() if dirs is None else dirs
    if any((impl / name).is_dir() for name in names) or impl.parent == impl \
            or impl.parent == impl.parent.parent:
        return impl
    return impl.parent


def _first(items: Any, n: int) -> list[Any]:
    """At most the first `n` entries of a list the child sent (nothing if it is no list)."""
    return items[:max(n, 0)] if isinstance(items, list) else []


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.index(b"(") + 1:data.rindex(b")")].decode(errors="replace")
    except (OSError, ValueError):
        return ""


def _first_child(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return None
    return int(kids[0]) if kids else None


def _is_signal(n: int) -> bool:
    try:
        signal.Signals(n)
    except ValueError:
        return False
    return True
