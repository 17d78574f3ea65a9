"""Editions and root causes: each year's assignment is checked as that year asks, the course's
starter code is not the student's, and a bug is charged once, on the op that holds it.

The submissions are the team's own (tests/real_layouts, and variants of them or of student_nn
written into tmp_path by the tests): no student's code.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from harness.apis.hw6.package import BUNDLED_DIR
from harness.apis.known import CS231N, HW6, OPS
from harness.check.checker import Checker
from harness.cli import main
from harness.core.cases import Case
from harness.core.editions import fingerprint

LAYOUTS = Path(__file__).parent / "real_layouts"
CS231N_BUNDLED = BUNDLED_DIR / "cs231n" / "layers.py"


def check(tmp: Path, impl: Path, *args: str) -> dict:
    code = main(["check", "--impl", str(impl), "--report", str(tmp / "report"), *args])
    report = json.loads((tmp / "report" / "report.json").read_text())
    assert code == (0 if report["summary"]["verdict"] == "pass" else 1)
    return report


def statuses(report: dict) -> dict[tuple[str, str], str]:
    return {(r["op"], r["output"]): r["status"] for r in report["results"]}


def skipped(report: dict, why: str) -> set[str]:
    return {s["op"] for s in report.get("skipped", []) if s["why"] == why}


# ---------------------------------------------------------------- telling the year
@pytest.mark.parametrize("fixture, edition", [
    ("hw6_2020", "2020"), ("hw6_2020_no_init", "2020"), ("hw6_2021_2023", "2021-23"),
    ("hw6_2021_2023_unfinished", "2021-23"), ("hw6_2024", "2024+")])
def test_the_edition_is_told_from_the_files(fixture, edition):
    found = HW6.edition(LAYOUTS / fixture / "neural_networks")
    assert (found.edition.name, found.source) == (edition, "detected")
    assert "layers.py" in found.evidence or "losses.py" in found.evidence


def test_the_bundled_implementation_and_a_lone_module_get_the_full_contract(tmp_path):
    assert HW6.edition(BUNDLED_DIR).edition.name == "contract"
    (tmp_path / "activations.py").write_text("class Linear:\n    pass\n")
    found = HW6.edition(tmp_path)   # no layers.py or losses.py: nothing says which year
    assert found.edition.name == "contract" and not found.edition.leaves_out


def test_a_fully_connected_only_starter_names_its_linear_activation_identity(tmp_path):
    (tmp_path / "layers.py").write_text("class Layer:\n    pass\n\n\nclass FullyConnected:\n"
                                        "    pass\n")
    (tmp_path / "activations.py").write_text("class Identity:\n    pass\n")
    found = HW6.edition(tmp_path)
    assert found.edition.name == "fc-only"
    assert {"conv2d", "pool2d_max", "flatten", "l2", "adam"} <= set(found.edition.leaves_out)
    linear = found.edition.spec(OPS["linear"], HW6.uses)
    assert linear.cls == "Identity" and linear.opens["forward"] == "Identity.forward"
    ctor = {"layer_args": [{"activation": "linear"}], "loss": "cross_entropy"}
    assert found.edition.rename(ctor) == {"layer_args": [{"activation": "identity"}],
                                          "loss": "cross_entropy"}


def test_cs231n_before_2018_is_told_by_its_dropout_docstring(tmp_path):
    (tmp_path / "layers.py").write_text(
        'def dropout_forward(x, dropout_param):\n    """\n    - p: Dropout parameter. We drop '
        'each neuron output with probability p.\n    """\n')
    assert CS231N.edition(tmp_path).edition.name == "2017"
    assert CS231N.edition(CS231N_BUNDLED.parent).edition.name == "2018+"


