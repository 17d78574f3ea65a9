"""Batch grading against the hostile-and-broken corpus in tests/submissions/.

The whole corpus (plus two zips made here) is graded ONCE, as one batch with two workers,
under the corpus rubric (3 cases per op, small limits); the tests below assert on its outputs.
Under pytest-xdist the batch still runs once: the first worker that needs it grades it under a
file lock and leaves its outputs for the others.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from test_integrity import FEEDBACK_KB, RESULT_KB

from harness.cli import main as cli_main
from harness.grading.batch import grade_batch
from harness.grading.rubric import DEFAULT_RUBRIC, RubricError, load_rubric, parse_rubric
from harness.sandbox.confine import processes_left_under
from harness.sandbox.parent import PROJECT_ROOT

CORPUS = Path(__file__).parent / "submissions"
RUBRIC = CORPUS / "rubric.toml"
RUN_AUTOGRADER = PROJECT_ROOT / "gradescope" / "run_autograder"
SECRET = "nnparity-secret-7f3a9c"
IS_ROOT = os.geteuid() == 0
FULL = 28.0

# name -> (status, what the reason says, score)
EXPECTED = {
    "correct": ("graded", "all 28 tests pass", FULL),
    "correct_zip": ("graded", "all 28 tests pass", FULL),
    "zip_slip": ("invalid", "zip_slip.zip: unsafe path '../evil.py' in the zip", 0),
    "not_a_package": ("invalid", "the submission: no neural_networks/ or student_nn/ package", 0),
    "crash_everything": ("crashed", "package: while starting (importing the package): the "
                         "process exited with code 1 (os._exit?)", 0),
    "syntax_error": ("import_error", "layers.py cannot be imported: import raised: SyntaxError: "
                     "invalid syntax (layers.py, line 5) (at neural_networks/layers.py:5", 14),
    "missing_import": ("import_error", "activations.py cannot be imported: import raised: "
                       "ModuleNotFoundError: No module named 'scipy_special_helpers_not_"
                       "installed' (at neural_networks/activations.py:3", 18),
    "missing_class": ("graded", "Conv2D forward: not implemented: AttributeError: layers.py has "
                      "no class Conv2D", 24),
    "ellipsis_return": ("graded", "ReLU forward: ReLU.forward returned Ellipsis: is it still a "
                        "stub?", 27),
    "exception_forward": ("graded", "Sigmoid forward: forward raised: ValueError: shapes (3,4) "
                          "and (5,) not aligned (at neural_networks/activations.py:8 in forward",
                          26),
    "infinite_loop": ("timeout", "TanH: no answer within 2 s (an infinite loop, or far too "
                      "slow)", 26),
    "memory_bomb": ("memory_limit", "relu: forward raised: MemoryError: Unable to allocate "
                    "1.00 GiB", 27),
    "sys_exit": ("graded", "Linear forward: forward raised: SystemExit: 3 (at "
                 "neural_networks/activations.py:10 in forward: sys.exit(3))", 27),
    "os_exit": ("crashed", "SoftMax: the process exited with code 7 (os._exit?)", 26),
    "segfault": ("crashed", "Flatten: the process was killed by signal SIGSEGV (a segmentation "
                 "fault", 26),
    "fork_storm": ("graded", "all 28 tests pass", FULL),
    "print_flood": ("graded", "all 28 tests pass", FULL),
    "write_outside": ("graded", "all 28 tests pass", FULL),
    "monkeypatch_numpy": ("graded", "Sigmoid forward: mismatched elements", 26),
    "returns_list": ("graded", "Linear forward: Linear.forward returned a builtins.list, not a "
                     "numpy.ndarray (the values match after conversion)", 27),
    "ndarray_subclass": ("graded", "ReLU forward: ReLU.forward returned a "
                         "neural_networks.activations.Tracked, not a numpy.ndarray", 27),
    "nan_outputs": ("graded", "TanH forward: 1 element(s) are NaN/Inf where finite values were "
                    "expected", 27),
    # right values, dY modified in place: the homework profile passes it with a warning
    "mutates_inputs": ("graded", "all 28 tests pass", FULL),
    "imports_typing_extensions": ("graded", "all 28 tests pass", FULL),
    # rewrites its child's replies (issue #21 point 2): a float32 Sigmoid claimed float64, the
    # copies of dY hidden after an in-place ReLU.backward, a transposed W claimed right and not
    # sent each fail; a list TanH claimed an ndarray earns what np.asarray would (type names
    # are the child's word, harness/check/checker.py `received`). Before: 28
    "forges_reply": ("graded", "Sigmoid forward: Sigmoid.forward returned dtype float32; the "
                     "contract is float64", 25),
    # bytes UTF-8 cannot write, in a message and in a file name: escaped, never fatal
    "surrogate_message": ("graded", "Sigmoid forward: forward raised: ValueError: bad byte "
                          "\\udcff in the message", 26),
    "odd_file_name": ("graded", "all 28 tests pass", FULL),
    # 3,000 nested directories left in /tmp: removed (see test_nothing_is_left_behind)
    "deep_tmp": ("graded", "all 28 tests pass", FULL),
    "reads_env": ("graded", "all 28 tests pass", FULL),
    "imports_torch": ("refused_import", "import of 'torch' refused at "
                      "neural_networks/layers.py:3: this assignment must be written from "
                      "scratch with NumPy", 14),
    "old_numpy": ("graded", "this code was written for an older NumPy: np.float (at "
                  "neural_networks/activations.py:10) was removed in NumPy 1.24/2.0", 27),
    # 20 MB exception messages, and 150,000-character strings in its replies: cut, files small
    "huge_message": ("graded", "Sigmoid forward: forward raised: ValueError", 26),
    # 96 MB into /tmp and its working directory: stopped at the disk quota, graded as usual
    "fills_disk": ("graded", "all 28 tests pass", FULL),
    # writes into nnparity's own channel a header announcing a 10 TB array, then 64 MB: a
    # protocol error that costs ReLU only (tests/test_integrity.py bounds the parent's memory)
    "floods_the_pipe": ("crashed", "ReLU: the child process broke the protocol", 26),
}
if not IS_ROOT:  # it would really write into the project: only run it where it is confined
    del EXPECTED["write_outside"]


@contextlib.contextmanager
def grading_lock(shared: Path):
    """Serialises this module's grading across xdist workers (and guards the shared batch)."""
    with open(shared / "nnparity-grading.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, worker_id) -> Path:
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _marked_processes(marker: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if marker in cmd:
                found.append(f"{pid}: {cmd}")
    return found


def _build_inputs(root: Path) -> Path:
    inputs = root / "in"
    shutil.copytree(CORPUS, inputs, ignore=shutil.ignore_patterns("rubric.toml", "__pycache__"))
    if not IS_ROOT:
        shutil.rmtree(inputs / "write_outside")
    else:
        targets = [PROJECT_ROOT / "harness" / "PWNED.txt", PROJECT_ROOT / "student_nn" / "x.py",
                   root / "out" / "PWNED.txt", root / "out" / "gradebook.csv",
                   inputs / "correct" / "neural_networks" / "activations.py",
                   Path(tempfile.gettempdir()) / f"{root.name}-pwned"]
        (inputs / "write_outside" / "neural_networks" / "targets.txt").write_text(
            "\n".join(map(str, targets)) + "\n")
    odd = inputs / "odd_file_name"
    shutil.copytree(CORPUS / "correct", odd)
    (Path(os.fsdecode(bytes(odd / "neural_networks") + b"/\xff\xfe notes.txt"))).write_text("x")
    correct = CORPUS / "correct" / "neural_networks"
    with zipfile.ZipFile(inputs / "correct_zip.zip", "w") as zf:  # nested one level, as zipped
        for f in ("__init__.py", "activations.py"):
            zf.write(correct / f, f"hw6/neural_networks/{f}")
    with zipfile.ZipFile(inputs / "zip_slip.zip", "w") as zf:
        zf.write(correct / "activations.py", "neural_networks/activations.py")
        zf.writestr("../evil.py", "print('escaped')\n")
    for p in [inputs, *inputs.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return inputs


def _leftover_stages(before: set[Path], patience: float = 60.0) -> list[str]:
    """Staging directories that appeared during the run and stay. /tmp is the machine's:
    another test (or grader) running beside this one stages there too, briefly; ours would
    stay for good, so a directory still there after `patience` seconds is a leftover."""
    deadline = time.monotonic() + patience
    while True:
        new = set(Path(tempfile.gettempdir()).glob("nnparity-stage-*")) - before
        if not new or time.monotonic() > deadline:
            return sorted(str(p) for p in new)
        time.sleep(0.5)


def _grade_corpus(dest: Path) -> dict:
    """Grade the corpus into dest/out; return what the tests check about the run itself."""
    root = Path(tempfile.mkdtemp(prefix="nnparity-corpus-"))
    root.chmod(0o755)  # the sandbox may reach the targets, so that only permissions stop it
    stages_before = set(Path(tempfile.gettempdir()).glob("nnparity-stage-*"))
    os.environ["NNPARITY_TEST_SECRET"] = SECRET
    try:
        inputs = _build_inputs(root)
        subs = sorted(str(p) for p in inputs.iterdir())
        rubric = load_rubric(RUBRIC)
        out = root / "out"
        log: list[str] = []
        first = grade_batch(subs, rubric, out, workers=2, progress=False, log=log.append)
        uids = sorted({r["sandbox"]["uid"] for r in first.results if r.get("sandbox")
                       and r["sandbox"]["uid"] is not None})
        run = {
            "graded": first.graded, "order": [r["name"] for r in first.results],
            "log": log,
            "leftover_processes": _marked_processes("nnparity-fork-storm")
            + [f"uid {u}: {left}" for u in uids if (left := processes_left_under(u))],
            "leftover_dirs": _leftover_stages(stages_before),
            "pwned_tmp": (Path(tempfile.gettempdir()) / f"{root.name}-pwned").exists(),
            "project_files": [str(p) for p in (PROJECT_ROOT / "harness" / "PWNED.txt",
                                               PROJECT_ROOT / "student_nn" / "x.py")
                              if p.exists()],
            "out_pwned": (out / "PWNED.txt").exists(),
            "correct_source": (inputs / "correct" / "neural_networks" /
                               "activations.py").read_text(),
            "uids": uids,
        }
        # An interrupted batch: the same command again grades nothing ...
        again = grade_batch(subs, rubric, out, workers=2, progress=False, log=log.append)
        run["resumed_all"] = sorted(again.resumed) == sorted(run["order"]) and not again.graded
        # ... and after losing two results (killed mid-write) regrades exactly those two.
        for name in ("ellipsis_return", "correct_zip"):
            (out / name / "result.json").unlink()
        (out / "sys_exit" / ".result.json.tmp123").write_text("{half a fi")
        third = grade_batch(subs, rubric, out, workers=1, progress=False, log=log.append)
        run["regraded"] = sorted(third.graded)
        run["regrade_scores"] = {r["name"]: [t["score"] for t in r["tests"]]
                                 for r in third.results if r["name"] in third.graded}
        shutil.copytree(out, dest / "out")
    finally:
        os.environ.pop("NNPARITY_TEST_SECRET", None)
        shutil.rmtree(root, ignore_errors=True)
    return run


@pytest.fixture(scope="module")
def corpus(shared: Path) -> dict:
    """{"run": facts about the batch, "results": name -> result.json, "out": Path}."""
    dest = shared / "nnparity-corpus"
    with grading_lock(shared):
        if not (dest / "run.json").exists():
            dest.mkdir(exist_ok=True)
            (dest / "run.json").write_text(json.dumps(_grade_corpus(dest)))
    out = dest / "out"
    results = {d.name: json.loads((d / "result.json").read_text())
               for d in out.iterdir() if (d / "result.json").exists()}
    return {"run": json.loads((dest / "run.json").read_text()), "results": results, "out": out}


# ------------------------------------------------------------------ per submission
def _reject_nonstandard(token: str) -> None:
    raise AssertionError(f"{token} is not standard JSON (Gradescope's parser rejects it)")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_submission(corpus, name):
    status, reason, score = EXPECTED[name]
    r = corpus["results"][name]
    assert r["status"] == status, r["reason"]
    assert reason in r["reason"]
    if score is not None:
        assert r["score"] == pytest.approx(score)
    assert r["max_score"] == FULL
    # every submission has its three files, and a valid Gradescope results.json
    d = corpus["out"] / name
    gs = json.loads((d / "results.json").read_text(), parse_constant=_reject_nonstandard)
    json.loads((d / "result.json").read_text(), parse_constant=_reject_nonstandard)
    assert gs["score"] == pytest.approx(r["score"])
    assert len(gs["tests"]) == 28
    for t in gs["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] == ("passed" if t["score"] >= t["max_score"] else "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    assert gs["output_format"] == "md" and r["reason"] in gs["output"]
    assert f"# Feedback: {name}" in (d / "feedback.md").read_text()


def _tests(corpus, name) -> dict[str, dict]:
    return {t["name"]: t for t in corpus["results"][name]["tests"]}


def test_only_the_broken_op_loses_points(corpus):
    broken = {"ellipsis_return": {"ReLU forward"}, "returns_list": {"Linear forward"},
              "ndarray_subclass": {"ReLU forward"}, "nan_outputs": {"TanH forward"},
              "mutates_inputs": set(), "old_numpy": {"ReLU forward"},
              "sys_exit": {"Linear forward"}, "infinite_loop": {"TanH forward",
                                                                "TanH backward dX"},
              "os_exit": {"SoftMax forward", "SoftMax backward dX"},
              "segfault": {"Flatten forward", "Flatten backward dX"},
              "monkeypatch_numpy": {"Sigmoid forward", "Sigmoid backward dX"},
              "memory_bomb": {"ReLU forward"}}
    for name, names in broken.items():
        lost = {n for n, t in _tests(corpus, name).items() if t["score"] < t["max_score"]}
        assert lost == names, name


def test_an_input_modified_in_place_is_a_warning_on_a_passing_test(corpus):
    test = _tests(corpus, "mutates_inputs")["ReLU backward dX"]
    assert test["score"] == test["max_score"]
    assert any(n.startswith("ReLU.backward modifies its input dY in place") and
               "the strict profile fails this" in n for n in test["notes"]), test["notes"]
    feedback = (corpus["out"] / "mutates_inputs" / "feedback.md").read_text()
    assert "ReLU.backward modifies its input dY in place" in feedback


def test_crash_and_hang_details(corpus):
    seg = _tests(corpus, "segfault")["Flatten forward"]
    assert "Segmentation fault at neural_networks/layers.py:10 in forward" in seg["message"]
    loop = _tests(corpus, "infinite_loop")["TanH forward"]
    assert loop["status"] == "timeout" and loop["passed"] == 0
    assert loop["not_run"] == 1  # it gave up after two timeouts in a row
    assert _tests(corpus, "os_exit")["SoftMax forward"]["not_run"] == 1


def test_refused_import_is_reported_with_its_place(corpus):
    r = corpus["results"]["imports_torch"]
    messages = [f["message"] for f in r["findings"] if f["code"] == "refused_import"]
    assert messages and all("neural_networks/layers.py:3" in m for m in messages)
    conv = _tests(corpus, "imports_torch")["Conv2D forward"]
    assert conv["score"] == 0 and "refused" in conv["message"]
    assert _tests(corpus, "imports_torch")["ReLU forward"]["score"] == 1  # bundled activations


def test_printing_100_mb_is_cut_not_fatal(corpus):
    r = corpus["results"]["print_flood"]
    (printed,) = [f["message"] for f in r["findings"] if f["code"] == "printed_at_import"]
    assert printed.startswith("importing activations.py printed: spam spam")
    assert "[... 99998052 more bytes cut]" in printed  # 100 x 1,000,001 bytes, 2 KB kept


def test_monkeypatched_numpy_changes_nothing(corpus):
    tests = _tests(corpus, "monkeypatch_numpy")
    assert tests["Sigmoid forward"]["score"] == 0
    assert tests["ReLU forward"]["score"] == 1  # np.save patched, answers still arrive


def test_feedback_has_the_investigated_details(corpus):
    feedback = (corpus["out"] / "monkeypatch_numpy" / "feedback.md").read_text()
    details = feedback.split("### Sigmoid forward", 1)[1]   # under the test it explains
    assert "sigmoid" in details and "Smallest failing case" in details
    assert "Smallest failing case" not in (corpus["out"] / "correct" / "feedback.md").read_text()


def test_environment_is_scrubbed(corpus):
    r = corpus["results"]["reads_env"]
    (printed,) = [f["message"] for f in r["findings"] if f["code"] == "printed_at_import"]
    keys = {kv.split("=", 1)[0] for kv in printed.split("printed: ENV ", 1)[1].split()
            if "=" in kv}
    assert "NNPARITY_TEST_SECRET" not in keys and "HOME" in keys
    for path in corpus["out"].rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


@pytest.mark.skipif(not IS_ROOT, reason="confinement needs root (to drop to another uid)")
def test_writes_outside_the_working_directory_are_denied(corpus):
    run = corpus["run"]
    assert run["project_files"] == [] and not run["out_pwned"]
    assert "pwned" not in run["correct_source"]
    r = corpus["results"]["write_outside"]
    printed = r["printed_at_import"]["activations"]
    assert printed.count("DENIED") == 5 and printed.count("WROTE") == 1  # only /tmp ...
    assert not run["pwned_tmp"]                                  # ... and it was cleaned
    assert any(f["code"] == "left_files" for f in r["findings"])
    assert "pwned" not in (corpus["out"] / "gradebook.csv").read_text()


def test_no_submission_is_charged_with_the_graders_own_directories(corpus):
    """A sandbox cleaning up after its uid leaves the directories of the sandboxes still
    running as that uid alone (a substitution rerun's child runs as the same uid as the
    submission's): they were removed mid-grading and reported to the student as files the
    submission left in /tmp."""
    for name, r in corpus["results"].items():
        for f in r["findings"]:
            if f["code"] == "left_files":
                for own in ("/tmp/nnparity-child-", "/tmp/nnparity-tmp-"):   # Sandbox's
                    assert own not in f["message"], (name, f["message"])


def test_nothing_is_left_behind(corpus):
    run = corpus["run"]
    assert run["leftover_processes"] == []
    assert run["leftover_dirs"] == []
    if IS_ROOT:
        assert len(run["uids"]) == 2  # one unprivileged uid per worker


def test_every_file_written_stays_small_whatever_the_submission(corpus):
    """Bounds stated in tests/test_integrity.py (RESULT_KB, FEEDBACK_KB), over the whole
    hostile corpus: 20 MB messages, print floods and crashes included."""
    for d in filter(Path.is_dir, corpus["out"].iterdir()):
        for name, bound in (("result.json", RESULT_KB), ("results.json", RESULT_KB),
                            ("feedback.md", FEEDBACK_KB)):
            size = (d / name).stat().st_size
            assert size < bound * 1024, f"{d.name}/{name}: {size} bytes"


def test_gradebook_has_one_row_per_submission(corpus):
    rows = list(csv.DictReader((corpus["out"] / "gradebook.csv").open()))
    assert [r["submission"] for r in rows] == corpus["run"]["order"]
    for row in rows:
        result = corpus["results"][row["submission"]]
        assert row["status"] == result["status"] and row["reason"] == result["reason"]
        assert float(row["score"]) == pytest.approx(result["score"])
        assert float(row["Conv2D forward"]) == next(
            t["score"] for t in result["tests"] if t["name"] == "Conv2D forward")


def test_resume_skips_finished_submissions_and_regrades_identically(corpus):
    run = corpus["run"]
    assert run["resumed_all"]
    assert run["regraded"] == ["correct_zip", "ellipsis_return"]
    for name, scores in run["regrade_scores"].items():
        assert scores == [t["score"] for t in corpus["results"][name]["tests"]]


# ------------------------------------------------------------------ Gradescope
def _autograder(tmp: Path, submission: Path | None, **env: str) -> dict:
    root = tmp / "autograder"
    (root / "submission").mkdir(parents=True)
    if submission is not None:
        shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
    for p in [tmp, *tmp.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    full_env = {**os.environ, "NNPARITY_AUTOGRADER_ROOT": str(root),
                "NNPARITY_PYTHON": sys.executable, "NNPARITY_RUBRIC": str(RUBRIC), **env}
    proc = subprocess.run(["bash", str(RUN_AUTOGRADER)], env=full_env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_survives_a_submission_that_crashes_everything(shared):
    tmp = Path(tempfile.mkdtemp(prefix="nnparity-ag-"))
    try:
        with grading_lock(shared):
            results = _autograder(tmp, CORPUS / "crash_everything")
        assert results["score"] == 0 and len(results["tests"]) == 28
        assert results["extra_data"]["status"] == "crashed"
        assert "exited with code 1" in results["output"]
        assert all(t["max_score"] > 0 and t["score"] == 0 for t in results["tests"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_run_autograder_writes_results_even_without_python(tmp_path):
    results = _autograder(tmp_path, CORPUS / "correct", NNPARITY_PYTHON="/bin/false")
    assert results["score"] == 0 and results["tests"] == []
    assert "could not grade" in results["output"]


# ------------------------------------------------------------------ rubric and command line
def test_default_rubric():
    rubric = load_rubric(DEFAULT_RUBRIC)
    assert rubric.max_score == 100 and len(rubric.tests) == 49
    assert rubric.graded_modules == ("activations", "layers", "losses", "models")
    assert rubric.refuse_imports == ("torch", "tensorflow", "jax", "student_nn")
    assert {item.visibility for item in rubric.items} == {"visible", "after_due_date"}
    assert rubric.case_count == 310
    assert rubric.fingerprint() == load_rubric(DEFAULT_RUBRIC).fingerprint()


@pytest.mark.parametrize("data, message", [
    ({"item": [{"op": "relu", "points": {"forward": 1}}], "extra": {}}, "unknown section"),
    ({"rubric": {"seeds": 1}, "item": [{"op": "relu", "points": {"forward": 1}}]},
     "unknown key(s) ['seeds']"),
    ({"item": [{"op": "gelu", "points": {"forward": 1}}]}, "unknown op 'gelu'"),
    ({"item": [{"op": "relu", "points": {"dW": 1}}]}, "relu has no output 'dW'"),
    ({"rubric": {"graded_modules": ["layers"]}, "item": [{"op": "relu",
                                                          "points": {"forward": 1}}]},
     "activations.py, which graded_modules does not list"),
    ({"item": [{"op": "relu", "points": {"forward": 1}}] * 2}, "test names must be unique"),
    ({"rubric": {"partial_credit": "some"}, "item": [{"op": "relu",
                                                      "points": {"forward": 1}}]},
     "'some' is not one of fraction, all_or_nothing"),
    ({"limits": {"case_seconds": -1}, "item": [{"op": "relu", "points": {"forward": 1}}]},
     "expected a positive number"),
    ({}, "no [[item]] entries"),
])
def test_rubric_errors_say_what_is_wrong(data, message):
    with pytest.raises(RubricError, match=None) as err:
        parse_rubric(data, "r.toml")
    assert message in str(err.value) and str(err.value).startswith("r.toml")


def test_all_or_nothing_credit():
    from harness.grading.grader import _test_entry
    rubric = parse_rubric({"rubric": {"partial_credit": "all_or_nothing"},
                           "item": [{"op": "relu", "points": {"forward": 2}}]})
    item = rubric.items[0]
    assert _test_entry(item, "forward", 2, 3, "fail", "")["score"] == 0
    assert _test_entry(item, "forward", 3, 3, "pass", "")["score"] == 2


def test_grade_command_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["grade", "--help"])
    assert exit_.value.code == 0
    assert "refused_import" in capsys.readouterr().out
    assert cli_main(["grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert cli_main(["grade", str(tmp_path / "notes.txt")]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[rubric\n")
    assert cli_main(["grade", str(CORPUS / "correct"), "--rubric", str(bad)]) == 2
    assert "is not valid TOML" in capsys.readouterr().err


def test_importing_the_bundled_solution_is_refused_by_default(tmp_path, shared):
    # nnparity's own student_nn lies beside the grader: the default rubric refuses it.
    sub = tmp_path / "copycat" / "neural_networks"
    sub.mkdir(parents=True)
    (sub / "activations.py").write_text("from student_nn.activations import *  # noqa\n")
    for p in [tmp_path, *tmp_path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    rubric = parse_rubric({"rubric": {"cases": 1, "investigate": 0},
                           "item": [{"op": "relu", "points": {"forward": 1}}]})
    assert "student_nn" in rubric.refuse_imports
    with grading_lock(shared):
        outcome = grade_batch([str(tmp_path / "copycat")], rubric, tmp_path / "out", workers=1,
                              progress=False, log=lambda line: None)
    (result,) = outcome.results
    assert result["status"] == "refused_import"
    assert "import of 'student_nn" in result["reason"] and "activations.py:1" in result["reason"]
    assert result["score"] == 0
