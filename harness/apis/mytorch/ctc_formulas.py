"""The wrong formulas of HW3P1's CTC code, ``CTC.py`` (`harness.diagnosis.fingerprints`).

The four steps of ``CTC`` and ``CTCLoss`` are written once, in NumPy, with a flag per usual
mistake (`Wrong`; the defaults are the handout's definitions, docs/mytorch.md "HW3P1"):

- blanks mishandled: the extended target without its leading or trailing blank; skip
  connections between equal symbols too, or never; α started at the blank alone, β ended at
  the trailing blank alone; the skips ignored by α or by β;
- probabilities mixed with log-probabilities: α adding log y instead of multiplying by y; the
  loss taking γ·y (no log), its dY −γ (not ÷ y);
- the backward recursion misaligned by one: β[t] multiplying by y[t] instead of y[t + 1], or
  including y[t] (torch's β, not the handout's);
- γ normalised over the wrong axis, or not at all;
- CTCLoss: −log P instead of the expected divergence, the padding steps past input_length
  run, dY written with = (one r per symbol) or as torch's y − γ, the loss summed over the
  batch (not its mean), dY divided by the batch size (it is not).

Each catalogue row is one variant and one output of an op, from the case's inputs: target
(ctc_extend); logits, extended_symbols, skip_connect (the recursions: the right ext and skips,
whatever the student's extend does); alpha, beta (ctc_posterior); logits, target,
input_lengths, target_lengths (ctc_loss). A mistake in one of the steps is also a row of
ctc_loss's loss and dY, which names the step: a CTCLoss that computes the recursions itself
makes it there (one that runs its CTC is rerun with the bundled CTC when a step fails on its
own, and charged for its own code alone).

The last two are constant factors, which other catalogues leave to
`harness.diagnosis.factors`; CTCLoss's have only the batch size B to follow (the lengths
scale nothing), so a factor of exactly B, or 1/B, is named here. α kept in log space with
logsumexp holds −inf where no path reaches (log 0): the report says NaN or Inf first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.apis.mytorch.ops import MYTORCH_OPS
from harness.apis.mytorch.rnn_cases import BLANK
from harness.core.formula import Formula, Inputs

EXTEND, ALPHA, BETA, GAMMA, LOSS = (
    f"mytorch:ctc_{name}" for name in ("extend", "forward_probs", "backward_probs",
                                       "posterior", "loss"))
Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class Wrong:
    """How a student's CTC.py computes; the defaults are the right way."""

    ends: str = "both"          # the blanks ext has at its ends (ENDS)
    skips: str = "changed"      # where skip_connect is 1 (SKIPS)
    start: int = 2              # α[0, :start] = y[0, ext[:start]]
    alpha_skip: bool = True     # α takes skip[r]·α[t−1, r−2]
    alpha_log: bool = False     # α[t] = links + log y[t] (and α[0] = log y[0]), not links·y[t]
    end: int = 2                # β[T−1, S−end:] = 1
    beta_skip: bool = True      # β takes skip[r + 2]·y·β[t+1, r+2]
    beta_y: str = "next"        # which y β[t] multiplies by (BETA_Y)
    norm: str = "t"             # what γ = αβ is divided by (NORMS)
    divergence: str = "expected"   # CTCLoss's loss of one sequence (DIVERGENCES)
    cut: bool = True            # each sequence cut to its input length
    dy: str = "add"             # how CTCLoss.backward writes dY (DYS)
    loss_mean: bool = True      # the loss ÷ B
    dy_mean: bool = False       # dY ÷ B


RIGHT_WAY = Wrong()


# ---------------------------------------------------------------- the extended target
ENDS: dict[str, slice] = {   # which part of [∅, s1, ∅, ..., sL, ∅] the student builds
    "both": slice(None), "no_leading": slice(1, None), "no_trailing": slice(None, -1)}


def _behind(a: np.ndarray, by: int) -> np.ndarray:
    """a[r − by] at r, 0 where r < by (along the last axis)."""
    out = np.zeros_like(a)
    out[..., by:] = a[..., :a.shape[-1] - by]
    return out


