"""Case families for whole models, optimisers, weight initialisers and training parity.

Like `harness.core.cases` (whose `Case`, `Family` and helpers these build on), every case is an op
name, parameters spelled out in its ID, and a data seed; the inputs are rebuilt from them.

network   A random, valid ``layer_args`` stack, spelled out in the ID's ``layers`` parameter as
          tokens joined by "-":
              fc.N.ACT                    fully_connected, n_out N, activation ACT
              conv.C.KHxKW.S.PAD.ACT      conv2d, C filters, kernel, stride, pad
              pool.MODE.KHxKW.S.PAD       pool2d, mode max | average
              flat                        flatten
          Dense stacks are fully_connected layers with every activation, ending in
          fc.K.softmax + cross_entropy or fc.1.linear + l2 (the contract's (batch, 1) targets);
          convolutional ones are conv2d → pool2d → flatten → [fully_connected →]
          fully_connected softmax + cross_entropy, with strides and pads as in the conv family.
          e.g. ``network/layers=conv.2.3x3.1.same.relu-pool.average.2x2.2.0-flat-fc.3.softmax,
          n=2,h=5,w=5,c=1,loss=cross_entropy,opt=sgd,lr=0.1,mom=0.9,seed=...``
          Inputs: the batches X, Y (step 1), X2, Y2 (step 2), X3, Y3 (predict) and every
          parametric layer i's W{i}, b{i}, which the driver sets before each step.
sgd/adam  An optimiser's hyper-parameters and K steps of a gradient sequence for a few named
          parameters (``params=w3x4.w2x2x1x3``: W0 (3, 4) with b0 (1, 4), W1 (2, 2, 1, 3) with
          b1 (1, 3)); the gradients of each parameter have their own scale (1, 1e-2 or 1e-4),
          so that epsilon matters for some of them.
xavier_uniform, xavier_normal, he_uniform, he_normal
          A weight shape (a matrix (n_in, n_out) or a kernel (kh, kw, c_in, c_out)) and the
          number of elements to draw (``draws``); the child seeds NumPy with the case seed.
training  A small network trained from identical initial parameters on the same minibatches
          for K >= 50 steps: on Iris (``data=iris``, harness/data/iris.csv) or on a regression
          set this module generates (``data=waves``).

Points where a derivative is undefined are never generated: ReLU never precedes max pooling
(a window of dead units would tie at 0), max pooling is never padded (so the padding value,
a convention, never matters), padding stays below the kernel size (so no window lies wholly
in the padding), and inputs are redrawn until no max-pool window has a near-tie.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from harness.apis.hw6.layer_spec import LayerSpec
from harness.core.cases import (
    ACTIVATIONS,
    PADS,
    Family,
    Kwargs,
    Params,
    as_float,
    as_int,
    out_size,
    pad_amount,
    param_int,
    param_ints,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
IRIS_CSV = DATA_DIR / "iris.csv"


# ---------------------------------------------------------------- the layers parameter
def _pad_value(text: str) -> int | str:
    return int(text) if text.isdigit() else text


def _kernel(text: str) -> tuple[int, int]:
    kh, kw = text.split("x")
    return int(kh), int(kw)


def parse_layers(text: str) -> list[LayerSpec]:
    """The layers of a ``layers`` parameter; ValueError when a token is malformed."""
    out: list[LayerSpec] = []
    for token in str(text).split("-"):
        f = token.split(".")
        try:
            if f[0] == "fc" and len(f) == 3:
                out.append(LayerSpec("fc", n_out=int(f[1]), act=f[2]))
            elif f[0] == "conv" and len(f) == 6:
                out.append(LayerSpec("conv", n_out=int(f[1]), k=_kernel(f[2]), s=int(f[3]),
                                     pad=_pad_value(f[4]), act=f[5]))
            elif f[0] == "pool" and len(f) == 5:
                out.append(LayerSpec("pool", mode=f[1], k=_kernel(f[2]), s=int(f[3]),
                                     pad=_pad_value(f[4])))
            elif f == ["flat"]:
                out.append(LayerSpec("flat"))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"malformed layer token {token!r} in layers={text!r}") from None
    return out


def format_layers(layers: list[LayerSpec]) -> str:
    return "-".join(spec.token for spec in layers)


def input_shape(p: Params) -> tuple[int, ...]:
    """The model's input X shape for a case's parameters."""
    if "n_in" in p:
        return (as_int(p["n"]), as_int(p["n_in"]))
    return (as_int(p["n"]), as_int(p["h"]), as_int(p["w"]), as_int(p["c"]))


def layer_shapes(layers: list[LayerSpec], shape: tuple[int, ...]) -> list[tuple[int, ...]] | None:
    """The input shape of every layer, then the output's; None when the stack does not fit."""
    shapes = [tuple(shape)]
    for spec in layers:
        cur = shapes[-1]
        nxt: tuple[int, ...]
        if spec.kind == "fc":
            if len(cur) != 2 or spec.n_out < 1:
                return None
            nxt = (cur[0], spec.n_out)
        elif spec.kind in ("conv", "pool"):
            if len(cur) != 4 or min(spec.k) < 1 or spec.s < 1:
                return None
            if any(pad_amount(spec.pad, k) >= k and pad_amount(spec.pad, k) > 0
                   for k in spec.k):
                return None  # a window wholly in the padding
            if spec.kind == "pool" and spec.mode == "max" and \
                    any(pad_amount(spec.pad, k) for k in spec.k):
                return None  # max pooling is never padded here (the padding value is a convention)
            oh = out_size(cur[1], spec.k[0], spec.s, spec.pad)
            ow = out_size(cur[2], spec.k[1], spec.s, spec.pad)
            if oh < 1 or ow < 1:
                return None
            nxt = (cur[0], oh, ow, spec.n_out if spec.kind == "conv" else cur[3])
        else:
            if len(cur) != 4:
                return None
            nxt = (cur[0], int(np.prod(cur[1:])))
        shapes.append(nxt)
    return shapes


