"""Find and import a package tree whose classes live wherever the student's layout puts them
(CMU 11-785's ``mytorch``: ``mytorch/nn/linear.py`` one year, ``mytorch/nn/modules/linear.py``
or ``mytorch/linear.py`` another, Conv1d and Conv2d in one ``conv.py`` in a third).

The adapter names each contract module and the classes it holds (``"nn.linear":
("Linear",)``). A module is the file at its own path when there is one, else the file of the
package that defines one of its classes (the shallowest; statically, from the source). Every
module is the implementation's own: no starter, nothing borrowed. The package is imported
under its own name, and its folders are put at the end of ``sys.path`` as the course's
runner does, so a sibling import such as ``from resampling import *`` works. A contract
module no file provides is an empty module: its classes are absent (an op of another
homework part, left out).
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from harness.core.loading import (
    BUNDLED,
    SUBMISSION,
    LoadError,
    LoadRequest,
    Origin,
    Plan,
    Source,
)
from harness.sandbox.imports import import_once, new_package

SKIP = {"__pycache__", ".git", ".ipynb_checkpoints", "venv", ".venv", "site-packages"}


@dataclass(frozen=True)
class TreeLoader:
    """The loader of an API whose implementation is a package tree (a `Loader`)."""

    package: str                              # the package's folder name, imported as such
    layout: Mapping[str, tuple[str, ...]]     # contract module -> the classes it holds
    api: str                                  # the API whose loader this is (the child's)

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(self.layout)

    @property
    def dirs(self) -> tuple[str, ...]:
        return (self.package,)

    @property
    def borrows(self) -> bool:
        return False

    def locate(self, path: str | Path) -> Path:
        """The package folder: PATH itself, PATH/<package>, else the shallowest <package>
        folder below PATH that holds Python files."""
        p = Path(path).expanduser().resolve()
        if not p.exists():
            raise LoadError(f"--impl {path}: no such file or directory")
        if p.is_file():
            p = p.parent
        if p.name == self.package:
            return p
        found = sorted((d for d in p.glob(f"**/{self.package}") if d.is_dir()
                        and not SKIP & set(d.relative_to(p).parts) and any(d.rglob("*.py"))),
                       key=lambda d: (len(d.parts), str(d)))
        if found:
            return found[0]
        raise LoadError(f"--impl {path}: no {self.package}/ folder with Python files; point "
                        f"--impl at the folder holding {self.package}/")

    def files(self, package_dir: Path) -> dict[str, Path | None]:
        """Contract module -> the file that provides it (None: no file does)."""
        return {module: _provider(package_dir, module, classes)
                for module, classes in self.layout.items()}

    def module_files(self, package_dir: Path) -> dict[str, Path]:
        return {module: file for module, file in self.files(package_dir).items() if file}

    def plan(self, package_dir: Path, graded: tuple[str, ...] | None = None,
             starter: Path | None = None, missing_graded: Origin = BUNDLED,
             substitute: tuple[str, ...] = ()) -> Plan:
        sources = {}
        for module, file in self.files(package_dir).items():
            where = file.relative_to(package_dir).as_posix() if file else None
            sources[module] = Source(module, SUBMISSION, f"graded: {where}" if where else
                                     "graded: no file defines its classes (left out)")
        return Plan(sources, frozenset(m for m, f in self.files(package_dir).items() if f))

    def staged(self, package_dir: Path, graded: tuple[str, ...] | None,
               starter: Path | None, substitute: tuple[str, ...]) -> dict[str, Path]:
        return {}

    def substitutable(self, package_dir: Path, module: str,
                      graded: tuple[str, ...] | None) -> bool:
        return False

    def starter_package(self, starter: Path | None) -> Path | None:
        return starter

    def child_args(self) -> list[str]:
        return ["--api", self.api]

    def load(self, path: str | Path, request: LoadRequest) -> Tree:
        tree = Tree(self.locate(path), self)
        new_package(self.package, tree.package_dir)   # its __init__.py, if any, is not run
        for folder in sorted({f.parent for f in _python_files(tree.package_dir)}):
            if str(folder) not in sys.path:
                sys.path.append(str(folder))
        sys.path.append(str(tree.package_dir.parent))
        return tree


@dataclass
class Tree:
    """An imported package tree: contract modules on demand, import errors kept."""

    package_dir: Path
    loader: TreeLoader
    package_error: BaseException | None = None
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.package_dir.name

    def module(self, module: str) -> types.ModuleType:
        """The file that provides contract module `module`, imported; an empty module when
        none does (its classes are absent)."""
        file = _provider(self.package_dir, module, self.loader.layout.get(module, ()))
        if file is None:
            return types.ModuleType(f"{self.loader.package}.{module}")
        dotted = ".".join(file.relative_to(self.package_dir).with_suffix("").parts)
        return import_once(self._modules, self.loader.package, dotted)


def _python_files(package_dir: Path) -> list[Path]:
    """The package's importable Python files, the shallowest first."""
    def importable(f: Path) -> bool:
        parts = f.relative_to(package_dir).with_suffix("").parts
        return not SKIP & set(parts) and all(part.isidentifier() for part in parts)

    return sorted((f for f in package_dir.rglob("*.py") if importable(f)),
                  key=lambda f: (len(f.parts), str(f)))


@cache
def _provider(package_dir: Path, module: str, classes: tuple[str, ...]) -> Path | None:
    """The file at `module`'s own path, else the shallowest file defining one of `classes`."""
    own = package_dir.joinpath(*module.split(".")).with_suffix(".py")
    if own.is_file():
        return own
    pattern = re.compile(rf"^class\s+({'|'.join(map(re.escape, classes))})\b", re.MULTILINE)
    for file in _python_files(package_dir):
        try:
            if classes and pattern.search(file.read_text(errors="replace")):
                return file
        except OSError:
            continue
    return None
