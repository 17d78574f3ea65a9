"""Find and import an implementation of the contract (runs inside the sandboxed child).

``--impl PATH`` may name a directory holding a ``neural_networks/`` or ``student_nn/``
package, or the package directory itself. The package is imported as ``neural_networks``
(and under its directory's own name) the way it imports in the student's checkout: its own
modules and subpackages, with or without ``__init__.py``, are found by Python's ordinary
machinery. Where a module comes from instead (the course's starter code, the bundled
student_nn) is decided by `harness.sandbox.sources.plan_sources`; this module only carries it out:

- a module planned from student_nn is the bundled one, imported under a private alias and
  installed as ``neural_networks.<module>`` before anything else is imported;
- a module planned from the starter is found in the starter's directory, as if its file were
  in the student's package (its relative imports reach the student's modules);
- nothing is imported eagerly: a module is imported when an op needs it, so a module that
  imports pandas sinks only the ops that import it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.sandbox.sources import (
    BUNDLED,
    BUNDLED_DIR,
    CANONICAL,
    CONTRACT_MODULES,
    PACKAGE_NAMES,
    STARTER,
    Plan,
    own_graded,
    plan_sources,
    starter_package,
)

__all__ = ["BUNDLED_ALIAS", "BUNDLED_DIR", "CONTRACT_MODULES", "Implementation", "LoadError",
           "is_bundled", "locate"]

BUNDLED_ALIAS = "_nnparity_bundled"


class LoadError(Exception):
    """The path does not hold an implementation; the message says what to fix."""


def locate(path: str | Path) -> Path:
    """The package directory that `path` names, or LoadError saying what is wrong."""
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise LoadError(f"--impl {path}: no such file or directory")
    if not p.is_dir():
        raise LoadError(f"--impl {path}: is a file; give the directory holding the package")
    for name in PACKAGE_NAMES:
        if (p / name).is_dir() and p.name not in PACKAGE_NAMES:
            return p / name
    if any((p / f"{m}.py").exists() for m in CONTRACT_MODULES):
        return p
    if p.name in PACKAGE_NAMES and (p / "__init__.py").exists():
        return p  # a package whose modules all come from student_nn (or fail to)
    for name in PACKAGE_NAMES:
        if (p / name).is_dir():
            return p / name
    found = sorted(x.parent.relative_to(p) for x in p.glob("**/activations.py"))
    hint = f" (found activations.py under {', '.join(map(str, found[:3]))})" if found else ""
    raise LoadError(
        f"--impl {path}: no neural_networks/ or student_nn/ package and no contract modules "
        f"({', '.join(CONTRACT_MODULES[:3])}, ...){hint}; point --impl at the package directory")


def is_bundled(package_dir: Path) -> bool:
    return package_dir.resolve() == BUNDLED_DIR


def new_package(name: str, directory: Path) -> types.ModuleType:
    """A package object over `directory`, whether or not it has an ``__init__.py``."""
    pkg = types.ModuleType(name)
    pkg.__path__ = [str(directory)]
    pkg.__file__ = str(directory / "__init__.py")
    pkg.__package__ = name
    pkg.__spec__ = importlib.util.spec_from_file_location(
        name, directory / "__init__.py", submodule_search_locations=[str(directory)])
    sys.modules[name] = pkg
    return pkg


class _Existing(importlib.abc.Loader):
    """Loads a module that is already imported under another name (an alias)."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec   # the import system set it to the alias's spec


