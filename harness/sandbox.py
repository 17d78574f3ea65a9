"""Run an implementation in a separate process and talk to it in plain arrays.

`Sandbox` starts ``python -m harness.child`` in a fresh temporary directory, in its own
process group, with a scrubbed environment, and sends it one request per case. A case that
takes longer than its time limit, or a child that dies (``os._exit``, a segfault, a resource
limit), is reported as an `Outage`; the child is killed with its whole process group and a
fresh one is started for the next case, so one bad case never sinks the others.

What the implementation prints (Python or C level, stdout and stderr) goes through a pipe that
the parent drains while it waits for an answer: every case's output is kept up to
`Limits.output_bytes` and the rest is counted, so a submission that prints 100 MB neither
fills a disk nor blocks.

Grading adds a `Policy` (harness/grading): resource limits set inside the child before the
implementation is imported (address space, CPU time, processes, file size), refused imports,
the old-NumPy compatibility shim and, when nnparity runs as root, a dedicated unprivileged uid.
The child can then read the project (read-only) and its own copy of the submission, and write
nothing but its working directory and world-writable places such as /tmp, which are cleaned
when the sandbox closes; every process of that uid is killed on close, so nothing survives,
not even processes that left the process group.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness import wire

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")
TOKEN_VAR = "NNPARITY_SANDBOX"      # marks every process a sandbox started (see _kill_marked)
TAIL_BYTES = 8000                   # output kept for a death notice
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


@dataclass(frozen=True)
class Limits:
    """Limits for the child.

    case_seconds bounds one case's wall-clock time, startup_seconds the child's start (Python,
    NumPy and the implementation's imports). The others apply only when set (grading sets them):
    case_cpu_seconds: CPU time per case (a soft RLIMIT_CPU moved before every case);
    process_cpu_seconds: CPU time of one child process over its life (hard RLIMIT_CPU);
    memory_mb: address space (RLIMIT_AS); processes: processes and threads of the child's uid
    (RLIMIT_NPROC, meaningful with a dedicated uid); file_mb: largest file it may write
    (RLIMIT_FSIZE); output_bytes: printed output kept per case (the rest is counted).
    """

    case_seconds: float = 20.0
    startup_seconds: float = 60.0
    case_cpu_seconds: float | None = None
    process_cpu_seconds: float | None = None
    memory_mb: int | None = None
    processes: int | None = None
    file_mb: int | None = None
    output_bytes: int = 4000

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
    numpy_compat: restore aliases removed from NumPy (np.int, np.product, ...) before import.
    """

    uid: int | None = None
    gid: int | None = None
    refuse_imports: tuple[str, ...] = ()
    numpy_compat: bool = False


@dataclass(frozen=True)
class Outage:
    """The child produced no answer: it timed out or died."""

    status: str   # "timeout" | "crashed"
    detail: str
    stage: str = "run"   # "start": while starting Python and importing the package


class SandboxError(RuntimeError):
    """The sandbox cannot be set up on this machine; the message says how to fix it."""


# ------------------------------------------------------------------ the child's interpreter
@dataclass(frozen=True)
class Runtime:
    """How to start Python for the child: argv prefix, extra environment, fds to pass."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    fds: tuple[int, ...] = ()
    pythonpath: tuple[str, ...] = ()    # besides the project (a virtual environment's site)


def _can_use(path: str, uid: int, gid: int, final: int) -> bool:
    """Whether uid/gid (no supplementary groups) can reach `path` and use it with `final` bits
    (an octal "other" mask: 1 = x, 4 = r, 5 = r-x), judged from the mode bits alone."""
    p = Path(path)
    for i, part in enumerate([*reversed(p.parents), p]):
        try:
            st = os.stat(part)
        except OSError:
            return False
        need = final if i == len(p.parents) else 1
        shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
        if (st.st_mode >> shift) & need != need:
            return False
    return True


@functools.cache
def runtime_for(uid: int | None, gid: int | None) -> Runtime:
    """How the child's Python is started for `uid` (None: as we are).

    An interpreter installed under a private directory (pyenv in /root, say) cannot be reached
    by an unprivileged uid. Then its prefix is opened here and passed to the child as an open
    directory: the child runs ``/proc/self/fd/N/bin/python`` with PYTHONHOME there, which
    reaches that directory's (world-readable) contents without searching the private parents.
    """
    if uid is None:
        return Runtime((sys.executable,))
    exe = os.path.realpath(sys.executable)
    base = os.path.realpath(sys.base_prefix)
    paths = sysconfig.get_paths()
    site_dirs = sorted({paths["purelib"], paths["platlib"]})
    if _can_use(exe, uid, gid, 5) and _can_use(paths["stdlib"], uid, gid, 5) \
            and all(_can_use(d, uid, gid, 5) for d in site_dirs):
        return Runtime((sys.executable,))
    if not exe.startswith(base + os.sep):
        raise SandboxError(f"the unprivileged child cannot run {sys.executable}, and it does not "
                           f"live under sys.base_prefix ({base}); install Python where every "
                           "user can read it")
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    home = f"/proc/self/fd/{fd}"
    env = {"PYTHONHOME": home, "LD_LIBRARY_PATH": f"{home}/lib"}
    if os.path.realpath(sys.prefix) != base:  # a virtual environment: its site-packages too
        extra = [d for d in site_dirs if not d.startswith(base + os.sep)]
        if not all(_can_use(d, uid, gid, 5) for d in extra):
            raise SandboxError(f"the unprivileged child cannot read {', '.join(extra)}; make "
                               "the virtual environment readable by every user")
        return Runtime((home + exe[len(base):],), env, (fd,), tuple(extra))
    return Runtime((home + exe[len(base):],), env, (fd,))


def child_env(home: Path, runtime: Runtime | None = None, token: str = "") -> dict[str, str]:
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


def preflight(policy: Policy) -> str | None:
    """Start the child's interpreter as the policy's user once; None if it works, else why not.

    Run once before a batch, so that a machine where the unprivileged child cannot import
    NumPy or nnparity fails with one clear message instead of a crash per submission.
    """
    try:
        runtime = runtime_for(policy.uid, policy.gid)
    except SandboxError as exc:
        return str(exc)
    with tempfile.TemporaryDirectory(prefix="nnparity-preflight-") as tmp:
        if policy.uid is not None:
            os.chown(tmp, policy.uid, policy.gid if policy.gid is not None else -1)
        try:
            proc = subprocess.run(
                [*runtime.argv, "-c", "import numpy, harness.child"], cwd=tmp,
                env=child_env(Path(tmp), runtime), capture_output=True, timeout=120,
                pass_fds=runtime.fds, **_user_kwargs(policy))
        except (OSError, subprocess.SubprocessError) as exc:
            return f"cannot start the child's interpreter: {exc}"
    if proc.returncode != 0:
        who = f"uid {policy.uid}" if policy.uid is not None else "the child"
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return (f"{who} cannot import numpy and nnparity ({' | '.join(tail)}); the project "
                f"({PROJECT_ROOT}) and the Python installation must be readable by every user")
    return None


def _user_kwargs(policy: Policy) -> dict[str, Any]:
    if policy.uid is None:
        return {}
    return {"user": policy.uid, "group": policy.gid if policy.gid is not None else policy.uid,
            "extra_groups": []}


# ------------------------------------------------------------------ a uid of its own
UID_FIRST = int(os.environ.get("NNPARITY_UID_BASE", "64000"))
UID_COUNT = 1000
_claimed: dict[int, int] = {}   # uid -> fd of its lock file, held while this process lives


def claim_uid() -> int | None:
    """A uid for this process's sandboxes, or None when we are not root.

    The uid belongs to no account (no passwd entry) and to no other nnparity process (each
    holds a lock file per uid), so sandboxes of concurrent graders cannot signal each other or
    share a process limit, and killing "every process of the uid" touches nothing else.
    Whatever a previous, interrupted grader left under the uid is cleaned up first.
    """
    if os.geteuid() != 0:
        return None
    import fcntl
    import pwd

    lockdir = Path("/run" if os.path.isdir("/run") else tempfile.gettempdir()) / "nnparity-uids"
    lockdir.mkdir(mode=0o700, exist_ok=True)
    for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
        if uid in _claimed:
            continue
        try:
            pwd.getpwuid(uid)
            continue                      # a real account
        except KeyError:
            pass
        fd = os.open(lockdir / f"{uid}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _claimed[uid] = fd
        kill_uid(uid)
        remove_files_of(uid)
        return uid
    raise SandboxError(f"no free uid in {UID_FIRST}..{UID_FIRST + UID_COUNT - 1} "
                       "(set NNPARITY_UID_BASE to another range)")


def release_uid(uid: int | None) -> None:
    fd = _claimed.pop(uid, None) if uid is not None else None
    if fd is not None:
        os.close(fd)


# ------------------------------------------------------------------ cleaning up after a uid
def _proc_stat(pid: str) -> tuple[str, int] | None:
    """(state, uid) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0].decode()
        return state, os.stat(f"/proc/{pid}").st_uid
    except (OSError, IndexError):
        return None


