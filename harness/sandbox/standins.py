"""Import-only stand-ins for the packages that starter code imports but graded code never uses.

Every generation of the HW6 starter imports tqdm, pandas or matplotlib at the top of modules
that are not about the math (`models.py`'s training loop, `datasets.py`, `logs.py`). Those
packages are not available inside the grader's sandbox (it offers NumPy, the standard library
and the few packages of `harness.sandbox.packages.ALLOWED`), and a verdict must not depend on
what the grader happens to have installed. So, in the sandboxed child, an import of one of them
gets a stand-in, at every isolation level:

- tqdm works: `tqdm(iterable)` and `trange(n)` iterate as the plain iterable would;
- the others import, and anything taken from them imports too, but using it raises
  `StandInUsed`, naming what was used and why it is not there.

The stand-in finder is the last on `sys.meta_path`; below namespaces, where the host's site
packages are on the path, `harness.sandbox.packages.SiteGate` hands it those imports first. The
refused imports (torch, ...) are refused before either is asked. Which stand-ins were imported
is recorded (`imported`) so reports can say so.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Iterable, Iterator
from typing import Any

from harness.sandbox.packages import ALLOWED, allowed_text

# top-level package -> what it is for (said when something from it is used)
ABSENT = {
    "pandas": "data frames", "matplotlib": "plots", "seaborn": "plots", "sklearn": "datasets",
    "IPython": "notebooks", "PIL": "images",
    "ipywidgets": "notebooks", "wandb": "experiment tracking",
}
WORKING = {"tqdm": "progress bars"}
assert not (set(ABSENT) | set(WORKING)) & set(ALLOWED)   # an allowed package is the real one


class StandInUsed(RuntimeError):
    """Graded code used a package that is not available inside the grader's sandbox."""


class _Missing:
    """Anything taken from an absent package: fine to import and name, an error to use."""

    def __init__(self, path: str) -> None:
        self._path = path

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        top = self._path.partition(".")[0]
        raise StandInUsed(
            f"{self._path} was used, but {top} ({ABSENT.get(top, 'a package')}) is not "
            "available inside the grader's sandbox; only its import was stood in for. Graded "
            f"code may use {allowed_text()} only")

    __call__ = __getitem__ = __iter__ = __enter__ = _refuse

    def __getattr__(self, name: str) -> _Missing:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Missing(f"{self._path}.{name}")

    def __repr__(self) -> str:
        return f"<stand-in for {self._path}>"


class _AbsentModule(types.ModuleType):
    def __getattr__(self, name: str) -> _Missing:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Missing(f"{self.__name__}.{name}")


class _Bar:
    """tqdm's progress bar without the bar: iterates, counts, closes."""

    def __init__(self, iterable: Iterable[Any] | None = None, *args: Any, **kwargs: Any) -> None:
        self.iterable = iterable if iterable is not None else ()
        self.n = 0
        self.total = kwargs.get("total")

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            self.n += 1
            yield item

    def __len__(self) -> int:
        return len(self.iterable)  # type: ignore[arg-type]

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        self.n += n

    def _ignore(self, *args: Any, **kwargs: Any) -> None:
        return None

    set_description = set_postfix = set_description_str = set_postfix_str = _ignore
    close = refresh = clear = write = _ignore


def _tqdm_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.tqdm = _Bar  # type: ignore[attr-defined]
    module.trange = lambda *args, **kwargs: _Bar(range(*args), **kwargs)  # type: ignore
    module.__version__ = "0+nnparity-stand-in"  # type: ignore[attr-defined]
    return module


class _Loader(importlib.abc.Loader):
    def __init__(self, finder: StandInFinder) -> None:
        self.finder = finder

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        top = spec.name.partition(".")[0]
        self.finder.imported.add(top)
        module = _tqdm_module(spec.name) if top in WORKING else _AbsentModule(spec.name)
        module.__path__ = []  # a package, so that its submodules import too
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class StandInFinder(importlib.abc.MetaPathFinder):
    """Finds the stand-ins; the last finder on sys.meta_path."""

    def __init__(self) -> None:
        self.imported: set[str] = set()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top not in ABSENT and top not in WORKING:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(self), is_package=True)


def install() -> StandInFinder:
    """Put the stand-in finder last on sys.meta_path (the sandboxed child does this)."""
    finder = StandInFinder()
    sys.meta_path.append(finder)
    return finder
