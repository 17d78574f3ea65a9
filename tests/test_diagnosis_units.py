"""Shrinking, patterns, layer rules, factors, maps and ranking on synthetic data (no sandbox,
fast)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.core.cases import Case
from harness.core.conventions import Conventions
from harness.core.registry import get_op
from harness.core.twin import reference_outputs
from harness.diagnosis import factors
from harness.diagnosis.ablation import Trial
from harness.diagnosis.causes import CODES, Cause, rank
from harness.diagnosis.layer_rules import explain, fitting, rules
from harness.diagnosis.localize import mismatch_maps
from harness.diagnosis.patterns import detect
from harness.diagnosis.shrink import candidates, shrink

RULES = rules()
CONV = get_op("conv2d")
CONV_CASE = Case.make("conv2d", {"n": 3, "h": 7, "w": 6, "cin": 3, "cout": 2, "k": (3, 2),
                                 "s": 2, "pad": "same", "act": "tanh"}, seed=11)


def expected(spec, case: Case, output: str) -> np.ndarray:
    return reference_outputs(spec, spec.ctor(case), spec.inputs(case), Conventions())[output]


def codes(causes: list[Cause]) -> list[str]:
    return [c.code for c in causes]


# ---------------------------------------------------------------- shrinking
def test_candidates_are_simplest_first() -> None:
    conv, loss = CONV.family, get_op("cross_entropy").family
    assert candidates("act", "relu", conv) == ["linear"]
    assert candidates("act", "linear", conv) == []
    assert candidates("pad", "same", conv) == [0, 1] and candidates("pad", 2, conv) == [0, 1]
    assert candidates("n", 9, conv) == [1, 4, 8] and candidates("n", 1, conv) == []
    assert candidates("k", (3, 1), conv) == [(1, 1), (2, 1)]
    assert candidates("seed", 5, conv) == [] and candidates("target", "onehot", loss) == []
    assert candidates("cin", 3, loss) == []   # not a parameter of the family: left alone


def test_shrink_finds_the_smallest_case_that_keeps_failing() -> None:
    def fails(case: Case) -> bool:  # a bug that needs a batch and a kernel taller than 1
        return case.p["n"] >= 2 and case.p["k"][0] >= 2

    small = shrink(CONV_CASE, CONV.family, fails)
    assert small.p == {"n": 2, "h": 2, "w": 1, "cin": 1, "cout": 1, "k": (2, 1), "s": 1,
                       "pad": 0, "act": "linear"}
    assert CONV.family.valid(small.p) and small.seed == CONV_CASE.seed


def test_shrink_keeps_max_pool_cases_valid() -> None:
    pool = get_op("pool2d_max")
    case = Case.make("pool2d_max", {"n": 2, "h": 6, "w": 6, "c": 2, "k": (3, 3), "s": 1,
                                    "pad": 2}, seed=3)
    seen: list[Case] = []
    shrink(case, pool.family, lambda c: seen.append(c) or True)
    assert seen and all(pool.family.valid(c.p) for c in seen)
    assert all(c.p["pad"] < min(c.p["k"]) for c in seen if isinstance(c.p["pad"], int))


# ---------------------------------------------------------------- patterns
def test_scale_factor_is_named_after_the_batch_size() -> None:
    spec = get_op("cross_entropy")
    case = Case.make("cross_entropy", {"n": 5, "classes": 3, "target": "onehot"}, seed=2)
    want = expected(spec, case, "dX")
    (first, *_) = detect(spec, case, "dX", want * 5, want)
    assert first.code == "scale_factor" and "batch size m = 5" in first.message


@pytest.mark.parametrize("transform, code", [
    (lambda a: -a, "sign_flip"),
    (lambda a: np.zeros_like(a), "all_zeros"),
    (lambda a: a[:, ::-1, ::-1], "flipped_axes"),
    (lambda a: np.roll(a, 1, axis=2), "shift_by_one"),
    (lambda a: a * 0.25, "scale_factor"),
])
def test_value_patterns(transform, code) -> None:
    want = expected(CONV, CONV_CASE, "forward")
    assert codes(detect(CONV, CONV_CASE, "forward", transform(want), want))[:1] == [code]


def test_permuted_axes_name_the_order() -> None:
    want = expected(CONV, CONV_CASE, "dW")
    (cause,) = detect(CONV, CONV_CASE, "dW", want.transpose(3, 2, 0, 1), want)
    assert cause.code == "permuted_axes" and "(cout, cin, kh, kw)" in cause.message


def test_border_only_and_its_interior() -> None:
    case = CONV_CASE.replace(s=1, k=(3, 3))
    want = expected(CONV, case, "dX")
    got = want.copy()
    got[:, 0] += 1.0
    assert codes(detect(CONV, case, "dX", got, want))[0] == "border_only"
    got[:, 3, 3] += 1.0
    assert "border_only" not in codes(detect(CONV, case, "dX", got, want))


def test_stride_periodic_errors_but_not_errors_everywhere_a_window_reaches() -> None:
    case = CONV_CASE.replace(h=7, w=7, k=(2, 2), s=3, pad=0)
    want = expected(CONV, case, "dX")
    got = want.copy()
    got[:, 1::3] += 1.0                       # rows 1 and 4: one residue of the stride
    assert codes(detect(CONV, case, "dX", got, want))[0] == "stride_periodic"
    everywhere = want + (want != 0)           # every pixel some window covers
    assert "stride_periodic" not in codes(detect(CONV, case, "dX", everywhere, want))


def test_bias_missing_is_recognised() -> None:
    spec = get_op("fully_connected")
    case = Case.make("fully_connected", {"n": 3, "n_in": 2, "n_out": 4, "act": "linear"}, 5)
    want = expected(spec, case, "forward")
    (cause, *_) = detect(spec, case, "forward", want - spec.inputs(case)["b"], want)
    assert cause.code == "bias_offset" and "never added" in cause.message


def test_nothing_is_claimed_for_random_errors() -> None:
    want = expected(CONV, CONV_CASE, "forward")
    noise = np.random.default_rng(0).standard_normal(want.shape)
    assert detect(CONV, CONV_CASE, "forward", want + noise, want) == []


# ---------------------------------------------------------------- maps
def test_maps_count_mismatches_by_row_col_and_the_other_axes() -> None:
    case = CONV_CASE.replace(s=1, k=(3, 3))
    want = expected(CONV, case, "dX")
    got = want.copy()
    got[1, 2, 4, 0] += 1.0
    maps = mismatch_maps(CONV, case, "dX", got, want)
    grid = maps["grids"][0]
    assert (grid["rows"], grid["cols"], grid["max"]) == ("row", "col", 3 * 3)
    assert np.argwhere(np.array(grid["values"])).tolist() == [[2, 4]]
    assert maps["counts"] == {"n": [0, 1, 0], "ch": [1, 0, 0]}
    assert maps["wrong"] == [{"n": 1, "row": 2, "col": 4, "ch": 0}]
    feeds, taps = maps["grids"][1], maps["grids"][2]
    assert sum(map(sum, feeds["values"])) == 9        # 9 windows touch pixel (2, 4)
    assert taps["unit"] == "share" and all(0 < v < 1 for row in taps["values"] for v in row)


def test_kernel_maps_list_the_wrong_taps() -> None:
    want = expected(CONV, CONV_CASE, "dW")
    got = want.copy()
    got[2, 1, 0, 1] *= 3
    maps = mismatch_maps(CONV, CONV_CASE, "dW", got, want)
    assert maps["grids"][0]["rows"] == "kh" and maps["wrong"] == [
        {"kh": 2, "kw": 1, "cin": 0, "cout": 1}]
    assert mismatch_maps(CONV, CONV_CASE, "dW", want, want) is None


# ---------------------------------------------------------------- ranking
def test_rank_orders_by_the_catalogue_and_keeps_one_cause_per_code() -> None:
    causes = [Cause("value_mismatch", "a"), Cause("scale_factor", "b"),
              Cause("caused_by_forward", "c"), Cause("scale_factor", "d")]
    assert [(c.code, c.message) for c in rank(causes)] == [
        ("caused_by_forward", "c"), ("scale_factor", "b"), ("value_mismatch", "a")]
    assert len(CODES) == len(set(CODES)) and all(CODES.values())


# ---------------------------------------------------------------- layer rules
RULE_CASES = {  # padding, a stride, a non-square kernel and overlapping windows
    "pool2d_max": [Case.make("pool2d_max", {"n": 2, "h": 7, "w": 6, "c": 2, "k": (3, 2),
                                            "s": 2, "pad": 1}, seed=4),
                   Case.make("pool2d_max", {"n": 1, "h": 5, "w": 5, "c": 1, "k": (2, 2),
                                            "s": 1, "pad": 0}, seed=8)],
    "pool2d_average": [Case.make("pool2d_average", {"n": 2, "h": 7, "w": 6, "c": 2,
                                                    "k": (3, 2), "s": 2, "pad": 1}, seed=4)],
    "conv2d": [Case.make("conv2d", {"n": 2, "h": 7, "w": 6, "cin": 2, "cout": 3, "k": (3, 2),
                                    "s": 2, "pad": 1, "act": "tanh"}, seed=4)],
    # CS231n's (NCHW, through harness/apis/cs231n/layouts.py): no padding in pooling, whole windows
    "cs231n:pool2d_max": [
        Case.make("cs231n:pool2d_max", {"n": 2, "c": 2, "h": 7, "w": 6, "k": (3, 2), "s": 2},
                  seed=4),
        Case.make("cs231n:pool2d_max", {"n": 1, "c": 1, "h": 5, "w": 5, "k": (2, 2), "s": 1},
                  seed=8)],
    "cs231n:conv2d": [Case.make("cs231n:conv2d", {"n": 2, "cin": 2, "h": 7, "w": 6, "cout": 3,
                                                  "k": (3, 2), "s": 2, "pad": 1}, seed=4)],
}
RULE_ENTRIES = [(op, i) for op, table in RULES.items() for i in range(len(table))]


@pytest.mark.parametrize(("op", "index"), RULE_ENTRIES,
                         ids=[f"{op}-{RULES[op][i].output}-{RULES[op][i].key}"
                              for op, i in RULE_ENTRIES])
def test_every_layer_rule_is_recognised_as_itself(op: str, index: int) -> None:
    spec, rule = get_op(op), RULES[op][index]
    observations = []
    for case in RULE_CASES[op]:
        got = np.asarray(rule.fn(case.p, spec.inputs(case)))
        observations.append((case, got, expected(spec, case, rule.output)))
    assert any(not np.allclose(got, want) for _, got, want in observations), "never differs"
    fits = [r.key for r, _ in fitting(spec, rule.output, observations)]
    assert fits[0] == rule.key, fits
    (cause,) = explain(spec, rule.output, observations)
    assert cause.code == rule.code and cause.code in CODES


@pytest.mark.parametrize("op", list(RULES))
def test_no_layer_rule_fits_a_correct_output(op: str) -> None:
    spec = get_op(op)
    for case in spec.cases(40, seed=21):
        for output in spec.outputs:
            want = expected(spec, case, output)
            assert fitting(spec, output, [(case, want, want)]) == [], case.id


def test_a_rule_that_coincides_on_one_case_is_told_apart_on_another() -> None:
    """With kh = s = 1, dividing by kh is dividing by nothing (or by s²); a case with kh = 2
    tells which."""
    spec = get_op("pool2d_average")
    flat = Case.make("pool2d_average", {"n": 1, "h": 1, "w": 2, "c": 1, "k": (1, 2), "s": 1,
                                        "pad": 0}, seed=5)
    tall = flat.replace(h=2, k=(2, 2))
    rule = next(r for r in RULES["pool2d_average"] if r.key == "count:kh" and r.output == "dX")

    def seen(case: Case) -> tuple:
        return case, rule.fn(case.p, spec.inputs(case)), expected(spec, case, "dX")
    assert [r.key for r, _ in fitting(spec, "dX", [seen(flat)])] == [
        "count:kh", "count:nothing", "count:stride²"]
    (cause,) = explain(spec, "dX", [seen(flat)])
    assert "dividing by nothing or dividing by stride² gives the same values" in cause.message
    assert [r.key for r, _ in fitting(spec, "dX", [seen(flat), seen(tall)])] == ["count:kh"]


# ---------------------------------------------------------------- factors
def _scale(change: str, detail: str, outcome: str = "same") -> Trial:
    return Trial("scale", change, "", outcome, detail)


def test_a_factor_is_named_after_what_it_follows_not_after_its_value() -> None:
    case = Case.make("pool2d_average", {"n": 2, "h": 3, "w": 3, "c": 1, "k": (2, 2), "s": 1,
                                        "pad": 0}, seed=1)
    want = expected(get_op("pool2d_average"), case, "dX")
    trials = [_scale("m=3", "factor 2"), _scale("kh=3", "factor 2"), _scale("kw=3", "factor 3"),
              _scale("c=2", "factor 2")]
    (cause,) = factors.interpret(case, "dX", 2 * want, want, trials)
    assert cause.code == "factor_tracks" and "the factor follows kw: it is kw" in cause.message
    assert "stays the same when m, kh and c change" in cause.message
    area = [_scale("m=3", "factor 4"), _scale("kh=3", "factor 6"), _scale("kw=3", "factor 6")]
    (cause,) = factors.interpret(case, "dX", 4 * want, want, area)
    assert "follows kh·kw: it is kh·kw" in cause.message and "kernel area" in cause.message
    inverse = [_scale("m=3", "factor 0.333333"), _scale("kh=3", "factor 0.5")]
    (cause,) = factors.interpret(case, "dX", want / 2, want, inverse)
    assert "follows 1/m: it is 1/m" in cause.message
    constant = [_scale("m=3", "factor 2"), _scale("kh=3", "factor 2")]
    (cause,) = factors.interpret(case, "dX", 2 * want, want, constant)
    assert cause.code == "scale_factor" and "stays 2 when m and kh change" in cause.message
    broken = [_scale("m=3", "factor 2"), _scale("kw=3", "not a constant factor")]
    assert factors.interpret(case, "dX", 2 * want, want, broken) == []


def test_a_factor_several_parameters_share_names_none_of_them() -> None:
    case = Case.make("pool2d_average", {"n": 2, "h": 3, "w": 3, "c": 1, "k": (1, 2), "s": 1,
                                        "pad": 0}, seed=1)
    spec = get_op("pool2d_average")
    want = expected(spec, case, "dX")
    (cause, *_) = detect(spec, case, "dX", 2 * want, want)
    assert cause.code == "scale_factor" and "all have this value" in cause.message
    assert "a 1/m average" not in cause.message


def test_factor_variants_change_one_parameter_and_stay_buildable() -> None:
    spec = get_op("pool2d_max")
    case = Case.make("pool2d_max", {"n": 1, "h": 1, "w": 2, "c": 1, "k": (1, 2), "s": 1,
                                    "pad": 0}, seed=1)
    found = dict(factors.variants(spec, case))
    assert set(found) == {"m=2", "kh=2", "kw=3", "c=2"}
    assert found["kw=3"].p["k"] == (1, 3) and found["kw=3"].p["w"] == 3
    assert all(spec.family.valid(v.p) for v in found.values())


# ---------------------------------------------------------------- the contract's types
@pytest.mark.parametrize("kind, code", [("dtype", "wrong_dtype"), ("type", "wrong_type")])
def test_right_values_of_the_wrong_dtype_or_type_say_which(kind, code) -> None:
    """The comparison says which (the values match, as float32 or as a list): no message
    is read for it."""
    from harness.core.compare import Comparison
    from harness.core.verdict import Verdict
    from harness.diagnosis.diagnose import diagnose

    case = Case.make("relu", {"n": 2, "d": 3}, seed=1)
    verdict = Verdict("relu", "forward", case, "fail", "relu returned something",
                      Comparison(kind, "relu returned something", (2, 3), (2, 3), 0, 6))
    assert codes(diagnose(verdict)) == [code]
