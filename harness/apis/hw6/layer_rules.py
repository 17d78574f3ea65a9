"""HW6's layer rules: the usual wrong rules of its pooling and convolution layers, each
recomputed in plain NumPy from a case's inputs (`harness.diagnosis.layer_rules` matches a
student's output against them; the rows are `harness.core.formula.Rule`):

- max pooling's gradient routed somewhere other than the window's maximum: to a fixed
  position of the window (its top-left corner, ...), to the mirror image of the maximum's
  position, to every element, spread evenly (average pooling's backward), or assigned with
  ``=`` so that overlapping windows overwrite each other (`maxpool_routing`);
- average pooling dividing by the wrong count: one kernel dimension, the window's real
  (non-padding) pixels (PyTorch's count_include_pad=False), nothing, the area twice, or the
  gradient assigned instead of added (`avgpool_count`);
- a convolution's dW computed from the unpadded input (`conv_unpadded_input`), the stride
  ignored in dW or dX (`conv_stride_ignored`), the bias added once per kernel tap, in
  forward or in db (`conv_bias_per_tap`), the kernel rotated by 180 degrees in forward (a
  true convolution, `conv_kernel_rotated`).

Ties of a max-pool window are never generated (the SPEC), so "the last maximum" and "every
maximum" coincide with the first and are no candidates. Adding a rule is one row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np

from harness.core.cases import Params, as_int, pad_amount, param_int, param_ints
from harness.core.formula import Inputs, Rule


# ---------------------------------------------------------------- sliding windows in NumPy
def _geometry(p: Params) -> tuple[int, int, int, int, int]:
    """(kh, kw, s, ph, pw) of a conv or pool case."""
    kh, kw = param_ints(p, "k")
    return kh, kw, as_int(p["s"]), pad_amount(p["pad"], kh), pad_amount(p["pad"], kw)


def _pad(X: np.ndarray, ph: int, pw: int, value: float = 0.0) -> np.ndarray:
    return np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)


def _out(p: Params, X: np.ndarray) -> tuple[int, int]:
    kh, kw, s, ph, pw = _geometry(p)
    return (X.shape[1] + 2 * ph - kh) // s + 1, (X.shape[2] + 2 * pw - kw) // s + 1


def _tap(A: np.ndarray, i: int, j: int, out: tuple[int, int], s: int) -> np.ndarray:
    """Entry (i, j) of every window of the (padded) image A: A[:, s·r + i, s·c + j]."""
    return A[:, i: i + s * out[0]: s, j: j + s * out[1]: s]


def _taps(p: Params) -> list[tuple[int, int]]:
    kh, kw = param_ints(p, "k")
    return [(i, j) for i in range(kh) for j in range(kw)]


def _scatter(p: Params, X: np.ndarray, grads: Callable[[int, int], np.ndarray],
             stride: int | None = None) -> np.ndarray:
    """The image gradient from each tap's window gradients, cut back to X's shape."""
    kh, kw, s, ph, pw = _geometry(p)
    out = _out(p, X)
    dXp: np.ndarray = np.zeros(_pad(X, ph, pw).shape[:3] + (grads(0, 0).shape[-1],))
    for i, j in _taps(p):
        _tap(dXp, i, j, out, s if stride is None else stride)[...] += grads(i, j)
    return dXp[:, ph: dXp.shape[1] - ph, pw: dXp.shape[2] - pw]


# ---------------------------------------------------------------- max pooling
def _window_values(p: Params, X: np.ndarray, pad_value: float) -> np.ndarray:
    """(taps, N, oh, ow, C): every window's entries, tap by tap."""
    _, _, s, ph, pw = _geometry(p)
    Xp, out = _pad(X, ph, pw, pad_value), _out(p, X)
    return np.stack([_tap(Xp, i, j, out, s) for i, j in _taps(p)])


def _route(p: Params, x: Inputs, where: np.ndarray, assign: bool = False) -> np.ndarray:
    """dX when window (n, r, c, ch) sends its dY to its tap where[n, r, c, ch]; with `assign`,
    window by window in row-major order, each overwriting what is there (=, not +=)."""
    X, dY = x["X"], x["dY"]
    kh, kw, s, ph, pw = _geometry(p)
    dXp: np.ndarray = np.zeros(_pad(X, ph, pw).shape)
    taps = _taps(p)
    for n, r, c, ch in np.ndindex(*dY.shape):
        i, j = taps[int(where[n, r, c, ch])]
        if assign:
            dXp[n, s * r + i, s * c + j, ch] = dY[n, r, c, ch]
        else:
            dXp[n, s * r + i, s * c + j, ch] += dY[n, r, c, ch]
    return dXp[:, ph: dXp.shape[1] - ph, pw: dXp.shape[2] - pw]


