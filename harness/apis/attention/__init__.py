"""The attention API (``attention.py``): scaled dot-product and multi-head attention, forward
and backward, each a pair of functions as CS231n's layers are, under causal and padding masks.

The contract (docs/attention.md says it for students)::

    scaled_dot_product_attention_forward(q, k, v, mask) -> (out, cache)
    scaled_dot_product_attention_backward(dout, cache) -> (dq, dk, dv)

q (N, Tq, d), k (N, Tk, d), v (N, Tk, dv); mask (N, Tq, Tk) boolean, True where query t may
attend to key s, always given (all True when nothing is masked);
out = softmax(q·kᵀ/√d with the masked scores at −inf, over the keys)·v, (N, Tq, dv)::

    multihead_attention_forward(query, key, value, Wq, bq, Wk, bk, Wv, bv, Wo, bo, mask,
                                num_heads) -> (out, cache)
    multihead_attention_backward(dout, cache)
        -> (dquery, dkey, dvalue, dWq, dbq, dWk, dbk, dWv, dbv, dWo, dbo)

query (N, Tq, E), key and value (N, Tk, E); each W (E, E) is applied as x @ W + b, b (E,)
(rows: input features, columns: output features; torch's nn.Linear stores the transpose);
E = num_heads·d and head h takes columns h·d:(h+1)·d of each projection; every head attends
as above with its own width d under the same mask; the heads' outputs, side by side in that
order, are projected by Wo, bo. num_heads is a Python int (it crosses to the sandbox as a
0-d integer array, and the driver hands it over as the int it stands for).

A row of the mask without any True is outside the contract (0/0 in the softmax): no case
holds one. Cases: masks "none" (all True), "causal" (Tq = Tk = t, query t attends to keys
0..t) and "padding" (key s of sample n is masked from s = length_n on, length_n in 1..Tk;
sample 0 is padded whenever Tk > 1); N, T and d from 1; queries and keys drawn so that no
score |q·k|/√d exceeds 3 (no softmax saturates, and √d against d or 1 shows). A quarter of
the scaled dot-product cases are "mixed": sample n's scores are all shifted by 800·n, which
changes no softmax but overflows one that does not subtract its row's maximum. A failing
case shrinks the shift away and the mask to "none" first, then the lengths, N, the heads
and the widths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from harness.apis.hw6.package import BUNDLED_DIR
from harness.core import cases as c
from harness.core.api import Api
from harness.core.cases import Family, Params
from harness.core.opspec import Calls, FunctionOp, OpSpec
from harness.sandbox.library import LibraryLoader

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no formula)
    from harness.core.formula import Formula

API = "attention"
MODULE = "attention"
TWINS = "reference.attention"   # the module of its ops' PyTorch twins (functions, as the ops)
SCORE_BOUND = 3.0   # no |score| above it: no softmax saturates
Arrays = dict[str, np.ndarray]


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0
            ) -> np.ndarray:
    return rng.standard_normal(shape) * scale


# ---------------------------------------------------------------- masks
def _no_mask(rng: np.random.Generator, n: int, tq: int, tk: int) -> np.ndarray:
    return np.ones((n, tq, tk), dtype=bool)


def _causal(rng: np.random.Generator, n: int, tq: int, tk: int) -> np.ndarray:
    """Query t attends to keys 0..t (Tq = Tk)."""
    return np.repeat(np.tril(np.ones((tq, tk), dtype=bool))[None], n, axis=0)


def _padding(rng: np.random.Generator, n: int, tq: int, tk: int) -> np.ndarray:
    """Sample n's keys from its length on are padding (every query sees its first key);
    sample 0 is padded whenever Tk > 1."""
    lengths = rng.integers(1, tk + 1, size=n)
    lengths[0] = rng.integers(1, tk) if tk > 1 else 1
    return np.repeat((np.arange(tk) < lengths[:, None])[:, None, :], tq, axis=1)


MASKS: dict[str, Callable[[np.random.Generator, int, int, int], np.ndarray]] = {
    "none": _no_mask, "causal": _causal, "padding": _padding}
MASK_KINDS = tuple(MASKS)


# ---------------------------------------------------------------- sizes
def lengths(p: Params) -> tuple[int, int]:
    """(Tq, Tk): a causal case's t for both, else its tq and tk."""
    if "t" in p:
        return c.param_int(p, "t"), c.param_int(p, "t")
    return c.param_int(p, "tq"), c.param_int(p, "tk")


def _valid(widths: tuple[str, ...]) -> Callable[[Params], bool]:
    def valid(p: Params) -> bool:
        if str(p.get("mask")) not in MASKS or not ("t" in p or {"tq", "tk"} <= set(p)):
            return False
        tq, tk = lengths(p)
        sizes = (c.param_int(p, "n"), tq, tk, *(c.param_int(p, w) for w in widths))
        return min(sizes) >= 1 and (p["mask"] != "causal" or tq == tk)
    return valid


