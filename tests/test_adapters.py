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
