"""Statistical tests of a weight initialiser's draws against the law torch.nn.init draws from.

A case draws N elements (``draws``, 8192 by default: f(shape) called until N are drawn, NumPy
seeded with the case seed) and tests them against the law of `reference.weights.law`:

scale         the fan rule, exactly.
              U(−a, a): no |w| beyond a (beyond rounding, 1e-12 relative), and the largest
              |w| within a fraction δ of a, where P(max |w| < a(1 − δ)) = (1 − δ)^N = α.
              N(0, σ²): Σw²/σ² ~ χ²(N) (the mean is known to be 0); two-sided at α, through
              the Wilson–Hilferty normal approximation of χ² (|z| ≤ 4.8916 for α = 1e-6).
distribution  the shape of the law: a one-sample Kolmogorov–Smirnov test against the CDF of
              U(−a, a) or N(0, σ²), rejecting when P(D ≥ d) < α (the Kolmogorov
              distribution with Stephens' finite-N correction, λ = (√N + 0.12 + 0.11/√N)·d).

False-alarm rate: α = 1e-6 per test, so a correct initialiser fails a case with probability
at most 2e-6 (both outputs; union bound); over the 1,000-case measurement in docs/figures.md the
expected number of false alarms is 0.002. At N = 8192 the KS test rejects a uniform law drawn
as a normal one of the same variance (D ≈ 0.058 against a critical 0.030), and the scale
test any fan or gain off by more than a percent or so.

`diagnose` names the usual mistakes (`INIT_BUGS`, data): each is an alternative law (2-D fans
on a 4-D kernel, the starter's shape[0]/shape[-1] fans, fans swapped, a wrong gain, uniform
and normal mixed up, the bound used as the standard deviation, ...) whose tests the draws pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.diagnosis.causes import Cause
from reference.laws import Law

ALPHA = 1e-6           # false-alarm rate of each test
Z_ALPHA = 4.891638475699  # two-sided standard normal quantile for ALPHA
ROUNDING = 1e-12       # a uniform draw may exceed its bound by this relative amount


@dataclass(frozen=True)
class TestResult:
    passed: bool
    statistic: float
    expected: float
    message: str


def kolmogorov_sf(lam: float) -> float:
    """P(K > λ) for the Kolmogorov distribution."""
    if lam < 0.2:
        return 1.0
    total = 0.0
    for k in range(1, 101):
        term = 2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam)
        total += term
        if abs(term) < 1e-18:
            break
    return min(1.0, max(0.0, total))


def cdf(law: Law, x: np.ndarray) -> np.ndarray:
    if law.family == "uniform":
        return np.clip((x + law.scale) / (2 * law.scale), 0.0, 1.0)
    z = np.asarray(x, dtype=np.float64) / (law.scale * math.sqrt(2.0))
    return 0.5 * (1.0 + np.asarray(_ERF(z), dtype=np.float64))


# NumPy has no vectorised erf; math.erf element-wise (within an ulp of torch.special.erf,
# which this used before: judging an initializer need not import torch).
_ERF = np.frompyfunc(math.erf, 1, 1)


def ks_statistic(samples: np.ndarray, law: Law) -> float:
    x = np.sort(samples)
    n = x.size
    F = cdf(law, x)
    i = np.arange(1, n + 1)
    return float(max((i / n - F).max(), (F - (i - 1) / n).max()))


def ks_pvalue(d: float, n: int) -> float:
    root = math.sqrt(n)
    return kolmogorov_sf((root + 0.12 + 0.11 / root) * d)


def _finite(samples: np.ndarray) -> TestResult | None:
    bad = int((~np.isfinite(samples)).sum())
    if bad:
        return TestResult(False, float("nan"), 0.0, f"{bad} of {samples.size} draws are NaN/Inf")
    return None


def scale_test(samples: np.ndarray, law: Law) -> TestResult:
    """The fan rule: the bound of a uniform law, the standard deviation of a normal one."""
    bad = _finite(samples)
    if bad is not None:
        return bad
    n = samples.size
    if law.family == "uniform":
        a = law.scale
        peak = float(np.abs(samples).max())
        delta = 1.0 - ALPHA ** (1.0 / n)
        over = int((np.abs(samples) > a * (1 + ROUNDING)).sum())
        text = (f"max |w| = {peak:.6g} over {n} draws; torch.nn.init draws "
                f"{law.describe()}")
        if over:
            return TestResult(False, peak, a, f"{text}: {over} draws exceed the bound a = "
                                              f"{a:.6g}")
        if peak < a * (1 - delta):
            return TestResult(False, peak, a, f"{text}: no draw comes within {delta:.2g} of the "
                                              f"bound a = {a:.6g} (P < {ALPHA:g} for U(−a, a))")
        return TestResult(True, peak, a, f"{text}: bound a = {a:.6g} matches")
    sigma = law.scale
    s = float(math.sqrt(np.mean(samples**2)))
    x = n * s * s / (sigma * sigma)
    z = ((x / n) ** (1 / 3) - (1 - 2 / (9 * n))) / math.sqrt(2 / (9 * n))
    text = (f"the draws' standard deviation is {s:.6g} over {n} draws; torch.nn.init draws "
            f"{law.describe()}")
    if abs(z) > Z_ALPHA:
        return TestResult(False, s, sigma, f"{text}: σ = {sigma:.6g} is rejected (χ² test, "
                                           f"z = {z:.3g}, α = {ALPHA:g})")
    return TestResult(True, s, sigma, f"{text}: σ = {sigma:.6g} matches (χ² test, z = {z:.3g})")


def distribution_test(samples: np.ndarray, law: Law) -> TestResult:
    """The law's shape: one-sample Kolmogorov–Smirnov at α."""
    bad = _finite(samples)
    if bad is not None:
        return bad
    d = ks_statistic(samples, law)
    p = ks_pvalue(d, samples.size)
    text = (f"Kolmogorov–Smirnov against {law.describe()}: D = {d:.4g} over {samples.size} "
            f"draws, p = {p:.3g}")
    if p < ALPHA:
        return TestResult(False, d, 0.0, f"{text} < α = {ALPHA:g}: not drawn from this law")
    return TestResult(True, d, 0.0, f"{text} ≥ α = {ALPHA:g}")


