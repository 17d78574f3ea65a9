"""Small readings of Python's syntax tree that the draft's readers share."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    name: str
    default: str | None = None   # its default value's source; None: required


def params(function: ast.FunctionDef | None) -> tuple[Param, ...]:
    """A function's arguments but self, with the source of their defaults."""
    if function is None:
        return ()
    args = function.args
    positional = [*args.posonlyargs, *args.args][1:]   # without self
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    out = [Param(a.arg, None if d is None else ast.unparse(d))
           for a, d in zip(positional, defaults, strict=True)]
    out += [Param(a.arg, None if d is None else ast.unparse(d))
            for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return tuple(out)


def is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
        and node.value.id == "self"


def nodes(bodies: Iterable[ast.AST]) -> Iterator[ast.AST]:
    for body in bodies:
        yield from ast.walk(body)


def name_of(func: ast.expr) -> str:
    """A called function's last name: np.random.randn -> "randn"."""
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None
