"""The fix list (harness/diagnosis/fixlist.py): root causes first, each explained once, and
tracebacks that show the student only their own frames."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from harness.check.checker import Checker
from harness.check.investigate import check_and_investigate
from harness.cli import main
from harness.core.registry import select_ops
from harness.diagnosis.fixlist import fix_list, fix_list_of
from harness.grading.batch import grade_batch
from harness.grading.rubric import load_rubric
from harness.reports.html_page import render_html
from harness.reports.markdown import fix_list_md, render_markdown
from harness.sandbox.child import describe_error

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "submissions"
# what a student must never see: nnparity's own files, the libraries', the sandbox's layout
GRADER_PATHS = re.compile(r"/harness/|harness/\w+\.py|site-packages|/sandbox/|<frozen|\.pyenv")


# ---------------------------------------------------------------- the pure function
def _item(op: str, output: str, status: str = "fail", **finding) -> dict:
    finding.setdefault("diagnosis", [{"code": "value_mismatch", "message": f"{op} {output}"}])
    finding.setdefault("error", None)
    finding.setdefault("status", status)
    return {"op": op, "output": output, "status": status, "finding": finding}


def _import_error(file: str = "neural_networks/layers.py") -> dict:
    return {"stage": "import", "type": "SyntaxError", "message": "invalid syntax",
            "not_implemented": False, "file": file, "line": 5, "function": "<module>",
            "code": "def broken(:", "traceback": "SyntaxError: invalid syntax"}


def _pairs(entry: dict) -> list[tuple[str, str]]:
    return [(r["op"], r["output"]) for r in entry["items"]]


def test_one_import_error_is_one_problem_that_explains_every_item() -> None:
    err = _import_error()
    diagnosis = [{"code": "import_error", "message": "import raised: SyntaxError"}]
    items = [_item(op, out, "error", error=err, diagnosis=diagnosis)
             for op, out in [("fully_connected", "forward"), ("fully_connected", "dX"),
                             ("conv2d", "db"), ("flatten", "dX")]]
    (entry,) = fix_list({"impl": "x/neural_networks", "results": [
        {"op": "relu", "output": "forward", "status": "pass"}, *items]})
    assert entry["problem"] == 1 and entry["code"] == "import_error"
    assert entry["open"] == "neural_networks/layers.py:5 · <module>"
    assert _pairs(entry) == [("fully_connected", "forward"), ("fully_connected", "dX"),
                             ("conv2d", "db"), ("flatten", "dX")]
    assert entry["why"] == "the same import error"


def test_what_others_point_at_comes_first_and_explains_them() -> None:
    report = {"impl": "student_nn", "results": [
        _item("sigmoid", "dX"),
        _item("fully_connected", "forward", diagnosis=[
            {"code": "bias_offset", "message": "b is not added"}]),
        _item("fully_connected", "dX", diagnosis=[
            {"code": "caused_by_forward", "message": "fix forward first"}]),
        _item("conv2d", "dW", caused_by={"op": "sigmoid", "output": "dX"}, diagnosis=[
            {"code": "caused_by_activation", "message": "fix Sigmoid first"}]),
        _item("l2", "dX", "error", error={
            "stage": "backward", "type": "ValueError", "message": "bad", "file":
            "student_nn/losses.py", "line": 40, "function": "backward", "code": "x"}),
        _item("tanh", "forward", "error", error=_import_error("student_nn/activations.py")),
    ]}
    entries = fix_list(report)
    assert [_pairs(e) for e in entries] == [
        [("tanh", "forward")],                                   # import errors first
        [("sigmoid", "dX"), ("conv2d", "dW")],                   # the activation, then its layer
        [("fully_connected", "forward"), ("fully_connected", "dX")],   # forward, then backward
        [("l2", "dX")]]
    assert [e["problem"] for e in entries] == [1, 2, 3, 4]
    assert entries[1]["open"] == "student_nn/activations.py · Sigmoid.backward"
    assert entries[1]["message"] == "sigmoid dX"   # the root's own top diagnosis
    assert entries[2]["open"] == "student_nn/layers.py · FullyConnected.forward"
    assert entries[3]["open"] == "student_nn/losses.py:40 · L2.backward"


def test_an_exception_in_a_helper_names_the_helper_and_the_method_that_called_it() -> None:
    """open: the function that raised (a generator expression's: the function holding it),
    then the op's method that called it."""
    trace = ('Traceback (most recent call last):\n'
             '  File "neural_networks/layers.py", line 145, in forward\n'
             '    oh, ow = output_size(padded_shape[1:2], self.kernel_shape, self.stride)\n'
             '  File "neural_networks/utils.py", line 58, in output_size\n'
             '    return tuple((p - k) // stride + 1 for p, k in zip(padded_hw, kernel_shape,\n'
             '  File "neural_networks/utils.py", line 58, in <genexpr>\n'
             '    ...\nValueError: zip() argument 2 is longer than argument 1\n')
    err = {"stage": "forward", "type": "ValueError", "message": "zip()", "file":
           "neural_networks/utils.py", "line": 58, "function": "<genexpr>", "code": "...",
           "traceback": trace}
    (entry,) = fix_list_of([_item("conv2d", "forward", "error", error=err)])
    assert entry["open"] == ("neural_networks/utils.py:58 · output_size, called from "
                             "neural_networks/layers.py:145 · Conv2D.forward")
    assert entry["function"] == "output_size"
    assert [(f["file"], f["line"]) for f in entry["frames"]] == [
        ("neural_networks/layers.py", 145), ("neural_networks/utils.py", 58),
        ("neural_networks/utils.py", 58)]


def test_a_root_the_report_does_not_hold_still_gets_its_entry() -> None:
    """check --ops conv2d with a broken ReLU: the activation was checked by the blame only."""
    entries = fix_list_of([_item("conv2d", "dX", caused_by={"op": "relu", "output": "dX"},
                                 diagnosis=[{"code": "caused_by_activation",
                                             "message": "fix ReLU first"}])])
    (entry,) = entries
    assert entry["root"] == {"op": "relu", "output": "dX", "checked": False}
    assert entry["open"] == "neural_networks/activations.py · ReLU.backward"
    assert _pairs(entry) == [("conv2d", "dX")] and entry["code"] == "caused_by_activation"
    md = "\n".join(fix_list_md(entries))
    assert "Root: relu dX (not checked in this report)" in md
    assert "[conv2d dX](#conv2d-dX)" in md


def test_several_bugs_found_in_one_output_are_several_problems() -> None:
    item = _item("conv2d", "forward", groups=[
        {"code": "padding", "message": "wrong only with padding"},
        {"code": "stride", "message": "wrong only with stride > 1"}])
    entries = fix_list_of([item, _item("conv2d", "dX", diagnosis=[
        {"code": "caused_by_forward", "message": "fix forward first"}])])
    assert [(e["code"], _pairs(e)) for e in entries] == [
        ("padding", [("conv2d", "forward"), ("conv2d", "dX")]),
        ("stride", [("conv2d", "forward")])]


def test_a_wrong_shape_and_what_it_shows_where_the_shape_comes_out_right_are_one_problem(
        ) -> None:
    # a bias given dLdW's shape: (out, in) in most cases, a wrong value where in = 1
    shape = {"code": "wrong_shape", "message": "wrong shape: got (4, 3), expected (4, 1)"}
    item = _item("fully_connected", "db", diagnosis=[shape], groups=[
        shape, {"code": "value_mismatch", "message": "mismatched elements: 2 / 2"}])
    (entry,) = fix_list_of([item])
    assert entry["code"] == "wrong_shape" and _pairs(entry) == [("fully_connected", "db")]
    # a wrong shape beside a named bug stays two problems
    item = _item("fully_connected", "db", groups=[
        {"code": "wrong_shape", "message": "wrong shape"},
        {"code": "scale_factor", "message": "every element is 2 times the expected"}])
    assert [e["code"] for e in fix_list_of([item])] == ["wrong_shape", "scale_factor"]


def test_one_named_bug_of_one_method_is_one_problem() -> None:
    skip = [{"code": "activation_use", "message": "the derivative is skipped"}]
    entries = fix_list_of([_item("fully_connected", o, diagnosis=skip) for o in ("dX", "dW")]
                          + [_item("fully_connected", "db"),          # value_mismatch: alone
                             _item("l2", "forward", diagnosis=[{"code": "scale_factor",
                                                                "message": "x2"}]),
                             _item("l2", "dX", diagnosis=[{"code": "scale_factor",
                                                           "message": "x2"}])])
    assert [_pairs(e) for e in entries] == [
        [("fully_connected", "dX"), ("fully_connected", "dW")], [("fully_connected", "db")],
        [("l2", "forward")], [("l2", "dX")]]          # forward and backward: two methods
    assert entries[0]["why"] == "the same bug named in the same method"


def test_a_real_finding_with_two_problems_joins_each_to_its_own_outputs() -> None:
    """conv_dx_two_bugs: dX has a padding bug and skips the activation's derivative, which
    dW and db skip too (tests/test_groups.py)."""
    impl = ROOT / "tests" / "diagnosis_impls" / "conv_dx_two_bugs" / "neural_networks"
    with Checker(impl) as checker:
        report = check_and_investigate(checker, select_ops("conv2d"), 8)
    dx = next(i for i in report["results"] if i["output"] == "dX")
    assert len(dx["finding"]["groups"]) == 2
    entries = fix_list(report)
    assert [(e["code"], e.get("group"), _pairs(e)) for e in entries] == [
        ("padding", 0, [("conv2d", "dX")]),
        ("activation_use", 1, [("conv2d", "dX"), ("conv2d", "dW"), ("conv2d", "db")])]
    assert entries[0]["why"] == "problem 1 of 2 in conv2d dX"


def test_every_failing_item_is_in_exactly_one_problem_and_passes_in_none() -> None:
    """(an item with several problems is in one per problem; none here)"""
    items = [_item("relu", "dX"), {"op": "relu", "output": "forward", "status": "pass"},
             _item("conv2d", "dX", caused_by={"op": "relu", "output": "dX"}),
             _item("conv2d", "db"), _item("l2", "forward", "not_implemented")]
    entries = fix_list_of(items)
    listed = [p for e in entries for p in _pairs(e)]
    assert sorted(listed) == sorted((i["op"], i["output"]) for i in items
                                    if i["status"] != "pass")


# ---------------------------------------------------------------- reports
SIGMOID_BUG = {
    "__init__.py": "",
    "activations.py": '''
        """Sigmoid.backward forgets dY; the layers here use these activations."""
        from student_nn.activations import *  # noqa: F403
        from student_nn.activations import Sigmoid as _Sigmoid


        class Sigmoid(_Sigmoid):
            def backward(self, Z, dY):
                s = self.forward(Z)
                return s * (1 - s)


        def initialize_activation(name):
            return {"linear": Linear, "sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU,
                    "softmax": SoftMax}[name]()
        ''',
    "layers.py": '''
        from student_nn.layers import *  # noqa: F403
        from student_nn.layers import Conv2D as _Conv2D
        from student_nn.layers import FullyConnected as _FullyConnected

        from . import activations


        class FullyConnected(_FullyConnected):
            def __init__(self, n_out, activation, weight_init="xavier_uniform"):
                super().__init__(n_out, activation, weight_init)
                self.activation = activations.initialize_activation(activation)


        class Conv2D(_Conv2D):
            def __init__(self, n_out, kernel_shape, activation, stride=1, pad="same",
                         weight_init="xavier_uniform"):
                super().__init__(n_out, kernel_shape, activation, stride, pad, weight_init)
                self.activation = activations.initialize_activation(activation)
        ''',
}


def _package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "neural_networks"
    pkg.mkdir(parents=True)
    for name, text in files.items():
        (pkg / name).write_text(textwrap.dedent(text).lstrip())
    return pkg


@pytest.fixture(scope="module")
def sigmoid_report(tmp_path_factory) -> dict:
    pkg = _package(tmp_path_factory.mktemp("sigmoid"), SIGMOID_BUG)
    with Checker(pkg) as checker:
        # seed 6: act=sigmoid among the first 6 cases of both layers
        return check_and_investigate(checker, select_ops("sigmoid,fully_connected,conv2d"), 6,
                                     seed=6)


def test_a_sigmoid_bug_that_breaks_the_layers_is_charged_once(sigmoid_report) -> None:
    """The layers fail only through Sigmoid: rerun with it substituted they pass, saying
    so, and the fix list holds the one root cause."""
    failing = [(i["op"], i["output"]) for i in sigmoid_report["results"] if i.get("finding")]
    assert failing == [("sigmoid", "dX")], failing
    layers = [i for i in sigmoid_report["results"] if i["op"] != "sigmoid"]
    assert {i["op"] for i in layers} == {"fully_connected", "conv2d"}
    assert all(i["status"] == "pass" for i in layers)
    assert {i["op"] for i in layers if i.get("depends_on")} == {"fully_connected", "conv2d"}
    entries = fix_list(sigmoid_report)
    first = entries[0]
    assert first["root"] == {"op": "sigmoid", "output": "dX"}
    assert first["open"].endswith("neural_networks/activations.py · Sigmoid.backward")
    assert len(entries) == 1, [(e["code"], _pairs(e)) for e in entries]

    md = render_markdown(sigmoid_report)
    fixes = md[md.index("## Fix list"):md.index("## Summary")]
    for op, output in _pairs(first):
        assert f"[{op} {output}](#{op}-{output})" in fixes
        assert f'<a id="{op}-{output}"></a>' in md
    assert "### sigmoid dX" in md
    html = render_html(sigmoid_report)
    assert '<li id="fix-1">' in html
    for op, output in _pairs(first):
        assert f'href="#{op}-{output}"' in html and f'id="{op}-{output}"' in html
    assert sigmoid_report["fix_list"] == entries   # kept for report.json


def test_check_prints_the_fix_list_and_writes_it_into_report_json(tmp_path, capsys) -> None:
    impl = ROOT / "tests" / "submissions" / "syntax_error"
    code = main(["check", "--impl", str(impl), "--ops", "relu,fully_connected,flatten",
                 "--cases", "2", "--report", str(tmp_path), "--verbose"])
    out = capsys.readouterr().out
    assert code == 1
    assert "fix list: 1 problem explains the 6 failing outputs." in out
    assert "open: neural_networks/layers.py:5 · <module>" in out
    assert out.count("same cause as fully_connected forward (problem 1") == 5
    report = json.loads((tmp_path / "report.json").read_text())
    (entry,) = report["fix_list"]
    assert entry["code"] == "import_error" and len(entry["items"]) == 6
    md = (tmp_path / "report.md").read_text()
    assert md.count("<summary>Traceback</summary>") == 1
    assert md.count("def broken(:\n") == 1   # the traceback's source line, shown once
    assert not GRADER_PATHS.search(md), GRADER_PATHS.search(md)


# ---------------------------------------------------------------- grading
RUBRIC = """
[rubric]
name = "fixlist"
seed = 7
cases = 2
missing_module = "bundled"
investigate = 30
refuse_imports = ["torch"]

[limits]
case_seconds = 5
startup_seconds = 20
submission_seconds = 120

[[item]]
op = "relu"
points = { forward = 1, dX = 1 }
[[item]]
op = "fully_connected"
points = { forward = 1, dX = 1, dW = 1, db = 1 }
[[item]]
op = "conv2d"
points = { forward = 1, dX = 1, dW = 1, db = 1 }
[[item]]
op = "flatten"
points = { forward = 1, dX = 1 }
[[item]]
name = "Conv2D hidden"
op = "conv2d"
visibility = "hidden"
points = { forward = 1 }
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("grade")
    rubric = root / "rubric.toml"
    rubric.write_text(RUBRIC)
    grade_batch([str(CORPUS / "syntax_error")], load_rubric(str(rubric)), root / "out",
                workers=1, regrade=True, progress=False, log=lambda *a: None)
    return root / "out" / "syntax_error"


def test_a_layers_py_that_does_not_import_is_one_problem_explained_once(graded) -> None:
    feedback = (graded / "feedback.md").read_text()
    result = json.loads((graded / "result.json").read_text())
    failing = [t for t in result["tests"] if t["score"] < t["max_score"]]
    assert len(failing) == 11
    fix_part = feedback[feedback.index("**Fix list**"):feedback.index("## Tests")]
    # the student's feedback: the visible tests only (the hidden one is in staff.md)
    assert "**Fix list**: 1 problem explains the 10 failing outputs." in fix_part
    assert "\n2. " not in fix_part
    assert "open `neural_networks/layers.py:5 · <module>`" in fix_part
    # the traceback (only the student's frames) once in the whole feedback
    trace = failing[0]["finding"]["error"]["traceback"]
    assert "neural_networks/layers.py" in trace and not GRADER_PATHS.search(trace)
    assert feedback.count(trace.strip()) == 1
    assert feedback.count("def broken(:\n") == 1
    went_wrong = feedback[feedback.index("## What went wrong"):]
    assert went_wrong.count("Same cause as **FullyConnected forward**: see problem 1") == 9
    assert not GRADER_PATHS.search(feedback), GRADER_PATHS.search(feedback)


def test_gradescope_lists_the_visible_tests_and_each_test_points_to_its_problem(graded) -> None:
    results = json.loads((graded / "results.json").read_text())
    top = results["output"]
    assert "**Fix list**: 1 problem explains the 10 failing outputs." in top
    assert "Conv2D hidden" not in top
    tests = {t["name"]: t["output"] for t in results["tests"]}
    assert "Problem 1 in the fix list." in tests["FullyConnected forward"]
    assert "import raised: SyntaxError" in tests["FullyConnected forward"]
    assert tests["Conv2D dW"].count("see problem 1 in the fix list") == 1
    assert "import raised" not in tests["Conv2D dW"]
    assert "import raised: SyntaxError" in tests["Conv2D hidden forward"]  # hidden: its own
    assert not any(GRADER_PATHS.search(t) for t in [top, *tests.values()])


# ---------------------------------------------------------------- tracebacks
def test_a_traceback_through_the_graders_frames_shows_only_the_students(tmp_path) -> None:
    pkg = _package(tmp_path, {"__init__.py": "", "helpers.py": '''
        import numpy as np


        def flatten_rows(Z):
            return np.reshape(Z, (-1, 7))   # raises inside NumPy's own Python code
        '''})
    import importlib.util

    spec = importlib.util.spec_from_file_location("neural_networks.helpers",
                                                  pkg / "helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    from harness.core.driver import run_op

    class Op:  # the grader's driver calls the student's code
        def forward(self, Z):
            return helpers.flatten_rows(Z)

        def backward(self, Z, dY):
            return dY

    import numpy as np

    run = run_op("activation", Op, {}, {"Z": np.ones((2, 3)), "dY": np.ones((2, 3))},
                 ("forward",))
    _, exc = run.errors["forward"]
    full = "".join(__import__("traceback").format_exception(exc))
    assert "/harness/" in full and "site-packages" in full   # what the child used to send
    err = describe_error("forward", exc, pkg)
    trace = err["traceback"]
    assert trace.startswith("Traceback (most recent call last):\n")
    assert 'File "neural_networks/helpers.py", line 5, in flatten_rows' in trace
    assert "np.reshape(Z, (-1, 7))" in trace
    assert trace.rstrip().splitlines()[-1].startswith("ValueError: cannot reshape array")
    assert not GRADER_PATHS.search(trace), trace
    assert str(tmp_path) not in trace and "driver.py" not in trace
    assert err["file"] == "neural_networks/helpers.py" and err["line"] == 5


def test_a_frame_without_a_line_number_is_described_by_file_and_function(tmp_path,
                                                                         monkeypatch):
    # generated code may carry no line numbers: the error still names the file and function
    import importlib.util
    import traceback

    pkg = tmp_path / "neural_networks"
    pkg.mkdir()
    (pkg / "helpers.py").write_text("def boom():\n    raise ValueError('no lines')\n")
    spec = importlib.util.spec_from_file_location("neural_networks.helpers", pkg / "helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    with pytest.raises(ValueError) as caught:
        helpers.boom()
    extract = traceback.extract_tb

    def without_lines(tb):
        return traceback.StackSummary.from_list(
            [traceback.FrameSummary(f.filename, None, f.name, lookup_line=False)
             for f in extract(tb)])

    monkeypatch.setattr(traceback, "extract_tb", without_lines)
    err = describe_error("forward", caught.value, pkg)
    assert err["file"] == "neural_networks/helpers.py" and err["function"] == "boom"
    assert "line" not in err and err["message"] == "no lines"
