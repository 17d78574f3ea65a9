"""The fix list keyed by root cause (harness/diagnosis/fixlist.py, issue #27 point 1).

One entry per root cause a reader finds in the code (the same exception site, the same stub
or missing name, the same diagnosed bug at the same place), listing every item it explains;
``open`` is the function holding the bug, never the caller that tripped over it; sibling
outputs of one method failing for one reason are "same bug as" the first. Pure-function
tests on hand-made items, then `nnparity check` on the team's fixtures, each entry matched
to a root cause read in its code.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness.cli import main
from harness.diagnosis.fixlist import SAME, fix_list_of
from harness.reports.markdown import render_markdown

ROOT = Path(__file__).resolve().parent
FIXTURES = ROOT / "report_fixtures"
LAYOUTS = ROOT / "real_layouts"


def _item(op: str, output: str, status: str = "fail", cases: tuple[str, ...] = ("c1",),
          **finding) -> dict:
    finding.setdefault("diagnosis", [{"code": "value_mismatch", "message": f"{op} {output}"}])
    finding.setdefault("error", None)
    finding.setdefault("status", status)
    return {"op": op, "output": output, "status": status, "finding": finding,
            "failed_cases": list(cases), "cases": 10}


def _stub(op: str, output: str, says: str) -> dict:
    return _item(op, output, "not_implemented",
                 diagnosis=[{"code": "not_implemented", "message": says}])


def _error(type_: str, message: str, file: str | None = None, line: int | None = None,
           function: str = "forward", trace: str = "") -> dict:
    err = {"stage": "forward", "type": type_, "message": message, "not_implemented": False,
           "traceback": trace or f"{type_}: {message}\n"}
    if file:
        err |= {"file": file, "line": line, "function": function, "code": "..."}
    return err


def _raised(op: str, output: str, err: dict, **finding) -> dict:
    finding.setdefault("diagnosis", [{"code": "student_exception",
                                      "message": f"raised: {err['type']}"}])
    return _item(op, output, "error", error=err, **finding)


def _pairs(entry: dict) -> list[tuple[str, str]]:
    return [(r["op"], r["output"]) for r in entry["items"]]


def _package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "neural_networks"
    pkg.mkdir(parents=True)
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text).lstrip())
    return root


# ---------------------------------------------------------------- stubs and missing names
def test_the_stubs_of_one_class_are_one_problem_that_opens_each_stub_method() -> None:
    entries = fix_list_of([
        _stub("sigmoid", "forward", "Sigmoid.forward returned Ellipsis: is it still a stub?"),
        _stub("sigmoid", "dX", "Sigmoid.backward returned Ellipsis: is it still a stub?"),
        _stub("l2", "dX", "L2.backward returned None: is it still a stub?")])
    assert [_pairs(e) for e in entries] == [[("sigmoid", "forward"), ("sigmoid", "dX")],
                                            [("l2", "dX")]]
    assert entries[0]["open"] == ("neural_networks/activations.py · Sigmoid.forward, "
                                  "Sigmoid.backward")
    assert entries[0]["message"] == ("Sigmoid.forward and Sigmoid.backward are still stubs: "
                                     "write them")
    assert entries[0]["items"][1]["relation"] == SAME
    assert entries[1]["open"] == "neural_networks/losses.py · L2.backward"
    assert entries[1]["message"] == "L2.backward returned None: is it still a stub?"


def test_outputs_a_stubbed_forward_kept_from_being_computed_open_that_stub() -> None:
    """network loss is not computed because forward returned Ellipsis: the stub is
    NeuralNetwork.forward, not NeuralNetwork.backward (the method of the loss output)."""
    entries = fix_list_of([
        _stub("network", "forward", "step 1 forward: NeuralNetwork.forward returned Ellipsis: "
                                    "is it still a stub?"),
        _stub("network", "loss", "loss: not computed, because step 1 forward: "
                                 "NeuralNetwork.forward returned Ellipsis: is it still a stub?"),
        _stub("training", "loss", "not implemented: NotImplementedError: NeuralNetwork.backward "
                                  "returned Ellipsis: is it still a stub? (step 1 backward)")])
    (entry,) = entries
    assert _pairs(entry) == [("network", "forward"), ("network", "loss"), ("training", "loss")]
    assert entry["open"] == ("neural_networks/models.py · NeuralNetwork.forward, "
                             "NeuralNetwork.backward")


def _layer(output: str, act: str, says: str) -> dict:
    """A FullyConnected item whose first failing case has act=`act`: a stub's message, or
    an exception raised in its backward on what the activation returned."""
    if says.startswith("TypeError"):
        item = _raised("fully_connected", output, _error(
            "TypeError", says.partition(": ")[2], "neural_networks/layers.py", 60, "backward"))
    else:
        item = _stub("fully_connected", output, says)
    item["finding"]["params"] = {"act": act}
    return item


def test_a_layer_that_passes_on_its_activation_s_stub_is_caused_by_it() -> None:
    """Where no substitution was made (grading's tests): FullyConnected.forward returned
    the Ellipsis of Sigmoid's stub and its backward raised on it. The stub is Sigmoid's,
    not FullyConnected's; with a ReLU that is no stub, the layer's own stub is its own."""
    entries = fix_list_of([
        _stub("sigmoid", "forward", "Sigmoid.forward returned Ellipsis: is it still a stub?"),
        _layer("forward", "sigmoid", "FullyConnected.forward returned Ellipsis: is it still "
                                     "a stub?"),
        _layer("dX", "sigmoid", "TypeError: unsupported operand type(s) for *: 'ellipsis' "
                                "and 'float'")])
    (entry,) = entries
    assert entry["open"] == "neural_networks/activations.py · Sigmoid.forward"
    assert entry["items"][1:] == [
        {"op": "fully_connected", "output": "forward", "relation": "caused by"},
        {"op": "fully_connected", "output": "dX", "relation": "caused by"}]
    own = fix_list_of([_layer("forward", "relu", "FullyConnected.forward returned Ellipsis: "
                                                  "is it still a stub?")])
    assert own[0]["open"] == "neural_networks/layers.py · FullyConnected.forward"


def test_a_missing_method_is_one_problem_named_before_what_follows_from_it() -> None:
    """No NeuralNetwork.update: the network's update and both training outputs raise where
    nnparity calls it. One entry, opening the class, saying the method is missing, although
    the update item's top diagnosis is a gradient's shape."""
    missing = _error("AttributeError", "'NeuralNetwork' object has no attribute 'update'")
    shape = {"code": "model_gradient_shape", "message": "db stored with shape (4,)"}
    (entry,) = fix_list_of([
        _raised("network", "update", missing, diagnosis=[shape]),
        _raised("training", "loss", missing), _raised("training", "parameters", missing)])
    assert _pairs(entry) == [("network", "update"), ("training", "loss"),
                             ("training", "parameters")]
    assert entry["open"] == "neural_networks/models.py · NeuralNetwork.update (missing)"
    assert entry["code"] == "not_implemented"
    assert entry["message"].startswith("NeuralNetwork.update does not exist: write it")
    assert entry["why"] == "the same missing method"


def test_a_missing_class_and_the_name_error_it_causes_are_one_problem() -> None:
    """activations.py lacks TanH: the op's class is absent, and a Conv2D built with
    act=tanh raises NameError in initialize_activation. A NameError for a name that is no
    class of the contract is an exception site of its own."""
    absent = {"stage": "import", "type": "AttributeError", "not_implemented": True,
              "message": "activations.py has no class TanH", "absent": "TanH"}
    name_error = _error("NameError", "name 'TanH' is not defined",
                        "neural_networks/activations.py", 27, "initialize_activation")
    other = _error("NameError", "name 'kernel_height' is not defined",
                   "neural_networks/layers.py", 344, "backward")
    entries = fix_list_of([
        _item("tanh", "forward", "not_implemented", error=absent),
        _item("tanh", "dX", "not_implemented", error=absent),
        _raised("conv2d", "dX", name_error), _raised("pool2d_max", "dX", other)])
    assert [_pairs(e) for e in entries] == [
        [("tanh", "forward"), ("tanh", "dX"), ("conv2d", "dX")], [("pool2d_max", "dX")]]
    assert entries[0]["open"] == "neural_networks/activations.py · class TanH (missing)"
    assert entries[0]["message"].startswith("activations.py has no class TanH")
    assert entries[1]["open"] == "neural_networks/layers.py:344 · Pool2D.backward"


# ---------------------------------------------------------------- exception sites
FORWARD_ASSERTS = {"__init__.py": "", "layers.py": '''
    class Conv2D:
        def forward(self, X):
            kernel_height, kernel_width = self.kernel_shape
            assert kernel_height % 2 == 1
            assert kernel_width % 2 == 1
            return X
    '''}


def test_one_function_raising_on_two_lines_is_one_site_when_its_file_can_be_read(tmp_path):
    """Two asserts in Conv2D.forward (odd kernels only): the forward raises on line 4 for
    one case, on line 5 for another (the dX case fails in forward too). Read from the file,
    both lines are Conv2D.forward's: one problem; without the file, two lines, two."""
    root = _package(tmp_path, FORWARD_ASSERTS)
    items = [_raised("conv2d", "forward", _error("AssertionError", "", "neural_networks/layers.py",
                                                 4)),
             _raised("conv2d", "dX", _error("AssertionError", "", "neural_networks/layers.py",
                                            5))]
    (entry,) = fix_list_of(items, source=root)
    assert entry["open"] == "neural_networks/layers.py:4 · Conv2D.forward"
    assert entry["items"][1]["relation"] == SAME
    assert len(fix_list_of(items)) == 2


def test_a_later_problem_of_an_item_is_keyed_by_its_own_exception() -> None:
    """conv2d dX holds two problems: wrong values (padding) and, on the even kernels,
    forward's AssertionError: the second joins forward's entry, the first stays its own."""
    assertion = _error("AssertionError", "", "neural_networks/layers.py", 289)
    dx = _item("conv2d", "dX", diagnosis=[{"code": "padding", "message": "[p:-p]"}], groups=[
        {"case_id": "a", "signature": {"status": "fail", "kind": "shape"}, "cases": ["a"],
         "diagnosis": [{"code": "padding", "message": "[p:-p]"}]},
        {"case_id": "b", "signature": {"status": "error", "kind": "AssertionError"},
         "cases": ["b"], "error": assertion, "smallest": {"error": _error(
             "AssertionError", "", "neural_networks/layers.py", 290)},
         "diagnosis": [{"code": "student_exception", "message": "forward raised"}]}])
    entries = fix_list_of([_raised("conv2d", "forward", assertion), dx])
    assert [(e["code"], _pairs(e)) for e in entries] == [
        ("student_exception", [("conv2d", "forward"), ("conv2d", "dX")]),
        ("padding", [("conv2d", "dX")])]


# ---------------------------------------------------------------- the same bug, one place
def test_siblings_failing_on_the_same_cases_are_the_same_bug() -> None:
    """FullyConnected.backward caches the activation's output instead of Z: dX and dW fail
    on the same 4 of 10 cases, diagnosed differently. On every case, two outputs prove
    nothing: they stay apart."""
    cases = ("c1", "c2", "c3", "c4")
    entries = fix_list_of([
        _item("fully_connected", "dX", cases=cases,
              diagnosis=[{"code": "activation_use", "message": "derivative"}]),
        _item("fully_connected", "dW", cases=cases,
              diagnosis=[{"code": "scale_factor", "message": "1.16 times"}])])
    (entry,) = entries
    assert entry["items"] == [{"op": "fully_connected", "output": "dX"},
                              {"op": "fully_connected", "output": "dW", "relation": SAME}]
    assert entry["why"] == "outputs of one method failing on the same cases"
    every = tuple(f"c{k}" for k in range(10))
    assert len(fix_list_of([_item("fully_connected", o, cases=every)
                            for o in ("dX", "dW")])) == 2


def test_one_named_bug_of_one_function_is_one_problem_across_ops() -> None:
    """The four initializers draw through one wrong fan rule (initialize_weights)."""
    fans = [{"code": "init_kernel_fans", "message": "the fans are shape[0] and shape[-1]"}]
    items = [_item(op, out, diagnosis=fans) for op in ("xavier_uniform", "he_normal")
             for out in ("scale", "distribution")]
    (entry,) = fix_list_of(items)
    assert entry["open"] == "neural_networks/weights.py · initialize_weights"
    assert len(entry["items"]) == 4


SOFTMAX = {"__init__.py": "", "activations.py": '''
    import numpy as np


    class SoftMax:
        def forward(self, Z):
            e = np.exp(Z)
            return e / e.sum(axis=1, keepdims=True)

        def backward(self, Z, dY):
            s = self.forward(Z)
            return [row for row in dY * s]
    '''}


def test_a_method_failing_through_the_failing_method_it_calls_is_caused_by_it(tmp_path):
    """SoftMax.backward calls self.forward, which overflows: dX's NaN cases are forward's
    (caused by it); the list it returns is its own bug. Without the file: no call known."""
    root = _package(tmp_path, SOFTMAX)
    nan = [{"code": "nan_inf", "message": "NaN"}]
    dx = _item("softmax", "dX", cases=("n1", "l1"), diagnosis=nan, groups=[
        {"case_id": "n1", "signature": {"status": "fail", "kind": "nonfinite"},
         "cases": ["n1"], "diagnosis": nan},
        {"case_id": "l1", "signature": {"status": "fail", "kind": "type"}, "cases": ["l1"],
         "diagnosis": [{"code": "wrong_type", "message": "a list"}]}])
    items = [_item("softmax", "forward", cases=("n1", "n2"), diagnosis=nan), dx]
    entries = fix_list_of(items, source=root)
    assert [(e["code"], _pairs(e)) for e in entries] == [
        ("nan_inf", [("softmax", "forward"), ("softmax", "dX")]),
        ("wrong_type", [("softmax", "dX")])]
    assert entries[0]["items"][1]["relation"] == "caused by"
    assert len(fix_list_of(items)) == 3


def test_training_that_only_separates_follows_the_bug_named_in_its_method() -> None:
    swapped = [{"code": "model_loss_args_swapped", "message": "loss.forward(out, target)"}]
    separates = [{"code": "training_separates", "message": "separates at step 1 loss"}]
    (entry,) = fix_list_of([_item("network", "loss", diagnosis=swapped),
                            _item("training", "loss", diagnosis=separates)])
    assert entry["open"] == "neural_networks/models.py · NeuralNetwork.backward"
    assert entry["items"][1] == {"op": "training", "output": "loss", "relation": "caused by"}


# ---------------------------------------------------------------- fixtures
def _check(impl: Path, out: Path, *argv: str) -> tuple[dict, list[str]]:
    assert main(["check", "--impl", str(impl), "--report", str(out), *argv]) == 1
    return (json.loads((out / "report.json").read_text()),
            (out / "report.md").read_text().splitlines())


def _opens(report: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(e["open"], _pairs(e)) for e in report["fix_list"]]


@pytest.fixture(scope="module")
def many_root_causes(tmp_path_factory) -> tuple[dict, list[str]]:
    return _check(FIXTURES / "many_root_causes", tmp_path_factory.mktemp("mrc"), "--cases", "6")


LAYERS = "neural_networks/layers.py"
MANY_ROOT_CAUSES = [   # each root cause read in tests/report_fixtures/README.md, in order
    ("neural_networks/activations.py · Sigmoid.forward, Sigmoid.backward",
     [("sigmoid", "forward"), ("sigmoid", "dX")]),
    ("neural_networks/activations.py · class TanH (missing)",
     [("tanh", "forward"), ("tanh", "dX")]),
    (f"{LAYERS} · Conv2D.backward", [("conv2d", "dX")]),                  # the [p:-p] crop
    (f"{LAYERS} · Conv2D.backward", [("conv2d", "dX"), ("conv2d", "dW"), ("conv2d", "db")]),
    (f"{LAYERS}:344 · Pool2D.backward", [("pool2d_max", "dX"), ("pool2d_average", "dX")]),
    ("neural_networks/losses.py · L2.forward, L2.backward", [("l2", "forward"), ("l2", "dX")]),
    ("neural_networks/models.py · NeuralNetwork.predict", [("network", "predict")]),
    ("neural_networks/models.py · NeuralNetwork.update (missing)",
     [("network", "update"), ("training", "loss"), ("training", "parameters")]),
    ("neural_networks/weights.py · initialize_weights",
     [(op, out) for op in ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")
      for out in ("scale", "distribution")]),
]


def test_each_root_cause_of_the_fixture_is_one_entry_opening_where_it_is(many_root_causes):
    report, _ = many_root_causes
    assert _opens(report) == MANY_ROOT_CAUSES
    codes = [e["code"] for e in report["fix_list"]]
    assert codes[2:5] == ["padding", "activation_use", "student_exception"]
    failing = {(i["op"], i["output"]) for i in report["results"] if i["status"] != "pass"}
    assert {p for e in report["fix_list"] for p in _pairs(e)} == failing
    assert len(failing) == 23


def test_the_missing_method_comes_first_in_its_items_diagnosis(many_root_causes):
    """network update also sees FullyConnected's db of shape (n,); the missing update is
    named first, and the layers' stubs and missing class are not blamed on the model."""
    report, md = many_root_causes
    update = next(i for i in report["results"] if (i["op"], i["output"]) == ("network",
                                                                             "update"))
    top = update["finding"]["diagnosis"][0]
    assert top["code"] == "not_implemented"
    assert top["message"].startswith("NeuralNetwork.update does not exist")
    assert ("**Part of [problem 4](#fix-4) in the fix list**: same bug as "
            "[conv2d dX](#conv2d-dX).") in md
    text = "\n".join(md)
    assert text.count("Same cause as [network update](#network-update) ([problem 8]") == 2
    assert render_markdown(report).count("caused by [conv2d dX]") == 0


def test_the_eight_bugs_of_many_problems_are_eight_entries(tmp_path) -> None:
    report, _ = _check(FIXTURES / "many_problems", tmp_path, "--cases", "3")
    assert _opens(report) == [
        ("neural_networks/activations.py · Sigmoid.forward",
         [("sigmoid", "forward"), ("sigmoid", "dX")]),
        ("neural_networks/activations.py · ReLU.backward", [("relu", "dX")]),
        ("neural_networks/activations.py · SoftMax.backward", [("softmax", "dX")]),
        (f"{LAYERS} · FullyConnected.backward", [("fully_connected", "db")]),
        (f"{LAYERS} · Conv2D.backward", [("conv2d", "dX"), ("conv2d", "dW"), ("conv2d", "db")]),
        (f"{LAYERS}:32 · Pool2D.backward", [("pool2d_max", "dX"), ("pool2d_average", "dX")]),
        (f"{LAYERS} · Flatten.backward", [("flatten", "dX")]),
        ("neural_networks/losses.py · CrossEntropy.backward", [("cross_entropy", "dX")])]


# What a reader finds in each real-layout fixture (its README.md) and what the fix list opens.
REAL_LAYOUTS = {
    "hw6_2021_2023_unfinished": [
        ("neural_networks/activations.py · Sigmoid.forward, Sigmoid.backward",
         [("sigmoid", "forward"), ("sigmoid", "dX")]),
        (f"{LAYERS} · Pool2D.backward", [("pool2d_max", "dX"), ("pool2d_average", "dX")]),
        ("neural_networks/losses.py · L2.forward, L2.backward", [("l2", "forward"), ("l2", "dX")])],
    "hw6_2020": [(f"{LAYERS} · Conv2D.backward", [("conv2d", "dX")])],
    "hw6_2024": [(f"{LAYERS}:357 · Pool2D.backward", [("pool2d_average", "dX")])],
}


@pytest.mark.parametrize("name", sorted(REAL_LAYOUTS))
def test_each_real_layout_has_one_entry_per_root_cause(name, tmp_path) -> None:
    report, _ = _check(LAYOUTS / name, tmp_path, "--cases", "8", "--seed", "3", "--ops",
                       "sigmoid,fully_connected,conv2d,pool2d_max,pool2d_average,l2")
    assert _opens(report) == REAL_LAYOUTS[name]


def test_one_padding_bug_that_shows_three_ways_is_one_entry(tmp_path) -> None:
    """tests/report_fixtures/unpadded_windows (the pattern of a real 2021-23 submission): max
    pooling's backward reads its windows from the unpadded input. Its padded cases fail with
    wrong values, an all-zero dX or a ValueError; where removing the padding leaves a kernel
    larger than the image, the same windows without padding (the image grown by the padding)
    pass, so every failing case is the one padding problem (three entries before)."""
    report, _ = _check(FIXTURES / "unpadded_windows", tmp_path, "--ops", "pool2d_max")
    assert _opens(report) == [(f"{LAYERS} · Pool2D.backward", [("pool2d_max", "dX")])]
    assert report["fix_list"][0]["code"] == "padding"
    item = next(i for i in report["results"] if i["output"] == "dX")
    assert "groups" not in item["finding"] and item["failed"] > 10


def _scaled(output: str, factor: str) -> dict:
    what = "forward's output" if output == "forward" else output
    return _item("l2", output, cases=("c1", "c2"), diagnosis=[{
        "code": "scale_factor",
        "message": f"every element of {what} is {factor} times the expected value"}])


def test_one_factor_in_forward_and_gradient_is_one_entry() -> None:
    """L2 written as half the mean squared error: forward and dX are both 0.5 times what
    they should be, one definition to fix (two entries before); different factors stay
    apart."""
    entries = fix_list_of([_scaled("forward", "0.5"), _scaled("dX", "0.5")])
    assert [_pairs(e) for e in entries] == [[("l2", "forward"), ("l2", "dX")]]
    assert entries[0]["open"] == "neural_networks/losses.py · L2.forward"
    assert entries[0]["items"][1]["relation"] == SAME
    apart = fix_list_of([_scaled("forward", "0.5"), _scaled("dX", "2")])
    assert [_pairs(e) for e in apart] == [[("l2", "forward")], [("l2", "dX")]]
