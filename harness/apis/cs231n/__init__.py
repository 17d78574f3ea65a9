"""The CS231n API (assignment 2's ``layers.py``, assignment 3's ``rnn_layers.py``): its ops,
their cases and calls.

Each op is a pair of functions, ``out, cache = f_forward(x, ..., param)`` and
``grads = f_backward(dout, cache)`` (a loss returns ``loss, dx`` in one call), on NCHW images
with conv weights (F, C, HH, WW) and 1-D biases. `Calls` says which inputs each function takes
and what it returns; the driver runs the implementation and its twin (reference/cs231n.py)
through exactly those calls. Cases follow the assignment's docstrings: integer padding,
sizes for which (H + 2·pad − HH) / stride is a whole number (the assignment's assumption),
pooling without padding, labels in 0..C−1. The recurrent layers' families are in rnn.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harness.apis.cs231n import rnn
from harness.apis.hw6.package import BUNDLED_DIR
from harness.core import cases as c
from harness.core.api import Api
from harness.core.cases import Case, Family, Params
from harness.core.editions import Edition, Marker
from harness.core.opspec import Calls, FunctionOp, OpSpec
from harness.sandbox.library import LibraryLoader

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no formula)
    from harness.core.formula import Formula, Rule

API = "cs231n"
TWINS = "reference.cs231n"   # the module of its ops' PyTorch twins (functions, as the ops)
RNN_TWINS = "reference.cs231n_rnn"   # assignment 3's (rnn_layers.py)
NCHW = ("n", "c", "h", "w")
SPREADS = {"normal": 1.0, "small": 0.01}   # a feature's spread: eps matters when it is small


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float | np.ndarray = 1.0
            ) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _fits(size: int, kernel: int, stride: int, pad: int) -> bool:
    """A whole number of windows, at least one: the assignment assumes it."""
    span = size + 2 * pad - kernel
    return span >= 0 and span % stride == 0


def _out(size: int, kernel: int, stride: int, pad: int = 0) -> int:
    return (size + 2 * pad - kernel) // stride + 1


# affine: x (N, d_1, ..., d_k) is used as (N, D); w (D, M), b (M,).
def _affine_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape, m = tuple(c.param_ints(p, "shape")), c.param_int(p, "m")
    d = int(np.prod(shape[1:]))
    return {"x": _normal(rng, shape), "w": _normal(rng, (d, m), 1 / np.sqrt(d)),
            "b": _normal(rng, (m,), 0.5), "dout": _normal(rng, (shape[0], m))}


def _affine_sample(rng: np.random.Generator, fixed: Params) -> Params:
    dims = tuple(int(x) for x in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    return {"shape": (int(rng.integers(1, 6)), *dims), "m": int(rng.integers(1, 7))}


AFFINE = Family(
    shrink=("shape",),
    sample=_affine_sample,
    edge_cases=lambda fixed: [{"shape": (2, 3), "m": 4}, {"shape": (2, 3, 2, 2), "m": 3}],
    ctor=lambda p, fixed: {},
    inputs=_affine_inputs,
    axes={"forward": ("n", "m"), "dW": ("d", "m"), "db": ("m",)},
    valid=lambda p: len(c.param_ints(p, "shape")) >= 2 and min(c.param_ints(p, "shape")) >= 1
    and c.param_int(p, "m") >= 1,
)


# conv: x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param {stride, pad}.
def _conv_valid(p: Params) -> bool:
    (kh, kw), s, pad = c.param_ints(p, "k"), c.param_int(p, "s"), p["pad"]
    if min(c.param_int(p, "n"), c.param_int(p, "cin"), c.param_int(p, "cout"), kh, kw, s) < 1:
        return False
    if not isinstance(pad, int):
        raise TypeError(f"parameter pad={pad!r} is not an integer")
    return (pad >= 0 and _fits(c.param_int(p, "h"), kh, s, pad)
            and _fits(c.param_int(p, "w"), kw, s, pad))


def _conv_sample(rng: np.random.Generator, fixed: Params) -> Params:
    while True:
        p: Params = {"n": int(rng.integers(1, 4)), "cin": int(rng.integers(1, 4)),
             "h": int(rng.integers(1, 9)), "w": int(rng.integers(1, 9)),
             "cout": int(rng.integers(1, 4)),
             "k": tuple(int(x) for x in rng.integers(1, 5, size=2)),
             "s": int(rng.integers(1, 4)), "pad": int(rng.integers(0, 3))}
        if _conv_valid(p):
            return p


def _conv_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    (kh, kw), s, pad = c.param_ints(p, "k"), c.param_int(p, "s"), c.param_int(p, "pad")
    n, cin, cout, h, w = (c.param_int(p, key) for key in ("n", "cin", "cout", "h", "w"))
    oh, ow = _out(h, kh, s, pad), _out(w, kw, s, pad)
    fan_in = cin * kh * kw
    return {"x": _normal(rng, (n, cin, h, w)),
            "w": _normal(rng, (cout, cin, kh, kw), 1 / np.sqrt(fan_in)),
            "b": _normal(rng, (cout,), 0.5),
            "dout": _normal(rng, (n, cout, oh, ow))}


def _conv_edge(n: int = 2, cin: int = 3, h: int = 5, w: int = 5, cout: int = 2,
               k: tuple[int, int] = (3, 3), s: int = 1, pad: int = 1) -> Params:
    return {"n": n, "cin": cin, "h": h, "w": w, "cout": cout, "k": k, "s": s, "pad": pad}


CONV = Family(
    shrink=("n", "cin", "cout", "k", "s", "pad", "h", "w"),
    simplest={"pad": 0},
    sample=_conv_sample,
    edge_cases=lambda fixed: [
        _conv_edge(),                                   # the notebook's: 3x3, pad 1
        _conv_edge(h=5, w=7, k=(3, 3), s=2, pad=0),     # stride 2, no padding
        _conv_edge(n=1, h=4, w=6, k=(2, 4), s=2, pad=1),  # non-square kernel, batch 1
    ],
    ctor=lambda p, fixed: {"stride": p["s"], "pad": p["pad"]},
    inputs=_conv_inputs,
    axes={"forward": NCHW, "dX": NCHW, "dW": ("f", "c", "kh", "kw"), "db": ("f",)},
    valid=_conv_valid,
)


# max pooling: x (N, C, H, W), pool_param {pool_height, pool_width, stride}, no padding.
def _pool_valid(p: Params) -> bool:
    (kh, kw), s = c.param_ints(p, "k"), c.param_int(p, "s")
    return (min(c.param_int(p, "n"), c.param_int(p, "c"), kh, kw, s) >= 1
            and _fits(c.param_int(p, "h"), kh, s, 0) and _fits(c.param_int(p, "w"), kw, s, 0))


def _pool_sample(rng: np.random.Generator, fixed: Params) -> Params:
    while True:
        p: Params = {"n": int(rng.integers(1, 4)), "c": int(rng.integers(1, 4)),
             "h": int(rng.integers(1, 9)), "w": int(rng.integers(1, 9)),
             "k": tuple(int(x) for x in rng.integers(1, 4, size=2)),
             "s": int(rng.integers(1, 4))}
        if _pool_valid(p):
            return p


def _pool_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    (kh, kw), s = c.param_ints(p, "k"), c.param_int(p, "s")
    n, ch, h, w = (c.param_int(p, key) for key in ("n", "c", "h", "w"))
    return {"x": _normal(rng, (n, ch, h, w)),
            "dout": _normal(rng, (n, ch, _out(h, kh, s), _out(w, kw, s)))}


POOL = Family(
    shrink=("n", "c", "k", "s", "h", "w"),
    sample=_pool_sample,
    edge_cases=lambda fixed: [
        {"n": 2, "c": 3, "h": 4, "w": 4, "k": (2, 2), "s": 2},   # the notebook's
        {"n": 1, "c": 2, "h": 5, "w": 4, "k": (3, 2), "s": 1},   # overlapping windows
    ],
    ctor=lambda p, fixed: {"pool_height": c.param_ints(p, "k")[0],
                           "pool_width": c.param_ints(p, "k")[1], "stride": p["s"]},
    inputs=_pool_inputs,
    axes={"forward": NCHW, "dX": NCHW},
    valid=_pool_valid,
)


# batch and layer normalisation: x (N, D) with a mean and spread per feature, so that the
# mean, the variance (biased or not) and eps all matter.
BN_PARAM = {"eps": 1e-5, "momentum": 0.9}


def _features(p: Params, rng: np.random.Generator, shape: tuple[int, ...],
              per: tuple[int, ...]) -> np.ndarray:
    spread = SPREADS[str(p["spread"])]
    return _normal(rng, per, 2.0) + _normal(rng, shape) * spread * (0.5 + rng.random(per))


def _norm_inputs(p: Params, rng: np.random.Generator, image: bool) -> dict[str, np.ndarray]:
    n = c.param_int(p, "n")
    shape = ((n, c.param_int(p, "c"), c.param_int(p, "h"), c.param_int(p, "w")) if image
             else (n, c.param_int(p, "d")))
    per = (1, c.param_int(p, "c"), 1, 1) if image else (1, c.param_int(p, "d"))
    width = c.param_int(p, "c") if image else c.param_int(p, "d")
    x = {"x": _features(p, rng, shape, per), "gamma": 1 + _normal(rng, (width,), 0.5),
         "beta": _normal(rng, (width,), 0.5), "dout": _normal(rng, shape)}
    if p.get("running") == "given":
        x["running_mean"] = _normal(rng, (width,))
        x["running_var"] = 0.5 + rng.random(width)
    return x


def _norm_sample(rng: np.random.Generator, fixed: Params) -> Params:
    p: Params = {"n": int(rng.integers(2, 7)), "d": int(rng.integers(2, 7)),
                 "spread": "small" if rng.random() < 0.3 else "normal"}
    if fixed.get("mode"):
        p["running"] = "given" if fixed["mode"] == "test" or rng.random() < 0.7 else "none"
    return p


def _norm_family(fixed_edges: list[Params], ctor: Callable[[Params, Params], c.Kwargs],
                 valid: Callable[[Params], bool]) -> Family:
    return Family(sample=_norm_sample, edge_cases=lambda fixed: fixed_edges, ctor=ctor,
                  shrink=("n",),
                  inputs=lambda p, rng: _norm_inputs(p, rng, image=False),
                  axes={"forward": ("n", "d"), "dX": ("n", "d"), "dgamma": ("d",),
                        "dbeta": ("d",), "running_mean": ("d",), "running_var": ("d",)},
                  valid=valid)


def _bn_ctor(p: Params, fixed: Params) -> c.Kwargs:
    return {"mode": fixed["mode"], **BN_PARAM}


BATCHNORM = _norm_family(
    [{"n": 4, "d": 3, "spread": "normal", "running": "given"},
     {"n": 5, "d": 2, "spread": "small", "running": "none"}],
    _bn_ctor, valid=lambda p: c.param_int(p, "n") >= 2 and c.param_int(p, "d") >= 1)
BATCHNORM_TEST = _norm_family(
    [{"n": 4, "d": 3, "spread": "normal", "running": "given"}],
    _bn_ctor, valid=lambda p: c.param_int(p, "n") >= 1 and c.param_int(p, "d") >= 1
    and p["running"] == "given")
LAYERNORM = _norm_family(
    [{"n": 4, "d": 5, "spread": "normal"}, {"n": 1, "d": 3, "spread": "small"}],
    lambda p, fixed: {"eps": BN_PARAM["eps"]},
    valid=lambda p: c.param_int(p, "n") >= 1 and c.param_int(p, "d") >= 2)


def _spatial_sample(rng: np.random.Generator, fixed: Params) -> Params:
    return {"n": int(rng.integers(1, 4)), "c": int(rng.integers(1, 4)),
            "h": int(rng.integers(1, 5)), "w": int(rng.integers(2, 5)),
            "spread": "small" if rng.random() < 0.3 else "normal",
            "running": "given" if rng.random() < 0.7 else "none"}


SPATIAL_BATCHNORM = Family(
    shrink=("n", "c", "h", "w"),
    sample=_spatial_sample,
    edge_cases=lambda fixed: [{"n": 2, "c": 3, "h": 2, "w": 3, "spread": "normal",
                               "running": "given"}],
    ctor=_bn_ctor,
    inputs=lambda p, rng: _norm_inputs(p, rng, image=True),
    axes={"forward": NCHW, "dX": NCHW, "dgamma": ("c",), "dbeta": ("c",),
          "running_mean": ("c",), "running_var": ("c",)},
    valid=lambda p: c.param_int(p, "n") * c.param_int(p, "h") * c.param_int(p, "w") >= 2
    and min(c.param_int(p, key) for key in ("n", "c", "h", "w")) >= 1,
)


# losses on class scores x (N, C) and labels y (N,) in 0..C-1.
def _loss_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shift = 1000.0 if p.get("scale") == "large" else 0.0
    n, classes = c.param_int(p, "n"), c.param_int(p, "classes")
    return {"x": _normal(rng, (n, classes), 1.5) + shift,
            "y": rng.integers(0, classes, size=n)}


def _svm_informative(p: Params, x: dict[str, np.ndarray]) -> bool:
    """No margin within 1e-6 of its kink, where the hinge has no derivative."""
    correct = x["x"][np.arange(c.param_int(p, "n")), x["y"]][:, None]
    return bool((np.abs(x["x"] - correct + 1) > 1e-6).all())


def _loss_family(large: bool, informative: Callable[[Params, dict[str, np.ndarray]], bool]
                 = lambda p, x: True) -> Family:
    def sample(rng: np.random.Generator, fixed: Params) -> Params:
        p: Params = {"n": int(rng.integers(1, 7)), "classes": int(rng.integers(2, 8))}
        if large:
            p["scale"] = "large" if rng.random() < 0.2 else "normal"
        return p

    edge: Params = {"n": 3, "classes": 4, **({"scale": "large"} if large else {})}
    return Family(sample=sample, edge_cases=lambda fixed: [edge, {**edge, "n": 1}],
                  shrink=("scale", "n", "classes"), simplest={"scale": "normal"},
                  ctor=lambda p, fixed: {}, inputs=_loss_inputs,
                  axes={"dX": ("n", "class")}, informative=informative,
                  valid=lambda p: c.param_int(p, "n") >= 1 and c.param_int(p, "classes") >= 2)


# dropout: x (N, D), dropout_param {p (the probability of keeping a unit), mode, seed}. The
# twin is given the units the implementation kept (forward's nonzero entries: x has none of
# its own), so forward and dX are compared exactly; `mask` judges the draw itself against
# dropout's law (harness/apis/dropout.py: the number kept, a mask not shared across samples
# or features, every unit kept in test mode), and forward and dX earn nothing while it fails.
DROPOUT_KEEP = (0.25, 0.5, 0.75, 0.9)


def _dropout_sample(rng: np.random.Generator, fixed: Params) -> Params:
    return {"n": int(rng.integers(2, 9)), "d": int(rng.integers(100, 201)),
            "p": DROPOUT_KEEP[int(rng.integers(len(DROPOUT_KEEP)))],
            "mode": "test" if rng.random() < 0.2 else "train",
            "draw": int(rng.integers(0, 10_000))}


def _dropout_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = (c.param_int(p, "n"), c.param_int(p, "d"))
    x = _normal(rng, shape)
    x[x == 0] = 1.0   # a kept unit is told from a dropped one by being nonzero
    return {"x": x, "dout": _normal(rng, shape)}


def _keep_of(p: c.ParamValue) -> float:
    """The keep probability: a float when sampled, text when read back from a case ID."""
    return float(str(p))


def _dropout_param(p: Params, fixed: Params) -> c.Kwargs:
    """dropout_param for a case: `p` is the probability of keeping a unit from 2018 on. The
    handout before 2018 is ambiguous (its docstring drops each unit with probability p, its
    notebook and many solutions keep it with p): with p_means = "either" the twin and the
    judge read p the way the units the implementation kept show
    (`harness.apis.dropout.keep_probability`)."""
    param: c.Kwargs = {"p": _keep_of(p["p"]), "mode": p["mode"], "seed": p["draw"]}
    return {**param, "p_means": fixed["p_means"]} if "p_means" in fixed else param


DROPOUT = Family(
    shrink=("n",),
    sample=_dropout_sample,
    edge_cases=lambda fixed: [
        {"n": 4, "d": 125, "p": 0.75, "mode": "train", "draw": 231},
        {"n": 4, "d": 125, "p": 0.25, "mode": "train", "draw": 7},
        {"n": 2, "d": 100, "p": 0.5, "mode": "test", "draw": 1},
    ],
    ctor=_dropout_param,
    inputs=_dropout_inputs,
    axes={"forward": ("n", "d"), "dX": ("n", "d")},
    valid=lambda p: c.param_int(p, "n") * c.param_int(p, "d") >= 100 and 0 < _keep_of(p["p"]) <= 1
    and p["mode"] in ("train", "test"),
)


def _kept_by(got: dict[str, np.ndarray], inputs: dict[str, np.ndarray]) -> np.ndarray | None:
    out = got.get("forward")
    if out is None or np.shape(out) != inputs["x"].shape:
        return None
    return np.asarray(out) != 0


def _dropout_given(got: dict[str, np.ndarray], inputs: dict[str, np.ndarray]
                   ) -> dict[str, np.ndarray]:
    kept = _kept_by(got, inputs)
    return {} if kept is None else {"kept": kept}


def _dropout_judge(output: str, got: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
                   ctor: c.Kwargs) -> tuple[bool, str]:
    from harness.apis.dropout import judge_draw  # the parent's alone (not a child module)

    kept = _kept_by(got, inputs)
    if kept is None:
        return False, "the mask cannot be read: forward did not return an array of x's shape"
    return judge_draw(kept, ctor)


FORWARD_BACKWARD = ("forward", "dX")
PARAM_OUT = ("forward", "dX", "dW", "db")
NORM_OUT = ("forward", "dX", "dgamma", "dbeta")
RUNNING = ("running_mean", "running_var")
NORM_GRADS = ("dX", "dgamma", "dbeta")


def _op(name: str, family: Family, outputs: tuple[str, ...], calls: Calls,
        fixed: Params | None = None, *, module: str = "layers", twins: str = TWINS,
        optional: bool = False, derived: tuple[str, ...] = (),
        judge: Callable[[str, dict[str, np.ndarray], dict[str, np.ndarray], c.Kwargs],
                        tuple[bool, str]] | None = None,
        given: Callable[[dict[str, np.ndarray], dict[str, np.ndarray]],
                        dict[str, np.ndarray]] | None = None) -> OpSpec:
    return FunctionOp(f"{API}:{name}", module, calls.forward, family, outputs, fixed or {},
                      api=API, calls=calls, twins=twins, optional=optional, derived=derived,
                      judge=judge, given=given)


def _bn_calls(prefix: str, backward: str | None = None) -> Calls:
    return Calls(f"{prefix}_forward", ("x", "gamma", "beta"), backward or f"{prefix}_backward",
                 NORM_GRADS, param="bn_param", state=RUNNING)


CS231N_OPS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in [
        _op("affine", AFFINE, PARAM_OUT,
            Calls("affine_forward", ("x", "w", "b"), "affine_backward", ("dX", "dW", "db"))),
        _op("relu", c.ELEMENTWISE, FORWARD_BACKWARD,
            Calls("relu_forward", ("Z",), "relu_backward", ("dX",), dout="dY")),
        _op("conv2d", CONV, PARAM_OUT,
            Calls("conv_forward_naive", ("x", "w", "b"), "conv_backward_naive",
                  ("dX", "dW", "db"), param="conv_param")),
        _op("pool2d_max", POOL, FORWARD_BACKWARD,
            Calls("max_pool_forward_naive", ("x",), "max_pool_backward_naive", ("dX",),
                  param="pool_param")),
        _op("batchnorm", BATCHNORM, NORM_OUT + RUNNING, _bn_calls("batchnorm"),
            {"mode": "train"}),
        _op("batchnorm_alt", BATCHNORM, NORM_GRADS,
            _bn_calls("batchnorm", backward="batchnorm_backward_alt"), {"mode": "train"}),
        _op("batchnorm_test", BATCHNORM_TEST, ("forward", *RUNNING), _bn_calls("batchnorm"),
            {"mode": "test"}),
        _op("layernorm", LAYERNORM, NORM_OUT,   # since 2018
            Calls("layernorm_forward", ("x", "gamma", "beta"), "layernorm_backward",
                  NORM_GRADS, param="ln_param"), optional=True),
        _op("spatial_batchnorm", SPATIAL_BATCHNORM, NORM_OUT + RUNNING,
            _bn_calls("spatial_batchnorm"), {"mode": "train"}),
        _op("dropout", DROPOUT, ("forward", "dX", "mask"),
            Calls("dropout_forward", ("x",), "dropout_backward", ("dX",),
                  param="dropout_param", extra=("kept",)),
            derived=("mask",), judge=_dropout_judge, given=_dropout_given),
        _op("softmax_loss", _loss_family(large=True), FORWARD_BACKWARD,
            Calls("softmax_loss", ("x", "y"), loss=True)),
        _op("svm_loss", _loss_family(large=False, informative=_svm_informative),   # until
            FORWARD_BACKWARD, Calls("svm_loss", ("x", "y"), loss=True), optional=True),  # ~2023
        # assignment 3: an assignment 2 checkout has no rnn_layers.py (left out, said so)
        *(_op(name, family, outputs, calls, module=rnn.MODULE, twins=RNN_TWINS, optional=True)
          for name, family, outputs, calls in rnn.OPS),
    ]
}
ASSIGNMENT2_OPS = tuple(name for name, spec in CS231N_OPS.items() if spec.module == "layers")


# CS231n's years: before 2018 the handout's dropout_forward says "We drop each neuron output
# with probability p"; from 2018 on "We keep each neuron output with probability p".
# Assignment 3's checkout holds rnn_layers.py and, until 2020, the course's own complete
# layers.py (no convolution): its students write only rnn_layers.py.
ASSIGNMENT3 = "only rnn_layers.py is the student's: assignment 2's ops are not checked"
# In every year's rnn_layers.py the temporal affine layer and the temporal softmax loss are
# the course's own, complete (no TODO): an assignment 3 checkout is not asked to write them.
COURSE_GIVEN = ("cs231n:temporal_affine", "cs231n:temporal_softmax_loss")
GIVEN_NOTE = ("temporal_affine_forward/backward and temporal_softmax_loss are the course's "
              "own code in rnn_layers.py: not checked (a library's own are: --edition 2018+)")
EDITIONS = (
    Edition("2018+", "CS231n 2018 and later: dropout's p is the probability of keeping a unit"),
    Edition("a3", "CS231n assignment 3 (rnn_layers.py, beside the course's layers.py)",
            (Marker(rnn.MODULE), Marker("layers", name="conv_forward_naive", present=False)),
            leaves_out=ASSIGNMENT2_OPS + COURSE_GIVEN, notes=(ASSIGNMENT3, GIVEN_NOTE)),
    Edition("a3-2021", "CS231n assignment 3 without layers.py (from 2021 on, or a checkout "
                       "of rnn_layers.py alone)",
            (Marker(rnn.MODULE), Marker("layers", present=False)),
            leaves_out=ASSIGNMENT2_OPS + COURSE_GIVEN, notes=(ASSIGNMENT3, GIVEN_NOTE)),
    Edition("2017", "CS231n up to 2017: dropout's p drops a unit (the docstring) or keeps it "
                    "(the notebook)",
            (Marker("layers", text=r"[Ww]e drop each neuron output with probability p"),),
            fixed={"cs231n:dropout": {"p_means": "either"}},
            notes=("dropout's p: the handout's docstring drops each unit with probability p, "
                   "its notebook keeps it with p; either reading passes, and the report says "
                   "which one the units kept show",)),
)

def uses(spec: OpSpec, case: Case) -> frozenset[str]:
    """The ops a case of `spec` calls (`harness.core.api.Api.uses`): the recurrent steps."""
    name = spec.name.partition(":")[2]
    return frozenset(f"{API}:{step}" for step in rnn.USES.get(name, ()))


def _formulas() -> Mapping[str, tuple[Formula, ...]]:
    """CS231n's wrong formulas, imported when a diagnosis first needs them (never in the
    sandboxed child: they are answers)."""
    from harness.apis.cs231n.formulas import CATALOGUE
    return CATALOGUE


def _layer_rules() -> Mapping[str, tuple[Rule, ...]]:
    """HW6's layer rules for CS231n's conv2d and max pooling, in CS231n's layout."""
    from harness.apis.cs231n.layouts import bridged_rules
    return bridged_rules()


SPEC = Api(API, "CS231n assignments 2 and 3 (layers.py, rnn_layers.py)", "cs231n",
           ("layers", rnn.MODULE), BUNDLED_DIR / "cs231n",
           ("cs231n/layers.py", "layers.py", f"cs231n/{rnn.MODULE}.py", f"{rnn.MODULE}.py"),
           LibraryLoader("cs231n", "layers", (rnn.MODULE,), bundled=str(BUNDLED_DIR / "cs231n")),
           ops=CS231N_OPS, formulas=_formulas, layer_rules=_layer_rules, editions=EDITIONS,
           uses=uses,
           rubric=Path(__file__).resolve().parents[2] / "rubrics" / "cs231n.toml")
