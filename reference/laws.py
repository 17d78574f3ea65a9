"""The law a weight initializer draws from, as a plain record (no torch: the parent judges
initializers from a cached law without importing torch, see harness/core/refcache.py).

`reference.weights.law` computes it from torch.nn.init's own fan and gain rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Law:
    """The distribution an initializer draws every element from: U(−scale, scale) when
    `family` is "uniform", N(0, scale²) when it is "normal"."""

    family: str
    scale: float
    fan_in: int
    fan_out: int
    gain: float

    @property
    def std(self) -> float:
        return self.scale / math.sqrt(3.0) if self.family == "uniform" else self.scale

    def describe(self) -> str:
        what = f"U(−{self.scale:.6g}, {self.scale:.6g})" if self.family == "uniform" \
            else f"N(0, {self.scale:.6g}²)"
        return f"{what} (fan_in={self.fan_in}, fan_out={self.fan_out}, gain={self.gain:.6g})"
