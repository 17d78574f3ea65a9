"""HW3P1's case families: the recurrent cells and CTC.

RNNCell is batched, x (N, D), h (N, H); GRUCell is one unbatched step, x (D,), h (H,). Each
cell's backward is given the h_t of another step than the forward it follows, as BPTT gives
it (a tanh's output, in (−1, 1)): a backward that reads the state its last forward left
instead of its arguments shows. RNNCell's backward runs twice (two steps), so its gradients
must accumulate.

CTC's targets are drawn from the symbols 1..C−1 (0 is the blank, as in every test of the
course) with a repeated neighbour and a changed one once the target is long enough, so
skip connections both apply and do not; every target fits its input length (T ≥ L + its
repeats: a path exists). The probabilities are softmax rows (each sums to 1). The inputs of
CTC.get_posterior_probs are made so that every way of normalising αβ agrees (Σ_r αβ is the
same P at every t, and the end of α sums to P), as real ones do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.apis.mytorch.cases import Inputs, Sizes, family
from harness.core import cases as c
from harness.core.cases import Family, Params

BLANK = 0   # the course's tests construct CTC(BLANK=0) and CTCLoss(BLANK=0)


def _ints(p: Params, *keys: str) -> tuple[int, ...]:
    return tuple(c.param_int(p, k) for k in keys)


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _state(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """A hidden state as a tanh leaves it: in (−1, 1)."""
    return np.tanh(_normal(rng, *shape))


# ---------------------------------------------------------------- RNNCell
RNN_WEIGHTS = ("W_ih", "W_hh", "b_ih", "b_hh")
RNN_STEP = ("x", "h_prev_t", "delta", "h_t")   # one step's arrays; the second's end in _2


def _rnn_cell(p: Params, rng: np.random.Generator) -> Inputs:
    n, d, h = _ints(p, "n", "input_size", "hidden_size")
    weights = {"W_ih": _normal(rng, h, d, scale=1 / np.sqrt(d)),
               "W_hh": _normal(rng, h, h, scale=1 / np.sqrt(h)),
               "b_ih": _normal(rng, h, scale=0.5), "b_hh": _normal(rng, h, scale=0.5)}
    steps: Inputs = {}
    for suffix in ("", "_2"):
        steps.update({f"x{suffix}": _normal(rng, n, d), f"h_prev_t{suffix}": _state(rng, n, h),
                      f"delta{suffix}": _normal(rng, n, h), f"h_t{suffix}": _state(rng, n, h)})
    return {**weights, **steps}


RNN_CELL = family(
    Sizes({"n": (1, 4), "input_size": (1, 5), "hidden_size": (1, 5)},
          edges=({"n": 3, "input_size": 2, "hidden_size": 4},
                 {"n": 1, "input_size": 3, "hidden_size": 2})),
    _rnn_cell, lambda p: {k: p[k] for k in ("input_size", "hidden_size")},
    {"forward": ("n", "h"), "dX": ("n", "d"), "dh": ("n", "h"), "dW_ih": ("h", "d"),
     "dW_hh": ("h", "h_prev"), "db_ih": ("h",), "db_hh": ("h",)})


# ---------------------------------------------------------------- RNN classifier
LAYERS = 3   # the most layers a case has: each layer's weights are inputs, the first L used


def _rnn_classifier(p: Params, rng: np.random.Generator) -> Inputs:
    n, t, d, h, o = _ints(p, "n", "t", "input_size", "hidden_size", "output_size")
    weights: Inputs = {}
    for layer in range(LAYERS):
        fan_in = d if layer == 0 else h
        weights |= {f"W_ih_l{layer}": _normal(rng, h, fan_in, scale=1 / np.sqrt(fan_in)),
                    f"W_hh_l{layer}": _normal(rng, h, h, scale=1 / np.sqrt(h)),
                    f"b_ih_l{layer}": _normal(rng, h, scale=0.5),
                    f"b_hh_l{layer}": _normal(rng, h, scale=0.5)}
    return {**weights, "W": _normal(rng, o, h, scale=1 / np.sqrt(h)),
            "b": _normal(rng, o, scale=0.5), "x": _normal(rng, n, t, d),
            "delta": _normal(rng, n, o)}


# init_weights(rnn_weights, linear_weights): [[W_ih, W_hh, b_ih, b_hh] of each layer], [W, b]
RNN_LAYER_WEIGHTS = "[" + ", ".join(
    "[" + ", ".join(f"{w}_l{layer}" for w in RNN_WEIGHTS) + "]"
    for layer in range(LAYERS)) + "][:num_layers]"
RNN_CLASSIFIER = family(
    Sizes({"t": (1, 5), "n": (1, 4), "num_layers": (2, LAYERS), "input_size": (1, 4),
           "hidden_size": (1, 4), "output_size": (1, 4)},
          edges=({"n": 2, "t": 3, "num_layers": 2, "input_size": 3, "hidden_size": 2,
                  "output_size": 4},
                 {"n": 1, "t": 1, "num_layers": 3, "input_size": 1, "hidden_size": 1,
                  "output_size": 1})),
    _rnn_classifier,
    lambda p: {k: p[k] for k in ("input_size", "hidden_size", "output_size", "num_layers")},
    {"forward": ("n", "o"), "dh": ("layer", "n", "h"), "dW_ih": ("h", "d"),
     "dW_ih_up": ("layer-1", "h", "h_below"), "dW_hh": ("layer", "h", "h_prev"),
     "db_ih": ("layer", "h"), "db_hh": ("layer", "h")})


# ---------------------------------------------------------------- GRUCell
GRU_WEIGHTS = ("Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh",
               "bnh")


def _gru_cell(p: Params, rng: np.random.Generator) -> Inputs:
    d, h = _ints(p, "input_size", "hidden_size")

    def weight(name: str) -> np.ndarray:
        if name[0] == "b":
            return _normal(rng, h, scale=0.5)
        fan_in = d if name[-1] == "x" else h
        return _normal(rng, h, fan_in, scale=1 / np.sqrt(fan_in))

    return {**{name: weight(name) for name in GRU_WEIGHTS}, "x": _normal(rng, d),
            "h_prev_t": _state(rng, h), "delta": _normal(rng, h)}


GRU_AXES = {f"d{name}": ("h",) if name[0] == "b" else ("h", "d" if name[-1] == "x" else "h_prev")
            for name in GRU_WEIGHTS}
GRU_CELL = family(
    Sizes({"input_size": (1, 5), "hidden_size": (1, 5)},
          edges=({"input_size": 5, "hidden_size": 2}, {"input_size": 1, "hidden_size": 3})),
    _gru_cell, lambda p: {k: p[k] for k in ("input_size", "hidden_size")},
    {"forward": ("h",), "dX": ("d",), "dh": ("h",), **GRU_AXES})


# ---------------------------------------------------------------- CTC
def _target(rng: np.random.Generator, length: int, symbols: int) -> np.ndarray:
    """`length` symbols of 1..symbols−1, each equal to the one before with probability ½."""
    target = rng.integers(1, symbols, size=length)
    for i in range(1, length):
        if rng.random() < 0.5:
            target[i] = target[i - 1]
    return target


def _repeats(target: np.ndarray) -> int:
    return int(np.sum(target[1:] == target[:-1]))


def _both_links(p: Params, target: np.ndarray) -> bool:
    """A changed neighbour (a skip connection) where there are two symbols to change between,
    and a repeated one (none) where the target is long enough for both (L ≥ 3)."""
    same = target[1:] == target[:-1]
    changed = len(target) < 2 or c.param_int(p, "symbols") < 3 or bool((~same).any())
    return changed and (len(target) < 3 or bool(same.any()))


def _extended(target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The arguments CTC's recursions are given: the target with blanks, its skips."""
    ext = np.full(2 * len(target) + 1, BLANK, dtype=np.int64)
    ext[1::2] = target
    skip = np.zeros(len(ext), dtype=np.int64)
    skip[3::2] = target[1:] != target[:-1]
    return ext, skip


