"""How far a sandboxed child is isolated, and the bubblewrap command that isolates it.

Three levels, the best one the machine allows, decided once per process (`choose`):

    namespaces  the child runs under bubblewrap (``bwrap``) in its own mount, PID, IPC, UTS
                and network namespaces: it sees a read-only root holding only /usr, the
                Python installation with NumPy and the few pure-Python packages of
                harness/sandbox/packages.py's ALLOWED (no other site package: torch,
                tensorflow and jax are not there at all), of nnparity only the modules the
                child runs (harness/sandbox/visible.py; student_nn too for a child that may
                import it), its own copy
                of the submission (read-only), the starter code if any, a private /proc
                that shows its own processes only, a minimal /dev, an empty private /tmp and
                working directory (tmpfs of a limited size that go with it: its disk quota);
                no network but a loopback of its own. As root, bwrap
                builds the sandbox with root's rights and ``setpriv`` drops to the worker's
                unprivileged uid before Python starts; as another user, bwrap uses an
                unprivileged user namespace.
    uid         no namespaces (bwrap missing, or forbidden, as in Docker's default profile),
                but nnparity runs as root: the child runs as a uid of its own
                (harness/sandbox/confine.py), its private copy is readable by that uid alone, and
                for the batch the submissions' sources, the output directory, the rubric and
                the refused packages (torch, ...) are made unreadable for other users
                (`hidden_from_others`, in harness/grading/batch.py).
    process     neither: the child is only a separate process of the same user.

``NNPARITY_ISOLATION`` = auto (the default: the best available) | namespaces (fail when they
are not available) | uid or process (do not use namespaces, e.g. to measure their cost).

Why bubblewrap rather than our own ``unshare``/``mount`` calls: setting up a mount namespace
safely (pivot_root, the order of bind and read-only remounts, /proc and /dev for a new PID
namespace, dropping capabilities, no_new_privs, dying with the parent) is exactly what bwrap
does and is maintained for (Flatpak relies on it); we only choose what it binds.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.sandbox.confine import SandboxError
from harness.sandbox.packages import ALLOWED, HIDDEN, package_paths
from harness.sandbox.visible import PROJECT_ROOT, SOLUTION, child_files

LEVELS = ("namespaces", "uid", "process")
ENV_VAR = "NNPARITY_ISOLATION"
CHOICES = ("auto", *LEVELS)

# Where things are inside the namespace sandbox.
HOME = "/sandbox/work"                 # the child's working directory and HOME
SUBMISSION_ROOT = "/sandbox/submission"
STARTER_ROOT = "/sandbox/starter"
HIDDEN_DIRS = ("harness/rubrics",)   # what no child may read (hidden seeds), at every level
ALLOWED_PACKAGES = tuple(ALLOWED)          # the only site packages the child sees (why: ALLOWED)
HIDDEN_PACKAGES = HIDDEN                   # never importable in the child
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
             "/etc/localtime")
TOP_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")   # symlinks into /usr (merged)


@dataclass(frozen=True)
class Isolation:
    """The level reached, and (below namespaces) why namespaces are not used."""

    level: str
    reason: str = ""

    def warning(self) -> str:
        """The one warning a batch prints when it runs below the namespaces level."""
        if self.level == "namespaces":
            return ""
        holds = ("each submission runs as an unprivileged uid of its own, on a private copy "
                 "only that uid can read; for the batch the submissions' sources, the output "
                 "directory, the rubric and torch/tensorflow/jax are made unreadable for other "
                 "users. Not isolated: the network, and what every user may read (other "
                 "processes' command lines, world-readable files)" if self.level == "uid" else
                 "submissions run as this user, with its rights: they can read and write "
                 "whatever it can, see its processes and use the network; grade as root (e.g. "
                 "in a container) or where bubblewrap works")
        return (f"warning: isolation level '{self.level}', not 'namespaces' "
                f"({self.reason}). What holds: {holds}.")


def requested() -> str:
    """The NNPARITY_ISOLATION setting (auto when unset)."""
    value = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if value not in CHOICES:
        raise SandboxError(f"{ENV_VAR}={value!r}: expected one of {', '.join(CHOICES)}")
    return value


def choose(uid: int | None, setting: str | None = None) -> Isolation:
    """The best isolation for a child run as `uid` (None: as we are) that `setting` allows
    (None or "auto": what NNPARITY_ISOLATION says, by default the best available)."""
    setting = requested() if setting in (None, "auto") else setting
    fallback = "uid" if uid is not None else "process"
    if setting in ("uid", "process"):
        return Isolation(fallback, f"{ENV_VAR}={setting}")
    problem = namespaces_problem()
    if problem is None:
        return Isolation("namespaces")
    if setting == "namespaces":
        raise SandboxError(f"{ENV_VAR}=namespaces, but namespaces are not available here: "
                           f"{problem}")
    return Isolation(fallback, problem)


def level_for(setting: str, uid: int | None) -> str:
    """A Policy's isolation setting (a level, or auto) as the level to use."""
    if setting == "auto":
        setting = requested()
    if setting in ("uid", "process"):
        return "uid" if uid is not None else "process"
    return choose(uid, setting).level


