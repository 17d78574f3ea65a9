"""Isolation (harness/sandbox/isolation.py): a hostile submission really tries each escape.

One batch per isolation level is graded by ``nnparity grade`` in a subprocess (so the
grader's command line names every submission, as a user's would), with two workers: a
"victim" whose package holds a secret file, and a "spy" that, at import, looks for the victim
through every process's /proc/PID/cmdline and by walking the file system, reads the grader's
environment, tries to write into the project, site-packages, the submissions and the output
directory, connects to a listener the test started on 127.0.0.1, imports torch after removing
every import hook and clearing sys.modules, and leaves a process behind. It prints what it
managed; the tests assert that each attempt was denied at that level.

- namespaces: where bubblewrap can build a sandbox (skipped with the reason otherwise);
- uid: as root, under Docker's default capability set (what Gradescope's Docker containers
  have), where namespaces are not available and the grader falls back to the uid level.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from harness.sandbox import isolation
from harness.sandbox.confine import (
    SandboxError,
    claim_uid,
    processes_left_under,
    release_uid,
)
from harness.sandbox.isolation import (
    choose,
    hidden_from_others,
    namespaces_problem,
)
from harness.sandbox.parent import PROJECT_ROOT, Limits, Policy, Sandbox, preflight
from harness.sandbox.visible import refused_package_dirs

IS_ROOT = os.geteuid() == 0
PROBLEM = namespaces_problem()
needs_namespaces = pytest.mark.skipif(PROBLEM is not None,
                                      reason=f"namespaces are not available here: {PROBLEM}")
# Docker's default capabilities (no CAP_SYS_ADMIN): what a Gradescope container runs with.
DOCKER_CAPS = ("chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid",
               "setuid", "setfcap", "setpcap", "net_bind_service", "sys_chroot", "kill",
               "audit_write")
SETPRIV = shutil.which("setpriv")
LEVELS = [
    pytest.param("namespaces", marks=needs_namespaces),
    pytest.param("uid", marks=pytest.mark.skipif(
        not IS_ROOT or SETPRIV is None,
        reason="the uid level needs root (and setpriv, to drop to Docker's capabilities)")),
]
TORCH_DIRS = [str(p.parent) for p in refused_package_dirs(["torch"])]
NUMPY_DIR = Path(np.__file__).resolve().parent

RUBRIC = """
[rubric]
name = "isolation"
seed = 1
cases = 1
investigate = 0
missing_module = "bundled"
refuse_imports = ["torch", "tensorflow", "jax"]

[limits]
case_seconds = 10
startup_seconds = 40
submission_seconds = 120
processes = 64
output_kb = 16