def _probabilities(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Softmax rows over the last axis (the handout's logits are probabilities)."""
    e = np.exp(_normal(rng, *shape))
    return e / e.sum(axis=-1, keepdims=True)


def _fits(t: int, target: np.ndarray) -> bool:
    return t >= len(target) + _repeats(target)


CTC_SIZES = {"t": (1, 6), "target_length": (1, 4), "symbols": (2, 5)}


def _ctc_valid(p: Params) -> bool:
    t, length = _ints(p, "t", "target_length")
    return t >= 2 * length - 1   # room for the most repeats a target of that length has


def _ctc_family(inputs: Callable[[Params, np.random.Generator], Inputs],
                informative: Callable[[Params, Inputs], bool],
                axes: dict[str, tuple[str, ...]], sizes: dict[str, tuple[int, int]] | None = None,
                edges: tuple[dict[str, int], ...] = (),
                valid: Callable[[Params], bool] = _ctc_valid) -> Family:
    return family(Sizes(sizes or CTC_SIZES, valid=valid, edges=edges or (
        {"t": 5, "target_length": 3, "symbols": 4}, {"t": 1, "target_length": 1, "symbols": 2})),
        inputs, lambda p: {"blank": BLANK}, axes, informative=informative)


def _extend_inputs(p: Params, rng: np.random.Generator) -> Inputs:
    length, symbols = _ints(p, "target_length", "symbols")
    return {"target": _target(rng, length, symbols)}


CTC_EXTEND = _ctc_family(_extend_inputs, lambda p, x: _both_links(p, x["target"]),
                         {"extended": ("r",), "skip": ("r",)},
                         sizes={"target_length": (1, 6), "symbols": (2, 5)},
                         edges=({"target_length": 4, "symbols": 4},
                                {"target_length": 1, "symbols": 2}),
                         valid=lambda p: True)


def _probs_inputs(p: Params, rng: np.random.Generator) -> Inputs:
    t, length, symbols = _ints(p, "t", "target_length", "symbols")
    target = _target(rng, length, symbols)
    ext, skip = _extended(target)
    return {"logits": _probabilities(rng, t, symbols), "target": target,
            "extended_symbols": ext, "skip_connect": skip}


def _probs_informative(p: Params, x: Inputs) -> bool:
    return _fits(c.param_int(p, "t"), x["target"]) and _both_links(p, x["target"])


CTC_PROBS = _ctc_family(_probs_inputs, _probs_informative,
                        {"alpha": ("t", "r"), "beta": ("t", "r")})


def _posterior_inputs(p: Params, rng: np.random.Generator) -> Inputs:
    """α, β > 0 with α[t]·β[t] = P·G[t], G's rows summing to 1 (γ = G): G is 0 where a real
    α or β is (α[0, r ≥ 2], β[T−1, r < S−2]), and β[T−1, S−2:] = 1."""
    t, length = _ints(p, "t", "target_length")
    s = 2 * length + 1
    support = np.ones((t, s), dtype=bool)
    support[0, 2:] = False
    support[-1, :-2] = False
    G = rng.random((t, s)) * support
    G /= G.sum(axis=1, keepdims=True)
    beta = np.where(support, 0.2 + rng.random((t, s)), 0.0)
    beta[-1, -2:] = 1.0
    P = 0.1 + rng.random()
    alpha = np.divide(P * G, beta, out=np.zeros((t, s)), where=support)
    return {"alpha": alpha, "beta": beta}


CTC_POSTERIOR = _ctc_family(_posterior_inputs, lambda p, x: True, {"gamma": ("t", "r")},
                            sizes={"t": (1, 6), "target_length": (1, 4)},
                            edges=({"t": 5, "target_length": 2},
                                   {"t": 1, "target_length": 1}))


def _loss_inputs(p: Params, rng: np.random.Generator) -> Inputs:
    """A batch whose first sequence has every step and the longest target; the others are
    shorter (cut from the padded arrays as the handout's CTCLoss cuts them)."""
    t, batch, length, symbols = _ints(p, "t", "batch", "target_length", "symbols")
    targets = np.zeros((batch, length), dtype=np.int64)   # padded with the blank, as the
    input_lengths = np.zeros(batch, dtype=np.int64)       # course's data is
    target_lengths = np.zeros(batch, dtype=np.int64)
    for b in range(batch):
        own = length if b == 0 else int(rng.integers(1, length + 1))
        target = _target(rng, own, symbols)
        targets[b, :own] = target
        need = own + _repeats(target)
        input_lengths[b] = t if b == 0 else int(rng.integers(min(need, t), t + 1))
        target_lengths[b] = own
    return {"logits": _probabilities(rng, t, batch, symbols), "target": targets,
            "input_lengths": input_lengths, "target_lengths": target_lengths}


def _loss_informative(p: Params, x: Inputs) -> bool:
    return all(_fits(int(x["input_lengths"][b]), x["target"][b, :x["target_lengths"][b]])
               for b in range(len(x["target"]))) and _both_links(p, x["target"][0])


CTC_LOSS = _ctc_family(_loss_inputs, _loss_informative, {"dX": ("t", "b", "c")},
                       sizes={"t": (1, 6), "batch": (1, 3), "target_length": (1, 3),
                              "symbols": (2, 5)},
                       edges=({"t": 6, "batch": 3, "target_length": 3, "symbols": 4},
                              {"t": 1, "batch": 1, "target_length": 1, "symbols": 2}))
