"""User-declared adapters: a course's or a library's own names and calls, in a file.

``--api path/to/adapter.toml`` (or ``.py`` defining a dict ``ADAPTER`` of the same shape)
declares an API whose classes compute ops nnparity already knows: each ``[[op]]`` names the
op whose math it is (``twin``: its cases, inputs, layout and PyTorch twin) and how the class
is driven. docs/adapters.md is the reference, with a worked example; for instance:

    [api]
    name = "dlfs"                  # its ops are dlfs:<name>
    title = "Deep Learning from Scratch (common/layers.py)"
    package = "common"             # --impl: a folder holding common/layers.py, or layers.py
    module = "layers"

    [[op]]
    name = "affine"
    twin = "cs231n:affine"         # x (N, ...), w (D, M), b (M,), dout (N, M)
    class = "Affine"
    init = ["w", "b"]              # Affine(w, b)
    forward = ["x"]                # forward(x) -> out
    backward = ["dout"]            # backward(dout) -> dx
    grads = { dW = "dW", db = "db" }   # then the attributes self.dW and self.db

Arguments are expressions over the twin's inputs and parameters (harness/core/expressions.py:
``x.shape[1]``, ``1 - p``, ``{ train_flg = "mode == 'train'" }`` by keyword); a name the
twin does not have is an error that lists the ones it has. Beyond the calls an op may
declare its library's constants, named variants of the twin (harness/apis/adapter_catalogue.py),
array layouts (harness/core/array_layouts.py), a local-derivative backward, case
restrictions and a tolerance policy: docs/adapters.md has every key. A mistake in the file is
an `AdapterError` naming the file and line. The adapter is the course staff's own file: it
runs in nnparity's process, never in the sandbox; the implementation it describes runs
sandboxed as any other.
"""

from __future__ import annotations

import re
import runpy
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from harness.apis.adapter_catalogue import POLICIES, VARIANTS, Policy
from harness.core import expressions
from harness.core.api import Api
from harness.core.array_layouts import LAYOUTS
from harness.core.cases import Case
from harness.core.compare import Tolerance
from harness.core.opspec import AdapterError, AdapterOp, Methods, OpSpec
from harness.core.registry import APIS, find_op, judge_of, register
from harness.sandbox.library import LibraryLoader

__all__ = ["AdapterError", "load_adapter"]

API_KEYS = {"name", "title", "package", "module", "path", "example"}
OP_KEYS = {"name", "twin", "class", "module", "init", "forward", "backward", "returns",
           "grads", "state", "sets", "makers", "constants", "conventions", "layout", "local",
           "restrict", "tolerance", "optional"}
# The cases an adapter's names and expressions are tried on when it is loaded: a default
# run's 50 (in milliseconds); a later case that fails one is an AdapterError all the same.
CHECKED_CASES = 50
_KEY_LINE = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=")


