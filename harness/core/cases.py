"""Seeded test cases: parameters, readable IDs, and the input arrays rebuilt from them.

A case is an op name, its parameters and a data seed. Its ID spells all three out, e.g.
``conv2d/n=2,h=5,w=7,cin=3,cout=4,k=3x2,s=2,pad=same,act=relu,seed=81234``, and
`Case.from_id` rebuilds exactly the same case, so the inputs are identical on any machine.

How parameters are sampled and how inputs are made is defined per *family* of ops (dense,
conv, pool, ...); the registry says which family each op belongs to.

Inputs are informative: continuous random values (so ReLU never sits exactly at 0 and max-pool
windows never tie), biases that are not zero, and upstream gradients that reach every element.

Cases follow the assignment's contract (the HW6 starter code's docstrings), not a wider one:
L2's targets are (batch_size, 1), SoftMax is over the last axis of (batch, classes) with at
least two classes, padding is "same" | "valid" | an int. Cases beyond the contract are drawn
only when a profile asks for them (`harness.core.conventions.EXTENSIONS`, applied by
`for_profile`). A family's `valid` says which parameter sets it can build: shrinking and
ablation propose nothing else, and `build_inputs` raises `UnbuildableCase` for the rest.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol, SupportsIndex, SupportsInt, TypeVar

import numpy as np

from harness.core.conventions import Profile

# The value of one case parameter: an int (a size, a count, a stride, a padding), a text (an
# activation, "same", a layers stack, a number read back from a case ID: "0.1"), a tuple of
# ints (a shape, a kernel: "3x2" in an ID) or a float (dropout's keep probability, as sampled;
# it reads back from an ID as text). An ID reads back as int, text or tuple (`_parse_value`).
ParamValue = int | float | str | tuple[int, ...]
Params = dict[str, ParamValue]
# A family's constructor arguments (`Family.ctor`): whatever the contract's class or function
# takes, nested lists and dicts included (a whole model's layer_args).
Kwargs = dict[str, object]

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
PADS = ("same", "valid", 0, 1, 2)
IMAGE_AXES = ("n", "row", "col", "ch")
# The spatial axes of an image, by layout: HW6's NHWC (row, col), CS231n's NCHW (h, w).
SPATIAL_AXES = (("row", "col"), ("h", "w"))


# ---------------------------------------------------------------- parameter <-> text
def _format_value(v: ParamValue) -> str:
    if isinstance(v, tuple):
        return "x".join(str(x) for x in v)
    return str(v)


def _parse_value(text: str) -> int | tuple[int, ...] | str:
    if text.lstrip("-").isdigit():
        return int(text)
    parts = text.split("x")
    if len(parts) > 1 and all(p.isdigit() for p in parts):
        return tuple(int(p) for p in parts)
    return text


@dataclass(frozen=True)
class Case:
    op: str
    params: tuple[tuple[str, ParamValue], ...]
    seed: int

    @property
    def p(self) -> Params:
        return dict(self.params)

    @property
    def id(self) -> str:
        body = ",".join(f"{k}={_format_value(v)}" for k, v in self.params)
        return f"{self.op}/{body},seed={self.seed}"

    @classmethod
    def make(cls, op: str, params: Mapping[str, ParamValue], seed: int) -> Case:
        return cls(op, tuple(params.items()), int(seed))

    @classmethod
    def from_id(cls, case_id: str) -> Case:
        """Parse an ID made by `Case.id`; raises ValueError with what is wrong."""
        op, sep, body = case_id.strip().partition("/")
        if not sep or not body:
            raise ValueError(f"case ID {case_id!r} should look like 'op/key=value,...,seed=N'")
        params: Params = {}
        for item in body.split(","):
            key, eq, value = item.partition("=")
            if not eq:
                raise ValueError(f"case ID {case_id!r}: {item!r} is not key=value")
            params[key] = _parse_value(value)
        seed = params.pop("seed", None)
        if not isinstance(seed, int):
            raise ValueError(f"case ID {case_id!r} has no integer seed=N at the end")
        return cls.make(op, params, seed)

    def replace(self, **changes: object) -> Case:
        """The same case with some parameters changed (used by shrinking and diagnosis);
        TypeError for a value no case parameter can have (`param_value`)."""
        params = self.p
        params.update({key: param_value(value) for key, value in changes.items()})
        return Case.make(self.op, params, self.seed)


# ---------------------------------------------------------------- typed parameter reads
def param_value(value: object) -> ParamValue:
    """`value` as a case parameter's value; TypeError when it cannot be one."""
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return tuple(v for v in value if isinstance(v, int))
    raise TypeError(f"{value!r} cannot be a case parameter (an int, float, text or tuple of "
                    "ints)")


