"""Cases: stable readable IDs, exact rebuilding, valid shapes, informative inputs, edge cases."""

import numpy as np
import pytest

from harness.apis.known import OPS
from harness.core.cases import Case, UnbuildableCase, build_inputs, for_profile, out_size
from harness.core.conventions import get_profile
from harness.core.registry import get_op
from harness.diagnosis.ablation import _param_variants
from harness.diagnosis.shrink import shrink, variants

ALL = list(OPS.values())


@pytest.mark.parametrize("spec", ALL, ids=[s.name for s in ALL])
def test_ids_round_trip_and_rebuild_the_same_inputs(spec):
    for case in spec.cases(60, seed=3):
        again = Case.from_id(case.id)
        assert again == case
        a, b = spec.inputs(case), spec.inputs(again)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
            assert a[k].dtype == np.float64


def test_case_ids_are_stable_across_releases():
    # Changing how cases are drawn breaks every published repro command: keep this fixed.
    first = [c.id for c in get_op("conv2d").cases(7, seed=0)]
    assert first[0] == "conv2d/n=2,h=5,w=5,cin=2,cout=3,k=1x1,s=1,pad=valid,act=linear,seed=418832"
    assert len(set(first)) == 7


def test_seed_changes_cases():
    a = [c.id for c in get_op("pool2d_max").cases(20, seed=0)]
    b = [c.id for c in get_op("pool2d_max").cases(20, seed=1)]
    assert a[5:] != b[5:]


@pytest.mark.parametrize("name", ["conv2d", "pool2d_max", "pool2d_average"])
def test_spatial_cases_are_valid_and_cover_the_space(name):
    spec = get_op(name)
    cases = [c.p for c in spec.cases(300, seed=0)]
    for p in cases:
        kh, kw = p["k"]
        assert out_size(p["h"], kh, p["s"], p["pad"]) >= 1
        assert out_size(p["w"], kw, p["s"], p["pad"]) >= 1
    seen = lambda key: {str(p[key]) for p in cases}  # noqa: E731
    assert seen("s") == {"1", "2", "3"}
    assert seen("pad") == {"same", "valid", "0", "1", "2"}
    kernels = {k for p in cases for k in p["k"]}
    assert {1, 2, 3, 4, 5} <= kernels <= {1, 2, 3, 4, 5, 17}   # 17: pooling's 289-tap edge case
    assert any(p["k"][0] != p["k"][1] for p in cases)              # non-square kernels
    assert any(p["s"] > max(p["k"]) for p in cases)                 # stride > kernel
    assert any(p["n"] == 1 for p in cases) and any(p["h"] != p["w"] for p in cases)


def test_max_pool_windows_never_lie_wholly_in_padding():
    from harness.core.cases import pad_amount

    for case in get_op("pool2d_max").cases(300, seed=0):
        p = case.p
        assert all(pad_amount(p["pad"], k) < k for k in p["k"])


def test_edge_cases_come_first():
    conv = [c.p for c in get_op("conv2d").cases(5)]
    assert conv[0]["k"] == (1, 1)
    assert conv[1]["s"] > max(conv[1]["k"])
    assert conv[2]["pad"] == "same" and conv[2]["k"][0] % 2 == 0
    assert out_size(conv[3]["h"], conv[3]["k"][0], conv[3]["s"], conv[3]["pad"]) == 1
    assert conv[4]["n"] == 1 and conv[4]["h"] != conv[4]["w"]
    softmax = get_op("softmax").inputs(next(iter(get_op("softmax").cases(1))))
    assert softmax["Z"].min() > 900  # large-magnitude logits probe a naive softmax


def test_relu_inputs_are_informative():
    for name in ("relu", "fully_connected", "conv2d"):
        spec = get_op(name)
        for case in spec.cases(100, seed=0):
            x = spec.inputs(case)
            if name == "relu":
                assert (x["Z"] > 0).any()
            assert (x["dY"] != 0).all()  # upstream gradients reach every element


def test_malformed_ids_are_rejected_with_a_reason():
    for bad in ("conv2d", "conv2d/n=2", "conv2d/n2,seed=1", "conv2d/n=2,seed=x"):
        with pytest.raises(ValueError, match="case ID"):
            Case.from_id(bad)


# ---------------------------------------------------------------- the contract, and only it
def test_l2_follows_the_starter_contract_unless_the_profile_asks_for_more():
    # The starter's docstring: Y and Y_hat of shape (batch_size, 1). Over several columns the
    # reduction is the convention l2_reduction: only the strict profile's l2_columns asks.
    l2 = get_op("l2")
    assert {c.p["classes"] for c in l2.cases(200, seed=0)} == {1}
    assert {c.p["classes"] for c in for_profile(l2, get_profile("homework")).cases(50)} == {1}
    wide = {c.p["classes"] for c in for_profile(l2, get_profile("strict")).cases(200, seed=0)}
    assert wide == set(range(1, 8))
    assert for_profile(get_op("cross_entropy"), get_profile("strict")) == get_op("cross_entropy")
    assert {c.p["classes"] for c in get_op("cross_entropy").cases(200)} == set(range(2, 8))
    first = [c.id for c in get_op("cross_entropy").cases(3, seed=0)]  # unchanged by the above
    assert first[0] == "cross_entropy/n=1,classes=2,target=onehot,seed=7813"


def test_a_softmax_over_one_unit_is_not_a_case():
    # Its output is the constant 1 and its Jacobian 0: no input is informative.
    dense = get_op("fully_connected")
    bad = Case.make("fully_connected", {"n": 1, "n_in": 1, "n_out": 1, "act": "softmax"}, 3)
    assert not dense.family.valid(bad.p)
    with pytest.raises(UnbuildableCase):
        build_inputs(dense.family, bad)
    assert dense.family.valid(bad.replace(n_out=2).p)
    assert dense.family.valid(bad.replace(act="relu").p)
    big = bad.replace(n=3, n_in=4, n_out=4)
    smallest = shrink(big, dense.family, lambda c: c.p["act"] == "softmax")
    assert smallest.p == {"n": 1, "n_in": 1, "n_out": 2, "act": "softmax"}


def _variants(spec, case):
    """Every case shrinking and ablation may propose from `case`."""
    yield from variants(case, spec.family)
    for _, changes in _param_variants(spec, case):
        yield case.replace(**changes)


@pytest.mark.parametrize("profile", ["homework", "strict"])
@pytest.mark.parametrize("spec", ALL, ids=[s.name for s in ALL])
def test_generated_cases_are_valid_and_every_valid_variant_builds(spec, profile):
    """Shrinking and ablation propose only what `valid` accepts; whatever it accepts builds
    (with informative inputs), and what it refuses raises UnbuildableCase, never hangs."""
    scoped = for_profile(spec, get_profile(profile))
    for seed in (0, 1):
        for case in scoped.cases(25, seed=seed):
            assert spec.family.valid(case.p), case.id
            for variant in _variants(spec, case):
                if spec.family.valid(variant.p):
                    build_inputs(spec.family, variant)
                else:
                    with pytest.raises(UnbuildableCase):
                        build_inputs(spec.family, variant)
