"""mytorch's case families: the sizes each class is checked at and its input arrays.

Arrays follow mytorch: features (N, C); 1-D signals (N, C, W); images (N, C, H, W), with
H ≠ W (the course's tests use square images only, where a swapped axis goes unseen). Sizes
are small; strides, paddings and factors cover 1–3 and 0–2. Inputs are continuous random
values, so ReLU never sits at 0 and max-pool windows have no ties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from harness.core import cases as c
from harness.core.cases import Family, Params

FEATURES = ("n", "c")
SIGNAL = ("n", "c", "w")
IMAGE = ("n", "c", "h", "w")
Inputs = dict[str, np.ndarray]


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _ints(p: Params, *keys: str) -> tuple[int, ...]:
    return tuple(c.param_int(p, k) for k in keys)


@dataclass(frozen=True)
class Sizes:
    """A family's integer parameters: name -> (low, high) inclusive, and its word parameters:
    name -> the words it takes, sampled uniformly until `valid` holds; `edges` are the
    deterministic cases emitted first."""

    ranges: Mapping[str, tuple[int, int]]
    valid: Callable[[Params], bool] = lambda p: True
    edges: tuple[Mapping[str, int | str], ...] = ()
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # sampled likewise

    def sample(self, rng: np.random.Generator, fixed: Params) -> Params:
        while True:
            p: Params = {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in self.ranges.items()}
            p.update({k: str(rng.choice(list(options))) for k, options in self.words.items()})
            if self.ok(p):
                return {**p, **{k: v for k, v in fixed.items() if k in self.ranges}}

    def ok(self, p: Params) -> bool:
        try:
            return all(c.param_int(p, k) >= lo for k, (lo, _) in self.ranges.items()) \
                and all(p[k] in options for k, options in self.words.items()) \
                and self.valid(p)
        except (KeyError, TypeError):
            return False


def family(sizes: Sizes, inputs: Callable[[Params, np.random.Generator], Inputs],
           ctor: Callable[[Params], dict[str, object]], axes: Mapping[str, tuple[str, ...]],
           informative: Callable[[Params, Inputs], bool] = lambda p, x: True,
           flags: Mapping[str, tuple[str, ...]] | None = None) -> Family:
    """A Family from its sizes. `flags` are word parameters fixed by the op (eval mode)."""
    return Family(
        sample=sizes.sample,
        edge_cases=lambda fixed: [dict(e) for e in sizes.edges],
        ctor=lambda p, fixed: ctor(p),
        inputs=inputs,
        axes=dict(axes),
        valid=sizes.ok,
        informative=informative,
        shrink=(*sizes.words, *sizes.ranges),
        simplest={k: options[0] for k, options in sizes.words.items()},
    )


# ---------------------------------------------------------------- features (N, C)
def _features(p: Params, rng: np.random.Generator) -> Inputs:
    n, k = _ints(p, "n", "c")
    return {"Z": _normal(rng, n, k, scale=2.0), "dLdA": _normal(rng, n, k)}


def _alive(p: Params, x: Inputs) -> bool:
    """Both branches of a ReLU-like derivative are tested."""
    return bool((x["Z"] > 0).any() and (x["Z"] < 0).any())


ACTIVATION = family(Sizes({"n": (1, 5), "c": (2, 6)}, edges=({"n": 3, "c": 4},)),
                    _features, lambda p: {}, {"forward": FEATURES, "dX": FEATURES},
                    informative=_alive)


def _linear(p: Params, rng: np.random.Generator) -> Inputs:
    n, cin, cout = _ints(p, "n", "in_features", "out_features")
    return {"A": _normal(rng, n, cin), "W": _normal(rng, cout, cin, scale=1 / np.sqrt(cin)),
            "b": _normal(rng, cout, 1, scale=0.5), "dLdZ": _normal(rng, n, cout)}


LINEAR = family(Sizes({"n": (1, 5), "in_features": (1, 6), "out_features": (1, 6)},
                      edges=({"n": 4, "in_features": 3, "out_features": 2},)),
                _linear, lambda p: {"in_features": p["in_features"],
                                    "out_features": p["out_features"]},
                {"forward": ("n", "out"), "dX": ("n", "in"), "dW": ("out", "in"),
                 "db": ("out", "one")})


def _loss(one_hot: bool) -> Callable[[Params, np.random.Generator], Inputs]:
    def inputs(p: Params, rng: np.random.Generator) -> Inputs:
        n, k = _ints(p, "n", "c")
        if one_hot:
            Y = np.eye(k)[rng.integers(0, k, size=n)]
        else:
            Y = _normal(rng, n, k)
        return {"A": _normal(rng, n, k, scale=2.0), "Y": Y}
    return inputs


def _loss_family(one_hot: bool) -> Family:
    return family(Sizes({"n": (1, 5), "c": (2, 6)}, edges=({"n": 4, "c": 3},)),
                  _loss(one_hot), lambda p: {}, {"dX": FEATURES})


MSE = _loss_family(one_hot=False)
CROSS_ENTROPY = _loss_family(one_hot=True)


def _batchnorm(p: Params, rng: np.random.Generator) -> Inputs:
    n, k = _ints(p, "n", "c")
    return {"Z": _normal(rng, n, k, scale=2.0) + _normal(rng, 1, k),
            "BW": 1.0 + _normal(rng, 1, k, scale=0.3), "Bb": _normal(rng, 1, k, scale=0.3),
            "running_M": _normal(rng, 1, k, scale=0.5),
            "running_V": 0.5 + rng.random((1, k)), "dLdBZ": _normal(rng, n, k)}


def _batchnorm_family(eval_mode: bool) -> Family:
    # train mode needs two samples for a variance; eval mode normalises with the running ones
    return family(Sizes({"n": (1 if eval_mode else 2, 6), "c": (1, 5)},
                        edges=({"n": 4, "c": 3},)),
                  _batchnorm, lambda p: {"num_features": p["c"], "eval": eval_mode},
                  {"forward": FEATURES, "dX": FEATURES, "dBW": ("one", "c"),
                   "dBb": ("one", "c"), "running_M": ("one", "c"),
                   "running_V": ("one", "c")})


BATCHNORM = _batchnorm_family(eval_mode=False)
BATCHNORM_EVAL = _batchnorm_family(eval_mode=True)


# ---------------------------------------------------------------- signals and images
def _up(size: int, k: int) -> int:
    return k * (size - 1) + 1


def _down(size: int, k: int) -> int:
    return -(-size // k)   # ceil(size / k): every k-th sample from the first


def _spatial(p: Params, dims: int) -> tuple[int, ...]:
    return _ints(p, "w") if dims == 1 else _ints(p, "h", "w")


def _resample_family(dims: int, up: bool) -> Family:
    def inputs(p: Params, rng: np.random.Generator) -> Inputs:
        n, ch, k = _ints(p, "n", "c", "factor")
        size = _spatial(p, dims)
        out = tuple(_up(s, k) if up else _down(s, k) for s in size)
        return {"A": _normal(rng, n, ch, *size), "dLdZ": _normal(rng, n, ch, *out)}

    spatial = {"w": (1, 9)} if dims == 1 else {"h": (1, 7), "w": (1, 7)}
    axes = SIGNAL if dims == 1 else IMAGE
    edge: dict[str, int] = {"n": 2, "c": 2, "factor": 2,
                            **({"w": 5} if dims == 1 else {"h": 4, "w": 5})}
    return family(Sizes({"n": (1, 3), "c": (1, 3), **spatial, "factor": (1, 3)},
                        edges=(edge,)),
                  inputs, lambda p: {"factor": p["factor"]}, {"forward": axes, "dX": axes})


UPSAMPLE1D, DOWNSAMPLE1D = _resample_family(1, True), _resample_family(1, False)
UPSAMPLE2D, DOWNSAMPLE2D = _resample_family(2, True), _resample_family(2, False)


def _conv_out(p: Params, dims: int, transpose: bool) -> tuple[int, ...] | None:
    """The output's spatial size, None when the kernel does not fit: mytorch's stride-1
    convolution of the padded (or, transposed, the upsampled) input, then downsampled."""
    k, s, pad = _ints(p, "kernel_size", "stride", "padding")
    sizes = []
    for size in _spatial(p, dims):
        span = (_up(size, c.param_int(p, "upsampling_factor")) if transpose
                else size + 2 * pad)
        if span < k:
            return None
        sizes.append(_down(span - k + 1, s))
    return tuple(sizes)


def _conv_family(dims: int, strided: bool, transpose: bool = False) -> Family:
    """Conv{1,2}d_stride1 (stride 1, no padding), Conv{1,2}d (stride, padding) and
    ConvTranspose{1,2}d (upsampling factor, stride 1): W (out, in, k[, k]), b (out,)."""
    def params(p: Params) -> Params:
        return {"stride": 1, "padding": 0, "upsampling_factor": 1, **p}

    def inputs(p: Params, rng: np.random.Generator) -> Inputs:
        q = params(p)
        n, cin, cout, k = _ints(q, "n", "in_channels", "out_channels", "kernel_size")
        out = _conv_out(q, dims, transpose)
        assert out is not None   # valid() holds
        fan_in = cin * k ** dims
        return {"A": _normal(rng, n, cin, *_spatial(q, dims)),
                "W": _normal(rng, cout, cin, *(k,) * dims, scale=1 / np.sqrt(fan_in)),
                "b": _normal(rng, cout, scale=0.5), "dLdZ": _normal(rng, n, cout, *out)}

    ranges: dict[str, tuple[int, int]] = {
        "n": (1, 3), "in_channels": (1, 3), "out_channels": (1, 3), "kernel_size": (1, 4),
        **({"w": (1, 10)} if dims == 1 else {"h": (1, 7), "w": (1, 7)})}
    if strided:
        ranges.update(stride=(1, 3), padding=(0, 2))
    if transpose:
        ranges.update(upsampling_factor=(1, 3))
    names = [k for k in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                         "upsampling_factor") if k in ranges]
    edge: dict[str, int] = {"n": 2, "in_channels": 2, "out_channels": 3, "kernel_size": 3,
            **({"w": 8} if dims == 1 else {"h": 5, "w": 6})}
    edge.update({k: 2 if k != "padding" else 1 for k in ("stride", "padding",
                                                           "upsampling_factor")
                 if k in ranges})
    axes = SIGNAL if dims == 1 else IMAGE
    kernel = ("out", "in", "k") if dims == 1 else ("out", "in", "kh", "kw")
    return family(Sizes(ranges, valid=lambda p: _conv_out(params(p), dims, transpose)
                        is not None, edges=(edge,)),
                  inputs, lambda p: {k: p[k] for k in names},
                  {"forward": axes, "dX": axes, "dW": kernel, "db": ("out",)})


CONV1D_STRIDE1, CONV1D = _conv_family(1, False), _conv_family(1, True)
CONV2D_STRIDE1, CONV2D = _conv_family(2, False), _conv_family(2, True)
CONV_TRANSPOSE1D, CONV_TRANSPOSE2D = _conv_family(1, False, True), _conv_family(2, False, True)


def _pool_family(strided: bool) -> Family:
    """Max and mean pooling over k×k windows, then (strided) every stride-th window."""
    def out(p: Params) -> tuple[int, ...] | None:
        k = c.param_int(p, "kernel")
        s = c.param_int(p, "stride") if strided else 1
        h, w = _ints(p, "h", "w")
        return None if min(h, w) < k else (_down(h - k + 1, s), _down(w - k + 1, s))

    def inputs(p: Params, rng: np.random.Generator) -> Inputs:
        n, ch, h, w = _ints(p, "n", "c", "h", "w")
        size = out(p)
        assert size is not None   # valid() holds
        return {"A": _normal(rng, n, ch, h, w), "dLdZ": _normal(rng, n, ch, *size)}

    ranges = {"n": (1, 3), "c": (1, 3), "h": (1, 8), "w": (1, 8), "kernel": (1, 3),
              **({"stride": (1, 3)} if strided else {})}
    edge: dict[str, int] = {"n": 2, "c": 2, "h": 5, "w": 6, "kernel": 2,
                            **({"stride": 2} if strided else {})}
    return family(Sizes(ranges, valid=lambda p: out(p) is not None, edges=(edge,)), inputs,
                  lambda p: {k: p[k] for k in ("kernel", "stride") if k in p},
                  {"forward": IMAGE, "dX": IMAGE})


POOL_STRIDE1, POOL = _pool_family(False), _pool_family(True)


def _flatten(p: Params, rng: np.random.Generator) -> Inputs:
    n, ch, w = _ints(p, "n", "c", "w")
    return {"A": _normal(rng, n, ch, w), "dLdZ": _normal(rng, n, ch * w)}


FLATTEN = family(Sizes({"n": (1, 3), "c": (1, 4), "w": (1, 6)}, edges=({"n": 2, "c": 3,
                                                                      "w": 4},)),
                 _flatten, lambda p: {}, {"forward": ("n", "j"), "dX": SIGNAL})


# ---------------------------------------------------------------- an optimiser
def _sgd(p: Params, rng: np.random.Generator) -> Inputs:
    """Two layers' W (out, in), b (out, 1) and gradients dW, db, as set before the steps."""
    sizes = _ints(p, "n_in", "n_hidden", "n_out")
    arrays: Inputs = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        arrays.update({f"W{i}": _normal(rng, fan_out, fan_in), f"b{i}": _normal(rng, fan_out, 1),
                       f"dW{i}": _normal(rng, fan_out, fan_in),
                       f"db{i}": _normal(rng, fan_out, 1)})
    return arrays


SGD = family(Sizes({"n_in": (1, 4), "n_hidden": (1, 4), "n_out": (1, 4), "steps": (1, 3)},
                   words={"momentum": ("0", "0.9", "0.5"), "lr": ("0.1", "0.9")},
                   edges=({"n_in": 3, "n_hidden": 4, "n_out": 2, "steps": 2, "momentum": "0.9",
                           "lr": "0.9"},
                          {"n_in": 3, "n_hidden": 4, "n_out": 2, "steps": 2, "momentum": "0",
                           "lr": "0.9"})),
             _sgd, lambda p: {"lr": float(str(p["lr"])), "momentum": float(str(p["momentum"])),
                              "steps": p["steps"]},
             {f"{name}{i}": ("out", "in" if name == "W" else "one")
              for i in range(2) for name in "Wb"})