def _ahead(a: np.ndarray, by: int) -> np.ndarray:
    """a[r + by] at r, 0 past the end."""
    out = np.zeros_like(a)
    out[..., :a.shape[-1] - by] = a[..., by:]
    return out


def _symbol_from_2(ext: np.ndarray) -> np.ndarray:
    """r ≥ 2 and ext[r] not the blank."""
    return (np.arange(len(ext)) >= 2) & (ext != BLANK)


# skip_connect from the student's ext: where a path may jump from r − 2 to r
SKIPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "changed": lambda ext: _symbol_from_2(ext) & (ext != _behind(ext, 2)),
    "every": _symbol_from_2,
    "none": lambda ext: np.zeros(len(ext), dtype=bool),
}


def _extend(target: np.ndarray, how: Wrong) -> tuple[np.ndarray, np.ndarray]:
    ext = np.full(2 * len(target) + 1, BLANK, dtype=np.int64)
    ext[1::2] = target
    ext = ext[ENDS[how.ends]]
    return ext, SKIPS[how.skips](ext).astype(np.int64)


# ---------------------------------------------------------------- α, β, γ
def _emit(a: np.ndarray, y: np.ndarray, how: Wrong) -> np.ndarray:
    """a·y, or a + log y when α is half in log space."""
    return a + np.log(y) if how.alpha_log else a * y


def _alpha(y: np.ndarray, skip: np.ndarray, how: Wrong) -> np.ndarray:
    """y: (T, S), y[t, ext[r]]."""
    first = np.log(y[0]) if how.alpha_log else y[0]
    rows = [np.where(np.arange(y.shape[1]) < how.start, first, 0.0)]
    for t in range(1, len(y)):
        a = rows[-1]
        links = a + _behind(a, 1) + how.alpha_skip * skip * _behind(a, 2)
        rows.append(_emit(links, y[t], how))
    return np.stack(rows)


# (the step whose y multiplies β[t + 1] before the links, or None; y[t] after the links)
BETA_Y: dict[str, tuple[int | None, bool]] = {
    "next": (1, False),       # β[t, r] = Σ y[t+1, ext[r']]·β[t+1, r']
    "own": (0, False),        # Σ y[t, ext[r']]·β[t+1, r']
    "included": (None, True),  # torch's: y[t, ext[r]]·Σ β[t+1, r'], β[T−1, S−2:] = y[T−1]
}


def _beta(y: np.ndarray, skip: np.ndarray, how: Wrong) -> np.ndarray:
    before, after = BETA_Y[how.beta_y]
    last = (np.arange(y.shape[1]) >= y.shape[1] - how.end).astype(np.float64)
    rows = [last * y[-1] if after else last]
    for t in range(len(y) - 2, -1, -1):
        b = rows[-1] * (y[t + before] if before is not None else 1.0)
        links = b + _ahead(b, 1) + how.beta_skip * _ahead(skip * b, 2)   # skip[r + 2]
        rows.append(links * y[t] if after else links)
    return np.stack(rows[::-1])


NORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {   # γ from αβ
    "t": lambda ab: ab / ab.sum(axis=1, keepdims=True),
    "none": lambda ab: ab,
    "all": lambda ab: ab / ab.sum(),
    "r": lambda ab: ab / ab.sum(axis=0, keepdims=True),
}


def _gamma(alpha: np.ndarray, beta: np.ndarray, how: Wrong) -> np.ndarray:
    return NORMS[how.norm](alpha * beta)


# ---------------------------------------------------------------- CTCLoss
@dataclass(frozen=True)
class Sequence:
    """One sequence b as the student's CTCLoss sees it."""

    y: np.ndarray          # (T_b, C): logits[:input_length, b] (all T when not cut)
    ext: np.ndarray
    alpha: np.ndarray
    gamma: np.ndarray

    @property
    def emitted(self) -> np.ndarray:
        return self.y[:, self.ext]


