"""Seeded test cases: parameters, readable IDs, and the input arrays rebuilt from them.

A case is an op name, its parameters and a data seed. Its ID spells all three out, e.g.
``conv2d/n=2,h=5,w=7,cin=3,cout=4,k=3x2,s=2,pad=same,act=relu,seed=81234``, and
`Case.from_id` rebuilds exactly the same case, so the inputs are identical on any machine.

How parameters are sampled and how inputs are made is defined per *family* of ops (dense,
conv, pool, ...); the registry says which family each op belongs to.

Inputs are informative: continuous random values (so ReLU never sits exactly at 0 and max-pool
windows never tie), biases that are not zero, and upstream gradients that reach every element.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

Params = dict[str, object]

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
PADS = ("same", "valid", 0, 1, 2)
IMAGE_AXES = ("n", "row", "col", "ch")


# ---------------------------------------------------------------- parameter <-> text
def _format_value(v: object) -> str:
    if isinstance(v, tuple):
        return "x".join(str(x) for x in v)
    return str(v)


def _parse_value(text: str) -> object:
    if text.lstrip("-").isdigit():
        return int(text)
    parts = text.split("x")
    if len(parts) > 1 and all(p.isdigit() for p in parts):
        return tuple(int(p) for p in parts)
    return text


@dataclass(frozen=True)
class Case:
    op: str
    params: tuple[tuple[str, object], ...]
    seed: int

    @property
    def p(self) -> Params:
        return dict(self.params)

    @property
    def id(self) -> str:
        body = ",".join(f"{k}={_format_value(v)}" for k, v in self.params)
        return f"{self.op}/{body},seed={self.seed}"

    @classmethod
    def make(cls, op: str, params: Params, seed: int) -> Case:
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
        if "seed" not in params or not isinstance(params["seed"], int):
            raise ValueError(f"case ID {case_id!r} has no integer seed=N at the end")
        seed = params.pop("seed")
        return cls.make(op, params, seed)

    def replace(self, **changes: object) -> Case:
        """The same case with some parameters changed (used by shrinking and diagnosis)."""
        params = self.p
        params.update(changes)
        return Case.make(self.op, params, self.seed)


# ---------------------------------------------------------------- padding arithmetic
def pad_amount(pad: object, kernel: int) -> int:
    """The contract's symmetric padding for one spatial dimension."""
    if pad == "same":
        return (kernel - 1) // 2
    if pad == "valid":
        return 0
    return int(pad)  # type: ignore[arg-type]


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
    """

    sample: Callable[[np.random.Generator, Params], Params]
    edge_cases: Callable[[Params], list[Params]]
    ctor: Callable[[Params, Params], Params]
    inputs: Callable[[Params, np.random.Generator], dict[str, np.ndarray]]
    axes: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0) -> np.ndarray:
    return rng.standard_normal(shape) * scale


# Elementwise activations: Z of shape (n, d) or NHWC.
def _ew_sample(rng: np.random.Generator, fixed: Params) -> Params:
    if rng.random() < 0.5:
        return {"shape": (int(rng.integers(1, 6)), int(rng.integers(1, 9)))}
    return {"shape": tuple(int(x) for x in rng.integers(1, 5, size=4))}


def _ew_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = p["shape"]
    return {"Z": _normal(rng, shape, 2.0), "dY": _normal(rng, shape)}


ELEMENTWISE = Family(
    sample=_ew_sample,
    edge_cases=lambda fixed: [{"shape": (1, 1)}, {"shape": (1, 3, 2, 2)}],
    ctor=lambda p, fixed: {},
    inputs=_ew_inputs,
)


# SoftMax over the last axis of (n, classes). scale=large adds 1000 to every logit: the output
# is unchanged, but a softmax that does not subtract the row maximum overflows.
def _softmax_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = (p["n"], p["classes"])
    Z = _normal(rng, shape, 1.5) + (1000.0 if p["scale"] == "large" else 0.0)
    return {"Z": Z, "dY": _normal(rng, shape)}


SOFTMAX = Family(
    sample=lambda rng, fixed: {
        "n": int(rng.integers(1, 7)),
        "classes": int(rng.integers(2, 11)),
        "scale": "large" if rng.random() < 0.2 else "normal",
    },
    edge_cases=lambda fixed: [
        {"n": 3, "classes": 4, "scale": "large"},
        {"n": 1, "classes": 2, "scale": "normal"},
    ],
    ctor=lambda p, fixed: {},
    inputs=_softmax_inputs,
    axes={"forward": ("n", "class"), "dX": ("n", "class")},
)


# FullyConnected: X (n, n_in) @ W (n_in, n_out) + b (1, n_out), then the activation.
def _dense_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, n_in, n_out = p["n"], p["n_in"], p["n_out"]
    return {
        "X": _normal(rng, (n, n_in)),
        "W": _normal(rng, (n_in, n_out), 1.0 / np.sqrt(n_in)),
        "b": _normal(rng, (1, n_out), 0.5),
        "dY": _normal(rng, (n, n_out)),
    }


DENSE = Family(
    sample=lambda rng, fixed: {
        "n": int(rng.integers(1, 7)),
        "n_in": int(rng.integers(1, 9)),
        "n_out": int(rng.integers(1, 9)),
        "act": str(rng.choice(ACTIVATIONS + ("softmax",))),
    },
    edge_cases=lambda fixed: [
        {"n": 1, "n_in": 3, "n_out": 2, "act": "linear"},
        {"n": 4, "n_in": 1, "n_out": 1, "act": "relu"},
        {"n": 3, "n_in": 5, "n_out": 4, "act": "softmax"},
    ],
    ctor=lambda p, fixed: {"n_out": p["n_out"], "activation": p["act"]},
    inputs=_dense_inputs,
    axes={
        "forward": ("n", "unit"),
        "dX": ("n", "feature"),
        "dW": ("in", "out"),
        "db": ("_", "out"),
    },
)


# Conv2D: NHWC input, W (kh, kw, cin, cout), b (1, cout).
def _spatial_sample(rng: np.random.Generator, max_pad_below_kernel: bool) -> Params:
    """Kernel, stride, padding and an input size that gives at least a 1x1 output."""
    while True:
        kh, kw = (int(x) for x in rng.integers(1, 6, size=2))
        s = int(rng.integers(1, 4))
        pad = PADS[int(rng.integers(len(PADS)))]
        h, w = (int(x) for x in rng.integers(1, 10, size=2))
        pads = (pad_amount(pad, kh), pad_amount(pad, kw))
        if max_pad_below_kernel and (pads[0] >= kh or pads[1] >= kw):
            continue
        if out_size(h, kh, s, pad) >= 1 and out_size(w, kw, s, pad) >= 1:
            return {"h": h, "w": w, "k": (kh, kw), "s": s, "pad": pad}


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


def _conv_edge(n=2, h=5, w=5, cin=2, cout=3, k=(3, 3), s=1, pad="same", act="linear") -> Params:
    return {"n": n, "h": h, "w": w, "cin": cin, "cout": cout, "k": k, "s": s, "pad": pad,
            "act": act}


def _conv_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, h, w, cin, cout = p["n"], p["h"], p["w"], p["cin"], p["cout"]
    kh, kw = p["k"]
    oh, ow = out_size(h, kh, p["s"], p["pad"]), out_size(w, kw, p["s"], p["pad"])
    return {
        "X": _normal(rng, (n, h, w, cin)),
        "W": _normal(rng, (kh, kw, cin, cout), 1.0 / np.sqrt(kh * kw * cin)),
        "b": _normal(rng, (1, cout), 0.5),
        "dY": _normal(rng, (n, oh, ow, cout)),
    }


CONV = Family(
    sample=_conv_sample,
    edge_cases=lambda fixed: [
        _conv_edge(k=(1, 1), pad="valid"),                    # kernel 1
        _conv_edge(h=7, w=7, k=(2, 2), s=3, pad="valid"),     # stride > kernel
        _conv_edge(k=(2, 4), pad="same", act="relu"),         # even kernel with "same"
        _conv_edge(h=3, w=3, k=(3, 3), pad="valid"),          # 1x1 output
        _conv_edge(n=1, h=4, w=7, k=(3, 2), s=2, pad=1, act="tanh"),  # batch 1, non-square
    ],
    ctor=lambda p, fixed: {
        "n_out": p["cout"], "kernel_shape": tuple(p["k"]), "activation": p["act"],
        "stride": p["s"], "pad": p["pad"],
    },
    inputs=_conv_inputs,
    axes={
        "forward": IMAGE_AXES, "dX": IMAGE_AXES,
        "dW": ("kh", "kw", "cin", "cout"), "db": ("_", "cout"),
    },
)


# Pool2D: NHWC in and out; max pooling keeps padding below the kernel size so that no window
# lies wholly in the padding (its maximum would be the padding value itself).
def _pool_sample(rng: np.random.Generator, fixed: Params) -> Params:
    sp = _spatial_sample(rng, max_pad_below_kernel=True)
    return {"n": int(rng.integers(1, 4)), "h": sp["h"], "w": sp["w"],
            "c": int(rng.integers(1, 5)), "k": sp["k"], "s": sp["s"], "pad": sp["pad"]}


def _pool_edge(n=2, h=5, w=5, c=2, k=(2, 2), s=2, pad=0) -> Params:
    return {"n": n, "h": h, "w": w, "c": c, "k": k, "s": s, "pad": pad}


def _pool_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    kh, kw = p["k"]
    oh, ow = out_size(p["h"], kh, p["s"], p["pad"]), out_size(p["w"], kw, p["s"], p["pad"])
    return {"X": _normal(rng, (p["n"], p["h"], p["w"], p["c"])),
            "dY": _normal(rng, (p["n"], oh, ow, p["c"]))}


POOL = Family(
    sample=_pool_sample,
    edge_cases=lambda fixed: [
        _pool_edge(k=(1, 1), s=1),                  # kernel 1
        _pool_edge(h=7, w=7, k=(2, 2), s=3),        # stride > kernel
        _pool_edge(k=(2, 2), s=1, pad="same"),      # even kernel with "same"
        _pool_edge(h=3, w=3, k=(3, 3), s=1),        # 1x1 output
        _pool_edge(n=1, h=4, w=6, k=(3, 2), s=1, pad=1),  # batch 1, non-square, padded
    ],
    ctor=lambda p, fixed: {"kernel_shape": tuple(p["k"]), "mode": fixed["mode"],
                           "stride": p["s"], "pad": p["pad"]},
    inputs=_pool_inputs,
    axes={"forward": IMAGE_AXES, "dX": IMAGE_AXES},
)


# Flatten: (n, ...) -> (n, -1) and back.
def _flatten_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = p["shape"]
    flat = (shape[0], int(np.prod(shape[1:])))
    return {"X": _normal(rng, shape), "dY": _normal(rng, flat)}


FLATTEN = Family(
    sample=lambda rng, fixed: {"shape": tuple(int(x) for x in rng.integers(1, 6, size=4))},
    edge_cases=lambda fixed: [{"shape": (1, 1, 1, 1)}, {"shape": (3, 2, 4, 5)}],
    ctor=lambda p, fixed: {"keep_dim": "first"},
    inputs=_flatten_inputs,
    axes={"forward": ("n", "feature"), "dX": IMAGE_AXES},
)


# Losses: Y one-hot targets, Y_hat softmax probabilities (cross-entropy) or any reals (L2).
def _loss_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, k = p["n"], p["classes"]
    if p["target"] == "onehot":
        Y = np.eye(k)[rng.integers(0, k, size=n)]
        logits = _normal(rng, (n, k))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        Y_hat = e / e.sum(axis=1, keepdims=True)
    else:
        Y, Y_hat = _normal(rng, (n, k)), _normal(rng, (n, k))
    return {"Y": Y, "Y_hat": Y_hat}


LOSS = Family(
    sample=lambda rng, fixed: {"n": int(rng.integers(1, 9)), "classes": int(rng.integers(2, 8)),
                               "target": fixed["target"]},
    edge_cases=lambda fixed: [{"n": 1, "classes": 2, "target": fixed["target"]},
                              {"n": 7, "classes": 3, "target": fixed["target"]}],
    ctor=lambda p, fixed: {"name": fixed["name"]},
    inputs=_loss_inputs,
    axes={"forward": (), "dX": ("n", "class")},
)


# ---------------------------------------------------------------- generation
def data_seed(master_seed: int, op: str, index: int) -> int:
    """A stable per-case data seed, independent of Python's hash randomisation."""
    return zlib.crc32(f"{master_seed}:{op}:{index}".encode()) % 1_000_000


def iter_cases(op: str, family: Family, fixed: Params, count: int, seed: int) -> Iterator[Case]:
    """`count` cases of `op`: the family's edge cases first, then random ones."""
    rng = np.random.default_rng(data_seed(seed, op, -1))
    edges = family.edge_cases(fixed)
    for i in range(count):
        params = edges[i] if i < len(edges) else family.sample(rng, fixed)
        yield Case.make(op, params, data_seed(seed, op, i))


def build_inputs(family: Family, case: Case) -> dict[str, np.ndarray]:
    """The case's input arrays; the same on every call and every machine."""
    return family.inputs(case.p, np.random.default_rng(case.seed))
