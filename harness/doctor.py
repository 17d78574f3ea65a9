"""`nnparity doctor`: what this machine can do for nnparity, and how to fix what is missing.

One short function per check (the `CHECKS` table), each returning a `Result`: a status (ok,
missing, limited), what it found, and, when not ok, one command to paste or one sentence that
fixes it. The sandbox's checks ask harness/sandbox/isolation.py and parent.py (`choose`,
`namespaces_problem`, `preflight`, `unprivileged`) rather than repeating their logic, so the
doctor says what grading itself would find. The checks run side by side in threads: the two
slowest (importing torch, rendering a page in headless Chromium) take about a second each.
"""

from __future__ import annotations

import importlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import entry_points

from harness.reports.terminal import command_lines, labelled, wrap
from harness.sandbox import isolation
from harness.sandbox.confine import UID_FIRST, SandboxError, claim_uid, release_uid
from harness.sandbox.parent import Policy, preflight, unprivileged
from harness.sandbox.visible import PROJECT_ROOT

OK, MISSING, LIMITED = "ok", "missing", "limited"
EXIT_READY, EXIT_NOT_READY = 0, 1

MIN_PYTHON = (3, 11)        # pyproject.toml's requires-python
MIN_NUMPY = (1, 24)         # pyproject.toml's numpy>=1.24
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CONSTRAINTS = PROJECT_ROOT / "constraints.txt"
INSTALL = f"pip install -c {CONSTRAINTS} -e {PROJECT_ROOT}"
CHROMIUM_NAMES = ("chromium", "chromium-browser")   # what the HTML report's tests look for
CHROMIUM_SECONDS = 10
READABLE_FIX = (f"make the project ({PROJECT_ROOT}) and the Python installation ({sys.prefix}) "
                "readable by every user (chmod -R o+rX on the one that is not)")
UID_BASE_VAR = "NNPARITY_UID_BASE"   # harness/sandbox/confine.py's uid range
# (file, the value that forbids, the command that allows) unprivileged user namespaces, which
# bubblewrap needs when nnparity does not run as root
USERNS_SYSCTLS = (
    ("/proc/sys/kernel/unprivileged_userns_clone", "0",
     "sysctl -w kernel.unprivileged_userns_clone=1"),
    ("/proc/sys/user/max_user_namespaces", "0", "sysctl -w user.max_user_namespaces=15000"),
    ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1",
     "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"),
)
LEVEL_GLOSS = {
    "namespaces": "each submission runs under bubblewrap in namespaces of its own (a read-only "
                  "root without torch, its own processes only, no network)",
    "uid": "each submission runs as an unprivileged uid of its own, but sees the machine's "
           "world-readable files, its processes and the network",
    "process": "submissions run as this user, with its rights: do not grade untrusted code here",
}

DESCRIPTION = """\
Say what this machine can do for nnparity: its version, Python, NumPy and torch (the CPU build
constraints.txt pins), the sandbox's isolation level for grading (namespaces | uid | process),
bubblewrap, an unprivileged uid for submissions, headless Chromium (only the HTML report's
layout test needs it) and the pytest plugin. Each line: what, status (ok / missing / limited)
and, when not ok, one command or sentence that fixes it."""
EPILOG = """\
Exit codes: 0 everything `nnparity check` needs works (torch importable, isolation at least at
the process level), even when optional things are missing or limited (bubblewrap, Chromium,
the pytest plugin: warnings); 1 something it needs is missing (the lines marked "missing"
say how to fix it)."""


@dataclass(frozen=True)
class Result:
    """What one check found: status ok | missing | limited, what it saw, and when not ok a
    `command` to paste or a `fix` sentence (one of the two)."""

    status: str
    detail: str
    fix: str = ""
    command: str = ""


@dataclass(frozen=True)
class Check:
    """A line of the doctor's table; `needed`: `nnparity check` cannot work when it is
    missing (exit code 1), else a warning."""

    what: str
    probe: Callable[[], Result]
    needed: bool = False


# ------------------------------------------------------------------ the checks
def check_nnparity() -> Result:
    from harness.version import package_version

    version = package_version()
    if version == "unknown":
        return Result(LIMITED, f"not installed: running from {PROJECT_ROOT} without the "
                      "nnparity command and the pytest plugin", command=INSTALL)
    return Result(OK, f"{version}, running from {PROJECT_ROOT}")


def check_python() -> Result:
    found = f"{platform.python_version()} ({sys.executable})"
    if sys.version_info < MIN_PYTHON:
        return Result(MISSING, f"{found}: nnparity needs Python "
                      f"{'.'.join(map(str, MIN_PYTHON))} or later",
                      fix="install Python 3.11 or later and create the venv with it")
    return Result(OK, found)


def check_numpy() -> Result:
    try:
        numpy = importlib.import_module("numpy")
    except ImportError as exc:
        return Result(MISSING, f"not importable: {exc}", command=INSTALL)
    if _release(numpy.__version__) < MIN_NUMPY:
        return Result(MISSING, f"{numpy.__version__}: nnparity needs NumPy "
                      f"{'.'.join(map(str, MIN_NUMPY))} or later",
                      command=f"pip install 'numpy>={'.'.join(map(str, MIN_NUMPY))}'")
    return Result(OK, numpy.__version__)