def param_int(p: Mapping[str, ParamValue], key: str) -> int:
    """The parameter `key` (a size, a count, a stride), which must be an int: TypeError
    otherwise, KeyError when the case has none."""
    value = p[key]
    if isinstance(value, int):
        return value
    raise TypeError(f"parameter {key}={value!r} is not an integer")


def param_ints(p: Mapping[str, ParamValue], key: str) -> tuple[int, ...]:
    """The parameter `key` (a shape, a kernel), which must be a tuple of ints: TypeError
    otherwise, KeyError when the case has none."""
    value = p[key]
    if isinstance(value, tuple):
        return value
    raise TypeError(f"parameter {key}={value!r} is not a tuple of integers")


def as_int(value: ParamValue) -> int:
    """``int(value)`` of a parameter that is a number or a number's text ("3"); TypeError for
    a tuple, as ``int`` raises."""
    if isinstance(value, tuple):
        raise TypeError(f"int() argument must be a string, a bytes-like object or a real "
                        f"number, not 'tuple' ({value!r})")
    return int(value)


def as_float(value: ParamValue) -> float:
    """``float(value)`` of a parameter that is a number or a number's text ("0.1");
    TypeError for a tuple, as ``float`` raises."""
    if isinstance(value, tuple):
        raise TypeError(f"float() argument must be a string or a real number, not 'tuple' "
                        f"({value!r})")
    return float(value)


# ---------------------------------------------------------------- padding arithmetic
def pad_amount(pad: object, kernel: int) -> int:
    """The contract's symmetric padding for one spatial dimension. `pad` is "same", "valid"
    or an int (what ``int()`` reads: a case parameter, a `LayerSpec`'s pad); TypeError for
    anything ``int()`` cannot read."""
    if pad == "same":
        return (kernel - 1) // 2
    if pad == "valid":
        return 0
    if isinstance(pad, str | bytes | bytearray | SupportsInt | SupportsIndex):
        return int(pad)
    raise TypeError(f"int() argument must be a string, a bytes-like object or a real number, "
                    f"not {type(pad).__name__!r} (padding {pad!r})")


def out_size(size: int, kernel: int, stride: int, pad: object) -> int:
    return (size + 2 * pad_amount(pad, kernel) - kernel) // stride + 1


# ---------------------------------------------------------------- families
@dataclass(frozen=True)
class Family:
    """How to sample, name and build the cases of a group of ops.

    sample(rng, fixed) -> params          a random, valid parameter set
    edge_cases(fixed) -> [params]         deterministic edge cases, emitted first
    ctor(params, fixed) -> kwargs         constructor arguments of the contract class
    inputs(params, rng) -> {name: array}  the input arrays
    axes: output name -> axis names       for locating elements ("n=1 row=3 col=0 ch=2")
    valid(params) -> bool                 whether a parameter set is a case this family can
                                          build with informative inputs; shrinking and
                                          ablation propose only these (every sampled and
                                          edge case is valid: tests/test_cases.py)
    informative(params, inputs) -> bool   False: draw the inputs again (ReLU all dead, ...)
    shrink: parameter names               the ones shrinking simplifies, in the order it
                                          visits them: what changes a case's meaning
                                          first, sizes after (harness.diagnosis.shrink)
    simplest: name -> value               a parameter's simplest value where it is not 1:
                                          a word ("linear"), or the floor of its integers
    """

    sample: Callable[[np.random.Generator, Params], Params]
    edge_cases: Callable[[Params], list[Params]]
    ctor: Callable[[Params, Params], Kwargs]
    inputs: Callable[[Params, np.random.Generator], dict[str, np.ndarray]]
    axes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    valid: Callable[[Params], bool] = lambda params: True
    informative: Callable[[Params, dict[str, np.ndarray]], bool] = lambda p, x: True
    shrink: tuple[str, ...] = ()
    simplest: Mapping[str, ParamValue] = field(default_factory=dict)


