"""A user-declared adapter end to end: the "Deep Learning from Scratch" class API.

tests/adapter_impls/dlfs is a library in the book's layout (common/layers.py with
functions.py and util.py); docs/adapters/dlfs.toml is the documented adapter for it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.apis.user import AdapterError, load_adapter
from harness.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent
ADAPTER = ROOT / "docs" / "adapters" / "dlfs.toml"
LIBRARY = HERE / "adapter_impls" / "dlfs"
BUGS = {  # one line of common/layers.py -> its buggy replacement
    "        return dout * self.out * (1.0 - self.out)": "        return dout * self.out",
    "        self.db = dout.sum(axis=0)\n        return (dout @ self.W.T)":
        "        self.db = dout[0]\n        return (dout @ self.W.T)",
}


def _check(tmp_path: Path, impl: Path, *args: str, api: Path = ADAPTER) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = main(["check", "--api", str(api), "--impl", str(impl), "--cases", "10",
                 "--report", str(tmp_path / "r"), "--json", str(out), *args])
    return code, json.loads(out.read_text())


def test_the_documented_adapter_checks_a_correct_library(tmp_path) -> None:
    code, report = _check(tmp_path, LIBRARY)
    assert code == 0
    assert {r["op"] for r in report["results"]} == {
        f"dlfs:{n}" for n in ("relu", "sigmoid", "affine", "softmax_with_loss", "convolution",
                              "pooling", "batch_normalization", "batch_normalization_test",
                              "dropout", "dropout_test")}
    assert all(r["status"] == "pass" for r in report["results"])
    notes = {(r["op"], r["output"]): r["notes"] for r in report["results"]}
    # what the adapter declares beyond the twin is said once per op, in words
    assert any("eps = 1e-06: the library's own" in n
               for n in notes["dlfs:batch_normalization", "forward"])
    assert not any("eps" in n for n in notes["dlfs:batch_normalization", "dX"])
    assert any("−mean log(p_y + 1e-07)" in n for n in notes["dlfs:softmax_with_loss", "forward"])
    assert any("non-inverted dropout" in n for n in notes["dlfs:dropout", "forward"])


def test_bugs_in_the_library_fail_exactly_there_with_the_formula_named(tmp_path) -> None:
    buggy = tmp_path / "lib"
    shutil.copytree(LIBRARY, buggy)
    layers = buggy / "common" / "layers.py"
    text = layers.read_text()
    for right, wrong in BUGS.items():
        assert text.count(right) == 1
        text = text.replace(right, wrong)
    layers.write_text(text)
    code, report = _check(tmp_path, buggy)
    failing = {(r["op"], r["output"]): r for r in report["results"] if r["status"] != "pass"}
    assert code == 1
    assert set(failing) == {("dlfs:sigmoid", "dX"), ("dlfs:affine", "db")}
    top = failing[("dlfs:sigmoid", "dX")]["finding"]["diagnosis"][0]
    assert top["code"] == "wrong_formula" and "(1 − σ(Z)) factor is missing" in top["message"]
    opens = {e["open"] for e in report["fix_list"]}
    assert opens == {"common/layers.py · Sigmoid.backward",
                     "common/layers.py · Affine.backward (self.db)"}
    repro = failing[("dlfs:affine", "db")]["finding"]["repro"]
    assert f"--api '{ADAPTER}'" in repro


def test_repro_needs_only_the_case_id_and_the_adapter(capsys) -> None:
    code = main(["repro", "dlfs:affine/shape=2x3,m=4,seed=5", "--api", str(ADAPTER),
                 "--impl", str(LIBRARY)])
    assert code == 0
    assert "PASS" in capsys.readouterr().out


def test_a_python_adapter_and_a_missing_class(tmp_path) -> None:
    adapter = tmp_path / "mine.py"
    adapter.write_text(
        "ADAPTER = {'api': {'name': 'mine', 'package': 'common', 'module': 'layers'},\n"
        "           'op': [{'name': 'tanh', 'twin': 'tanh', 'class': 'Tanh',\n"
        "                   'forward': ['Z'], 'backward': ['dY']}]}\n")
    code, report = _check(tmp_path, LIBRARY, api=adapter)
    assert code == 1
    (item, _) = report["results"]
    assert item["status"] == "not_implemented"
    assert "layers.py has no class Tanh" in item["finding"]["message"]


@pytest.mark.parametrize("change, message", [
    ('twin = "cs231n:affine"', "is not an op an adapter can map to"),
    ('init = ["w", "b"]', "are not inputs or parameters of cs231n:affine"),
    ('grads = { dW = "dW", db = "db" }', "has no output(s) ['dQ']"),
])
def test_a_mistake_in_the_adapter_says_where_and_what(tmp_path, change, message) -> None:
    bad = {'twin = "cs231n:affine"': 'twin = "cs231n:affinity"',
           'init = ["w", "b"]': 'init = ["W", "b"]',
           'grads = { dW = "dW", db = "db" }': 'grads = { dQ = "dW", db = "db" }'}[change]
    text = ADAPTER.read_text().replace('name = "dlfs"', 'name = "dlfs_bad"')
    assert text.count(change) >= 1
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(change, bad, 1))
    with pytest.raises(AdapterError, match="op") as err:
        load_adapter(path)
    assert message in str(err.value) and str(path) in str(err.value)
    assert main(["check", "--api", str(path), "--impl", str(LIBRARY)]) == 2


def test_a_checker_with_nothing_to_check_says_what_to_give(tmp_path) -> None:
    """An adapter without an `example` has no bundled implementation: a checker made without
    an implementation says so at once, instead of starting a child on the path "None"."""
    from harness.check.checker import Checker

    adapter = tmp_path / "no_example.toml"
    adapter.write_text(ADAPTER.read_text().replace('name = "dlfs"', 'name = "dlfs_bare"', 1))
    api = load_adapter(adapter)
    assert api.bundled is None
    with pytest.raises(ValueError, match="no implementation to check.*give impl"):
        Checker(None, api=api.name)


# ------------------------------------------------------------------ the extended format
MYTORCH_ADAPTER = ROOT / "docs" / "adapters" / "mytorch.toml"
MYTORCH = ROOT / "student_nn"
# The adapter format as it was before constants, variants and expressions: it still loads and
# runs unchanged (only the log offset it cannot declare fails, as it did).
AFFINE_OP = """[[op]]
name = "affine"
twin = "cs231n:affine"
class = "Affine"
init = ["w", "b"]
forward = ["x"]
backward = ["dout"]
grads = { dW = "dW", db = "db" }
"""
OLD_FORMAT = """[api]
name = "dlfs_old"
package = "common"
module = "layers"

