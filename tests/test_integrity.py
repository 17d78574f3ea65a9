"""Grading integrity, the parts below a whole batch: the wire bounds what a child can make
the parent hold and cleans the text it sends; leftovers are removed whatever their depth.
(Whole hostile submissions are graded beside a correct one in tests/test_grading.py.)"""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from harness.core import wire
from harness.sandbox.confine import remove_tree
from harness.sandbox.visible import CHILD_MODULES, hidden_paths, module_file


def _message(header: dict, payload: bytes = b"") -> io.BytesIO:
    head = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(head)) + head + payload)


def test_an_array_larger_than_a_message_may_carry_is_a_protocol_error_not_an_allocation():
    stream = _message({"arrays": [["out/forward", 10 * 2**40]]}, b"\0" * 4096)
    tracemalloc.start()
    with pytest.raises(wire.WireError, match="announced"):
        wire.read_message(stream)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 16 * 2**20


def test_a_lone_surrogate_in_what_the_child_says_arrives_escaped():
    header = {"errors": {"forward": {"message": "bad byte \udcff"}}, "arrays": []}
    got, arrays = wire.read_message(_message(header))
    message = got["errors"]["forward"]["message"]
    assert message == "bad byte \\udcff" and not arrays
    message.encode("utf-8")   # writable anywhere


def test_a_normal_message_round_trips():
    out = io.BytesIO()
    wire.write_message(out, {"ok": True, "note": "σ′(z)"}, {"out/forward": np.eye(3)})
    out.seek(0)
    header, arrays = wire.read_message(out)
    assert header["note"] == "σ′(z)" and np.array_equal(arrays["out/forward"], np.eye(3))


def test_leftovers_are_removed_whatever_their_depth_and_modes(tmp_path):
    """3,000 nested directories (deeper than PATH_MAX), one of them chmod 000."""
    root = tmp_path / "left"
    root.mkdir()
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(3000):
            os.mkdir("d", dir_fd=fd)
            sub = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = sub
        with open(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd), "w") as f:
            f.write("x")
    finally:
        os.close(fd)
    os.chmod(root / "d" / "d", 0)
    remove_tree(root)
    assert not root.exists() and tmp_path.exists()


