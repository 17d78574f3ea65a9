"""What an API is to the harness: an `Api`, one adapter's declaration, and the protocols of
what it provides.

An API says how an implementation reaches the ops (`harness.core.opspec`): which package and
modules it is imported as and by which loader, its op table, how the driver runs its own
kinds of op, who judges the kinds that are more than one call (whole models), its wrong
formulas and its intermediate values, where its bundled correct implementation and its
PyTorch twins are, and which files say an implementation follows it. The core asks an `Api`;
it never names one. An adapter registers its `Api` (`harness.core.registry.register`).

What an API provides beyond data is a typed object behind a zero-argument function, so a
process imports an adapter's heavier modules (PyTorch twins, the model judge) only when it
uses them (the sandboxed child never does):

- `runners() -> Mapping[kind, KindRunner]`: how the driver runs each of its own kinds;
- `judge() -> Judge`: judges its kinds of more than one call and computes their expected
  outputs;
- `formulas() -> Mapping[op, tuple[Formula, ...]]`: its ops' catalogued wrong formulas;
- `layer_rules() -> Mapping[op, tuple[Rule, ...]]`: its layers' usual wrong rules;
- `intermediates() -> Intermediates`: an op's intermediate values, named.

Its `loader` (a `harness.core.loading.Loader`) is an object: the parent locates and plans an
implementation with it, and the sandboxed child imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from harness.core.editions import Detected, Edition, detect, named

if TYPE_CHECKING:   # (the sandboxed child imports this module, and no formula)
    from harness.core.cases import Case, Kwargs
    from harness.core.compare import Tolerance
    from harness.core.conventions import Conventions, Profile
    from harness.core.formula import Formula, Rule
    from harness.core.loading import Loader
    from harness.core.opspec import OpSpec
    from harness.core.report import JSONObject
    from harness.core.verdict import Verdict
    from reference.laws import Law

# What an adapter is handed of the core's objects, beyond plain data. This module cannot
# name their classes: the driver and the checking protocols import it. So each is the
# part of the core's object an adapter may use, as a protocol the object itself follows.
class OpRunView(Protocol):
    """What a kind runner records on (`harness.core.driver.OpRun`): the outputs it computed,
    the exception of each output it could not, the parameters a layer created."""

    outputs: dict[str, object]
    errors: dict[str, tuple[str, BaseException]]
    init_error: BaseException | None
    created: dict[str, np.ndarray]

    @property
    def on_stage(self) -> Callable[[str], None]:
        """Called after a stage that may modify the inputs in place (`attempt` calls it)."""
        ...

    def fail(self, names: tuple[str, ...] | list[str], stage: str,
             exc: BaseException) -> None: ...


class ChildView(Protocol):
    """A sandboxed child that runs requests (`harness.sandbox.parent.Sandbox`)."""

    def run(self, request: Mapping[str, object], inputs: dict[str, np.ndarray]) -> object:
        """The child's answer (header, arrays), or an outage (`harness.sandbox.parent.Outage`).
        `request` is sent as JSON (tuples as lists: a case's constructor arguments)."""
        ...


class CheckerView(Protocol):
    """What a judge may ask of the checker that hands it a case
    (`harness.core.checking.CaseChecker` extends it): its profile, tolerance and edition, the
    verdicts of another case, and the child that runs a case (to rerun it traced)."""

    profile: Profile
    tolerance: Tolerance
    edition: Detected | None

    def check(self, spec: OpSpec, case: Case) -> dict[str, Verdict]: ...

    def sandbox_for(self, spec: OpSpec, case: Case | None = None) -> ChildView: ...


class KindRunner(Protocol):
    """Runs one kind of op on a class (a student's, or its twin): constructs it with `ctor`,
    computes `outputs` from `inputs` and records them on `run` (`harness.core.driver`).
    `cls` is what the implementation's module holds under the op's name: a class, a
    function, or anything else a student left there."""

    def __call__(self, cls: object, ctor: Kwargs, inputs: dict[str, np.ndarray],
                 outputs: tuple[str, ...], run: OpRunView, /) -> None: ...


class Judge(Protocol):
    """Judges an API's kinds of op that are more than one call (`KINDS`: HW6's whole models,
    optimisers, initialisers, training), output by output, from what the child sent.
    An output's expected value is an array, or an initialiser's law (what its draws must
    follow: `harness.core.twin.Expected`)."""

    KINDS: tuple[str, ...]

    def reference_outputs(self, spec: OpSpec, ctor: Kwargs,
                          inputs: dict[str, np.ndarray], conventions: Conventions,
                          /) -> dict[str, np.ndarray | Law]: ...

    def judge_case(self, checker: CheckerView, spec: OpSpec, case: Case, header: JSONObject,
                   arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
                   expected: dict[str, np.ndarray | Law], /) -> dict[str, Verdict]: ...


class Intermediates(Protocol):
    """An op's intermediate values (the padded input, the windows, ...), named, from its
    case's constructor arguments and inputs (`harness.diagnosis.dataflow`): arrays, sizes
    (tuples of ints) and numbers (a pad value)."""

    def __call__(self, op: str, ctor: Kwargs, inputs: dict[str, np.ndarray],
                 conventions: Conventions, /
                 ) -> dict[str, np.ndarray | tuple[int, ...] | float]: ...


@dataclass(frozen=True)
class Api:
    name: str
    title: str
    package: str          # the package the implementation is imported as
    modules: tuple[str, ...]  # its graded modules
    bundled: Path | None  # the correct implementation shipped for self-tests (or an example)
    markers: tuple[str, ...]  # files (relative to --impl) that say an implementation is this API's
    loader: Loader        # how its implementations are found and imported (core/loading.py)
    adapter: str = ""     # a user-declared API's adapter file (harness/apis/user.py)
    ops: dict[str, OpSpec] = field(default_factory=dict, compare=False, repr=False)
    base_modules: tuple[str, ...] = ()      # a package: what `check` grades as the submission's
                                            # own for every op (the single ops' modules)
    leaf_modules: tuple[str, ...] = ()      # a package: modules whose ops share one child (no
                                            # op of one touches the other)
    # What the API provides, each behind a function (see the module's docstring).
    runners: Callable[[], Mapping[str, KindRunner]] | None = field(default=None, compare=False)
    judge: Callable[[], Judge] | None = field(default=None, compare=False)
    formulas: Callable[[], Mapping[str, tuple[Formula, ...]]] | None = field(
        default=None, compare=False)
    layer_rules: Callable[[], Mapping[str, tuple[Rule, ...]]] | None = field(
        default=None, compare=False)
    intermediates: Callable[[], Intermediates] | None = field(default=None, compare=False)
    rubric: Path | None = None  # the rubric `nnparity grade --api NAME` grades with
    conventions: bool = False   # whether the named conventions (harness.core.conventions)
                                # apply to its ops
    plain_names: bool = False   # its ops are named without the "api:" prefix (the default API)
    # The dtypes its contract allows a returned array (mytorch's own handout code returns
    # float32 ones in Identity.backward; HW6's and CS231n's contracts are float64).
    dtypes: tuple[str, ...] = ("float64",)
    editions: tuple[Edition, ...] = ()  # its years' assignments (harness/core/editions.py),
                                        # the fallback last
    # The activation op a case applies, by its parameters (HW6: a layer's `act`, an
    # initializer's `activation`): a layer that fails only by passing on that activation's
    # stub is the activation's to fix (harness.diagnosis.fixlist).
    activation: Callable[[Mapping[str, object]], str | None] | None = field(
        default=None, compare=False)
    # The other ops a case of an op calls (a layer's activation, a model's layers): an
    # edition's cases use only its ops, and a failing one is substituted for them.
    uses: Callable[[OpSpec, Case], frozenset[str]] | None = field(default=None, compare=False)

    @property
    def functions(self) -> bool:
        """Every module the implementation's own (CS231n's functions, mytorch's classes, a
        user-declared adapter's), not a package that borrows from a starter or the bundled
        implementation."""
        return not self.loader.borrows

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
        return detect(self.editions, {} if folder is None else self.loader.module_files(folder))

    def op_name(self, name: str) -> str:
        """`name` as this API's table spells it ('batchnorm' -> 'cs231n:batchnorm')."""
        if self.plain_names or ":" in name:
            return name
        return f"{self.name}:{name}"
