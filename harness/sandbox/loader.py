"""Find and import a package implementation, each module from where its plan says (the
parent plans; the sandboxed child imports).

``--impl PATH`` may name a directory holding the package under one of its folder names
(HW6: ``neural_networks/`` or ``student_nn/``), or the package directory itself. The package
is imported under the API's package name (and under its directory's own name) the way it
imports in the student's checkout: its own modules and subpackages, with or without
``__init__.py``, are found by Python's ordinary machinery. Where a module comes from instead
(the course's starter code, the bundled implementation) is decided by
`harness.sandbox.sources.plan_sources`; this module carries it out:

- a module planned from the bundled implementation is imported under a private alias and
  installed as ``<package>.<module>`` before anything else is imported;
- a module planned from the starter is found in the starter's directory, as if its file were
  in the student's package (its relative imports reach the student's modules);
- nothing is imported eagerly: a module is imported when an op needs it, so a module that
  imports pandas sinks only the ops that import it.

An adapter declares its package's names (`PackageLoader`); HW6's is in
harness/apis/hw6/package.py.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.loading import (
    BUNDLED,
    STARTER,
    LoadError,
    LoadRequest,
    Origin,
    Plan,
    folder_files,
)
from harness.sandbox.imports import import_once, new_package, run_init
from harness.sandbox.sources import (
    PackageLayout,
    own_graded,
    plan_sources,
    staged_modules,
    starter_package,
    substitutable,
)

__all__ = ["BUNDLED_ALIAS", "Implementation", "LoadError", "PackageLoader"]

BUNDLED_ALIAS = "_nnparity_bundled"   # the bundled modules a package borrows, imported as


@dataclass(frozen=True)
class PackageLoader(PackageLayout):
    """The loader of an API whose implementations are packages of modules, each from the
    submission, the course's starter code or the bundled implementation (a `Loader`)."""

    api: str = ""   # the API whose loader this is: the child finds it by that name

    @property
    def borrows(self) -> bool:
        return True

    def locate(self, path: str | Path) -> Path:
        """The package directory that `path` names, or LoadError saying what is wrong."""
        p = Path(path).expanduser().resolve()
        if not p.exists():
            raise LoadError(f"--impl {path}: no such file or directory")
        if not p.is_dir():
            raise LoadError(f"--impl {path}: is a file; give the directory holding the package")
        for name in self.dirs:
            if (p / name).is_dir() and p.name not in self.dirs:
                return p / name
        if any((p / f"{m}.py").exists() for m in self.modules):
            return p
        if p.name in self.dirs and (p / "__init__.py").exists():
            return p  # a package whose modules all come from the bundled one (or fail to)
        for name in self.dirs:
            if (p / name).is_dir():
                return p / name
        first = self.modules[0]
        found = sorted(x.parent.relative_to(p) for x in p.glob(f"**/{first}.py"))
        hint = f" (found {first}.py under {', '.join(map(str, found[:3]))})" if found else ""
        folders = " or ".join(f"{name}/" for name in self.dirs)
        raise LoadError(
            f"--impl {path}: no {folders} package and no contract modules "
            f"({', '.join(self.modules[:3])}, ...){hint}; point --impl at the package "
            "directory")

    def module_files(self, package_dir: Path) -> dict[str, Path]:
        return folder_files(package_dir)

    def plan(self, package_dir: Path, graded: tuple[str, ...] | None = None,
             starter: Path | None = None, missing_graded: Origin = BUNDLED,
             substitute: tuple[str, ...] = ()) -> Plan:
        return plan_sources(self, package_dir, graded, starter, missing_graded, substitute)

    def staged(self, package_dir: Path, graded: tuple[str, ...] | None,
               starter: Path | None, substitute: tuple[str, ...]) -> dict[str, Path]:
        if self.is_bundled(package_dir):
            return {}
        plan = self.plan(package_dir, graded, starter, substitute=substitute)
        return {m: self.bundled / f"{m}.py" for m in staged_modules(self, plan, graded)}

    def substitutable(self, package_dir: Path, module: str,
                      graded: tuple[str, ...] | None) -> bool:
        return substitutable(self, package_dir, module, graded)

    def starter_package(self, starter: Path | None) -> Path | None:
        return starter_package(self, starter)

    def child_args(self) -> list[str]:
        return ["--api", self.api]

    def load(self, path: str | Path, request: LoadRequest) -> Implementation:
        impl = Implementation(self, self.locate(path), request)
        impl.install()
        return impl


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
    """Serves ``<package>.<m>`` from the starter where the plan says so, the package's other
    name (its directory's) as an alias of ``<package>``, and, to the bundled package's borrowed
    code, the implementation's own graded modules (`own`) in place of the bundled ones."""

    def __init__(self, package: str, alias: str | None, starter: Path | None,
                 from_starter: set[str], own: frozenset[str] = frozenset(),
                 borrowed: frozenset[str] = frozenset()) -> None:
        self.package, self.alias = package, alias
        self.starter, self.from_starter = starter, from_starter
        self.own, self.borrowed = own, borrowed

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        head, _, rest = fullname.partition(".")
        if (self.alias and head == self.alias and rest) or (head == BUNDLED_ALIAS
                                                            and rest in self.own):
            module = importlib.import_module(f"{self.package}.{rest}")
            return importlib.util.spec_from_loader(fullname, _Existing(module))
        if head == self.package and rest in self.borrowed:   # whoever asks first, in any order
            module = importlib.import_module(f"{BUNDLED_ALIAS}.{rest}")
            return importlib.util.spec_from_loader(fullname, _Existing(module))
        if head == self.package and rest in self.from_starter and self.starter is not None:
            return importlib.machinery.PathFinder.find_spec(fullname, [str(self.starter)])
        return None


