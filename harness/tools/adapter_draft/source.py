"""A library's source, read as text: its Python files parsed (`ast`), never imported or run.

`read_library(path)` finds the files under --impl (skipping tests, autograders, virtual
environments and hidden folders), parses each, and says which folder is the package the
adapter imports (`Library.package`): the one holding the most classes with a forward
method. Functions are indexed by name so a class's helper in another module of the package
(the book's ``cross_entropy_error`` in common/functions.py) can be read too.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SKIPPED_DIRS = frozenset({"test", "tests", "autograder", "venv", ".venv", "env", "build",
                          "dist", "site-packages", "node_modules", "docs", "notebooks",
                          "__pycache__"})
MAX_FILES = 2000   # a library is not a whole disk


@dataclass(frozen=True)
class Module:
    """One parsed file: its dotted name below the package folder ("nn.linear")."""

    name: str
    path: Path
    tree: ast.Module

    def classes(self) -> Iterator[ast.ClassDef]:
        return (n for n in self.tree.body if isinstance(n, ast.ClassDef))

    def functions(self) -> Iterator[ast.FunctionDef]:
        return (n for n in self.tree.body if isinstance(n, ast.FunctionDef))


@dataclass(frozen=True)
class Library:
    """The package an adapter imports: its folder, its modules, and what lies beside it."""

    root: Path                  # --impl
    folder: Path                # the package's folder
    package: str                # the name it is imported as
    modules: tuple[Module, ...]
    unreadable: tuple[str, ...] = ()        # files that do not parse, with the reason
    elsewhere: tuple[str, ...] = ()         # layer classes outside the package (module.Class)
    only: str | None = None                 # --impl named one file: its module only
    functions: dict[str, list[tuple[Module, ast.FunctionDef]]] = field(default_factory=dict)

    def module(self, name: str) -> Module | None:
        return next((m for m in self.modules if m.name == name), None)

    def relative(self, module: Module, line: int) -> str:
        """Where a line is, for comments: "common/layers.py:12"."""
        return f"{module.path.relative_to(self.folder.parent).as_posix()}:{line}"


def _skipped(folder: str) -> bool:
    return folder.startswith((".", "_")) or folder.lower() in SKIPPED_DIRS


def python_files(folder: Path) -> list[Path]:
    """The library's .py files under `folder`, without tests, autograders and the like."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).parts
        if any(_skipped(p) for p in parts[:-1]) or parts[-1].startswith("test_") \
                or parts[-1].endswith("_test.py") or parts[-1] == "setup.py":
            continue
        found.append(path)
        if len(found) >= MAX_FILES:
            break
    return found


def _parse(path: Path) -> ast.Module | str:
    try:
        return ast.parse(path.read_text(encoding="utf-8", errors="replace"), str(path))
    except (SyntaxError, ValueError) as exc:   # ValueError: a NUL byte
        return f"{path.name}: does not parse ({type(exc).__name__}: {exc})"


def _is_layer(node: ast.ClassDef) -> bool:
    return any(isinstance(f, ast.FunctionDef) and f.name in ("forward", "backward")
               for f in node.body)


def _module_name(path: Path, folder: Path) -> str:
    return ".".join(path.relative_to(folder).with_suffix("").parts)


def _package_of(root: Path, trees: dict[Path, ast.Module]) -> Path:
    """`root` when it is a package (it has an __init__.py), else the folder with the most
    layer classes: a folder of `root` (its first part), or `root` itself when the classes
    sit directly in it."""
    if (root / "__init__.py").is_file():
        return root
    votes: Counter[Path] = Counter()
    for path, tree in trees.items():
        parts = path.relative_to(root).parts
        folder = root / parts[0] if len(parts) > 1 else root
        votes[folder] += sum(_is_layer(n) for n in tree.body if isinstance(n, ast.ClassDef))
    if not votes or max(votes.values()) == 0:
        return root
    return max(votes, key=lambda f: (votes[f], f == root))


def identifier(text: str, fallback: str = "library") -> str:
    """`text` made a Python identifier ("puru-samal__myTorch" -> "puru_samal__mytorch")."""
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text.lower()).strip("_")
    if not out:
        return fallback
    return out if not out[0].isdigit() else f"{fallback}_{out}"


def read_library(path: Path) -> Library:
    """The library at --impl `path` (a folder, or one .py file), parsed."""
    root = path.expanduser().resolve()
    only = root.stem if root.is_file() else None
    base = root.parent if root.is_file() else root
    files = [root] if root.is_file() else python_files(root)
    trees: dict[Path, ast.Module] = {}
    unreadable = []
    for file in files:
        parsed = _parse(file)
        if isinstance(parsed, str):
            unreadable.append(parsed)
        else:
            trees[file] = parsed
    folder = base if root.is_file() else _package_of(root, trees)
    if root.is_file():   # the helpers beside it are the package's too
        for file in python_files(base):
            if file not in trees and not isinstance(parsed := _parse(file), str):
                trees[file] = parsed
    inside = {p: t for p, t in trees.items() if p.is_relative_to(folder)}
    modules = tuple(Module(_module_name(p, folder), p, t) for p, t in sorted(inside.items()))
    elsewhere = tuple(f"{_module_name(p, base)}.{n.name}" for p, t in sorted(trees.items())
                      if p not in inside for n in t.body
                      if isinstance(n, ast.ClassDef) and _is_layer(n))
    functions: dict[str, list[tuple[Module, ast.FunctionDef]]] = {}
    for module in modules:
        for function in module.functions():
            functions.setdefault(function.name, []).append((module, function))
    return Library(root, folder, identifier(folder.name, "package"), modules,
                   tuple(unreadable), elsewhere, only, functions)


def sys_path_entries(library: Library) -> tuple[str, ...]:
    """Folders of the package (relative to it) that its modules import from as top-level
    names (`from resampling import *` in nn/Conv1d.py needs nn/ on sys.path)."""
    entries: set[str] = set()
    for module in library.modules:
        for node in ast.walk(module.tree):
            for name in _absolute_imports(node):
                folder = _holder(library.folder, module.path.parent, name)
                if folder is not None:
                    entries.add(folder)
    return tuple(sorted(entries))


def _absolute_imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module.split(".")[0]]
    return []


def _holder(package: Path, here: Path, name: str) -> str | None:
    """The folder (relative to `package`) from which `name` imports, when that is inside the
    package: the importing file's own folder first, then the package folder."""
    if name == package.name:
        return None   # the package itself, imported by its name: no entry needed
    for folder in (here, package):
        if (folder / f"{name}.py").is_file() or (
                (folder / name).is_dir() and any((folder / name).glob("*.py"))):
            return (folder.relative_to(package).as_posix() or ".") if folder.is_relative_to(
                package) else None
    return None