def _sequence(x: Inputs, b: int, how: Wrong) -> Sequence:
    steps = int(x["input_lengths"][b]) if how.cut else len(x["logits"])
    y = x["logits"][:steps, b]
    ext, skip = _extend(x["target"][b, :int(x["target_lengths"][b])], how)
    alpha = _alpha(y[:, ext], skip, how)
    return Sequence(y, ext, alpha, _gamma(alpha, _beta(y[:, ext], skip, how), how))


DIVERGENCES: dict[str, Callable[[Sequence], float]] = {
    "expected": lambda s: float(-(s.gamma * np.log(s.emitted)).sum()),
    "nll": lambda s: float(-np.log(s.alpha[-1, -2:].sum())),   # −log P, torch's
    "no_log": lambda s: float(-(s.gamma * s.emitted).sum()),
}


def _scattered(s: Sequence, values: np.ndarray) -> np.ndarray:
    """Σ over the r with ext[r] = c of values[:, r], at column c: (T_b, C)."""
    return values @ np.eye(s.y.shape[1])[s.ext]   # (S, C): row r is ext[r]'s one-hot


def _overwritten(s: Sequence) -> np.ndarray:
    """dY[t, ext[r]] = −γ[t, r]/y[t, ext[r]] for r = 0, 1, ...: the last r of a symbol wins."""
    out = np.zeros_like(s.y)
    for r, c in enumerate(s.ext):
        out[:, c] = -s.gamma[:, r] / s.emitted[:, r]
    return out


DYS: dict[str, Callable[[Sequence], np.ndarray]] = {   # dY[:T_b, b]
    "add": lambda s: _scattered(s, -s.gamma / s.emitted),
    "overwrite": _overwritten,
    "no_y": lambda s: _scattered(s, -s.gamma),
    "softmax": lambda s: s.y - _scattered(s, s.gamma),
}


def _loss_outputs(x: Inputs, how: Wrong) -> Arrays:
    B = len(x["target"])
    sequences = [_sequence(x, b, how) for b in range(B)]
    dY = np.zeros_like(x["logits"], dtype=np.float64)
    for b, s in enumerate(sequences):
        dY[:len(s.y), b] = DYS[how.dy](s)
    loss = sum(DIVERGENCES[how.divergence](s) for s in sequences)
    return {"forward": np.asarray(loss / (B if how.loss_mean else 1)),
            "dX": dY / (B if how.dy_mean else 1)}


# ---------------------------------------------------------------- each op's outputs
def _emitted(x: Inputs) -> np.ndarray:
    return x["logits"][:, np.asarray(x["extended_symbols"], dtype=np.int64)]


def _skip(x: Inputs) -> np.ndarray:
    return np.asarray(x["skip_connect"], dtype=np.float64)


OUTPUTS: dict[str, Callable[[Inputs, Wrong], Arrays]] = {
    EXTEND: lambda x, how: dict(zip(("extended", "skip"), _extend(x["target"], how),
                                    strict=True)),
    ALPHA: lambda x, how: {"alpha": _alpha(_emitted(x), _skip(x), how)},
    BETA: lambda x, how: {"beta": _beta(_emitted(x), _skip(x), how)},
    GAMMA: lambda x, how: {"gamma": _gamma(x["alpha"], x["beta"], how)},
    LOSS: _loss_outputs,
}


# ---------------------------------------------------------------- the mistakes
EXT = "ext = [∅, s1, ∅, s2, ..., sL, ∅] (2L + 1 symbols, ∅ the blank)"
SKIP = ("skip_connect[r] = 1 where ext[r] is a symbol unlike ext[r − 2]: a path may jump the "
        "blank between two different symbols, never between a repeated one (the blank "
        "between them is what tells 'a a' from 'a')")
ALPHA_STEP = "α[t, r] = (α[t−1, r] + α[t−1, r−1] + skip[r]·α[t−1, r−2])·y[t, ext[r]]"
BETA_STEP = ("β[t, r] = y[t+1, ext[r]]·β[t+1, r] + y[t+1, ext[r+1]]·β[t+1, r+1] "
             "+ skip[r+2]·y[t+1, ext[r+2]]·β[t+1, r+2]")
