"""The op registry: every API's op table, and how an op is found by name.

Each API declares its ops once, in its own table (`harness.apis.api.Api.ops`: HW6's in
harness/apis/hw6/ops.py, CS231n's in harness/apis/cs231n.py, a user-declared adapter's when its
file is read, harness/apis/user.py). The default API's ops have plain names (`conv2d`), every
other API's are named "api:op" (`cs231n:batchnorm`), so an op's name, or a case ID, says
which API it belongs to; `get_op` finds it in that API's table.
"""

from __future__ import annotations

from harness.apis.known import APIS, DEFAULT
from harness.core.opspec import Calls, OpSpec

OPS = DEFAULT.ops   # the default API's table, under its historical name

__all__ = ["OPS", "Calls", "OpSpec", "api_of", "find_op", "get_op", "ops_of", "select_ops"]


def api_of(name: str) -> str:
    """The API an op (or case ID) belongs to: the prefix before ':', else the default API."""
    head, sep, _ = name.partition(":")
    return head if sep and "/" not in head else DEFAULT.name


def _table(api: str) -> dict[str, OpSpec]:
    found = APIS.get(api)
    return found.ops if found is not None else {}


def get_op(name: str) -> OpSpec:
    table = _table(api_of(name))
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(table or OPS)}") from None


def find_op(name: str) -> OpSpec | None:
    """The op of any API called `name`, or None."""
    return _table(api_of(name)).get(name)


def ops_of(api: str = DEFAULT.name) -> dict[str, OpSpec]:
    """The op table of one API."""
    return APIS[api].ops


def select_ops(names: str | None, api: str = DEFAULT.name) -> list[OpSpec]:
    """Ops of `api` named in a comma-separated list (all its ops when empty); a name without
    the API's prefix is found with it ('batchnorm' for cs231n:batchnorm)."""
    table = ops_of(api)
    if not names:
        return list(table.values())
    spec = APIS[api]
    return [get_op(name if name in table else spec.op_name(name))
            for name in (n.strip() for n in names.split(",") if n.strip())]