[[item]]
op = "relu"
points = { forward = 1 }
"""

VICTIM = '''
"""Correct; its secret notes must stay its own. Slow to import, so that the spy runs
meanwhile."""
import time

from student_nn.activations import *  # noqa: F401,F403

time.sleep(3)
'''

SPY = '''
"""Tries every escape at import and prints what it managed; otherwise correct."""
import json
import os
import socket
import sys
import time
from pathlib import Path

from student_nn.activations import *  # noqa: F401,F403

ATTACK = json.loads(Path(__file__).with_name("attack.json").read_text())
SKIP = {"proc", "sys", "dev", "usr", "lib", "lib64", "bin", "sbin", "etc", "boot", "var",
        "snap", "site-packages", "dist-packages", ".git", ".venv", ".pyenv", "node_modules"}


def say(*words):
    print(*words, flush=True)


def read(path):
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except OSError as exc:
        say("READ-DENIED", path, type(exc).__name__)
        return
    if ATTACK["secret"].encode() in data:
        say("LEAK", path, data.decode(errors="replace").strip())
    else:
        say("READ", path)


# 1. Other submissions: by path from every process's command line, then by walking.
pids = [p for p in os.listdir("/proc") if p.isdigit()]
named = set()
for pid in pids:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0")
    except OSError:
        continue
    named.update(a.decode(errors="replace") for a in args if ATTACK["victim"].encode() in a)
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        continue
    if ATTACK["env_secret"].encode() in env:
        say("ENV-LEAK", pid)
say("PROCS", len(pids))
say("CMDLINE-PATHS", len(named))
for path in sorted(named):
    if os.path.isdir(path):
        for dirpath, _, files in os.walk(path, onerror=lambda e: say("READ-DENIED", e.filename,
                                                                  type(e).__name__)):
            for name in files:
                read(os.path.join(dirpath, name))
    else:
        read(path)
walked, start = 0, time.monotonic()
for dirpath, dirnames, files in os.walk("/"):
    dirnames[:] = [d for d in dirnames if d not in SKIP]
    walked += len(files)
    for name in files:
        if name == ATTACK["secret_file"] or ATTACK["victim"] in dirpath:
            read(os.path.join(dirpath, name))
    if time.monotonic() - start > 8 or walked > 200_000:
        break
say("WALKED", walked)
if ATTACK["env_secret"] in json.dumps(dict(os.environ)):
    say("ENV-LEAK", "own")

# 2. Writes outside the working directory.
for target in ATTACK["write"]:
    try:
        with open(target, "a") as f:
            f.write("pwned")
        say("WROTE", target)
    except OSError as exc:
        say("WRITE-DENIED", target, type(exc).__name__)
for target in ATTACK["touch"]:
    try:
        os.utime(target, (0, 0))
        say("WROTE", target)
    except OSError as exc:
        say("WRITE-DENIED", target, type(exc).__name__)

# 3. The network: the test's listener on 127.0.0.1.
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("127.0.0.1", ATTACK["port"]))
    say("NET-CONNECTED")
except OSError as exc:
    say("NET-REFUSED", type(exc).__name__)
finally:
    s.close()

# 4. torch, with every import hook removed and sys.modules cleared of it.
import importlib.machinery  # noqa: E402

saved = list(sys.meta_path), list(sys.path), dict(sys.modules)
sys.meta_path[:] = [importlib.machinery.PathFinder]
sys.path_importer_cache.clear()
sys.path[:0] = ATTACK["torch_dirs"]
for name in ("torch", "tensorflow", "jax"):
    for key in [k for k in sys.modules if k.partition(".")[0] == name]:
        del sys.modules[key]
    try:
        module = __import__(name)
        say("IMPORTED", name, getattr(module, "__file__", None))
    except BaseException as exc:  # noqa: BLE001
        say("IMPORT-FAILED", name, type(exc).__name__)
sys.meta_path[:], sys.path[:] = saved[0], saved[1]
sys.path_importer_cache.clear()

# 5. A process that tries to outlive the grading.
if os.fork() == 0:
    os.setsid()
    os.execv("/bin/sh", ["sh", "-c", "sleep 300; : " + ATTACK["marker"]])
say("DONE")
'''


# ------------------------------------------------------------------ helpers
class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


def tree_digest(root: Path) -> dict[str, str]:
    """Path -> sha256 of every file under root (mode and content)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha256(
                oct(p.stat().st_mode).encode() + p.read_bytes()).hexdigest()
    return out


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Name -> (size, mtime_ns) of a directory's entries (cheap; for site-packages)."""
    return {e.name: (e.stat(follow_symlinks=False).st_size,
                     e.stat(follow_symlinks=False).st_mtime_ns) for e in os.scandir(root)}


