"""CS231n assignment 3's ``rnn_layers.py``: its ops' calls and case families.

Sequences are batch-first, x (N, T, D); hidden states (N, T, H). Weights are drawn at
1/√fan-in scale and halved, so the pre-activations of tanh and the LSTM's gates stay near
±1 (no gate saturates and every gradient carries information). An LSTM's 4H columns hold
the gates in CS231n's order i, f, o, g: the axis "4h" of dWx, dWh and db. Words and labels
are integers; a sequence of several words repeats one (word_embedding_backward must add up
its gradients); a mask pads the end of some sequences, the first always when T > 1.
Every family shrinks T first (a failure at T = 1 is the step's, not the time loop's), then
N, H and D.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.core import cases as c
from harness.core.cases import Family, Params
from harness.core.opspec import Calls

MODULE = "rnn_layers"
SIZES = ("t", "n", "h", "d")   # the shrinking order; each simplest at 1


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 1.0
            ) -> np.ndarray:
    return rng.standard_normal(shape) * scale


def _sizes(p: Params, *keys: str) -> tuple[int, ...]:
    return tuple(c.param_int(p, key) for key in keys)


def _positive(*keys: str, at_least: dict[str, int] | None = None) -> Callable[[Params], bool]:
    floor = at_least or {}
    return lambda p: all(c.param_int(p, k) >= floor.get(k, 1) for k in keys)


def _sample(ranges: dict[str, tuple[int, int]]) -> Callable[[np.random.Generator, Params],
                                                              Params]:
    """Each size drawn from its [low, high] range."""
    return lambda rng, fixed: {k: int(rng.integers(lo, hi + 1)) for k, (lo, hi) in ranges.items()}


# ---------------------------------------------------------------- the cells
def _weights(rng: np.random.Generator, d: int, h: int, gates: int) -> dict[str, np.ndarray]:
    return {"Wx": _normal(rng, (d, gates * h), 0.5 / np.sqrt(d)),
            "Wh": _normal(rng, (h, gates * h), 0.5 / np.sqrt(h)),
            "b": _normal(rng, (gates * h,), 0.3)}


def _step_inputs(gates: int) -> Callable[[Params, np.random.Generator],
                                         dict[str, np.ndarray]]:
    """One step: x (N, D), prev_h (N, H) (and prev_c), the weights, dnext_h (and dnext_c)."""
    cell = gates == 4   # the LSTM carries a cell state too
    def inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n, d, h = _sizes(p, "n", "d", "h")
        return {"x": _normal(rng, (n, d)), "prev_h": np.tanh(_normal(rng, (n, h))),
                **({"prev_c": _normal(rng, (n, h))} if cell else {}),
                **_weights(rng, d, h, gates), "dout": _normal(rng, (n, h)),
                **({"dnext_c": _normal(rng, (n, h))} if cell else {})}
    return inputs


def _sequence_inputs(gates: int) -> Callable[[Params, np.random.Generator],
                                             dict[str, np.ndarray]]:
    """A sequence: x (N, T, D), h0 (N, H), the weights, dh (N, T, H)."""
    def inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n, t, d, h = _sizes(p, "n", "t", "d", "h")
        return {"x": _normal(rng, (n, t, d)), "h0": np.tanh(_normal(rng, (n, h))),
                **_weights(rng, d, h, gates), "dout": _normal(rng, (n, t, h))}
    return inputs


def _cell_axes(gates: int, sequence: bool) -> dict[str, tuple[str, ...]]:
    """Where an element is: its sample n, its step t, its unit; a weight's column in the
    LSTM's 4H gate columns ("4h:ifog": column k is gate "ifog"[k // H], unit k mod H, which
    messages name: "4h=10 (gate o, unit 2)")."""
    units, time = ("4h:ifog" if gates == 4 else "h"), (("t",) if sequence else ())
    states = ("dh0",) if sequence else ("dprev_h", "next_c", "dprev_c") if gates == 4 \
        else ("dprev_h",)
    return {"forward": ("n", *time, "h"), "dX": ("n", *time, "d"),
            **dict.fromkeys(states, ("n", "h")),
            "dWx": ("d", units), "dWh": ("h_prev", units), "db": (units,)}


def _cell(gates: int, sequence: bool) -> Family:
    keys = ("n", "t", "d", "h") if sequence else ("n", "d", "h")
    edges: list[Params] = [{"n": 2, "t": 3, "d": 4, "h": 3}, {"n": 1, "t": 1, "d": 2, "h": 2},
                           {"n": 3, "t": 5, "d": 1, "h": 1}]
    return Family(
        shrink=SIZES,
        sample=_sample({"n": (1, 4), "t": (1, 5), "d": (1, 5), "h": (1, 4)} if sequence
                       else {"n": (1, 5), "d": (1, 6), "h": (1, 5)}),
        edge_cases=lambda fixed: [{k: e[k] for k in keys} for e in edges],
        ctor=lambda p, fixed: {},
        inputs=(_sequence_inputs if sequence else _step_inputs)(gates),
        axes=_cell_axes(gates, sequence),
        valid=_positive(*keys),
    )


RNN_STEP, RNN = _cell(1, sequence=False), _cell(1, sequence=True)
LSTM_STEP, LSTM = _cell(4, sequence=False), _cell(4, sequence=True)


# ---------------------------------------------------------------- words, scores, loss
def _words(rng: np.random.Generator, n: int, t: int, v: int) -> np.ndarray:
    """Word indices (N, T) in 0..V−1; with several words the last repeats the first."""
    x = rng.integers(0, v, size=(n, t))
    x.flat[-1] = x.flat[0]
    return x


def _embedding_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, t, v, d = _sizes(p, "n", "t", "v", "d")
    return {"x": _words(rng, n, t, v), "W": _normal(rng, (v, d)),
            "dout": _normal(rng, (n, t, d))}


WORD_EMBEDDING = Family(
    shrink=("t", "n", "v", "d"),
    sample=_sample({"n": (1, 4), "t": (1, 5), "v": (2, 8), "d": (1, 5)}),
    edge_cases=lambda fixed: [{"n": 2, "t": 4, "v": 5, "d": 3}, {"n": 1, "t": 1, "v": 2, "d": 2}],
    ctor=lambda p, fixed: {},
    inputs=_embedding_inputs,
    axes={"forward": ("n", "t", "d"), "dW": ("v", "d")},
    valid=_positive("n", "t", "v", "d"),
)


def _temporal_affine_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, t, d, m = _sizes(p, "n", "t", "d", "m")
    return {"x": _normal(rng, (n, t, d)), "w": _normal(rng, (d, m), 1 / np.sqrt(d)),
            "b": _normal(rng, (m,), 0.5), "dout": _normal(rng, (n, t, m))}


TEMPORAL_AFFINE = Family(
    shrink=("t", "n", "d", "m"),
    sample=_sample({"n": (1, 4), "t": (1, 5), "d": (1, 5), "m": (1, 6)}),
    edge_cases=lambda fixed: [{"n": 2, "t": 3, "d": 4, "m": 5}, {"n": 1, "t": 1, "d": 1, "m": 1}],
    ctor=lambda p, fixed: {},
    inputs=_temporal_affine_inputs,
    axes={"forward": ("n", "t", "m"), "dX": ("n", "t", "d"), "dW": ("d", "m"), "db": ("m",)},
    valid=_positive("n", "t", "d", "m"),
)


def _mask(rng: np.random.Generator, n: int, t: int) -> np.ndarray:
    """Each sequence kept for its first 1..T steps, the rest padding; the first sequence is
    padded whenever T > 1."""
    lengths = rng.integers(1, t + 1, size=n)
    lengths[0] = rng.integers(1, t) if t > 1 else 1
    return np.arange(t) < lengths[:, None]


def _softmax_inputs(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Scores N(0, 1.5²); scale=mixed (an edge case) adds 800·k to the k-th step's scores, as
    HW6's SoftMax cases do (harness/core/cases.py): each step is still an ordinary softmax,
    but a shift other than its own maximum (none, or the batch's) overflows or underflows."""
    n, t, v = _sizes(p, "n", "t", "v")
    scale = str(p.get("scale", "normal"))
    steps = np.arange(n * t).reshape(n, t, 1) if scale == "mixed" else 1.0
    return {"x": _normal(rng, (n, t, v), 1.5) + c.SOFTMAX_OFFSETS[scale] * steps,
            "y": rng.integers(0, v, size=(n, t)), "mask": _mask(rng, n, t)}