def consistent(samples: np.ndarray, law: Law) -> bool:
    return scale_test(samples, law).passed and distribution_test(samples, law).passed


# ---------------------------------------------------------------- the usual mistakes
def make_law(name: str, family: str, fan_in: int, fan_out: int, gain: float,
             rule: str | None = None) -> Law:
    """The law `name`'s formula gives with these fans and gain (`rule` overrides the fan:
    "in", "out" or "sum")."""
    rule = rule or ("sum" if name.startswith("xavier") else "in")
    fan = {"in": fan_in, "out": fan_out, "sum": fan_in + fan_out}[rule]
    if name.startswith("xavier"):
        scale = gain * math.sqrt((6.0 if family == "uniform" else 2.0) / fan)
    else:
        scale = gain * math.sqrt(3.0 / fan) if family == "uniform" else gain / math.sqrt(fan)
    return Law(family, scale, fan_in, fan_out, gain)


def _fans_2d(shape: tuple[int, ...]) -> tuple[int, int]:
    return shape[-2], shape[-1]


Variant = Callable[[str, tuple[int, ...], Law], Law | None]


def _refan(fan_in: Callable[[tuple[int, ...]], int],
           fan_out: Callable[[tuple[int, ...]], int]) -> Variant:
    def variant(name: str, shape: tuple[int, ...], law: Law) -> Law | None:
        return make_law(name, law.family, fan_in(shape), fan_out(shape), law.gain)
    return variant


def _gain(gain: float) -> Variant:
    def variant(name: str, shape: tuple[int, ...], law: Law) -> Law | None:
        return make_law(name, law.family, law.fan_in, law.fan_out, gain)
    return variant


def _rule(rule: str) -> Variant:
    def variant(name: str, shape: tuple[int, ...], law: Law) -> Law | None:
        return make_law(name, law.family, law.fan_in, law.fan_out, law.gain, rule)
    return variant


