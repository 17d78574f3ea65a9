"""Run one op of any implementation of the contract on plain input arrays.

The same code drives a student's class (inside the sandboxed child process) and its PyTorch
twin (in the parent), so both are exercised through exactly the contract's API:

- activation: ``act = Cls(); forward(Z) -> Y; backward(Z, dY) -> dZ``
- layer:      ``layer = Cls(**ctor); layer._init_parameters(X.shape)``, then W and b are set
              to the case's values; ``forward(X) -> Y; backward(dY) -> dX``;
              ``gradients["W"] -> dW``, ``gradients["b"] -> db``
- loss:       ``loss = Cls(name); forward(Y, Y_hat) -> L; backward(Y, Y_hat) -> dY_hat``

What the implementation returns is kept as is (lists, None, ``...`` included): judging it is
the comparison's job. An exception is kept per output with the stage that raised it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STAGES = ("construct", "init", "forward", "backward", "gradients")


@dataclass
class OpRun:
    outputs: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, tuple[str, BaseException]] = field(default_factory=dict)
    on_stage: Callable[[str], None] = field(default=lambda stage: None, repr=False)

    def fail(self, names: tuple[str, ...] | list[str], stage: str, exc: BaseException) -> None:
        for name in names:
            if name not in self.outputs:
                self.errors[name] = (stage, exc)


# Which outputs each call computes: an input modified in place during a stage is blamed on them.
OUTPUTS_OF_STAGE = {"forward": ("forward",), "backward": ("dX", "dW", "db")}


def run_op(kind: str, cls: type, ctor: dict[str, Any], inputs: dict[str, np.ndarray],
           outputs: tuple[str, ...],
           on_stage: Callable[[str], None] | None = None) -> OpRun:
    """Construct `cls` and compute `outputs` on `inputs` (which the op may mutate).

    `on_stage(stage)` is called after the forward and after the backward call, so a caller
    can see which call modified the inputs in place.
    """
    run = OpRun(on_stage=on_stage or (lambda stage: None))
    try:
        op = cls(**ctor)
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        run.fail(outputs, "construct", exc)
        return run
    {"activation": _run_activation, "layer": _run_layer, "loss": _run_loss}[kind](
        op, inputs, outputs, run)
    return run


def _attempt(run: OpRun, names: tuple[str, ...], stage: str, fn) -> bool:
    try:
        values = fn()
    except BaseException as exc:  # noqa: BLE001
        run.fail(names, stage, exc)
        return False
    finally:
        if stage in OUTPUTS_OF_STAGE:
            run.on_stage(stage)
    run.outputs.update(zip(names, values, strict=True))
    return True


def _run_activation(act: Any, x: dict, outputs: tuple[str, ...], run: OpRun) -> None:
    _attempt(run, ("forward",), "forward", lambda: (act.forward(x["Z"]),))
    _attempt(run, ("dX",), "backward", lambda: (act.backward(x["Z"], x["dY"]),))


def _run_loss(loss: Any, x: dict, outputs: tuple[str, ...], run: OpRun) -> None:
    _attempt(run, ("forward",), "forward", lambda: (loss.forward(x["Y"], x["Y_hat"]),))
    _attempt(run, ("dX",), "backward", lambda: (loss.backward(x["Y"], x["Y_hat"]),))


def _run_layer(layer: Any, x: dict, outputs: tuple[str, ...], run: OpRun) -> None:
    if "W" in x:
        def init() -> tuple:
            layer._init_parameters(x["X"].shape)
            layer.parameters["W"] = x["W"]
            layer.parameters["b"] = x["b"]
            return ()
        if not _attempt(run, (), "init", init):
            return
    if not _attempt(run, ("forward",), "forward", lambda: (layer.forward(x["X"]),)):
        run.fail(outputs, "forward", run.errors["forward"][1])
        return
    if not _attempt(run, ("dX",), "backward", lambda: (layer.backward(x["dY"]),)):
        run.fail(outputs, "backward", run.errors["dX"][1])
        return
    for out, key in (("dW", "W"), ("db", "b")):
        if out in outputs:
            _attempt(run, (out,), "gradients", lambda key=key: (layer.gradients[key],))