def check_torch() -> Result:
    pin = pinned_torch()
    wanted = f"torch=={pin}" if pin else "torch"
    try:
        torch = importlib.import_module("torch")
    except ImportError as exc:
        return Result(MISSING, f"not importable: {exc}",
                      command=f"pip install {wanted} --index-url {CPU_INDEX}")
    version = str(torch.__version__)
    cuda, hip = torch.version.cuda, getattr(torch.version, "hip", None)
    problems = [f"a CUDA {cuda} build" if cuda else "", f"a ROCm {hip} build" if hip else "",
                f"not the {pin} that {CONSTRAINTS.name} pins"
                if pin and version.split("+")[0] != pin else ""]
    problems = [p for p in problems if p]
    if problems:
        return Result(LIMITED, f"{version}: {' and '.join(problems)}; nnparity is tested with "
                      "the CPU build it pins",
                      command=f"pip uninstall -y torch && pip install {wanted} "
                              f"--index-url {CPU_INDEX}")
    pinned = f", the version {CONSTRAINTS.name} pins" if pin else ""
    return Result(OK, f"{version}: a CPU build{pinned}")


def check_isolation() -> Result:
    """The level a batch reaches here (`isolation.choose` for the uid a grader claims), and
    whether its child then starts there (`preflight`, which a batch runs before grading)."""
    uid = None
    try:
        uid = claim_uid()
        iso = isolation.choose(uid)
        problem = preflight(Policy(uid=uid, gid=uid, isolation=iso.level))
    except SandboxError as exc:
        return Result(MISSING, f"grading cannot start: {exc}", **_setting_fix())
    finally:
        release_uid(uid)
    if problem:
        return Result(MISSING, f"{iso.level}, but the child cannot start: {problem}",
                      fix=READABLE_FIX)
    reason = f" ({iso.reason})" if iso.reason else ""
    detail = f"{iso.level}{reason}: {LEVEL_GLOSS[iso.level]}"
    if iso.level == "namespaces":
        return Result(OK, detail)
    return Result(LIMITED, detail, **_setting_fix())


def check_bubblewrap() -> Result:
    exe = shutil.which("bwrap")
    if exe is None:
        return Result(MISSING, "not installed (the Debian/Ubuntu package bubblewrap): grading "
                      "runs below the namespaces level", command="apt-get install bubblewrap")
    problem = isolation.namespaces_problem()
    if problem:
        return Result(LIMITED, f"{exe} is installed but cannot build the sandbox: {problem}",
                      **_namespaces_fix())
    quota = "with a disk quota" if isolation.sized_tmpfs() else \
        "without a disk quota (that needs bubblewrap 0.7 or later)"
    return Result(OK, f"{exe} builds the sandbox's namespaces, {quota}")


def check_uid() -> Result:
    """Whether grading drops to an unprivileged uid: as root, a uid of its own per worker
    (claimed as a grader claims one); not root, the child runs as this user."""
    try:
        with unprivileged([]) as (uid, why):
            pass
    except SandboxError as exc:
        return Result(LIMITED, str(exc), command=f"export {UID_BASE_VAR}=100000")
    if uid is not None:
        return Result(OK, f"root: each submission runs as an unprivileged uid of its own "
                      f"(no account; {UID_FIRST} and up)")
    if why:
        return Result(LIMITED, f"root, but {why}: `check`'s children run as root without "
                      "capabilities", fix=READABLE_FIX)
    me = f"not root: submissions run as this user (uid {os.geteuid()})"
    if isolation.namespaces_problem() is None:
        return Result(OK, f"{me}, inside a user namespace of their own")
    return Result(LIMITED, f"{me}, with its rights",
                  fix="grade as root (sudo, or in a container: Gradescope's runs as root) so "
                      "that each submission runs as a uid of its own")


def check_chromium() -> Result:
    exe = next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if exe is None:
        return Result(MISSING, "not installed; only the HTML report's layout tests need it "
                      "(they are skipped without it)", command="apt-get install chromium")
    problem = _headless_problem(exe)
    if problem:
        return Result(LIMITED, f"{exe} does not render a page headless: {problem}",
                      fix=f"reinstall it (apt-get install --reinstall chromium); `{exe} "
                          "--headless --no-sandbox --dump-dom about:blank` shows why it fails")
    return Result(OK, f"{exe} renders headless (for the HTML report's layout tests)")


def check_pytest_plugin() -> Result:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "nnparity"]
    if not found:
        return Result(MISSING, "not registered: pytest has no --nnparity-impl and --parity-* "
                      "options", command=INSTALL)
    try:
        found[0].load()
    except Exception as exc:   # whatever the plugin raises, pytest would stop on it
        return Result(LIMITED, f"registered as {found[0].value} but does not load: {exc}",
                      command=INSTALL)
    return Result(OK, f"registered (pytest11: nnparity = {found[0].value})")


