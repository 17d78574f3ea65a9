"""The law of a dropout's draw: which units it keeps, judged from the units themselves.

A dropout's forward and its gradient are compared with the twin given the units the
implementation kept (`OpSpec.given`), so that both compute with the same random draw; that
comparison alone would pass a draw that keeps nothing (the twin, given nothing, returns zeros
too). So the draw is judged on its own, against the law of inverted dropout with keep
probability p, each unit kept independently:

- train mode: the number kept follows Binomial(n, p) (an exact two-sided tail test), and the
  mask is not the same for every sample (a mask of one row broadcast over the batch) nor for
  every feature of a sample (one draw per sample), each judged only where the law itself
  makes that event rarer than the test's share of `ALPHA`;
- test mode: every unit is kept (out = x).

The scaling of the kept units (x / p) is the forward's comparison with the twin; the outputs
compared given the draw earn nothing while the draw fails its law
(`harness.check.checker`, `spec.given`).

False alarms (the policy; not tuned to any implementation). A correct dropout fails a case
with probability below `ALPHA` = 1e-13 (the union of the tests: α/4 for each tail of the
count, α/4 for each constant-mask event), so below 1e-9 over a run of up to 10,000 cases of
the op, the most a rubric may ask (the default run has 50). Where p may mean either keeping or
dropping (``p_means`` "either"), the share kept may also land on the wrong side of 1/2 and be
read the other way: at most 2.7e-14 more per case at the smallest sampled case (200 units,
p = 0.25 or 0.75). tests/test_dropout_law.py measures both sides: no failure of a correct
draw over many seeds, and which wrong draws fail at which sizes.
"""

from __future__ import annotations

import math

import numpy as np

ALPHA = 1e-13


def keep_probability(param: dict[str, object], kept: np.ndarray | None = None) -> float:
    """The probability of keeping a unit: p, or 1 − p when ``p_means`` is "either" (CS231n's
    handout before 2018) and the share of units kept is closer to 1 − p (the twin reads it
    the same way, `reference.cs231n.dropout_forward`)."""
    p = float(param["p"])  # type: ignore[arg-type]
    if param.get("p_means") == "either" and kept is not None and kept.size:
        share = float(np.mean(kept))
        return 1 - p if abs(share - (1 - p)) < abs(share - p) else p
    return p


def binomial_tails(k: int, n: int, p: float) -> tuple[float, float]:
    """P(K ≤ k) and P(K ≥ k) for K ~ Binomial(n, p), exactly (log space; 0 < p < 1)."""
    j = np.arange(n)
    steps = np.log((n - j) / (j + 1)) + math.log(p / (1 - p))
    log_pmf = n * math.log1p(-p) + np.concatenate(([0.0], np.cumsum(steps)))
    top = float(log_pmf.max())
    pmf = np.exp(log_pmf - top)
    scale = math.exp(top)
    return float(pmf[:k + 1].sum()) * scale, float(pmf[k:].sum()) * scale


def _count(kept: np.ndarray, p: float) -> str:
    """A message when the number of units kept is implausible under Binomial(n, p)."""
    n, k = kept.size, int(kept.sum())
    if p >= 1 or p <= 0:
        return "" if k == (n if p >= 1 else 0) else f"kept {k} of {n} units with p = {p:g}"
    low, high = binomial_tails(k, n, p)
    tail = min(low, high)
    if tail >= ALPHA / 4:
        return ""
    return (f"kept {k} of {n} units ({k / n:.1%}) where {n * p:.0f} are expected: P = "
            f"{tail:.2g} under the law (a correct dropout fails this less than 1 time in "
            f"{4 / ALPHA:.0e})")


# (the axis along which the mask is constant, what that suggests): under the law each of the
# `across` lines of `along` units is constant with probability p**along + (1 − p)**along
CONSTANT = ((0, "the same units dropped in every sample (one mask row for the whole batch?)"),
            (1, "each sample's units all kept or all dropped together (one draw per sample?)"))


def _constant(kept: np.ndarray, p: float) -> str:
    """A message when the mask is constant along an axis where the law makes that rare."""
    if kept.ndim != 2 or not 0 < p < 1:
        return ""
    for axis, meaning in CONSTANT:
        along, across = kept.shape[axis], kept.shape[1 - axis]
        if along < 2 or not (kept == kept.take([0], axis=axis)).all():
            continue
        log_chance = across * math.log(p ** along + (1 - p) ** along)
        if log_chance < math.log(ALPHA / 4):
            return f"{meaning}: P = {math.exp(log_chance):.2g} under the law"
    return ""


def judge_draw(kept: np.ndarray, param: dict[str, object]) -> tuple[bool, str]:
    """Whether the units `kept` (a boolean mask) follow inverted dropout's law under
    ``dropout_param`` `param` (p, mode, p_means), and what they show."""
    n, k = kept.size, int(kept.sum())
    if param["mode"] == "test":
        ok = k == n
        return ok, (f"test mode kept all {n} units" if ok else
                    f"test mode dropped {n - k} of {n} units: at test time out = x")
    p = keep_probability(param, kept)
    share = f"kept {k} of {n} units ({k / n:.1%}) with p = {param['p']}"
    if p != float(param["p"]):  # type: ignore[arg-type]
        share += f" read as the probability of dropping (keep {p:g}), as its docstring says"
    count = _count(kept, p)
    problem = count or _constant(kept, p)
    if not problem:
        return True, f"{share}: consistent with keeping each unit with probability {p:g}"
    hint = (" — as if p were the probability of dropping: from 2018 on, CS231n's p is the "
            "probability of keeping a unit (mask = np.random.rand(*x.shape) < p)"
            if count and 0 < p < 1 and not _count(kept, 1 - p) else "")
    return False, f"{problem}{hint}"
