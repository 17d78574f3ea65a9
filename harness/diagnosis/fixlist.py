"""The fix list: the distinct root causes of a report's failures, in the order to fix them.

Twenty failing items are often six problems: a layers.py that does not import fails every
layer output the same way, a Sigmoid stub breaks every layer that uses it, a wrong forward
breaks the gradients computed from its cache. `fix_list(report)` groups the failing items
of a JSON report (`harness.core.results`) into root causes, and `fix_list_of(items)` does the
same for any list of items shaped like the report's results (grading's tests, say). It only
reorganises what the findings already say; no verdict and no diagnosis changes.

An entry is keyed by its root cause, and items sharing one are listed under it once:

- the same import error (the module that fails to import, or the file that raised while
  importing it), the same missing module;
- the same missing class (a module that lacks it, or a ``NameError`` for it raised in the
  module that should define it) or missing method (``'NeuralNetwork' object has no
  attribute 'update'`` raised where nnparity called it, an abstract method never written);
- the same stub: every method of one class still returning None or ``...``, or still the
  starter's template (Sigmoid.forward and Sigmoid.backward are one problem);
- the same exception site: the function (read from the student's file when nnparity can, else
  the line) that raised it in the implementation's files, with the exception's type (and the
  missing name of a NameError or AttributeError);
- the same timeout or crash of an op (every output of the op's run), the time budget used up;
- the same constant factor in outputs of one class (L2 written as half the mean squared error:
  forward and dX both 0.5 times what they should be);
- the same helper that the failing runs of a wrong value point at (`harness.diagnosis.suspects`:
  ``pad_image``, called from Pool2D.forward, for max and average pooling alike);
- the same specific diagnosis at the same place: the function to open (Conv2D.backward's dX,
  dW and db all ``activation_use``; the four initializers' ``init_kernel_fans``, all in
  initialize_weights); generic codes (``value_mismatch``, a wrong shape, ...) group nothing;
- sibling outputs of one method failing on exactly the same cases (not on all of them): one
  bug, whatever each output's own diagnosis;
- a pointer: ``caused_by`` (a layer that fails only through a failing activation: the
  activation's item is the root; a pointer to an item the report does not hold makes a root
  of its own), a top diagnosis ``caused_by_forward`` (the op's forward item is the root, also
  of a later problem of the item that raised a ValueError or IndexError: wrong data that
  forward left, not a NameError of the backward's own), a
  layer that returned the Ellipsis or None of its activation's stub (the activation's);
- a finding whose investigation split one output's mismatches into several bugs (the
  ``groups`` key of a finding, `harness.check.investigate`) is one item per problem, each
  keyed on its own (its own exception, diagnosis and cases), so a problem can join the same
  bug in the op's other outputs.

``open`` is the function that holds the bug: the raising frame in the student's files (and
the op's method that called it), the stub's own methods, the module that lacks the class or
the class that lacks the method, the helper a wrong value's failing runs point at, else the
op's method for the output; never the caller that tripped over it. Roots come first that
others depend on: import errors (and a package that does not start) first, then the
registry's order (activations before layers before losses before whole models; forward
before the gradients), so a missing class is named before the items that follow from it.
Each entry (``fix_list`` in report.json):

    {"problem": 1, "code": "import_error", "title": "the module does not import",
     "message": "import raised: SyntaxError: ...",    (what the root cause is)
     "open": "neural_networks/layers.py:5 · <module>",  (the file and function to open)
     "file": "neural_networks/layers.py", "line": 5, "function": "<module>",
     "frames": [...],    (an exception's traceback frames in the implementation's files)
     "why": "the same import error",                  (why the items are grouped)
     "root": {"op": "fully_connected", "output": "forward"},
     "items": [{"op": ..., "output": ...},              (every item it explains, root first;
               {"op": ..., "output": ..., "relation": "same bug"}, ...]}
                                             (each other item: "same bug" as the root, or
                                              "caused by" it when it fails through it)

Items of grading (tests) also carry ``test`` (the test's name) in ``root`` and ``items``.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.registry import APIS, default_api, find_op, get_op, ops_of
from harness.core.stubs import _function_at, parsed
from harness.diagnosis.causes import CODES
from harness.diagnosis.diagnose import missing_method, missing_method_message

GROUPS_KEY = "groups"  # several bugs found in one output (harness/check/investigate.py)
# Top codes that do not name one bug: two outputs with these are not grouped by the code.
UNSPECIFIC = {"value_mismatch", "wrong_shape", "wrong_type", "wrong_dtype", "nan_inf",
              "student_exception", "caused_by_forward", "caused_by_activation",
              "caused_by_layer", "caused_by_optimizer", "model_code", "training_separates"}
# Codes that only say in which method the bug is: such an item follows a bug another op's
# item names in that method.
LOCATES_ONLY = ("training_separates", "model_code")
# The codes that say the code did not run as written: an entry keyed by an exception, a
# stub or a missing name says this, not a value diagnosis ranked above it.
RAISED = ("timeout", "crashed", "import_error", "not_implemented", "old_numpy_api",
          "student_exception")

WHY = {"import": "the same import error", "missing": "the same missing module",
       "class": "the same missing class", "method": "the same missing method",
       "site": "the same exception in the same function",
       "outage": "the same time-out or crash of one run", "stub": "the same stub",
       "budget": "the time budget was used up", "message": "the same message",
       "code": "the same bug named in the same method",
       "suspect": "their failing runs point at the same function",
       "factor": "the same constant factor in the op's forward and its gradient",
       "sibling": "outputs of one method failing on the same cases",
       "caused_by": "they fail only through it", "forward": "backward starts from forward",
       "calls": "it calls the method that fails",
       "named": "the bug is named in the same method",
       "stub_of": "they fail only through its stub"}
SAME, FOLLOWS = "same bug", "caused by"   # how an item relates to its entry's root
# Exceptions a backward raises from wrong data (a cached argmax of the wrong shape), which a
# forward that fails on the same cases explains; a NameError or an AttributeError is a bug
# of the backward's own code, whatever forward did.
FROM_DATA = ("ValueError", "IndexError")

# What the messages say (harness/check/checker.py, harness/core/stubs.py, the runners).
STUB_SAYS = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*) (?:returned (?:None|Ellipsis)\b|"
                       r"is the starter's template|returns `)")
UNDEFINED = re.compile(r"name '(\w+)' is not defined")
FACTOR_SAYS = re.compile(r"every element of .+? is (\S+) times the expected value")
FROM_A_STUB = re.compile(r"'(?:ellipsis|NoneType)'|returned (?:None|Ellipsis)\b")
NAMED = {"NameError": UNDEFINED,   # the name an exception is about
         "AttributeError": re.compile(r"has no attribute '(\w+)'")}

Key = tuple[Any, ...]


@dataclass(frozen=True)
class _Context:
    """What the keys and places are read in: the package's name, the directory holding it
    (for the student's own files; None when nnparity cannot read them)."""

    package: str
    root: Path | None = None
    files: Mapping[str, str] = field(default_factory=dict)   # module -> its file, if moved

    def module_file(self, module: str) -> str:
        if module in self.files:   # (beside the package: mytorch/../CTC/CTC.py is CTC/CTC.py)
            return posixpath.normpath(f"{self.package}/{self.files[module]}")
        return module_path(self.package, module)

    def tree(self, file: str) -> ast.Module | None:
        """The student's `file` parsed (None: not readable here, or outside the package)."""
        if self.root is None:
            return None
        path = (self.root / file).resolve()
        return parsed(path) if path.is_relative_to(self.root.resolve()) else None

    def qualname(self, file: str, line: int | None) -> str | None:
        """'Conv2D.forward': the function holding `line` of the student's `file`."""
        tree = self.tree(file) if line else None
        found = _function_at(tree, int(line or 0)) if tree is not None else None
        return found[0] if found else None

    def calls(self, file: str, qualname: str) -> set[str]:
        """The names function `qualname` of the student's `file` calls as ``self.name(...)``
        or ``name(...)`` (empty when nnparity cannot read it)."""
        node: Any = self.tree(file)
        for part in qualname.split("."):
            node = next((n for n in getattr(node, "body", []) if isinstance(n, DEFINITIONS)
                         and n.name == part), None)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return set()
        return {name for n in ast.walk(node) if isinstance(n, ast.Call)
                and (name := _called(n.func)) is not None}


DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _called(func: ast.expr) -> str | None:
    """'forward' for a call of ``self.forward`` or ``forward`` (None for anything else)."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == "self":
        return func.attr
    return None


def package_name(impl: str | None, api: str | None = None) -> str:
    """The package as the implementation's files name it: one of its API's package names
    (HW6: student_nn or neural_networks), else the name it is imported as; a function API:
    the folder holding its modules (cs231n)."""
    name = Path(str(impl or "")).name
    known = APIS.get(api) if api is not None else default_api()
    if known is None or known.functions:
        return name or str(api)
    return name if name in known.loader.dirs else known.package


def _op_order(op: str, output: str) -> tuple[int, int]:
    spec = find_op(op)
    names = list(ops_of(spec.api)) if spec else []
    return (names.index(op) if op in names else len(names),
            spec.outputs.index(output) if spec and output in spec.outputs else 99)


def _method(op: str, output: str, detail: bool = True) -> str:
    """What to open for `output`: 'Conv2D.backward', 'batchnorm_backward', an adapter's
    'Affine.backward (self.db)' (without `detail`: the method alone, 'Affine.backward')."""
    spec = find_op(op)
    if spec is None:
        return ""
    return spec.function(output, detail)


FRAME = re.compile(r'^  File "([^"]+)", line (\d+), in (\S+)$', re.MULTILINE)
METHODS = ("forward", "backward", "_init_parameters", "__init__", "__call__")


def frames(error: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The frames of an exception's traceback (only the implementation's own files are in
    it, see harness/sandbox/child.py), outermost first: [{file, line, function}]."""
    text = str((error or {}).get("traceback") or "")
    return [{"file": f, "line": int(n), "function": fn} for f, n, fn in FRAME.findall(text)]


def _class_modules(spec: Any) -> dict[str, str]:
    """Class (or function) name -> the module its API's contract puts it in, for the API of
    op `spec` (HW6's when None): 'TanH' -> 'activations', 'NeuralNetwork' -> 'models'."""
    api = (APIS.get(spec.api) if spec else None) or default_api()
    return {s.cls: s.module for s in api.ops.values() if s.cls}


def module_path(package: str, module: str) -> str:
    """Where a contract module's file is: 'neural_networks/layers.py',
    'mytorch/nn/linear.py' (a dotted module is a path below the package)."""
    return f"{package}/{module.replace('.', '/')}.py"


def _module_of(name: str, spec: Any) -> str:
    """The module that should define class `name` (else the op's own module)."""
    return _class_modules(spec).get(name) or (spec.module if spec else name)


def _qualified(spec: Any, file: str, function: str, package: str) -> str:
    """'Conv2D.forward' for a method of the op's own class in the op's own module."""
    if spec and file == module_path(package, spec.module) and function in METHODS:
        return f"{spec.cls}.{function}"
    return function


def _raiser(err: dict[str, Any], spec: Any, ctx: _Context) -> tuple[str, int | None, str, bool]:
    """The raising frame in the student's files: (file, line, the function holding it,
    whether that name was read from the file). Without the file: the frame's own name, or
    for a comprehension or lambda the named function around it in the same file."""
    file, line = str(err["file"]), err.get("line")
    read = ctx.qualname(file, line)
    if read is not None:
        return file, line, read, True
    name = str(err.get("function") or "")
    if name.startswith("<") and name != "<module>":
        outer = [f["function"] for f in frames(err)
                 if f["file"] == file and not f["function"].startswith("<")]
        name = outer[-1] if outer else name
    return file, line, _qualified(spec, file, name, ctx.package), False


def _top(finding: dict[str, Any] | None) -> dict[str, str]:
    diagnosis = (finding or {}).get("diagnosis") or [{}]
    return diagnosis[0] or {}


def _says(item: dict[str, Any]) -> str:
    """Everything an item's finding says, for the patterns above."""
    f = item.get("finding") or {}
    return " ".join(str(x or "") for x in (_top(f).get("message"), f.get("message"),
                                           (f.get("error") or {}).get("message"),
                                           item.get("message")))


# ---------------------------------------------------------------- root causes
def _not_run(item: dict[str, Any], err: dict[str, Any], spec: Any,
             ctx: _Context) -> list[Key] | None:
    """The budget, a time-out or crash, a module that is missing or does not import, a
    class its module lacks."""
    module = spec.module if spec else item["op"]
    if err.get("budget"):
        return [("budget",)]
    if err.get("type") in ("timeout", "crashed"):
        return [("outage", item["op"])]
    if err.get("stage") != "import":
        return None
    if err.get("type") == "missing":
        return [("missing", module)]
    if err.get("not_implemented"):  # the module imports, the class is missing
        return [("class", module, err.get("absent") or (spec.cls if spec else item["op"]))]
    return [("import", err.get("file") or err.get("where") or module)]


def _missing_name(item: dict[str, Any], err: dict[str, Any], spec: Any,
                  ctx: _Context) -> list[Key] | None:
    """A method nnparity called that the class lacks (raised where nnparity called it, not
    in the student's files), or a NameError for a class in the module that should define
    it."""
    method = missing_method(err)
    if method is not None:
        return [("method", _module_of(method[0], spec), *method)]
    text = str(err.get("message") or "")
    found = UNDEFINED.search(text) if err.get("type") == "NameError" else None
    if found is None:
        return None
    module = _class_modules(spec).get(found[1])
    if module and err.get("file") == ctx.module_file(module):
        return [("class", module, found[1])]
    return None


def _stub_of(item: dict[str, Any], ctx: _Context) -> str | None:
    """The stub a not-implemented item reports ('Sigmoid.forward', a function API's
    'batchnorm_backward'): the one its message names ('Sigmoid.forward returned Ellipsis',
    'Conv2D.forward is the starter's template'), else the function that raised, else the
    op's method for the output."""
    f = item.get("finding") or {}
    if "not_implemented" not in (item.get("status"), f.get("status")):
        return None
    said = STUB_SAYS.search(_says(item))
    if said:
        return f"{said[1]}.{said[2]}"
    err = f.get("error") or {}
    read = ctx.qualname(str(err["file"]), err.get("line")) if err.get("file") else None
    return read or _method(item["op"], item["output"], detail=False) or item["op"]


def _owner(stub: str) -> str:
    """The class a stub method belongs to; a function is its own."""
    return stub.rpartition(".")[0] or stub


def _stub(item: dict[str, Any], err: dict[str, Any], spec: Any,
          ctx: _Context) -> list[Key] | None:
    """A class still (partly) a stub: every stub method of one class is one problem (every
    stub function its own)."""
    found = _stub_of(item, ctx)
    return None if found is None else [("stub", _module_of(_owner(found), spec), _owner(found))]


def _site(item: dict[str, Any], err: dict[str, Any], spec: Any,
          ctx: _Context) -> list[Key] | None:
    """An exception raised in the student's files: where (the function holding the raising
    line, or the line itself when nnparity cannot read the file), what, about which name."""
    if not (err.get("file") and err.get("line")):
        return None
    if ((item.get("finding") or {}).get("suspect") or {}).get("how") == "values":
        return None   # it raised on a wrong value another function made: that one's bug
    file, line, function, read = _raiser(err, spec, ctx)
    named = NAMED.get(str(err.get("type")))
    found = named.search(str(err.get("message") or "")) if named else None
    return [("site", file, function if read else line, err.get("type"),
             found[1] if found else None)]


def _named_bug(item: dict[str, Any], err: dict[str, Any], spec: Any,
               ctx: _Context) -> list[Key] | None:
    """A specific diagnosis at one place: one bug, whichever outputs show it; and the helper
    the failing runs point at (`harness.diagnosis.suspects`), whatever each output says."""
    found = (item.get("finding") or {}).get("suspect")
    top = _top(item.get("finding"))
    code = top.get("code")
    factor = FACTOR_SAYS.search(str(top.get("message") or "")) if code == "scale_factor" else None
    keys: list[Key] = []
    if code and code not in UNSPECIFIC:
        keys.append(("code", *_op_function(item, ctx, detail=False), code))
    if factor and spec is not None:   # L2 as ½·MSE: forward and dX both 0.5 times
        keys.append(("factor", ctx.module_file(spec.module), spec.cls, factor[1]))
    if found:
        keys.append(("suspect", found["file"], found["function"]))
    return keys or None


KEY_RULES = (_not_run, _missing_name, _stub, _site, _named_bug)   # the first that applies


def _keys(item: dict[str, Any], ctx: _Context) -> list[Key]:
    """The root cause this item shows (empty: none it can share with another item)."""
    f = item.get("finding")
    if not f:
        message = str(item.get("message") or "")
        return [("message", message)] if message else []
    err = f.get("error") or {}
    spec = find_op(item["op"])
    for rule in KEY_RULES:
        found = rule(item, err, spec, ctx)
        if found is not None:
            return found
    return []


def _activation(item: dict[str, Any]) -> str | None:
    """The activation the item's failing case applies, as its API names it (`Api.activation`:
    HW6's layers), else None."""
    spec = find_op(item["op"])
    api = APIS.get(spec.api) if spec is not None else None
    if api is None or api.activation is None:
        return None
    return api.activation((item.get("finding") or {}).get("params") or {})


def _through_a_stub(item: dict[str, Any], keys: list[Key], stubs: set[Key]) -> str | None:
    """The activation whose stub this layer item only passed on: the layer returned its
    Ellipsis or None (reported as the layer's own stub), or raised on it."""
    act = find_op(_activation(item) or "")
    if act is None or ("stub", act.module, act.cls) not in stubs:
        return None
    spec = find_op(item["op"])
    own = spec is not None and ("stub", spec.module, spec.cls) in keys
    return act.name if own or FROM_A_STUB.search(_says(item)) else None


def _pointers(failing: list[dict[str, Any]], keys: list[list[Key]], ctx: _Context
              ) -> list[tuple[int, tuple[str, str], str]]:
    """(item, the (op, output) it fails through, why) for every pointer between items."""
    stubs = {k for i, ks in enumerate(keys) for k in ks if k[0] == "stub"
             and not _activation(failing[i])}
    out = []
    for i, item in enumerate(failing):
        f = item.get("finding") or {}
        through = _through_a_stub(item, keys[i], stubs)
        if (f.get("caused_by") or {}).get("op"):
            out.append((i, (f["caused_by"]["op"], f["caused_by"]["output"]), WHY["caused_by"]))
        elif through is not None:
            keys[i] = []
            out += [(i, (through, o), WHY["stub_of"]) for o in get_op(through).outputs]
        elif item["output"] != "forward" and (item.get("forward_first")   # blamed on the item
                                              or _top(f).get("code") == "caused_by_forward"):
            out.append((i, (item["op"], "forward"), WHY["forward"]))
        elif _top(f).get("code") in LOCATES_ONLY:
            out += [(i, target, WHY["named"]) for target in _named_there(i, failing, keys, ctx)]
        else:
            out += [(i, target, WHY["calls"]) for target in _calls_into(item, failing, ctx)]
    return out


def _named_there(i: int, failing: list[dict[str, Any]], keys: list[list[Key]], ctx: _Context
                 ) -> list[tuple[str, str]]:
    """The first item of another op whose specific diagnosis names a bug in the method item
    `i` only locates its failure in (training that separates in NeuralNetwork.backward, where
    the network's loss swaps its arguments)."""
    place = _op_function(failing[i], ctx, detail=False)
    return next(([(other["op"], other["output"])] for j, other in enumerate(failing)
                 if other["op"] != failing[i]["op"] and keys[j][:1]
                 and keys[j][0][:3] == ("code", *place)), [])


def _calls_into(item: dict[str, Any], failing: list[dict[str, Any]], ctx: _Context
                ) -> list[tuple[str, str]]:
    """The other outputs of the item's op whose methods its own method calls (read from the
    student's file: SoftMax.backward calling self.forward, predict calling self.backward)
    and that fail on every case where it fails: it fails through them."""
    file, method = _op_function(item, ctx, detail=False)
    cls, _, name = method.rpartition(".")
    called = ctx.calls(file, method) if file else set()
    cases = _cases(item)
    out = []
    for other in failing:
        if other["op"] != item["op"] or other.get("group") or not cases:
            continue
        target = _op_function(other, ctx, detail=False)[1]
        t_cls, _, t_name = target.rpartition(".")
        if t_cls == cls and t_name != name and t_name in called \
                and cases <= frozenset(other.get("failed_cases") or ()):
            out.append((other["op"], other["output"]))
    return out


def _cases(item: dict[str, Any]) -> frozenset[str]:
    return frozenset(item.get("group_cases") or item.get("failed_cases") or ())


def _siblings(failing: list[dict[str, Any]], pointing: set[int]) -> list[tuple[int, int]]:
    """Pairs of outputs of one op computed by one method that fail on exactly the same
    cases, not on all of them: one bug, whatever each output's own diagnosis says."""
    seen: dict[tuple[str, str, frozenset[str]], int] = {}
    out = []
    for i, item in enumerate(failing):
        cases = _cases(item)
        if i in pointing or not cases or len(cases) >= int(item.get("cases") or 0):
            continue
        key = (item["op"], _method(item["op"], item["output"], detail=False), cases)
        if key in seen:
            out.append((seen[key], i))
        else:
            seen[key] = i
    return out


def _tier(item: dict[str, Any]) -> int:
    """0 for what stops a module from loading at all; 1 for everything else."""
    err = (item.get("finding") or {}).get("error") or {}
    if not item.get("finding"):
        return 0
    return 0 if err.get("stage") == "import" and not err.get("not_implemented") else 1


class _Groups:
    """Union-find over item indices."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _ref(item: dict[str, Any]) -> dict[str, str]:
    ref = {"op": item["op"], "output": item["output"]}
    if item.get("test"):
        ref["test"] = item["test"]
    return ref


def _with_virtual_roots(failing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`failing` plus an item for each one pointed at that the list does not hold (an
    activation blamed by a layer when only the layer was checked)."""
    present = {(i["op"], i["output"]) for i in failing}
    for item in list(failing):
        target = (item.get("finding") or {}).get("caused_by") or {}
        key = (target.get("op"), target.get("output"))
        if target.get("op") and key not in present:
            present.add(key)
            failing.append({"op": key[0], "output": key[1], "status": "fail", "virtual": True})
    return failing


def fix_list_of(items: Iterable[dict[str, Any]], package: str | None = None,
                source: Path | None = None, files: Mapping[str, str] | None = None
                ) -> list[dict[str, Any]]:
    """The root causes of the failing ones among `items` (each with ``op``, ``output``,
    ``status`` and, when it failed, ``finding``; a test of grading also ``test``), in the
    order to fix them (see the module docstring for the entries). `source`: the directory
    holding the package, when nnparity may read the student's files there (the functions
    that raised are then told apart by name, not by line). `files`: the modules found
    elsewhere than their own path (the report's ``modules``)."""
    ctx = _Context(package or default_api().package, source, dict(files or {}))
    failing = _with_virtual_roots([sub for i in items if i.get("status", "pass") != "pass"
                                   for sub in _expand(i)])
    n = len(failing)
    groups = _Groups(n)
    keys = [_keys(item, ctx) for item in failing]
    pointers = _pointers(failing, keys, ctx)
    why: dict[int, str] = {}
    by_key: dict[Key, int] = {}
    for i in range(n):
        for key in keys[i]:
            if key in by_key:
                groups.union(by_key[key], i)
                why.setdefault(i, WHY[key[0]])
                why.setdefault(by_key[key], WHY[key[0]])
            else:
                by_key[key] = i
    by_item: dict[tuple[str, str], list[int]] = {}   # what a pointer to (op, output) means
    for i, item in enumerate(failing):
        if not item.get("group"):                      # an item, or its first problem
            by_item.setdefault((item["op"], item["output"]), []).append(i)
    points_at: dict[int, set[int]] = {i: set() for i in range(n)}
    for i, target, reason in pointers:
        for j in by_item.get(target, []):
            if j != i:
                groups.union(i, j)
                points_at[i].add(j)
                why[i] = why[j] = reason
    for a, b in _siblings(failing, {i for i, _, _ in pointers}):
        groups.union(a, b)
        why.setdefault(a, WHY["sibling"])
        why.setdefault(b, WHY["sibling"])
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(groups.find(i), []).append(i)

    def order(i: int) -> tuple[Any, ...]:
        return (_tier(failing[i]), *_op_order(failing[i]["op"], failing[i]["output"]),
                failing[i].get("group") or 0, i)

    pointed = {j for targets in points_at.values() for j in targets}

    def rootward(i: int) -> tuple[Any, ...]:
        """Within one op, what its other items fail through comes first."""
        tier, op, output, *rest = order(i)
        return (tier, op, i not in pointed, output, *rest)

    entries = []
    for group in members.values():
        candidates = [i for i in group if not points_at[i] or failing[i].get("virtual")]
        root = min(candidates or group, key=rootward)
        rest = sorted((i for i in group if i != root), key=order)
        entries.append(_entry(failing, keys, root, rest, why, points_at, ctx)
                       | {"_order": order(root)})
    entries.sort(key=lambda e: e.pop("_order"))
    return [{"problem": n_, **e} for n_, e in enumerate(entries, 1)]


# ---------------------------------------------------------------- an entry
def _where(item: dict[str, Any], key: Key | None, ctx: _Context) -> dict[str, Any]:
    """The file and function to open for `item`, whose root cause is `key` (see PLACES)."""
    kind = key[0] if key else None
    return PLACES.get(kind or "", _op_place)(item, key, ctx)


def _error_place(item: dict[str, Any], key: Key | None, ctx: _Context) -> dict[str, Any]:
    """The raising frame (and, when it is a helper's, the op's method that called it); a
    module that does not import: the module."""
    err = (item.get("finding") or {}).get("error") or {}
    if not err.get("file"):
        return _op_place(item, key, ctx)
    spec = find_op(item["op"])
    file, line, function, _ = _raiser(err, spec, ctx)
    open_ = f"{file}:{line}" if line else file
    open_ = f"{open_} · {function}" if function else open_
    chain = frames(err)
    caller = next((f for f in reversed(chain[:-1]) if spec and f["function"] in METHODS
                   and f["file"] == ctx.module_file(spec.module)), None)
    if caller is not None and (caller["file"], caller["line"]) != (file, line):
        open_ += (f", called from {caller['file']}:{caller['line']} · "
                  f"{_qualified(spec, caller['file'], caller['function'], ctx.package)}")
    return {"open": open_, "file": file, "line": line, "function": function, "frames": chain}


def _missing_place(item: dict[str, Any], key: Key | None, ctx: _Context) -> dict[str, Any]:
    """The module that lacks the class, the class that lacks the method."""
    assert key is not None
    file = ctx.module_file(key[1])
    what = f"class {key[2]}" if key[0] == "class" else f"{key[2]}.{key[3]}"
    return {"open": f"{file} · {what} (missing)", "file": file, "line": None,
            "function": key[2] if key[0] == "class" else f"{key[2]}.{key[3]}"}


def _stub_place(item: dict[str, Any], key: Key | None, ctx: _Context,
                methods: list[str] | None = None) -> dict[str, Any]:
    """The stub's own methods."""
    assert key is not None
    file = ctx.module_file(key[1])
    found = methods or [_stub_of(item, ctx) or key[2]]
    return {"open": f"{file} · {', '.join(found)}", "file": file, "line": None,
            "function": found[0]}


def _op_place(item: dict[str, Any], key: Key | None, ctx: _Context) -> dict[str, Any]:
    """The op's module and its method for the output (for a wrong created shape: the
    method that creates the parameters, whatever the output; for a wrong value whose
    failing runs point at a helper, that helper, called from the method)."""
    if find_op(item["op"]) is None:
        return {"open": "", "file": None, "line": None, "function": None}
    f = item.get("finding")
    found = (f or {}).get("suspect")
    if found:
        caller = found.get("caller") or _op_function(item, ctx)[1]
        why = f": {found['why']}" if found.get("why") else ""
        return {"open": f"{found['file']}:{found['line']} · {found['function']}, called from "
                        f"{caller}{why}",
                "file": found["file"], "line": found["line"], "function": found["function"]}
    err = (f or {}).get("error") or {}
    file, function = _op_function(item, ctx)
    if err.get("stage") == "import" and not err.get("not_implemented"):
        return {"open": file, "file": file, "line": None, "function": None}
    return {"open": f"{file} · {function}", "file": file, "line": None, "function": function}


def _op_function(item: dict[str, Any], ctx: _Context, detail: bool = True) -> tuple[str, str]:
    """(file, function) of the op's method for the item's output: for a wrong created shape,
    the method that creates the parameters, whatever the output."""
    spec = find_op(item["op"])
    if spec is None:
        return "", item["op"]
    if _top(item.get("finding")).get("code") == "created_shape" and spec.creates:
        return ctx.module_file(spec.module), f"{spec.cls}.{spec.creates.partition('(')[0]}"
    return ctx.module_file(spec.module), _method(item["op"], item["output"], detail)


PLACES = {"import": _error_place, "site": _error_place, "class": _missing_place,
          "method": _missing_place, "stub": _stub_place}


def _missing_cause(key: Key) -> dict[str, str]:
    if key[0] == "class":
        return {"code": "not_implemented",
                "message": f"{key[1]}.py has no class {key[2]}: write it; nothing that uses "
                           "it can run until it does"}
    return {"code": "not_implemented", "message": missing_method_message(key[2], key[3])}


def _cause(item: dict[str, Any], key: Key | None, methods: list[str]) -> dict[str, str]:
    """What the root cause is: a missing class or method says so; several stub methods of
    one class are named together; an exception or a stub says what happened (not a value
    diagnosis ranked above it); anything else the root's top diagnosis."""
    f = item.get("finding")
    if not f:
        return {"code": "", "message": str(item.get("message", ""))}
    kind = key[0] if key else None
    if key is not None and kind in ("class", "method"):
        return _missing_cause(key)
    diagnosis = f.get("diagnosis") or [{}]
    raised = next((d for d in diagnosis if d.get("code") in RAISED), None)
    cause = dict(raised if raised and kind in ("import", "missing", "outage", "site", "stub",
                                               "budget") else diagnosis[0] or {})
    if kind == "stub" and len(methods) > 1:
        cause["message"] = (f"{', '.join(methods[:-1])} and {methods[-1]} are still stubs: "
                            "write them")
    return cause


def _entry(failing: list[dict[str, Any]], keys: list[list[Key]], root: int, rest: list[int],
           why: dict[int, str], points_at: dict[int, set[int]], ctx: _Context
           ) -> dict[str, Any]:
    """The entry of one group of items."""
    item = failing[root]
    explains = [i for i in rest if not failing[i].get("virtual")]
    key = keys[root][0] if keys[root] else None
    if item.get("virtual"):  # the pointer's own message says what to fix and where
        cause = _top(failing[explains[0]].get("finding") if explains else None)
        where = _op_place(item, None, ctx)
    else:
        methods = _stub_methods(failing, [root, *rest], key, ctx)
        cause = _cause(item, key, methods)
        where = (_stub_place(item, key, ctx, methods) if key and key[0] == "stub"
                 else _where(_agreed_suspect(failing, root, rest), key, ctx))
    refs: list[dict[str, str]] = []
    for i in ([] if item.get("virtual") else [root]) + explains:
        ref = _ref(failing[i])
        if all(key_of(r) != key_of(ref) for r in refs):   # two problems of one item
            refs.append(ref if i == root else
                        ref | {"relation": FOLLOWS if points_at[i] else SAME})
    entry = {"code": cause.get("code", ""), "title": CODES.get(cause.get("code", ""), ""),
             "message": cause.get("message", ""), **where,
             "why": why.get(root, "one output") if len(refs) > 1 else "one output",
             "root": _ref(item), "items": refs}
    if item.get("virtual"):
        entry["root"]["checked"] = False
    if item.get("group") is not None:
        entry["group"] = item["group"]
        entry["why"] = (f"problem {item['group'] + 1} of {item['groups']} in "
                        f"{item['op']} {item['output']}" + (f"; {entry['why']}"
                                                           if len(refs) > 1 else ""))
    return entry


def _agreed_suspect(failing: list[dict[str, Any]], root: int, rest: list[int]
                    ) -> dict[str, Any]:
    """The root item, without its suspect helper when the entry's items point at different
    helpers (the runs of four initializers sharing one bug point at each one's own
    constructor: coverage alone cannot see the bug, so the method is opened)."""
    item = failing[root]
    found = {(s["file"], s["function"]) for i in [root, *rest]
             if (s := (failing[i].get("finding") or {}).get("suspect"))}
    if len(found) <= 1:
        return item
    finding = {k: v for k, v in item["finding"].items() if k != "suspect"}
    return {**item, "finding": finding}


def _stub_methods(failing: list[dict[str, Any]], group: list[int], key: Key | None,
                  ctx: _Context) -> list[str]:
    """The stub methods of the entry's class, in the order its items name them."""
    if not key or key[0] != "stub":
        return []
    found = (_stub_of(failing[i], ctx) for i in group)
    return list(dict.fromkeys(f for f in found if f and _owner(f) == key[2]))


# What a wrong shape shows on the cases where the wrong shape happens to be the right one (a
# bias of shape (out, in) when in = 1, a scalar when there is one column): the same bug.
SHAPE_ALSO_SHOWS = {"wrong_shape", "value_mismatch", "wrong_type", "reshape_match"}


def _expand(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item, or one item per problem when its finding holds several (``groups``): each
    with its own diagnosis, cases and, for an exception, the error of its smallest case.
    A wrong shape and what it shows where the shape comes out right are one problem."""
    f = item.get("finding") or {}
    groups = [g for g in f.get(GROUPS_KEY) or [] if isinstance(g, dict)]
    diagnoses = [g.get("diagnosis") if isinstance(g.get("diagnosis"), list) else [g]
                 for g in groups]
    codes = {_top({"diagnosis": d}).get("code") for d in diagnoses}
    if len(groups) < 2 or ("wrong_shape" in codes and codes <= SHAPE_ALSO_SHOWS):
        return [dict(item)]
    out = []
    for k, (g, diagnosis) in enumerate(zip(groups, diagnoses, strict=True)):
        sub = {key: v for key, v in f.items() if key != GROUPS_KEY}
        sub["diagnosis"] = diagnosis
        if k:   # the later problems are not the item's caused_by pointer (nor forward's,
            #     but for an exception from wrong data: FROM_DATA)
            sub.pop("caused_by", None)
            sub["error"] = _group_error(g)
            sub["status"] = (g.get("signature") or {}).get("status", sub.get("status"))
        out.append(dict(item, finding=sub, group=k, groups=len(groups),
                        group_cases=list(g.get("cases") or []),
                        forward_first=_top(f).get("code") == "caused_by_forward" and (
                            not k or (sub.get("error") or {}).get("type") in FROM_DATA)))
    return out


def _group_error(group: dict[str, Any]) -> dict[str, Any] | None:
    """The exception of a problem that raises: its own case's (not its smallest case's,
    which raises an exception of the same type, possibly elsewhere); None for wrong values."""
    if (group.get("signature") or {}).get("status") not in ("error", "not_implemented"):
        return None
    return group.get("error")


def fix_list(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The fix list of a JSON report (its ``results``); see the module docstring. The
    implementation's files are read (never run) for the names of the functions that raised."""
    impl = Path(str(report.get("impl") or ""))
    files = {m: s["file"] for m, s in (report.get("modules") or {}).items() if s.get("file")}
    return fix_list_of(report.get("results", []),
                       package_name(report.get("impl"), report.get("api")),
                       impl.parent if report.get("impl") and impl.is_dir() else None, files)


def attach(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Compute the report's fix list and keep it as ``report["fix_list"]``."""
    report["fix_list"] = fix_list(report)
    return report["fix_list"]


def says(item: dict[str, Any]) -> tuple[Any, ...]:
    """What an item's explanation says: two items of one root cause that say the same need
    it written out once. An exception says where it was raised and what it is (forward and
    backward reaching the same raise say the same); anything else its top diagnosis."""
    f = item.get("finding") or {}
    err = f.get("error") or {}
    if err.get("file") and err.get("line"):
        return ("raised", err["file"], err["line"], err.get("type"), err.get("message"))
    message = _top(f).get("message") if f else item.get("message")
    return ("said", str(message or ""))


def key_of(ref: dict[str, Any]) -> tuple[str, ...]:
    """How an item is named in the fix list: its test's name, else (op, output)."""
    return (ref["test"],) if ref.get("test") else (ref["op"], ref["output"])


def problems(entries: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Item key -> the entries that explain it (usually one)."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for e in entries:
        for ref in e["items"]:
            out.setdefault(key_of(ref), []).append(e)
    return out


def summary_line(entries: list[dict[str, Any]]) -> str:
    """'3 problems explain the 11 failing outputs; fix them in this order.'"""
    items = {key_of(r) for e in entries for r in e["items"]}
    n = len(entries)
    things = f"{n} problem{'s' if n != 1 else ''}"
    outs = f"{len(items)} failing output{'s' if len(items) != 1 else ''}"
    if n == 1:
        return f"1 problem explains the {outs}." if len(items) > 1 else f"1 problem: the {outs}."
    return f"{things} explain the {outs}; fix them in this order."
