"""Grading submissions of another API: CS231n's layers.py and a user-declared adapter."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from harness.cli import main
from harness.grading import gradescope
from harness.grading.rubric import RubricError, load_rubric, parse_rubric

HERE = Path(__file__).parent
ROOT = HERE.parent
CS231N = HERE / "cs231n_impls"
RUBRIC = """
[rubric]
name = "small"
api = "{api}"
cases = 4
refuse_imports = ["torch"]
{items}
"""
BATCHNORM = """
[[item]]
op = "batchnorm"
points = { forward = 1, dX = 1, running_mean = 1 }
[[item]]
op = "dropout"
points = { forward = 1, mask = 1 }
"""


def _grade(tmp_path: Path, rubric: str, *subs: Path) -> dict[str, dict]:
    path = tmp_path / "rubric.toml"
    path.write_text(rubric)
    out = tmp_path / "out"
    code = main(["grade", *map(str, subs), "--rubric", str(path), "--out", str(out),
                 "--workers", "1"])
    assert code in (0, 1)
    with open(out / "gradebook.csv") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def test_cs231n_submissions_are_graded_with_their_own_api(tmp_path) -> None:
    nested = tmp_path / "assignment2.zip"   # a zipped checkout: assignment2/cs231n/layers.py
    with zipfile.ZipFile(nested, "w") as z:
        z.write(CS231N / "batchnorm_momentum_swapped" / "cs231n" / "layers.py",
                "assignment2/cs231n/layers.py")
    rows = _grade(tmp_path, RUBRIC.format(api="cs231n", items=BATCHNORM),
                  CS231N / "flat_layout", HERE / "cs231n_layouts" / "skeleton", nested)
    assert rows["flat_layout"]["score"] == "5.0" and rows["flat_layout"]["status"] == "graded"
    assert rows["skeleton"]["score"] == "0.0"
    assert "has no function batchnorm_forward" in rows["skeleton"]["reason"]
    swapped = rows["assignment2"]
    assert swapped["score"] == "4.0"
    assert swapped["batchnorm running_mean"] == "0.0" and swapped["batchnorm forward"] == "1.0"
    result = json.loads((tmp_path / "out" / "assignment2" / "result.json").read_text())
    assert result["package"].endswith("cs231n")
    assert result["modules"] == {"layers": {"origin": "submission", "reason": "graded"}}


def test_an_adapter_rubric_grades_a_class_library(tmp_path) -> None:
    rubric = (RUBRIC.format(api=str(ROOT / "docs" / "adapters" / "dlfs.toml"), items="""
[[item]]
op = "affine"
points = { forward = 1, dX = 1, dW = 1, db = 1 }
[[item]]
op = "sigmoid"
points = { forward = 1, dX = 1 }
"""))
    buggy = tmp_path / "buggy"
    shutil.copytree(HERE / "adapter_impls" / "dlfs", buggy)
    layers = buggy / "common" / "layers.py"
    layers.write_text(layers.read_text().replace("dout * self.out * (1.0 - self.out)",
                                                 "dout * self.out"))
    rows = _grade(tmp_path, rubric, HERE / "adapter_impls" / "dlfs", buggy)
    assert rows["dlfs"]["score"] == "6.0"
    assert rows["buggy"]["score"] == "5.0" and rows["buggy"]["sigmoid backward dX"] == "0.0"


def test_the_shipped_cs231n_rubric_is_100_points_over_its_ops() -> None:
    rubric = load_rubric(ROOT / "harness" / "rubrics" / "cs231n.toml")
    assert rubric.api == "cs231n" and rubric.max_score == 100
    assert {item.op for item in rubric.items} >= {"cs231n:batchnorm", "cs231n:dropout",
                                                 "cs231n:conv2d", "cs231n:softmax_loss"}


@pytest.mark.parametrize("text, message", [
    ('[rubric]\napi = "keras"\n[[item]]\nop = "relu"\npoints = {forward = 1}',
     "unknown API 'keras'"),
    ('[rubric]\napi = "cs231n"\n[[item]]\nop = "sigmoid"\npoints = {forward = 1}',
     "unknown op 'sigmoid' for the cs231n API"),
    ('[rubric]\napi = "cs231n"\ngraded_modules = ["activations"]\n[[item]]\nop = "relu"\n'
     'points = {forward = 1}', "'activations' is not a module of the cs231n API"),
])
def test_a_rubric_for_the_wrong_api_says_what_is_wrong(text, message) -> None:
    import tomllib
    with pytest.raises(RubricError, match="api|op|graded_modules") as err:
        parse_rubric(tomllib.loads(text), "r.toml")
    assert message in str(err.value)


def test_grade_api_picks_the_shipped_rubric_or_checks_the_given_one(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    correct = ROOT / "student_nn" / "cs231n"   # self-contained (the shipped rubric refuses
    code = main(["grade", str(correct), "--api", "cs231n", "--out", str(out),  # student_nn)
                 "--workers", "1", "--no-progress"])
    assert code == 0
    result = json.loads((out / "cs231n" / "result.json").read_text())
    assert result["rubric"]["name"] == "cs231n" and result["score"] == 100
    code = main(["grade", str(CS231N / "flat_layout"), "--api", "cs231n", "--rubric",
                 str(ROOT / "harness" / "rubrics" / "hw6.toml"), "--out", str(tmp_path / "x")])
    assert code == 2 and "grades the hw6 API" in capsys.readouterr().err


def _gradescope(tmp_path: Path, upload: Path, rubric: str) -> dict:
    """Gradescope's layout: the upload in ROOT/submission, the staff's rubric in
    ROOT/source/rubric.toml; returns ROOT/results/results.json."""
    root = tmp_path / "autograder"
    shutil.copytree(upload, root / "submission")
    (root / "source").mkdir()
    (root / "source" / "rubric.toml").write_text(rubric)
    assert gradescope.main(["--root", str(root)]) == 0
    return json.loads((root / "results" / "results.json").read_text())


def test_gradescope_grades_a_cs231n_upload(tmp_path) -> None:
    """A CS231n-style upload (cs231n/layers.py) graded by the Gradescope entry point with a
    rubric that names the cs231n API: full marks when correct; the one wrong output loses
    exactly its points, and the feedback names the student's own file and function, a repro
    command for a cs231n checkout, and none of HW6's conventions."""
    rubric = RUBRIC.format(api="cs231n", items=BATCHNORM)
    correct = _gradescope(tmp_path / "a", CS231N / "flat_layout", rubric)
    assert correct["score"] == 5.0 and correct["extra_data"]["status"] == "graded"
    assert {t["name"] for t in correct["tests"]} >= {"batchnorm forward", "dropout mask"}
    upload = tmp_path / "upload"
    (upload / "cs231n").mkdir(parents=True)
    shutil.copy(CS231N / "batchnorm_momentum_swapped" / "cs231n" / "layers.py",
                upload / "cs231n" / "layers.py")
    buggy = _gradescope(tmp_path / "b", upload, rubric)
    assert buggy["score"] == 4.0
    lost = [t for t in buggy["tests"] if t["score"] < t["max_score"]]
    assert [t["name"] for t in lost] == ["batchnorm running_mean"]
    assert "momentum weighs the wrong term" in lost[0]["output"]
    assert "--impl 'path/to/your/cs231n'" in lost[0]["output"]
    assert "open `cs231n/layers.py · batchnorm_forward`" in buggy["output"]
    assert "neural_networks" not in buggy["output"] and "maxpool_pad" not in buggy["output"]