""" + AFFINE_OP + """
[[op]]
name = "softmax_with_loss"
twin = "cs231n:softmax_loss"
class = "SoftmaxWithLoss"
forward = ["x", "y"]
backward = []
"""


def _results(report: dict) -> dict[tuple[str, str], dict]:
    return {(r["op"], r["output"]): r for r in report["results"]}


def test_an_adapter_in_the_first_format_keeps_working(tmp_path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(OLD_FORMAT)
    code, report = _check(tmp_path, LIBRARY, api=path)
    failing = {k for k, r in _results(report).items() if r["status"] != "pass"}
    assert code == 1 and failing == {("dlfs_old:softmax_with_loss", "forward")}


def _mytorch_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "lib"
    shutil.copytree(MYTORCH / "mytorch", copy / "mytorch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit(path: Path, right: str, wrong: str) -> None:
    text = path.read_text()
    assert text.count(right) == 1, right
    path.write_text(text.replace(right, wrong))


def test_a_sizes_built_library_with_its_own_layouts(tmp_path) -> None:
    """mytorch's classes through the generic twins: sizes derived from the case, W and b set
    after construction in (out, in) and (out, 1), square kernels only, BatchNorm's running
    statistics as state and eps = 1e-8: a correct library passes every output."""
    code, report = _check(tmp_path, MYTORCH, api=MYTORCH_ADAPTER)
    assert code == 0, [k for k, r in _results(report).items() if r["status"] != "pass"]
    assert len(report["results"]) == 24


def test_a_gradient_outside_the_librarys_layout_fails_as_a_shape(tmp_path) -> None:
    lib = _mytorch_copy(tmp_path)
    _edit(lib / "mytorch" / "nn" / "linear.py", "self.dLdb = dLdZ.T @ self.ones",
          "self.dLdb = dLdZ.sum(axis=0)")    # (out,): the twin's shape, not the library's
    _edit(lib / "mytorch" / "nn" / "batchnorm.py",
          "self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M",
          "self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M\n"
          "            self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M")
    code, report = _check(tmp_path, lib, "--ops", "mytorch_adapted:linear,"
                          "mytorch_adapted:batchnorm1d", api=MYTORCH_ADAPTER)
    failing = {k: r for k, r in _results(report).items() if r["status"] != "pass"}
    assert code == 1
    assert set(failing) == {("mytorch_adapted:linear", "db"),
                            ("mytorch_adapted:batchnorm1d", "running_mean")}
    message = failing["mytorch_adapted:linear", "db"]["finding"]["message"]
    assert "has shape (" in message and "in the library's layout (column" in message
    worst = failing["mytorch_adapted:batchnorm1d", "running_mean"]["finding"]
    assert "mismatched elements" in worst["message"]


def test_sibling_imports_need_the_folder_on_sys_path(tmp_path) -> None:
    lib = _mytorch_copy(tmp_path)
    _edit(lib / "mytorch" / "nn" / "pool.py", "from .resampling import Downsample2d",
          "from resampling import Downsample2d")   # the handout's own style
    code, _ = _check(tmp_path, lib, "--ops", "mytorch_adapted:maxpool2d", api=MYTORCH_ADAPTER)
    assert code == 0
    without = tmp_path / "no_path.toml"
    without.write_text(MYTORCH_ADAPTER.read_text().replace('name = "mytorch_adapted"',
                                                           'name = "mytorch_no_path"')
                       .replace('path = ["nn"]', "path = []"))
    code, report = _check(tmp_path, lib, "--ops", "mytorch_no_path:maxpool2d", api=without)
    (item, *_) = report["results"]
    assert code == 1 and "No module named 'resampling'" in item["finding"]["message"]


LOCAL_LIBRARY = '''import numpy as np


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self):
        return 1 - self.A {power}
'''
LOCAL_ADAPTER = """[api]
name = "{name}"
package = "act"
module = "activation"