# ---------------------------------------------------------------- informative inputs
def _relu_informative(Z: np.ndarray) -> bool:
    """Some units alive and, when there are a few distinct ones, some dead: both branches of
    the derivative get tested. (Z is constant when every window lies in the padding.)"""
    alive = bool((Z > 0).any())
    return alive and (Z.size < 4 or bool((Z < 0).any()) or bool(np.ptp(Z) == 0))


def _softmax_unsaturated(Z: np.ndarray) -> bool:
    """No row puts (almost) all its mass on one class, where every gradient vanishes."""
    e = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return bool((e / e.sum(axis=-1, keepdims=True)).max() < 0.999)


def _activation_informative(act: ParamValue, preactivation: Callable[[], np.ndarray]) -> bool:
    """Whether Z = preactivation() is informative for `act` (computed only when it matters)."""
    if act == "relu":
        return _relu_informative(preactivation())
    if act == "softmax":
        return _softmax_unsaturated(preactivation())
    return True


def _normal(rng: np.random.Generator, shape: int | tuple[int, ...], scale: float = 1.0
            ) -> np.ndarray:
    return rng.standard_normal(shape) * scale


# Elementwise activations: Z of shape (n, d) or NHWC.
def _ew_sample(rng: np.random.Generator, fixed: Params) -> Params:
    if rng.random() < 0.5:
        return {"shape": (int(rng.integers(1, 6)), int(rng.integers(1, 9)))}
    return {"shape": tuple(int(x) for x in rng.integers(1, 5, size=4))}


def _ew_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = p["shape"]
    if not isinstance(shape, int | tuple):   # an int is a 1-D case, as NumPy reads it
        raise TypeError(f"parameter shape={shape!r} is not a shape")
    return {"Z": _normal(rng, shape, 2.0), "dY": _normal(rng, shape)}


ELEMENTWISE = Family(
    shrink=("shape",),
    sample=_ew_sample,
    edge_cases=lambda fixed: [{"shape": (1, 1)}, {"shape": (1, 3, 2, 2)}],
    ctor=lambda p, fixed: {},
    inputs=_ew_inputs,
    informative=lambda p, x: _relu_informative(x["Z"]),
)


# SoftMax over the last axis of (n, classes). scale=large adds 1000 to every logit: the output
# is unchanged, but a softmax that does not subtract the row maximum overflows. scale=mixed
# adds 800·i to row i: each row is still an ordinary softmax, but one shift for the whole
# batch (its maximum) underflows every row but the last to 0/0.
SOFTMAX_OFFSETS = {"normal": 0.0, "large": 1000.0, "mixed": 800.0}


def _softmax_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = (param_int(p, "n"), param_int(p, "classes"))
    offset = SOFTMAX_OFFSETS[str(p["scale"])]
    rows = np.arange(shape[0])[:, None] if p["scale"] == "mixed" else 1.0
    return {"Z": _normal(rng, shape, 1.5) + offset * rows, "dY": _normal(rng, shape)}


def _softmax_sample(rng: np.random.Generator, fixed: Params) -> Params:
    n, classes, r = int(rng.integers(1, 7)), int(rng.integers(2, 11)), rng.random()
    scale = "large" if r < 0.2 else "mixed" if r < 0.3 and n > 1 else "normal"
    return {"n": n, "classes": classes, "scale": scale}


SOFTMAX = Family(
    shrink=("scale", "n", "classes"),
    simplest={"scale": "normal"},
    sample=_softmax_sample,
    edge_cases=lambda fixed: [
        {"n": 3, "classes": 4, "scale": "large"},
        {"n": 1, "classes": 2, "scale": "normal"},
        {"n": 3, "classes": 3, "scale": "mixed"},
    ],
    ctor=lambda p, fixed: {},
    inputs=_softmax_inputs,
    axes={"forward": ("n", "class"), "dX": ("n", "class")},
    informative=lambda p, x: _softmax_unsaturated(x["Z"]),
    valid=lambda p: param_int(p, "classes") >= 2 and str(p["scale"]) in SOFTMAX_OFFSETS
    and (p["scale"] != "mixed" or param_int(p, "n") > 1),
)


