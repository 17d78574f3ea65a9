"""Find and import a package tree whose classes live wherever the student's layout puts them
(CMU 11-785's ``mytorch``: ``mytorch/nn/linear.py`` one year, ``mytorch/nn/modules/linear.py``
or ``mytorch/linear.py`` another, Conv1d and Conv2d in one ``conv.py`` in a third).

The adapter names each contract module and the classes it holds (``"nn.linear":
("Linear",)``) and the folders other years keep modules in (``homes``: ``nn/modules``, the
package itself). A module is the file at its own path, else the file of its name in one of
the homes, else the file of the package that defines one of its classes (the shallowest;
statically, from the source). A home may be beside the package (``../CTC``: HW3P1's
``CTC/CTC.py`` from Fall 2024 on): its file is imported as a top-level module of its folder
(``CTC.CTC``), the folder on ``sys.path``. Every module is the implementation's own (no
starter), but for the modules substituted to charge a root cause once
(harness/check/substitute.py): those are the bundled correct ones, under every name the
implementation's code imports them by; a class another op's class uses from the same file
(CTCLoss runs CTC) is replaced in that file's module once it is imported.

The package and each of its folders are packages whose ``__init__.py`` runs as far as it
goes: what it raises is kept (the child reports it), not charged to the ops, so a later
homework's ``__init__.py`` (an attention layer that imports torch, a class an older file no
longer has) does not sink a graded file, whose own imports still decide. Its folders are
also put at the end of ``sys.path``, as the
course's runner does, so a sibling import such as ``from resampling import *`` works. A
contract module no file provides is an empty module: its classes are absent (an op of another
homework part, left out).
"""

from __future__ import annotations

import importlib.util
import os
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
    Replacement,
    Source,
)
from harness.sandbox.imports import import_once, new_package, run_init
from harness.sandbox.library import Library, staged_copy

SKIP = {"__pycache__", ".git", ".ipynb_checkpoints", "venv", ".venv", "site-packages"}


