"""Training parity: the same network trained by an implementation and by its twin, from the
same initial parameters on the same minibatches; and student_nn trains Iris."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from harness.apis.hw6.model_cases import iris, iris_split
from harness.check.checker import Checker
from harness.check.session import run_checks
from harness.core.registry import get_op
from harness.core.report import Curve
from harness.core.results import build_report
from harness.reports.model_section import curves as curves_of
from student_nn.models import NeuralNetwork

IMPLS = Path(__file__).parent / "model_impls"
TRAINING_DEVIATION = 1e-10   # student_nn tracks PyTorch to float64 rounding (measured ~1e-15)


@cache
def report_of(impl: str | None) -> dict:
    with Checker(IMPLS / impl if impl else None) as checker:
        records = list(run_checks(checker, [get_op("training")], 50, seed=0))
    return build_report(records, impl=str(impl), seed=0, profile="homework", tolerance="",
                        cases_per_op=2)


def _curves(report: dict) -> list[Curve]:
    loss = next(r for r in report["results"] if r["output"] == "loss")
    return curves_of({"results": [loss]})


def test_default_training_cases_are_few_and_long() -> None:
    cases = list(get_op("training").cases(50, 0))
    assert len(cases) == 2 and all(c.p["steps"] >= 50 for c in cases)
    assert {c.p["data"] for c in cases} == {"iris", "waves"}


def test_student_nn_tracks_pytorch_over_every_step() -> None:
    report = report_of(None)
    assert report["summary"]["verdict"] == "pass"
    curves = _curves(report)
    assert len(curves) == 2
    for curve in curves:
        assert curve.max_deviation is not None and curve.max_deviation <= TRAINING_DEVIATION
        got, want = np.array(curve.implementation), np.array(curve.reference)
        assert len(got) == len(want) >= 50
        assert np.allclose(got, want, rtol=1e-7)
        assert want[-5:].mean() < want[:5].mean()   # it learns


def test_independent_model_trains_like_pytorch() -> None:
    assert report_of("independent_model")["summary"]["verdict"] == "pass"


def test_separation_names_step_layer_and_parameter() -> None:
    report = report_of("update_before_backward")
    items = {r["output"]: r for r in report["results"]}
    params = items["parameters"]["finding"]
    assert params["message"].startswith("step 1, layer 0 FullyConnected W"), params["message"]
    assert params["diagnosis"][0]["code"] == "training_separates"
    assert items["loss"]["finding"]["message"].startswith("step 2 loss")
    curve = _curves(report)[0]
    assert curve.separation.startswith("step 1, layer 0")


def test_iris_is_fishers() -> None:
    X, Y = iris()
    assert X.shape == (150, 4) and Y.sum(axis=0).tolist() == [50, 50, 50]
    assert X[0].tolist() == [5.1, 3.5, 1.4, 0.2] and X.sum() == pytest.approx(2078.7)
    Xtr, Ytr, Xte, Yte = iris_split(0)
    assert len(Xtr) == 100 and len(Xte) == 50 and Yte.sum(axis=0).tolist() == [17, 17, 16]


def iris_test_error(seed: int = 0, epochs: int = 25, batch: int = 25) -> float:
    """student_nn on Iris in the HW6 starter's setting (train_ffnn.py): 4 -> 25 relu -> 3
    softmax, xavier_uniform, SGD lr 0.01, momentum 0.9, clip_norm 1.0, batch 25, 25 epochs."""
    Xtr, Ytr, Xte, Yte = iris_split(0)
    layer_args = [{"name": "fully_connected", "n_out": 25, "activation": "relu",
                   "weight_init": "xavier_uniform"},
                  {"name": "fully_connected", "n_out": 3, "activation": "softmax",
                   "weight_init": "xavier_uniform"}]
    optimizer = {"name": "sgd", "lr": 0.01, "momentum": 0.9, "clip_norm": 1.0,
                 "lr_scheduler": "constant"}
    model = NeuralNetwork("cross_entropy", layer_args, optimizer, seed=seed)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(Xtr))
        for i in range(-(-len(Xtr) // batch)):
            idx = order[i * batch:(i + 1) * batch]
            model.train_step(Xtr[idx], Ytr[idx], epoch)
    Y_hat, _ = model.predict(Xte, Yte)
    return float(np.mean(Y_hat.argmax(axis=1) != Yte.argmax(axis=1)))


def test_student_nn_trains_iris() -> None:
    assert iris_test_error(seed=0) <= 0.04


def test_reports_draw_both_loss_curves() -> None:
    from harness.reports.html_page import render_html
    from harness.reports.markdown import render_markdown

    report = report_of("update_before_backward")
    html, md = render_html(report), render_markdown(report)
    assert html.count("<svg") >= 2 and "<polyline" in html and "PyTorch" in html
    assert "## Whole models, optimizers, initializers and training" in md
    assert "they separate at step 1, layer 0 FullyConnected W" in md
    assert "nnparity-training-curve" not in md.split("## Failures")[1]   # not a plain note


def test_a_diverging_curve_is_still_a_valid_note_and_renders() -> None:
    from harness.core.cases import Case
    from harness.core.results import curve_note
    from harness.reports.model_section import markdown, svg_curves

    case = next(iter(get_op("training").cases(1, 0)))
    note = curve_note(Case.from_id(case.id), [1.0, float("nan"), float("inf")], [1.0, 0.9, 0.8],
                      float("inf"), "step 2 loss")
    curve = Curve.from_note(note)
    assert curve.implementation == (1.0, None, None) and curve.max_deviation is None
    report = {"results": [{"op": "training", "output": "loss", "status": "fail", "cases": 1,
                           "failed": 1, "notes": [note]}]}
    assert "NaN/Inf" in "\n".join(markdown(report)) and "<polyline" in svg_curves(curve)