def test_an_unknown_edition_is_a_usage_error_naming_the_known_ones(tmp_path, capsys):
    code = main(["check", "--impl", str(LAYOUTS / "hw6_2024"), "--edition", "2099",
                 "--ops", "linear", "--report", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown edition '2099'" in err and "2021-23" in err and "2024+" in err


# ---------------------------------------------------------------- ops the year never asked for
@pytest.mark.parametrize("edition, left_out", [
    ("2020", {"pool2d_max", "pool2d_average", "flatten", "adam"}),
    ("2024+", {"l2", "adam"}),
    ("2021-23", {"adam"}),
])
def test_network_cases_draw_only_on_the_editions_ops(edition, left_out):
    (found,) = [e for e in HW6.editions if e.name == edition]
    assert set(found.leaves_out) == left_out
    for op in ("network", "training"):
        cases = list(found.spec(OPS[op], HW6.uses).cases(30, 1))
        assert cases, op
        assert all(not HW6.uses(OPS[op], c) & left_out for c in cases), op
    contract = [HW6.uses(OPS["network"], c) for c in OPS["network"].cases(30, 1)]
    assert any(left_out & used for used in contract)   # the full contract draws them


def test_an_op_the_edition_leaves_out_is_listed_not_checked(tmp_path, capsys):
    report = check(tmp_path, LAYOUTS / "hw6_2021_2023", "--edition", "2024+", "--ops",
                   "cross_entropy,l2", "--cases", "3")
    out = capsys.readouterr().out
    assert set(statuses(report)) == {("cross_entropy", "forward"), ("cross_entropy", "dX")}
    assert skipped(report, "edition") == {"l2"}
    assert report["edition"] == {**report["edition"], "name": "2024+", "source": "option"}
    assert "not checked: l2 (not in the 2024+ edition" in out
    assert "Edition: 2024+" in out


# ---------------------------------------------------------------- the course's starter code
def test_a_fingerprint_ignores_comments_docstrings_and_layout_only(tmp_path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text('def f(x):\n    """Twice x."""\n    return 2 * x\n')
    b.write_text("# the course's helper\ndef f(x):\n\n    return 2*x   # doubled\n")
    c.write_text("def f(x):\n    return 3 * x\n")
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)


def test_the_starters_weights_are_reported_not_charged(tmp_path, capsys):
    """hw6_2024's weights.py is the same code as hw6_2021_2023's: given as the course's
    starter, the initialisers are the starter's, not the student's."""
    ops = "linear,xavier_uniform,he_normal"
    report = check(tmp_path, LAYOUTS / "hw6_2021_2023", "--starter", str(LAYOUTS / "hw6_2024"),
                   "--ops", ops, "--cases", "3")
    capsys.readouterr()
    assert {op for op, _ in statuses(report)} == {"linear"}
    assert skipped(report, "starter") == {"xavier_uniform", "he_normal"}
    (reason,) = {s["reason"] for s in report["skipped"] if s["why"] == "starter"}
    assert "weights.py is the course's starter code" in reason and "shape[0]" in reason
    # without the starter, that weights.py is the student's own code: checked, and charged
    report = check(tmp_path / "own", LAYOUTS / "hw6_2021_2023", "--ops", ops, "--cases", "3")
    assert {op for op, _ in statuses(report)} == {"linear", "xavier_uniform", "he_normal"}


# ---------------------------------------------------------------- one root cause, one charge
def test_a_substituted_child_never_checks_the_op_it_substitutes():
    with Checker(LAYOUTS / "hw6_2021_2023_unfinished" / "neural_networks") as checker:
        checker.failing = frozenset({"sigmoid"})
        sigmoid = next(OPS["sigmoid"].cases(1))
        dense = Case.make("fully_connected", {**next(OPS["fully_connected"].cases(1)).p,
                                              "act": "sigmoid"}, 5)
        relu = Case.make("fully_connected", {**dense.p, "act": "relu"}, 5)
        assert checker.sandbox_for(OPS["sigmoid"], sigmoid).substitute == ()
        assert checker.sandbox_for(OPS["fully_connected"], dense).substitute == ("activations",)
        assert checker.sandbox_for(OPS["fully_connected"], relu).substitute == ()


def _stub_sigmoid(tmp: Path) -> Path:
    """hw6_2020 with its optional Sigmoid left as the starter's `return ...` stub."""
    shutil.copytree(LAYOUTS / "hw6_2020", tmp / "sub")
    path = tmp / "sub" / "neural_networks" / "activations.py"
    text = path.read_text()
    head, tail = text.split("class Sigmoid", 1)
    body, rest = tail.split("\nclass ", 1)
    body = re.sub(r"(### OPTIONAL: YOUR CODE HERE ###\n)(?:        .+\n)+",
                  r"\1        return ...\n", body)
    path.write_text(head + "class Sigmoid" + body + "\nclass " + rest)
    return tmp / "sub"


def test_an_optional_stub_is_not_checked_and_its_layers_are_not_charged_for_it(tmp_path,
                                                                               capsys):
    sub = _stub_sigmoid(tmp_path)
    report = check(tmp_path, sub, "--ops", "sigmoid,fully_connected", "--cases", "12",
                   "--seed", "3")
    capsys.readouterr()
    assert skipped(report, "optional") == {"sigmoid"}
    items = {r["output"]: r for r in report["results"] if r["op"] == "fully_connected"}
    assert {o: r["status"] for o, r in items.items()} == {
        "forward": "pass", "dX": "pass", "dW": "pass", "db": "pass"}
    assert items["dX"]["depends_on"][0]["op"] == "sigmoid"
    assert "with nnparity's correct sigmoid in place of yours" in items["dX"]["notes"][0]


@pytest.mark.parametrize("charge_once", [True, False])
def test_grade_charges_a_stub_once_on_the_op_that_holds_it(charge_once, tmp_path, capsys):
    """A Sigmoid stub costs sigmoid's points only, and feedback.md says which tests were
    spared and through what; with the rubric's charge_once off, the layers' sigmoid cases
    fail too and nothing is said to be spared."""
    rubric = tmp_path / "rubric.toml"
    rubric.write_text('[rubric]\nname = "once"\nseed = 3\ncases = 8\ninvestigate = 0\n'
                      f'charge_once = {str(charge_once).lower()}\n'
                      'graded_modules = ["activations", "layers", "losses"]\n\n'
                      '[[item]]\nop = "sigmoid"\npoints = { forward = 1, dX = 1 }\n\n'
                      '[[item]]\nop = "fully_connected"\n'
                      'points = { forward = 1, dX = 1, dW = 1, db = 1 }\n\n'
                      '[[item]]\nop = "conv2d"\npoints = { forward = 1, dX = 1, dW = 1, '
                      'db = 1 }\n')
    name = "hw6_2021_2023_unfinished"
    assert main(["grade", str(LAYOUTS / name), "--rubric", str(rubric), "--out",
                 str(tmp_path / "out"), "--workers", "1", "--no-progress"]) == 0
    capsys.readouterr()
    result = json.loads((tmp_path / "out" / name / "result.json").read_text())
    feedback = (tmp_path / "out" / name / "feedback.md").read_text()
    tests = {(t["op"], t["output"]): t for t in result["tests"]}
    assert result["edition"]["name"] == "2021-23"
    if not charge_once:
        assert result["score"] < 8 and "Charged once" not in feedback
        assert not any(t.get("depends_on") for t in result["tests"])
        return
    assert result["score"] == 8 and result["max_score"] == 10   # sigmoid's 2 points only
    for op in ("fully_connected", "conv2d"):
        assert all(tests[(op, o)]["score"] == 1 for o in ("forward", "dX", "dW", "db"))
        cases = tests[(op, "dX")]["depends_on"][0]["cases"]
        assert tests[(op, "dX")]["depends_on"] == [{"op": "sigmoid", "cases": cases}]
        cls = tests[(op, "forward")]["name"].partition(" ")[0]
        assert f"- {cls} forward, backward dX, dW, db: through sigmoid in {cases} case" \
            in feedback
    assert "Charged once:" in feedback


def test_the_shipped_rubrics_charge_each_root_cause_once():
    from harness.grading.rubric import load_rubric, shipped_rubric

    assert all(load_rubric(shipped_rubric(api)).charge_once for api in ("hw6", "cs231n"))


# ---------------------------------------------------------------- CS231n's dropout before 2018
def _dropout_2017(tmp: Path) -> Path:
    """student_nn's CS231n layers with dropout as the 2017 handout defines it: p is the
    probability of dropping a unit (written here from student_nn, not from any checkout)."""
    text = CS231N_BUNDLED.read_text()
    old = re.search(r"def dropout_forward.*?\n    return out, mask\n", text, re.S).group(0)
    new = ('def dropout_forward(x, dropout_param):\n'
           '    """- p: Dropout parameter. We drop each neuron output with probability p."""\n'
           '    p, mode = dropout_param["p"], dropout_param["mode"]\n'
           '    if "seed" in dropout_param:\n'
           '        np.random.seed(dropout_param["seed"])\n'
           '    if mode == "train":\n'
           '        mask = (np.random.rand(*x.shape) >= p) / (1 - p)\n'
           '        out = x * mask\n'
           '    else:\n'
           '        mask, out = None, x.copy()\n'
           '    return out, mask\n')
    (tmp / "cs231n").mkdir(parents=True)
    (tmp / "cs231n" / "layers.py").write_text(text.replace(old, new))
    return tmp


def test_dropout_with_p_the_drop_probability_passes_in_the_2017_edition(tmp_path, capsys):
    """The 2017 handout's docstring drops a unit with probability p, its notebook keeps it:
    either reading passes there, and the mask's note says which the kept units show."""
    impl = _dropout_2017(tmp_path / "impl")
    report = check(tmp_path / "a", impl, "--api", "cs231n", "--ops", "dropout", "--cases",
                   "12")
    assert report["edition"]["name"] == "2017"
    assert set(statuses(report).values()) == {"pass"}
    keeping = check(tmp_path / "k", CS231N_BUNDLED.parent, "--api", "cs231n", "--ops",
                    "dropout", "--cases", "12", "--edition", "2017")
    assert set(statuses(keeping).values()) == {"pass"}
    # the same code against the 2018 handout keeps the wrong share of units
    report = check(tmp_path / "b", impl, "--api", "cs231n", "--ops", "dropout", "--cases",
                   "12", "--edition", "2018+")
    capsys.readouterr()
    assert statuses(report)[("cs231n:dropout", "mask")] == "fail"


def test_a_stubbed_predict_is_not_implemented_not_a_wrong_value(tmp_path, capsys):
    """NeuralNetwork.predict left as the starter's `return ...`: not implemented."""
    package = tmp_path / "impl" / "neural_networks"
    shutil.copytree(BUNDLED_DIR, package, ignore=shutil.ignore_patterns("cs231n", "__pycache__"))
    models = package / "models.py"
    text = models.read_text()
    head, tail = text.split("    def predict(", 1)
    rest = tail.split("\n    def ", 1)[1]
    models.write_text(head + "    def predict(self, X, Y):\n        return ...\n\n    def "
                      + rest)
    report = check(tmp_path, package, "--ops", "network", "--cases", "3")
    capsys.readouterr()
    assert statuses(report)[("network", "predict")] == "not_implemented"
    assert statuses(report)[("network", "forward")] == "pass"


def test_what_a_stubbed_backward_computes_is_not_implemented(tmp_path, capsys):
    """NeuralNetwork.backward left as `return ...`: the loss, the gradients and the update
    it should have made are not implemented (not wrong values), in check and in training."""
    package = tmp_path / "impl" / "neural_networks"
    shutil.copytree(BUNDLED_DIR, package, ignore=shutil.ignore_patterns("cs231n", "__pycache__"))
    models = package / "models.py"
    head, tail = models.read_text().split("    def backward(", 1)
    rest = tail.split("\n    def ", 1)[1]
    models.write_text(head + "    def backward(self, target, out):\n        return ...\n\n"
                      "    def " + rest)
    report = check(tmp_path, package, "--ops", "network,training", "--cases", "3")
    capsys.readouterr()
    got = statuses(report)
    assert got[("network", "forward")] == got[("network", "predict")] == "pass"
    for key in [("network", o) for o in ("loss", "gradients", "update")] + [
            ("training", "loss"), ("training", "parameters")]:
        assert got[key] == "not_implemented", (key, got[key])


@pytest.mark.parametrize("kind, message, says", [
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars", ".item()"),
    ("ValueError", "setting an array element with a sequence.", "1-element array"),
    ("TypeError", "Cannot cast array data from dtype('float64') to dtype('int64') according "
                  "to the rule 'same_kind'", "use //"),
])
def test_code_for_older_numpy_or_python_2_is_told_so(kind, message, says):
    from harness.core.verdict import describe_exception
    text = describe_exception({"stage": "forward", "type": kind, "message": message,
                               "file": "cs231n/layers.py", "line": 9, "function": "f",
                               "code": "x"})
    assert text.startswith(f"forward raised: {kind}") and says in text