# FullyConnected: X (n, n_in) @ W (n_in, n_out) + b (1, n_out), then the activation.
def _dense_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, n_in, n_out = param_int(p, "n"), param_int(p, "n_in"), param_int(p, "n_out")
    return {
        "X": _normal(rng, (n, n_in)),
        "W": _normal(rng, (n_in, n_out), 1.0 / np.sqrt(n_in)),
        "b": _normal(rng, (1, n_out), 0.5),
        "dY": _normal(rng, (n, n_out)),
    }


# A softmax over one unit is the constant 1 and its Jacobian is 0: nothing about SoftMax (or
# the layer's use of it) can be learnt there, and no draw is informative. Not a case.
MIN_UNITS = {"softmax": 2}


def _dense_sample(rng: np.random.Generator, fixed: Params) -> Params:
    act = str(rng.choice(ACTIVATIONS + ("softmax",)))
    return {
        "n": int(rng.integers(1, 7)),
        "n_in": int(rng.integers(1, 9)),
        "n_out": int(rng.integers(MIN_UNITS.get(act, 1), 9)),
        "act": act,
    }


def _dense_valid(p: Params) -> bool:
    return (min(param_int(p, "n"), param_int(p, "n_in"), param_int(p, "n_out")) >= 1
            and param_int(p, "n_out") >= MIN_UNITS.get(str(p["act"]), 1))


DENSE = Family(
    shrink=("act", "n", "n_in", "n_out"),
    simplest={"act": "linear"},
    sample=_dense_sample,
    edge_cases=lambda fixed: [
        {"n": 1, "n_in": 3, "n_out": 2, "act": "linear"},
        {"n": 4, "n_in": 1, "n_out": 1, "act": "relu"},
        {"n": 3, "n_in": 5, "n_out": 4, "act": "softmax"},
    ],
    ctor=lambda p, fixed: {"n_out": p["n_out"], "activation": p["act"]},
    inputs=_dense_inputs,
    informative=lambda p, x: _activation_informative(
        p["act"], lambda: x["X"] @ x["W"] + x["b"]),
    axes={
        "forward": ("n", "unit"),
        "dX": ("n", "feature"),
        "dW": ("in", "out"),
        "db": ("_", "out"),
    },
    valid=_dense_valid,
)


# Conv2D: NHWC input, W (kh, kw, cin, cout), b (1, cout).
def spatial_ok(p: Params, max_pad_below_kernel: bool) -> bool:
    """At least a 1x1 output, and (for max pooling) padding below the kernel size."""
    (kh, kw), s, pad = param_ints(p, "k"), param_int(p, "s"), p["pad"]
    if min(kh, kw, s, param_int(p, "h"), param_int(p, "w")) < 1:
        return False
    if max_pad_below_kernel and (pad_amount(pad, kh) >= kh or pad_amount(pad, kw) >= kw):
        return False
    return (out_size(param_int(p, "h"), kh, s, pad) >= 1
            and out_size(param_int(p, "w"), kw, s, pad) >= 1)


def _spatial_sample(rng: np.random.Generator, max_pad_below_kernel: bool) -> Params:
    """Kernel, stride, padding and an input size that gives at least a 1x1 output."""
    while True:
        kh, kw = (int(x) for x in rng.integers(1, 6, size=2))
        s = int(rng.integers(1, 4))
        pad = PADS[int(rng.integers(len(PADS)))]
        h, w = (int(x) for x in rng.integers(1, 10, size=2))
        params: Params = {"h": h, "w": w, "k": (kh, kw), "s": s, "pad": pad}
        if spatial_ok(params, max_pad_below_kernel):
            return params