def _other_family_same_std(name: str, shape: tuple[int, ...], law: Law) -> Law:
    if law.family == "uniform":
        return Law("normal", law.std, law.fan_in, law.fan_out, law.gain)
    return Law("uniform", law.std * math.sqrt(3.0), law.fan_in, law.fan_out, law.gain)


def _other_family_same_scale(name: str, shape: tuple[int, ...], law: Law) -> Law:
    other = "normal" if law.family == "uniform" else "uniform"
    return Law(other, law.scale, law.fan_in, law.fan_out, law.gain)


def _squared(name: str, shape: tuple[int, ...], law: Law) -> Law:
    return Law(law.family, law.scale**2, law.fan_in, law.fan_out, law.gain)


@dataclass(frozen=True)
class InitBug:
    code: str
    message: str
    variant: Variant
    applies: Callable[[str, tuple[int, ...]], bool] = lambda name, shape: True


INIT_BUGS: tuple[InitBug, ...] = (
    InitBug("init_kernel_fans", "2-D fans on a 4-D kernel: fan_in = c_in and fan_out = c_out, "
            "without the kh·kw receptive field (torch: fan_in = kh·kw·c_in, fan_out = "
            "kh·kw·c_out)", _refan(lambda s: _fans_2d(s)[0], lambda s: _fans_2d(s)[1]),
            lambda name, shape: len(shape) == 4),
    InitBug("init_kernel_fans", "the fans are shape[0] and shape[-1] (the starter's _get_fan), "
            "which for a kernel (kh, kw, c_in, c_out) are kh and c_out: use fan_in = "
            "kh·kw·c_in, fan_out = kh·kw·c_out", _refan(lambda s: s[0], lambda s: s[-1]),
            lambda name, shape: len(shape) == 4),
    InitBug("init_fans_swapped", "fan_in and fan_out are swapped (for He: fan_out used instead "
            "of fan_in): for W (n_in, n_out) fan_in is n_in (kernel: kh·kw·c_in)",
            lambda name, shape, law: make_law(name, law.family, law.fan_out, law.fan_in,
                                              law.gain)),
    InitBug("init_gain", "He without torch's default gain √2 (kaiming: nonlinearity="
            "'leaky_relu', a=0): the bound is sqrt(6/fan_in) (uniform), the std "
            "sqrt(2/fan_in) (normal)", _gain(1.0), lambda name, shape: name.startswith("he")),
    InitBug("init_gain", "a gain of √2 (ReLU's) on Xavier: with activation=None the gain is 1",
            _gain(math.sqrt(2.0)), lambda name, shape: name.startswith("xavier")),
    InitBug("init_gain", "a gain of 5/3 (tanh's): with activation=None the gain is torch's "
            "default", _gain(5.0 / 3.0)),
    InitBug("init_fan_rule", "He with fan_in + fan_out (Xavier's fan) instead of fan_in",
            _rule("sum"), lambda name, shape: name.startswith("he")),
    InitBug("init_fan_rule", "Xavier with fan_in only instead of fan_in + fan_out",
            _rule("in"), lambda name, shape: name.startswith("xavier")),
    InitBug("init_distribution_mixed", "uniform and normal mixed up: the draws have the right "
            "standard deviation but the other distribution's shape", _other_family_same_std),
    InitBug("init_distribution_mixed", "uniform and normal mixed up: the bound of U(−a, a) used "
            "as the standard deviation of a normal (or σ as the bound of a uniform)",
            _other_family_same_scale),
    InitBug("init_scale_sqrt", "the variance is used as the scale (a square root forgotten, "
            "or one too many)", _squared),
)


def diagnose(name: str, shape: tuple[int, ...], samples: np.ndarray, law: Law) -> list[Cause]:
    """The usual mistakes whose law the draws are consistent with."""
    causes = []
    for bug in INIT_BUGS:
        if not bug.applies(name, shape):
            continue
        alt = bug.variant(name, shape, law)
        if alt is None or (alt.family == law.family and
                           abs(alt.scale - law.scale) <= 1e-9 * law.scale):
            continue
        if consistent(samples, alt):
            causes.append(Cause(bug.code, f"{bug.message}; the draws fit {alt.describe()}"))
    return causes