def _argmax(p: Params, x: Inputs, pad_value: float) -> np.ndarray:
    return np.argmax(_window_values(p, x["X"], pad_value), axis=0)


def _mirrored(p: Params, x: Inputs, pad_value: float) -> np.ndarray:
    kh, kw = param_ints(p, "k")
    t = _argmax(p, x, pad_value)
    return (kh - 1 - t // kw) * kw + (kw - 1 - t % kw)


POSITIONS: tuple[tuple[str, Callable[[int, int], tuple[int, int]]], ...] = (
    ("its top-left element (the window's origin)", lambda kh, kw: (0, 0)),
    ("its bottom-right element", lambda kh, kw: (kh - 1, kw - 1)),
    ("its top-right element", lambda kh, kw: (0, kw - 1)),
    ("its bottom-left element", lambda kh, kw: (kh - 1, 0)),
    ("its centre element", lambda kh, kw: ((kh - 1) // 2, (kw - 1) // 2)),
)
PAD_VALUES = ((-np.inf, ""), (0.0, ", with the padding taken as 0"))
MAX_HINT = ("; each window's dY belongs to the element that won its maximum in forward "
            "(remember the argmax)")


def _fixed(position: Callable[[int, int], tuple[int, int]]
           ) -> Callable[[Params, Inputs], np.ndarray]:
    def fn(p: Params, x: Inputs) -> np.ndarray:
        kh, kw = param_ints(p, "k")
        i, j = position(kh, kw)
        return _route(p, x, np.full(x["dY"].shape, i * kw + j))
    return fn


def _every(share: bool) -> Callable[[Params, Inputs], np.ndarray]:
    def fn(p: Params, x: Inputs) -> np.ndarray:
        kh, kw = param_ints(p, "k")
        g = x["dY"] / (kh * kw) if share else x["dY"]
        return _scatter(p, x["X"], lambda i, j: g)
    return fn


def _position_rule(name: str, pos: Callable[[int, int], tuple[int, int]]) -> Rule:
    return Rule(f"position:{name}", "dX", "maxpool_routing", _fixed(pos),
                lambda p: f"backward sends each window's gradient to {name} "
                          "instead of to the window's maximum" + MAX_HINT,
                f"sending it to {name.split(' (')[0]}")


def _pad_value_rules(value: float, note: str) -> list[Rule]:
    return [
        Rule(f"mirrored maximum{note}", "dX", "maxpool_routing",
             lambda p, x: _route(p, x, _mirrored(p, x, value)),
             lambda p: "backward sends each window's gradient to the mirror "
                       "image of its maximum's position, (kh−1−i, kw−1−j) "
                       f"instead of (i, j){note}: the argmax is taken of a "
                       "reversed window and not mapped back",
             f"the mirrored maximum{note}"),
        Rule(f"assigned{note}", "dX", "maxpool_routing",
             lambda p, x: _route(p, x, _argmax(p, x, value), assign=True),
             lambda p: "backward assigns each window's gradient to its maximum "
                       "(dX[...] = dY) instead of adding it (+=): where "
                       "overlapping windows share their maximum, only the last "
                       f"window's gradient is left{note}",
             f"assigning instead of adding{note}"),
    ]


def _maxpool_rules() -> tuple[Rule, ...]:
    rules = [_position_rule(name, pos) for name, pos in POSITIONS]
    rules += [
        Rule("every element", "dX", "maxpool_routing", _every(share=False),
             lambda p: "backward sends each window's whole gradient to every element of the "
                       "window instead of only to its maximum: multiply dY by the mask "
                       "(window == window.max()), not by ones"),
        Rule("spread evenly", "dX", "maxpool_routing", _every(share=True),
             lambda p: "backward spreads each window's gradient evenly over the window, "
                       f"dY/(kh·kw) = dY/{param_ints(p, 'k')[0] * param_ints(p, 'k')[1]} "
                       "to every element "
                       "(average pooling's backward), instead of sending all of it to the "
                       "window's maximum", "spreading it evenly"),
    ]
    for value, note in PAD_VALUES:
        rules += _pad_value_rules(value, note)
    return tuple(rules)


# ---------------------------------------------------------------- average pooling
def _real_count(p: Params, X: np.ndarray) -> np.ndarray:
    """(1, oh, ow, 1): how many of each window's pixels are real (not padding)."""
    _, _, s, ph, pw = _geometry(p)
    ones, out = _pad(np.ones((1, *X.shape[1:3], 1)), ph, pw), _out(p, X)
    # an array, never sum's start 0: a valid case's kernel has a tap (`spatial_ok`: k ≥ 1×1)
    return cast(np.ndarray, sum(_tap(ones, i, j, out, s) for i, j in _taps(p)))


COUNTS: tuple[tuple[str, Callable[[Params, np.ndarray], object], Callable[[Params], str]], ...] = (
    ("kh", lambda p, X: param_ints(p, "k")[0],
     lambda p: f"kh = {param_ints(p, 'k')[0]}, the kernel's height alone,"),
    ("kw", lambda p, X: param_ints(p, "k")[1],
     lambda p: f"kw = {param_ints(p, 'k')[1]}, the kernel's width alone,"),
    ("real pixels", _real_count,
     lambda p: "the number of real (non-padding) pixels in the window, PyTorch's "
               "count_include_pad=False,"),
    ("nothing", lambda p, X: 1, lambda p: "nothing (a sum, not an average),"),
    ("area twice", lambda p, X: (param_ints(p, "k")[0] * param_ints(p, "k")[1]) ** 2,
     lambda p: "the area twice, (kh·kw)²,"),
    ("stride²", lambda p, X: param_int(p, "s") ** 2,
     lambda p: f"s² = {param_int(p, 's') ** 2}, the stride squared (right only when the "
               "stride is the "
               "kernel size),"),
)


def _area(p: Params) -> str:
    kh, kw = param_ints(p, "k")
    return f"its full area kh·kw = {kh * kw} (zero padding included: the contract's rule)"


def _avg_forward(count: Callable[[Params, np.ndarray], object]
                 ) -> Callable[[Params, Inputs], np.ndarray]:
    def fn(p: Params, x: Inputs) -> np.ndarray:
        vals = _window_values(p, x["X"], 0.0)
        return vals.sum(axis=0) / count(p, x["X"])
    return fn


def _avg_backward(count: Callable[[Params, np.ndarray], object]
                  ) -> Callable[[Params, Inputs], np.ndarray]:
    def fn(p: Params, x: Inputs) -> np.ndarray:
        g = x["dY"] / count(p, x["X"])
        return _scatter(p, x["X"], lambda i, j: g)
    return fn


def _avg_assigned(p: Params, x: Inputs) -> np.ndarray:
    X, dY = x["X"], x["dY"]
    kh, kw, s, ph, pw = _geometry(p)
    dXp: np.ndarray = np.zeros(_pad(X, ph, pw).shape)
    for r, c in np.ndindex(*dY.shape[1:3]):
        dXp[:, s * r: s * r + kh, s * c: s * c + kw] = dY[:, r: r + 1, c: c + 1] / (kh * kw)
    return dXp[:, ph: dXp.shape[1] - ph, pw: dXp.shape[2] - pw]


def _count_rules(key: str, count: Callable[[Params, np.ndarray], object],
                 says: Callable[[Params], str]) -> list[Rule]:
    return [
        Rule(f"count:{key}", "forward", "avgpool_count", _avg_forward(count),
             lambda p: f"forward divides each window's sum by {says(p)} "
                       f"instead of by {_area(p)}", f"dividing by {key}"),
        Rule(f"count:{key}", "dX", "avgpool_count", _avg_backward(count),
             lambda p: f"backward divides each window's gradient by {says(p)} "
                       f"instead of by {_area(p)}", f"dividing by {key}"),
    ]


def _avgpool_rules() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for key, count, says in COUNTS:
        rules += _count_rules(key, count, says)
    rules.append(Rule("assigned", "dX", "avgpool_count", _avg_assigned,
                      lambda p: "backward assigns each window's share dY/(kh·kw) "
                                "(dX[window] = ...) instead of adding it (+=): where windows "
                                "overlap, only the last window's share is left"))
    return tuple(rules)


# ---------------------------------------------------------------- convolution
def _act_derivative(act: str, Z: np.ndarray) -> np.ndarray:
    if act == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-Z))
        return s * (1 - s)
    if act == "tanh":
        return 1 - np.tanh(Z) ** 2
    if act == "relu":
        return (Z > 0).astype(np.float64)
    return np.ones_like(Z)


def _act(act: str, Z: np.ndarray) -> np.ndarray:
    fns: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0)}
    return fns.get(act, lambda z: z)(Z)