@dataclass
class Implementation:
    """An imported package implementation: modules on demand, import errors kept per module."""

    loader: PackageLoader
    package_dir: Path
    request: LoadRequest = field(default_factory=LoadRequest)
    package_error: BaseException | None = None
    plan: Plan = field(default_factory=Plan)
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @property
    def bundled(self) -> bool:
        return self.loader.is_bundled(self.package_dir)

    @property
    def name(self) -> str:
        return self.loader.bundled.name if self.bundled else self.package_dir.name

    def install(self) -> None:
        """Put the package and its planned modules where Python's imports find them."""
        if self.bundled:
            sys.path.insert(0, str(self.package_dir.parent))
            return
        loader, request = self.loader, self.request
        staged = request.staged or loader.bundled
        starter = request.starter.resolve() if request.starter else None
        self.plan = plan_sources(loader, self.package_dir, request.graded, starter,
                                 request.missing_graded, request.substitute, staged)
        pkg = new_package(loader.package, self.package_dir)
        name = self.package_dir.name
        alias = name if name.isidentifier() and name != loader.package else None
        if alias:
            sys.modules[alias] = pkg
        # A child given copies (it may not see the solution) has no bundled version of what
        # it grades: borrowed code imports the implementation's own there. With the bundled
        # package in sight (`check`), borrowed code keeps its own siblings.
        own = own_graded(self.plan, request.graded) if staged != loader.bundled \
            else frozenset()
        sys.meta_path.insert(0, _PlanFinder(loader.package, alias,
                                            starter_package(loader, starter),
                                            set(self.plan.borrowed(STARTER)), own,
                                            frozenset(self.plan.borrowed(BUNDLED))))
        if self.plan.borrowed(BUNDLED):   # imported on first use, through the finder
            new_package(BUNDLED_ALIAS, staged)
        self.package_error = run_init(pkg, self.package_dir / "__init__.py")

    def module(self, module: str) -> types.ModuleType:
        """Import a contract module of the implementation; re-raises its import error."""
        package = self.loader.bundled.name if self.bundled else self.loader.package
        return import_once(self._modules, package, module)
