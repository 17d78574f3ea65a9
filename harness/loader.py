"""Find and import an implementation of the contract (runs inside the sandboxed child).

``--impl PATH`` may name a directory holding a ``neural_networks/`` or ``student_nn/``
package, or the package directory itself. Contract modules the implementation lacks (and,
when grading, the modules the rubric does not grade) are taken from the bundled student_nn,
so a submission without ``weights.py`` or with a broken copy of starter code still runs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

CONTRACT_MODULES = ("activations", "weights", "layers", "losses", "optimizers", "models", "utils")
PACKAGE_NAMES = ("neural_networks", "student_nn")
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "student_nn"
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


def _new_package(name: str, directory: Path) -> types.ModuleType:
    pkg = types.ModuleType(name)
    pkg.__path__ = [str(directory)]
    pkg.__file__ = str(directory / "__init__.py")
    pkg.__package__ = name
    pkg.__spec__ = importlib.util.spec_from_file_location(
        name, directory / "__init__.py", submodule_search_locations=[str(directory)])
    sys.modules[name] = pkg
    return pkg


@dataclass
class Implementation:
    """An imported implementation: contract modules on demand, import errors kept per module."""

    package_dir: Path
    graded: tuple[str, ...] | None = None   # None: every module the package has
    package_error: BaseException | None = None
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, graded: tuple[str, ...] | None = None) -> Implementation:
        impl = cls(locate(path), graded)
        impl._install()
        return impl

    @property
    def name(self) -> str:
        return "student_nn" if is_bundled(self.package_dir) else self.package_dir.name

    def own(self, module: str) -> bool:
        """True when `module` comes from the implementation itself, not the bundled one."""
        if is_bundled(self.package_dir):
            return True
        present = (self.package_dir / f"{module}.py").exists()
        return present and (self.graded is None or module in self.graded)

    def _install(self) -> None:
        if is_bundled(self.package_dir):
            sys.path.insert(0, str(self.package_dir.parent))
            return
        bundled = _new_package(BUNDLED_ALIAS, BUNDLED_DIR)
        names = {self.package_dir.name, "neural_networks"}
        packages = [_new_package(n, self.package_dir) for n in names if n.isidentifier()]
        for module in CONTRACT_MODULES:
            if self.own(module) or not (BUNDLED_DIR / f"{module}.py").exists():
                continue
            borrowed = importlib.import_module(f"{BUNDLED_ALIAS}.{module}")
            setattr(bundled, module, borrowed)
            for pkg in packages:
                sys.modules[f"{pkg.__name__}.{module}"] = borrowed
                setattr(pkg, module, borrowed)
        init = self.package_dir / "__init__.py"
        if init.exists():
            try:
                code = compile(init.read_bytes(), str(init), "exec")
                exec(code, packages[0].__dict__)  # noqa: S102 - the implementation's own init
            except BaseException as exc:  # noqa: BLE001
                self.package_error = exc

    def module(self, module: str) -> types.ModuleType:
        """Import a contract module of the implementation; re-raises its import error."""
        if module not in self._modules:
            pkg = "student_nn" if is_bundled(self.package_dir) else self.package_dir.name
            if not pkg.isidentifier():
                pkg = "neural_networks"
            try:
                self._modules[module] = importlib.import_module(f"{pkg}.{module}")
            except BaseException as exc:  # noqa: BLE001
                self._modules[module] = exc
        found = self._modules[module]
        if isinstance(found, BaseException):
            raise found
        return found