[[op]]
name = "tanh"
twin = "tanh"
class = "Tanh"
forward = ["Z"]
backward = []
local = "dY"
"""


@pytest.mark.parametrize("power, passes", [("** 2", True), ("* 2", False)])
def test_a_backward_that_returns_the_local_derivative(tmp_path, power, passes) -> None:
    """mytorch 2022's activations: backward() returns dA/dZ; nnparity multiplies it by dY."""
    (tmp_path / "act").mkdir()
    (tmp_path / "act" / "activation.py").write_text(LOCAL_LIBRARY.format(power=power))
    adapter = tmp_path / "local.toml"
    adapter.write_text(LOCAL_ADAPTER.format(name=f"local_{passes}"))
    code, report = _check(tmp_path, tmp_path, api=adapter)
    items = _results(report)
    assert items[f"local_{passes}:tanh", "forward"]["status"] == "pass"
    assert (items[f"local_{passes}:tanh", "dX"]["status"] == "pass") is passes
    assert code == (0 if passes else 1)


@pytest.mark.parametrize("key, change, message", [
    ("forward", 'forward = ["x", { train_flg = "mode == \'train\'" }]\nbackward = ["dout"]\ngrads',
     "['modus'] are not inputs or parameters of cs231n:batchnorm"),
    ("init", 'init = ["1 - p"]', "'x.shape[5]' failed: IndexError"),
    ("conventions", "conventions = { log_offset = 1e-7 }", "unknown convention 'log_ofset'"),
    ("constants", "constants = { eps = 1e-6 }  # its", "constants are values of"),
    ("restrict", "restrict = [\"mode == 'train'\"]", "no case of the twin meets"),
])
def test_a_mistake_in_an_extended_key_names_its_line(tmp_path, key, change, message) -> None:
    bad = {"forward": change.replace("mode ==", "modus =="),
           "init": 'init = ["x.shape[5]"]',
           "conventions": "conventions = { log_ofset = 1e-7 }",
           "constants": "constants = { epsilon = 1e-6 }  # its",
           "restrict": "restrict = [\"mode == 'never'\"]"}[key]
    text = ADAPTER.read_text().replace('name = "dlfs"', f'name = "dlfs_{key}"')
    assert text.count(change) >= 1, change
    text = text.replace(change, bad, 1)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1)
                if row.startswith(bad.partition("\n")[0]))
    with pytest.raises(AdapterError) as err:
        load_adapter(path)
    assert message in str(err.value)
    assert f"{path}:{line} " in str(err.value) and f" {key}" in str(err.value)


