"""Find and import a library implementation: one module of functions or classes (the parent
locates it; the sandboxed child imports it).

``--impl PATH`` names a folder holding ``<package>/<module>.py`` (CS231n: ``cs231n/layers.py``),
a folder holding ``<module>.py``, or the file itself. The folder holding the file is imported
as the API's package, with or without ``__init__.py``, so its relative and absolute imports
work as in the student's checkout; nothing is imported until an op needs its module. The
module is the implementation's own: no starter code, nothing borrowed, but for a function
another op's code calls from the same file when that function fails on its own (CS231n's
lstm_forward calls lstm_step_forward): to charge the root cause once, it is replaced by the
bundled one inside the module once the module is imported (`Library.replaced`).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.loading import (
    BUNDLED,
    LoadError,
    LoadRequest,
    Origin,
    Plan,
    Replacement,
    folder_files,
    own_plan,
)
from harness.sandbox.imports import import_once, new_package, run_init


@dataclass(frozen=True)
class LibraryLoader:
    """The loader of an API whose implementation is one module (a `Loader`)."""

    package: str      # the name the folder is imported as
    module: str       # the module's name, without .py (dotted below the package: nn.linear)
    others: tuple[str, ...] = ()   # an adapter's other modules (mytorch's nn.activation)
    path: tuple[str, ...] = ()     # folders put on sys.path, relative to the package's
    bundled: str = ""              # the bundled implementation's folder (CS231n's), if any

    @property
    def modules(self) -> tuple[str, ...]:
        return (self.module, *self.others)

    @property
    def dirs(self) -> tuple[str, ...]:
        return (self.package,)

    @property
    def borrows(self) -> bool:
        return False

    def locate(self, path: str | Path) -> Path:
        """The folder holding the module: PATH/<package>/, PATH itself, or the file's folder;
        failing that, the folder holding another of its modules (CS231n's assignment 3 has
        rnn_layers.py and, from 2021 on, no layers.py)."""
        p = Path(path).expanduser().resolve()
        module = self.module.replace(".", "/")
        if not p.exists():
            raise LoadError(f"--impl {path}: no such file or directory")
        files = [m.replace(".", "/") for m in self.modules]
        if p.is_file():
            named = next((f for f in files if p.as_posix().endswith(f"/{f}.py")), None)
            if named is None:
                raise LoadError(f"--impl {path}: expected {module}.py or the folder holding it")
            return p.parents[named.count("/")]   # the file's folders below the package
        for name in files:
            for folder in (p / self.package, p):
                if (folder / f"{name}.py").is_file():
                    return folder
        found = sorted(x.parent.relative_to(p) for x in p.glob(f"**/{module}.py"))
        hint = f" (found {module}.py under {', '.join(map(str, found[:3]))})" if found else ""
        raise LoadError(f"--impl {path}: no {self.package}/{module}.py and no {module}.py"
                        f"{hint}; point --impl at the folder holding it")

    def module_files(self, package_dir: Path) -> dict[str, Path]:
        own = {m: package_dir.joinpath(*m.split(".")).with_suffix(".py") for m in self.modules}
        return {**folder_files(package_dir), **{m: f for m, f in own.items() if f.is_file()}}

    def plan(self, package_dir: Path, graded: tuple[str, ...] | None = None,
             starter: Path | None = None, missing_graded: Origin = BUNDLED,
             substitute: tuple[str, ...] = ()) -> Plan:
        return own_plan(graded or self.modules)

    def staged(self, package_dir: Path, graded: tuple[str, ...] | None,
               starter: Path | None, substitute: tuple[str, ...]) -> dict[str, Path]:
        """The bundled files whose functions replace the implementation's ("rnn_layers:
        lstm_step_forward+lstm_step_backward" stages rnn_layers.py)."""
        sources = {r.source for r in map(Replacement.parse, substitute) if r is not None}
        files = {source: self._bundled_file(source) for source in sources}
        return {source: file for source, file in files.items() if file is not None}

    def substitutable(self, package_dir: Path, module: str,
                      graded: tuple[str, ...] | None) -> bool:
        """A library's functions can be replaced where it has a bundled implementation."""
        found = Replacement.parse(module)
        return found is not None and self._bundled_file(found.source) is not None

    def _bundled_file(self, module: str) -> Path | None:
        if not self.bundled:
            return None
        file = Path(self.bundled).joinpath(*module.split(".")).with_suffix(".py")
        return file if file.is_file() else None

    def starter_package(self, starter: Path | None) -> Path | None:
        return starter

    def child_args(self) -> list[str]:
        return ["--library", ":".join((self.package, ",".join(self.modules),
                                       ",".join(self.path), self.bundled))]

    @classmethod
    def from_arg(cls, arg: str) -> LibraryLoader:
        """The loader `child_args` described (package:module[,others][:path,...][:bundled])."""
        package, modules, path, bundled = (arg.split(":", 3) + ["", "", ""])[:4]
        main, *others = modules.split(",")
        return cls(package, main, tuple(others), tuple(filter(None, path.split(","))), bundled)

    def load(self, path: str | Path, request: LoadRequest) -> Library:
        lib = Library(self.locate(path), self.package)
        lib.replace_from(request.substitute, self._bundled_file, request.staged)
        new_package(self.package, lib.package_dir)   # its __init__.py, if any, is not run
        for name in sorted({m.rpartition(".")[0] for m in self.modules} - {""}):
            lib.package_error = lib.package_error or self._subpackage(lib.package_dir, name)
        for folder in self.path:   # the library's own sibling imports (from resampling import *)
            where = str((lib.package_dir / folder).resolve())
            if where not in sys.path:
                sys.path.append(where)
        return lib


    def _subpackage(self, package_dir: Path, name: str) -> BaseException | None:
        """A folder on a dotted module's path (nn of nn.linear), its ``__init__.py`` run as far
        as it goes (a later homework's import in it does not sink the module): what it raised."""
        error = None
        for depth in range(1, name.count(".") + 2):
            parts = name.split(".")[:depth]
            dotted, folder = ".".join((self.package, *parts)), package_dir.joinpath(*parts)
            if dotted not in sys.modules and folder.is_dir():
                error = error or run_init(new_package(dotted, folder), folder / "__init__.py")
        return error


