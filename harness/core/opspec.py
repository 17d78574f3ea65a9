"""What one op is to the harness: an `OpSpec`, the row of an API's op table.

An op is the math (fully_connected, conv2d, batchnorm, ...); an API (`harness.apis`) says how
an implementation reaches it, and each way is a subclass of `OpSpec` (in the manner of
PyTorch's OpInfo):

- `ClassOp`: a class of the API's package, run by the runner of its kind, which the API
  defines (HW6's activation, layer, loss, model, ...);
- `FunctionOp`: a pair of functions described by `Calls` (CS231n's
  ``affine_forward(x, w, b) -> (out, cache)`` and ``affine_backward(dout, cache) ->
  (dx, dw, db)``), its twins the functions of one module;
- `AdapterOp`: a user-declared adapter's class (`Methods`), mapped to another op whose twin
  computes its expected outputs.

Each says its kind, what the driver needs to run it and what the sandboxed child is told,
its twin, which call computes each output and what the student should open for it. The
same driver runs the implementation and its PyTorch twin through exactly those calls.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from harness.core import array_layouts, expressions
from harness.core import cases as c
from harness.core.array_layouts import to_library
from harness.core.cases import Case, Family, Kwargs, Params, ParamValue

if TYPE_CHECKING:   # the child imports this module, not the comparison's
    from harness.core.compare import Tolerance


@dataclass(frozen=True)
class Calls:
    """How a function API computes an op's outputs (kind "function").

    ``out, cache = forward(*args, param)``, then ``backward(dout, cache)`` returns `grads`;
    with `loss`, ``loss, dx = forward(*args)`` and there is no backward. `param` is the dict
    of the case's constructor parameters (conv_param, bn_param, ...), passed last; the inputs
    named in `state` are put into it (copies: CS231n updates them there) and read back from
    it after the forward as outputs of the same name (running_mean, running_var). A forward
    with more than one result returns each of `outs` between out and the cache, and its
    backward takes an upstream gradient for each of them, the inputs `douts`, after dout
    (``next_h, next_c, cache = lstm_step_forward(...)``, ``lstm_step_backward(dnext_h,
    dnext_c, cache)``).
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
    outs: tuple[str, ...] = ()    # forward's further results, before its cache (next_c)
    douts: tuple[str, ...] = ()   # backward's further upstream gradients, after dout

    def function(self, output: str) -> str:
        """The function that computes `output`."""
        return self.backward if self.backward and self.stage_of(output) == "backward" \
            else self.forward

    def stage_of(self, output: str) -> str:
        """The call that computes `output`: forward (its results, the state it leaves in
        param, both values of a loss) or backward (the gradients)."""
        if output in ("forward", *self.outs, *self.state) or self.loss:
            return "forward"
        return "backward"