# ------------------------------------------------------------------ can bwrap work here?
@functools.cache
def _bwrap_help() -> str:
    exe = shutil.which("bwrap")
    if exe is None:
        return ""
    try:
        proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout + proc.stderr


@functools.cache
def namespaces_problem() -> str | None:
    """None when a namespace sandbox can be built here, else why not (in one line).

    Probes once per process: bwrap builds the real sandbox's namespaces and mounts and runs
    ``true`` in it (dropping to an unprivileged uid first, when we are root)."""
    if not sys.platform.startswith("linux"):
        return "namespaces need Linux"
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    with tempfile.TemporaryDirectory(prefix="nnparity-probe-") as tmp:
        home, private_tmp = Path(tmp, "home"), Path(tmp, "tmp")
        home.mkdir()
        private_tmp.mkdir()
        uid = 65534 if os.geteuid() == 0 else None
        if uid is not None:
            for d in (home, private_tmp):
                os.chown(d, uid, uid)
        argv = bwrap_argv(home, private_tmp, [], uid, uid, disk_mb=1) + ["true"]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"bwrap cannot run: {exc}"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return (lines[-1] if lines else f"bwrap exited with code {proc.returncode}") + \
            " (containers often forbid namespaces: Docker's default seccomp profile and " \
            "capabilities do)"
    return None


# ------------------------------------------------------------------ the sandbox's file system
def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@dataclass(frozen=True)
class _Layout:
    """What the sandbox binds to start this Python with NumPy and the other allowed
    packages, and nothing else.

    trees: directories bound whole, besides /usr (the Python installation's prefix, a
    non-merged /lib); files: (host, sandbox path) of single files (a venv's pyvenv.cfg and
    interpreter); masked: site-packages directories inside those trees, covered by an empty
    tmpfs; packages: (host, sandbox path) of the allowed packages (directories, or the one file
    of a single-module package), bound back on top."""

    trees: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    masked: tuple[str, ...]
    packages: tuple[tuple[str, str], ...]