def _conv_sample(rng: np.random.Generator, fixed: Params) -> Params:
    sp = _spatial_sample(rng, max_pad_below_kernel=False)
    return {
        "n": int(rng.integers(1, 4)),
        "h": sp["h"],
        "w": sp["w"],
        "cin": int(rng.integers(1, 5)),
        "cout": int(rng.integers(1, 5)),
        "k": sp["k"],
        "s": sp["s"],
        "pad": sp["pad"],
        "act": str(rng.choice(ACTIVATIONS)),
    }


def _conv_edge(n: int = 2, h: int = 5, w: int = 5, cin: int = 2, cout: int = 3,
               k: tuple[int, int] = (3, 3), s: int = 1, pad: int | str = "same",
               act: str = "linear") -> Params:
    return {"n": n, "h": h, "w": w, "cin": cin, "cout": cout, "k": k, "s": s, "pad": pad,
            "act": act}


def _conv_informative(p: Params, x: dict[str, np.ndarray]) -> bool:
    from harness.core.informative import conv_preactivation  # parent-only: see that module
    (kh, kw), pad = param_ints(p, "k"), p["pad"]
    pads = (pad_amount(pad, kh), pad_amount(pad, kw))
    return _activation_informative(p["act"], lambda: conv_preactivation(
        x, (kh, kw), param_int(p, "s"), pads))


def _conv_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, h, w = param_int(p, "n"), param_int(p, "h"), param_int(p, "w")
    cin, cout = param_int(p, "cin"), param_int(p, "cout")
    kh, kw = param_ints(p, "k")
    s = param_int(p, "s")
    oh, ow = out_size(h, kh, s, p["pad"]), out_size(w, kw, s, p["pad"])
    return {
        "X": _normal(rng, (n, h, w, cin)),
        "W": _normal(rng, (kh, kw, cin, cout), 1.0 / np.sqrt(kh * kw * cin)),
        "b": _normal(rng, (1, cout), 0.5),
        "dY": _normal(rng, (n, oh, ow, cout)),
    }


CONV = Family(
    shrink=("act", "n", "cin", "cout", "k", "s", "pad", "h", "w"),
    simplest={"act": "linear", "pad": 0},
    sample=_conv_sample,
    edge_cases=lambda fixed: [
        _conv_edge(k=(1, 1), pad="valid"),                    # kernel 1
        _conv_edge(h=7, w=7, k=(2, 2), s=3, pad="valid"),     # stride > kernel
        _conv_edge(k=(2, 4), pad="same", act="relu"),         # even kernel with "same"
        _conv_edge(h=3, w=3, k=(3, 3), pad="valid"),          # 1x1 output
        _conv_edge(n=1, h=4, w=7, k=(3, 2), s=2, pad=1, act="tanh"),  # batch 1, non-square
    ],
    ctor=lambda p, fixed: {
        "n_out": p["cout"], "kernel_shape": tuple(param_ints(p, "k")), "activation": p["act"],
        "stride": p["s"], "pad": p["pad"],
    },
    inputs=_conv_inputs,
    informative=_conv_informative,
    axes={
        "forward": IMAGE_AXES, "dX": IMAGE_AXES,
        "dW": ("kh", "kw", "cin", "cout"), "db": ("_", "cout"),
    },
    valid=lambda p: spatial_ok(p, max_pad_below_kernel=False),
)


# Pool2D: NHWC in and out; max pooling keeps padding below the kernel size so that no window
# lies wholly in the padding (its maximum would be the padding value itself).
def _pool_sample(rng: np.random.Generator, fixed: Params) -> Params:
    sp = _spatial_sample(rng, max_pad_below_kernel=True)
    return {"n": int(rng.integers(1, 4)), "h": sp["h"], "w": sp["w"],
            "c": int(rng.integers(1, 5)), "k": sp["k"], "s": sp["s"], "pad": sp["pad"]}


def _pool_edge(n: int = 2, h: int = 5, w: int = 5, c: int = 2, k: tuple[int, int] = (2, 2),
               s: int = 2, pad: int | str = 0) -> Params:
    return {"n": n, "h": h, "w": w, "c": c, "k": k, "s": s, "pad": pad}


