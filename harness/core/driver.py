"""Run one op of any implementation on plain input arrays.

The same code drives a student's code (inside the sandboxed child process) and its PyTorch
twin (in the parent), so both are exercised through exactly the API's calls:

- a function API's op (`Calls`): ``out, cache = forward(*args, param)``, then
  ``backward(dout, cache)`` (an LSTM step's forward returns next_c too, and its backward
  takes dnext_c);
- a class API declared by an adapter (`Methods`): ``Cls(*init)``, ``forward``, ``backward``,
  then the gradients' attributes;
- any other kind is run by the runner its API declares (`harness.core.api.Api.runners`:
  HW6's activation, layer, loss, model, ... are in harness/apis/hw6/runners.py).

What the implementation returns is kept as is (lists, None, ``...`` included): judging it is
the comparison's job. An exception is kept per output with the stage that raised it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from harness.core import expressions
from harness.core.api import KindRunner, OpRunView
from harness.core.cases import Kwargs
from harness.core.opspec import TWIN_OPTIONS, Calls, Methods
from harness.core.registry import kind_runners

STAGES = ("construct", "init", "forward", "backward", "gradients")


@dataclass
class OpRun:
    outputs: dict[str, object] = field(default_factory=dict)   # kept as returned
    errors: dict[str, tuple[str, BaseException]] = field(default_factory=dict)
    on_stage: Callable[[str], None] = field(default=lambda stage: None, repr=False)
    init_error: BaseException | None = field(default=None, repr=False)
    created: dict[str, np.ndarray] = field(default_factory=dict)  # by _init_parameters

    def fail(self, names: tuple[str, ...] | list[str], stage: str, exc: BaseException) -> None:
        """Keep `exc` for each of `names` not computed yet (the first exception of each)."""
        if not names:
            self.init_error = exc   # a stage that computes no output (init) failed
        for name in names:
            if name not in self.outputs:
                self.errors.setdefault(name, (stage, exc))


# Which outputs each call computes: an input modified in place during a stage is blamed on them.
OUTPUTS_OF_STAGE = {"forward": ("forward",), "backward": ("dX", "dW", "db")}


def run_op(kind: str, cls: object, ctor: Kwargs, inputs: dict[str, np.ndarray],
           outputs: tuple[str, ...],
           on_stage: Callable[[str], None] | None = None, calls: Calls | None = None,
           methods: Methods | None = None) -> OpRun:
    """Construct `cls` and compute `outputs` on `inputs` (which the op may mutate); with
    `calls` (a function API), call the functions of module `cls` as they say. `cls` is what
    the implementation's module holds under the op's name (or the module itself, or the
    twin): anything, which the call that fails on it records.

    `on_stage(stage)` is called after the forward and after the backward call, so a caller
    can see which call modified the inputs in place.
    """
    run = OpRun(on_stage=on_stage or (lambda stage: None))
    if calls is not None:  # a function API: `cls` is the module holding the functions
        _run_functions(cls, calls, ctor, inputs, outputs, run)
        return run
    if methods is not None:  # a class API declared by an adapter
        _run_object(cls, methods, ctor, inputs, outputs, run)
        return run
    _kind_runners()[kind](cls, ctor, inputs, outputs, run)
    return run


# runner(cls, ctor, inputs, outputs, run): how an API's own kind of op is run (a
# `harness.core.api.KindRunner`; `run` is an OpRun, which it sees as `OpRunView`).
Runner = Callable[[object, Kwargs, dict[str, np.ndarray], tuple[str, ...], OpRunView], None]


@functools.cache
def _kind_runners() -> dict[str, KindRunner]:
    return kind_runners()   # every API's own kinds (harness/core/registry.py)


class StageCall(Protocol):
    """One stage's call (a lambda, its loop variables bound as defaults): the values of its
    outputs, in order."""

    def __call__(self) -> tuple[object, ...]: ...


def attempt(run: OpRunView, names: tuple[str, ...], stage: str, fn: StageCall) -> bool:
    """Record `fn()`'s values on `run` as `names` (one each), or what it raised for each of
    them; whether it returned. A stage that may modify the inputs calls `run.on_stage`."""
    try:
        values = fn()
    except BaseException as exc:  # noqa: BLE001
        run.fail(names, stage, exc)
        return False
    finally:
        if stage in OUTPUTS_OF_STAGE:
            run.on_stage(stage)
    # an array as it was returned: a later call that writes into it (a backward reusing the
    # forward's output as its scratch) does not change what the earlier call computed
    run.outputs.update(zip(names, (v.copy() if isinstance(v, np.ndarray) else v
                                   for v in values), strict=True))
    return True


def _scalar_int(value: Any) -> Any:
    """A 0-d integer array (only arrays cross to the child) as the int it stands for:
    attention's num_heads, which student code may check with isinstance or use in range."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return value