def _check(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise AdapterError(f"{where}: {message}")


def _read(path: Path) -> tuple[dict[str, Any], dict[tuple[int, str], int]]:
    """The adapter's data and, for a .toml file, the line of each key: (table, key) -> line,
    table 0 the [api] table and i the i-th [[op]]."""
    _check(path.is_file(), str(path), "no such adapter file")
    if path.suffix == ".toml":
        text = path.read_text()
        try:
            return tomllib.loads(text), _key_lines(text)
        except tomllib.TOMLDecodeError as exc:
            raise AdapterError(f"{path}: not valid TOML: {exc}") from None
    _check(path.suffix == ".py", str(path), "an adapter is a .toml file or a .py file")
    found = runpy.run_path(str(path)).get("ADAPTER")
    _check(isinstance(found, dict), str(path), "a .py adapter defines a dict ADAPTER")
    assert isinstance(found, dict)   # _check raised otherwise
    return found, {}


def _key_lines(text: str) -> dict[tuple[int, str], int]:
    lines: dict[tuple[int, str], int] = {}
    table = 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[[op]]"):
            table += 1
            lines[table, "op"] = number
        elif (found := _KEY_LINE.match(line)) and not stripped.startswith("#"):
            lines.setdefault((table, found.group(1)), number)
    return lines


class _Where:
    """Where an op's keys are in its adapter file, for messages: "path:line [[op]] name key"."""

    def __init__(self, path: Path, index: int, raw: dict[str, Any],
                 lines: dict[tuple[int, str], int]) -> None:
        self.path, self.index, self.lines = path, index, lines
        self.label = f"[[op]] {raw.get('name') or f'#{index}'}"

    def __call__(self, key: str = "op") -> str:
        line = self.lines.get((self.index, key)) or self.lines.get((self.index, "op"))
        place = f"{self.path}:{line}" if line else str(self.path)
        return f"{place} {self.label}" + ("" if key == "op" else f" {key}")


def _arguments(value: Any, where: str) -> tuple[str, ...]:
    """A call's arguments: expressions, then an inline table of keyword = expression, as the
    "keyword=expression" strings `Methods` reads."""
    _check(isinstance(value, list), where, f"expected a list of arguments, got {value!r}")
    out: list[str] = []
    for item in value:
        if isinstance(item, dict):
            _check(all(isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                       for k, v in item.items()), where,
                   f"a keyword table maps names to expressions, got {item!r}")
            out += [f"{k}={v}" for k, v in item.items()]
        else:
            _check(isinstance(item, str) and bool(item.strip()), where,
                   f"expected an expression (text), got {item!r}")
            out.append(item)
    return tuple(out)


def _table(raw: dict[str, Any], key: str, where: _Where) -> dict[str, Any]:
    value = raw.get(key, {})
    _check(isinstance(value, dict) and all(isinstance(k, str) for k in value), where(key),
           f"expected a table of name = value, got {value!r}")
    return value


def _strings(raw: dict[str, Any], key: str, where: _Where) -> tuple[tuple[str, str], ...]:
    table = _table(raw, key, where)
    _check(all(isinstance(v, str) for v in table.values()), where(key),
           "expected a table of name = text")
    return tuple(table.items())


@dataclass(frozen=True)
class _Twin:
    """The op an adapter's entry maps to, and the names its cases give (its first cases')."""

    op: OpSpec
    inputs: frozenset[str]
    params: frozenset[str]
    case_params: frozenset[str]

    @property
    def known(self) -> set[str]:
        return set(self.inputs | self.params)


def _twin_of(raw: dict[str, Any], where: _Where) -> _Twin:
    base = find_op(raw["twin"])
    _check(base is not None and not isinstance(base, AdapterOp) and judge_of(base) is None
           and base.kind not in ("training",), where("twin"),
           f"{raw['twin']!r} is not an op an adapter can map to (a CS231n op, cs231n:..., an "
           "activation, or a mytorch op, mytorch:...; `nnparity twins` lists them)")
    assert base is not None
    cases = list(base.cases(CHECKED_CASES))
    return _Twin(base, frozenset(n for case in cases for n in base.inputs(case)),
                 frozenset(n for case in cases for n in base.ctor(case)),
                 frozenset(n for case in cases for n in case.p))


def _expressions_known(texts: tuple[str, ...], known: set[str], where: str, base: OpSpec
                       ) -> None:
    for text in texts:
        try:
            unknown = sorted(expressions.names(expressions.split_keyword(text)[1]) - known)
        except expressions.ExpressionError as exc:
            raise AdapterError(f"{where}: {exc}") from None
        _check(not unknown, where, f"{unknown} are not inputs or parameters of {base.name}; "
                                   f"it has: {', '.join(sorted(known))}")


def _policy(value: Any, where: str) -> Policy | None:
    """The op's tolerance policy: a named one, or rtol and atol (the float64 dtypes)."""
    if value is None:
        return None
    if isinstance(value, str):
        _check(value in POLICIES, where,
               f"unknown policy {value!r}; known: {', '.join(POLICIES)} or "
               "{ rtol = ..., atol = ... }")
        return POLICIES[value]
    _check(isinstance(value, dict) and set(value) <= {"rtol", "atol"} and all(
        isinstance(v, int | float) and v >= 0 for v in value.values()), where,
        "expected a policy's name or { rtol = ..., atol = ... } with numbers >= 0")
    default = POLICIES["float64"]
    return replace(default, tolerance=Tolerance(
        rtol=float(value.get("rtol", default.tolerance.rtol)),
        atol_scale=float(value.get("atol", default.tolerance.atol_scale))))


def _variants(raw: dict[str, Any], base: OpSpec, where: _Where
              ) -> tuple[tuple[tuple[str, Any], ...], list[str]]:
    """The twin's options for the named variants and what each means, for the report."""
    options, notes = [], []
    for name, value in _table(raw, "conventions", where).items():
        variant = VARIANTS.get(name)
        _check(variant is not None, where("conventions"),
               f"unknown convention {name!r}; known: {', '.join(VARIANTS)}")
        assert variant is not None
        _check(base.name in variant.twins, where("conventions"),
               f"{name} is a variant of {', '.join(variant.twins)}, not of {base.name}")
        _check(variant.accepts(value), where("conventions"),
               f"{name} takes " + ("a number" if variant.words is None else
                                   " or ".join(map(repr, variant.words))) + f", got {value!r}")
        options.append((variant.option, variant.twin_value(value)))
        notes.append(f"{name}: " + variant.text.format(value=value))
    return tuple(options), notes


def _restriction(texts: tuple[str, ...], base: OpSpec):   # noqa: ANN202 - OpSpec.keep
    def keep(case: Case) -> bool:
        values = {**case.p, **base.ctor(case), **base.inputs(case)}
        return all(bool(expressions.evaluate(text, values)) for text in texts)
    return keep if texts else base.keep


def _methods(raw: dict[str, Any], twin: _Twin, where: _Where) -> Methods:
    """How the entry's class is driven (the calls, attributes and outputs it names)."""
    base = twin.op
    backward = raw.get("backward", ["dout"])
    calls = {key: _arguments(raw.get(key, default), where(key))
             for key, default in (("init", []), ("forward", ["x"]))}
    calls["backward"] = () if backward is False else _arguments(backward, where("backward"))
    for key, texts in calls.items():
        _expressions_known(texts, twin.known, where(key), base)
    sets, makers = _strings(raw, "sets", where), _strings(raw, "makers", where)
    _expressions_known(tuple(v for _, v in sets + makers), twin.known, where("sets"), base)
    returns = raw.get("returns", "dX")
    _check(isinstance(returns, str), where("returns"), "expected an output's name")
    layout = _strings(raw, "layout", where)
    for name, kind in layout:
        _check(kind in LAYOUTS, where("layout"),
               f"unknown layout {kind!r}; known: {', '.join(LAYOUTS)}")
        _check(name in twin.inputs or name in base.outputs, where("layout"),
               f"{name!r} is not an input or output of {base.name}")
    options, _ = _variants(raw, base, where)
    return Methods(init=calls["init"], forward=calls["forward"], backward=calls["backward"],
                   returns=returns if backward is not False else "",
                   grads=_strings(raw, "grads", where) if backward is not False else (),
                   loss=base.scalar("forward"), sets=sets, makers=makers,
                   state=_strings(raw, "state", where), twin_options=options, layout=layout)


def _declared(raw: dict[str, Any], twin: _Twin, where: _Where
              ) -> tuple[dict[str, Any], str, tuple[str, ...], Policy | None, list[str]]:
    """What the entry declares beyond the calls: (constants, local, restrictions, tolerance
    policy, what they mean in words, for the report)."""
    base = twin.op
    constants = _table(raw, "constants", where)
    _check(set(constants) <= twin.params and all(isinstance(v, int | float | str | bool)
                                                 for v in constants.values()),
           where("constants"), f"constants are values of {base.name}'s parameters "
           f"({', '.join(sorted(twin.params)) or 'none'}), got {constants!r}")
    local = raw.get("local", "")
    _check(local == "" or local in twin.inputs, where("local"),
           f"local names the input backward's local derivative is multiplied by (one of "
           f"{', '.join(sorted(twin.inputs))}), got {local!r}")
    restrict = _arguments(raw.get("restrict", []), where("restrict"))
    _expressions_known(restrict, twin.known | twin.case_params, where("restrict"), base)
    policy = _policy(raw.get("tolerance"), where("tolerance"))
    notes = [*(f"{k} = {v!r}: the library's own (the twin computes with it)"
               for k, v in constants.items()), *_variants(raw, base, where)[1],
             *(f"{name}: {LAYOUTS[kind].text}" for name, kind in _strings(raw, "layout", where)),
             *([f"backward returns the local derivative; nnparity multiplies it by {local}"]
               if local else []),
             *([f"cases where {' and '.join(restrict)}"] if restrict else []),
             *(["forward only: backward is not checked"] if raw.get("backward") is False
               else []),
             *([f"tolerance {raw['tolerance']}: {policy.tolerance.describe()}, dtype "
                + " or ".join(policy.dtypes)] if policy else [])]
    return constants, local, restrict, policy, notes


def _op(raw: dict[str, Any], api: str, module: str, where: _Where) -> AdapterOp:
    _check(isinstance(raw, dict), where(), "an [[op]] entry is a table")
    _check(not set(raw) - OP_KEYS, where(),
           f"unknown key(s) {sorted(set(raw) - OP_KEYS)}; known: {sorted(OP_KEYS)}")
    for key in ("name", "twin", "class"):
        _check(isinstance(raw.get(key), str) and raw[key], where(key), f"missing {key}")
    _check(raw["name"].isidentifier(), where("name"), "expected a Python identifier")
    twin = _twin_of(raw, where)
    base, methods = twin.op, _methods(raw, twin, where)
    asked = {"forward", *dict(methods.state), *dict(methods.grads), methods.returns} - {""}
    _check(not asked - set(base.outputs), where(),
           f"{base.name} has no output(s) {sorted(asked - set(base.outputs))}; its outputs: "
           f"{', '.join(base.outputs)}")
    constants, local, restrict, policy, notes = _declared(raw, twin, where)
    op_module = raw.get("module", module)
    _check(isinstance(op_module, str) and _dotted(op_module), where("module"),
           "expected a module name below the package (dotted: nn.linear)")
    outputs = tuple(o for o in base.outputs if o in asked or o in base.derived)
    shared = {f.name: getattr(base, f.name) for f in fields(OpSpec)}   # what every op is
    spec = AdapterOp(**{**shared, "name": f"{api}:{raw['name']}", "module": op_module,
                        "cls": raw["class"], "outputs": outputs, "api": api,
                        "twin": base.name, "keep": _restriction(restrict, base),
                        "tolerance": policy and policy.tolerance,
                        "dtypes": policy.dtypes if policy else (), "notes": tuple(notes),
                        "optional": _flag(raw, "optional", where)},
                     methods=methods, constants=constants, local=local,
                     lines=tuple((key, where(key)) for key in ("op", *OP_KEYS)),
                     scalars=tuple(o for o in outputs if base.scalar(o)))   # Swish's dbeta
    _try_on_cases(spec, where)
    return spec


def _try_on_cases(spec: AdapterOp, where: _Where) -> None:
    """Evaluate the op's restrictions and expressions on its first cases, so that an
    adapter's mistake is found when it is loaded."""
    try:
        cases = list(spec.cases(CHECKED_CASES))
    except expressions.ExpressionError as exc:
        raise AdapterError(f"{where('restrict')}: {exc}") from None
    _check(bool(cases), where("restrict"), "no case of the twin meets these restrictions")
    for case in cases:
        spec.check_case(case)


def _flag(raw: dict[str, Any], key: str, where: _Where) -> bool:
    value = raw.get(key, False)
    _check(isinstance(value, bool), where(key), f"expected true or false, got {value!r}")
    return value


def _dotted(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def load_adapter(path: str | Path) -> Api:
    """Read, check and register the adapter at `path`; its Api (ops in the registry)."""
    p = Path(path).expanduser().resolve()
    data, lines = _read(p)
    top = data.get("api")
    _check(isinstance(top, dict), str(p), "missing the [api] table")
    assert isinstance(top, dict)   # _check raised otherwise

    def at(key: str) -> str:
        return f"{p}:{lines[0, key]} [api] {key}" if (0, key) in lines else f"{p} [api] {key}"

    _check(not set(top) - API_KEYS, str(p) + " [api]",
           f"unknown key(s) {sorted(set(top) - API_KEYS)}; known: {sorted(API_KEYS)}")
    for key in ("name", "package"):
        _check(isinstance(top.get(key), str) and top[key].isidentifier(), at(key),
               "expected a Python identifier")
    _check(isinstance(top.get("module"), str) and _dotted(top["module"]), at("module"),
           "expected a module name below the package (dotted: nn.linear)")
    extra = top.get("path", [])
    _check(isinstance(extra, list) and all(isinstance(e, str) for e in extra), at("path"),
           "expected a list of folders, relative to the package's folder")
    name = top["name"]
    _check(name not in APIS or APIS[name].adapter == str(p), at("name"),
           f"{name!r} is already an API's name; choose another")
    raw_ops = data.get("op")
    _check(isinstance(raw_ops, list) and bool(raw_ops), str(p), "no [[op]] entries")
    assert isinstance(raw_ops, list)   # _check raised otherwise
    ops = [_op(raw, name, top["module"], _Where(p, i, raw if isinstance(raw, dict) else {},
                                                lines))
           for i, raw in enumerate(raw_ops, 1)]
    modules = tuple(dict.fromkeys([top["module"], *(spec.module for spec in ops)]))
    example = top.get("example")
    api = Api(name, str(top.get("title", name)), top["package"], modules,
              (p.parent / example).resolve() if example else None, (),
              LibraryLoader(top["package"], top["module"], modules[1:], tuple(extra)),
              adapter=str(p), ops={spec.name: spec for spec in ops})
    return register(api)
