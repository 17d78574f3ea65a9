"""What an API is to the harness: an `Api`, one adapter's declaration.

An API says how an implementation reaches the ops (`harness.core.opspec`): which package and
modules it is imported as and by which loader, its op table, which driver kinds run its ops
and which module judges the kinds that are more than one call (whole models), where its
bundled correct implementation and its PyTorch twins are, and which files say an
implementation follows it. The core asks an `Api`; it never names one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    rubric: Path | None = None  # the rubric `nnparity grade --api NAME` grades with
    conventions: bool = False   # whether the named conventions (harness.core.conventions)
                                # apply to its ops
    plain_names: bool = False   # its ops are named without the "api:" prefix (the default API)

    @property
    def functions(self) -> bool:
        """One module of functions or classes, loaded by `harness.apis.library` (CS231n's
        functions, a user-declared adapter's classes), not a package of modules."""
        return self.loader == LIBRARY

    @property
    def library(self) -> str | None:
        """'package:module' for the sandboxed child's loader (None: the package loader)."""
        return f"{self.package}:{self.modules[0]}" if self.functions else None

    def op_name(self, name: str) -> str:
        """`name` as this API's table spells it ('batchnorm' -> 'cs231n:batchnorm')."""
        if self.plain_names or ":" in name:
            return name
        return f"{self.name}:{name}"
