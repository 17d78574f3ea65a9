"""What an API is to the harness: an `Api`, one adapter's declaration.

An API says how an implementation reaches the ops (`harness.core.opspec`): which package and
modules it is imported as and by which loader, its op table, which driver kinds run its ops
and which module judges the kinds that are more than one call (whole models), where its
bundled correct implementation and its PyTorch twins are, and which files say an
implementation follows it. The core asks an `Api`; it never names one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harness.apis.editions import Detected, Edition, detect, named

if TYPE_CHECKING:
    from harness.core.cases import Case
    from harness.core.opspec import OpSpec

PACKAGE, LIBRARY = "package", "library"   # the two loaders (harness.sandbox.loader, .library)


@dataclass(frozen=True)
class Api:
    name: str
    title: str
    package: str          # the package the implementation is imported as
    modules: tuple[str, ...]  # its graded modules
    bundled: Path | None  # the correct implementation shipped for self-tests (or an example)
    reference: str        # the module of PyTorch twins ("" when each op names its twin's
                          # module and class, as HW6's do, or maps to another op's twin)
    markers: tuple[str, ...]  # files (relative to --impl) that say an implementation is this API's
    adapter: str = ""     # a user-declared API's adapter file (harness/apis/user.py)
    ops: dict[str, OpSpec] = field(default_factory=dict, compare=False, repr=False)
    loader: str = LIBRARY  # PACKAGE: a package of modules, each from the submission, the starter
                           # or the bundled copy (harness.sandbox.loader); LIBRARY: one module
                           # of functions or classes (harness.apis.library)
    package_names: tuple[str, ...] = ()     # PACKAGE: the directory names the package has
    contract_modules: tuple[str, ...] = ()  # PACKAGE: every module the contract names
    base_modules: tuple[str, ...] = ()      # PACKAGE: what `check` grades as the submission's
                                            # own for every op (the single ops' modules)
    leaf_modules: tuple[str, ...] = ()      # PACKAGE: modules whose ops share one child (no
                                            # op of one touches the other)
    runners: str = ""     # the module whose RUNNERS drive this API's own kinds
    judge: str = ""       # the module judging its kinds of more than one call (KINDS,
                          # judge_case, reference_outputs)
    formulas: str = ""    # the module whose CATALOGUE holds its ops' wrong formulas
                          # (harness.diagnosis.fingerprints)
    intermediates: str = ""  # the module whose `intermediates(op, ctor, inputs, conventions)`
                             # gives an op's intermediate values (harness.diagnosis.dataflow)
    rubric: Path | None = None  # the rubric `nnparity grade --api NAME` grades with
    conventions: bool = False   # whether the named conventions (harness.core.conventions)
                                # apply to its ops
    plain_names: bool = False   # its ops are named without the "api:" prefix (the default API)
    editions: tuple[Edition, ...] = ()  # its years' assignments (harness/apis/editions.py),
                                        # the fallback last
    # The other ops a case of an op calls (a layer's activation, a model's layers): an
    # edition's cases use only its ops, and a failing one is substituted for them.
    uses: Callable[[OpSpec, Case], frozenset[str]] | None = field(default=None, compare=False)

    @property
    def functions(self) -> bool:
        """One module of functions or classes, loaded by `harness.apis.library` (CS231n's
        functions, a user-declared adapter's classes), not a package of modules."""
        return self.loader == LIBRARY

    @property
    def library(self) -> str | None:
        """'package:module' for the sandboxed child's loader (None: the package loader)."""
        return f"{self.package}:{self.modules[0]}" if self.functions else None

    def edition(self, impl: Path | None, name: str | None = None,
                source: str = "option") -> Detected | None:
        """The edition `impl` follows: `name` (from --edition or a rubric) when given, else
        detected from its files; None for an API without editions. ValueError for a name
        this API does not know."""
        if not self.editions:
            if name:
                raise ValueError(f"the {self.name} API has no editions (--edition {name})")
            return None
        if name:
            return named(self.editions, name, source)
        folder = Path(impl) if impl else None
        if folder is not None and folder.is_file():
            folder = folder.parent
        files = {} if folder is None else {p.stem if p.is_file() else p.name: p
                                            for p in folder.iterdir()
                                            if p.suffix == ".py" or p.is_dir()}
        return detect(self.editions, files)

    def op_name(self, name: str) -> str:
        """`name` as this API's table spells it ('batchnorm' -> 'cs231n:batchnorm')."""
        if self.plain_names or ":" in name:
            return name
        return f"{self.name}:{name}"
