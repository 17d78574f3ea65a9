"""What an API catalogues of the usual mistakes on its ops, for the diagnosis to match a
student's output against: wrong formulas (`Formula`, matched by
`harness.diagnosis.fingerprints`) and a layer's wrong rules (`Rule`, matched by
`harness.diagnosis.layer_rules`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.core.cases import Params

Inputs = dict[str, np.ndarray]


@dataclass(frozen=True)
class Formula:
    output: str                          # the output it is about: "forward", "dX", ...
    computes: str                        # the formula the student computed
    wrong: str                           # what is wrong with it, in the student's terms
    fn: Callable[[Inputs], np.ndarray | float]   # that formula, from the case's inputs
    #                                              (a loss: one number)


@dataclass(frozen=True)
class Rule:
    key: str                                        # stable across cases: "tap(0,0)", "count:kh"
    output: str                                     # forward | dX | dW | db
    code: str                                       # the diagnosis code it names
    fn: Callable[[Params, Inputs], np.ndarray]      # what the student returns under the rule
    message: Callable[[Params], str]                # the rule in the student's terms
    short: str = ""                                 # a few words, when it coincides with another

    @property
    def said(self) -> str:
        return self.short or self.key