@functools.cache
def _python_layout() -> _Layout:
    trees: list[str] = []
    files: list[tuple[str, str]] = []

    def visible(path: str) -> bool:
        return _under(path, ["/usr", *trees])

    def tree(path: str) -> None:
        path = os.path.realpath(path)
        if not visible(path):
            trees.append(path)

    for name in TOP_DIRS:
        p = f"/{name}"
        if os.path.isdir(p) and not os.path.islink(p):
            tree(p)
    tree(sys.base_prefix)
    if os.path.realpath(sys.prefix) != os.path.realpath(sys.base_prefix):   # a venv
        cfg = os.path.join(sys.prefix, "pyvenv.cfg")
        if os.path.exists(cfg) and not visible(os.path.realpath(cfg)):
            files.append((os.path.realpath(cfg), cfg))
    exe = os.path.abspath(sys.executable)
    if not visible(exe):
        files.append((os.path.realpath(exe), exe))
    masked: set[str] = set()
    for root in ["/usr", *trees]:
        for pattern in ("lib*/python3*/*-packages", "local/lib*/python3*/*-packages",
                        "lib/python3/dist-packages"):
            masked.update(os.path.realpath(p) for p in glob.glob(os.path.join(root, pattern))
                          if os.path.isdir(p))
    for entry in sys.path:
        if entry and os.path.basename(entry) in ("site-packages", "dist-packages") \
                and os.path.isdir(entry) and visible(os.path.realpath(entry)):
            masked.add(os.path.realpath(entry))
    packages = [(p, p) for name in ALLOWED_PACKAGES for p in package_paths(name)
                if not visible(p) or _under(p, masked)]
    return _Layout(tuple(trees), tuple(files), tuple(sorted(masked)), tuple(packages))


def under_tmp(ro_binds: list[tuple[str, str]]) -> set[str]:
    """The names at the top of the sandbox's /tmp that bwrap creates to bind things below
    it (the sandbox's own, not files the child left)."""
    layout = _python_layout()
    dests = [*layout.trees, *(d for _, d in layout.files), *(d for _, d in layout.packages),
             *map(str, child_files()), str(PROJECT_ROOT / SOLUTION),
             *(d for _, d in ro_binds)]
    return {d.split("/")[2] for d in dests if d.startswith("/tmp/")}


def mount_point(root: str, host: Path) -> str:
    """Where the host directory `host` appears under `root` in the sandbox."""
    return f"{root}/{host.name or 'root'}"


@functools.cache
def sized_tmpfs() -> bool:
    """Whether bwrap can limit the size of a tmpfs (``--size``, bubblewrap 0.7 and later)."""
    return "--size" in _bwrap_help()


