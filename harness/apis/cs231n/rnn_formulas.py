"""The wrong formulas of CS231n's ``rnn_layers.py`` (`harness.diagnosis.fingerprints`).

The cells and their backpropagation through time are written once, in NumPy, with a flag
per usual mistake (`Wrong`): the gates split in another order, a gate's sigmoid and tanh
swapped, the gradient from step t + 1 not added or carried the wrong way through time
(a backward loop over t = 0 … T−1), the cell path missing from the cell's
gradient, dWh taken with the new hidden state. Each catalogue row is one such variant and
one output of an op, recomputed from the case's inputs (x, prev_h or h0, prev_c, Wx, Wh, b,
dout, dnext_c; the words x, W; the scores x, y, mask).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from harness.apis.cs231n import rnn
from harness.core.formula import Formula, Inputs

GATES = "ifog"   # CS231n's order of the gates in the LSTM's 4H columns
ACTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "tanh": np.tanh}
SLOPE: dict[str, Callable[[np.ndarray], np.ndarray]] = {   # in terms of the output
    "sigmoid": lambda s: s * (1 - s), "tanh": lambda t: 1 - t**2}
RIGHT = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "g": "tanh"}
COLUMNS = {"i": "0:H", "f": "H:2H", "o": "2H:3H", "g": "3H:4H"}


@dataclass(frozen=True)
class Wrong:
    """How a student computes the cells; the defaults are the right way."""

    order: str = GATES           # the gates a = x·Wx + h·Wh + b is split into, in order
    swapped: str = ""            # the gate whose sigmoid or tanh is the other one
    carry_h: bool = True         # dh_t includes what step t + 1 sends back (BPTT)
    reverse_time: bool = True    # backward runs t = T−1 … 0 (not 0 … T−1, carrying forwards)
    carry_c: bool = True         # and dc_t too (the LSTM)
    cell_path: bool = True       # dnext_h reaches the cell through h = o·tanh(c)
    dwh_prev: bool = True        # dWh = h_{t−1}ᵀ·da (not h_tᵀ·da)

    def act(self, gate: str) -> str:
        right = RIGHT[gate]
        return ("tanh" if right == "sigmoid" else "sigmoid") if gate == self.swapped else right


RIGHT_WAY = Wrong()


def _columns(h: int, order: str) -> dict[str, slice]:
    return {gate: slice(k * h, (k + 1) * h) for k, gate in enumerate(order)}


# ---------------------------------------------------------------- one step, both ways
Step = tuple[tuple[np.ndarray, ...], tuple]   # the new states, the cache


def _rnn_step(x: np.ndarray, h: np.ndarray, w: Inputs, how: Wrong) -> Step:
    new = np.tanh(x @ w["Wx"] + h @ w["Wh"] + w["b"])
    return (new,), (x, h, new)


def _rnn_step_back(dh: np.ndarray, cache: tuple, w: Inputs, how: Wrong
                   ) -> tuple[np.ndarray, ...]:
    x, h, new = cache
    da = dh * (1 - new**2)
    return (da @ w["Wx"].T, da @ w["Wh"].T, x.T @ da,
            (h if how.dwh_prev else new).T @ da, da.sum(axis=0))


def _lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: Inputs, how: Wrong) -> Step:
    a = x @ w["Wx"] + h @ w["Wh"] + w["b"]
    gate = {g: ACTS[how.act(g)](a[:, s]) for g, s in _columns(h.shape[1], how.order).items()}
    new_c = gate["f"] * c + gate["i"] * gate["g"]
    new_h = gate["o"] * np.tanh(new_c)
    return (new_h, new_c), (x, h, c, gate, new_c, new_h)


def _lstm_step_back(dh: np.ndarray, dc: np.ndarray, cache: tuple, w: Inputs, how: Wrong
                    ) -> tuple[np.ndarray, ...]:
    x, h, c, gate, new_c, new_h = cache
    tanh_c = np.tanh(new_c)
    if how.cell_path:
        dc = dc + dh * gate["o"] * (1 - tanh_c**2)
    d = {"i": dc * gate["g"], "f": dc * c, "o": dh * tanh_c, "g": dc * gate["i"]}
    da = np.concatenate([d[g] * SLOPE[how.act(g)](gate[g]) for g in how.order], axis=1)
    return (da @ w["Wx"].T, da @ w["Wh"].T, dc * gate["f"], x.T @ da,
            (h if how.dwh_prev else new_h).T @ da, da.sum(axis=0))


@dataclass(frozen=True)
class Cell:
    states: int   # carried states: h (and c)
    step: Callable[..., Step]
    back: Callable[..., tuple[np.ndarray, ...]]


RNN_CELL = Cell(1, _rnn_step, _rnn_step_back)
LSTM_CELL = Cell(2, _lstm_step, _lstm_step_back)


# ---------------------------------------------------------------- each op's outputs
def _step_outputs(cell: Cell, x: Inputs, how: Wrong) -> dict[str, np.ndarray]:
    state = [x["prev_h"], *([x["prev_c"]] if cell.states == 2 else [])]
    new, cache = cell.step(x["x"], *state, x, how)
    douts = [x["dout"], *([x["dnext_c"]] if cell.states == 2 else [])]
    dx, *rest = cell.back(*douts, cache, x, how)
    names = ("dprev_h", "dprev_c")[:cell.states] + ("dWx", "dWh", "db")
    return {"forward": new[0], "next_c": new[-1], "dX": dx, **dict(zip(names, rest, strict=True))}


def _sequence_outputs(cell: Cell, x: Inputs, how: Wrong) -> dict[str, np.ndarray]:
    state: list[np.ndarray] = [x["h0"], np.zeros_like(x["h0"])][:cell.states]
    hs, caches = [], []
    for t in range(x["x"].shape[1]):
        new, cache = cell.step(x["x"][:, t], *state, x, how)
        state = list(new)
        hs.append(new[0])
        caches.append(cache)
    zero = np.zeros_like(x["h0"])
    carried, dxs = [zero] * cell.states, {}
    dweights = [np.zeros_like(x[name]) for name in ("Wx", "Wh", "b")]
    steps = range(len(caches))
    for t in reversed(steps) if how.reverse_time else steps:
        kept = [carried[0] if how.carry_h else zero, carried[-1] if how.carry_c else zero]
        dxs[t], *rest = cell.back(x["dout"][:, t] + kept[0], *kept[1:cell.states], caches[t],
                                  x, how)
        carried = rest[:cell.states]
        dweights = [total + d for total, d in zip(dweights, rest[cell.states:], strict=True)]
    grads = dict(zip(("dWx", "dWh", "db"), dweights, strict=True))
    return {"forward": np.stack(hs, axis=1), "dX": np.stack([dxs[t] for t in steps], axis=1),
            "dh0": carried[0], **grads}


OUTPUTS: dict[str, Callable[[Inputs, Wrong], dict[str, np.ndarray]]] = {
    "cs231n:rnn_step": lambda x, how: _step_outputs(RNN_CELL, x, how),
    "cs231n:lstm_step": lambda x, how: _step_outputs(LSTM_CELL, x, how),
    "cs231n:rnn": lambda x, how: _sequence_outputs(RNN_CELL, x, how),
    "cs231n:lstm": lambda x, how: _sequence_outputs(LSTM_CELL, x, how),
}


def _formula(op: str, output: str, how: Wrong, computes: str, wrong: str) -> Formula:
    return Formula(output, computes, wrong, lambda x: OUTPUTS[op](x, how)[output])


# ---------------------------------------------------------------- the mistakes
STEPS, SEQUENCES = ("cs231n:rnn_step", "cs231n:lstm_step"), ("cs231n:rnn", "cs231n:lstm")
LSTMS = ("cs231n:lstm_step", "cs231n:lstm")
FORWARD = ("forward", "next_c")
BACKWARD = ("dX", "dprev_h", "dprev_c", "dh0", "dWx", "dWh", "db")
ORDER = "CS231n's a = x·Wx + h·Wh + b holds the gates in the order i, f, o, g (columns " \
        + ", ".join(COLUMNS.values()) + ")"


def _order(order: str) -> tuple[Wrong, str, str]:
    split = ", ".join(order)
    return (Wrong(order=order), f"what the gates split as {split} give",
            f"{ORDER}; reading them as {split} puts "
            + ", ".join(f"gate {g} in columns of gate {r}" for g, r in zip(order, GATES,
                                                                            strict=True) if g != r)
            + (" (torch's nn.LSTM order)" if order == "ifgo" else ""))


def _swap(gate: str) -> tuple[Wrong, str, str]:
    how = replace(RIGHT_WAY, swapped=gate)
    return (how, f"what gate {gate} = {how.act(gate)}(a_{gate}) gives",
            f"gate {gate} (columns {COLUMNS[gate]} of a) takes {RIGHT[gate]}, not "
            f"{how.act(gate)}: "
            "i, f, o = σ(a_i), σ(a_f), σ(a_o) (values in 0..1, how much passes) and "
            "g = tanh(a_g) (the candidate, in −1..1)")


# (ops, outputs, (the variant, what the student computed, what is wrong))
MISTAKES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[Wrong, str, str]], ...] = (
    *((LSTMS, FORWARD + BACKWARD, _order(order)) for order in ("ifgo", "fiog", "iofg")),
    *((LSTMS, ("forward",) if gate == "o" else FORWARD, _swap(gate)) for gate in GATES),
    (SEQUENCES, BACKWARD, (Wrong(carry_h=False), "what dh[:, t] alone at each step t gives",
     "backpropagation through time is truncated: the hidden state at step t also feeds step "
     "t + 1, so its gradient is dh[:, t] plus the dprev_h that step t + 1 returns (carry it "
     "backwards from the last step; dh0 is what reaches step 0)")),
    (SEQUENCES, BACKWARD, (Wrong(reverse_time=False),
     "what a backward loop over t = 0 … T−1 gives",
     "the backward pass runs through time in reverse: start at the last step, t = T − 1, and "
     "go down to 0, so that each step adds the dprev_h of step t + 1 (already computed), not "
     "of step t − 1; dh0 is what leaves step 0 last")),
    (("cs231n:lstm",), BACKWARD, (Wrong(carry_c=False), "what dnext_c = 0 at every step gives",
     "the cell state is carried from step to step too: pass the dprev_c that step t + 1 "
     "returns as step t's dnext_c")),
    (LSTMS, BACKWARD, (Wrong(cell_path=False), "what dc = dnext_c gives",
     "next_h = o·tanh(next_c) depends on the cell too: dc = dnext_c + dnext_h·o·(1 − "
     "tanh²(next_c)), and every gate's gradient (and dprev_c = dc·f) starts from that dc")),
    (STEPS + SEQUENCES, ("dWh",), (Wrong(dwh_prev=False), "dWh = h_tᵀ·da",
     "Wh multiplies the previous hidden state (a = x·Wx + prev_h·Wh + b): dWh = prev_hᵀ·da, "
     "with h_{t−1} (h0 at step 0), not the step's new h_t")),
)


# ---------------------------------------------------------------- words and the loss
def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _softmax_loss(x: Inputs, weights: np.ndarray, divide: float) -> tuple[float, np.ndarray]:
    """(Σ weights·CE / divide, its gradient) over every (n, t)."""
    log_p = _log_softmax(x["x"])
    onehot = np.eye(x["x"].shape[2])[x["y"]]
    loss = -(weights[..., None] * onehot * log_p).sum() / divide
    return float(loss), weights[..., None] * (np.exp(log_p) - onehot) / divide


def _loss_formulas(weights: Callable[[Inputs], np.ndarray], divide: Callable[[Inputs], float],
                   computes: str, wrong: str) -> tuple[Formula, ...]:
    def value(k: int) -> Callable[[Inputs], np.ndarray | float]:
        return lambda x: _softmax_loss(x, weights(x), divide(x))[k]
    return (Formula("forward", computes, wrong, value(0)),
            Formula("dX", computes, wrong, value(1)))


def _mask(x: Inputs) -> np.ndarray:
    return np.asarray(x["mask"], dtype=np.float64)


TEMPORAL_SOFTMAX = (
    *_loss_formulas(lambda x: np.ones(x["y"].shape), lambda x: len(x["x"]),
                    "Σ over every step, padding included, / N",
                    "the mask is ignored: padded steps (mask False) must add nothing to the "
                    "loss and get no gradient; multiply each step's loss and dx by mask"),
    *_loss_formulas(_mask, lambda x: float(_mask(x).sum()), "Σ_masked / (number of steps kept)",
                    "the loss is averaged over the N sequences (÷ N), not over the steps the "
                    "mask keeps: divide the masked sum by N"),
    *_loss_formulas(_mask, lambda x: float(x["y"].size), "Σ_masked / (N·T)",
                    "the loss is summed over the steps and averaged over the N sequences: "
                    "divide by N, not N·T"),
)


def _overwritten(x: Inputs) -> np.ndarray:
    dW = np.zeros_like(x["W"])
    dW[x["x"]] = x["dout"]   # what dW[x] = dout and dW[x] += dout both leave
    return dW


WORD_EMBEDDING = (
    Formula("dW", "what dW[x] += dout leaves", "a word that occurs several times gets the "
            "gradient of one occurrence only (indexed assignment writes each row once): add "
            "them all up with np.add.at(dW, x, dout)", _overwritten),
)


def _catalogue() -> dict[str, tuple[Formula, ...]]:
    outputs_of = {f"cs231n:{name}": outputs for name, _, outputs, _ in rnn.OPS}
    rows: dict[str, list[Formula]] = {}
    for ops, outputs, (how, computes, wrong) in MISTAKES:
        for op in ops:
            rows.setdefault(op, []).extend(_formula(op, output, how, computes, wrong)
                                           for output in outputs if output in outputs_of[op])
    return {**{op: tuple(found) for op, found in rows.items()},
            "cs231n:temporal_softmax_loss": TEMPORAL_SOFTMAX,
            "cs231n:word_embedding": WORD_EMBEDDING}


CATALOGUE: dict[str, tuple[Formula, ...]] = _catalogue()
