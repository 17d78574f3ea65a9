"""Layout bridges: an op of another API seen as the HW6 op with the same math.

CS231n's conv2d and max pooling are HW6's on NCHW images, (F, C, HH, WW) kernels and 1-D
biases, with integer padding and (pooling) none at all. A `Bridge` turns a CS231n case's
parameters and inputs into the HW6 op's, and an HW6-layout array back into CS231n's, so that
what is written once for HW6 — its layer rules (harness/apis/hw6/layer_rules.py) — explains
CS231n's failures too, in CS231n's own axes (`bridged_rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from harness.apis.hw6.layer_rules import RULES as HW6_RULES
from harness.core.cases import Params
from harness.core.formula import Inputs, Rule


def _nchw_to_nhwc(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(a, (0, 2, 3, 1)))


def _nhwc_to_nchw(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(a, (0, 3, 1, 2)))


@dataclass(frozen=True)
class Bridge:
    hw6: str                                   # the HW6 op with the same math
    params: Callable[[Params], Params]         # its parameters, from the other API's
    inputs: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]]  # ours -> (HW6 name, f)
    outputs: dict[str, Callable[[np.ndarray], np.ndarray]] = field(default_factory=dict)
    without: tuple[str, ...] = ()              # HW6 rules (keys) that cannot arise here

    def hw6_inputs(self, x: Inputs) -> Inputs:
        return {name: f(x[ours]) for ours, (name, f) in self.inputs.items() if ours in x}

    def back(self, output: str, a: np.ndarray) -> np.ndarray:
        return self.outputs.get(output, lambda v: v)(np.asarray(a))


IMAGE: dict[str, Callable[[np.ndarray], np.ndarray]] = {"forward": _nhwc_to_nchw,
                                                       "dX": _nhwc_to_nchw}
BRIDGES: dict[str, Bridge] = {
    "cs231n:conv2d": Bridge(
        "conv2d", lambda p: {**p, "act": "linear"},
        {"x": ("X", _nchw_to_nhwc), "w": ("W", lambda w: np.transpose(w, (2, 3, 1, 0))),
         "b": ("b", lambda b: b.reshape(1, -1)), "dout": ("dY", _nchw_to_nhwc)},
        {**IMAGE, "dW": lambda w: np.transpose(w, (3, 2, 0, 1)), "db": lambda b: b.reshape(-1)}),
    "cs231n:pool2d_max": Bridge(
        "pool2d_max", lambda p: {**p, "pad": 0},
        {"x": ("X", _nchw_to_nhwc), "dout": ("dY", _nchw_to_nhwc)}, IMAGE,
        without=("mirrored maximum, with the padding taken as 0",   # no padding to take
                 "assigned, with the padding taken as 0")),
}


def _bridged(rule: Rule, bridge: Bridge) -> Rule:
    """An HW6 rule for the same op in another API's layout."""
    return Rule(rule.key, rule.output, rule.code,
                lambda p, x: bridge.back(rule.output,
                                         rule.fn(bridge.params(p), bridge.hw6_inputs(x))),
                lambda p: rule.message(bridge.params(p)), rule.short)


def bridged_rules() -> dict[str, tuple[Rule, ...]]:
    """HW6's layer rules for the ops bridged to HW6's, in their own layout."""
    return {name: tuple(_bridged(rule, bridge) for rule in HW6_RULES[bridge.hw6]
                        if rule.key not in bridge.without)
            for name, bridge in BRIDGES.items()}