def bwrap_argv(home: Path, tmp: Path, ro_binds: list[tuple[str, str]],
               uid: int | None, gid: int | None, solution: bool = False,
               disk_mb: int | None = None) -> list[str]:
    """The command prefix that runs a command in the namespace sandbox.

    /tmp and the working directory HOME are tmpfs of the sandbox's own, each of at most
    `disk_mb` (None: the kernel's default, half the memory), gone with it: the child's disk
    quota; what `home` holds (the modules the parent staged) is bound read-only into HOME.
    (A bwrap without `sized_tmpfs` binds `home` at HOME and `tmp` at /tmp read-write instead,
    without a quota.) Each of `ro_binds` (host, sandbox path) is bound read-only. As root,
    bwrap keeps root's rights only to set the sandbox up: the command starts through setpriv
    as `uid`/`gid` (or, without a uid, as root without any capability). `solution`: whether
    student_nn is there too."""
    root = os.geteuid() == 0
    argv = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session"]
    if root:   # no user namespace: the child's uid stays the real, unprivileged one
        argv += ["--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
                 "--unshare-cgroup-try", "--cap-drop", "ALL"]
        if uid is not None:   # for setpriv; and to enter the uid's 0700 working directory
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                     "--cap-add", "CAP_DAC_READ_SEARCH"]
    else:
        argv += ["--unshare-all", "--unshare-user"]
        if "--disable-userns" in _bwrap_help():
            argv.append("--disable-userns")
    argv += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for name in TOP_DIRS:
        p = f"/{name}"
        if os.path.islink(p):
            argv += ["--symlink", os.readlink(p), p]

    made: set[str] = set()

    def bind(option: str, host: str, dest: str) -> None:
        # bwrap 0.8 creates a destination's missing parents as 0700 (fixed in later
        # versions): --dir makes them 0755 first, so that the child's uid can reach them.
        parent = os.path.dirname(dest)
        if parent != "/" and parent not in made:
            made.add(parent)
            argv.extend(["--dir", parent])
        argv.extend([option, host, dest])

    def private(mode: str, dest: str, host: Path) -> list[str]:
        if not sized_tmpfs():
            return ["--bind", str(host), dest]
        return ["--perms", mode, *(["--size", str(disk_mb * 2**20)] if disk_mb else []),
                "--tmpfs", dest]

    # /tmp first: what is bound below it (a checkout or a venv in /tmp) goes on top
    argv += ["--proc", "/proc", "--dev", "/dev", *private("1777", "/tmp", tmp)]
    for f in ETC_FILES:
        if os.path.exists(f):
            bind("--ro-bind", f, f)
    layout = _python_layout()
    for t in layout.trees:
        bind("--ro-bind", t, t)
    for host, dest in layout.files:
        bind("--ro-bind", host, dest)
    for d in layout.masked:         # no site package but the allowed ones
        argv += ["--tmpfs", d]
    for host, dest in layout.packages:
        bind("--ro-bind", host, dest)
    # of the project, the modules the child runs only (harness/sandbox/visible.py), and the
    # bundled solution for a child that may import it (`check`, the test corpora's rubrics)
    for p in [*map(str, child_files()), *([str(PROJECT_ROOT / SOLUTION)] if solution else [])]:
        bind("--ro-bind", p, p)
    for host, dest in ro_binds:
        bind("--ro-bind", host, dest)
    argv += ["--dir", os.path.dirname(HOME), *private("0777", HOME, home)]
    if sized_tmpfs():
        for name in sorted(os.listdir(home)):
            argv += ["--ro-bind", str(home / name), f"{HOME}/{name}"]
    argv += ["--chdir", HOME]
    for d in layout.masked:
        argv += ["--remount-ro", d]
    argv += ["--remount-ro", "/", "--"]
    if root and uid is not None:
        argv += [shutil.which("setpriv") or "setpriv", f"--reuid={uid}",
                 f"--regid={gid if gid is not None else uid}", "--clear-groups",
                 "--inh-caps=-all", "--"]
    return argv


# ------------------------------------------------------------------ the uid fallback
def answer_dirs() -> list[Path]:
    """The project's parts no child reads: the rubrics (hidden cases' seeds). Hidden from the
    sandbox uid at the uid level while a batch runs. (student_nn is not: other children on
    the machine, `check`'s and the corpus rubrics', import it while the batch runs, so a
    uid-level child can still read it; only namespaces keep it out of a graded sandbox.)"""
    return [PROJECT_ROOT / name for name in HIDDEN_DIRS]


@contextlib.contextmanager
def hidden_from_others(paths: Iterable[Path]) -> Iterator[list[Path]]:
    """Remove the "other" permission bits of each path while inside, so that an unprivileged
    sandbox uid (which is neither owner nor in the group) cannot read it; put them back on
    exit. Yields the paths that were changed."""
    changed: list[tuple[Path, int]] = []
    try:
        for p in dict.fromkeys(Path(x) for x in paths):
            try:
                mode = stat.S_IMODE(os.stat(p).st_mode)
                if mode & 0o007:
                    os.chmod(p, mode & ~0o007)
                    changed.append((p, mode))
            except OSError:
                continue
        yield [p for p, _ in changed]
    finally:
        for p, mode in reversed(changed):
            with contextlib.suppress(OSError):
                os.chmod(p, mode)


def main() -> int:
    """``python -m harness.sandbox.isolation``: the level a batch would reach here, and why."""
    uid = 64000 if os.geteuid() == 0 else None   # any unprivileged uid: root grades as one
    try:
        iso = choose(uid)
    except SandboxError as exc:
        print(f"isolation: unavailable: {exc}")
        return 1
    print(f"isolation: {iso.level}" + (f" ({iso.reason})" if iso.reason else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