def processes_of(uid: int) -> list[int]:
    """Live (not zombie) processes owned by `uid`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        st = _proc_stat(pid)
        if st is not None and st[1] == uid and st[0] not in ("Z", "X"):
            found.append(int(pid))
    return found


def kill_uid(uid: int) -> None:
    """Kill every process of `uid`, however it forked or detached (we must be root).

    A helper process takes the uid and calls kill(-1, SIGKILL), which reaches every process
    of that uid at once, so a fork storm cannot outrun it; repeated until none is left.
    """
    for _ in range(50):
        if not processes_of(uid):
            return
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the helper
            try:
                os.setgroups([])
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.02)


def _marked(token: str) -> list[int]:
    """Live processes whose environment carries `token`."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                marked = needle in f.read().split(b"\0")
        except OSError:
            continue
        st = _proc_stat(pid)
        if marked and st is not None and st[0] not in ("Z", "X"):
            found.append(int(pid))
    return found


def _kill_marked(token: str) -> None:
    """Without a dedicated uid: kill the processes whose environment carries our token
    (descendants that left the process group with setsid still inherit it), until none is
    left alive."""
    for _ in range(50):
        pids = _marked(token)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def remove_files_of(uid: int, dirs: tuple[str, ...] = SCRATCH_DIRS) -> list[str]:
    """Remove what `uid` left at the top of world-writable directories; what was removed."""
    removed = []
    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    _rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                continue
    return removed


