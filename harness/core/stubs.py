"""Starter templates left as they were: not implemented, not the student's exception.

A course's starter hands out method bodies such as

    ### BEGIN YOUR CODE ###
    # implement a convolutional forward pass
    ### END YOUR CODE ###
    return out

which, untouched, raise ``NameError: name 'out' is not defined``. That is work not done, not
a bug in work done. The parent tells it from the student's own file (never from what the
child says): the function that raised `return`s a name it never binds anywhere, or its code
(comments, docstrings and layout aside) is one of the starter templates its edition lists.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import SupportsIndex, SupportsInt


def parsed(path: Path) -> ast.Module | None:
    """The syntax tree of a Python file, parsed once per version (None: unreadable)."""
    try:
        return _parsed(path, path.stat().st_mtime_ns)
    except OSError:
        return None


@lru_cache(maxsize=1024)
def _parsed(path: Path, mtime_ns: int) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None


def untouched_template(err: Mapping[str, object], root: Path,
                       templates: Mapping[str, frozenset[str]] | None = None) -> str | None:
    """Why the exception `err` (the child's description: file relative to `root`, line) is a
    starter template left as it was, or None. `templates`: qualified name -> fingerprints
    (`fingerprint`) of an edition's starter bodies."""
    if err.get("type") != "NameError" or not err.get("file") or not err.get("line"):
        return None
    path = (root / str(err["file"])).resolve()
    if not path.is_relative_to(root.resolve()):
        return None
    tree = parsed(path)
    found = _function_at(tree, _int(err["line"])) if tree is not None else None
    if found is None:
        return None
    qualname, function = found
    if templates and fingerprint(function) in templates.get(qualname, frozenset()):
        return f"{qualname} is the starter's template, untouched: not implemented yet"
    returned = _unbound_return(function, _int(err["line"]))
    if returned is None:
        return None
    return (f"{qualname} returns `{returned}`, which it never computes: the starter's "
            "template is still to be filled in (not implemented)")


def _int(value: object) -> int:
    """``int(value)``, and the TypeError ``int`` raises for what it cannot read."""
    if isinstance(value, str | bytes | bytearray | SupportsInt | SupportsIndex):
        return int(value)
    raise TypeError(f"int() argument must be a string, a bytes-like object or a real number, "
                    f"not {type(value).__name__!r}")


def fingerprint(node: ast.AST) -> str:
    """Code (a module, a class, a function) without its docstrings, comments and layout, as a
    short hash: equal for two copies that differ only in those."""
    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if (isinstance(inner, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            inner.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(node, annotate_fields=False).encode()).hexdigest()[:16]


def _function_at(tree: ast.Module, line: int
                 ) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The innermost function holding `line`, with its qualified name ('Conv2D.forward')."""
    best: tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None

    def visit(node: ast.AST, prefix: str) -> None:
        nonlocal best
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if child.lineno <= line <= (child.end_lineno or child.lineno):
                    best = (f"{prefix}{child.name}", child)
                    visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return best


def _unbound_return(function: ast.FunctionDef | ast.AsyncFunctionDef, line: int
                    ) -> str | None:
    """The name the `return` at `line` gives back when the function binds it nowhere (not
    as an argument, an assignment target, a loop or `with` variable, an import)."""
    returned = next((n.value.id for n in ast.walk(function)
                     if isinstance(n, ast.Return) and n.lineno == line
                     and isinstance(n.value, ast.Name)), None)
    if returned is None:
        return None
    args = function.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    bound = {n.id for n in ast.walk(function)
             if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)}
    bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(function)
              if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    bound |= {n.name for n in ast.walk(function) if isinstance(n, ast.ExceptHandler) and n.name}
    return None if returned in params | bound else returned
