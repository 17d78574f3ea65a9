"""How mytorch's SGD is run: ``SGD(model, lr, momentum)`` on a model of layers built around the
case's arrays, then ``step()`` a few times; the layers' W and b are read back.

The model is what the course's tests give SGD: an object with ``layers``, each with ``W``,
``b``, ``dLdW`` and ``dLdb`` (here plain namespaces, the same for the twin). Each layer's
gradients differ between W and b, and between steps they stay as set (the course's tests
set them once), so a momentum that mixes up W's and b's velocities shows.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from harness.core.api import KindRunner, OpRunView
from harness.core.cases import Kwargs
from harness.core.driver import attempt

LAYERS = 2   # the layers of the model an optimiser steps
SGD_KIND = "mytorch_sgd"


def run_sgd(cls: Any, ctor: Kwargs, x: dict[str, np.ndarray], outputs: tuple[str, ...],
            run: OpRunView) -> None:
    """``opt = cls(model, lr, momentum)``; ``opt.step()`` ``steps`` times; each layer's W, b."""
    layers = [SimpleNamespace(W=x[f"W{i}"].copy(), b=x[f"b{i}"].copy(),
                              dLdW=x[f"dW{i}"].copy(), dLdb=x[f"db{i}"].copy())
              for i in range(LAYERS)]
    try:
        opt = cls(SimpleNamespace(layers=layers), ctor["lr"], ctor["momentum"])
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        run.fail(outputs, "construct", exc)
        return

    def steps() -> tuple[object, ...]:
        for _ in range(int(ctor["steps"])):  # type: ignore[call-overload]
            opt.step()
        return tuple(getattr(layers[int(name[1:])], name[0]) for name in outputs)

    attempt(run, outputs, "forward", steps)   # its one call: the forward's, to the harness


RUNNERS: dict[str, KindRunner] = {SGD_KIND: run_sgd}
