"""Dropout's draw judged on its law (harness/apis/dropout.py), both ways: a correct draw never
fails, over many seeds, sizes and keep probabilities; each wrong draw fails where the law
makes it implausible. End to end, the outputs compared given a lawless draw (forward, dX)
earn nothing (tests/test_cs231n_api.py)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.apis.dropout import ALPHA, binomial_tails, judge_draw, keep_probability

KEEP = (0.25, 0.5, 0.75, 0.9)   # the probabilities CS231n's cases draw
SIZES = [(n, d) for n in (1, 2, 4, 8) for d in (100, 150, 200)]   # every valid case size
SEEDS = 2000


def _train(p: float, p_means: str | None = None) -> dict[str, object]:
    return {"p": p, "mode": "train", **({"p_means": p_means} if p_means else {})}


@pytest.mark.parametrize("p", KEEP)
def test_a_correct_draw_never_fails(p: float) -> None:
    """Independent Bernoulli(p) masks, every valid size, many seeds: not one failure (the
    bound is ALPHA per case; at 2000 seeds × 12 sizes one failure would be a bug)."""
    rng = np.random.default_rng(int(p * 100))
    failed = [(shape, msg) for shape in SIZES for _ in range(SEEDS)
              if not (got := judge_draw(rng.random(shape) < p, _train(p)))[0]
              for msg in [got[1]]]
    assert not failed, failed[:3]


@pytest.mark.parametrize("p", (0.25, 0.75, 0.9))
def test_either_reading_passes_both_meanings_of_p(p: float) -> None:
    """CS231n before 2018: p keeps or drops; a correct draw of either meaning passes."""
    rng = np.random.default_rng(7)
    for keep in (p, 1 - p):
        for _ in range(500):
            kept = rng.random((4, 150)) < keep
            assert judge_draw(kept, _train(p, "either"))[0]
            assert keep_probability(_train(p, "either"), kept) == keep


def test_test_mode_keeps_every_unit() -> None:
    ok, _ = judge_draw(np.ones((2, 100), bool), {"p": 0.5, "mode": "test"})
    bad, message = judge_draw(np.zeros((2, 100), bool), {"p": 0.5, "mode": "test"})
    assert ok and not bad and "at test time out = x" in message


def _half(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    kept = np.zeros(shape[0] * shape[1], bool)
    kept[rng.permutation(kept.size)[:kept.size // 2]] = True
    return kept.reshape(shape)


# wrong draw -> (how it is made, what the message starts with)
WRONG = {
    "nothing": (lambda shape, p, rng: np.zeros(shape, bool), "kept 0 of"),
    "everything": (lambda shape, p, rng: np.ones(shape, bool), "kept"),
    "half": (lambda shape, p, rng: _half(shape, rng), "kept"),
    "one row for the batch": (lambda shape, p, rng: np.broadcast_to(
        rng.random(shape[1]) < p, shape).copy(), "the same units dropped in every sample"),
    "one draw per sample": (lambda shape, p, rng: np.broadcast_to(
        (rng.random(shape[0]) < p)[:, None], shape).copy(),
                            ("kept", "each sample's units all kept or all dropped")),
}


@pytest.mark.parametrize(("wrong", "p", "shape"), [
    ("nothing", p, (2, 100)) for p in KEEP] + [
    ("everything", p, (2, 100)) for p in (0.25, 0.5, 0.75)] + [
    ("half", p, (2, 125)) for p in (0.25, 0.75, 0.9)] + [
    ("one row for the batch", p, (4, 150)) for p in KEEP] + [
    ("one draw per sample", p, (8, 150)) for p in (0.25, 0.5, 0.75)])
def test_a_wrong_draw_fails(wrong: str, p: float, shape: tuple[int, int]) -> None:
    make, says = WRONG[wrong]
    rng = np.random.default_rng(3)
    for _ in range(20):
        ok, message = judge_draw(make(shape, p, rng), _train(p))
        assert not ok, (wrong, p, shape, message)
        assert message.startswith(says), message


def test_what_the_law_cannot_tell_passes() -> None:
    """Every unit kept at p = 0.9 on 200 units happens once in 1.4e9 correct draws: far more
    often than ALPHA, so one case does not fail it (the other cases of a run do)."""
    assert binomial_tails(200, 200, 0.9)[1] > ALPHA
    assert judge_draw(np.ones((2, 100), bool), _train(0.9))[0]
    assert not judge_draw(np.ones((2, 100), bool), _train(0.75))[0]


def test_binomial_tails_are_exact() -> None:
    from math import comb
    n, p = 30, 0.3
    pmf = [comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    for k in (0, 5, 9, 20, 30):
        low, high = binomial_tails(k, n, p)
        assert low == pytest.approx(sum(pmf[:k + 1]), rel=1e-9)
        assert high == pytest.approx(sum(pmf[k:]), rel=1e-9)