def _run_functions(module: Any, calls: Calls, ctor: dict[str, Any], x: dict,
                   outputs: tuple[str, ...], run: OpRun) -> None:
    """``out, cache = forward(*args, param)``; state read back from param; then
    ``backward(dout, cache)`` (see `harness.core.opspec.Calls`)."""
    args = [_scalar_int(x[name]) for name in calls.args]
    param = None
    options = ctor.get(TWIN_OPTIONS, {})   # the twin's variant (an adapter's convention)
    if calls.param is not None:
        param = {**{k: v for k, v in ctor.items() if k != TWIN_OPTIONS},
                 **{k: np.array(x[k]) for k in calls.state if k in x}}
        args.append(param)
    forward = getattr(module, calls.forward)  # the child has checked that it exists
    # the twin's only (harness.core.opspec): the units a dropout kept, a variant's options
    extra = {**{k: x[k] for k in calls.extra if k in x}, **options}
    if extra:
        forward = functools.partial(forward, **extra)
    if calls.loss:
        attempt(run, ("forward", "dX"), "forward", lambda: tuple(_pair(forward(*args))))
        return
    cache: list[Any] = []
    outs = tuple(k for k in calls.outs if k in outputs)
    state_names = tuple(k for k in calls.state if k in outputs)

    def call_forward() -> tuple:   # the out and further results, the state left in param
        out, *more, kept = _n_tuple(forward(*args), 2 + len(calls.outs))
        cache.append(kept)
        results = dict(zip(calls.outs, more, strict=True))
        return (out, *[results[k] for k in outs],
                *[param.get(k) for k in state_names])  # type: ignore[union-attr]

    if not attempt(run, ("forward", *outs, *state_names), "forward", call_forward):
        run.fail(outputs, "forward", run.errors["forward"][1])
        return
    grads = [g for g in calls.grads if g in outputs]
    backward = calls.backward
    if backward is None or not grads:
        return

    def call_backward() -> tuple:
        got = _function(module, backward)(x[calls.dout], *[x[k] for k in calls.douts],
                                          cache[0])
        values = (got,) if len(calls.grads) == 1 else tuple(_n_tuple(got, len(calls.grads)))
        return tuple(v for name, v in zip(calls.grads, values, strict=True) if name in grads)

    attempt(run, tuple(grads), "backward", call_backward)


def _run_object(cls: Any, methods: Methods, ctor: dict[str, Any], x: dict,
                outputs: tuple[str, ...], run: OpRun) -> None:
    """``layer = cls(*init)``, its attributes set, ``forward(*args)``, its state read,
    ``backward(*args)``, then the gradients' attributes (see `harness.core.opspec.Methods`).
    The twin's constructor also takes the year's options (`TWIN_OPTIONS` in its ctor)."""
    env = methods.values(ctor, x)

    def call(method: Callable[..., Any], arguments: tuple[str, ...], **more: Any) -> Any:
        args, kwargs = methods.arguments(arguments, env)
        return method(*args, **kwargs, **more)

    def construct() -> Any:
        makers = {keyword: _maker(keyword, expressions.evaluate(name, env))
                  for keyword, name in methods.makers}
        layer = call(cls, methods.init, **makers, **ctor.get(TWIN_OPTIONS, {}))
        for attribute, name in methods.sets:
            _set_path(layer, attribute, expressions.evaluate(name, env))
        return layer

    try:
        layer = construct()
    except BaseException as exc:  # noqa: BLE001
        run.fail(outputs, "construct", exc)
        return
    if not attempt(run, ("forward",), "forward",
                   lambda: (call(layer.forward, methods.forward),)):
        run.fail(outputs, "forward", run.errors["forward"][1])
        return
    for output, attribute in methods.state:
        if output in outputs:
            attempt(run, (output,), "gradients",
                    lambda attribute=attribute: (_get_path(layer, attribute),))
    backs = tuple(o for o in (methods.returns, *dict(methods.grads)) if o in outputs)
    if not backs:
        return
    if not attempt(run, (methods.returns,), "backward",
                   lambda: (call(layer.backward, methods.backward),)):
        run.fail(outputs, "backward", run.errors[methods.returns][1])
        return
    for output, attribute in methods.grads:
        if output in outputs:
            attempt(run, (output,), "gradients",
                    lambda attribute=attribute: (_get_path(layer, attribute),))


def _maker(keyword: str, array: np.ndarray) -> Callable[..., np.ndarray]:
    """A constructor's initialiser (``weight_init_fn(out, in, k)``) that returns `array`,
    asked for its shape."""
    def make(*shape: int) -> np.ndarray:
        if tuple(shape) != array.shape:
            raise ValueError(f"{keyword}{tuple(shape)} was called with the wrong shape: the "
                             f"contract's is {array.shape}")
        return array.copy()
    return make


def _get_path(obj: Any, path: str) -> Any:
    """``obj.a.b`` for the dotted path "a.b"; NotImplementedError where a part on the way is
    still None (the handout's ``self.conv1d_stride1 = None  # TODO``)."""
    names = path.split(".")
    for i, name in enumerate(names):
        if obj is None and i:
            raise NotImplementedError(f"self.{'.'.join(names[:i])} is still None: create it "
                                      "in __init__")
        obj = getattr(obj, name)
    return obj


def _set_path(obj: Any, path: str, value: Any) -> None:
    head, _, last = path.rpartition(".")
    owner = _get_path(obj, head) if head else obj
    if owner is None:
        raise NotImplementedError(f"self.{head} is still None: create it in __init__")
    setattr(owner, last, value)


def _function(module: Any, name: str) -> Callable[..., Any]:
    found = getattr(module, name, None)
    if not callable(found):
        raise NotImplementedError(f"{module.__name__.rpartition('.')[2]}.py has no function "
                                  f"{name}")
    return found


def _pair(result: Any) -> tuple[Any, Any]:
    """The (value, cache) a function API's forward returns; a TypeError saying so else."""
    return tuple(_n_tuple(result, 2))  # type: ignore[return-value]


def _n_tuple(result: Any, n: int) -> tuple:
    if not isinstance(result, tuple | list) or len(result) != n:
        what = f"a {type(result).__qualname__}" + (
            f" of length {len(result)}" if isinstance(result, tuple | list) else "")
        raise TypeError(f"expected a tuple of {n} values, got {what}")
    return tuple(result)

