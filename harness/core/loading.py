"""How an API's implementations are found and imported: the `Loader` an adapter provides, and
the `Plan` of where each of an implementation's modules comes from.

A loader has two sides. In the parent (``check``, grading) it finds the implementation's
folder and plans its modules without importing anything; in the sandboxed child it imports
the implementation as planned. The two loaders the harness has:

- a package of modules (HW6's ``neural_networks``): each module from the submission, the
  course's starter code or the bundled implementation (`harness.sandbox.loader`);
- one module of functions or classes (CS231n's ``layers.py``, an adapter's library):
  the implementation's own, nothing borrowed (`harness.sandbox.library`);
- a package tree whose classes are found wherever the student's layout puts them (mytorch),
  all its own (`harness.sandbox.tree`).
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

Origin = Literal["submission", "starter", "student_nn", "missing"]
SUBMISSION: Origin = "submission"
STARTER: Origin = "starter"
BUNDLED: Origin = "student_nn"      # the bundled correct implementation (the JSON's spelling)
MISSING: Origin = "missing"


class LoadError(Exception):
    """The path does not hold an implementation; the message says what to fix."""


@dataclass(frozen=True)
class Source:
    """Where one top-level module of the implementation comes from, and why."""

    module: str
    origin: Origin
    reason: str
    file: str | None = None    # its file below the package, when not at its own path

    def describe(self) -> str:
        return f"{self.module}: {self.origin} ({self.reason})"


@dataclass(frozen=True)
class Plan:
    """The source of every module, keyed by top-level module name."""

    sources: dict[str, Source] = field(default_factory=dict)
    running: frozenset[str] = frozenset()   # the submission's modules that run: graded + reached

    def origin(self, module: str) -> Origin:
        src = self.sources.get(module)
        return src.origin if src else MISSING

    def borrowed(self, origin: Origin) -> list[str]:
        return [m for m, s in self.sources.items() if s.origin == origin]

    def as_json(self) -> dict[str, dict[str, str]]:
        return {m: {"origin": s.origin, "reason": s.reason, **({"file": s.file} if s.file
                                                                  else {})}
                for m, s in self.sources.items()}


def folder_files(folder: Path) -> dict[str, Path]:
    """The modules and subpackages directly in `folder`: name -> file or folder."""
    return {p.stem if p.is_file() else p.name: p for p in folder.iterdir()
            if p.suffix == ".py" or p.is_dir()}


def own_plan(modules: Sequence[str]) -> Plan:
    """Every module the implementation's own (a library's single module)."""
    return Plan({m: Source(m, SUBMISSION, "graded") for m in modules}, frozenset(modules))


class Loaded(Protocol):
    """An imported implementation, in the child: its modules imported on demand."""

    package_dir: Path
    package_error: BaseException | None   # its package's __init__.py failed

    @property
    def name(self) -> str: ...

    def module(self, module: str) -> types.ModuleType:
        """Import one of its modules; raises that module's import error, each time."""
        ...


@dataclass(frozen=True)
class Replacement:
    """Names a module of the implementation takes from a bundled file once it is imported
    (a substitution "nn.ConvTranspose:Conv2d_stride1@nn.Conv2d", or "CTC:CTC" from its own
    module's file): the classes or functions another op's code calls from the same file."""

    module: str               # the implementation's module whose names are replaced
    names: tuple[str, ...]
    source: str               # the contract module whose bundled file they come from

    @classmethod
    def parse(cls, entry: str) -> Replacement | None:
        """The replacement a substitution entry is (None: a whole module)."""
        module, colon, rest = entry.partition(":")
        if not colon:
            return None
        names, _, source = rest.partition("@")
        return cls(module, tuple(names.split("+")), source or module)

    @property
    def entry(self) -> str:
        source = f"@{self.source}" if self.source != self.module else ""
        return f"{self.module}:{'+'.join(self.names)}{source}"


@dataclass(frozen=True)
class LoadRequest:
    """What the parent asks the child's loader to import (see `Loader.plan`)."""

    graded: tuple[str, ...] | None = None    # None: every module the package has
    starter: Path | None = None              # the course's starter code
    missing_graded: Origin = BUNDLED         # what a graded module the package lacks becomes
    substitute: tuple[str, ...] = ()         # modules (or `Replacement`s) from the bundled one
    staged: Path | None = None               # the bundled modules' copies this child may use


class Loader(Protocol):
    """How an API's implementations are found (parent) and imported (child)."""

    @property
    def package(self) -> str:
        """The package name the implementation is imported as."""
        ...

    @property
    def modules(self) -> tuple[str, ...]:
        """Every module the API's contract names."""
        ...

    @property
    def dirs(self) -> tuple[str, ...]:
        """The folder names an implementation's package may have."""
        ...

    @property
    def borrows(self) -> bool:
        """Whether modules may come from the course's starter or the bundled implementation
        (a package of modules); else every module is the implementation's own."""
        ...

    def locate(self, path: str | Path) -> Path:
        """The folder of the implementation's modules that `path` names; LoadError saying
        what to fix."""
        ...

    def module_files(self, package_dir: Path) -> dict[str, Path]:
        """The implementation's modules and where they are (the facts an edition is told
        by: `harness.core.editions.Marker`)."""
        ...

    def plan(self, package_dir: Path, graded: tuple[str, ...] | None = None,
             starter: Path | None = None, missing_graded: Origin = BUNDLED,
             substitute: tuple[str, ...] = ()) -> Plan:
        """Where each module of the implementation in `package_dir` comes from."""
        ...

    def staged(self, package_dir: Path, graded: tuple[str, ...] | None,
               starter: Path | None, substitute: tuple[str, ...]) -> dict[str, Path]:
        """The bundled modules a child that may not see the solution is given copies of
        (module -> file): those the plan borrows, never what the child grades."""
        ...

    def substitutable(self, package_dir: Path, module: str,
                      graded: tuple[str, ...] | None) -> bool:
        """Whether the bundled `module` can stand in for the implementation's."""
        ...

    def starter_package(self, starter: Path | None) -> Path | None:
        """The folder of the course's starter code that holds its modules."""
        ...

    def child_args(self) -> list[str]:
        """The arguments that tell the sandboxed child (``python -m harness.child``) to use
        this loader."""
        ...

    def load(self, path: str | Path, request: LoadRequest) -> Loaded:
        """Import the implementation at `path` (in the child)."""
        ...
