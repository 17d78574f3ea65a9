"""The initializer ops: a weight initialiser's draws against the law torch.nn.init draws from.

The tests have a documented false-alarm rate (harness/diagnosis/init_stats.py: α = 1e-6 per test);
torch's own draws pass them; each buggy initialiser in tests/model_impls/ fails with its
mistake named; student_nn and an independently written initialiser pass.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from harness.check.checker import Checker
from harness.check.session import run_checks
from harness.core.registry import get_op
from harness.core.results import build_report
from harness.diagnosis import init_stats
from reference.weights import initialize_weights, law

IMPLS = Path(__file__).parent / "model_impls"
INITS = ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")
CASES = 8

BUGS = {  # implementation -> {op: top diagnosis code of its failing items}
    "init_kernel_fans_2d": {op: "init_kernel_fans" for op in INITS},
    "he_without_gain": {"he_uniform": "init_gain", "he_normal": "init_gain"},
    "xavier_uniform_draws_normal": {"xavier_uniform": "init_distribution_mixed"},
    "he_fan_out": {"he_uniform": "init_fans_swapped", "he_normal": "init_fans_swapped"},
    "he_fan_sum": {"he_uniform": "init_fan_rule", "he_normal": "init_fan_rule"},
    "xavier_normal_variance_as_std": {"xavier_normal": "init_scale_sqrt"},
}


@cache
def report_of(name: str) -> dict:
    with Checker(IMPLS / name) as checker:
        records = list(run_checks(checker, [get_op(op) for op in INITS], CASES, seed=0))
    return build_report(records, impl=name, seed=0, profile="homework", tolerance="",
                        cases_per_op=CASES)


@pytest.mark.parametrize("name", sorted(BUGS))
def test_initializer_bug_is_found_and_named(name: str) -> None:
    report = report_of(name)
    failing = {r["op"] for r in report["results"] if r["status"] != "pass"}
    assert failing == set(BUGS[name]), failing
    for item in report["results"]:
        if item["op"] in BUGS[name]:
            codes = [d["code"] for d in item["finding"]["diagnosis"]]
            assert BUGS[name][item["op"]] in codes[:2], codes


def test_kernel_fans_fail_only_on_kernels() -> None:
    report = report_of("init_kernel_fans_2d")
    for item in report["results"]:
        shapes = [c.split("shape=")[1].split(",")[0] for c in item["failed_cases"]]
        assert all(s.count("x") == 3 for s in shapes), shapes


def test_independent_initializers_pass() -> None:
    assert report_of("independent_model")["summary"]["verdict"] == "pass"


@pytest.mark.parametrize("name", INITS)
@pytest.mark.parametrize("shape", [(20, 5), (3, 3, 4, 8), (1, 1), (5, 3, 2, 1)])
def test_torch_draws_pass_the_tests(name, shape) -> None:
    draw = initialize_weights(name, generator=torch.Generator().manual_seed(11))
    samples = np.concatenate([draw(shape).ravel() for _ in range(-(-8192 // math.prod(shape)))])
    ref = law(name, shape)
    assert init_stats.scale_test(samples, ref).passed
    assert init_stats.distribution_test(samples, ref).passed


def test_law_follows_the_documented_formulas() -> None:
    fan_in, fan_out = 3 * 3 * 4, 3 * 3 * 8
    assert law("xavier_uniform", (3, 3, 4, 8)).scale == pytest.approx(
        math.sqrt(6 / (fan_in + fan_out)))
    assert law("xavier_normal", (3, 3, 4, 8)).scale == pytest.approx(
        math.sqrt(2 / (fan_in + fan_out)))
    assert law("he_uniform", (20, 5)).scale == pytest.approx(math.sqrt(6 / 20))
    assert law("he_normal", (20, 5)).scale == pytest.approx(math.sqrt(2 / 20))


def test_kolmogorov_tail() -> None:
    assert init_stats.kolmogorov_sf(1.3581) == pytest.approx(0.05, abs=1e-3)
    lam = math.sqrt(math.log(2 / init_stats.ALPHA) / 2)   # where 2·exp(−2λ²) = α
    assert init_stats.kolmogorov_sf(lam) == pytest.approx(init_stats.ALPHA, rel=1e-3)
    assert init_stats.kolmogorov_sf(0.1) == 1.0
