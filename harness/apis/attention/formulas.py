"""The wrong formulas of attention code (`harness.diagnosis.fingerprints`).

Scaled dot-product and multi-head attention are written once, in NumPy, with a flag per
usual mistake (`Wrong`): the scores divided by d, by nothing or (multi-head) by √E instead of
√d; the softmax over the queries; the mask applied after the softmax (the masked weights
zeroed, the others not renormalised) or not at all; the heads split as (N, T, d, heads); the
output projection's bias left out. Each backward is the one such code writes from its cache:
back through the weights A it computed, dscores = A·(dA − Σ dA·A) over the softmax's axis
(for every mistake but the mask applied afterwards, the exact gradient of its forward). Each
catalogue row is one variant and one output of an op, from the case's inputs (q, k, v, mask,
dout; query, key, value, the weights and biases, num_heads).

A masked score is −1e9 here, as most NumPy code writes it: beside any real score its weight is
exactly 0 in float64, as with −inf; a softmax taken over the queries of a key every query is
masked from is then uniform (−inf would give NaN, which no formula matches).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.apis.attention import ATTENTION_OPS, MHA_GRADS
from harness.core.formula import Formula, Inputs

FILL = -1e9   # a masked score
SDPA, MHA = "attention:scaled_dot_product", "attention:multihead"


@dataclass(frozen=True)
class Wrong:
    """How the attention is computed; the defaults are the right way."""

    scale: str = "sqrt_d"     # what the scores q·kᵀ are divided by (DIVISORS)
    axis: int = -1            # the softmax's axis: −1 the keys, −2 the queries
    mask: str = "before"      # before: scores at −inf; after: weights zeroed; ignored
    split: str = "heads_d"    # a projection's columns as (heads, d) or (d, heads)
    out_bias: bool = True     # out = merged @ Wo + bo


RIGHT_WAY = Wrong()
# what the scores are divided by, from (d: one head's width, E: the model's)
DIVISORS: dict[str, Callable[[int, int], float]] = {
    "sqrt_d": lambda d, e: float(np.sqrt(d)), "d": lambda d, e: float(d),
    "one": lambda d, e: 1.0, "sqrt_e": lambda d, e: float(np.sqrt(e))}


# ---------------------------------------------------------------- one attention, both ways
def _softmax(scores: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _t(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _weights(q: np.ndarray, k: np.ndarray, mask: np.ndarray, how: Wrong, divisor: float
             ) -> np.ndarray:
    scores = q @ _t(k) / divisor
    if how.mask == "before":
        scores = np.where(mask, scores, FILL)
    weights = _softmax(scores, how.axis)
    return weights * mask if how.mask == "after" else weights


def _back(dout: np.ndarray, q: np.ndarray, k: np.ndarray, v: np.ndarray,
          weights: np.ndarray, how: Wrong, divisor: float) -> tuple[np.ndarray, ...]:
    """(dq, dk, dv) back through out = A·v and the softmax's Jacobian along its axis."""
    dweights = dout @ _t(v)
    dscores = weights * (dweights - (dweights * weights).sum(axis=how.axis, keepdims=True))
    dscores = dscores / divisor
    return dscores @ k, _t(dscores) @ q, _t(weights) @ dout


def _sdpa_outputs(x: Inputs, how: Wrong) -> dict[str, np.ndarray]:
    d = x["q"].shape[-1]
    divisor = DIVISORS[how.scale](d, d)
    weights = _weights(x["q"], x["k"], x["mask"], how, divisor)
    dq, dk, dv = _back(x["dout"], x["q"], x["k"], x["v"], weights, how, divisor)
    return {"forward": weights @ x["v"], "dq": dq, "dk": dk, "dv": dv}


