"""Where each module comes from (harness/sandbox/sources.py): decided statically, from the
imports."""

from pathlib import Path

import pytest

from harness.apis.hw6.package import BUNDLED_DIR, LOADER
from harness.core.loading import BUNDLED, SUBMISSION, LoadError, Source
from harness.sandbox.loader import PackageLoader
from harness.sandbox.sources import imports_of

GRADED = ("activations", "layers", "losses")
plan_sources = LOADER.plan


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


def test_the_package_loader_follows_its_adapters_declaration_not_hw6s(tmp_path):
    # Another API's package, with its own names and modules, is located and planned by the
    # same loader: the names are the adapter's declaration (HW6's: harness/apis/hw6/package.py).
    bundled = (tmp_path / "ref" / "minilib").resolve()
    _write(bundled / "ops.py", "def helper(): pass\n")
    _write(bundled / "nn.py", "")
    loader = PackageLoader(package="minilib", dirs=("minilib",), modules=("nn", "ops"),
                           bundled=bundled, api="mini")
    _write(tmp_path / "sub" / "minilib" / "nn.py", "from .ops import helper\n")
    package = loader.locate(tmp_path / "sub")
    assert package == (tmp_path / "sub" / "minilib").resolve()
    plan = loader.plan(package, ("nn",))
    assert plan.origin("nn") == SUBMISSION
    assert plan.sources["ops"] == Source("ops", BUNDLED, "missing from the submission")
    assert loader.staged(package, ("nn",), None, ()) == {"ops": bundled / "ops.py"}
    assert loader.child_args() == ["--api", "mini"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match=r"no minilib/ package and no contract modules \(nn, "):
        loader.locate(tmp_path / "empty")