@dataclass(frozen=True)
class TreeLoader:
    """The loader of an API whose implementation is a package tree (a `Loader`)."""

    package: str                              # the package's folder name, imported as such
    layout: Mapping[str, tuple[str, ...]]     # contract module -> the classes it holds
    api: str                                  # the API whose loader this is (the child's)
    homes: tuple[str, ...] = ()               # other folders a module's file may be in
    bundled: Path | None = None               # the bundled correct implementation's package
    handouts: Path | None = None              # stand-ins for the course's handout files

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
        """The package folder: PATH/<package> when it holds Python files, PATH itself (named
        as the package, or holding a contract module at its own path: nn/linear.py), else
        the shallowest <package> folder below PATH that holds Python files."""
        p = Path(path).expanduser().resolve()
        if not p.exists():
            raise LoadError(f"--impl {path}: no such file or directory")
        if p.is_file():
            p = p.parent
        inside = p / self.package   # (a checkout's models/rnn_classifier.py or CTC/ beside it)
        if p.name != self.package and inside.is_dir() and any(inside.rglob("*.py")):
            return inside
        if p.name == self.package or any(
                p.joinpath(*module.split(".")).with_suffix(".py").is_file()
                for module in self.layout):   # the package, whatever its folder is called
            return p
        found = sorted((d for d in p.glob(f"**/{self.package}") if d.is_dir()
                        and not SKIP & set(d.relative_to(p).parts) and any(d.rglob("*.py"))),
                       key=lambda d: (len(d.parts), str(d)))
        if found:
            return found[0]
        raise LoadError(f"--impl {path}: no {self.package}/ folder with Python files; point "
                        f"--impl at the folder holding {self.package}/")

    def provider(self, package_dir: Path, module: str) -> Path | None:
        """The file that provides contract `module` (None: no file does)."""
        return _provider(package_dir, module, self.layout.get(module, ()), self.homes)

    def files(self, package_dir: Path) -> dict[str, Path | None]:
        """Contract module -> the file that provides it (None: no file does)."""
        return {module: self.provider(package_dir, module) for module in self.layout}

    def module_files(self, package_dir: Path) -> dict[str, Path]:
        return {module: file for module, file in self.files(package_dir).items() if file}

    def plan(self, package_dir: Path, graded: tuple[str, ...] | None = None,
             starter: Path | None = None, missing_graded: Origin = BUNDLED,
             substitute: tuple[str, ...] = ()) -> Plan:
        sources, files = {}, self.files(package_dir)
        for module, file in files.items():
            where = _relative(file, package_dir) if file else None
            own = where == module.replace(".", "/") + ".py"
            sources[module] = Source(module, SUBMISSION, f"graded: {where}" if where else
                                     "graded: no file defines its classes (left out)",
                                     None if own else where)
        return Plan(sources, frozenset(m for m, f in files.items() if f))

    def staged(self, package_dir: Path, graded: tuple[str, ...] | None,
               starter: Path | None, substitute: tuple[str, ...]) -> dict[str, Path]:
        """The files of the substitutions (a child without the solution is given copies of
        these alone), by the name the child finds each copy under."""
        stand_ins = map(self._stand_in, substitute)
        return {name: file for _, name, file in stand_ins if file is not None}

    def substitutable(self, package_dir: Path, module: str,
                      graded: tuple[str, ...] | None) -> bool:
        """Whether substitution `module` (a contract module, or "module=stand-in") can stand
        in for the implementation's: its file exists, and the implementation's file holds no
        other contract module (Fall 2022's conv.py holds every convolution: replacing it
        would replace the class being checked)."""
        if Replacement.parse(module) is not None:   # classes replaced inside a file
            return self._stand_in(module)[2] is not None
        module, _, file = self._stand_in(module)
        files = self.files(package_dir)
        own = files.get(module)
        shared = own is not None and any(f == own for m, f in files.items() if m != module)
        return file is not None and not shared

    def _stand_in(self, entry: str) -> tuple[str, str, Path | None]:
        """(contract module, the name its copy is staged under, its file) of a substitution:
        "nn.activation" is the bundled implementation's file, "nn.activation=activation_2024"
        the handout stand-in `activation_2024.py` (`handouts`); of a `Replacement` ("CTC:CTC",
        "nn.ConvTranspose:Conv2d_stride1@nn.Conv2d"), the bundled file of its source, whose
        classes replace those in the implementation's own module."""
        found = Replacement.parse(entry)
        module, _, stand_in = (found.source if found else entry).partition("=")
        if stand_in:
            folder, name = self.handouts, stand_in
        else:
            folder, name = self.bundled, module
        if folder is None:
            return module, name, None
        file = folder.joinpath(*name.split(".")).with_suffix(".py")
        return module, name, file if file.is_file() else None

    def starter_package(self, starter: Path | None) -> Path | None:
        return starter

    def child_args(self) -> list[str]:
        return ["--api", self.api]

    def load(self, path: str | Path, request: LoadRequest) -> Tree:
        tree = Tree(self.locate(path), self.package, loader=self)
        folders = sorted({f.parent for f in _python_files(tree.package_dir)}
                         | {tree.package_dir})
        beside = {f.parent for f in self.module_files(tree.package_dir).values()
                  if not f.is_relative_to(tree.package_dir)}
        for folder in (*folders, *sorted(beside)):
            if str(folder) not in sys.path:
                sys.path.append(str(folder))
        sys.path.append(str(tree.package_dir.parent))
        packages = [(folder, new_package(".".join((self.package,
                                                   *folder.relative_to(tree.package_dir).parts)),
                                         folder)) for folder in folders]   # parents first
        packages += [(folder, new_package(".".join(folder.relative_to(
            tree.package_dir.parent).parts), folder)) for folder in sorted(beside)
            if folder != tree.package_dir.parent]   # (its files are top-level modules)
        tree.replace_from(request.substitute, lambda module: self._stand_in(module)[2],
                          request.staged)   # classes inside a module's own file ("CTC:CTC")
        for entry in request.substitute:
            if Replacement.parse(entry) is None:
                self._substitute(tree, entry, request.staged)
        for folder, package in packages:
            error = run_init(package, folder / "__init__.py")
            tree.package_error = tree.package_error or error
        return tree

    def _substitute(self, tree: Tree, entry: str, staged: Path | None) -> None:
        """Import substitution `entry`'s file (from `staged` copies, when given) under every
        name the implementation's code may import its module by: its own file's dotted path
        and each tail of it (``from nn.activation import *``, ``from resampling import *``)
        and the contract's path."""
        module, name, file = self._stand_in(entry)
        file = staged_copy(staged, name, file)
        if file is None or not file.is_file():
            return
        # named by the contract's path, so that its relative imports (``from .resampling
        # import Downsample1d``) reach its siblings in the implementation's package
        canonical = f"{self.package}.{module}"
        own = self.provider(tree.package_dir, module)
        parent = canonical.rpartition(".")[0]
        if parent not in sys.modules:   # a flat checkout has no mytorch/nn/: its siblings'
            new_package(parent, own.parent if own else tree.package_dir)   # folder is it
        spec = importlib.util.spec_from_file_location(canonical, file)
        assert spec is not None and spec.loader is not None
        bundled = importlib.util.module_from_spec(spec)
        sys.modules[canonical] = bundled
        spec.loader.exec_module(bundled)
        paths = [canonical.split(".")]
        if own is not None and own.is_relative_to(tree.package_dir):
            paths.append([self.package, *own.relative_to(tree.package_dir).with_suffix("").parts])
        names = {".".join(parts[i:]) for parts in paths for i in range(len(parts))}
        for name in names:
            sys.modules[name] = bundled
            parent, _, leaf = name.rpartition(".")
            if parent in sys.modules:
                setattr(sys.modules[parent], leaf, bundled)


