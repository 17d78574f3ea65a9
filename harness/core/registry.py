"""The op registry: every API's op table, and how an op is found by name.

Each API declares its ops once, in its own table: HW6's in harness/apis/hw6.py (plain names,
`conv2d`), CS231n's in harness/apis/cs231n.py (`cs231n:batchnorm`), a user-declared adapter's
when its file is read (harness/apis/user.py). An op's name, or a case ID, says which API it
belongs to; `get_op` finds it in that API's table.
"""

from __future__ import annotations

from harness.apis.cs231n import CS231N_OPS
from harness.apis.hw6 import BASE_MODULES, GRADED_MODULES, HW6_OPS, PARAMETER_SHAPES
from harness.core.opspec import KIND_OF_MODULE, Calls, OpSpec

OPS = HW6_OPS   # the default API's table (HW6), under its historical name

__all__ = ["API_OPS", "BASE_MODULES", "GRADED_MODULES", "KIND_OF_MODULE", "OPS",
           "PARAMETER_SHAPES", "Calls", "OpSpec", "find_op", "get_op", "ops_of", "select_ops"]

# Every API's op table: HW6's ops keep their plain names; another API's
# are named "api:op" (cs231n:batchnorm), so a name or a case ID says which API it belongs to.
API_OPS: dict[str, dict[str, OpSpec]] = {"hw6": OPS, "cs231n": CS231N_OPS}


def api_of(name: str) -> str:
    """The API an op (or case ID) belongs to: the prefix before ':', else hw6."""
    head, sep, _ = name.partition(":")
    return head if sep and "/" not in head else "hw6"


def get_op(name: str) -> OpSpec:
    table = API_OPS.get(api_of(name), {})
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(table or OPS)}") from None


def find_op(name: str) -> OpSpec | None:
    """The op of any API called `name`, or None."""
    return API_OPS.get(api_of(name), {}).get(name)


def ops_of(api: str = "hw6") -> dict[str, OpSpec]:
    """The op table of one API."""
    return API_OPS[api]


def select_ops(names: str | None, api: str = "hw6") -> list[OpSpec]:
    """Ops of `api` named in a comma-separated list (all its ops when empty); a name without
    the API's prefix is found with it ('batchnorm' for cs231n:batchnorm)."""
    table = API_OPS[api]
    if not names:
        return list(table.values())
    prefix = "" if api == "hw6" else f"{api}:"
    picked = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        picked.append(get_op(name if name in table or ":" in name else prefix + name))
    return picked