# ---------------------------------------------------------------- multi-head
def _split(x: np.ndarray, heads: int, how: Wrong) -> np.ndarray:
    """(N, T, E) -> (N, heads, T, d) the student's way."""
    n, t, e = x.shape
    if how.split == "heads_d":
        return x.reshape(n, t, heads, e // heads).transpose(0, 2, 1, 3)
    return x.reshape(n, t, e // heads, heads).transpose(0, 3, 1, 2)


def _merge(x: np.ndarray, how: Wrong) -> np.ndarray:
    """`_split` undone: (N, heads, T, d) -> (N, T, E)."""
    n, heads, t, d = x.shape
    order = (0, 2, 1, 3) if how.split == "heads_d" else (0, 2, 3, 1)
    return x.transpose(order).reshape(n, t, heads * d)


def _linear_back(dy: np.ndarray, x: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, ...]:
    flat_x, flat_dy = x.reshape(-1, x.shape[-1]), dy.reshape(-1, dy.shape[-1])
    return dy @ W.T, flat_x.T @ flat_dy, flat_dy.sum(axis=0)


INPUTS = {"q": "query", "k": "key", "v": "value"}   # each projection's input


def _mha_outputs(x: Inputs, how: Wrong) -> dict[str, np.ndarray]:
    heads, e = int(x["num_heads"]), x["query"].shape[-1]
    divisor = DIVISORS[how.scale](e // heads, e)
    split = {w: _split(x[name] @ x[f"W{w}"] + x[f"b{w}"], heads, how)
             for w, name in INPUTS.items()}
    weights = _weights(split["q"], split["k"], x["mask"][:, None], how, divisor)
    merged = _merge(weights @ split["v"], how)
    out = merged @ x["Wo"] + (x["bo"] if how.out_bias else 0)
    dmerged, dWo, dbo = _linear_back(x["dout"], merged, x["Wo"])
    back = _back(_split(dmerged, heads, how), split["q"], split["k"], split["v"], weights,
                 how, divisor)
    grads: dict[str, np.ndarray] = {"forward": out, "dWo": dWo, "dbo": dbo}
    for (w, name), dproj in zip(INPUTS.items(), back, strict=True):
        grads[f"d{name}"], grads[f"dW{w}"], grads[f"db{w}"] = \
            _linear_back(_merge(dproj, how), x[name], x[f"W{w}"])
    return grads


OUTPUTS: dict[str, Callable[[Inputs, Wrong], dict[str, np.ndarray]]] = {
    SDPA: _sdpa_outputs, MHA: _mha_outputs}


# ---------------------------------------------------------------- the mistakes
BOTH = (SDPA, MHA)
# The outputs a mistake in the attention changes: all but dbo (Σ dout, whatever comes before);
# while each query's weights still sum to 1 over the keys, dbv (Σ dout·Woᵀ over the steps) and
# dbk (0: a softmax is unchanged by the q·bk its scores all get) do not change either.
ATTENDED = tuple(o for o in ("forward", "dq", "dk", "dv", *MHA_GRADS) if o != "dbo")
NORMALISED = tuple(o for o in ATTENDED if o not in ("dbk", "dbv"))
SPLIT = ("head h takes columns h·d:(h+1)·d of each projection: "
         "x.reshape(N, T, num_heads, d).transpose(0, 2, 1, 3)")

# (ops, outputs, the variant, what the student computed, what is wrong)
MISTAKES: tuple[tuple[tuple[str, ...], tuple[str, ...], Wrong, str, str], ...] = (
    (BOTH, NORMALISED, Wrong(scale="d"), "what the scores q·kᵀ/d give",
     "the scores are divided by d, not √d: scale q·kᵀ by 1/np.sqrt(d), d the width of q and k "
     "(of one head)"),
    (BOTH, NORMALISED, Wrong(scale="one"), "what the unscaled scores q·kᵀ give",
     "the scores are not scaled: divide q·kᵀ by √d (d the width of q and k, of one head), "
     "which keeps their spread near 1 whatever d"),
    ((MHA,), NORMALISED, Wrong(scale="sqrt_e"), "what the scores q·kᵀ/√E give",
     "each head's scores are divided by √E, the model's width: scale by √d, d = E / num_heads "
     "the width of one head"),
    (BOTH, ATTENDED, Wrong(axis=-2), "what a softmax over the queries (axis −2) gives",
     "the softmax runs over the wrong axis: each query's weights are a softmax over the keys "
     "(the last axis, axis=-1) and sum to 1, not each key's over the queries"),
    (BOTH, ATTENDED, Wrong(mask="after"), "what softmax(scores)·mask gives",
     "the mask is applied after the softmax: the masked weights are zeroed but the others no "
     "longer sum to 1; set the masked scores to −inf before the softmax "
     "(np.where(mask, scores, -np.inf))"),
    (BOTH, NORMALISED, Wrong(mask="ignored"), "what the unmasked softmax gives",
     "the mask is ignored: where mask is False the query must not attend to the key; set "
     "those scores to −inf before the softmax (np.where(mask, scores, -np.inf))"),
    ((MHA,), NORMALISED, Wrong(split="d_heads"), "what heads split as reshape(N, T, d, heads) give",
     f"the heads are split the wrong way: {SPLIT}, and merged back the same way; "
     "reshape(N, T, d, num_heads) gives head h the columns h, h + num_heads, ..."),
    ((MHA,), ("forward",), Wrong(out_bias=False), "concat(heads) @ Wo without bo",
     "the output projection's bias is missing: out = concat(heads) @ Wo + bo"),
)


def _formula(op: str, output: str, how: Wrong, computes: str, wrong: str) -> Formula:
    return Formula(output, computes, wrong, lambda x: OUTPUTS[op](x, how)[output])


def _catalogue() -> dict[str, tuple[Formula, ...]]:
    rows: dict[str, list[Formula]] = {}
    for ops, outputs, how, computes, wrong in MISTAKES:
        for op in ops:
            rows.setdefault(op, []).extend(
                _formula(op, output, how, computes, wrong)
                for output in outputs if output in ATTENTION_OPS[op].outputs)
    return {op: tuple(found) for op, found in rows.items()}


CATALOGUE: dict[str, tuple[Formula, ...]] = _catalogue()