class _PlanFinder(importlib.abc.MetaPathFinder):
    """Serves ``neural_networks.<m>`` from the starter where the plan says so, the package's
    other name (its directory's) as an alias of ``neural_networks``, and, to student_nn's
    borrowed code, the implementation's own graded modules (`own`) in place of student_nn's."""

    def __init__(self, alias: str | None, starter: Path | None, from_starter: set[str],
                 own: frozenset[str] = frozenset(), borrowed: frozenset[str] = frozenset()
                 ) -> None:
        self.alias, self.starter, self.from_starter = alias, starter, from_starter
        self.own, self.borrowed = own, borrowed

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        head, _, rest = fullname.partition(".")
        if (self.alias and head == self.alias and rest) or (head == BUNDLED_ALIAS
                                                            and rest in self.own):
            module = importlib.import_module(f"{CANONICAL}.{rest}")
            return importlib.util.spec_from_loader(fullname, _Existing(module))
        if head == CANONICAL and rest in self.borrowed:   # whoever asks first, in any order
            module = importlib.import_module(f"{BUNDLED_ALIAS}.{rest}")
            return importlib.util.spec_from_loader(fullname, _Existing(module))
        if head == CANONICAL and rest in self.from_starter and self.starter is not None:
            return importlib.machinery.PathFinder.find_spec(fullname, [str(self.starter)])
        return None


def import_once(imported: dict[str, types.ModuleType | BaseException], package: str,
                module: str) -> types.ModuleType:
    """`package.module`, imported on first use and remembered in `imported`; an import that
    failed is remembered too and raised again each time (it is not retried half-done)."""
    if module not in imported:
        try:
            imported[module] = importlib.import_module(f"{package}.{module}")
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            imported[module] = exc
            with contextlib.suppress(KeyError):
                del sys.modules[f"{package}.{module}"]
    found = imported[module]
    if isinstance(found, BaseException):
        raise found
    return found


@dataclass
class Implementation:
    """An imported implementation: contract modules on demand, import errors kept per module."""

    package_dir: Path
    graded: tuple[str, ...] | None = None   # None: every module the package has
    starter: Path | None = None
    missing_graded: str = BUNDLED
    substitute: tuple[str, ...] = ()        # modules taken from student_nn (plan_sources)
    bundled_dir: Path = BUNDLED_DIR         # student_nn's modules (a sandbox: its copies)
    package_error: BaseException | None = None
    plan: Plan = field(default_factory=Plan)
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, graded: tuple[str, ...] | None = None,
             starter: str | Path | None = None, missing_graded: str = BUNDLED,
             substitute: tuple[str, ...] = (), bundled_dir: Path = BUNDLED_DIR
             ) -> Implementation:
        impl = cls(locate(path), graded, Path(starter).resolve() if starter else None,
                   missing_graded, substitute, bundled_dir)
        impl._install()
        return impl

    @property
    def name(self) -> str:
        return "student_nn" if is_bundled(self.package_dir) else self.package_dir.name

    def _install(self) -> None:
        if is_bundled(self.package_dir):
            sys.path.insert(0, str(self.package_dir.parent))
            return
        self.plan = plan_sources(self.package_dir, self.graded, self.starter,
                                 self.missing_graded, self.substitute, self.bundled_dir)
        pkg = new_package(CANONICAL, self.package_dir)
        name = self.package_dir.name
        alias = name if name.isidentifier() and name != CANONICAL else None
        if alias:
            sys.modules[alias] = pkg
        starter_pkg = starter_package(self.starter)
        # A child given copies (it may not see the solution) has no student_nn version of what
        # it grades: borrowed code imports the implementation's own there. With student_nn in
        # sight (`check`), borrowed code keeps its own siblings.
        own = own_graded(self.plan, self.graded) if self.bundled_dir != BUNDLED_DIR \
            else frozenset()
        sys.meta_path.insert(0, _PlanFinder(alias, starter_pkg,
                                            set(self.plan.borrowed(STARTER)), own,
                                            frozenset(self.plan.borrowed(BUNDLED))))
        if self.plan.borrowed(BUNDLED):   # imported on first use, through the finder
            new_package(BUNDLED_ALIAS, self.bundled_dir)
        init = self.package_dir / "__init__.py"
        if init.exists():
            try:
                code = compile(init.read_bytes(), str(init), "exec")
                exec(code, pkg.__dict__)  # noqa: S102 - the implementation's own init
            except BaseException as exc:  # noqa: BLE001
                self.package_error = exc

    def module(self, module: str) -> types.ModuleType:
        """Import a contract module of the implementation; re-raises its import error."""
        pkg = "student_nn" if is_bundled(self.package_dir) else CANONICAL
        return import_once(self._modules, pkg, module)
