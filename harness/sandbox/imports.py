"""The import machinery the loaders share (runs inside the sandboxed child): a package object
over a folder, its ``__init__.py`` run as far as it goes, and modules imported once, their
import errors kept."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import types
from pathlib import Path


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


def import_once(imported: dict[str, types.ModuleType | BaseException], package: str,
                module: str) -> types.ModuleType:
    """`package.module` (a top-level `module` when `package` is ""), imported on first use
    and remembered in `imported`; an import that failed is remembered too and raised again
    each time (it is not retried half-done)."""
    name = f"{package}.{module}" if package else module
    if module not in imported:
        try:
            imported[module] = importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            imported[module] = exc
            with contextlib.suppress(KeyError):
                del sys.modules[name]
    found = imported[module]
    if isinstance(found, BaseException):
        raise found
    return found


def run_init(package: types.ModuleType, init: Path) -> BaseException | None:
    """Run a folder's ``__init__.py`` (if any) in its package as far as it goes: what it
    raises is returned, not raised; the package keeps the names it bound and its modules stay
    importable."""
    if not init.is_file():
        return None
    try:
        exec(compile(init.read_bytes(), str(init), "exec"), package.__dict__)  # noqa: S102
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        return exc
    return None