def _pool_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    kh, kw = param_ints(p, "k")
    n, h, w, c, s = (param_int(p, key) for key in ("n", "h", "w", "c", "s"))
    oh, ow = out_size(h, kh, s, p["pad"]), out_size(w, kw, s, p["pad"])
    return {"X": _normal(rng, (n, h, w, c)),
            "dY": _normal(rng, (n, oh, ow, c))}


POOL = Family(
    shrink=("n", "c", "k", "s", "pad", "h", "w"),
    simplest={"pad": 0},
    sample=_pool_sample,
    edge_cases=lambda fixed: [
        _pool_edge(k=(1, 1), s=1),                  # kernel 1
        _pool_edge(h=7, w=7, k=(2, 2), s=3),        # stride > kernel
        _pool_edge(k=(2, 2), s=1, pad="same"),      # even kernel with "same"
        _pool_edge(h=3, w=3, k=(3, 3), s=1),        # 1x1 output
        _pool_edge(n=1, h=4, w=6, k=(3, 2), s=1, pad=1),  # batch 1, non-square, padded
        _pool_edge(n=1, h=17, w=17, c=1, k=(17, 17), s=1),  # 289 taps: more than a byte counts
    ],
    ctor=lambda p, fixed: {"kernel_shape": tuple(param_ints(p, "k")), "mode": fixed["mode"],
                           "stride": p["s"], "pad": p["pad"]},
    inputs=_pool_inputs,
    axes={"forward": IMAGE_AXES, "dX": IMAGE_AXES},
    valid=lambda p: spatial_ok(p, max_pad_below_kernel=True),
)


# Flatten: (n, ...) -> (n, -1) and back.
def _flatten_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = param_ints(p, "shape")
    flat = (shape[0], int(np.prod(shape[1:])))
    return {"X": _normal(rng, shape), "dY": _normal(rng, flat)}


FLATTEN = Family(
    shrink=("shape",),
    sample=lambda rng, fixed: {"shape": tuple(int(x) for x in rng.integers(1, 6, size=4))},
    edge_cases=lambda fixed: [{"shape": (1, 1, 1, 1)}, {"shape": (3, 2, 4, 5)}],
    ctor=lambda p, fixed: {"keep_dim": "first"},
    inputs=_flatten_inputs,
    axes={"forward": ("n", "feature"), "dX": IMAGE_AXES},
)


# Losses: Y one-hot targets and Y_hat softmax probabilities of shape (batch, classes) for
# cross-entropy; real Y and Y_hat for L2, of shape (batch_size, 1) under the starter's contract.
# (Over several columns, the mean over all elements and the mean over the batch differ: the
# convention l2_reduction, whose cases only a profile with the extension l2_columns asks for,
# through the option max_classes.) The parameter is called "classes" for both, so that case
# IDs stay the same as before.
def _loss_classes(fixed: Params) -> tuple[int, int]:
    """The (lowest, highest) number of columns of the targets."""
    if fixed["target"] == "onehot":
        return 2, 7  # one class: Y = Y_hat = 1, the loss and its gradient say nothing
    return 1, as_int(fixed.get("max_classes", 1))


def _loss_sample(rng: np.random.Generator, fixed: Params) -> Params:
    low, high = _loss_classes(fixed)
    return {"n": int(rng.integers(1, 9)), "classes": int(rng.integers(low, high + 1)),
            "target": fixed["target"]}


def _loss_edge(fixed: Params) -> list[Params]:
    low, high = _loss_classes(fixed)
    return [{"n": 1, "classes": low, "target": fixed["target"]},
            {"n": 7, "classes": min(3, high), "target": fixed["target"]}]


def _loss_valid(p: Params) -> bool:
    low = 2 if p["target"] == "onehot" else 1
    return param_int(p, "n") >= 1 and param_int(p, "classes") >= low


def _loss_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, k = param_int(p, "n"), param_int(p, "classes")
    if p["target"] == "onehot":
        Y = np.eye(k)[rng.integers(0, k, size=n)]
        logits = _normal(rng, (n, k))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        Y_hat = e / e.sum(axis=1, keepdims=True)
    else:
        Y, Y_hat = _normal(rng, (n, k)), _normal(rng, (n, k))
    return {"Y": Y, "Y_hat": Y_hat}