def _conv_z(p: Params, x: Inputs, X: np.ndarray | None = None, bias: float = 1.0
            ) -> np.ndarray:
    """Z = X ⋆ W + bias·b (X the padded input unless given)."""
    kh, kw, s, ph, pw = _geometry(p)
    Xp = _pad(x["X"], ph, pw) if X is None else X
    out, W = _out(p, x["X"]), x["W"]
    Z = sum(_tap(Xp, i, j, out, s) @ W[i, j] for i, j in _taps(p))
    return Z + bias * x["b"][0]


def _dz(p: Params, x: Inputs) -> np.ndarray:
    return _act_derivative(str(p["act"]), _conv_z(p, x)) * x["dY"]


def _conv_dw(p: Params, x: Inputs, Xp: np.ndarray, stride: int) -> np.ndarray:
    dZ, W = _dz(p, x), x["W"]
    out = dZ.shape[1:3]
    dW = np.zeros_like(W)
    for i, j in _taps(p):
        dW[i, j] = np.einsum("nrci,nrco->io", _tap(Xp, i, j, out, stride), dZ)
    return dW


def _dw_unpadded(p: Params, x: Inputs) -> np.ndarray:
    X = x["X"]
    _, _, s, ph, pw = _geometry(p)
    corner = np.zeros(_pad(X, ph, pw).shape)
    corner[:, : X.shape[1], : X.shape[2]] = X
    return _conv_dw(p, x, corner, s)