def param_shapes(layers: list[LayerSpec], shapes: list[tuple[int, ...]]
                 ) -> dict[int, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Layer index -> (W shape, b shape) for the parametric layers."""
    out: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for i, spec in enumerate(layers):
        if spec.kind == "fc":
            out[i] = ((shapes[i][1], spec.n_out), (1, spec.n_out))
        elif spec.kind == "conv":
            out[i] = ((*spec.k, shapes[i][3], spec.n_out), (1, spec.n_out))
    return out


def network_valid(p: Params) -> bool:
    """A case whose stack fits its input and ends as the loss needs."""
    try:
        layers = parse_layers(str(p["layers"]))
    except (ValueError, KeyError):
        return False
    if min(input_shape(p)) < 1:
        return False
    shapes = layer_shapes(layers, input_shape(p))
    if shapes is None or layers[-1].kind != "fc":
        return False
    last = layers[-1]
    if p["loss"] == "cross_entropy":
        if last.act != "softmax" or last.n_out < 2:
            return False
    elif last.act != "linear" or last.n_out != 1:
        return False
    for a, b in zip(layers, layers[1:], strict=False):
        if b.kind == "pool" and b.mode == "max" and a.act == "relu":
            return False  # dead ReLU units would tie in a max-pool window
    return all(s.act in (*ACTIVATIONS, "softmax") for s in layers) and \
        all(s.act != "softmax" for s in layers[:-1])


# ---------------------------------------------------------------- network family
LRS = {"sgd": ("0.1", "0.05", "0.01"), "adam": ("0.01", "0.003")}
MOMENTA = ("0.0", "0.9")  # strings that read back as strings from a case ID
BASE_ACTS = ("linear", "sigmoid", "tanh", "relu")


def optimizer_args(p: Params) -> dict[str, str | float]:
    """The contract's ``initialize_optimizer(**args)`` of a network or training case."""
    if p["opt"] == "sgd":
        return {"name": "sgd", "lr": as_float(p["lr"]), "momentum": as_float(p["mom"]),
                "lr_scheduler": "constant", **({"clip_norm": as_float(p["clip"])}
                                               if p.get("clip", "none") != "none" else {})}
    return {"name": "adam", "lr": as_float(p["lr"])}


def _opt_params(rng: np.random.Generator) -> Params:
    if rng.random() < 0.6:
        return {"opt": "sgd", "lr": str(rng.choice(LRS["sgd"])), "mom": str(rng.choice(MOMENTA))}
    return {"opt": "adam", "lr": str(rng.choice(LRS["adam"]))}


def _dense_stack(rng: np.random.Generator, loss: str) -> list[LayerSpec]:
    hidden = [LayerSpec("fc", n_out=int(rng.integers(1, 7)), act=str(rng.choice(BASE_ACTS)))
              for _ in range(int(rng.integers(1, 4)))]
    last = LayerSpec("fc", n_out=int(rng.integers(2, 6)), act="softmax") \
        if loss == "cross_entropy" else LayerSpec("fc", n_out=1, act="linear")
    return [*hidden, last]


def _conv_stack(rng: np.random.Generator, h: int, w: int, c: int) -> list[LayerSpec]:
    mode = "max" if rng.random() < 0.5 else "average"
    acts = BASE_ACTS if mode == "average" else ("linear", "sigmoid", "tanh")
    pads = PADS  # as in the conv family; a pad of at least the kernel is redrawn (no window
    conv = LayerSpec("conv", n_out=int(rng.integers(1, 5)),     # wholly in the padding)
                     k=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                     s=int(rng.integers(1, 4)), pad=pads[int(rng.integers(len(pads)))],
                     act=str(rng.choice(acts)))
    pool_pads = (0, "valid") if mode == "max" else (0, 1, "same", "valid")
    pool = LayerSpec("pool", mode=mode, k=(int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                     s=int(rng.integers(1, 3)), pad=pool_pads[int(rng.integers(len(pool_pads)))])
    tail = [LayerSpec("flat")]
    if rng.random() < 0.3:
        tail.append(LayerSpec("fc", n_out=int(rng.integers(1, 6)),
                              act=str(rng.choice(BASE_ACTS))))
    tail.append(LayerSpec("fc", n_out=int(rng.integers(2, 5)), act="softmax"))
    return [conv, pool, *tail]


def _network_sample(rng: np.random.Generator, fixed: Params) -> Params:
    while True:
        if rng.random() < 0.55:
            loss = "cross_entropy" if rng.random() < 0.6 else "l2"
            p: Params = {"layers": format_layers(_dense_stack(rng, loss)),
                         "n": int(rng.integers(1, 7)), "n_in": int(rng.integers(1, 7)),
                         "loss": loss}
        else:
            h, w, c = int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(1, 4))
            p = {"layers": format_layers(_conv_stack(rng, h, w, c)),
                 "n": int(rng.integers(1, 5)), "h": h, "w": w, "c": c,
                 "loss": "cross_entropy"}
        p.update(_opt_params(rng))
        if network_valid(p):
            return p


def _network_edges(fixed: Params) -> list[Params]:
    return [
        {"layers": "fc.4.relu-fc.3.softmax", "n": 1, "n_in": 3, "loss": "cross_entropy",
         "opt": "sgd", "lr": "0.1", "mom": "0.0"},                              # batch 1
        {"layers": "fc.3.tanh-fc.4.sigmoid-fc.1.linear", "n": 4, "n_in": 2, "loss": "l2",
         "opt": "adam", "lr": "0.01"},                                          # l2, adam
        {"layers": "conv.2.3x3.1.same.relu-pool.average.2x2.2.0-flat-fc.3.softmax", "n": 2,
         "h": 5, "w": 5, "c": 1, "loss": "cross_entropy", "opt": "sgd", "lr": "0.1",
         "mom": "0.9"},                                                         # conv, momentum
        {"layers": "conv.3.2x3.2.1.tanh-pool.max.2x1.1.0-flat-fc.4.relu-fc.2.softmax",
         "n": 3, "h": 6, "w": 7, "c": 2, "loss": "cross_entropy", "opt": "adam",
         "lr": "0.01"},                                                         # stride 2, max
        {"layers": "fc.5.linear-fc.2.relu-fc.2.softmax", "n": 5, "n_in": 1,
         "loss": "cross_entropy", "opt": "sgd", "lr": "0.05", "mom": "0.9"},
    ]


def _batch(p: Params, rng: np.random.Generator, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.standard_normal(input_shape(p))
    n = as_int(p["n"])
    if p["loss"] == "cross_entropy":
        Y = np.eye(n_classes)[rng.integers(0, n_classes, size=n)]
    else:
        Y = rng.standard_normal((n, 1))
    return X, Y


def init_params(layers: list[LayerSpec], shapes: list[tuple[int, ...]],
                rng: np.random.Generator, bias_scale: float = 0.5) -> dict[str, np.ndarray]:
    """W{i} ~ N(0, 1/fan_in) and b{i} ~ N(0, bias_scale²) for every parametric layer i."""
    out = {}
    for i, (w_shape, b_shape) in param_shapes(layers, shapes).items():
        fan_in = int(np.prod(w_shape[:-1]))
        out[f"W{i}"] = rng.standard_normal(w_shape) / np.sqrt(fan_in)
        out[f"b{i}"] = rng.standard_normal(b_shape) * bias_scale
    return out


def _network_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    layers = parse_layers(str(p["layers"]))
    shapes = layer_shapes(layers, input_shape(p))
    assert shapes is not None, p
    k = layers[-1].n_out
    out: dict[str, np.ndarray] = {}
    for suffix in ("", "2", "3"):
        X, Y = _batch(p, rng, k)
        out[f"X{suffix}"], out[f"Y{suffix}"] = X, Y
    out.update(init_params(layers, shapes, rng))
    return out


def _network_informative(p: Params, x: dict[str, np.ndarray]) -> bool:
    from harness.apis.hw6.informative import informative_forward  # parent-only: see there
    layers = parse_layers(str(p["layers"]))
    return all(informative_forward(layers, x, x[name]) for name in ("X", "X2", "X3"))


def network_ctor(p: Params, fixed: Params) -> Kwargs:
    """What the driver needs: the constructor's arguments and every layer's input shape."""
    layers = parse_layers(str(p["layers"]))
    shapes = layer_shapes(layers, input_shape(p)) or []
    return {"loss": p["loss"], "layer_args": [s.layer_args() for s in layers],
            "optimizer_args": optimizer_args(p), "in_shapes": shapes[:-1], "epoch": 0,
            "trace": False}


NETWORK = Family(
    shrink=("n", "c", "n_in", "h", "w"),
    sample=_network_sample,
    edge_cases=_network_edges,
    ctor=network_ctor,
    inputs=_network_inputs,
    informative=_network_informative,
    valid=network_valid,
    axes={"forward": ("n", "unit"), "predict": ("n", "unit")},
)


# ---------------------------------------------------------------- optimizer families (sgd, adam)
GRAD_SCALES = (1.0, 1e-2, 1e-4)


def parse_param_shapes(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """``w3x4.w2x2x1x3`` -> [("W0", (3, 4)), ("b0", (1, 4)), ("W1", (2, 2, 1, 3)),
    ("b1", (1, 3))]. (The "w" keeps a single shape a string when a case ID is read back.)"""
    out: list[tuple[str, tuple[int, ...]]] = []
    for j, token in enumerate(str(text).split(".")):
        shape = tuple(int(v) for v in token.removeprefix("w").split("x"))
        out += [(f"W{j}", shape), (f"b{j}", (1, shape[-1]))]
    return out


def _optim_sample(rng: np.random.Generator, fixed: Params) -> Params:
    tokens = []
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.6:
            tokens.append(f"w{int(rng.integers(1, 6))}x{int(rng.integers(1, 6))}")
        else:
            tokens.append("w" + "x".join(str(int(v)) for v in rng.integers(1, 4, size=4)))
    if rng.random() < 0.3:
        tokens.append(tokens[0])      # two parameters of one shape: shared state shows
    p: Params = {"params": ".".join(tokens), "k": int(rng.integers(3, 8))}
    if fixed["name"] == "sgd":
        # no lr equals 1 - momentum, so "lr twice" and "damped momentum" stay apart
        p.update(lr=str(rng.choice(("0.2", "0.05", "0.3"))), mom=str(rng.choice(("0.0", "0.9",
                                                                                  "0.6"))),
                 clip=str(rng.choice(("none", "none", "0.5"))))
    else:
        p.update(lr=str(rng.choice(("0.01", "0.001", "0.1"))),
                 b1=str(rng.choice(("0.9", "0.8"))), b2=str(rng.choice(("0.999", "0.99"))),
                 eps=str(rng.choice(("1e-08", "0.001"))))
    return p


def _optim_edges(fixed: Params) -> list[Params]:
    if fixed["name"] == "sgd":
        return [{"params": "w3x4.w3x4", "k": 5, "lr": "0.2", "mom": "0.9", "clip": "none"},
                {"params": "w2x3", "k": 3, "lr": "0.05", "mom": "0.0", "clip": "none"},
                {"params": "w2x2x1x3.w4x2", "k": 4, "lr": "0.3", "mom": "0.6", "clip": "0.5"}]
    return [{"params": "w3x4.w3x4", "k": 6, "lr": "0.01", "b1": "0.9", "b2": "0.999",
             "eps": "1e-08"},
            {"params": "w2x3.w2x2x1x3", "k": 4, "lr": "0.1", "b1": "0.8", "b2": "0.99",
             "eps": "0.001"}]


def optim_names(p: Params) -> list[str]:
    return [name for name, _ in parse_param_shapes(str(p["params"]))]


def _optim_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, shape in parse_param_shapes(str(p["params"])):
        scale = GRAD_SCALES[int(rng.integers(len(GRAD_SCALES)))]
        out[f"P/{name}"] = rng.standard_normal(shape)
        steps = rng.standard_normal((as_int(p["k"]), *shape)) * scale
        # a slowly varying gradient (as in training) with noise, so moments build up
        out[f"G/{name}"] = steps + rng.standard_normal(shape) * scale
    return out


def optim_ctor(p: Params, fixed: Params) -> Kwargs:
    optional: dict[str, str]
    if fixed["name"] == "sgd":
        args: dict[str, str | float] = {"name": "sgd", "lr": as_float(p["lr"]),
                                        "momentum": as_float(p["mom"])}
        if p.get("clip", "none") != "none":
            args["clip_norm"] = as_float(p["clip"])
        optional = {"lr_scheduler": "constant"}
    else:
        args = {"name": "adam", "lr": as_float(p["lr"]), "beta1": as_float(p["b1"]),
                "beta2": as_float(p["b2"]), "eps": as_float(p["eps"])}
        optional = {}
    return {"args": args, "optional": optional, "names": optim_names(p), "steps": as_int(p["k"])}


def _optim_valid(p: Params) -> bool:
    try:
        shapes = parse_param_shapes(str(p["params"]))
    except ValueError:
        return False
    return as_int(p["k"]) >= 1 and all(min(s) >= 1 for _, s in shapes)


def optimizer_family() -> Family:
    return Family(sample=_optim_sample, edge_cases=_optim_edges, ctor=optim_ctor,
                  inputs=_optim_inputs, valid=_optim_valid, shrink=("k",))


OPTIMIZER = optimizer_family()


# ---------------------------------------------------------------- initializer family
DRAWS = 8192


def _init_sample(rng: np.random.Generator, fixed: Params) -> Params:
    shape: tuple[int, ...]
    if rng.random() < 0.5:
        shape = (int(rng.integers(1, 65)), int(rng.integers(1, 65)))
    else:
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)), int(rng.integers(1, 17)),
                 int(rng.integers(1, 17)))
    return {"shape": shape, "draws": DRAWS}