@dataclass(frozen=True)
class Methods:
    """How a class API computes an op's outputs (kind "object": mytorch's classes, a
    user-declared adapter's).

    ``layer = Cls(*init, **makers)``, each of `makers` (keyword, input) a function that
    returns that input (``weight_init_fn=lambda *shape: W``, as the course's tests construct
    a convolution); each of `sets` (attribute, input) is assigned to the object (``layer.W =
    W``, ``layer.conv1d_stride1.W = W``); ``out = layer.forward(*forward)``;
    each of `state` (output, attribute) is read (running statistics); ``dx =
    layer.backward(*backward)`` (no `backward` names: ``backward()``, the gradient of a loss
    or an activation's local derivative); then each of `grads` (output, attribute) is read.
    Each argument of `init`, `forward` and `backward`, and each value of `sets` and `makers`,
    is an expression (harness/core/expressions.py) over the op's inputs and the case's
    constructor parameters (stride, pad, pool_height, eval, ...): a bare name, a size
    (``x.shape[1]``), a transform (``1 - p``); an argument ``"name=expression"`` is passed by
    keyword, and left out when the case lacks a name it reads (no running statistics given).
    In expressions, an input named in `layout` is in the library's layout
    (harness/core/array_layouts.py: ``w`` "transposed"). Attributes may be dotted paths.
    `twin_options` are keyword arguments for the twin's constructor only: the year's
    definition it computes (mytorch 2022's unscaled MSE gradient).
    """

    init: tuple[str, ...] = ()
    forward: tuple[str, ...] = ("x",)
    backward: tuple[str, ...] = ("dout",)
    returns: str = "dX"
    grads: tuple[tuple[str, str], ...] = ()
    loss: bool = False
    sets: tuple[tuple[str, str], ...] = ()
    makers: tuple[tuple[str, str], ...] = ()
    state: tuple[tuple[str, str], ...] = ()
    twin_options: tuple[tuple[str, ParamValue], ...] = ()
    layout: tuple[tuple[str, str], ...] = ()

    def values(self, ctor: Kwargs, inputs: dict[str, np.ndarray]) -> dict[str, object]:
        """What the expressions read: the parameters and the inputs, each input named in
        `layout` in the library's layout."""
        layouts = dict(self.layout)
        return {**ctor, **{name: to_library(layouts[name], value) if name in layouts
                           else value for name, value in inputs.items()}}

    def arguments(self, arguments: tuple[str, ...], values: dict[str, object]
                  ) -> tuple[list[object], dict[str, object]]:
        """The positional and keyword values of `arguments` (a call's) on `values`; a
        keyword whose expression reads a name `values` lacks is left out."""
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for argument in arguments:
            keyword, text = expressions.split_keyword(argument)
            if keyword is None:
                args.append(expressions.evaluate(text, values))
            elif expressions.names(text) <= set(values):
                kwargs[keyword] = expressions.evaluate(text, values)
        return args, kwargs

    def function(self, cls: str, output: str, detail: bool = True) -> str:
        if output == "forward" or output in dict(self.state):
            attribute = dict(self.state).get(output) if detail else None
            return f"{cls}.forward" + (f" (self.{attribute})" if attribute else "")
        attribute = dict(self.grads).get(output) if detail else None
        return f"{cls}.backward" + (f" (self.{attribute})" if attribute else "")


class Driven(TypedDict, total=False):
    """How the driver reaches an op beyond its kind (`harness.core.driver.run_op`)."""

    calls: Calls
    methods: Methods


@dataclass(frozen=True)
class Handout:
    """A module the course's handout gives an op's code. Its cases run with `stand_in` (the
    API loader's copy of that year's handout file) unless the implementation's own file is
    the handout's, told by `own` (a regex it matches: HW3P1's activation.py, whose Tanh takes
    BPTT's state), which a student may have edited and then keeps; "" : always the stand-in."""

    module: str
    stand_in: str
    own: str = ""