BETA_END = "β[T−1, S−2] = β[T−1, S−1] = 1"
PROBS = "the logits are probabilities (each row sums to 1), not log-probabilities"
GAMMA_NORM = ("γ[t, r] = α[t, r]β[t, r] / Σ_r' α[t, r']β[t, r']: each time step's row sums "
              "to 1 (sum over axis=1 with keepdims=True)")
NO_TRAILING, NO_LEADING = "[∅, s1, ∅, ..., ∅, sL]", "[s1, ∅, s2, ..., sL, ∅]"
TRAILING = f"the trailing blank is missing: {EXT}; a path may end with a blank"
LEADING = f"the leading blank is missing: {EXT}; a path may start with a blank"
DY = "dY[t, b, ext[r]] −= γ[t, r] / y[t, ext[r]] for every r and every t < input_lengths[b]"

# (the op whose method makes the mistake, its outputs it changes, the variant, what the student
# computed, what is wrong)
MISTAKES: tuple[tuple[str, tuple[str, ...], Wrong, str, str], ...] = (
    (EXTEND, ("extended",), Wrong(ends="no_trailing"), NO_TRAILING, TRAILING),
    (EXTEND, ("extended",), Wrong(ends="no_leading"), NO_LEADING, LEADING),
    # (their skips are one row: a target without two different neighbours has the same
    # skips, all 0, whichever end lost its blank; the extended output tells which)
    (EXTEND, ("skip",), Wrong(ends="no_trailing"), "the skips of 2L symbols, not 2L + 1",
     f"a blank is missing at the start or at the end: {EXT}"),
    (EXTEND, ("skip",), Wrong(skips="every"), "1 at every symbol from r = 2 on",
     f"a skip is allowed between two equal symbols too: {SKIP}"),
    (EXTEND, ("skip",), Wrong(skips="none"), "0 everywhere", f"no skip is ever allowed: {SKIP}"),
    (ALPHA, ("alpha",), Wrong(start=1), "α with α[0, 1] = 0",
     "the path may start at the first symbol too: α[0, 0] = y[0, ext[0]] (the blank) and "
     "α[0, 1] = y[0, ext[1]] (the first symbol)"),
    (ALPHA, ("alpha",), Wrong(alpha_skip=False), "α[t, r] = (α[t−1, r] + α[t−1, r−1])·y[t, ext[r]]",
     f"the skip term is missing: {ALPHA_STEP} (add α[t−1, r−2] where skip_connect[r] is 1)"),
    (ALPHA, ("alpha",), Wrong(alpha_log=True),
     "α[t, r] = (α[t−1, r] + α[t−1, r−1] + skip[r]·α[t−1, r−2]) + log y[t, ext[r]]",
     f"probabilities and log-probabilities are mixed: {PROBS}, so multiply: {ALPHA_STEP}, "
     "α[0, :2] = y[0, ext[:2]] (adding a log is multiplying only when the α are logs too, "
     "summed with logsumexp)"),
    (BETA, ("beta",), Wrong(end=1), "β with β[T−1, S−2] = 0",
     f"the path may end at the last symbol too, not only at the trailing blank: {BETA_END}"),
    (BETA, ("beta",), Wrong(beta_skip=False), "β without the skip term",
     f"the skip term is missing: {BETA_STEP}"),
    (BETA, ("beta",), Wrong(beta_y="own"), "β[t, r] = Σ y[t, ext[r']]·β[t+1, r']",
     f"β is misaligned by one step: β[t] multiplies by y[t + 1], the step after it: "
     f"{BETA_STEP}"),
    (BETA, ("beta",), Wrong(beta_y="included"),
     "β[t, r] = y[t, ext[r]]·Σ β[t+1, r'] (y[t] included)",
     f"β[t] must not include y[t] (the handout's β, not torch's or the lecture's): {BETA_END}, "
     f"{BETA_STEP}; α[t] already includes y[t]"),
    (GAMMA, ("gamma",), Wrong(norm="none"), "α·β, not normalised",
     f"γ is not normalised: {GAMMA_NORM}"),
    (GAMMA, ("gamma",), Wrong(norm="all"), "α·β / Σ_t Σ_r α·β",
     f"γ is normalised over every step at once, not per time step: {GAMMA_NORM}"),
    (GAMMA, ("gamma",), Wrong(norm="r"), "α·β / Σ_t α·β (over axis 0)",
     f"γ is normalised over the time steps (axis 0), not over each step's r: {GAMMA_NORM}"),
    (LOSS, ("forward",), Wrong(divergence="nll"),
     "the mean of −log P, P = α[T−1, S−1] + α[T−1, S−2]",
     "that is torch's CTC loss; the handout's is the mean over the batch of the expected "
     "divergence −Σ_t Σ_r γ[t, r]·log y[t, ext[r]]"),
    (LOSS, ("forward",), Wrong(divergence="no_log"), "the mean of −Σ_t Σ_r γ[t, r]·y[t, ext[r]]",
     f"the log is missing: {PROBS}; the divergence is −Σ_t Σ_r γ[t, r]·log y[t, ext[r]]"),
    (LOSS, ("forward", "dX"), Wrong(cut=False), "what every sequence run over all T steps gives",
     "sequence b has input_lengths[b] steps: cut it, logits[:input_lengths[b], b], before its α "
     "and β (the steps after it are padding: they add nothing to the loss and their dY is 0)"),
    (LOSS, ("dX",), Wrong(dy="overwrite"), "dY[t, b, ext[r]] = −γ[t, r]/y[t, ext[r]]",
     f"a symbol at several r (the blank always is) gets only its last r's term: add them, {DY}"),
    (LOSS, ("dX",), Wrong(dy="no_y"), "−Σ_r γ[t, r] at ext[r]",
     f"the ÷ y is missing ({PROBS}: d(−γ log y)/dy = −γ/y): {DY}"),
    (LOSS, ("dX",), Wrong(dy="softmax"), "y − Σ_r γ[t, r] at ext[r]",
     f"that is the gradient w.r.t. the logits before a softmax (torch's); the handout's dY is "
     f"the gradient w.r.t. the probabilities: {DY}"),
    (LOSS, ("forward",), Wrong(loss_mean=False), "the sum of the B sequences' divergences",
     "the loss is their mean over the batch: divide the sum by B = target.shape[0]"),
    (LOSS, ("dX",), Wrong(dy_mean=True), "dY ÷ B",
     f"dY is not divided by the batch size (the loss is: dY is the gradient of Σ_b −log P_b "
     f"w.r.t. the probabilities): {DY}"),
)