TEMPORAL_SOFTMAX = Family(
    shrink=("t", "n", "v"),
    simplest={"v": 2},
    sample=_sample({"n": (1, 5), "t": (1, 5), "v": (2, 8)}),
    edge_cases=lambda fixed: [{"n": 3, "t": 4, "v": 5}, {"n": 1, "t": 1, "v": 2},
                              {"n": 2, "t": 3, "v": 4, "scale": "mixed"}],
    ctor=lambda p, fixed: {},
    inputs=_softmax_inputs,
    axes={"dX": ("n", "t", "v")},
    valid=lambda p: _positive("n", "t", "v", at_least={"v": 2})(p)
    and str(p.get("scale", "normal")) in c.SOFTMAX_OFFSETS,
)


# ---------------------------------------------------------------- the ops
CELL = ("Wx", "Wh", "b")
STEP_GRADS = ("dX", "dprev_h", "dWx", "dWh", "db")
LSTM_STEP_GRADS = ("dX", "dprev_h", "dprev_c", "dWx", "dWh", "db")
SEQUENCE_GRADS = ("dX", "dh0", "dWx", "dWh", "db")

# (name, family, outputs, calls): the rows of the CS231n op table for rnn_layers.py
OPS: tuple[tuple[str, Family, tuple[str, ...], Calls], ...] = (
    ("rnn_step", RNN_STEP, ("forward", *STEP_GRADS),
     Calls("rnn_step_forward", ("x", "prev_h", *CELL), "rnn_step_backward", STEP_GRADS)),
    ("rnn", RNN, ("forward", *SEQUENCE_GRADS),
     Calls("rnn_forward", ("x", "h0", *CELL), "rnn_backward", SEQUENCE_GRADS)),
    ("lstm_step", LSTM_STEP, ("forward", "next_c", *LSTM_STEP_GRADS),
     Calls("lstm_step_forward", ("x", "prev_h", "prev_c", *CELL), "lstm_step_backward",
           LSTM_STEP_GRADS, outs=("next_c",), douts=("dnext_c",))),
    ("lstm", LSTM, ("forward", *SEQUENCE_GRADS),
     Calls("lstm_forward", ("x", "h0", *CELL), "lstm_backward", SEQUENCE_GRADS)),
    ("word_embedding", WORD_EMBEDDING, ("forward", "dW"),
     Calls("word_embedding_forward", ("x", "W"), "word_embedding_backward", ("dW",))),
    ("temporal_affine", TEMPORAL_AFFINE, ("forward", "dX", "dW", "db"),
     Calls("temporal_affine_forward", ("x", "w", "b"), "temporal_affine_backward",
           ("dX", "dW", "db"))),
    ("temporal_softmax_loss", TEMPORAL_SOFTMAX, ("forward", "dX"),
     Calls("temporal_softmax_loss", ("x", "y", "mask"), loss=True)),
)

# The step each whole-sequence function calls, as the handout has it written: a step's root
# cause is charged to it once (harness/check/substitute.py reruns the sequence with the
# bundled step in its place, inside rnn_layers.py).
USES = {"rnn": ("rnn_step",), "lstm": ("lstm_step",)}
