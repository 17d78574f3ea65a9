"""Confine a submission to a uid of its own, so that all it started and wrote can be removed.

When nnparity runs as root, every grading worker claims a dedicated unprivileged uid
(`claim_uid`): one that belongs to no account and to no other nnparity process. Every process
and file of a submission then carries that uid, so whatever it started, however it forked or
detached, can be found and killed (`kill_uid`), and whatever it left in /tmp and the like can
be found and removed (`remove_files_of`), without touching anything else. Without root, the
processes are found by a token in their environment instead (`_kill_marked`).

Also here: how to start the child's Python so that such a uid can run it (`runtime_for`), and
reaping the orphans this process adopts as a subreaper.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.sandbox.packages import allowed_site
from harness.sandbox.visible import forget_uid

TOKEN_VAR = "NNPARITY_SANDBOX"      # marks every process a sandbox started (see _kill_marked)
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


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


def _allows(path: str | Path, uid: int, gid: int | None, need: int) -> bool:
    """Whether the mode bits of `path` give uid/gid (no supplementary groups; no group at
    all when gid is None) `need` (an octal "other" mask: 1 = x, 4 = r, 5 = r-x)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    shift = 6 if st.st_uid == uid else 3 if st.st_gid == gid else 0
    return (st.st_mode >> shift) & need == need


def _can_use(path: str, uid: int, gid: int | None, final: int) -> bool:
    """Whether uid/gid (no supplementary groups) can reach `path` and use it with `final` bits
    (as `_allows`), judged from the mode bits alone."""
    p = Path(path)
    return all(_allows(part, uid, gid, 1) for part in reversed(p.parents)) \
        and _allows(p, uid, gid, final)


def unreadable(path: Path, uid: int, gid: int, reach_from: Path = Path("/"),
               limit: int = 5000) -> Path | None:
    """What stops uid/gid (no supplementary groups) reading `path` from `reach_from` on,
    judged from the mode bits: a directory from `reach_from` down to `path` it cannot pass
    (x), or `path` or a directory (r-x) or Python file (r) under it that it cannot read; None
    when nothing does. Caches and hidden directories are skipped, and at most `limit` entries
    are looked at."""
    above = [d for d in reversed(path.parents) if d.is_relative_to(reach_from)]
    blocked = next((d for d in above if not _allows(d, uid, gid, 1)), None)
    if blocked is not None or not _allows(path, uid, gid, 5 if path.is_dir() else 4):
        return blocked or path
    for where, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name, need in [(d, 5) for d in dirs] + [(f, 4) for f in files if f.endswith(".py")]:
            limit -= 1
            if limit < 0:
                return None
            if not _allows(os.path.join(where, name), uid, gid, need):
                return Path(where, name)
    return None


@functools.cache
def runtime_for(uid: int | None, gid: int | None) -> Runtime:
    """How the child's Python is started below namespaces for `uid` (`_interpreter`), without
    the site module and with only the allowed packages on its path
    (harness/sandbox/packages.py `allowed_site`)."""
    runtime = _interpreter(uid, gid)
    home = runtime.env.get("PYTHONHOME")   # the installation, reached through an open fd
    through = (os.path.realpath(sys.base_prefix), home) if home else None
    return Runtime((*runtime.argv, "-S"), runtime.env, runtime.fds, (allowed_site(through),))


@functools.cache
def _opened(directory: str) -> int:
    """A descriptor of `directory`, opened once per process: the same number every time, so
    links made through ``/proc/self/fd/N`` (`allowed_site`) stay valid for every child."""
    return os.open(directory, os.O_RDONLY | os.O_DIRECTORY)


def _interpreter(uid: int | None, gid: int | None) -> Runtime:
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
    fd = _opened(base)
    home = f"/proc/self/fd/{fd}"
    env = {"PYTHONHOME": home, "LD_LIBRARY_PATH": f"{home}/lib"}
    if os.path.realpath(sys.prefix) != base:  # a virtual environment: its site-packages too
        extra = [d for d in site_dirs if not d.startswith(base + os.sep)]
        if not all(_can_use(d, uid, gid, 5) for d in extra):
            raise SandboxError(f"the unprivileged child cannot read {', '.join(extra)}; make "
                               "the virtual environment readable by every user")
        return Runtime((home + exe[len(base):],), env, (fd,), tuple(extra))
    return Runtime((home + exe[len(base):],), env, (fd,))


