"""The registry: the APIs nnparity knows, their op tables, and how an op is found by name.

Each API declares its ops once, in its own table (`harness.core.api.Api.ops`: HW6's in
harness/apis/hw6/ops.py, CS231n's in harness/apis/cs231n/__init__.py, a user-declared adapter's when
its file is read, harness/apis/user.py), and its adapter registers the `Api` here
(harness/apis/known.py does for the built-in ones; every entry point imports it).
The core, the sandbox and the diagnosis look APIs up here and never name one.

The default API's ops have plain names (`conv2d`), every other API's are named "api:op"
(`cs231n:batchnorm`), so an op's name, or a case ID, says which API it belongs to; `get_op`
finds it in that API's table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.core.api import Api, Judge, KindRunner
from harness.core.opspec import Calls, OpSpec

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no formula)
    from harness.core.formula import Formula, Rule

__all__ = ["APIS", "Calls", "OpSpec", "api_of", "default_api", "find_op", "get_api", "get_op",
           "judge_of", "kind_runners", "ops_of", "register", "select_ops",
           "wrong_formulas", "wrong_rules"]

APIS: dict[str, Api] = {}   # name -> the API, in the order they were registered
_DEFAULT: list[Api] = []    # the API of `check` without --api, and of a plain op name


def register(api: Api, default: bool = False) -> Api:
    """Add `api` to the known ones (an adapter's module does, once); `default`: the API of
    a plain op name and of `check` without --api."""
    APIS[api.name] = api
    _COLLECTED.formulas = _COLLECTED.rules = None   # collected again, with this one
    if default:
        _DEFAULT[:] = [api]
    return api


def default_api() -> Api:
    if not _DEFAULT:
        raise RuntimeError("no API is registered: import harness.apis.known first (every "
                           "entry point does: the CLI, the pipeline, the pytest plugin, the "
                           "checker, the sandboxed child)")
    return _DEFAULT[0]


def get_api(name: str) -> Api:
    try:
        return APIS[name]
    except KeyError:
        raise ValueError(f"unknown API {name!r}; known APIs: {', '.join(APIS)}") from None


def api_of(name: str) -> str:
    """The API an op (or case ID) belongs to: the prefix before ':', else the default API."""
    head, sep, _ = name.partition(":")
    return head if sep and "/" not in head else default_api().name


def _table(api: str) -> dict[str, OpSpec]:
    found = APIS.get(api)
    return found.ops if found is not None else {}


def get_op(name: str) -> OpSpec:
    table = _table(api_of(name))
    try:
        return table[name]
    except KeyError:
        known = table or default_api().ops
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(known)}") from None


def find_op(name: str) -> OpSpec | None:
    """The op of any API called `name`, or None."""
    return _table(api_of(name)).get(name)


def ops_of(api: str | None = None) -> dict[str, OpSpec]:
    """The op table of one API (the default API's when None)."""
    return APIS[api].ops if api is not None else default_api().ops


def select_ops(names: str | None, api: str | None = None) -> list[OpSpec]:
    """Ops of `api` named in a comma-separated list (all its ops when empty); a name without
    the API's prefix is found with it ('batchnorm' for cs231n:batchnorm)."""
    spec = APIS[api] if api is not None else default_api()
    table = spec.ops
    if not names:
        return list(table.values())
    return [get_op(name if name in table else spec.op_name(name))
            for name in (n.strip() for n in names.split(",") if n.strip())]


def kind_runners() -> dict[str, KindRunner]:
    """Every API's own kinds of op and the runner of each (`harness.core.driver`)."""
    runners: dict[str, KindRunner] = {}
    for api in APIS.values():
        if api.runners is not None:
            runners.update(api.runners())
    return runners


def judge_of(spec: OpSpec) -> Judge | None:
    """What judges `spec`'s kind when its API declares a judge for it (whole models: more
    than one call, collected outputs), else None (the core judges it output by output)."""
    api = APIS.get(spec.api)
    if api is None or api.judge is None:
        return None
    judge = api.judge()
    return judge if spec.kind in judge.KINDS else None


def wrong_formulas() -> dict[str, tuple[Formula, ...]]:
    """The wrong formulas every API's adapter brings for its own ops, by op (collected once
    until another API registers: the diagnosis asks for them on every failing verdict)."""
    if _COLLECTED.formulas is None:
        _COLLECTED.formulas = {op: formulas for api in APIS.values() if api.formulas is not None
                               for op, formulas in api.formulas().items()}
    return _COLLECTED.formulas


def wrong_rules() -> dict[str, tuple[Rule, ...]]:
    """The usual wrong rules of every API's layers, by op (collected once until another API
    registers)."""
    if _COLLECTED.rules is None:
        _COLLECTED.rules = {op: rules for api in APIS.values() if api.layer_rules is not None
                            for op, rules in api.layer_rules().items()}
    return _COLLECTED.rules


class _Collected:
    """What the registered APIs bring, collected from them once (`register` forgets it)."""

    formulas: dict[str, tuple[Formula, ...]] | None = None
    rules: dict[str, tuple[Rule, ...]] | None = None


_COLLECTED = _Collected()