@pytest.mark.parametrize("case", ["binary rubric", "root as a submission", "huge cases"])
def test_bad_grading_input_is_a_one_line_error_with_exit_2(case, tmp_path, capsys):
    from harness.cli import main
    from harness.grading.rubric import DEFAULT_RUBRIC

    correct = str(Path(__file__).parent / "submissions" / "correct")
    rubric = tmp_path / "rubric.toml"
    if case == "binary rubric":
        rubric.write_bytes(bytes(range(256)))
    else:
        text = DEFAULT_RUBRIC.read_text()
        rubric.write_text(text.replace("cases = 20 ", "cases = 100000000 ", 1)
                          if case == "huge cases" else text)
    target = "/" if case == "root as a submission" else correct
    code = main(["grade", target, "--rubric", str(rubric), "--out", str(tmp_path / "out"),
                 "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err and err[-1].startswith("nnparity grade: error: ") and "Traceback" not in err
    assert {"binary rubric": "is not a text file", "root as a submission": "not a submission",
            "huge cases": "<= 10,000"}[case] in err[-1]


HOSTILE = Path(__file__).parent / "hostile"


def _levels() -> list:
    from harness.sandbox.isolation import choose
    levels = []
    if choose("namespaces", None).level == "namespaces":
        levels.append("namespaces")
    if os.geteuid() == 0:
        levels.append("uid")
    return levels or [pytest.param("uid", marks=pytest.mark.skip(reason="needs root or bwrap"))]


def _has_acl(path: Path) -> bool:
    try:
        os.getxattr(path, "system.posix_acl_access")
    except OSError:
        return False
    return True


def test_the_child_imports_only_the_modules_it_may_see():
    """`CHILD_MODULES` is what a child imports (a module missing from it would not be bound
    under namespaces): none of the parent-only modules that compute answers."""
    code = ("import sys, harness.child, harness.core.registry as r; r.kind_runners(); "
            "print(' '.join(m for m in sys.modules if m.split('.')[0] in "
            "('harness', 'reference', 'student_nn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert set(out) == set(CHILD_MODULES)
    for answers in ("harness.core.informative", "harness.apis.hw6.informative",
                    "harness.check.checker", "harness.core.formula"):
        assert answers not in out
    assert all(module_file(m).is_file() for m in CHILD_MODULES)


@pytest.mark.parametrize("level", _levels())
def test_no_solution_and_no_rubric_inside_the_graded_sandbox(level, tmp_path, capsys,
                                                             monkeypatch):
    """Graded with the shipped rubric (which refuses student_nn) beside a correct package of
    its own: at either level the attacker reaches no correct code of the project by any of
    six routes (the solution by path, exec, runpy, borrowed copies; the test fixtures; the
    case drawer's NumPy forwards), nor the rubric, the git history or the twins, and earns
    nothing; the neighbour keeps full marks; afterwards no project path keeps an ACL entry."""
    import shutil

    from harness.apis.hw6.package import BUNDLED_DIR
    from harness.cli import main

    monkeypatch.setenv("NNPARITY_ISOLATION", level)
    neighbour = tmp_path / "neighbour" / "neural_networks"
    shutil.copytree(BUNDLED_DIR, neighbour, ignore=shutil.ignore_patterns("cs231n",
                                                                          "__pycache__"))
    attacker = HOSTILE / "loads_the_solution"
    assert main(["grade", str(attacker), str(neighbour.parent), "--out", str(tmp_path / "out"),
                 "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    attack = json.loads((tmp_path / "out" / "loads_the_solution" / "result.json").read_text())
    good = json.loads((tmp_path / "out" / "neighbour" / "result.json").read_text())
    assert good["score"] == good["max_score"] == 100, good["reason"]
    assert attack["isolation"] == level
    printed = attack["printed_at_import"]["activations"]
    assert attack["score"] == 0, attack["reason"]
    assert "LOADED" not in printed and "READ" not in printed, printed
    assert printed.count("DENIED") == 9, printed
    if level == "uid":
        assert attack["sandbox"]["project_hidden"] is True
    left = [p for p in hidden_paths(solution=False) if _has_acl(p)]
    assert not left, left
    rubrics = Path(__file__).parents[1] / "harness" / "rubrics"
    assert os.stat(rubrics).st_mode & 0o005 == 0o005   # its mode put back after the batch


@pytest.mark.skipif(os.geteuid() != 0, reason="setting ACL entries on the project needs root")
def test_a_killed_graders_acl_entries_are_removed_when_its_uid_is_claimed_again():
    """A grader killed inside `denied_to` leaves its uid's entries; `forget_uid` (which
    `claim_uid` runs) removes them, and only them."""
    from harness.sandbox.visible import _set_uid_entry, forget_uid

    hidden = hidden_paths(solution=False)
    try:
        _set_uid_entry(hidden, 64999, deny=True)   # as if killed before it could leave
        _set_uid_entry(hidden[:1], 64998, deny=True)   # another grader's, still running
    except OSError as exc:
        pytest.skip(f"this file system takes no ACL: {exc}")
    assert all(_has_acl(p) for p in hidden)
    forget_uid(64999)
    assert [p for p in hidden if _has_acl(p)] == hidden[:1]
    forget_uid(64998)
    assert not [p for p in hidden if _has_acl(p)]


@pytest.mark.skipif(os.geteuid() != 0, reason="judging another uid's access needs root")
def test_what_a_grader_hides_from_its_uid_does_not_stop_check_using_that_uid(monkeypatch):
    """A grader hides the project's answers (harness/rubrics, ...) from its uid while it
    runs; whether `check` can run its child as a uid is judged on the child's own modules
    only, so the same uid claimed meanwhile (the doctor's check, another worker) stays
    usable. A child module the uid cannot read still stops it."""
    import shutil
    import tempfile

    from harness.sandbox import parent

    where = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        where.chmod(0o755)
        module = where / "pkg" / "child.py"
        (where / "pkg" / "answers").mkdir(parents=True, mode=0o700)   # hidden, as a grader does
        (where / "pkg").chmod(0o755)
        module.write_text("")
        module.chmod(0o644)
        monkeypatch.setattr(parent, "child_files", lambda: [module])
        assert parent._cannot_run(64997, []) == ""
        module.chmod(0o600)
        assert parent._cannot_run(64997, []) == f"uid 64997 cannot read {module}"
    finally:
        shutil.rmtree(where)


# What the grading process may hold and write, whatever a submission sends (issue #21): far
# above an honest run (about 50 MB without PyTorch loaded, 400 MB with it; result.json files
# of a few to 170 KB), far below what the attacks made it hold before (2.1 GB for a pipe
# flood, 3.2 GB and a 360 MB result.json for 20 MB exception messages).
PARENT_PEAK_MB = 1024
RESULT_KB, FEEDBACK_KB = 512, 256


def test_a_flooded_pipe_and_huge_messages_leave_the_grader_small(tmp_path):
    """floods_the_pipe (a 10 TB array announced on nnparity's channel, then 64 MB) and
    huge_message (20 MB exception messages), graded with one worker in a process of their
    own beside a correct submission: the batch completes, the neighbour keeps full marks, the
    grading process's peak memory and every file it writes stay under the stated bounds."""
    corpus = Path(__file__).parent / "submissions"
    code = ("import json, resource, sys; from harness.cli import main; "
            "rc = main(sys.argv[1:]); "
            "print(json.dumps([rc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))")
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-c", code, "grade", str(corpus / "floods_the_pipe"),
         str(corpus / "huge_message"), str(corpus / "correct"), "--rubric",
         str(corpus / "rubric.toml"), "--out", str(out), "--workers", "1", "--no-progress"],
        capture_output=True, text=True, check=True)
    rc, peak_kb = json.loads(run.stdout.strip().splitlines()[-1])
    assert rc == 0   # the batch completed
    assert peak_kb / 1024 < PARENT_PEAK_MB
    scores = {d.name: json.loads((d / "result.json").read_text())["score"]
              for d in out.iterdir() if d.is_dir()}
    assert scores == {"floods_the_pipe": 26, "huge_message": 26, "correct": 28}
    for d in filter(Path.is_dir, out.iterdir()):
        assert (d / "result.json").stat().st_size < RESULT_KB * 1024
        assert (d / "feedback.md").stat().st_size < FEEDBACK_KB * 1024