# ------------------------------------------------------------------ a uid of its own
UID_FIRST = int(os.environ.get("NNPARITY_UID_BASE", "64000"))
UID_COUNT = 1000
_claimed: dict[int, int] = {}   # uid -> fd of its lock file, held while this process lives


def claim_uid() -> int | None:
    """A uid for this process's sandboxes, or None when we are not root.

    The uid belongs to no account (no passwd entry) and to no other nnparity process (each
    holds a lock file per uid), so sandboxes of concurrent graders cannot signal each other or
    share a process limit, and killing "every process of the uid" touches nothing else.
    Whatever a previous, interrupted grader left under the uid (processes, files, the
    project's ACL entries) is cleaned up first.
    """
    if os.geteuid() != 0:
        return None
    import fcntl
    import pwd

    uid_lock_path(UID_FIRST).parent.mkdir(mode=0o700, exist_ok=True)
    for uid in range(UID_FIRST, UID_FIRST + UID_COUNT):
        if uid in _claimed:
            continue
        try:
            pwd.getpwuid(uid)
            continue                      # a real account
        except KeyError:
            pass
        fd = os.open(uid_lock_path(uid), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _claimed[uid] = fd
        kill_uid(uid)
        remove_files_of(uid)
        forget_uid(uid)   # the ACL entries a killed grader of this uid left on the project
        return uid
    raise SandboxError(f"no free uid in {UID_FIRST}..{UID_FIRST + UID_COUNT - 1} "
                       "(set NNPARITY_UID_BASE to another range)")


def uid_lock_path(uid: int) -> Path:
    """The lock file an nnparity process holds (flock) while `uid` is its sandboxes'."""
    lockdir = Path("/run" if os.path.isdir("/run") else tempfile.gettempdir()) / "nnparity-uids"
    return lockdir / f"{uid}.lock"


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


def processes_left_under(uid: int) -> list[int]:
    """Live processes of a released `uid` while no nnparity process holds it again (looked
    at under its lock). Another grader may claim the uid as soon as it is released and run
    its own sandboxes there, and claiming kills whatever was left, so a claimed uid gives []."""
    import fcntl

    try:
        fd = os.open(uid_lock_path(uid), os.O_RDWR)
    except OSError:
        return processes_of(uid)   # never claimed on this machine
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return processes_of(uid)
    except BlockingIOError:
        return []
    finally:
        os.close(fd)


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


def remove_files_of(uid: int, dirs: tuple[str, ...] = SCRATCH_DIRS,
                    keep: Iterable[str | Path] = ()) -> list[str]:
    """Remove what `uid` left at the top of world-writable directories, but `keep` (the
    directories the parent made for its sandboxes still running as `uid`); what was
    removed."""
    kept = {os.path.abspath(k) for k in keep}
    removed = []
    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid or \
                        os.path.abspath(entry.path) in kept:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    remove_tree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                continue
    return removed


def remove_tree(path: str | Path) -> None:
    """Remove a tree whatever its depth (3,000 nested directories overflow shutil.rmtree's
    recursion and PATH_MAX) and also one the child made unreadable (chmod 000) for us as
    non-root: an explicit stack, each directory made ours (rwx) before it is listed; what a
    path too long to name is left to coreutils' rm, which walks by file descriptors. Symbolic
    links are removed, never followed; the directory holding the tree is never touched."""
    root = os.path.abspath(path)
    if not os.path.lexists(root):
        return
    if os.path.islink(root) or not os.path.isdir(root):
        with contextlib.suppress(OSError):
            os.unlink(root)
        return
    dirs, stack = [], [root]
    while stack:
        d = stack.pop()
        dirs.append(d)
        with contextlib.suppress(OSError):
            os.chmod(d, stat.S_IRWXU)
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    for d in reversed(dirs):   # the deepest first
        with contextlib.suppress(OSError):
            os.rmdir(d)
    if os.path.lexists(root):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", root], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