@dataclass(frozen=True)
class OpSpec:
    """An op: what every op is, whichever way its API reaches it. One subclass per way (an
    API's class run by a kind of its own, a function API's functions, an adapter's class),
    each with its own kind, twin, request to the child and "what to open"."""

    name: str                   # op name, used in case IDs, reports and rubrics
    module: str                 # contract module holding the class (or the functions)
    cls: str                    # contract class name (a function API: the forward function)
    family: Family              # how cases are sampled and inputs built
    outputs: tuple[str, ...]    # compared outputs, in order
    fixed: Params = field(default_factory=dict)  # constructor arguments this op fixes
    max_cases: int | None = None  # at most this many cases per run (training: each is K steps)
    api: str = ""               # the API whose table holds it (harness.apis)
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
    optional: bool = False      # some years' assignment has no such function: when the
                                # implementation has none, `check` leaves the op out, saying so
    twin: str | None = None     # the op whose twin computes the expected outputs (adapters)
    # The shapes the contract gives the parameters the op creates itself (in words, by
    # name), and the call that creates them: the created shapes are compared too.
    param_shapes: dict[str, str] = field(default_factory=dict)
    creates: str = ""
    # Which of its cases are checked (None: all): an edition keeps the cases that use only
    # that year's ops (harness/core/editions.py).
    keep: Callable[[Case], bool] | None = None
    # Its tolerance policy when not the run's (an adapter's float32 library); None: the run's.
    tolerance: Tolerance | None = None
    dtypes: tuple[str, ...] = ()   # the dtypes it may return when not its API's
    # What its checks assume beyond the twin's definition, in words (an adapter's eps = 1e-6,
    # its non-inverted dropout): its report says so, once, with its first output.
    notes: tuple[str, ...] = ()
    # The modules the course's handout gives its code (HW3P1's cells: HW3P1's activation.py,
    # not the HW1P1 one a consolidated checkout has there).
    handout: tuple[Handout, ...] = ()

    def __post_init__(self) -> None:
        _FAMILIES.setdefault(self.name, self.family)

    # ------------------------------------------------------------ how its API reaches it
    @property
    def kind(self) -> str:
        """How the driver runs it (harness/core/driver.py)."""
        raise NotImplementedError

    @property
    def names(self) -> tuple[str, ...]:
        """The names its module defines for it (its class; a function API's two functions)."""
        return (self.cls,)

    def scalar(self, output: str) -> bool:
        """Whether `output` is a loss value: a scalar, however the implementation wraps it."""
        return False

    def function(self, output: str, detail: bool = True) -> str:
        """What to open for `output` ("" when nothing says)."""
        return ""

    @property
    def state(self) -> tuple[str, ...]:
        """Outputs the forward leaves in a dict it was given (bn_param's running mean)."""
        return ()

    def how(self) -> Driven:
        """What the driver needs beyond the kind to run it (`run_op`'s keywords)."""
        return {}

    def request(self) -> dict[str, object]:
        """What the sandboxed child is told beyond kind, module and class (`how`, as JSON)."""
        return {}

    def stage_of(self, output: str) -> str:
        """The call that computes `output`: "forward" (its output) or "backward" (dX and the
        gradients)."""
        return "forward" if output == "forward" else "backward"

    def stage_call(self, stage: str) -> str:
        """The call of `stage` (forward, backward) as the student wrote it."""
        return f"{self.cls}.{stage}"

    def call_of(self, output: str) -> str:
        """The call that computed `output`, as the student wrote it."""
        return {"forward": f"{self.cls}.forward", "dX": f"{self.cls}.backward",
                "dW": f"{self.cls}.backward (gradients['W'])",
                "db": f"{self.cls}.backward (gradients['b'])"}.get(output,
                                                                   f"{self.cls} {output}")

    def with_class(self, cls: str) -> OpSpec:
        """This op under another class name (a year's assignment that named it otherwise)."""
        return replace(self, cls=cls)

    def to_twin(self, output: str, got: np.ndarray, inputs: dict[str, np.ndarray],
                expected: np.ndarray) -> np.ndarray:
        """What the implementation returned for `output`, laid out as the twin lays it out
        (an adapter's layouts and local derivatives); as it is for every built-in API."""
        return got

    def returned_shape(self, output: str, expected: np.ndarray) -> tuple[tuple[int, ...], str]:
        """The shape the implementation returns `output` in, for the `expected` (the twin's),
        and its layout's name ("" when it is the twin's: always, but for an adapter's)."""
        return expected.shape, ""

    def check_case(self, case: Case) -> None:
        """Raise if `case` cannot be given to the implementation for a reason of nnparity's
        or its configuration's (an adapter's expression that fails), before it runs."""

    def twin_target(self) -> object:
        """What the driver runs to compute the expected outputs: the twin's class, or the
        module of its functions (an adapter's op has none: its `twin` op computes them)."""
        raise ValueError(f"op {self.name}: its expected outputs come from op {self.twin}")

    def twin_ctor(self, ctor: Kwargs, conventions: object) -> Kwargs:
        """The twin's constructor arguments for a case's `ctor` under `conventions`."""
        return ctor

    def twin_name(self) -> str:
        """What computes the expected outputs, named without importing it (PyTorch)."""
        return f"the twin of op {self.twin}"

    # ------------------------------------------------------------ its cases
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