INITIALIZER = Family(
    shrink=("shape",),
    sample=_init_sample,
    edge_cases=lambda fixed: [{"shape": (3, 3, 4, 8), "draws": DRAWS},
                              {"shape": (20, 5), "draws": DRAWS},
                              {"shape": (5, 3, 2, 1), "draws": DRAWS},
                              {"shape": (1, 1), "draws": DRAWS}],
    # the layer's activation, as the starter's layers pass it to initialize_weights (its He
    # takes its gain from it: relu's √2 is torch's default gain for kaiming_*)
    ctor=lambda p, fixed: {"name": fixed["name"], "shape": tuple(param_ints(p, "shape")),
                           "draws": as_int(p["draws"]), "activation": fixed["activation"]},
    # the seed travels as a float64 like every input (exact below 2**53)
    inputs=lambda p, rng: {"seed": np.array(float(rng.integers(2**31)))},
    valid=lambda p: len(param_ints(p, "shape")) in (2, 4) and min(param_ints(p, "shape")) >= 1
    and param_int(p, "draws") >= 1,
    axes={"scale": (), "distribution": ()},
)


# ---------------------------------------------------------------- training family
@cache
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris (150 rows): the 4 features and one-hot species (setosa, versicolor, virginica)."""
    rows = [line.split(",") for line in IRIS_CSV.read_text().splitlines()[1:] if line.strip()]
    X = np.array([[float(v) for v in r[:4]] for r in rows])
    y = np.array([int(r[4]) for r in rows])
    return X, np.eye(3)[y]


def iris_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stratified 100/50 train/test split (seeded): (X_train, Y_train, X_test, Y_test).

    The features are left as they are, in cm: the HW6 starter's `initialize_dataset("iris")`
    loads its arrays without normalising or standardising them.
    """
    X, Y = iris()
    rng = np.random.default_rng(seed)
    labels = Y.argmax(axis=1)
    test = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:50 // 3 + (c < 50 % 3)]
                           for c in range(3)])
    train = np.setdiff1d(np.arange(len(X)), test)
    return X[train], Y[train], X[test], Y[test]