def _sampler(widths: dict[str, tuple[int, int]]) -> Callable[[np.random.Generator, Params],
                                                              Params]:
    """A mask kind, N, the lengths (one t when causal) and each width from its range."""
    def sample(rng: np.random.Generator, fixed: Params) -> Params:
        mask = MASK_KINDS[int(rng.integers(len(MASK_KINDS)))]
        steps: Params = ({"t": int(rng.integers(1, 6))} if mask == "causal" else
                         {"tq": int(rng.integers(1, 6)), "tk": int(rng.integers(1, 6))})
        return {"mask": mask, "n": int(rng.integers(1, 4)), **steps,
                **{w: int(rng.integers(lo, hi + 1)) for w, (lo, hi) in widths.items()}}
    return sample


def _scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """|q·kᵀ|/√d of every pair, any leading axes."""
    return np.abs(q @ np.swapaxes(k, -1, -2)) / np.sqrt(q.shape[-1])


# ---------------------------------------------------------------- scaled dot-product
# "mixed": every score of sample n is shifted by SHIFT·n, which leaves each softmax as it
# was (a shift within a row) but overflows exp() in a softmax without its max subtracted
SHIFT = 800.0
SCALES = ("normal", "mixed")


def _sdpa_inputs(p: Params, rng: np.random.Generator) -> Arrays:
    (tq, tk), n, d, dv = lengths(p), c.param_int(p, "n"), c.param_int(p, "d"), \
        c.param_int(p, "dv")
    q, k = _normal(rng, (n, tq, d)), _normal(rng, (n, tk, d))
    if p.get("scale") == "mixed":   # q·k/√d gains SHIFT·n through feature 0
        k[..., 0] = 1.0
        q[..., 0] = SHIFT * np.arange(n)[:, None] * np.sqrt(d)
    return {"q": q, "k": k, "v": _normal(rng, (n, tk, dv)),
            "mask": MASKS[str(p["mask"])](rng, n, tq, tk), "dout": _normal(rng, (n, tq, dv))}


def _sdpa_sample(rng: np.random.Generator, fixed: Params) -> Params:
    """As `_sampler`, one case in four "mixed" where there are two samples and two features
    to shift with."""
    p = _sampler({"d": (1, 5), "dv": (1, 4)})(rng, fixed)
    mixed = rng.random() < 0.25 and c.param_int(p, "n") >= 2 and c.param_int(p, "d") >= 2
    return {**p, "scale": "mixed" if mixed else "normal"}


def _sdpa_valid(p: Params) -> bool:
    scale = str(p.get("scale", "normal"))
    sizes_ok = scale == "normal" or min(c.param_int(p, "n"), c.param_int(p, "d")) >= 2
    return scale in SCALES and _valid(("d", "dv"))(p) and sizes_ok


def _sdpa_informative(p: Params, x: Arrays) -> bool:
    """No score beyond SCORE_BOUND, but for a mixed case's shift (through feature 0)."""
    q = x["q"].copy()
    if p.get("scale") == "mixed":
        q[..., 0] = 0.0
    return bool(_scores(q, x["k"]).max(initial=0) <= SCORE_BOUND)


def _sdpa_edge(mask: str, n: int, steps: tuple[int, ...], d: int, dv: int) -> Params:
    names = ("t",) if len(steps) == 1 else ("tq", "tk")
    return {"mask": mask, "n": n, **dict(zip(names, steps, strict=True)), "d": d, "dv": dv}


SCALED_DOT_PRODUCT = Family(
    shrink=("scale", "mask", "t", "tq", "tk", "n", "d", "dv"),
    simplest={"scale": "normal", "mask": "none"},
    sample=_sdpa_sample,
    edge_cases=lambda fixed: [
        {**_sdpa_edge("causal", 2, (4,), 3, 2), "scale": "normal"},
        {**_sdpa_edge("padding", 3, (3, 5), 4, 3), "scale": "normal"},
        {**_sdpa_edge("none", 2, (3, 4), 2, 3), "scale": "normal"},
        {**_sdpa_edge("none", 1, (1, 1), 1, 1), "scale": "normal"},
        {**_sdpa_edge("padding", 3, (3, 4), 3, 2), "scale": "mixed"},
    ],
    ctor=lambda p, fixed: {},
    inputs=_sdpa_inputs,
    axes={"forward": ("n", "tq", "dv"), "dq": ("n", "tq", "d"), "dk": ("n", "tk", "d"),
          "dv": ("n", "tk", "dv")},
    valid=_sdpa_valid,
    informative=_sdpa_informative,
)


