"""Loading implementations: package shapes, modules taken from student_nn, broken packages."""

from pathlib import Path

import pytest

from harness.evaluate import Checker
from harness.loader import LoadError, locate
from harness.registry import get_op

BUGS = Path(__file__).parent / "buggy_impls"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_locate_accepts_the_parent_the_package_or_a_student_nn_copy(tmp_path):
    bug = BUGS / "l2_backward_missing_two"
    assert locate(bug) == (bug / "neural_networks").resolve()
    assert locate(bug / "neural_networks") == (bug / "neural_networks").resolve()
    _write(tmp_path / "student_nn" / "losses.py", "")
    assert locate(tmp_path) == (tmp_path / "student_nn").resolve()
    with pytest.raises(LoadError, match="is a file"):
        locate(bug / "neural_networks" / "losses.py")


def _first_verdicts(impl: Path, op: str):
    spec = get_op(op)
    with Checker(impl) as checker:
        return checker.check(spec, next(iter(spec.cases(1))))


def test_a_student_nn_shaped_copy_is_not_confused_with_the_bundled_one(tmp_path):
    # A submission called student_nn whose L2 is wrong, importing its siblings by name.
    _write(tmp_path / "student_nn" / "__init__.py", "")
    _write(tmp_path / "student_nn" / "losses.py",
           "from student_nn.weights import initialize_weights  # starter-code import\n"
           "class L2:\n"
           "    def __init__(self, name=None): pass\n"
           "    def forward(self, Y, Y_hat): return ((Y - Y_hat) ** 2).sum()\n"
           "    def backward(self, Y, Y_hat): return 2 * (Y_hat - Y) / Y.size\n")
    verdicts = _first_verdicts(tmp_path, "l2")
    assert verdicts["forward"].status == "fail"     # the copy's bug, not the bundled L2
    assert verdicts["dX"].status == "pass"


def test_a_missing_class_is_not_implemented_and_other_classes_still_run(tmp_path):
    _write(tmp_path / "neural_networks" / "losses.py",
           "from student_nn.losses import CrossEntropy  # noqa: F401\n")
    l2 = _first_verdicts(tmp_path, "l2")
    assert l2["forward"].status == "not_implemented"
    assert "has no class L2" in l2["forward"].message
    assert _first_verdicts(tmp_path, "cross_entropy")["forward"].status == "pass"


def test_an_exception_names_the_students_file_and_line(tmp_path):
    _write(tmp_path / "neural_networks" / "activations.py",
           "from student_nn.activations import *  # noqa: F403\n"
           "from student_nn.activations import TanH as _TanH\n"
           "class TanH(_TanH):\n"
           "    def backward(self, Z, dY):\n"
           "        return dY * (1 - self.forward(Z) ** 2)[:, :, None] + undefined_name\n")
    v = _first_verdicts(tmp_path, "tanh")
    assert v["forward"].status == "pass"
    assert v["dX"].status == "error"
    assert v["dX"].error["file"] == "neural_networks/activations.py"
    assert v["dX"].error["line"] == 5
    assert "activations.py:5 in backward" in v["dX"].message


def test_a_broken_package_init_does_not_hide_its_modules(tmp_path):
    _write(tmp_path / "neural_networks" / "__init__.py", "raise RuntimeError('broken init')\n")
    _write(tmp_path / "neural_networks" / "activations.py",
           "from student_nn.activations import *  # noqa: F403\n")
    assert _first_verdicts(tmp_path, "relu")["forward"].status == "pass"