def waves(rng: np.random.Generator, n: int = 128, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A generated regression set: y = sin(x·u) + 0.5·tanh(x·v) + noise, x ~ N(0, I_d)."""
    X = rng.standard_normal((n, d))
    u, v = rng.standard_normal(d), rng.standard_normal(d)
    y = np.sin(X @ u) + 0.5 * np.tanh(X @ v) + 0.05 * rng.standard_normal(n)
    return X, y[:, None]


def _training_edges(fixed: Params) -> list[Params]:
    return [
        # the HW6 starter's Iris setting (train_ffnn.py): 4 -> 25 relu -> 3 softmax, SGD lr 0.01
        # with momentum 0.9 and clip_norm 1, batch 25, 25 epochs of the 100 training rows
        {"data": "iris", "layers": "fc.25.relu-fc.3.softmax", "loss": "cross_entropy",
         "opt": "sgd", "lr": "0.01", "mom": "0.9", "clip": "1.0", "batch": 25, "steps": 100},
        {"data": "waves", "layers": "fc.8.tanh-fc.4.relu-fc.1.linear", "loss": "l2",
         "opt": "adam", "lr": "0.01", "batch": 16, "steps": 50},
    ]


def _training_sample(rng: np.random.Generator, fixed: Params) -> Params:
    hidden = "-".join(f"fc.{int(rng.integers(2, 9))}.{rng.choice(BASE_ACTS)}"
                      for _ in range(int(rng.integers(1, 3))))
    p: Params = {"data": "waves", "layers": f"{hidden}-fc.1.linear", "loss": "l2",
                 "batch": int(rng.integers(4, 33)), "steps": 50}
    p.update(_opt_params(rng))
    return p


def training_data(p: Params) -> tuple[np.ndarray, np.ndarray]:
    if p["data"] == "iris":
        X, Y, _, _ = iris_split(0)
        return X, Y
    return waves(np.random.default_rng(7))


def _training_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    X, Y = training_data(p)
    layers = parse_layers(str(p["layers"]))
    shapes = layer_shapes(layers, (as_int(p["batch"]), X.shape[1]))
    assert shapes is not None, p
    batch, steps = as_int(p["batch"]), as_int(p["steps"])
    per_epoch = len(X) // batch
    order = np.concatenate([rng.permutation(len(X))[: per_epoch * batch]
                            for _ in range(-(-steps // per_epoch))])
    return {"data_X": X, "data_Y": Y,
            "batches": order[: steps * batch].reshape(steps, batch).astype(np.float64),
            **init_params(layers, shapes, rng, bias_scale=0.1)}


def training_ctor(p: Params, fixed: Params) -> Kwargs:
    X, _ = training_data(p)
    layers = parse_layers(str(p["layers"]))
    shapes = layer_shapes(layers, (as_int(p["batch"]), X.shape[1])) or []
    per_epoch = len(X) // as_int(p["batch"])
    return {"loss": p["loss"], "layer_args": [s.layer_args() for s in layers],
            "optimizer_args": optimizer_args(p), "in_shapes": shapes[:-1],
            "steps": as_int(p["steps"]), "steps_per_epoch": per_epoch}


def _training_valid(p: Params) -> bool:
    try:
        layers = parse_layers(str(p["layers"]))
    except ValueError:
        return False
    X, _ = training_data(p)
    return as_int(p["steps"]) >= 1 and 1 <= as_int(p["batch"]) <= len(X) and \
        layer_shapes(layers, (as_int(p["batch"]), X.shape[1])) is not None


TRAINING = Family(
    sample=_training_sample,
    edge_cases=_training_edges,
    ctor=training_ctor,
    inputs=_training_inputs,
    valid=_training_valid,
    axes={"loss": ("step",)},
)
