"""`check` and `grade` agree: the same submission, profile, cases and seed give every
(op, output) the same status in `nnparity check --impl X`'s report.json as in
`nnparity grade X`'s result.json, over the whole test corpus (tests/buggy_impls,
tests/diagnosis_impls, tests/submissions, tests/real_layouts).

What differs between the two by design is levelled out by the rubric each test writes:

- refused imports: the grader refuses torch, tensorflow, jax and student_nn by default,
  `check` refuses nothing. The rubric here refuses nothing either (`refuse_imports = []`), so
  a submission that imports student_nn (the hostile corpus subclasses it) or torch is
  compared as `check` sees it; that the default rubric refuses them is tests/test_grading.py's
  business.
- missing graded modules: `check` borrows them from student_nn; the rubric does too
  (`missing_module = "bundled"`), since most of these packages hold only the module they break.
- limits: `check` has a wall-clock limit per case and no other. The rubric sets the same
  case_seconds and puts every other limit (CPU, memory, processes, file size, the
  submission's time budget) far out of reach, so no case can end differently for a limit only
  one side has; `numpy_compat` stays off (`check` has no shim); investigation is off (it never
  changes a status, and grading would spend its budget on it).

Three hostile submissions are not run through `check`, because `check` has no limit that would
stop them on this shared machine: memory_bomb (allocates until memory runs out: `check` sets no
address-space limit), fork_storm (forks without end: no process limit) and write_outside
(writes into the project: `check` runs the implementation unconfined, as the user who runs
it). not_a_package holds no package (`check` exits 2, `grade` calls it invalid).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.apis.known import OPS
from harness.cli import main

TESTS = Path(__file__).parent
SEED, CASES, CASE_SECONDS = 11, 3, 2
# The ops of the graded modules activations, layers and losses (the HW6 rubric's).
HW6_OPS = [OPS[n] for n in ("linear", "sigmoid", "tanh", "relu", "softmax", "fully_connected",
                             "conv2d", "pool2d_max", "pool2d_average", "flatten",
                             "cross_entropy", "l2")]
NOT_RUN_BY_CHECK = {
    "submissions/memory_bomb": "check sets no memory limit",
    "submissions/fork_storm": "check sets no process limit",
    "submissions/write_outside": "check runs the implementation unconfined",
    "submissions/not_a_package": "no package (check: exit 2; grade: invalid)",
}


def corpus() -> list[str]:
    found = []
    for group in ("buggy_impls", "diagnosis_impls", "submissions", "real_layouts"):
        for p in sorted((TESTS / group).iterdir()):
            if p.is_dir() and f"{group}/{p.name}" not in NOT_RUN_BY_CHECK:
                found.append(f"{group}/{p.name}")
    return found


RUBRIC = f"""\
[rubric]
name = "agree"
seed = {SEED}
cases = {CASES}
profile = "homework"
graded_modules = ["activations", "layers", "losses"]
missing_module = "bundled"
refuse_imports = []
numpy_compat = false
investigate = 0

[limits]
case_seconds = {CASE_SECONDS}
startup_seconds = 60
submission_seconds = 3600
case_cpu_seconds = 600
process_cpu_seconds = 3600
memory_mb = 1048576
processes = 1000000
file_mb = 1048576
output_kb = 3.90625
"""


def rubric(path: Path) -> Path:
    items = []
    for spec in HW6_OPS:
        points = ", ".join(f"{o} = 1" for o in spec.outputs)
        items.append(f'[[item]]\nname = "{spec.name}"\nop = "{spec.name}"\n'
                     f"points = {{ {points} }}\n")
    path.write_text(RUBRIC + "\n" + "\n".join(items))
    return path


def test_the_corpus_is_what_the_docstring_says():
    names = corpus()
    assert len(names) > 60
    for group in ("buggy_impls", "diagnosis_impls", "submissions", "real_layouts"):
        assert any(n.startswith(group + "/") for n in names), group
    for skipped in NOT_RUN_BY_CHECK:
        assert (TESTS / skipped).is_dir(), skipped


@pytest.mark.parametrize("impl", corpus())
def test_check_and_grade_give_every_item_the_same_status(impl, tmp_path, capsys):
    path = TESTS / impl
    code = main(["check", "--impl", str(path), "--cases", str(CASES), "--seed", str(SEED),
                 "--ops", ",".join(s.name for s in HW6_OPS), "--timeout", str(CASE_SECONDS),
                 "--report", str(tmp_path / "check")])
    assert code in (0, 1)
    report = json.loads((tmp_path / "check" / "report.json").read_text())
    assert main(["grade", str(path), "--rubric", str(rubric(tmp_path / "rubric.toml")),
                 "--out", str(tmp_path / "grade"), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    result = json.loads((tmp_path / "grade" / path.name / "result.json").read_text())
    checked = {(r["op"], r["output"]): r["status"] for r in report["results"]}
    graded = {(t["op"], t["output"]): t["status"] for t in result["tests"]}
    # an op the submission's edition does not ask for is neither checked nor graded
    not_graded = {n["op"] for n in result.get("not_graded", [])}
    assert not_graded == {s["op"] for s in report.get("skipped", [])}
    assert len(graded) == sum(len(s.outputs) for s in HW6_OPS if s.name not in not_graded), \
        result["reason"]
    assert checked == graded, result["reason"]