@dataclass
class Library:
    """An imported library implementation: modules on demand, errors kept per module."""

    package_dir: Path
    package: str
    package_error: BaseException | None = None
    _modules: dict[str, types.ModuleType | BaseException] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.package_dir.name

    # module -> (a bundled file, the names taken from it), replacing the module's own
    replaced: dict[str, list[tuple[Path, tuple[str, ...]]]] = field(default_factory=dict)

    def replace_from(self, substitute: tuple[str, ...],
                     bundled: Callable[[str], Path | None], staged: Path | None) -> None:
        """Note the `Replacement`s among `substitute` ("CTC:CTC", "rnn_layers:lstm_step_
        forward+lstm_step_backward"): each from the staged copy, else the bundled file."""
        for found in filter(None, map(Replacement.parse, substitute)):
            file = staged_copy(staged, found.source, bundled(found.source))
            if file is not None:
                self.replaced.setdefault(found.module, []).append((file, found.names))

    def module(self, module: str) -> types.ModuleType:
        """Import one module of the implementation (with the names `replaced` in it taken
        from the bundled files); re-raises its import error."""
        found = self._import(module)
        for file, names in self.replaced.pop(module, []):
            _replace(found, file, names)
        return found

    def _import(self, module: str) -> types.ModuleType:
        return import_once(self._modules, self.package, module)


def staged_copy(staged: Path | None, name: str, bundled: Path | None) -> Path | None:
    """The copy of bundled file `name` the parent staged for this child, when there is one
    (a child that may not see the solution has only those), else the `bundled` file."""
    copy = staged / f"{name}.py" if staged else None
    return copy if copy is not None and copy.is_file() else bundled


def _replace(own: types.ModuleType, file: Path, names: tuple[str, ...]) -> None:
    """Put `file`'s `names` in place of `own`'s, for `own`'s other code to call. The bundled
    file is imported beside `own`, in its package, so that its relative imports (``from
    .resampling import Downsample2d``) reach the implementation's modules; where it cannot be
    imported so (another layout), nothing is replaced: the case earns what it earned."""
    name = ".".join(filter(None, (own.__package__, f"nnparity_bundled_{file.stem}")))
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    bundled = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(bundled)
        found = {n: getattr(bundled, n) for n in names}
    except Exception:  # noqa: BLE001 - the bundled file under the student's layout
        return
    for n, value in found.items():
        setattr(own, n, value)