def _rmtree(path: str | Path) -> None:
    """Remove a tree, also one the child made unreadable (chmod 000) for us as non-root."""
    def retry(func, p, _exc):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
            func(p)
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=retry)
    else:
        shutil.rmtree(path, onerror=retry)
    shutil.rmtree(path, ignore_errors=True)


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux), so that killed grandchildren can be reaped here
    instead of lingering as zombies that count against their uid's process limit."""
    with contextlib.suppress(Exception):
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap_adopted() -> None:
    """Reap this process's zombie children (orphans it adopted as a subreaper)."""
    me = os.getpid()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == b"Z" and int(fields[1]) == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(int(pid), os.WNOHANG)


# ------------------------------------------------------------------ the pipes
class _Output:
    """What the child printed: the head of each case's output and the tail of everything."""

    def __init__(self, keep: int) -> None:
        self.keep, self.head, self.cut, self.tail = keep, bytearray(), 0, b""

    def add(self, data: bytes) -> None:
        room = self.keep - len(self.head)
        if room > 0:
            self.head += data[:room]
        self.cut += max(0, len(data) - max(room, 0))
        self.tail = (self.tail + data)[-TAIL_BYTES:]

    def take(self) -> str:
        text = self.head.decode(errors="replace")
        if self.cut:
            text += f"\n... [{self.cut} more bytes of output cut]"
        self.head, self.cut = bytearray(), 0
        return text


class _Channel:
    """The protocol pipes of one child, used with a deadline; drains its output meanwhile."""

    def __init__(self, proc: subprocess.Popen, out_fd: int, output: _Output) -> None:
        self.proc, self.out_fd, self.output = proc, out_fd, output
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

    def drain_ready(self, reads: int = 64) -> None:
        """Collect what is already in the output pipe (up to `reads` reads: a background
        process may print forever), without waiting for more."""
        for _ in range(reads):
            if self.out_fd < 0 or not self._read_output():
                return