# ---------------------------------------------------------------- multi-head
PROJECTIONS = ("q", "k", "v", "o")


def _mha_inputs(p: Params, rng: np.random.Generator) -> Arrays:
    (tq, tk), n, heads = lengths(p), c.param_int(p, "n"), c.param_int(p, "heads")
    e = heads * c.param_int(p, "d")
    x = {"query": _normal(rng, (n, tq, e)), "key": _normal(rng, (n, tk, e)),
         "value": _normal(rng, (n, tk, e))}
    for name in PROJECTIONS:
        x[f"W{name}"] = _normal(rng, (e, e), 0.8 / np.sqrt(e))
        x[f"b{name}"] = _normal(rng, (e,), 0.2)
    return {**x, "mask": MASKS[str(p["mask"])](rng, n, tq, tk),
            "num_heads": np.array(heads), "dout": _normal(rng, (n, tq, e))}


def _head_scores(x: Arrays) -> np.ndarray:
    """Every head's |score|, (N, heads, Tq, Tk)."""
    heads = int(x["num_heads"])
    q, k = (x[name] @ x[f"W{w}"] + x[f"b{w}"] for name, w in (("query", "q"), ("key", "k")))
    split = [a.reshape(*a.shape[:2], heads, -1).swapaxes(1, 2) for a in (q, k)]
    return _scores(*split)


def _mha_edge(mask: str, n: int, steps: tuple[int, ...], heads: int, d: int) -> Params:
    names = ("t",) if len(steps) == 1 else ("tq", "tk")
    return {"mask": mask, "n": n, **dict(zip(names, steps, strict=True)), "heads": heads,
            "d": d}


EMBEDDING = ("n", "tq", "e")
MULTIHEAD = Family(
    shrink=("mask", "t", "tq", "tk", "n", "heads", "d"),
    simplest={"mask": "none"},
    sample=_sampler({"heads": (1, 3), "d": (1, 3)}),
    edge_cases=lambda fixed: [
        _mha_edge("causal", 2, (3,), 2, 3),   # heads ≠ d: √E is neither d nor √d
        _mha_edge("padding", 2, (2, 4), 3, 2),
        _mha_edge("none", 1, (1, 1), 1, 1),
    ],
    ctor=lambda p, fixed: {},
    inputs=_mha_inputs,
    # "hd": a projection's column k is head k // d, unit k mod d
    axes={"forward": ("n", "tq", "out"), "dquery": ("n", "tq", "in"),
          "dkey": ("n", "tk", "in"), "dvalue": ("n", "tk", "in"),
          **{f"dW{w}": ("in", "hd") for w in "qkv"}, **{f"db{w}": ("hd",) for w in "qkv"},
          "dWo": ("hd", "out"), "dbo": ("out",)},
    valid=_valid(("heads", "d")),
    informative=lambda p, x: bool(_head_scores(x).max(initial=0) <= SCORE_BOUND),
)


# ---------------------------------------------------------------- the ops
SDPA_GRADS = ("dq", "dk", "dv")
MHA_GRADS = ("dquery", "dkey", "dvalue", "dWq", "dbq", "dWk", "dbk", "dWv", "dbv", "dWo",
             "dbo")
MHA_ARGS = ("query", "key", "value", *(f"{p}{w}" for w in PROJECTIONS for p in "Wb"),
            "mask", "num_heads")

# (name, family, calls)
TABLE: tuple[tuple[str, Family, Calls], ...] = (
    ("scaled_dot_product", SCALED_DOT_PRODUCT,
     Calls("scaled_dot_product_attention_forward", ("q", "k", "v", "mask"),
           "scaled_dot_product_attention_backward", SDPA_GRADS)),
    ("multihead", MULTIHEAD,
     Calls("multihead_attention_forward", MHA_ARGS, "multihead_attention_backward", MHA_GRADS)),
)
ATTENTION_OPS: dict[str, OpSpec] = {
    f"{API}:{name}": FunctionOp(f"{API}:{name}", MODULE, calls.forward, family,
                                ("forward", *calls.grads), api=API, calls=calls, twins=TWINS)
    for name, family, calls in TABLE
}


def _formulas() -> Mapping[str, tuple[Formula, ...]]:
    """The usual wrong attention formulas, imported when a diagnosis first needs them (never
    in the sandboxed child: they are answers)."""
    from harness.apis.attention.formulas import CATALOGUE
    return CATALOGUE


SPEC = Api(API, "Scaled dot-product and multi-head attention (attention.py)", API, (MODULE,),
           BUNDLED_DIR / "attention", ("attention/attention.py", "attention.py"),
           LibraryLoader(API, MODULE), ops=ATTENTION_OPS, formulas=_formulas)