def _dw_stride_one(p: Params, x: Inputs) -> np.ndarray:
    _, _, _, ph, pw = _geometry(p)
    return _conv_dw(p, x, _pad(x["X"], ph, pw), 1)


def _dx_stride_one(p: Params, x: Inputs) -> np.ndarray:
    dZ, W = _dz(p, x), x["W"]
    return _scatter(p, x["X"], lambda i, j: dZ @ W[i, j].T, stride=1)


def _taps_count(p: Params) -> int:
    return int(param_ints(p, "k")[0] * param_ints(p, "k")[1])


CONV: tuple[Rule, ...] = (
    Rule("dW from the unpadded input", "dW", "conv_unpadded_input", _dw_unpadded,
         lambda p: "gradients['W'] is computed from the input without its padding: tap (i, j) "
                   "of window (r, c) reads X[s·r + i, s·c + j] instead of the padded "
                   "Xp[s·r + i, s·c + j] = X[s·r + i − ph, s·c + j − pw] (use the padded "
                   "input, as forward does)"),
    Rule("dW at stride 1", "dW", "conv_stride_ignored", _dw_stride_one,
         lambda p: f"gradients['W'] reads the windows at stride 1 instead of at the stride "
                   f"s = {p['s']}: dW[i, j] = Σ Xp[:, s·r + i, s·c + j]ᵀ·dZ[:, r, c] (slice "
                   "Xp[:, i:i+s·oh:s, j:j+s·ow:s])"),
    Rule("dX at stride 1", "dX", "conv_stride_ignored", _dx_stride_one,
         lambda p: f"backward scatters the window gradients back at stride 1 instead of at "
                   f"the stride s = {p['s']}: tap (i, j) of window (r, c) lands on "
                   "dXp[s·r + i, s·c + j], not dXp[r + i, c + j] (as if dZ were not "
                   "dilated by the stride)"),
    Rule("db once per tap", "db", "conv_bias_per_tap",
         lambda p, x: _taps_count(p) * _dz(p, x).sum(axis=(0, 1, 2))[None],
         lambda p: f"gradients['b'] adds Σ dZ once per kernel tap, kh·kw = {_taps_count(p)} "
                   "times: db = Σ_{n,r,c} dZ belongs outside the loop over the taps"),
    Rule("kernel rotated", "forward", "conv_kernel_rotated",
         lambda p, x: _act(str(p["act"]), _conv_z(p, {**x, "W": x["W"][::-1, ::-1]})),
         lambda p: "forward uses the kernel rotated by 180 degrees (W[::-1, ::-1]: a true "
                   "convolution): the layer computes the cross-correlation, "
                   "Z[r, c] = Σ_{i,j} Xp[s·r + i, s·c + j]·W[i, j], with the kernel as it is"),
    Rule("bias once per tap", "forward", "conv_bias_per_tap",
         lambda p, x: _act(str(p["act"]), _conv_z(p, x, bias=_taps_count(p))),
         lambda p: f"forward adds the bias once per kernel tap, kh·kw = {_taps_count(p)} "
                   "times: Z = Σ_taps X·W, then + b once, outside the loop over the taps"),
)


RULES: dict[str, tuple[Rule, ...]] = {
    "pool2d_max": _maxpool_rules(), "pool2d_average": _avgpool_rules(), "conv2d": CONV,
}
