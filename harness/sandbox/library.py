"""Find and import a function API's implementation (runs inside the sandboxed child).

``--impl PATH`` names a folder holding ``cs231n/layers.py``, a folder holding ``layers.py``,
or ``layers.py`` itself. The folder holding the file is imported as the API's package
(``cs231n``), with or without ``__init__.py``, so its relative and absolute imports work as
in the student's checkout; nothing is imported until an op needs its module.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from pathlib import Path

from harness.sandbox.loader import import_once, new_package


class LibraryError(Exception):
    """The path holds no implementation of the API; the message says what to fix."""


def locate_library(path: str | Path, package: str, module: str) -> Path:
    """The folder holding `module`.py: PATH/<package>/, PATH itself, or the file's folder."""
    p = Path(path).expanduser().resolve()
    if not p.exists():
        raise LibraryError(f"--impl {path}: no such file or directory")
    if p.is_file():
        if p.name != f"{module}.py":
            raise LibraryError(f"--impl {path}: expected {module}.py or the folder holding it")
        return p.parent
    for folder in (p / package, p):
        if (folder / f"{module}.py").is_file():
            return folder
    found = sorted(x.parent.relative_to(p) for x in p.glob(f"**/{module}.py"))
    hint = f" (found {module}.py under {', '.join(map(str, found[:3]))})" if found else ""
    raise LibraryError(f"--impl {path}: no {package}/{module}.py and no {module}.py{hint}; "
                       f"point --impl at the folder holding it")


@dataclass
class Library:
    """An imported function-API implementation: modules on demand, errors kept per module."""

    package_dir: Path
    package: str
    package_error: BaseException | None = None
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path, package: str, module: str) -> Library:
        lib = cls(locate_library(path, package, module), package)
        new_package(package, lib.package_dir)   # its __init__.py, if any, is not run
        return lib

    @property
    def name(self) -> str:
        return self.package_dir.name

    def module(self, module: str) -> types.ModuleType:
        """Import one module of the implementation; re-raises its import error."""
        return import_once(self._modules, self.package, module)
