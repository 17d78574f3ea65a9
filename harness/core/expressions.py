"""The small expressions an adapter writes for an argument: a value computed from a case.

An adapter's argument is an expression over the op's inputs and parameters: a bare name
(``x``), a size (``x.shape[1]``), a transform (``1 - p``, ``w.T``, ``b.reshape(-1, 1)``) or a
flag (``mode == 'train'``). The grammar is a safe subset of Python's, evaluated here from its
syntax tree (never by `eval`): names, numbers, strings, arithmetic, comparisons, ``and``,
``or``, ``not``, ``a if c else b``, indexing, tuples and lists, the array attributes in
`ATTRIBUTES` and the functions in `FUNCTIONS`. An argument may also be a keyword,
``"train_flg=mode == 'train'"``: `split_keyword` separates it.

Both processes evaluate them: the parent when it loads an adapter and before each case (an
expression that fails there is the adapter's mistake, reported with its line), the sandboxed
child to build the library's arguments.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

# Methods and attributes of an array (or of a shape) an expression may use.
ATTRIBUTES = frozenset({"shape", "ndim", "size", "T", "reshape", "transpose", "ravel",
                        "flatten", "copy", "squeeze", "astype", "sum", "mean"})
FUNCTIONS: dict[str, Callable[..., Any]] = {"int": int, "float": float, "bool": bool,
                                            "len": len, "tuple": tuple, "abs": abs,
                                            "min": min, "max": max}
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos,
                                            ast.Not: operator.not_}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b}
_KEYWORD = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)(.*)$", re.DOTALL)


class ExpressionError(ValueError):
    """An expression outside the grammar, or one that failed on a case's values."""


def split_keyword(argument: str) -> tuple[str | None, str]:
    """(keyword, expression) of an argument: ``"train_flg=mode == 'train'"`` ->
    ("train_flg", "mode == 'train'"); a positional one has keyword None."""
    found = _KEYWORD.match(argument)
    return (found.group(1), found.group(2).strip()) if found else (None, argument.strip())


@cache
def parse(text: str) -> ast.expr:
    """The syntax tree of `text`; ExpressionError if it is not in the grammar."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"{text!r} is not an expression: {exc.msg}") from None
    for node in ast.walk(tree):
        _allowed(node, text)
    return tree


_NODES = (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp,
          ast.Subscript, ast.Slice, ast.Tuple, ast.List, ast.Attribute, ast.Call, ast.Load,
          ast.And, ast.Or, *_BINARY, *_UNARY, *_COMPARE)


def _allowed(node: ast.AST, text: str) -> None:
    if not isinstance(node, _NODES):
        raise ExpressionError(f"{text!r}: {type(node).__name__} is not allowed in an "
                              "adapter's expression")
    if isinstance(node, ast.Attribute) and node.attr not in ATTRIBUTES:
        raise ExpressionError(f"{text!r}: .{node.attr} is not allowed (allowed: "
                              f"{', '.join(sorted(ATTRIBUTES))})")
    if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Attribute)
            or (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS)):
        raise ExpressionError(f"{text!r}: only the functions {', '.join(FUNCTIONS)} and an "
                              "array's methods may be called")


def names(text: str) -> frozenset[str]:
    """The case's names `text` reads (not the functions it calls)."""
    tree = parse(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return frozenset(n.id for n in ast.walk(tree)
                     if isinstance(n, ast.Name) and id(n) not in called)


def evaluate(text: str, values: Mapping[str, Any]) -> Any:
    """The value of `text` with its names bound to `values`; ExpressionError if it fails."""
    try:
        return _value(parse(text), values)
    except ExpressionError:
        raise
    except Exception as exc:  # noqa: BLE001 - an index out of range, a bad reshape, ...
        raise ExpressionError(f"{text!r} failed: {type(exc).__name__}: {exc}") from None


def _value(node: ast.expr, env: Mapping[str, Any]) -> Any:   # noqa: PLR0911 - one per node
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ExpressionError(f"no value named {node.id!r} in this case")
        return env[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_value(node.left, env), _value(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_value(node.operand, env))
    if isinstance(node, ast.Compare):
        left, result = _value(node.left, env), True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _value(right_node, env)
            result = result and _COMPARE[type(op)](left, right)
            left = right
        return result
    if isinstance(node, ast.BoolOp):
        values = (_value(v, env) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        return _value(node.body if _value(node.test, env) else node.orelse, env)
    if isinstance(node, ast.Subscript):
        return _value(node.value, env)[_value(node.slice, env)]
    if isinstance(node, ast.Slice):
        return slice(*(None if part is None else _value(part, env)
                       for part in (node.lower, node.upper, node.step)))
    if isinstance(node, ast.Tuple | ast.List):
        return tuple(_value(e, env) for e in node.elts)
    if isinstance(node, ast.Attribute):
        return getattr(_value(node.value, env), node.attr)
    assert isinstance(node, ast.Call)   # parse() allowed nothing else
    func = (FUNCTIONS[node.func.id] if isinstance(node.func, ast.Name)
            else _value(node.func, env))
    return func(*(_value(a, env) for a in node.args),
                **{k.arg: _value(k.value, env) for k in node.keywords if k.arg})
