"""How mytorch's ops that are not one forward and one backward are run.

SGD: ``SGD(model, lr, momentum)`` on a model of layers built around the case's arrays, then
``step()`` a few times; the layers' W and b are read back.

The model is what the course's tests give SGD: an object with ``layers``, each with ``W``,
``b``, ``dLdW`` and ``dLdb`` (here plain namespaces, the same for the twin). Each layer's
gradients differ between W and b, and between steps they stay as set (the course's tests
set them once), so a momentum that mixes up W's and b's velocities shows.

HW3P1's classes, by a `Plan`: the object constructed, then its methods called in order
(``init_weights``, ``forward``, ``backward`` twice, ``extend_target_with_blank``, ...), each
returning one output or a tuple of them, with attributes read after a call (the RNN
classifier's, of each of its cells: `read`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np

from harness.core import expressions
from harness.core.api import KindRunner, OpRunView
from harness.core.cases import Kwargs
from harness.core.driver import attempt
from harness.core.opspec import TWIN_OPTIONS

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


# ---------------------------------------------------------------- plans of calls
@dataclass(frozen=True)
class Call:
    """``value = obj.<method>(*args)``, each argument an expression over the case's inputs
    and parameters (harness/core/expressions.py). `returns` names the outputs the value is:
    one name, the value itself; several, the items of the tuple it returns ("" for an item
    not compared), as the handout names them in `labels`. Each of `reads` (output,
    attribute, or a path into a list attribute: `read`) is read after the call. `stage` is
    the call's ("forward", "backward") for the reports and the check that inputs were not
    modified in place. With `as_arrays`, each returned item is taken through ``np.array``
    first, as the course's test takes it (a list of symbols is then as good as an array)."""

    method: str
    args: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    reads: tuple[tuple[str, str], ...] = ()
    stage: str = "forward"
    as_arrays: bool = False

    @property
    def outputs(self) -> tuple[str, ...]:
        return (*filter(None, self.returns), *(output for output, _ in self.reads))


@dataclass(frozen=True)
class Plan:
    """An object constructed from `init` (expressions), then `calls` in order."""

    kind: str
    init: tuple[str, ...] = ()
    calls: tuple[Call, ...] = ()

    def call(self, output: str) -> Call:
        """The call that computes `output`."""
        return next(c for c in self.calls if output in c.outputs)


def _values(call: Call, value: object) -> tuple[object, ...]:
    """The compared items of what `call` returned, in `returns` order (without the "")."""
    if len(call.returns) < 2:
        items: tuple[object, ...] = (value,)[:len(call.returns)]
    elif isinstance(value, tuple | list) and len(value) == len(call.returns):
        items = tuple(v for name, v in zip(call.returns, value, strict=True) if name)
    else:
        what = f"{len(value)} values" if isinstance(value, tuple | list) else \
            f"a {type(value).__name__}"
        raise TypeError(f"{call.method} returned {what}; the handout's returns "
                        f"{len(call.returns)} values ({', '.join(call.labels)})")
    return tuple(np.array(v) for v in items) if call.as_arrays else items


def run_plan(plan: Plan, cls: Any, ctor: Kwargs, x: dict[str, np.ndarray],
             outputs: tuple[str, ...], run: OpRunView) -> None:
    """Construct, then each call of `plan` while an output is still to come: what a call
    raises is charged to its outputs and every later one (they read the object it left)."""
    env = {**{k: v for k, v in ctor.items() if k != TWIN_OPTIONS}, **x}

    def arguments(names: tuple[str, ...]) -> list[Any]:
        return [expressions.evaluate(name, env) for name in names]

    try:
        obj = cls(*arguments(plan.init), **ctor.get(TWIN_OPTIONS, {}))  # type: ignore[arg-type]
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        run.fail(outputs, "construct", exc)
        return
    for i, call in enumerate(plan.calls):
        later = tuple(o for c in plan.calls[i:] for o in c.outputs if o in outputs)
        if not later:
            return
        named = tuple(filter(None, call.returns))

        def called(call: Call = call) -> tuple[object, ...]:
            return _values(call, getattr(obj, call.method)(*arguments(call.args)))

        if not attempt(run, named, call.stage, called):
            # what it raised: its first output's, or (a call of no output) init_error
            raised = run.errors[named[0]][1] if named else run.init_error
            assert raised is not None
            run.fail(later, call.stage, raised)
            return
        for output, attribute in call.reads:
            if output in outputs:
                attempt(run, (output,), "gradients",
                        lambda attribute=attribute: (read(obj, attribute),))


ITEMS = re.compile(r"^(\w+)\[(\d*)(:?)(\d*)\]\.(\w+)$")   # rnn[1:].dW_ih


def read(obj: object, path: str) -> object:
    """An attribute a call left: ``dW_ih``, or of the objects a list attribute holds:
    ``rnn[0].dW_ih`` (one), ``rnn[1:].dW_ih`` (those, stacked along a new first axis)."""
    found = ITEMS.match(path)
    if found is None:
        return getattr(obj, path)
    items, start, colon, stop, attribute = found.groups()
    held = getattr(obj, items)
    if not colon:
        return getattr(held[int(start)], attribute)
    chosen = held[int(start or 0):int(stop) if stop else None]
    return np.stack([np.asarray(getattr(item, attribute)) for item in chosen])


def plan_runners(plans: list[Plan]) -> dict[str, KindRunner]:
    """The runner of each plan's kind."""
    runners: dict[str, Callable[..., None]] = {p.kind: partial(run_plan, p) for p in plans}
    return runners