def _formula(op: str, output: str, how: Wrong, computes: str, wrong: str) -> Formula:
    return Formula(output, computes, wrong, lambda x: OUTPUTS[op](x, how)[output])


LOSS_OUTPUT = {"forward": "the loss", "dX": "the dY"}


def _in_the_loss(op: str, how: Wrong, computes: str, wrong: str) -> tuple[Formula, ...]:
    """The loss and dY of a CTCLoss that runs a step with the mistake."""
    method = MYTORCH_OPS[op].function(MYTORCH_OPS[op].outputs[0], detail=False)
    return tuple(_formula(LOSS, output, how,
                          f"{LOSS_OUTPUT[output]} you get when {method} computes {computes}",
                          f"{wrong} (in {method}, which CTCLoss runs)")
                 for output in MYTORCH_OPS[LOSS].outputs)


def _catalogue() -> dict[str, tuple[Formula, ...]]:
    """Each mistake's rows for its op's outputs, and (a step's, once) for CTCLoss's."""
    rows: dict[str, list[Formula]] = {}
    in_the_loss: list[Wrong] = []
    for op, outputs, how, computes, wrong in MISTAKES:
        rows.setdefault(op, []).extend(_formula(op, output, how, computes, wrong)
                                       for output in outputs)
        if op != LOSS and how not in in_the_loss:
            in_the_loss.append(how)
            rows.setdefault(LOSS, []).extend(_in_the_loss(op, how, computes, wrong))
    return {op: tuple(found) for op, found in rows.items()}


CATALOGUE: dict[str, tuple[Formula, ...]] = _catalogue()