def marked(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    return found


@contextlib.contextmanager
def locked(shared: Path, name: str):
    """The lock test_grading.py takes too: the batches of both modules run one at a time."""
    with open(shared / f"nnparity-{name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, worker_id) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _escape_batch(level: str) -> dict:
    """Grade victim + spy at `level`; what the tests check about it."""
    root = Path(tempfile.mkdtemp(prefix="nnparity-isotest-"))
    root.chmod(0o755)   # reachable by the sandbox uid: only the isolation may stop it
    tag = uuid.uuid4().hex[:8]
    victim_name, secret, env_secret = f"victim-{tag}", f"secret-{tag}", f"grader-env-{tag}"
    marker, secret_file = f"nnparity-isotest-{tag}", f"secret_notes_{tag}.txt"
    inputs, out = root / "in", root / "out"
    victim = inputs / victim_name / "neural_networks"
    spy = inputs / f"spy-{tag}" / "neural_networks"
    for pkg, code in ((victim, VICTIM), (spy, SPY)):
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "activations.py").write_text(textwrap.dedent(code))
    (victim / secret_file).write_text(f"{secret}\n")
    pwned = f"PWNED-{tag}"
    host_tmp = Path(tempfile.gettempdir()) / f"{pwned}.txt"
    targets = [PROJECT_ROOT / "harness" / pwned, PROJECT_ROOT / "student_nn" / pwned,
               NUMPY_DIR / pwned, victim / "activations.py", victim / pwned, out / pwned,
               host_tmp]
    targets += [Path(d) / "torch" / pwned for d in TORCH_DIRS]
    touched = [PROJECT_ROOT / "harness" / "__init__.py", NUMPY_DIR / "__init__.py"]
    listener = Listener()
    (spy / "attack.json").write_text(json.dumps({
        "victim": victim_name, "secret": secret, "secret_file": secret_file,
        "env_secret": env_secret, "marker": marker, "port": listener.port,
        "write": [str(t) for t in targets], "touch": [str(t) for t in touched],
        "torch_dirs": TORCH_DIRS}))
    for p in [inputs, *inputs.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (root / "rubric.toml").write_text(RUBRIC)
    before = {"inputs": tree_digest(inputs), "numpy": listing(NUMPY_DIR),
              "touched": [t.stat().st_mtime_ns for t in touched],
              "torch": {d: listing(Path(d) / "torch") for d in TORCH_DIRS}}
    env = {**os.environ, "NNPARITY_TEST_SECRET": env_secret,
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "harness.cli", "grade", str(victim.parent), str(spy.parent),
            "--rubric", str(root / "rubric.toml"), "--out", str(out), "--workers", "2",
            "--no-progress"]
    if level == "uid":   # Docker's capabilities: bwrap cannot build namespaces there
        env.pop("NNPARITY_ISOLATION", None)
        argv = [SETPRIV, "--bounding-set", ",".join(["-all", *(f"+{c}" for c in DOCKER_CAPS)]),
                "--inh-caps=-all", *argv]
    else:
        env["NNPARITY_ISOLATION"] = "namespaces"
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300,
                              cwd=root)
        time.sleep(0.2)
        results = {d.name.split("-")[0]: json.loads((d / "result.json").read_text())
                   for d in out.iterdir() if (d / "result.json").exists()}
        spy_result = results.get("spy", {})
        printed = (spy_result.get("printed_at_import") or {}).get("activations", "")
        uids = {r["sandbox"]["uid"] for r in results.values() if r["sandbox"]["uid"]}
        every_output = "".join(p.read_text(errors="replace") for p in out.rglob("*")
                               if p.is_file())
        run = {
            "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
            "results": results, "printed": printed, "secret": secret,
            "env_secret": env_secret, "listener_accepted": listener.accepted,
            "leaked_to_outputs": secret in every_output or env_secret in every_output,
            "gradebook": list(csv.DictReader((out / "gradebook.csv").open())),
            "feedback": {name: (out / d / "feedback.md").read_text()
                         for name, d in (("victim", victim.parent.name),
                                         ("spy", spy.parent.name))
                         if (out / d / "feedback.md").exists()},
            "targets_left": [str(t) for t in targets if t.exists() and t.name.startswith(
                "PWNED")],
            "unchanged": {
                "inputs": tree_digest(inputs) == before["inputs"],
                "numpy": listing(NUMPY_DIR) == before["numpy"],
                "touched": [t.stat().st_mtime_ns for t in touched] == before["touched"],
                "torch": {d: listing(Path(d) / "torch") for d in TORCH_DIRS}
                == before["torch"]},
            "modes_restored": stat.S_IMODE(victim.parent.stat().st_mode) == 0o755
            and all(stat.S_IMODE((Path(d) / "torch").stat().st_mode) & 0o005 == 0o005
                    for d in TORCH_DIRS),
            "left_running": marked(marker) + [f"uid {u}: {left}" for u in uids
                                              if (left := processes_left_under(u))],
        }
    finally:
        listener.close()
        for pid in marked(marker):
            with contextlib.suppress(OSError):
                os.kill(int(pid), 9)
        host_tmp.unlink(missing_ok=True)
        for t in targets:
            if t.name.startswith("PWNED"):
                with contextlib.suppress(OSError):
                    t.unlink()
        shutil.rmtree(root, ignore_errors=True)
    return run


@pytest.fixture(scope="module", params=LEVELS)
def escape(request, shared) -> dict:
    """The escape batch at one level, graded once per level even under xdist."""
    level = request.param
    dest = shared / f"nnparity-escape-{level}.json"
    with locked(shared, "grading"):
        if not dest.exists():
            dest.write_text(json.dumps(_escape_batch(level)))
    run = json.loads(dest.read_text())
    run["level"] = level
    return run


def lines(run: dict, word: str) -> list[str]:
    return [line for line in run["printed"].splitlines() if line.split(" ", 1)[0] == word]


# ------------------------------------------------------------------ the escapes
def test_the_batch_ran_at_its_level_and_says_so(escape):
    level = escape["level"]
    assert escape["returncode"] == 0, escape["stderr"]
    results = escape["results"]
    assert sorted(results) == ["spy", "victim"], escape["stdout"]
    for name, r in results.items():
        assert r["isolation"] == level
        assert r["status"] == "graded" and r["score"] == r["max_score"], (name, r["reason"])
        assert f"Isolation: {level}" in escape["feedback"][name]
    assert {row["isolation"] for row in escape["gradebook"]} == {level}
    warnings = escape["stdout"].count("warning: isolation level")
    if level == "namespaces":
        assert warnings == 0
    else:   # said once, at the start of the batch, with the reason
        assert warnings == 1
        assert "warning: isolation level 'uid', not 'namespaces' (bwrap: " in escape["stdout"]
    assert "DONE" in escape["printed"], escape["printed"]   # the spy ran every attempt


def test_another_submission_cannot_be_read(escape):
    assert lines(escape, "LEAK") == []
    assert not escape["leaked_to_outputs"]
    assert int(lines(escape, "WALKED")[0].split()[1]) > 0   # it did walk the file system
    named = int(lines(escape, "CMDLINE-PATHS")[0].split()[1])
    if escape["level"] == "namespaces":
        assert named == 0            # no other process is visible at all
    else:
        # The grader's command line names the victim (every user can read it without
        # namespaces) but its files cannot be read by the sandbox uid.
        assert named >= 1
        assert lines(escape, "READ-DENIED"), escape["printed"]
        assert lines(escape, "READ") == []


def test_no_environment_and_no_other_processes(escape):
    assert lines(escape, "ENV-LEAK") == []
    if escape["level"] == "namespaces":
        # its own PID namespace: bwrap's init, the child, at most a helper
        assert int(lines(escape, "PROCS")[0].split()[1]) <= 3


def test_the_network_is_refused(escape):
    if escape["level"] != "namespaces":
        pytest.skip("without namespaces there is no network isolation (the warning says so)")
    assert lines(escape, "NET-REFUSED"), escape["printed"]
    assert escape["listener_accepted"] == 0


def test_torch_is_not_importable_even_without_import_hooks(escape):
    failed = {line.split()[1] for line in lines(escape, "IMPORT-FAILED")}
    assert lines(escape, "IMPORTED") == []
    assert failed == {"torch", "tensorflow", "jax"}


def test_nothing_changed_and_nothing_left_running(escape):
    wrote = [line.split()[1] for line in lines(escape, "WROTE")]
    # only /tmp can be written: in namespaces the child's private /tmp, without them the
    # machine's /tmp, whose file of the sandbox uid is removed afterwards
    assert all(w.startswith(tempfile.gettempdir() + "/") for w in wrote), wrote
    assert escape["targets_left"] == []
    assert escape["unchanged"] == {"inputs": True, "numpy": True, "touched": True,
                                   "torch": True}
    assert escape["modes_restored"]
    assert escape["left_running"] == []


# ------------------------------------------------------------------ one sandbox, directly
@needs_namespaces
def test_a_sandbox_sees_only_its_own_files(tmp_path):
    """The root holds no project checkout beyond harness/ and student_nn/, no tests, no
    site package but NumPy and the allowed ones; /tmp is empty and private; the root is
    read-only."""
    pkg = Path(tempfile.mkdtemp(prefix="nnparity-isotest-")) / "neural_networks"
    pkg.mkdir()
    pkg.joinpath("activations.py").write_text(textwrap.dedent('''
        import os, sys
        import numpy as np
        from student_nn.activations import *  # noqa
        from student_nn import activations as base

        class ReLU(base.ReLU):
            def forward(self, Z):
                site = [p for p in sys.path if p.endswith("site-packages")]
                seen = {
                    "project": sorted(os.listdir(PROJECT)),
                    "tmp": os.listdir("/tmp"),
                    "site": sorted(n for p in site for n in os.listdir(p)),
                    "uid": os.getuid(),
                }
                try:
                    open("/pwned", "w")
                    seen["root_writable"] = True
                except OSError:
                    seen["root_writable"] = False
                print(seen)
                return super().forward(Z)
    ''').replace("PROJECT", repr(str(PROJECT_ROOT))))
    for p in [pkg.parent, pkg, *pkg.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    uid = claim_uid()
    try:
        z = np.random.default_rng(0).standard_normal((2, 2))
        request = {"cmd": "run", "kind": "activation", "module": "activations", "cls": "ReLU",
                   "ctor": {}, "outputs": ["forward"]}
        with Sandbox(pkg, ("activations",), Limits(case_seconds=10, startup_seconds=30),
                     Policy(uid=uid, gid=uid)) as sb:
            assert sb.isolation == "namespaces"
            header, _ = sb.run(request, {"Z": z, "dY": z})
    finally:
        release_uid(uid)
        shutil.rmtree(pkg.parent, ignore_errors=True)
    seen = eval(header["stdout"])   # noqa: S307 - our own repr
    # the project's harness/ and student_nn/, and of its virtual environment (if any) only
    # the interpreter and NumPy: no tests/, no reference/, no submissions
    assert set(seen["project"]) - {".venv", "venv"} == {"harness", "student_nn"}
    # /tmp is private and empty, but for the mount points of the project and its virtual
    # environment when they live under /tmp themselves (a CI clone in /tmp/ci, say)
    under_tmp = {Path(p).resolve().relative_to("/tmp").parts[0]
                 for p in (PROJECT_ROOT, sys.prefix)
                 if Path(p).resolve().is_relative_to("/tmp")}
    assert set(seen["tmp"]) <= under_tmp and seen["root_writable"] is False
    # NumPy and scipy (with their wheels' libraries) and the allowed pure-Python packages
    assert set(seen["site"]) - {"numpy.libs", "scipy.libs"} == {"numpy", "scipy",
                                                               "typing_extensions.py"}
    if uid is not None:
        assert seen["uid"] == uid


@needs_namespaces
def test_preflight_finds_numpy_and_no_torch_in_the_sandbox():
    uid = claim_uid()
    try:
        assert preflight(Policy(uid=uid, gid=uid, isolation="namespaces")) is None
    finally:
        release_uid(uid)


# ------------------------------------------------------------------ choosing the level
def test_the_level_can_be_lowered_and_required(monkeypatch):
    monkeypatch.setenv(isolation.ENV_VAR, "uid")
    assert choose(64000) == isolation.Isolation("uid", "NNPARITY_ISOLATION=uid")
    assert choose(None).level == "process"
    monkeypatch.setenv(isolation.ENV_VAR, "sideways")
    with pytest.raises(SandboxError, match="expected one of auto, namespaces"):
        choose(None)
    monkeypatch.setenv(isolation.ENV_VAR, "namespaces")
    monkeypatch.setattr(isolation, "namespaces_problem", lambda: "no bwrap (simulated)")
    with pytest.raises(SandboxError, match="no bwrap \\(simulated\\)"):
        choose(None)
    monkeypatch.setenv(isolation.ENV_VAR, "auto")
    fallback = choose(64000)
    assert fallback == isolation.Isolation("uid", "no bwrap (simulated)")
    assert fallback.warning().startswith("warning: isolation level 'uid', not 'namespaces' "
                                         "(no bwrap (simulated)). What holds: ")


@pytest.mark.skipif(not IS_ROOT or SETPRIV is None, reason="needs root and setpriv")
def test_docker_default_capabilities_mean_the_uid_level():
    code = "from harness.sandbox.isolation import choose; print(choose(64000).level)"
    proc = subprocess.run([SETPRIV, "--bounding-set",
                           ",".join(["-all", *(f"+{c}" for c in DOCKER_CAPS)]),
                           "--inh-caps=-all", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    assert proc.stdout.strip() == "uid", proc.stderr


def test_hidden_from_others_puts_the_modes_back(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b.zip"
    a.mkdir(mode=0o755)
    b.write_text("x")
    b.chmod(0o640)
    a.chmod(0o755)
    with hidden_from_others([a, b, tmp_path / "missing"]) as changed:
        assert changed == [a]
        assert stat.S_IMODE(a.stat().st_mode) == 0o750
    assert stat.S_IMODE(a.stat().st_mode) == 0o755 and stat.S_IMODE(b.stat().st_mode) == 0o640
