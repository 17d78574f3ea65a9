"""Where each module comes from (harness/sandbox/sources.py): decided statically, from the
imports."""

from pathlib import Path

from harness.sandbox.sources import BUNDLED_DIR, imports_of, plan_sources

GRADED = ("activations", "layers", "losses")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_imports_are_read_relative_absolute_and_from_subpackages(tmp_path):
    pkg = tmp_path / "neural_networks"
    _write(pkg / "utils" / "convolution.py",
           "from ..weights import initialize_weights\nfrom .helpers import x\n")
    _write(pkg / "layers.py",
           "from neural_networks.activations import initialize_activation\n"
           "from .utils.convolution import im2col, pad2d\n"
           "from . import optimizers\n"
           "import neural_networks.models\n"
           "import numpy as np\n"
           "def f():\n    from .losses import L2\n")
    found = imports_of(pkg / "layers.py", pkg, ("neural_networks",))
    assert found["activations"].names == {"initialize_activation"}
    assert found["utils"].submodules == {"convolution"} and not found["utils"].names
    assert found["optimizers"].whole and found["models"].whole
    assert found["losses"].names == {"L2"}           # imports inside functions count
    sub = imports_of(pkg / "utils" / "convolution.py", pkg, ("neural_networks",))
    assert sub["weights"].names == {"initialize_weights"}
    assert sub["utils"].submodules == {"helpers"}


def test_student_nn_serves_a_module_only_when_it_has_every_imported_name(tmp_path):
    pkg = tmp_path / "neural_networks"
    _write(pkg / "utils.py", "def pad2d(X, p): ...\ndef my_own_helper(X): ...\n")
    _write(pkg / "weights.py", "def initialize_weights(name, activation=None): ...\n")
    _write(pkg / "layers.py", "from .utils import pad2d, my_own_helper\n"
                              "from .weights import initialize_weights\n")
    plan = plan_sources(pkg, GRADED)
    assert plan.origin("weights") == "student_nn"
    assert plan.origin("utils") == "submission"
    assert "my_own_helper" in plan.sources["utils"].reason
    assert plan.running == {"layers", "utils"}


def test_a_module_taken_from_the_submission_adds_what_it_imports(tmp_path):
    # layers -> own helpers.py (student_nn has none) -> weights.special: weights must be own
    pkg = tmp_path / "neural_networks"
    _write(pkg / "helpers.py", "from .weights import special_init\n")
    _write(pkg / "weights.py", "def special_init(): ...\n")
    _write(pkg / "layers.py", "from .helpers import *\n")
    plan = plan_sources(pkg, GRADED)
    assert plan.origin("helpers") == "submission"
    assert plan.origin("weights") == "submission"
    assert "special_init" in plan.sources["weights"].reason


def test_graded_modules_are_always_the_submissions_and_missing_ones_are_named(tmp_path):
    pkg = tmp_path / "neural_networks"
    _write(pkg / "activations.py", "")
    assert plan_sources(pkg, GRADED).origin("activations") == "submission"
    assert plan_sources(pkg, GRADED).origin("layers") == "student_nn"     # check: borrowed
    assert plan_sources(pkg, GRADED, missing_graded="missing").origin("layers") == "missing"
    assert plan_sources(pkg, None).origin("activations") == "submission"


def test_the_starter_wins_for_modules_that_are_not_graded(tmp_path):
    pkg = tmp_path / "sub" / "neural_networks"
    _write(pkg / "weights.py", "")
    _write(pkg / "layers.py", "")
    _write(tmp_path / "starter" / "neural_networks" / "weights.py", "")
    _write(tmp_path / "starter" / "neural_networks" / "layers.py", "")
    plan = plan_sources(pkg, GRADED, tmp_path / "starter")
    assert plan.origin("weights") == "starter"
    assert plan.origin("layers") == "submission"      # graded: never the starter's


def test_the_bundled_implementation_is_all_its_own():
    plan = plan_sources(BUNDLED_DIR, GRADED)
    assert {s.origin for s in plan.sources.values()} == {"submission"}
