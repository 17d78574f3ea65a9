"""The network op: whole models against the twin assembled from the reference twins.

Each buggy model in tests/model_impls/ must fail exactly the outputs it should, with the
right model-level diagnosis first (a layer named by index and type and linked to its own
op-level verdict, or the bug in the model's code); a correct model written independently of
student_nn (in the starter's style) must pass every case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from harness.apis.hw6.model_cases import (
    format_layers,
    input_shape,
    layer_shapes,
    network_valid,
    parse_layers,
)
from harness.check.checker import Checker
from harness.check.findings import record
from harness.check.session import run_checks
from harness.core.cases import Case
from harness.core.registry import get_op
from harness.core.results import build_report
from harness.diagnosis.causes import WHOLE_MODEL_CODES

IMPLS = Path(__file__).parent / "model_impls"
CASES = 12
ALL_OUTPUTS = ("forward", "loss", "gradients", "predict", "update")


@dataclass(frozen=True)
class ModelBug:
    name: str
    fails: dict[str, str]                  # output -> the top diagnosis code
    status: dict[str, str] = field(default_factory=dict)   # output -> status if not "fail"
    says: dict[str, str] = field(default_factory=dict)     # output -> text in the top message
    # The op that fails on its own and that the model fails only through: a check reruns
    # those cases with it substituted, and the model passes (harness/check/substitute.py);
    # `fails` is then what the model's own diagnosis says without the substitution.
    through: str = ""


BUGS = [
    ModelBug("backward_wrong_order",
             {o: "model_backward_order" for o in ("loss", "gradients", "update")},
             status={o: "error" for o in ("loss", "gradients", "update")},
             says={"gradients": "from the last layer to the first"}),
    ModelBug("backward_skips_first_layer",
             {o: "model_layer_skipped" for o in ("gradients", "update")},
             says={"gradients": "backward never calls layer 0's backward"}),
    ModelBug("loss_args_swapped",
             {o: "model_loss_args_swapped" for o in ("loss", "gradients", "update")},
             says={"gradients": "backward(out, target) with the arguments swapped"}),
    ModelBug("predict_args_swapped", {"predict": "model_predict_args_swapped"},
             says={"predict": "predict passes (Y_hat, Y) to backward with the arguments "
                              "swapped"}),
    ModelBug("gradients_not_cleared", {o: "model_gradients_not_cleared"
                                       for o in ("gradients", "update")},
             says={"gradients": "step 2's"}),
    ModelBug("loss_in_forward", {"loss": "model_loss_in_forward"},
             says={"loss": "computed in forward (step 2 forward)"}),
    ModelBug("update_before_backward", {"update": "model_update_before_backward"}),
    ModelBug("forward_wrong_order", {o: "model_forward_order" for o in ALL_OUTPUTS},
             status=dict.fromkeys(ALL_OUTPUTS, "error"),
             says={"forward": "forward calls the layers in the order"}),
    ModelBug("backward_not_chained", {o: "model_not_chained" for o in ("loss", "gradients",
                                                                        "update")},
             status={"loss": "error"}, says={"gradients": "as its dY"}),
    ModelBug("update_adds_step", {"update": "model_update_sign"}),
    ModelBug("update_names_shared", {"update": "model_optimizer_state_shared"}),
    ModelBug("backward_returns_double_loss", {"loss": "model_code"}),
    # its models.py imports a helper only its own optimizers.py has: student_nn's cannot be
    # substituted, so the model's own diagnosis names the optimiser
    ModelBug("optimizer_fails_in_model", {"update": "caused_by_optimizer"},
             says={"update": "the optimiser sgd fails on its own"}),
    ModelBug("conv_db_4d_inplace_update", {"update": "model_gradient_shape"},
             status={"update": "error"}, says={"update": "stores db with shape (1, 1, 1, "}),
    ModelBug("layer_fc_dx_wrong", {o: "caused_by_layer" for o in ("gradients", "update")},
             says={"gradients": "FullyConnected(n_out=3, softmax): dX differs from PyTorch's "
                                "when both are fed the same input (step 1 backward"},
             through="fully_connected"),
    ModelBug("layer_stale_cache", {o: "model_layer_differs" for o in ("gradients", "update")},
             says={"gradients": "dW differs from PyTorch's when both are fed the same input "
                                "(step 2 backward"}),
]


@cache
def report_of(name: str) -> dict:
    with Checker(IMPLS / name) as checker:
        records = list(run_checks(checker, [get_op("network")], CASES, seed=0))
    return build_report(records, impl=name, seed=0, profile="homework", tolerance="",
                        cases_per_op=CASES)


@cache
def unsubstituted_report_of(name: str) -> dict:
    """The network's verdicts case by case, no op substituted (as a check that has not found
    the failing op, or any single rerun, sees them)."""
    spec = get_op("network")
    with Checker(IMPLS / name) as checker:
        records = [record(v, i) for i, case in enumerate(spec.cases(CASES, 0))
                   for v in checker.check(spec, case).values()]
    return build_report(records, impl=name, seed=0, profile="homework", tolerance="",
                        cases_per_op=CASES)


@pytest.mark.parametrize("bug", [b for b in BUGS if b.through], ids=lambda b: b.name)
def test_a_model_failing_only_through_a_failing_op_is_not_charged_for_it(bug: ModelBug
                                                                         ) -> None:
    report = report_of(bug.name)
    assert report["summary"]["verdict"] == "pass", [
        (r["output"], r["finding"]["message"]) for r in report["results"] if r.get("finding")]
    for output in bug.fails:
        item = next(r for r in report["results"] if r["output"] == output)
        assert [d["op"] for d in item["depends_on"]] == [bug.through]


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_model_bug_is_found_and_named(bug: ModelBug) -> None:
    report = unsubstituted_report_of(bug.name) if bug.through else report_of(bug.name)
    failing = {r["output"]: r for r in report["results"] if r["status"] != "pass"}
    assert set(failing) == set(bug.fails), {o: r["finding"]["message"][:200]
                                            for o, r in failing.items()}
    for output, code in bug.fails.items():
        item = failing[output]
        assert item["status"] == bug.status.get(output, "fail"), item["finding"]["message"]
        top = item["finding"]["diagnosis"][0]
        assert top["code"] == code, item["finding"]["diagnosis"]
        if output in bug.says:
            assert bug.says[output] in top["message"], top["message"]


def test_layer_bug_is_linked_to_its_op_verdict() -> None:
    item = next(r for r in unsubstituted_report_of("layer_fc_dx_wrong")["results"]
                if r["output"] == "gradients")
    top = item["finding"]["diagnosis"][0]["message"]
    assert "fully_connected dX also fails on its own" in top and "fix it first" in top
    assert top.startswith("layer ")


def test_layer_bug_only_the_model_shows() -> None:
    item = next(r for r in report_of("layer_stale_cache")["results"]
                if r["output"] == "gradients")
    assert "fully_connected dW passes on its own" in item["finding"]["diagnosis"][0]["message"]


def test_first_differing_entry_names_step_layer_and_parameter() -> None:
    item = next(r for r in report_of("gradients_not_cleared")["results"]
                if r["output"] == "gradients")
    assert item["finding"]["message"].startswith("step 2, layer ")


def test_independent_starter_style_model_passes() -> None:
    report = report_of("independent_model")
    assert report["summary"]["verdict"] == "pass", [
        (r["output"], r["finding"]["message"]) for r in report["results"] if r.get("finding")]
    notes = {n for r in report["results"] for n in r["notes"]}
    assert any("one layer fewer than layer_args" in n for n in notes)


def test_every_whole_model_code_is_exercised_by_a_buggy_implementation() -> None:
    from test_initializers import BUGS as INIT_BUGS
    from test_optimizers import BUGS as OPTIMIZER_BUGS

    named = {code for bug in BUGS for code in bug.fails.values()}
    named |= {code for _, code, _ in OPTIMIZER_BUGS.values()}
    named |= {code for ops in INIT_BUGS.values() for code in ops.values()}
    named |= {"training_separates"}   # tests/test_training.py
    assert named == set(WHOLE_MODEL_CODES)
    assert all((IMPLS / name / "README.md").is_file() for name in
               [b.name for b in BUGS] + list(OPTIMIZER_BUGS) + list(INIT_BUGS))


# ---------------------------------------------------------------- the case family
def test_network_cases_are_valid_and_round_trip() -> None:
    spec = get_op("network")
    for case in spec.cases(60, 3):
        p = case.p
        assert network_valid(p), case.id
        again = Case.from_id(case.id)
        assert again.id == case.id
        x, y = spec.inputs(case), spec.inputs(again)
        assert x.keys() == y.keys() and all(np.array_equal(x[k], y[k]) for k in x)
        layers = parse_layers(str(p["layers"]))
        assert format_layers(layers) == p["layers"]
        shapes = layer_shapes(layers, input_shape(p))
        assert shapes[-1] == y["Y"].shape


def test_network_cases_cover_both_stacks_losses_and_optimizers() -> None:
    cases = [c.p for c in get_op("network").cases(50, 0)]
    assert {p["loss"] for p in cases} == {"cross_entropy", "l2"}
    assert {p["opt"] for p in cases} == {"sgd", "adam"}
    assert any("conv" in p["layers"] for p in cases) and any(
        p["layers"].startswith("fc") for p in cases)
    acts = {tok.split(".")[-1] for p in cases for tok in p["layers"].split("-")
            if tok.startswith("fc")}
    assert {"linear", "sigmoid", "tanh", "relu", "softmax"} <= acts
    assert {tok.split(".")[1] for p in cases for tok in p["layers"].split("-")
            if tok.startswith("pool")} == {"max", "average"}


def test_malformed_layers_are_invalid() -> None:
    base = {"n": 2, "n_in": 3, "loss": "cross_entropy", "opt": "sgd", "lr": "0.1",
            "mom": "0.0"}
    assert network_valid({**base, "layers": "fc.4.relu-fc.3.softmax"})
    assert not network_valid({**base, "layers": "fc.4.relu-fc.1.linear"})    # CE needs softmax
    assert not network_valid({**base, "layers": "fc.4.softmax-fc.3.softmax"})
    assert not network_valid({**base, "layers": "fc.x.relu"})
    img = {**base, "h": 4, "w": 4, "c": 1}
    img.pop("n_in")
    assert not network_valid({**img, "layers": "conv.2.3x3.1.same.relu-pool.max.2x2.1.0-flat-"
                                                "fc.2.softmax"})   # dead ReLUs tie in max pool
    assert not network_valid({**img, "layers": "conv.2.3x3.1.3.linear-flat-fc.2.softmax"})
