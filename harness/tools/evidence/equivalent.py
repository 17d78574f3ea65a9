"""Equivalent mutants, argued by hand: the cases where the automatic arguments are not enough.

The automatic arguments (`harness.tools.evidence.run.equivalence`) say that a survivor of the
confirming cases never runs its mutated line, or gives bitwise-identical (or rounding-close)
outputs on every one of those cases. That is evidence over the cases drawn, not a proof over
every input the contract allows. Each surviving mutant's record is read against two tables,
keyed by (function, mutated line):

- ``NOT_EQUIVALENT``: identical on the cases, but an input the contract allows (or the use
  the contract makes of the function) tells it apart: it counts as a survivor, a miss;
- ``ARGUMENTS``: why it is equivalent for every contract input (added to the automatic
  argument, or the argument of a survivor that has none).
"""

from __future__ import annotations

from typing import Any

SHIFT_UNTESTED = ("{}; the attention cases draw no score above 3, so nothing tells it from "
                  "the row's own maximum (a case whose rows' scores lie 800 apart would, as "
                  "the temporal softmax loss's scale=mixed case does)")
NOT_EQUIVALENT: dict[tuple[str, str], str] = {
    ("FullyConnected.backward", "self.gradients['b'] = dZ.sum(axis=0)"):
        "db stored as (n_out,) for b (1, n_out): the homework profile passes it with a warning "
        "(grad_shape=broadcast, 'values match once broadcast; the contract wants exactly the "
        "parameter's shape'), as the homework accepts; the strict profile fails it",
    ("pad2d", "Xp = np.zeros(shape) if value != 0 else np.full(shape, value)"):
        "max pooling padded with 0 instead of -inf: the homework profile accepts either "
        "padding value (the convention maxpool_pad, -inf or zero: 'matches under maxpool_pad="
        "zero'), as most real submissions pad with np.pad's 0; the strict profile fails it",
    ("Pool2D.forward", "argmax = np.empty(Y.shape, np.min_scalar_type(len(self._taps()) - 2))"):
        "the batch's counter must hold len(taps) - 1 too: uint8 overflows with exactly 257 "
        "taps, a kernel no case draws",
    # attention.py's softmax: its cases keep every |score| within 3 (docs/attention.md), where
    # any shift gives the same weights to rounding; the contract bounds no score
    ("softmax", "e = np.exp(scores)"): SHIFT_UNTESTED.format(
        "no shift: e^s overflows to inf (inf/inf = nan) once a score passes 709"),
    ("softmax", "e = np.exp(scores + scores.max(axis=axis, keepdims=True))"):
        SHIFT_UNTESTED.format("the maximum added, not subtracted: e^(s + max) overflows once "
                              "a row's maximum passes 355"),
    ("softmax", "e = np.exp(scores - scores.max(keepdims=True))"): SHIFT_UNTESTED.format(
        "one shift for every row (the batch's maximum): a row whose scores all lie more than "
        "745 below it underflows to 0/0"),
}
SWAPAXES = "np.swapaxes(a, i, j) and np.swapaxes(a, j, i) are the same view of a"
ARGUMENTS: dict[tuple[str, str], str] = {
    ("Sigmoid.forward", "return np.where(Z > 0, 1.0, e) / (1.0 + e)"):
        "at z = 0 both branches give 1/(1 + 1): the comparison's boundary changes nothing",
    ("ReLU.backward", "return dY * (Z >= 0)"):
        "differs only at Z = 0, where ReLU has no derivative: the contract never asks "
        "(such points are never generated, SPEC.md)",
    ("Pool2D._max", "for x in taps[:]:"):
        "the running maximum starts from tap 0; comparing with it again changes nothing",
    ("Pool2D._max", "for x in taps[0:]:"):
        "the running maximum starts from tap 0; comparing with it again changes nothing",
    ("Pool2D._max", "for x in taps[1:]:"):
        "the last tap adds 1 only when every tap is below the maximum, which one tap equals",
    ("Pool2D._overlapping", "return self.stride <= max(self.kernel_shape)"):
        "only stride == kernel changes, where windows touch without sharing a pixel: the "
        "overlapping path's maxima are exact, and its gradient sums add each value to 0 once, "
        "so both paths give the same bits",
    ("Pool2D._max", "argmax = i_first.astype(np.min_scalar_type(kh / kw)) * kw"):
        "min_scalar_type of a float is float16, which holds every tap index below 2048 "
        "exactly, and the forward casts the counts into its integer argmax",
    ("pad_amounts", "if isinstance(pad, (int, np.integer)) and pad >= -1:"):
        "only pad = -1 changes (accepted instead of refused), and the contract allows no "
        "negative padding",
    ("pad2d", "if ph == pw == -1:"):
        "without padding, np.pad with zero widths returns a copy of X with the same values",
    # the sequence models (CS231n's rnn_layers.py, mytorch's CTC.py)
    ("sigmoid", "return np.where(x > 0, 1 / (1 + e), e / (1 + e))"):
        "at x = 0, e = 1 and both branches give 1/2: the comparison's boundary changes nothing",
    ("_backward_in_time", "dstate = [np.zeros_like(dh[:, -1])] * states"):
        "zeros_like reads only the shape and dtype, and every step of dh has the same",
    ("shifted", "if by >= 0:"):
        "CTC calls shifted with by = 1, 2, -1 and -2 only: by = 0 never reaches the comparison",
    ("shifted", "if by > -1:"):
        "CTC calls shifted with by = 1, 2, -1 and -2 only: by = 0 never reaches the comparison",
    # attention.py: the transpose operator reverses swapaxes' two axes
    ("scaled_dot_product_attention_forward",
     "scores = np.where(mask, q @ np.swapaxes(k, -2, -1) * scale, -np.inf)"): SWAPAXES,
    ("scaled_dot_product_attention_backward", "dweights = dout @ np.swapaxes(v, -2, -1)"):
        SWAPAXES,
    ("scaled_dot_product_attention_backward", "dv = np.swapaxes(weights, -2, -1) @ dout"):
        SWAPAXES,
    ("scaled_dot_product_attention_backward",
     "return (dscores @ k, np.swapaxes(dscores, -2, -1) @ q, dv)"): SWAPAXES,
}
# NumPy treats any negative size in reshape as "the rest" (-2 like -1): checked in NumPy 2.4
RESHAPE = "NumPy reads any negative size in reshape as 'the rest', as it does -1"


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return str(record.get("function", "")), str(record.get("after", ""))


def judge(record: dict[str, Any]) -> None:
    """Set a surviving record's ``equivalent`` (or ``not_equivalent``) from its automatic
    argument (kept as ``auto_equivalent``) and the tables; the same result every time."""
    if not record.get("survived_confirm"):
        return
    auto = record.setdefault("auto_equivalent", record.get("equivalent"))
    record.pop("not_equivalent", None)
    key = _key(record)
    if key in NOT_EQUIVALENT:
        record["equivalent"] = None
        record["not_equivalent"] = NOT_EQUIVALENT[key]
        return
    why = ARGUMENTS.get(key) or (RESHAPE if "reshape(" in key[1] and "-2" in key[1] else None)
    if why is None:
        record["equivalent"] = auto
    elif auto:
        record["equivalent"] = {"kind": auto["kind"], "why": f"{auto['why']}; {why}"}
    else:
        record["equivalent"] = {"kind": "argued", "why": why}