CHECKS: tuple[Check, ...] = (
    Check("nnparity", check_nnparity),
    Check("Python", check_python, needed=True),
    Check("NumPy", check_numpy, needed=True),
    Check("torch", check_torch, needed=True),
    Check("isolation", check_isolation, needed=True),
    Check("bubblewrap", check_bubblewrap),
    Check("sandbox uid", check_uid),
    Check("Chromium", check_chromium),
    Check("pytest plugin", check_pytest_plugin),
)


# ------------------------------------------------------------------ helpers
def pinned_torch() -> str | None:
    """The torch version constraints.txt pins, or None (no constraints.txt: not a checkout)."""
    try:
        text = CONSTRAINTS.read_text()
    except OSError:
        return None
    found = re.search(r"^torch==(\S+)", text, re.MULTILINE)
    return found.group(1) if found else None


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:2])


def _setting_fix() -> dict[str, str]:
    """Below namespaces, or no level at all: NNPARITY_ISOLATION when it asks for that, else
    what lets bubblewrap build the sandbox."""
    if os.environ.get(isolation.ENV_VAR, "auto").strip().lower() not in ("", "auto"):
        return {"command": f"unset {isolation.ENV_VAR}"}
    return _namespaces_fix()


def _namespaces_fix() -> dict[str, str]:
    """What lets bubblewrap build the sandbox here (isolation.namespaces_problem says why it
    cannot): a command, or a sentence."""
    if not sys.platform.startswith("linux"):
        return {"fix": "namespaces need Linux: grade on a Linux machine or VM"}
    if shutil.which("bwrap") is None:
        return {"command": "apt-get install bubblewrap"}
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return {"command": "apt-get install util-linux"}
    if os.geteuid() != 0:
        for path, forbids, command in USERNS_SYSCTLS:
            if _read(path) == forbids:
                return {"command": command}
        return {"fix": "allow this user unprivileged user namespaces (in a container: seccomp "
                       "and AppArmor profiles that allow unshare and mount, see "
                       "docs/distributed.md), or grade as root on a VM"}
    return {"fix": "as root, bubblewrap needs CAP_SYS_ADMIN, which containers withhold "
                   "(Docker's default profile): grade on a VM or host, or as a non-root user "
                   "where unprivileged user namespaces are allowed (docs/gradescope.md)"}


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _headless_problem(exe: str) -> str:
    """"" when `exe` renders a page headless with the flags the layout tests use, else why
    not."""
    page = "data:text/html,<p>nnparity-doctor</p>"
    with tempfile.TemporaryDirectory(prefix="nnparity-doctor-") as profile:
        try:
            proc = subprocess.run(
                [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", page],
                capture_output=True, text=True, timeout=CHROMIUM_SECONDS,
                stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"no page within {CHROMIUM_SECONDS} s"
        except OSError as exc:
            return str(exc)
    if "nnparity-doctor" in proc.stdout:
        return ""
    tail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
    return tail[0]


# ------------------------------------------------------------------ running and printing
def _run(check: Check) -> Result:
    try:
        return check.probe()
    except Exception as exc:   # a doctor reports what it could not find out, and goes on
        return Result(MISSING, f"the check itself failed: {type(exc).__name__}: {exc}",
                      fix="report this at nnparity's issue tracker with the line above")


def run_checks(checks: Sequence[Check] = CHECKS) -> list[tuple[Check, Result]]:
    """Every check's result, in the table's order."""
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        return list(zip(checks, pool.map(_run, checks), strict=True))


def exit_code(results: Sequence[tuple[Check, Result]]) -> int:
    return EXIT_NOT_READY if _blocking(results) else EXIT_READY


def _blocking(results: Sequence[tuple[Check, Result]]) -> list[str]:
    return [c.what for c, r in results if c.needed and r.status == MISSING]


def report_lines(results: Sequence[tuple[Check, Result]], width: int) -> list[str]:
    """The table (what, status, detail; under it, when not ok, its fix) and a verdict."""
    column = max(len(c.what) for c, _ in results) + 2
    lines = ["nnparity doctor: what this machine can do for nnparity", ""]
    for check, result in results:
        head = f"{check.what:<{column}}{result.status:<9}"
        hang = " " * len(head)
        lines += wrap(result.detail, width, head, hang)
        if result.command:
            lines += command_lines("fix", result.command, width, hang)
        elif result.fix:
            lines += labelled("fix", result.fix, width, hang)
    blocking = _blocking(results)
    warnings = sum(r.status != OK for c, r in results if c.what not in blocking)
    if blocking:
        verdict = (f"not ready: nnparity check needs {', '.join(blocking)} (exit code "
                   f"{EXIT_NOT_READY})")
    else:
        verdict = "ready: nnparity check and grade work here" + (
            f"; {warnings} warning(s) above, each with its fix" if warnings else "") + \
            f" (exit code {EXIT_READY})"
    return [*lines, "", *wrap(verdict, width)]
