"""What one op is to the harness: an `OpSpec`, the row of an API's op table.

An op is the math (fully_connected, conv2d, batchnorm, ...); an API (`harness.apis`) says how
an implementation reaches it. A class API's ops are classes (`module.cls`, driven by their
kind, which the API's runners define: HW6's activation, layer, loss, model, ...); a function
API's ops are pairs of functions
described by `Calls` (CS231n's ``affine_forward(x, w, b) -> (out, cache)`` and
``affine_backward(dout, cache) -> (dx, dw, db)``). The same driver runs the implementation
and its PyTorch twin through exactly those calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harness.core import cases as c
from harness.core.cases import Case, Family, Kwargs, Params


@dataclass(frozen=True)
class Calls:
    """How a function API computes an op's outputs (kind "function").

    ``out, cache = forward(*args, param)``, then ``backward(dout, cache)`` returns `grads`;
    with `loss`, ``loss, dx = forward(*args)`` and there is no backward. `param` is the dict
    of the case's constructor parameters (conv_param, bn_param, ...), passed last; the inputs
    named in `state` are put into it (copies: CS231n updates them there) and read back from
    it after the forward as outputs of the same name (running_mean, running_var).
    """

    forward: str
    args: tuple[str, ...]
    backward: str | None = None
    grads: tuple[str, ...] = ()
    param: str | None = None
    state: tuple[str, ...] = ()
    dout: str = "dout"
    loss: bool = False
    extra: tuple[str, ...] = ()   # inputs passed to the twin's forward only, by keyword

    def function(self, output: str) -> str:
        """The function that computes `output`."""
        if output == "forward" or self.loss or output in self.state or not self.backward:
            return self.forward
        return self.backward


@dataclass(frozen=True)
class Methods:
    """How a class API computes an op's outputs (kind "object"; a user-declared adapter).

    ``layer = Cls(*init)``; ``out = layer.forward(*forward)``; ``dx = layer.backward(
    *backward)``; then each of `grads` (output, attribute) is read from the object. Names in
    `init`, `forward` and `backward` are the op's inputs or, for `init`, the case's
    constructor parameters (stride, pad, pool_height, ...).
    """

    init: tuple[str, ...] = ()
    forward: tuple[str, ...] = ("x",)
    backward: tuple[str, ...] = ("dout",)
    returns: str = "dX"
    grads: tuple[tuple[str, str], ...] = ()
    loss: bool = False

    def function(self, cls: str, output: str, detail: bool = True) -> str:
        if output == "forward":
            return f"{cls}.forward"
        attribute = dict(self.grads).get(output) if detail else None
        return f"{cls}.backward" + (f" (self.{attribute})" if attribute else "")


@dataclass(frozen=True)
class OpSpec:
    name: str                   # op name, used in case IDs, reports and rubrics
    module: str                 # contract module holding the class (or the functions)
    cls: str                    # contract class name (a function API: the forward function)
    family: Family              # how cases are sampled and inputs built
    outputs: tuple[str, ...]    # compared outputs, in order
    fixed: Params = field(default_factory=dict)  # constructor arguments this op fixes
    op_kind: str | None = None  # how the driver runs it: a kind its API's runners define
    max_cases: int | None = None  # at most this many cases per run (training: each is K steps)
    api: str = ""               # the API whose table holds it (harness.apis)
    calls: Calls | None = None  # a function API's calls (kind "function")
    # Outputs judged from the others by a test of their own (dropout's mask, by statistics):
    # judge(output, got, inputs, ctor) -> (ok, message), with got the implementation's
    # returned arrays by output name; they are not asked of the implementation.
    derived: tuple[str, ...] = ()
    judge: Callable[[str, dict[str, np.ndarray], dict[str, np.ndarray], Kwargs],
                    tuple[bool, str]] | None = None
    # Inputs the twin is given from what the implementation returned (the units its dropout
    # kept), so that both compute with the same random draw: given(got) -> {name: array}.
    given: Callable[[dict[str, np.ndarray], dict[str, np.ndarray]],
                    dict[str, np.ndarray]] | None = None
    methods: Methods | None = None  # a class API's calls (kind "object")
    optional: bool = False      # some years' assignment has no such function: when the
                                # implementation has none, `check` leaves the op out, saying so
    twin: str | None = None     # the op whose twin computes the expected outputs (adapters)
    loss: bool = False          # its forward is a loss value (a scalar, however wrapped)
    twin_conventions: bool = False  # its twin is built with the conventions (conventions=...)
    # The shapes the contract gives the parameters the op creates itself (in words, by
    # name), and the call that creates them: the created shapes are compared too.
    param_shapes: dict[str, str] = field(default_factory=dict)
    creates: str = ""
    # What to open for each output, for an op its API's runner drives ('Conv2D.backward',
    # 'initialize_optimizer'); a function or adapter API's op says it through its calls.
    opens: dict[str, str] = field(default_factory=dict)
    # Which of its cases are checked (None: all): an edition keeps the cases that use only
    # that year's ops (harness/core/editions.py).
    keep: Callable[[Case], bool] | None = None

    def __post_init__(self) -> None:
        _FAMILIES.setdefault(self.name, self.family)

    @property
    def kind(self) -> str:
        if self.calls is not None:
            return "function"
        if self.methods is not None:
            return "object"
        if self.op_kind is None:
            raise ValueError(f"op {self.name}: no kind (calls, methods or op_kind)")
        return self.op_kind

    def cases(self, count: int, seed: int = 0) -> Iterator[Case]:
        if self.max_cases is not None:
            count = min(count, self.max_cases)
        return c.iter_cases(self.name, self.family, self.fixed, count, seed, self.keep)

    def inputs(self, case: Case) -> dict[str, np.ndarray]:
        """The case's input arrays, built once per case and read-only: copy them before
        handing them to code that may write into its inputs."""
        return dict(_cached_inputs(self.name, case))

    def ctor(self, case: Case) -> Kwargs:
        return self.family.ctor(case.p, self.fixed)

    def axes(self, output: str, ndim: int) -> tuple[str, ...]:
        """Axis names for locating an element of `output` (generic names if ndim differs)."""
        names = self.family.axes.get(output)
        if names is not None and len(names) == ndim:
            return names
        if ndim == 4:
            return c.IMAGE_AXES
        if ndim == 2:
            return ("n", "j")
        return tuple(f"axis{i}" for i in range(ndim))

    @property
    def asked(self) -> tuple[str, ...]:
        """The outputs the implementation computes (not the derived ones)."""
        return tuple(o for o in self.outputs if o not in self.derived)

    def scalar(self, output: str) -> bool:
        """Whether `output` is a loss value: a scalar, however the implementation wraps it."""
        return output == "forward" and (self.loss
                                        or (self.calls is not None and self.calls.loss)
                                        or (self.methods is not None and self.methods.loss))

    def function(self, output: str, detail: bool = True) -> str:
        """What to open for `output`: a function API's function, or an adapter's method
        (with `detail`, the attribute its gradient is read from), or what its API's table
        says to open (`opens`); "" when nothing says."""
        if self.calls is not None:   # a derived output (dropout's mask) is the forward's draw
            return self.calls.function("forward" if output in self.derived else output)
        if self.methods is not None:
            return self.methods.function(self.cls, output, detail)
        return self.opens.get(output, "")


# The family each op name was declared with: the inputs of a case depend on its op only.
_FAMILIES: dict[str, Family] = {}


@lru_cache(maxsize=8192)
def _cached_inputs(op: str, case: Case) -> dict[str, np.ndarray]:
    inputs = c.build_inputs(_FAMILIES[op], case)
    for arr in inputs.values():
        arr.flags.writeable = False
    return inputs