@dataclass(frozen=True)
class ClassOp(OpSpec):
    """A class of the API's package, run by the runner of its kind, which the API defines
    (HW6's activation, layer, loss, model, optimizer, initializer, training)."""

    op_kind: str = field(default="", kw_only=True)
    loss: bool = field(default=False, kw_only=True)   # its forward is a loss value
    # its twin is built with the conventions (conventions=...)
    twin_conventions: bool = field(default=False, kw_only=True)
    # What to open for each output ('Conv2D.backward', 'initialize_optimizer').
    opens: dict[str, str] = field(default_factory=dict, kw_only=True)

    @property
    def kind(self) -> str:
        if not self.op_kind:
            raise ValueError(f"op {self.name}: no kind")
        return self.op_kind

    def scalar(self, output: str) -> bool:
        return output == "forward" and self.loss

    def function(self, output: str, detail: bool = True) -> str:
        return self.opens.get(output, "")

    def with_class(self, cls: str) -> OpSpec:
        return replace(self, cls=cls, opens={o: f.replace(self.cls, cls)
                                             for o, f in self.opens.items()})

    def twin_target(self) -> object:
        import reference  # (parent-only: the sandboxed child never computes a twin)
        return getattr(reference.module(self.module), self.cls)

    def twin_ctor(self, ctor: Kwargs, conventions: object) -> Kwargs:
        return {**ctor, "conventions": conventions} if self.twin_conventions else ctor

    def twin_name(self) -> str:
        return f"reference.{self.module}.{self.cls}"


@dataclass(frozen=True)
class FunctionOp(OpSpec):
    """A function API's op: a forward and a backward function (`Calls`), its twins the
    functions of one module (`twins`: CS231n's reference.cs231n)."""

    calls: Calls = field(kw_only=True)
    twins: str = field(kw_only=True)

    @property
    def kind(self) -> str:
        return "function"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(filter(None, (self.calls.forward, self.calls.backward)))

    def scalar(self, output: str) -> bool:
        return output == "forward" and self.calls.loss

    def function(self, output: str, detail: bool = True) -> str:
        # a derived output (dropout's mask) is the forward's draw
        return self.calls.function("forward" if output in self.derived else output)

    @property
    def state(self) -> tuple[str, ...]:
        return self.calls.state

    def how(self) -> Driven:
        return {"calls": self.calls}

    def request(self) -> dict[str, object]:
        return {"calls": asdict(self.calls)}

    def stage_of(self, output: str) -> str:
        return self.calls.stage_of(output)

    def stage_call(self, stage: str) -> str:
        backward = stage == "backward" and self.calls.backward is not None
        return self.calls.backward if backward and self.calls.backward else self.calls.forward

    def call_of(self, output: str) -> str:
        calls = self.calls
        if output in calls.state:
            return f"{calls.forward} (bn_param['{output}'])"
        what, names, name = calls.backward or calls.forward, calls.grads, output
        if calls.loss:
            what, names = calls.forward, ("forward", "dX")
        elif calls.stage_of(output) == "forward":   # its results, then the cache
            if not calls.outs:
                return f"{calls.forward} (out)"
            what, names = calls.forward, ("out", *calls.outs, "cache")
            name = "out" if output == "forward" else output
        return f"{what} ({name}, value {names.index(name) + 1} of {len(names)})"

    def twin_target(self) -> object:
        return importlib.import_module(self.twins)

    def twin_name(self) -> str:
        calls = self.calls
        return f"{self.twins}.{calls.forward}" + (f", .{calls.backward}" if calls.backward
                                                 else "")


@dataclass(frozen=True)
class ObjectOp(OpSpec):
    """A class driven through its methods (`Methods`: mytorch's ``Linear(in_features,
    out_features)``, ``W`` set, ``forward(A)``, ``backward(dLdZ)``, ``dLdW`` read), its twin
    the class of the same name in the module `twins` (reference.mytorch)."""

    methods: Methods = field(kw_only=True)
    twins: str = field(default="", kw_only=True)
    scalars: tuple[str, ...] = field(default=(), kw_only=True)   # outputs that are numbers

    @property
    def kind(self) -> str:
        return "object"

    def scalar(self, output: str) -> bool:
        return (output == "forward" and self.methods.loss) or output in self.scalars

    def function(self, output: str, detail: bool = True) -> str:
        return self.methods.function(self.cls, output, detail)

    @property
    def state(self) -> tuple[str, ...]:
        return tuple(output for output, _ in self.methods.state)

    def how(self) -> Driven:
        return {"methods": self.methods}

    def request(self) -> dict[str, object]:
        return {"methods": asdict(self.methods)}

    def stage_of(self, output: str) -> str:
        return "forward" if output == "forward" or output in self.state else "backward"

    def call_of(self, output: str) -> str:
        return self.methods.function(self.cls, output)

    def driven(self, methods: Methods) -> ObjectOp:
        """This op driven otherwise (a year's API: mytorch 2022's ``backward()``)."""
        return replace(self, methods=methods)

    def twin_target(self) -> object:
        return getattr(importlib.import_module(self.twins), self.cls)

    def twin_name(self) -> str:
        return f"{self.twins}.{self.cls}"

    def twin_ctor(self, ctor: Kwargs, conventions: object) -> Kwargs:
        options = dict(self.methods.twin_options)
        return {**ctor, TWIN_OPTIONS: options} if options else ctor