# ------------------------------------------------------------------ the sandbox
class Sandbox:
    """One implementation in one child process, restarted after a timeout or crash."""

    def __init__(self, impl: str | Path, graded: tuple[str, ...] | None = None,
                 limits: Limits | None = None, policy: Policy | None = None) -> None:
        self.impl = str(impl)
        self.graded = graded
        self.limits = limits or Limits()
        self.policy = policy or Policy()
        self.proc: subprocess.Popen | None = None
        self.workdir: Path | None = None
        self.starts = 0
        self.refused: list[dict[str, Any]] = []   # refused imports the child reported
        self.removed_files: list[str] = []        # files the child left in /tmp and the like
        self._channel: _Channel | None = None
        self._token = uuid.uuid4().hex

    # -------------------------------------------------------------- lifecycle
    def _command(self) -> list[str]:
        runtime = runtime_for(self.policy.uid, self.policy.gid)
        cmd = [*runtime.argv, "-m", "harness.child", self.impl]
        if self.graded:
            cmd += ["--graded", ",".join(self.graded)]
        if self.limits.rlimits():
            cmd += ["--rlimits", self.limits.rlimits()]
        if self.policy.refuse_imports:
            cmd += ["--refuse", ",".join(self.policy.refuse_imports)]
        if self.policy.numpy_compat:
            cmd.append("--numpy-compat")
        return cmd

    def _start(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="nnparity-child-"))
        uid, gid = self.policy.uid, self.policy.gid
        if uid is not None:
            os.chown(self.workdir, uid, gid if gid is not None else uid)
            become_subreaper()
        runtime = runtime_for(uid, gid)
        out_r, out_w = os.pipe()
        os.set_blocking(out_r, False)
        try:
            self.proc = subprocess.Popen(
                self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=out_w,
                cwd=self.workdir, env=child_env(self.workdir, runtime, self._token),
                start_new_session=True, umask=0o077, pass_fds=runtime.fds,
                **_user_kwargs(self.policy))
        except BaseException:
            os.close(out_r)
            raise
        finally:
            os.close(out_w)
        self._channel = _Channel(self.proc, out_r, _Output(self.limits.output_bytes))
        self.starts += 1

    def close(self) -> None:
        """Kill the child's whole process group (and, with a dedicated uid, every process of
        that uid) and remove its working directory and the files it left behind."""
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
                with contextlib.suppress(OSError):
                    stream.close()
            if self._channel is not None and self._channel.out_fd >= 0:
                os.close(self._channel.out_fd)
            self.proc = self._channel = None
        if self.workdir is not None:
            _rmtree(self.workdir)
            self.workdir = None
            if self.policy.uid is not None:
                self.removed_files += remove_files_of(self.policy.uid)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------- requests
    def run(self, request: dict[str, Any], inputs: dict[str, np.ndarray]
            ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        """Send one request; the answer, or an Outage after which the child is replaced.

        The answer's header carries ``stdout``: what the implementation printed meanwhile.
        """
        if self.proc is None:
            self._start()
            # Starting Python and importing the implementation gets its own time budget; what
            # the import prints stays in the output buffer for the first answer.
            started = self._exchange({"cmd": "ping"}, {}, self.limits.startup_seconds,
                                     "to start (an import that never ends?)", keep_output=True)
            if isinstance(started, Outage):
                return Outage(started.status, started.detail, "start")
        self._limit_case_cpu()
        return self._exchange(request, inputs, self.limits.case_seconds,
                              "(an infinite loop, or far too slow)")

    def _exchange(self, request: dict[str, Any], inputs: dict[str, np.ndarray],
                  seconds: float, what: str, keep_output: bool = False
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray]] | Outage:
        channel = self._channel
        channel.deadline = time.monotonic() + seconds
        try:
            buf = io.BytesIO()
            wire.write_message(buf, request, inputs)
            channel.send(buf.getvalue())
            header, arrays = wire.read_message(channel)  # type: ignore[arg-type]
        except TimeoutError:
            self.close()
            return Outage("timeout", f"no answer within {seconds:g} s {what}")
        except (wire.WireError, OSError):
            return self._death_notice()
        channel.drain_ready()
        if not keep_output:
            header["stdout"] = channel.output.take()
        self.refused.extend(header.pop("refused", []))
        return header, arrays

    def _limit_case_cpu(self) -> None:
        """Move the child's soft CPU limit to (CPU used so far) + the case's CPU allowance."""
        seconds = self.limits.case_cpu_seconds
        if not seconds or self.proc is None:
            return
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            used = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_CPU)
            soft = math.ceil(used + seconds)
            if hard != resource.RLIM_INFINITY:
                soft = min(soft, hard)
            resource.prlimit(self.proc.pid, resource.RLIMIT_CPU, (soft, hard))
        except (OSError, ValueError, IndexError):
            pass

    def _death_notice(self) -> Outage:
        proc, channel = self.proc, self._channel
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        channel.drain_ready()
        tail = channel.output.tail.decode(errors="replace").strip()
        self.close()
        status = "crashed"
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
        package = str(Path(self.impl).resolve().parent) + os.sep
        own = [f.replace(package, "") for f in frames if f.startswith(package)]
        where = own or frames[:3]
        return f"; {lines[0].strip()}" + (f" at {'; '.join(where)}" if where else "")
