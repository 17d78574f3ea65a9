"""Loading implementations: package shapes, modules taken from student_nn, broken packages."""

from pathlib import Path

import pytest

from harness.apis.hw6.package import LOADER
from harness.check.checker import Checker
from harness.core.loading import LoadError
from harness.core.registry import get_op

BUGS = Path(__file__).parent / "buggy_impls"
locate = LOADER.locate


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
           "    def forward(self, Y, Y_hat): return 2 * ((Y - Y_hat) ** 2).mean()\n"
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


# ------------------------------------------------------------------ the submission's own layout
FLATTEN_ON_OWN_HELPER = (
    "from neural_networks.utils.convolution import flat, unflat\n"
    "from student_nn.layers import Flatten as _Flatten\n"
    "class Flatten(_Flatten):\n"
    "    def forward(self, X):\n"
    "        self.in_shape = X.shape\n"
    "        return flat(X)\n"
    "    def backward(self, dY):\n"
    "        return unflat(dY, self.in_shape)\n")


def _starter_2021_layout(root: Path, flat_bug: str = "") -> Path:
    """A starter-code layout: utils/ without __init__.py holding convolution.py, no top-level
    __init__.py, a datasets.py that needs pandas, a weights.py that handles 2-D shapes only."""
    pkg = root / "neural_networks"
    _write(pkg / "utils" / "convolution.py",
           "import numpy as np\n"
           f"def flat(X):\n    return X.reshape(X.shape[0], -1){flat_bug}\n"
           "def unflat(dY, shape):\n    return dY.reshape(shape)\n")
    _write(pkg / "utils" / "data_structures.py", "class AttrDict(dict):\n    pass\n")
    _write(pkg / "datasets.py", "import pandas as pd\nimport not_installed_plotting_lib\n")
    _write(pkg / "weights.py",
           "import numpy as np\n"
           "def initialize_weights(name, activation=None):\n"
           "    def init(shape):\n"
           "        n_in, n_out = shape  # 2-D only: a kernel (kh, kw, cin, cout) breaks this\n"
           "        return np.random.uniform(-1, 1, size=shape) * np.sqrt(6 / (n_in + n_out))\n"
           "    return init\n")
    _write(pkg / "layers.py", "from neural_networks.weights import initialize_weights\n"
           + FLATTEN_ON_OWN_HELPER
           + "from student_nn.layers import Conv2D  # noqa: F401\n")
    return root


def test_a_utils_package_without_init_is_the_submissions_own(tmp_path):
    impl = _starter_2021_layout(tmp_path)
    v = _first_verdicts(impl, "flatten")
    assert v["forward"].status == "pass", v["forward"].message
    assert v["dX"].status == "pass"
    with Checker(impl) as checker:
        plan = checker.plan()
    assert plan.origin("utils") == "submission"
    assert "utils.convolution" in plan.sources["utils"].reason
    assert plan.origin("datasets") == "submission" and "datasets" not in plan.running
    # weights.py is not graded and student_nn provides what layers.py imports from it
    assert plan.origin("weights") == "student_nn"
    assert "initialize_weights" in plan.sources["weights"].reason


def test_the_submissions_own_helper_really_runs(tmp_path):
    impl = _starter_2021_layout(tmp_path, flat_bug=" * 2")  # the bug lives in utils/
    v = _first_verdicts(impl, "flatten")
    assert v["forward"].status == "fail"
    assert v["dX"].status == "pass"


def test_a_broken_starter_weights_file_cannot_sink_conv2d(tmp_path):
    impl = _starter_2021_layout(tmp_path)
    v = _first_verdicts(impl, "conv2d")
    assert {o: x.status for o, x in v.items()} == dict.fromkeys(v, "pass")


def test_modules_come_from_the_starter_when_one_is_given(tmp_path):
    impl = _starter_2021_layout(tmp_path / "sub")
    starter = tmp_path / "starter" / "neural_networks"
    _write(starter / "weights.py", "from student_nn.weights import initialize_weights  # noqa\n")
    with Checker(impl, starter=tmp_path / "starter") as checker:
        assert checker.plan().origin("weights") == "starter"
        spec = get_op("conv2d")
        v = checker.check(spec, next(iter(spec.cases(1))))
    assert v["dW"].status == "pass"


def test_a_name_nothing_provides_names_the_module_and_the_name(tmp_path):
    pkg = tmp_path / "neural_networks"
    _write(pkg / "utils.py", "def pad2d(X, p):\n    return X\n")
    _write(pkg / "layers.py", "from .utils import im2col_fast\nfrom student_nn.layers import *\n")
    v = _first_verdicts(tmp_path, "flatten")["forward"]
    assert v.status == "error"
    assert "im2col_fast" in v.message and "neural_networks.utils" in v.message
    assert "layers.py:1" in v.message
    with Checker(tmp_path) as checker:
        src = checker.plan().sources["utils"]
    assert src.origin == "submission" and "im2col_fast" in src.reason


def test_a_graded_module_importing_an_absent_package_names_it_and_the_line(tmp_path):
    _write(tmp_path / "neural_networks" / "losses.py",
           "import numpy as np\nimport tqdm_not_installed_here\nfrom student_nn.losses import *\n")
    v = _first_verdicts(tmp_path, "l2")["forward"]
    assert v.status == "error"
    assert "tqdm_not_installed_here" in v.message
    assert "is not available inside the grader's sandbox" in v.message
    assert "losses.py:2" in v.message
    assert _first_verdicts(tmp_path, "relu")["forward"].status == "pass"  # other modules run


# ------------------------------------------------------------------ packages starter code imports
def test_a_starter_import_of_tqdm_or_pandas_does_not_sink_a_graded_module(tmp_path):
    _write(tmp_path / "neural_networks" / "losses.py",
           "import pandas as pd\nimport matplotlib.pyplot as plt\nfrom tqdm import tqdm, trange\n"
           "from sklearn.utils import shuffle  # noqa: F401\n"
           "from student_nn.losses import *\n"
           "assert [i for i in tqdm(range(3))] == [0, 1, 2] and len(list(trange(2))) == 2\n")
    v = _first_verdicts(tmp_path, "l2")
    assert v["forward"].status == "pass", v["forward"].message


def test_using_a_stood_in_package_is_an_error_that_says_so(tmp_path):
    _write(tmp_path / "neural_networks" / "activations.py",
           "import pandas as pd\n"
           "from student_nn.activations import *  # noqa: F403\n"
           "from student_nn.activations import ReLU as _ReLU\n"
           "class ReLU(_ReLU):\n"
           "    def forward(self, Z):\n"
           "        return pd.DataFrame(Z).clip(lower=0).values\n")
    v = _first_verdicts(tmp_path, "relu")["forward"]
    assert v.status == "error"
    assert "pandas.DataFrame was used" in v.message
    assert "not available inside the grader's sandbox" in v.message
    assert "activations.py:6" in v.message