@dataclass
class Tree(Library):
    """An imported package tree: a `Library` whose contract modules are the files that
    provide them, wherever they are."""

    loader: TreeLoader = field(kw_only=True)

    def _import(self, module: str) -> types.ModuleType:
        """The file that provides contract module `module`, imported; an empty module when
        none does (its classes are absent)."""
        file = self.loader.provider(self.package_dir, module)
        if file is None:
            return types.ModuleType(f"{self.package}.{module}")
        if not file.is_relative_to(self.package_dir):   # beside the package: CTC/CTC.py
            *folders, name = file.relative_to(self.package_dir.parent).with_suffix("").parts
            return import_once(self._modules, ".".join(folders), name)
        return super()._import(".".join(file.relative_to(self.package_dir).with_suffix("").parts))


def _python_files(package_dir: Path) -> list[Path]:
    """The package's importable Python files, the shallowest first."""
    def importable(f: Path) -> bool:
        parts = f.relative_to(package_dir).with_suffix("").parts
        return not SKIP & set(parts) and all(part.isidentifier() for part in parts)

    return sorted((f for f in package_dir.rglob("*.py") if importable(f)),
                  key=lambda f: (len(f.parts), str(f)))


def _relative(file: Path, package_dir: Path) -> str:
    """`file`'s path from the package folder ("nn/linear.py", "../CTC/CTC.py")."""
    return Path(os.path.relpath(file, package_dir)).as_posix()


@cache
def _provider(package_dir: Path, module: str, classes: tuple[str, ...],
              homes: tuple[str, ...] = ()) -> Path | None:
    """The file at `module`'s own path, else the file of its name in one of `homes`, else
    the shallowest file defining one of `classes`."""
    name = module.rpartition(".")[2]
    places = [Path(*module.split(".")), *(Path(home) / name for home in homes)]
    for place in places:
        file = Path(os.path.normpath(package_dir / place)).with_suffix(".py")
        if file.is_file():
            return file
    pattern = re.compile(rf"^class\s+({'|'.join(map(re.escape, classes))})\b", re.MULTILINE)
    for file in _python_files(package_dir):
        try:
            if classes and pattern.search(file.read_text(errors="replace")):
                return file
        except OSError:
            continue
    return None