TWIN_OPTIONS = "twin_options"   # the key of a twin's own constructor keywords in its ctor


@dataclass(frozen=True)
class AdapterOp(ObjectOp):
    """A user-declared adapter's class (`Methods`), mapped to another API's op (`twin`),
    whose twin computes its expected outputs.

    `constants` are the library's own values of the twin's parameters (eps = 1e-6): the
    case's parameters and the twin take them. `local` names the input a backward's local
    derivative (dX/dY, elementwise) is multiplied by. `lines` say where each of its keys is
    in the adapter file, for the adapter's own mistakes (`AdapterError`).
    """

    constants: Params = field(default_factory=dict, kw_only=True)
    local: str = field(default="", kw_only=True)
    lines: tuple[tuple[str, str], ...] = field(default=(), kw_only=True)

    def twin_target(self) -> object:
        return OpSpec.twin_target(self)

    def twin_name(self) -> str:
        return OpSpec.twin_name(self)

    def ctor(self, case: Case) -> Kwargs:
        return {**super().ctor(case), **self.constants}

    def to_twin(self, output: str, got: np.ndarray, inputs: dict[str, np.ndarray],
                expected: np.ndarray) -> np.ndarray:
        layout = dict(self.methods.layout).get(output)
        if layout is not None:
            got = array_layouts.to_twin(layout, got, expected.shape)
        if self.local and output == self.methods.returns \
                and got.shape == inputs[self.local].shape:
            got = got * inputs[self.local]
        return got

    def returned_shape(self, output: str, expected: np.ndarray) -> tuple[tuple[int, ...], str]:
        layout = dict(self.methods.layout).get(output)
        if layout is None:
            return expected.shape, ""
        return array_layouts.library_shape(layout, expected.shape), layout

    def where(self, key: str) -> str:
        """Where `key` of this op is in the adapter file ("path:line")."""
        lines = dict(self.lines)
        return lines.get(key) or lines.get("op", self.name)

    def check_case(self, case: Case) -> None:
        """Raise `AdapterError` (with the line) if an argument's expression fails on `case`:
        the adapter's mistake, found before the library runs, never charged to it."""
        methods = self.methods
        values = methods.values(self.ctor(case), self.inputs(case))
        for key in ("init", "forward", "backward"):
            try:
                methods.arguments(getattr(methods, key), values)
            except expressions.ExpressionError as exc:
                raise AdapterError(f"{self.where(key)}: {key}: {exc} (case {case.id})") from None
        for key, pairs in (("sets", methods.sets), ("makers", methods.makers)):
            for _, text in pairs:
                try:
                    expressions.evaluate(text, values)
                except expressions.ExpressionError as exc:
                    raise AdapterError(f"{self.where(key)}: {key}: {exc} (case {case.id})"
                                       ) from None


class AdapterError(ValueError):
    """An adapter file's own mistake; the message says where (file and line) and what."""


# The family each op name was declared with: the inputs of a case depend on its op only.
_FAMILIES: dict[str, Family] = {}


@lru_cache(maxsize=8192)
def _cached_inputs(op: str, case: Case) -> dict[str, np.ndarray]:
    inputs = c.build_inputs(_FAMILIES[op], case)
    for arr in inputs.values():
        arr.flags.writeable = False
    return inputs
