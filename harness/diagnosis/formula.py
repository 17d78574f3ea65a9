"""A catalogued wrong formula (`harness.diagnosis.fingerprints`): what the student computed, and
how."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class Formula:
    output: str                          # the output it is about: "forward", "dX", ...
    computes: str                        # the formula the student computed
    wrong: str                           # what is wrong with it, in the student's terms
    fn: Callable[[Inputs], np.ndarray | float]   # that formula, from the case's inputs
    #                                              (a loss: one number)