FLOAT32_LIBRARY = '''import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W.astype(np.float32), b.astype(np.float32)

    def forward(self, x):
        self.x = x.astype(np.float32)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dout = dout.astype(np.float32)
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T
'''
FLOAT32_ADAPTER = """[api]
name = "{name}"
package = "f32"
module = "layers"

""" + AFFINE_OP.replace("{", "{{").replace("}", "}}") + """restrict = ["x.ndim == 2"]
{policy}
"""


@pytest.mark.parametrize("policy", ["", 'tolerance = "float32"'])
def test_a_float32_library_needs_the_float32_policy(tmp_path, policy) -> None:
    """The float32 policy accepts float32 arrays within rtol 1e-4; the default fails them
    (the dtype, and values beyond float64's 1e-6), and a wrong formula fails either way."""
    (tmp_path / "f32").mkdir()
    (tmp_path / "f32" / "layers.py").write_text(FLOAT32_LIBRARY)
    adapter = tmp_path / "f32.toml"
    name = "f32_policy" if policy else "f32_default"
    adapter.write_text(FLOAT32_ADAPTER.format(name=name, policy=policy))
    code, report = _check(tmp_path, tmp_path, api=adapter)
    assert (code == 0) is bool(policy)
    if not policy:   # the default policy: float64 only
        messages = [r["finding"]["message"] for r in report["results"]]
        assert messages and all("returned dtype float32" in m or "mismatched" in m
                                for m in messages)
    wrong = tmp_path / "f32" / "layers.py"
    wrong.write_text(FLOAT32_LIBRARY.replace("dout.sum(axis=0)", "dout.mean(axis=0)"))
    code, report = _check(tmp_path, tmp_path, api=adapter)
    assert code == 1 and {r["output"] for r in report["results"] if r["status"] != "pass"} \
        == ({"db"} if policy else {"forward", "dX", "dW", "db"})


def test_an_expression_that_fails_on_a_later_case_stops_the_run_as_the_adapters(
        tmp_path, monkeypatch, capsys) -> None:
    """Loading tries an op's first cases; one that fails later is still the adapter's error
    (exit 2, its line), never the library's: the library is not run on that case."""
    import harness.apis.user as user

    monkeypatch.setattr(user, "CHECKED_CASES", 1)   # affine's 2nd case is 4-D: x.ndim - 4 = 0
    text = OLD_FORMAT.replace('name = "dlfs_old"', 'name = "dlfs_late"').replace(
        'grads = { dW = "dW", db = "db" }',
        'grads = { dW = "dW", db = "db" }\nsets = { extra = "x.shape[1] // (x.ndim - 4)" }')
    path = tmp_path / "late.toml"
    path.write_text(text)
    code = main(["check", "--api", str(path), "--impl", str(LIBRARY), "--cases", "3",
                 "--ops", "dlfs_late:affine", "--report", str(tmp_path / "r")])
    err = capsys.readouterr().err
    line = text.splitlines().index('sets = { extra = "x.shape[1] // (x.ndim - 4)" }') + 1
    assert code == 2
    assert "error in the adapter file" in err and f"{path}:{line} [[op]] affine sets" in err
    assert "ZeroDivisionError" in err


def test_bugs_in_the_declared_variants_still_fail(tmp_path) -> None:
    """The declared eps, offset and non-inverted dropout do not hide a bug next to them: an
    unbiased running variance and a dropout that rescales anyway fail exactly there."""
    buggy = tmp_path / "lib"
    shutil.copytree(LIBRARY, buggy)
    layers = buggy / "common" / "layers.py"
    _edit(layers, "(1 - self.momentum) * var", "(1 - self.momentum) * x.var(axis=0, ddof=1)")
    _edit(layers, "        return x * self.mask\n",
          "        return x * self.mask / (1 - self.dropout_ratio)\n")
    code, report = _check(tmp_path, buggy, "--ops", "dlfs:batch_normalization,dlfs:dropout")
    failing = {k for k, r in _results(report).items() if r["status"] != "pass"}
    assert code == 1
    assert failing == {("dlfs:batch_normalization", "running_var"), ("dlfs:dropout", "forward")}
