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

Names in init, forward and backward are the twin's inputs (`nnparity check --api FILE` lists
them for a mistyped name) or, for init, the twin's constructor parameters (stride, pad,
pool_height, ...). The adapter is the course staff's own file: it runs in nnparity's process,
never in the sandbox; the implementation it describes runs sandboxed as any other.
"""

from __future__ import annotations

import runpy
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from harness.core.api import Api
from harness.core.opspec import AdapterOp, Methods, OpSpec
from harness.core.registry import APIS, find_op, register
from harness.sandbox.library import LibraryLoader

API_KEYS = {"name", "title", "package", "module", "example"}
OP_KEYS = {"name", "twin", "class", "init", "forward", "backward", "returns", "grads"}


class AdapterError(ValueError):
    """The adapter file is unusable; the message says where and what to fix."""


def _check(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise AdapterError(f"{where}: {message}")


def _read(path: Path) -> dict[str, Any]:
    _check(path.is_file(), str(path), "no such adapter file")
    if path.suffix == ".toml":
        try:
            return tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise AdapterError(f"{path}: not valid TOML: {exc}") from None
    _check(path.suffix == ".py", str(path), "an adapter is a .toml file or a .py file")
    found = runpy.run_path(str(path)).get("ADAPTER")
    _check(isinstance(found, dict), str(path), "a .py adapter defines a dict ADAPTER")
    assert isinstance(found, dict)   # _check raised otherwise
    return found


def _names(value: Any, where: str) -> tuple[str, ...]:
    _check(isinstance(value, list) and all(isinstance(v, str) for v in value), where,
           f"expected a list of names, got {value!r}")
    return tuple(value)


def _op(raw: dict[str, Any], api: str, module: str, where: str) -> OpSpec:
    _check(not set(raw) - OP_KEYS, where,
           f"unknown key(s) {sorted(set(raw) - OP_KEYS)}; known: {sorted(OP_KEYS)}")
    for key in ("name", "twin", "class"):
        _check(isinstance(raw.get(key), str) and raw[key], where, f"missing {key}")
    base = find_op(raw["twin"])
    _check(base is not None and base.kind in ("function", "activation"), f"{where} twin",
           f"{raw['twin']!r} is not an op an adapter can map to (a CS231n op, cs231n:..., "
           "or an activation)")
    assert base is not None
    grads = raw.get("grads", {})
    _check(isinstance(grads, dict) and all(isinstance(v, str) for v in grads.values()),
           f"{where} grads", "expected a table of output = attribute")
    methods = Methods(init=_names(raw.get("init", []), f"{where} init"),
                      forward=_names(raw.get("forward", ["x"]), f"{where} forward"),
                      backward=_names(raw.get("backward", ["dout"]), f"{where} backward"),
                      returns=str(raw.get("returns", "dX")),
                      grads=tuple(grads.items()), loss=base.scalar("forward"))
    asked = {"forward", methods.returns, *grads}
    unknown = asked - set(base.outputs)
    _check(not unknown, where, f"{base.name} has no output(s) {sorted(unknown)}; its outputs: "
                               f"{', '.join(base.outputs)}")
    case = next(base.cases(1))
    names = set(base.inputs(case)) | set(base.ctor(case))
    for field_name in ("init", "forward", "backward"):
        wrong = [n for n in getattr(methods, field_name) if n not in names]
        _check(not wrong, f"{where} {field_name}",
               f"{wrong} are not inputs or parameters of {base.name}; it has: "
               f"{', '.join(sorted(names))}")
    outputs = tuple(o for o in base.outputs if o in asked or o in base.derived)
    shared = {f.name: getattr(base, f.name) for f in fields(OpSpec)}   # what every op is
    return AdapterOp(**{**shared, "name": f"{api}:{raw['name']}", "module": module,
                        "cls": raw["class"], "outputs": outputs, "api": api,
                        "twin": base.name}, methods=methods)


def load_adapter(path: str | Path) -> Api:
    """Read, check and register the adapter at `path`; its Api (ops in the registry)."""
    p = Path(path).expanduser().resolve()
    data = _read(p)
    top = data.get("api")
    _check(isinstance(top, dict), str(p), "missing the [api] table")
    assert isinstance(top, dict)   # _check raised otherwise
    _check(not set(top) - API_KEYS, f"{p} [api]",
           f"unknown key(s) {sorted(set(top) - API_KEYS)}; known: {sorted(API_KEYS)}")
    for key in ("name", "package", "module"):
        _check(isinstance(top.get(key), str) and top[key].isidentifier(), f"{p} [api] {key}",
               "expected a Python identifier")
    name = top["name"]
    _check(name not in APIS or APIS[name].adapter == str(p), f"{p} [api] name",
           f"{name!r} is already an API's name; choose another")
    raw_ops = data.get("op")
    _check(isinstance(raw_ops, list) and bool(raw_ops), str(p), "no [[op]] entries")
    assert isinstance(raw_ops, list)   # _check raised otherwise
    ops = [_op(raw, name, top["module"], f"{p} [[op]] #{i}")
           for i, raw in enumerate(raw_ops, 1)]
    example = top.get("example")
    api = Api(name, str(top.get("title", name)), top["package"], (top["module"],),
              (p.parent / example).resolve() if example else None, (),
              LibraryLoader(top["package"], top["module"]), adapter=str(p),
              ops={spec.name: spec for spec in ops})
    return register(api)