LOSS = Family(
    shrink=("n", "classes"),
    sample=_loss_sample,
    edge_cases=_loss_edge,
    ctor=lambda p, fixed: {"name": fixed["name"]},
    inputs=_loss_inputs,
    axes={"forward": (), "dX": ("n", "class")},
    valid=_loss_valid,
)


# ---------------------------------------------------------------- profiles
if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    class _SpecLike(DataclassInstance, Protocol):
        """An op spec (`harness.core.opspec.OpSpec`, which imports this module): a dataclass
        with a `name` and the `fixed` parameters of its cases."""

        @property
        def name(self) -> str: ...
        @property
        def fixed(self) -> Params: ...


S = TypeVar("S", bound="_SpecLike")


def for_profile(spec: S, profile: Profile) -> S:
    """An op spec whose cases include those `profile` asks for beyond the contract; `spec`
    itself when it asks for none for this op."""
    options = profile.case_options(spec.name)
    if not options:
        return spec
    return replace(spec, fixed={**spec.fixed, **options})


# ---------------------------------------------------------------- generation
def data_seed(master_seed: int, op: str, index: int) -> int:
    """A stable per-case data seed, independent of Python's hash randomisation."""
    return zlib.crc32(f"{master_seed}:{op}:{index}".encode()) % 1_000_000


# With a filter, the draws looked at for `count` cases (an edition that leaves out most of a
# family's cases gets fewer, never an endless search).
DRAWS_PER_KEPT_CASE, EXTRA_DRAWS = 20, 50


def iter_cases(op: str, family: Family, fixed: Params, count: int, seed: int,
               keep: Callable[[Case], bool] | None = None) -> Iterator[Case]:
    """`count` cases of `op`: the family's edge cases first, then random ones; with `keep`,
    only the cases it keeps (an edition's network cases use only that year's ops), drawn
    from the same stream, so each case is the one its ID names."""
    rng = np.random.default_rng(data_seed(seed, op, -1))
    edges = family.edge_cases(fixed)
    draws = count if keep is None else count * DRAWS_PER_KEPT_CASE + EXTRA_DRAWS
    kept = 0
    for i in range(draws):
        if kept == count:
            return
        params = edges[i] if i < len(edges) else family.sample(rng, fixed)
        case = Case.make(op, params, data_seed(seed, op, i))
        if keep is None or keep(case):
            kept += 1
            yield case


# Optional parameter ``mag``: ``mag=small`` scales the data input (Z or X) down, so that a bug
# which only shows on large values (an overflow, a formula right only near 0) passes.
MAGNITUDES = {"small": 1e-2}
SCALED_INPUTS = ("Z", "X")


MAX_DRAWS = 100


class UnbuildableCase(ValueError):
    """A parameter set its family cannot build: not `valid`, or (a bug in the family) no
    informative inputs in MAX_DRAWS draws."""


def _draw_informative(family: Family, params: Params, seed: int) -> dict[str, np.ndarray]:
    """Draw from the case's seeded stream until the family finds the inputs informative."""
    rng = np.random.default_rng(seed)
    for _ in range(MAX_DRAWS):
        inputs = family.inputs(params, rng)
        if family.informative(params, inputs):
            return inputs
    raise UnbuildableCase(f"no informative inputs for {params} in {MAX_DRAWS} draws")


def build_inputs(family: Family, case: Case) -> dict[str, np.ndarray]:
    """The case's input arrays; the same on every call and every machine.

    Raises UnbuildableCase for a parameter set the family does not accept as a case.
    """
    params = case.p
    try:
        valid = family.valid(params)
    except (TypeError, ValueError) as exc:   # a parameter of the wrong type (t='x')
        raise UnbuildableCase(f"{case.id} is not a case: {exc}") from None
    if not valid:
        raise UnbuildableCase(f"{case.id} is not a case: its parameters are outside what the "
                             f"{case.op} case family builds (its valid() in harness/core/cases.py)")
    inputs = _draw_informative(family, params, case.seed)
    if "mag" in params:
        scale = MAGNITUDES[str(params["mag"])]
        for name in SCALED_INPUTS:
            if name in inputs:
                inputs[name] = inputs[name] * scale
    return inputs
