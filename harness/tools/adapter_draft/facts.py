"""What a class's source says about it: its calls' arguments, the attributes it creates and
assigns, and the constants and habits of its math, read from the syntax tree.

A method is read with the methods of the class it calls (``self.__forward(x)``) and, for the
math's constants, the package's functions it calls (the book's ``cross_entropy_error``);
methods a class inherits from another class of the library are its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from harness.tools.adapter_draft import habits
from harness.tools.adapter_draft.catalogue import GRADIENTS, norm
from harness.tools.adapter_draft.source import Library, Module
from harness.tools.adapter_draft.syntax import Param, is_self, name_of, nodes, params

SHAPE_MAKERS = {"zeros", "ones", "empty", "full", "randn", "rand", "normal", "uniform",
                "standard_normal", "random_sample", "random"}
DIMS_AS_ARGS = {"randn", "rand"}   # np.random.randn(d0, d1): the dimensions are the arguments


@dataclass(frozen=True)
class Created:
    """An attribute __init__ gives a value: the argument it keeps (``self.W = W``), the
    arguments of the shape it is made with (``np.zeros((out_features, 1))``), the library
    class it is an instance of, or the number it is."""

    name: str
    param: str | None = None
    shape: tuple[str, ...] | None = None
    cls: str | None = None
    constant: float | None = None


@dataclass(frozen=True)
class ClassFacts:
    name: str
    module: Module
    doc: str
    init: tuple[Param, ...]
    forward: tuple[Param, ...] | None       # None: no such method
    backward: tuple[Param, ...] | None
    created: tuple[Created, ...] = ()
    forward_sets: frozenset[str] = frozenset()    # attributes forward assigns
    backward_sets: frozenset[str] = frozenset()   # attributes backward assigns
    nested_grads: tuple[str, ...] = ()   # gradients of parts: "conv2d_stride1.dLdW"
    eps: float | None = None             # the constant under its sqrt
    log_offset: float | None = None      # the constant under its log
    divides: bool = False                # its forward divides (inverted dropout)
    flattens: bool = False               # its forward reshapes its input
    indexes_labels: bool = False         # it gathers by label: p[np.arange(N), y]
    applies_softmax: bool = False        # it exponentiates (or calls a softmax)
    float32: bool = False                # it computes in float32
    mask_means: str | None = None        # its dropout probability means "keep" or "drop"
    abstract: bool = False               # its forward is a stub (pass, raise NotImplementedError)


class Reader:
    """Reads the classes of one library, each with its bases' methods."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.classes = {node.name: (module, node) for module in library.modules
                        for node in module.classes()}

    def methods(self, node: ast.ClassDef, seen: frozenset[str] = frozenset()
                ) -> dict[str, ast.FunctionDef]:
        """Its methods and, under them, those of its bases that are the library's."""
        found: dict[str, ast.FunctionDef] = {}
        for base in node.bases:
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            if name in self.classes and name not in seen:
                found.update(self.methods(self.classes[name][1], seen | {node.name}))
        found.update({f.name: f for f in node.body if isinstance(f, ast.FunctionDef)})
        return found

    def facts(self, module: Module, node: ast.ClassDef, depth: int = 0) -> ClassFacts:
        methods = self.methods(node)
        init = params(methods.get("__init__"))
        forward, backward = closure(methods, "forward"), closure(methods, "backward")
        created = tuple(_created(closure(methods, "__init__"), init, set(self.classes)))
        constants = {c.name: c.constant for c in created if c.constant is not None}
        forward_math = [*forward, *self.helpers(module, forward)]
        math = [*forward, *backward, *self.helpers(module, [*forward, *backward])]
        return ClassFacts(
            name=node.name, module=module, doc=ast.get_docstring(node) or "", init=init,
            forward=params(methods["forward"]) if "forward" in methods else None,
            backward=params(methods["backward"]) if "backward" in methods else None,
            created=created, forward_sets=frozenset(assigned(forward)),
            backward_sets=frozenset(assigned(backward)),
            nested_grads=self.nested_grads(created, depth),
            eps=habits.guard(math, ("sqrt",), constants, powers=True),
            log_offset=habits.guard(forward_math, ("log",), constants),
            divides=habits.divides(forward),
            flattens=habits.flattens(forward, methods.get("forward")),
            indexes_labels=habits.gathers(math), applies_softmax=habits.softmaxes(forward_math),
            float32=habits.float32([*forward, *backward]),
            mask_means=habits.mask_means(forward), abstract=_stub(methods.get("forward")))

    def nested_grads(self, created: tuple[Created, ...], depth: int) -> tuple[str, ...]:
        """The gradients the library classes it is made of assign: ("part.dLdW", ...)."""
        if depth > 0:
            return ()
        found = []
        for part in created:
            if part.cls is not None and part.cls in self.classes:
                inner = self.facts(*self.classes[part.cls], depth=depth + 1)
                found += [f"{part.name}.{a}" for a in sorted(inner.backward_sets)
                          if norm(a) in GRADIENTS]
        return tuple(found)

    def helpers(self, module: Module, bodies: list[ast.FunctionDef], depth: int = 3
                ) -> list[ast.FunctionDef]:
        """The package's module-level functions `bodies` call, and those they call."""
        found: list[ast.FunctionDef] = []
        todo = list(bodies)
        for _ in range(depth):
            called = {n.func.id for b in todo for n in ast.walk(b)
                      if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            todo = [f for name in sorted(called) for f in self._function(module, name)
                    if f not in found]
            found += todo
        return found

    def _function(self, module: Module, name: str) -> list[ast.FunctionDef]:
        candidates = self.library.functions.get(name, [])
        own = [f for m, f in candidates if m is module]
        return own or [f for _, f in candidates[:1]]


def closure(methods: dict[str, ast.FunctionDef], start: str) -> list[ast.FunctionDef]:
    """The method `start` and the methods of the class it calls, transitively."""
    if start not in methods:
        return []
    found = [methods[start]]
    for function in found:
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and is_self(node.func):
                target = methods.get(node.func.attr)   # type: ignore[attr-defined]
                if target is not None and target not in found:
                    found.append(target)
    return found


def _targets(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in _flat(target)]
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return _flat(node.target)
    return []


def _flat(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for e in target.elts for t in _flat(e)]
    return [target]


def assigned(bodies: list[ast.FunctionDef]) -> set[str]:
    """The attributes of self the bodies assign or write into (``self.dW = ...``,
    ``self.dW += ...``, ``self.dW[:, k] += ...``)."""
    targets = [t for n in nodes(bodies) for t in _targets(n)]
    targets = [t.value if isinstance(t, ast.Subscript) else t for t in targets]
    return {t.attr for t in targets if isinstance(t, ast.Attribute) and is_self(t)}


def _created(bodies: list[ast.FunctionDef], init: tuple[Param, ...], classes: set[str]
             ) -> Iterator[Created]:
    params = {p.name for p in init}
    best: dict[str, Created] = {}
    for node in nodes(bodies):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            for target in _targets(node):
                if isinstance(target, ast.Attribute) and is_self(target):
                    made = _made(target.attr, node.value, params, classes)
                    old = best.get(target.attr)
                    if old is None or _telling(made) > _telling(old):
                        best[target.attr] = made
    yield from best.values()


def _telling(made: Created) -> int:
    """How much a value says of an attribute: a shape most, then a class, an argument, a
    number; the first of equals is kept."""
    return (4 if made.shape else 3 if made.cls else 2 if made.param
            else 1 if made.constant is not None else 0)


def _made(name: str, value: ast.expr, params: set[str], classes: set[str]) -> Created:
    if isinstance(value, ast.Name) and value.id in params:
        return Created(name, param=value.id)
    if isinstance(value, ast.Constant) and isinstance(value.value, int | float) \
            and not isinstance(value.value, bool):
        return Created(name, constant=float(value.value))
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and value.func.id in classes:
        return Created(name, cls=value.func.id)
    for call in (n for n in ast.walk(value) if isinstance(n, ast.Call)):
        shape = _shape(call, params)
        if shape is not None:
            return Created(name, shape=shape)
    return Created(name)


def _shape(call: ast.Call, params: set[str]) -> tuple[str, ...] | None:
    """The dimensions `call` makes an array of, as __init__ arguments or numbers."""
    kind = name_of(call.func)
    if kind not in SHAPE_MAKERS:
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    if kind in DIMS_AS_ARGS:
        dims: list[ast.expr] = list(call.args)
    else:
        index = 2 if kind in ("normal", "uniform") else 0
        given = keywords.get("size", keywords.get("shape"))
        if given is None and len(call.args) > index:
            given = call.args[index]
        if given is None:
            return None
        dims = list(given.elts) if isinstance(given, ast.Tuple | ast.List) else [given]
    return tuple(_dim(d, params) for d in dims) or None


def _dim(node: ast.expr, params: set[str]) -> str:
    if isinstance(node, ast.Name) and node.id in params:
        return node.id
    if isinstance(node, ast.Attribute) and is_self(node) and node.attr in params:
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return str(node.value)
    return "?"


def _stub(function: ast.FunctionDef | None) -> bool:
    """Whether a method does nothing: a docstring, pass, raise NotImplemented(Error)."""
    if function is None:
        return False
    body = [n for n in function.body if not (isinstance(n, ast.Expr)
                                             and isinstance(n.value, ast.Constant))]
    return all(isinstance(n, ast.Pass) or isinstance(n, ast.Raise) and n.exc is not None
               and "NotImplemented" in ast.unparse(n.exc) for n in body)
