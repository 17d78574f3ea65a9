"""The sgd and adam ops: an optimiser's update deltas against torch.optim over K steps.

Each buggy optimiser in tests/model_impls/ must fail its op at the first step and parameter
where it differs, with the usual bug named first; correct optimisers (student_nn's and one
written independently in the starter's style) must pass.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.apis.hw6.optim_diagnose import adam_deltas, sgd_deltas
from harness.check.checker import Checker
from harness.check.session import run_checks
from harness.core.compare import DEFAULT_TOLERANCE, compare_output
from harness.core.registry import get_op
from harness.core.results import build_report
from reference.optimizers import initialize_optimizer as twin_optimizer
from student_nn.optimizers import initialize_optimizer

IMPLS = Path(__file__).parent / "model_impls"
CASES = 10

BUGS = {  # implementation -> (op, top diagnosis code, text of the finding's message)
    "adam_no_bias_correction": ("adam", "optimizer_bias_correction_missing", "step 1, parameter"),
    "adam_bias_correction_from_zero": ("adam", "optimizer_bias_correction_step",
                                       "step 1, parameter W0"),
    "adam_eps_inside_sqrt": ("adam", "optimizer_eps_inside_sqrt", "step 1, parameter"),
    "adam_shared_step": ("adam", "optimizer_state_shared", "step 1, parameter b0"),
    "sgd_lr_twice": ("sgd", "optimizer_lr_twice", "step 1, parameter W0"),
    "sgd_wrong_sign": ("sgd", "optimizer_wrong_sign", "step 1, parameter W0"),
    "sgd_shared_velocity": ("sgd", "optimizer_state_shared", "parameter W1"),
    "sgd_no_momentum": ("sgd", "optimizer_momentum", "step 2, parameter W0"),
    "sgd_no_clipping": ("sgd", "optimizer_clip_missing", "step 1, parameter W0"),
    # at step 1 the bias corrections make m̂ = g and v̂ = g² whatever the betas
    "adam_betas_swapped": ("adam", "optimizer_betas_swapped", "step 2, parameter W0"),
    "optimizer_fails_in_model": ("sgd", "optimizer_wrong_sign", "step 1, parameter W0"),
}


@cache
def report_of(name: str) -> dict:
    with Checker(IMPLS / name) as checker:
        records = list(run_checks(checker, [get_op("sgd"), get_op("adam")], CASES, seed=0))
    return build_report(records, impl=name, seed=0, profile="homework", tolerance="",
                        cases_per_op=CASES)


@pytest.mark.parametrize("name", sorted(BUGS))
def test_optimizer_bug_is_found_and_named(name: str) -> None:
    op, code, where = BUGS[name]
    results = {r["op"]: r for r in report_of(name)["results"]}
    other = "sgd" if op == "adam" else "adam"
    assert results[other]["status"] == "pass"
    item = results[op]
    assert item["status"] == "fail"
    finding = item["finding"]
    assert where in finding["message"], finding["message"]
    assert finding["diagnosis"][0]["code"] == code, finding["diagnosis"]


def test_independent_optimizers_pass() -> None:
    report = report_of("independent_model")
    assert report["summary"]["verdict"] == "pass", report["results"]


def test_shared_state_is_only_blamed_where_shapes_repeat() -> None:
    item = next(r for r in report_of("sgd_shared_velocity")["results"] if r["op"] == "sgd")
    assert 0 < item["failed"] < item["cases"]


# ---------------------------------------------------------------- the twin and student_nn
@pytest.mark.parametrize("name, args", [
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.3, "momentum": 0.0, "clip_norm": 0.5}),
    ("adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
    ("adam", {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-3}),
])
def test_student_nn_and_twin_agree_with_torch_optim_steps(name, args) -> None:
    rng = np.random.default_rng(1)
    ours, twin = initialize_optimizer(name, **args), twin_optimizer(name, **args)
    p = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    torch_args = {k: v for k, v in args.items() if k not in ("clip_norm", "beta1", "beta2")}
    if name == "adam":
        torch_args["betas"] = (args["beta1"], args["beta2"])
    opt = getattr(torch.optim, "SGD" if name == "sgd" else "Adam")([p], **torch_args)
    param = p.detach().numpy().copy()
    for _ in range(6):
        g = rng.standard_normal((3, 4)) * 3
        d_ours, d_twin = ours.update("W0", param, g, 0), twin.update("W0", param, g, 0)
        gt = torch.tensor(g)
        if "clip_norm" in args and gt.norm() > args["clip_norm"]:
            gt = gt * (args["clip_norm"] / gt.norm())
        before = p.detach().clone()
        p.grad = gt
        opt.step()
        d_torch = (before - p.detach()).numpy()
        for d in (d_ours, d_twin):
            assert compare_output(d, d_torch, ("i", "j"), DEFAULT_TOLERANCE).ok
        param = param - d_ours


def test_variants_reduce_to_the_rule_without_their_bug() -> None:
    rng = np.random.default_rng(0)
    grads = {"W0": rng.standard_normal((4, 2, 3))}
    sgd = {"lr": 0.2, "momentum": 0.9}
    adam = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    for variant, args, fn in ((sgd_deltas(sgd, ["W0"], grads, 4), sgd, "sgd"),
                              (adam_deltas(adam, ["W0"], grads, 4), adam, "adam")):
        twin = twin_optimizer(fn, **args)
        for t in range(1, 5):
            want = twin.update("W0", grads["W0"][t - 1], grads["W0"][t - 1], 0)
            assert np.allclose(variant[(t, "W0")], want, rtol=1e-12, atol=1e-15)


def test_an_optimizer_the_implementation_does_not_offer_is_not_implemented(tmp_path) -> None:
    # The HW6 starters' initialize_optimizer knows only SGD, with fixed keyword arguments:
    # adam is not asked of them, so it is not_implemented, never a failure.
    pkg = tmp_path / "neural_networks"
    pkg.mkdir()
    (pkg / "optimizers.py").write_text(
        "from student_nn.optimizers import SGD\n"
        "def initialize_optimizer(name, lr, momentum=None, lr_scheduler=None):\n"
        "    if name == 'SGD':\n"
        "        return SGD(lr, momentum=momentum or 0.0)\n"
        "    raise NotImplementedError\n")
    spec = get_op("adam")
    with Checker(tmp_path) as checker:
        (v,) = checker.check(spec, next(iter(spec.cases(1)))).values()
    assert v.status == "not_implemented", v.message
    assert "does not offer 'adam'" in v.message
