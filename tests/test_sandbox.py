"""The sandbox on its own: limits, output capture, refused imports, the uid, cleaning up."""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from harness.sandbox.confine import claim_uid, processes_of, release_uid
from harness.sandbox.parent import (
    PROJECT_ROOT,
    Limits,
    Outage,
    Policy,
    Sandbox,
    preflight,
)

IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="dropping to another uid needs root")
FAST = Limits(case_seconds=5, startup_seconds=20, output_bytes=1000)


@pytest.fixture(scope="module")
def uid():
    uid = claim_uid()
    yield uid
    release_uid(uid)


@pytest.fixture
def make_impl():
    """Writes neural_networks/activations.py (ReLU overridden by `body`) where any uid can read."""
    root = Path(tempfile.mkdtemp(prefix="nnparity-sbtest-"))

    def make(body: str, prelude: str = "") -> Path:
        pkg = root / "neural_networks"
        pkg.mkdir()
        (pkg / "activations.py").write_text(
            "import numpy as np\n" + textwrap.dedent(prelude) +
            "from student_nn import activations as base\n"
            "from student_nn.activations import *  # noqa\n\n\n"
            "class ReLU(base.ReLU):\n" + textwrap.indent(textwrap.dedent(body), "    "))
        for p in [root, *root.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        return pkg

    yield make
    shutil.rmtree(root, ignore_errors=True)


def relu(shape=(2, 3)):
    rng = np.random.default_rng(0)
    request = {"cmd": "run", "kind": "activation", "module": "activations", "cls": "ReLU",
               "ctor": {}, "outputs": ["forward", "dX"]}
    return request, {"Z": rng.standard_normal(shape), "dY": rng.standard_normal(shape)}


def sandbox(impl: Path, limits: Limits = FAST, **policy) -> Sandbox:
    return Sandbox(impl, ("activations",), limits, Policy(**policy))


def marked(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_output_is_captured_per_case_and_cut(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            print("x" * 99_999)
            return super().forward(Z)
    """)
    with sandbox(impl) as sb:
        header, arrays = sb.run(*relu())
        assert header["stdout"].startswith("x" * 1000)
        assert header["stdout"].endswith("... [99000 more bytes of output cut]")
        assert "out/forward" in arrays
        header, _ = sb.run(*relu())  # each case starts afresh
        assert header["stdout"].count("more bytes") == 1


def test_a_hanging_case_times_out_and_the_next_one_runs(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            while Z.size > 1:
                pass
            return super().forward(Z)
    """)
    with sandbox(impl, Limits(case_seconds=1, startup_seconds=20)) as sb:
        outage = sb.run(*relu((2, 2)))
        assert outage == Outage("timeout", "no answer within 1 s (an infinite loop, or far too "
                                           "slow)")
        header, arrays = sb.run(*relu((1, 1)))
        assert arrays["out/forward"].shape == (1, 1) and sb.starts == 2


def test_cpu_time_per_case(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            while True:
                pass
    """)
    limits = Limits(case_seconds=20, startup_seconds=20, case_cpu_seconds=1)
    with sandbox(impl, limits) as sb:
        outage = sb.run(*relu())
    assert outage.status == "timeout"
    assert "killed by signal SIGXCPU (CPU time limit exceeded)" in outage.detail


def test_file_size_limit(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            with open("big.bin", "wb") as f:
                f.write(b"0" * 3 * 2**20)
            return super().forward(Z)
    """)
    with sandbox(impl, Limits(case_seconds=5, startup_seconds=20, file_mb=1)) as sb:
        header, _ = sb.run(*relu())
    err = header["errors"]["forward"]  # Python ignores SIGXFSZ: the write fails instead
    assert (err["type"], err["message"]) == ("OSError", "[Errno 27] File too large")


def test_a_refused_import_is_reported_even_when_caught(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            return super().forward(Z)
    """, prelude="""
        try:
            import torch  # noqa
        except ImportError:
            torch = None
    """)
    with sandbox(impl, refuse_imports=("torch",)) as sb:
        header, arrays = sb.run(*relu())
    assert "out/forward" in arrays and not header["errors"]
    assert sb.refused == [{"module": "torch", "file": "neural_networks/activations.py",
                           "line": 4}]


def test_numpy_compat_restores_removed_aliases(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            return np.maximum(Z, 0).astype(np.float) * np.product([1.0])
    """)
    with sandbox(impl) as sb:
        header, _ = sb.run(*relu())
        assert header["errors"]["forward"]["type"] == "AttributeError"
        assert "np.float" in header["errors"]["forward"]["message"]
    with sandbox(impl, numpy_compat=True) as sb:
        header, arrays = sb.run(*relu())
        assert not header["errors"]
        np.testing.assert_array_equal(arrays["out/forward"], np.maximum(relu()[1]["Z"], 0))


@pytest.mark.parametrize("own_uid", [True, False], ids=["own-uid", "same-user"])
def test_processes_that_leave_the_group_are_killed_on_close(make_impl, uid, own_uid):
    uid = uid if own_uid else None  # without a uid of its own: found by the sandbox's token
    marker = f"nnparity-sbtest-{os.getpid()}-{own_uid}"
    impl = make_impl(f"""
        def forward(self, Z):
            import os
            if os.fork() == 0:
                os.setsid()
                os.execv("/bin/sh", ["sh", "-c", "sleep 120; : {marker}"])
            return super().forward(Z)
    """)
    with sandbox(impl, uid=uid, gid=uid) as sb:
        sb.run(*relu())
        deadline = time.monotonic() + 10
        while not marked(marker) and time.monotonic() < deadline:  # the fork may lag
            time.sleep(0.05)
        assert marked(marker)
    assert marked(marker) == []
    if uid is not None:
        assert processes_of(uid) == []


@root_only
def test_the_child_runs_as_its_own_uid_and_cannot_write_the_project(make_impl, uid):
    assert preflight(Policy(uid=uid, gid=uid)) is None
    target = PROJECT_ROOT / "harness" / f"pwned-{os.getpid()}"
    impl = make_impl(f"""
        def forward(self, Z):
            import os
            try:
                open({str(target)!r}, "w").close()
                wrote = 1.0
            except OSError:
                wrote = 0.0
            return np.array([[float(os.getuid()), wrote]])
    """)
    with sandbox(impl, uid=uid, gid=uid) as sb:
        header, arrays = sb.run(*relu())
        workdir = sb.workdir
        assert workdir.stat().st_uid == uid
    np.testing.assert_array_equal(arrays["out/forward"], [[uid, 0.0]])
    assert not target.exists() and not workdir.exists()


def test_refusing_student_nn_keeps_the_borrowed_modules(make_impl):
    impl = make_impl("""
        def forward(self, Z):
            return super().forward(Z)
    """)
    # the implementation imports student_nn (refused); the harness borrows weights, utils, ...
    with sandbox(impl, refuse_imports=("student_nn",)) as sb:
        header, _ = sb.run(*relu())
    err = header["errors"]["forward"]
    assert err["stage"] == "import" and err["type"] == "RefusedImport"
    assert err["message"].startswith("import of 'student_nn' refused at "
                                     "neural_networks/activations.py:2")


def test_removing_a_tree_never_touches_the_directory_holding_it(tmp_path):
    from harness.sandbox.confine import remove_tree
    tmp_path.chmod(0o755)
    remove_tree(tmp_path / "gone")                # already removed: its parent stays as it was
    tree = tmp_path / "tree"
    (tree / "locked").mkdir(parents=True)
    (tree / "locked" / "f").write_text("x")
    (tree / "locked").chmod(0)
    remove_tree(tree)
    assert not tree.exists() and (tmp_path.stat().st_mode & 0o777) == 0o755


@root_only
@pytest.mark.parametrize("level", ["uid", "namespaces"])
def test_closing_one_sandbox_leaves_another_of_its_uid_alone(make_impl, uid, level):
    """Grading runs a substitution rerun's child as the submission's uid, beside the
    submission's own child: closing the first must not remove the second's directories (it
    did, and the grader reported them to the student as files the submission left in
    /tmp)."""
    if level == "namespaces" and preflight(Policy(uid=uid, gid=uid,
                                                  isolation="namespaces")) is not None:
        pytest.skip("no namespaces here")
    impl = make_impl("pass")
    with sandbox(impl, uid=uid, gid=uid, isolation=level) as first, \
            sandbox(impl, uid=uid, gid=uid, isolation=level) as second:
        for sb in (first, second):
            assert isinstance(sb.run(*relu()), tuple)
        first.close()   # (it stops every process of the uid: grading closes them together)
        assert first.removed_files == []
        assert second.workdir is not None and second.workdir.is_dir()
        second.close()
        assert second.removed_files == []
