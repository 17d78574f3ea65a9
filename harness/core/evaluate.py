"""Judge one case: run the implementation in its sandbox, the twin here, compare outputs.

`Checker.check(spec, case)` returns one `Verdict` per compared output. Statuses:
pass | fail | error (an exception or a crash) | not_implemented | timeout.
A mismatch is retried against the reference under each alternative convention that the
profile accepts; a match there passes with a note naming the convention.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Generator, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

import reference
from harness.apis.editions import Detected
from harness.apis.known import DEFAULT, get_api, judge_of
from harness.core import refcache
from harness.core.cases import Case
from harness.core.compare import (
    DEFAULT_TOLERANCE,
    Comparison,
    InPlaceChange,
    Tolerance,
    broadcast_equal,
    compare_output,
    compare_unmodified,
)
from harness.core.conventions import DEFAULT_PROFILE, IN_PLACE, Conventions, Profile
from harness.core.registry import OpSpec, get_op
from harness.core.stubs import untouched_template
from harness.diagnosis.causes import Cause
from harness.sandbox.driver import run_op
from harness.sandbox.loader import locate
from harness.sandbox.parent import Limits, Outage, Policy, Sandbox
from harness.sandbox.sources import Plan, own_plan, plan_sources, substitutable
from harness.sandbox.wire import NUMERIC

# Conventions that change what the reference computes (grad_shape is judged in comparison).
REFERENCE_CONVENTIONS = ("maxpool_pad", "same_pad", "l2_reduction")
SCALAR_TYPES = ("builtins.float", "numpy.float64", "numpy.ndarray")


Status = Literal["pass", "fail", "error", "not_implemented", "timeout"]   # a Verdict's


@dataclass
class Verdict:
    op: str
    output: str
    case: Case
    status: Status
    message: str = ""
    comparison: Comparison | None = None
    error: dict[str, Any] | None = None      # the child's description of an exception
    convention: str | None = None            # "maxpool_pad=zero" when matched only under it
    notes: list[str] = field(default_factory=list)
    got: np.ndarray | None = field(default=None, repr=False)
    expected: np.ndarray | None = field(default=None, repr=False)
    stdout: str = ""
    causes: list = field(default_factory=list)   # likely causes found while judging (models)
    # the ops failing on their own that were substituted in this case (core/substitute.py)
    depends_on: tuple[str, ...] = ()
    # {op, output}: the output whose own call raised and kept this one from being computed
    # (a network's step 2 forward after step 1's update raised): the fix list's root
    caused_by: dict[str, str] | None = None

    @property
    def passed(self) -> bool:
        return self.status == "pass"


def reference_outputs(spec: OpSpec, ctor: dict[str, Any], inputs: dict[str, np.ndarray],
                      conventions: Conventions, partial: bool = False) -> dict[str, np.ndarray]:
    """The PyTorch twin's outputs; a failure here is nnparity's bug, so it raises.

    With `partial`, the outputs it could compute (diagnosis recomputes a case under another
    convention, whose output shape dY may not fit).
    """
    judge = judge_of(spec)
    if judge is not None:  # a kind its API judges (HW6's whole models, optimisers, ...)
        return judge.reference_outputs(spec, ctor, inputs, conventions)
    if spec.twin is not None:  # an adapter's op: the op it maps to computes the expected
        found = reference_outputs(get_op(spec.twin), ctor, inputs, conventions, partial)
        return {k: v for k, v in found.items() if k in spec.outputs}
    if spec.calls is not None:  # a function API: its twins are functions of one module
        cls = importlib.import_module(get_api(spec.api).reference)
    else:
        cls = getattr(reference.module(spec.module), spec.cls)
    if spec.twin_conventions:
        ctor = {**ctor, "conventions": conventions}
    with reference.one_torch_thread():   # tiny tensors: torch's thread pool costs ~10×
        run = run_op(spec.kind, cls, ctor, {k: v.copy() for k, v in inputs.items()},
                     spec.outputs, calls=spec.calls)
    for _, exc in run.errors.values():
        if isinstance(exc, KeyboardInterrupt):  # the driver keeps what student code raises;
            raise exc                            # here, in our own process, Ctrl-C must stop
    if run.errors and not partial:
        name, (stage, exc) = next(iter(run.errors.items()))
        raise RuntimeError(f"reference {spec.name} failed in {stage} for {name}") from exc
    return {k: np.asarray(v, dtype=np.float64) for k, v in run.outputs.items()}


# What the parent keeps of the child's description of a returned value: the name of its type
# and, for a value that is not numeric, its repr or which special value (None, ...) it was.
CLAIMS = ("type", "special", "repr")
# What it keeps of an exception's description, with the defaults for what is absent.
ERROR_FIELDS: dict[str, Any] = {"stage": "run", "type": "Exception", "message": "",
                                "not_implemented": False}


def received(header: dict[str, Any], arrays: dict[str, np.ndarray]
             ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The child's answer as the parent judges it: nothing the child says about its outputs is
    trusted (issue #21). The child runs in the submission's process, so a submission can
    rewrite its answer; what it cannot do is make a claim earn what its bytes do not:

    - each output's description keeps only `CLAIMS`; its dtype (``info["dtype"]``) is read
      here from the bytes of the array that came back, and a complex array is judged on its
      real part (its dtype fails the contract); an array that is not numeric is dropped;
    - whether a call modified its inputs is judged from the copies of the inputs the child
      sends after each call (`Checker._mutation`), the shapes of the parameters a layer
      created from those arrays (`Checker._created_problem`); one that did not come back fails
      the output as a protocol error, never as a silent pass.

    The type's name (a list, an ndarray, a subclass) is necessarily the child's word: the
    parent sees only bytes. A lie there earns no more than an honest ``np.asarray(value)``
    would: the values, dtype and shape judged are those of the array sent, exactly what
    returning ``np.asarray(value)`` would have sent under its true name. Likewise, bytes the
    child forges (a float64 copy of a float32 result, a copy of an input taken before the call)
    are what a one-line honest fix (``.astype(np.float64)``, ``.copy()``) would have sent."""
    numeric = {name: arr for name, arr in arrays.items()
               if arr.dtype.kind in NUMERIC and not arr.dtype.fields}
    outputs: dict[str, dict[str, Any]] = {}
    for name, info in _mapping(header.get("outputs")).items():
        kept = {k: str(v) for k, v in _mapping(info).items() if k in CLAIMS}
        kept.setdefault("type", "value it did not describe")
        arr = numeric.get(f"out/{name}")
        if arr is not None:
            kept["dtype"] = arr.dtype.name
        outputs[str(name)] = kept
    errors = {str(name): {**ERROR_FIELDS, **_mapping(err)}
              for name, err in _mapping(header.get("errors")).items()}
    plain = {name: arr.real if arr.dtype.kind == "c" else arr for name, arr in numeric.items()}
    return {**header, "outputs": outputs, "errors": errors}, plain


def _mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a dict (what an honest child sends), else an empty one."""
    return value if isinstance(value, dict) else {}


# Lines of the implementation's files run per call, in the order each first ran:
# {stage: [(file, line), ...]}.
Lines = dict[str, list[tuple[str, int]]]
# Which of its functions called which: (caller's file, its qualified name, callee's file, ...).
Call = tuple[str, str, str, str]


@dataclass(frozen=True, eq=False)   # compared by identity: it holds an array
class Value:
    """One value a function of the implementation was given or returned, as the child
    recorded it: its `k`-th call in `stage` from `site` (the file:line that called it, ""
    for the harness), argument `slot` (or "return", "return[0]", an
    argument "X after" the call). `value` is an array, a tuple of numbers (ints, or ints and
    floats), a float, or None for arrays it could not record."""

    stage: str
    file: str
    function: str
    site: str
    k: int
    slot: str
    value: np.ndarray | tuple[int | float, ...] | float | None


@dataclass(frozen=True)
class Trace:
    """What a traced run says it executed (harness/sandbox/lines.py): the child's word, used
    only to point at code."""

    lines: Lines = field(default_factory=dict)
    calls: frozenset[Call] = frozenset()
    values: tuple[Value, ...] = ()


SLOT = re.compile(r"[A-Za-z_]\w{0,63}( after)?(\[\d{1,2}\])?")   # "dXp after", "return[1]"


def _values(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> tuple[Value, ...]:
    """The child's `values`, keeping only entries of their shape (arrays from the bytes)."""
    found = []
    for entry in header.get("values") or []:
        if not (isinstance(entry, list) and len(entry) == 8 and isinstance(entry[4], int)):
            continue
        stage, file, function, site, k, slot, kind, payload = entry
        if not (isinstance(slot, str) and SLOT.fullmatch(slot)):
            continue   # a name the reports may print: an argument's, or "return"
        if kind == "array" and isinstance(payload, str) and payload.startswith("value/"):
            value: Any = arrays.get(payload)
            if value is None:
                continue
        elif kind == "ints" and isinstance(payload, list) and all(
                isinstance(v, int) for v in payload):
            value = tuple(payload)
        elif kind == "numbers" and isinstance(payload, list) and all(
                isinstance(v, int | float) for v in payload):
            value = tuple(payload)
        elif kind == "float" and isinstance(payload, float):
            value = payload
        elif kind == "opaque":
            value = None
        else:
            continue
        found.append(Value(str(stage), str(file), str(function), str(site), k, str(slot),
                           value))
    return tuple(found)


def _trace(header: dict[str, Any], arrays: dict[str, np.ndarray] | None = None) -> Trace:
    """The child's `lines`, `calls` and `values`, keeping only what has their shape."""
    lines = {str(stage): [(str(pair[0]), pair[1]) for pair in pairs
                          if isinstance(pair, list | tuple) and len(pair) == 2
                          and isinstance(pair[1], int)]
             for stage, pairs in _mapping(header.get("lines")).items()
             if isinstance(pairs, list)}
    calls = header.get("calls")
    edges = frozenset(tuple(map(str, c)) for c in calls if isinstance(c, list | tuple)
                      and len(c) == 4) if isinstance(calls, list) else frozenset()
    return Trace(lines, edges, _values(header, arrays or {}))  # type: ignore[arg-type]


# Checker(graded=PER_OP), check's default: see Checker.__init__.
PER_OP = "per-op"

# After this many timeouts or crashes of an op in a row, its remaining cases are not run.
OUTAGES_BEFORE_GIVING_UP = 2


def is_outage(v: Verdict) -> bool:
    """The child gave no answer for this case: it timed out or died (not a skipped case)."""
    err = v.error or {}
    return (err.get("type") in ("timeout", "crashed") and err.get("stage") == "run"
            and not err.get("not_run"))


NotRun = Literal["budget", "outages", "blocked"]   # why a case was not run


def not_run(spec: OpSpec, case: Case, status: Status, message: str, error: dict[str, Any],
            why: NotRun) -> dict[str, Verdict]:
    """Verdicts for a case that was not run: the time budget was spent, its op gave up after
    outages in a row, its module is blocked (missing, refused, does not import). The
    error's ``not_run`` says which."""
    return {o: Verdict(spec.name, o, case, status, message, error={**error, "not_run": why})
            for o in spec.outputs}


# Cases per batch request (Checker.check_many): an op's default 50 cases in one message.
BATCH_CASES = 64


@dataclass
class _Prepared:
    """One case ready to send: its inputs, constructor arguments and `run` request."""

    case: Case
    inputs: dict[str, np.ndarray]
    ctor: dict[str, Any]
    request: dict[str, Any]

    @classmethod
    def of(cls, spec: OpSpec, case: Case, edition: Detected | None = None) -> _Prepared:
        inputs, ctor = spec.inputs(case), spec.ctor(case)
        given = edition.edition.rename(ctor) if edition else ctor  # that year's names
        request = {"cmd": "run", "kind": spec.kind, "module": spec.module, "cls": spec.cls,
                   "ctor": given, "outputs": list(spec.asked)}
        if spec.calls is not None:
            request["calls"] = asdict(spec.calls)
        if spec.methods is not None:
            request["methods"] = asdict(spec.methods)
        return cls(case, inputs, ctor, request)


class Checker:
    """Checks cases of one implementation; owns its sandbox (close it, or use `with`)."""

    def __init__(self, impl: str | Path | None = None, profile: Profile = DEFAULT_PROFILE,
                 tolerance: Tolerance = DEFAULT_TOLERANCE, limits: Limits | None = None,
                 graded: tuple[str, ...] | None | str = PER_OP,
                 starter: str | Path | None = None, api: str = DEFAULT.name,
                 edition: Detected | None = None, policy: Policy | None = None,
                 share: str | Path | None = None) -> None:
        """`graded`: the modules that are always the implementation's own. The default,
        PER_OP (``check``), grades the modules of the single ops (activations, layers,
        losses) and, for an op of another module (models, optimizers, weights), that module
        too, in a child of its own: so a layer is checked with the modules grading would
        give it, and `sgd` checks the implementation's own optimizers.py. `edition`: the
        year's assignment the implementation follows (its semantics apply to every case);
        `policy` and `share` go to every child (grading's uid, limits and staged copy)."""
        self.api = get_api(api)
        self.impl = Path(impl) if impl else self.api.bundled
        self.profile = profile
        self.tolerance = tolerance
        self.edition = edition
        self.per_op = graded == PER_OP
        if self.api.functions:   # a function API: its modules, no starter, one child
            graded, starter, self.per_op = self.api.modules, None, False
        graded = self.api.base_modules if self.per_op else graded
        self.limits, self.policy, self.share = limits, policy, share
        self.graded, self.starter = graded, Path(starter) if starter else None
        # Ops that fail on their own: the cases of other ops that use one run with its
        # module from student_nn, in children of their own (harness/core/substitute.py).
        self.failing: frozenset[str] = frozenset()
        self._outages: dict[str, list[Verdict]] = {}  # op -> its timeouts/crashes in a row
        self._sandboxes: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], Sandbox] = {}
        self.sandbox = self._sandbox(graded, ())

    def _sandbox(self, graded: tuple[str, ...] | None, substitute: tuple[str, ...]
                 ) -> Sandbox:
        """The child grading `graded` with `substitute` from student_nn (made once)."""
        key = (graded, substitute)
        if key not in self._sandboxes:
            self._sandboxes[key] = Sandbox(self.impl, graded, self.limits, self.policy,
                                           starter=self.starter, share=self.share,
                                           library=self.api.library, substitute=substitute)
        return self._sandboxes[key]

    @cached_property
    def package_dir(self) -> Path:
        """The folder of the implementation's modules (its package, or its library's)."""
        return self.impl if self.api.functions else locate(self.impl)

    @property
    def _root(self) -> Path:
        """The folder the child names the implementation's files relative to."""
        return self.package_dir.parent

    def spec_of(self, spec: OpSpec) -> OpSpec:
        """`spec` as the implementation's edition defines it (harness/apis/editions.py)."""
        return self.edition.edition.spec(spec, self.api.uses) if self.edition else spec

    def substitutes(self, spec: OpSpec, case: Case,
                    graded: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The modules of the ops failing on their own that `case` uses (none of `spec`'s)
        that student_nn's can stand in for, in a child grading `graded`."""
        if not self.failing or self.api.uses is None:
            return ()
        used = self.api.uses(spec, case) & self.failing
        modules = {get_op(op).module for op in used} - {spec.module}
        return tuple(sorted(m for m in modules if self._substitutable(m, graded)))

    @cache  # noqa: B019 - one Checker per implementation, a few modules
    def _substitutable(self, module: str, graded: tuple[str, ...] | None) -> bool:
        """Whether student_nn's `module` can stand in for the implementation's (it has every
        name the rest of the running code imports from it): else nothing is substituted."""
        return self.api.functions or substitutable(self.package_dir, module, graded)

    def sandbox_for(self, spec: OpSpec, case: Case | None = None) -> Sandbox:
        """The child that runs `spec` (see `graded` above) on `case`: one with the modules of
        failing ops the case uses taken from student_nn, when there are any."""
        graded = self.graded or ()
        if self.per_op and spec.module not in graded:
            # HW6's optimizers.py and weights.py share a child: no op of one touches the other
            leaves = self.api.leaf_modules
            graded = (*graded, *(leaves if spec.module in leaves else (spec.module,)))
        else:
            graded = self.graded
        swap = self.substitutes(spec, case, graded) if case is not None else ()
        return self._sandbox(graded, swap)

    def start(self, specs: Iterable[OpSpec]) -> None:
        """Start the children that will run `specs` now, without waiting for them: they
        import NumPy and the implementation while this process does other work."""
        for sandbox in {id(sb): sb for sb in map(self.sandbox_for, specs)}.values():
            sandbox.start()

    def sandboxes(self) -> list[Sandbox]:
        return list(self._sandboxes.values())

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.close()

    def plan(self) -> Plan:
        """Where each of the implementation's modules comes from (see
        harness/sandbox/sources.py)."""
        if self.api.functions:
            return own_plan(self.api.modules)  # its one module, its own
        plan = plan_sources(locate(self.impl), self.graded, self.starter)
        for graded, swap in self._sandboxes:  # PER_OP: those modules, as their child had them
            extra = tuple(m for m in graded or () if m not in (self.graded or ()))
            if swap or not extra:
                continue
            own = plan_sources(locate(self.impl), graded, self.starter)
            plan = replace(plan, sources={**plan.sources,
                                          **{m: own.sources[m] for m in extra
                                             if m in own.sources}},
                           running=plan.running | own.running)
        return plan

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, spec: OpSpec, case: Case) -> dict[str, Verdict]:
        """One verdict per output; after OUTAGES_BEFORE_GIVING_UP timeouts or crashes of an op
        in a row, its further cases are not run (an infinite loop costs two time limits,
        not fifty)."""
        return self._run(spec, case, trace=False)[0]

    def traced(self, spec: OpSpec, case: Case) -> tuple[dict[str, Verdict], Trace]:
        """`check`, with what the implementation's files ran (`Trace`): the lines of each
        call, stages 'forward' and 'backward', in the order they first ran, and which of its
        functions called which (empty when the child did not say, or the case was not run;
        it is its word, used only to point at code, never in a verdict)."""
        return self._run(spec, case, trace=True)

    def _run(self, spec: OpSpec, case: Case, trace: bool
             ) -> tuple[dict[str, Verdict], Trace]:
        """One case's verdicts (not run after the op's outages in a row), and its trace."""
        spec = self.spec_of(spec)
        given_up = self._given_up(spec, case)
        if given_up is not None:
            return given_up, Trace()
        run = _Prepared.of(spec, case, self.edition)
        request = {**run.request, "trace": True} if trace else run.request
        answer = self.sandbox_for(spec, case).run(request, run.inputs)
        verdicts = self._noted(spec, self._verdicts(spec, run, answer))
        return verdicts, Trace() if isinstance(answer, Outage) else _trace(*received(*answer))

    def check_many(self, spec: OpSpec, cases: Iterable[Case]
                   ) -> Generator[dict[str, Verdict], None, None]:
        """The verdicts of each case, in order: exactly what `check` gives case after case,
        with the cases sent to the child in batches of BATCH_CASES (one request per batch
        instead of one round trip per case; the answers stream back case by case, so the
        child computes the next case while this process judges the last one). A case that
        times out or crashes gets its outage as with `check`, and the cases after it run in a
        fresh child; after OUTAGES_BEFORE_GIVING_UP of them in a row the rest are not run."""
        spec = self.spec_of(spec)
        todo = list(cases)
        while todo:
            given_up = self._given_up(spec, todo[0])
            if given_up is not None:
                todo.pop(0)
                yield given_up
                continue
            sandbox = self.sandbox_for(spec, todo[0])   # a batch: the cases that share it
            batch = todo[:BATCH_CASES]
            same = next((i for i, c in enumerate(batch) if self.sandbox_for(spec, c)
                         is not sandbox), len(batch))
            runs = [_Prepared.of(spec, case, self.edition) for case in batch[:same]]
            answers = sandbox.run_many([(r.request, r.inputs) for r in runs])
            try:
                for run, answer in zip(runs, answers, strict=False):
                    todo.pop(0)
                    yield self._noted(spec, self._verdicts(spec, run, answer))
                    if isinstance(answer, Outage):
                        break   # the child is gone: the rest go to a fresh one
            finally:
                answers.close()

    def _given_up(self, spec: OpSpec, case: Case) -> dict[str, Verdict] | None:
        """`case`'s not-run verdicts when its op's outages in a row reached the limit."""
        streak = self._outages.setdefault(spec.name, [])
        if len(streak) < OUTAGES_BEFORE_GIVING_UP:
            return None
        last = streak[-1]
        what = "timed out" if last.status == "timeout" else "crashed"
        msg = f"not run: {spec.cls} {what} in {len(streak)} cases in a row ({last.message})"
        return not_run(spec, case, last.status, msg, {**(last.error or {}), "message": msg},
                       "outages")

    def _noted(self, spec: OpSpec, verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
        """`verdicts`, after counting an outage into (or resetting) its op's streak."""
        streak = self._outages.setdefault(spec.name, [])
        first = next(iter(verdicts.values()))
        self._outages[spec.name] = streak + [first] if is_outage(first) else []
        return verdicts

    def _verdicts(self, spec: OpSpec, run: _Prepared,
                  answer: tuple[dict[str, Any], dict[str, np.ndarray]] | Outage
                  ) -> dict[str, Verdict]:
        """Judge the child's answer for one prepared case (or its outage)."""
        case, inputs, ctor = run.case, run.inputs, run.ctor
        if isinstance(answer, Outage):
            status = "timeout" if answer.status == "timeout" else "error"
            msg = f"{spec.cls}: {answer.detail}"
            return {o: Verdict(spec.name, o, case, status, msg,
                               error={"stage": "run", "type": answer.status, "message": msg})
                    for o in spec.outputs}
        header, arrays = received(*answer)
        got = {k.removeprefix("out/"): v for k, v in arrays.items() if k.startswith("out/")}
        if spec.given is not None:  # the twin computes with the implementation's draw
            expected = reference_outputs(spec, ctor, {**inputs, **spec.given(got, inputs)},
                                         self.profile.preferred)
        else:
            expected = _cached_reference(spec.name, case, self.profile.preferred)
        judge = judge_of(spec)
        if judge is not None:
            return judge.judge_case(self, spec, case, header, arrays, inputs, expected)
        verdicts = {o: replace(self._judge(spec, case, o, header, arrays, inputs, expected),
                               stdout=header.get("stdout", ""))
                    for o in spec.asked}
        for output in spec.derived:
            verdicts[output] = _judge_derived(spec, case, output, got, inputs, ctor, verdicts)
        return _state_of_a_stub(spec, _given_a_lawless_draw(spec, verdicts))

    # -------------------------------------------------------------- judging one output
    def _judge(self, spec: OpSpec, case: Case, output: str, header: dict[str, Any],
               arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
               expected: dict[str, np.ndarray]) -> Verdict:
        verdict = Verdict(spec.name, output, case, "fail")
        if output in header["errors"]:
            err = header["errors"][output]
            verdict.error = err
            verdict.status = "not_implemented" if err["not_implemented"] else "error"
            verdict.message = describe_exception(err)
            template = untouched_template(err, self._root, self.edition.edition.templates
                                          if self.edition else None)
            if template is not None:   # read from the student's file, not the child's word
                verdict.status, verdict.message = "not_implemented", template
            return verdict
        info = header["outputs"].get(output)
        if info is None:
            return _protocol(verdict, f"{_call_of(spec, output)}: no value came back")
        if "special" in info:
            verdict.status = "not_implemented"
            verdict.message = (f"{_call_of(spec, output)} returned {info['special']}: "
                               "is it still a stub?")
            return verdict
        changes = self._mutation(spec, output, arrays, inputs)
        verdict = self._judge_returned(spec, case, output, info, arrays, inputs,
                                       expected[output], verdict)
        return self._in_place(spec, output, verdict, changes)

    def _judge_returned(self, spec: OpSpec, case: Case, output: str, info: dict[str, Any],
                        arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
                        want: np.ndarray, verdict: Verdict) -> Verdict:
        """`verdict` on what the call returned for `output`: its type, shape and values."""
        got = arrays.get(f"out/{output}")
        verdict.got, verdict.expected = got, want
        if got is None and "repr" not in info:
            return _protocol(verdict, f"{_call_of(spec, output)} returned a {info['type']}, "
                                      "but no array of it came back")
        if got is None:
            verdict.comparison = Comparison("type", "")
            verdict.message = (f"{_call_of(spec, output)} returned a {info['type']} "
                               f"({info['repr']}); expected a numpy.ndarray")
            return verdict
        cmp = self._compare(spec, output, got, want)
        if not cmp.ok and cmp.kind in ("values", "nonfinite"):
            matched = self._match_under_alternatives(spec, case, output, got)
            if matched:
                verdict.convention = matched
                cmp = replace(cmp, kind="match", message=f"matches under {matched}")
                verdict.notes.append(f"matches the reference under the convention {matched}")
        verdict.comparison = cmp
        verdict.notes.extend(cmp.warnings)
        created = self._created_problem(spec, output, arrays, inputs, verdict)
        problem = cmp.message if not cmp.ok else ""
        contract = None if problem else _type_problem(spec, output, info)
        if contract is not None:   # the values match, as the wrong type or dtype
            problem = contract[1]
            verdict.comparison = replace(cmp, kind=contract[0], message=problem)
        if created and not problem:
            problem = created
            verdict.comparison = replace(cmp, kind="created", message=created)
        if problem:
            verdict.message = problem
            return verdict
        verdict.status, verdict.message = "pass", cmp.message
        return verdict

    def _created_problem(self, spec: OpSpec, output: str, arrays: dict[str, np.ndarray],
                         inputs: dict[str, np.ndarray], verdict: Verdict) -> str:
        """A message if the op created a parameter (`spec.creates`: HW6's `_init_parameters`)
        in a shape the contract does not name, or none (judged with the forward, which a wrong
        parameter would break in training); the shapes are those of the created arrays the
        child sent back. Broadcast-equal shapes pass with a note where gradients may be
        broadcast-equal."""
        if output != "forward" or not spec.creates:
            return ""
        wrong = []
        for key in spec.param_shapes:
            want, created = inputs[key].shape, arrays.get(f"created/{key}")
            shape = None if created is None else created.shape
            if shape == want:
                continue
            if shape is not None and "broadcast" in self.profile.grad_shape \
                    and broadcast_equal(shape, want):
                verdict.notes.append(  # worded alike on every case: one note per bug
                    f"{spec.creates.partition('(')[0]} creates {key} with {len(shape)} axes "
                    f"where the contract wants {spec.param_shapes[key]}: it broadcasts the "
                    "same, but the contract wants exactly that shape")
                continue
            wanted = f"the contract wants {spec.param_shapes[key]} = {want}"
            wrong.append(f"{key} with shape {shape} ({wanted})" if shape is not None else
                         f"no {key} array (none came back; {wanted})")
        if not wrong:
            return ""
        message = (f"{spec.cls}.{spec.creates} created " + " and ".join(wrong)
                   + "; a layer built this way breaks in training (the forward's values here "
                   "are right only because the check sets W and b to the case's own)")
        verdict.causes.append(Cause("created_shape", message))
        return message

    def _compare(self, spec: OpSpec, output: str, got: np.ndarray,
                 want: np.ndarray) -> Comparison:
        if spec.scalar(output) and got.size == 1:
            got = got.reshape(())  # a loss is a scalar, however it is wrapped
        # a parameter's gradient or state (dW, db, dgamma, running_mean, ...): its shape may
        # be broadcast-equal under the profile's grad_shape; an op's output and dX may not
        loose_shape = output not in ("forward", "dX") and "broadcast" in self.profile.grad_shape
        return compare_output(got, want, spec.axes(output, want.ndim), self.tolerance,
                              allow_broadcast_shape=loose_shape)

    def _match_under_alternatives(self, spec: OpSpec, case: Case, output: str,
                                  got: np.ndarray) -> str | None:
        preferred = self.profile.preferred
        for conv in self.profile.alternatives():
            changed = [k for k in REFERENCE_CONVENTIONS
                       if getattr(conv, k) != getattr(preferred, k)]
            if not changed or conv.grad_shape != preferred.grad_shape:
                continue
            try:
                want = _cached_reference(spec.name, case, conv)[output]
            except RuntimeError:  # e.g. dY does not fit the output shape under this convention
                continue
            if self._compare(spec, output, got, want).ok:
                return ", ".join(f"{k}={getattr(conv, k)}" for k in changed)
        return None

    def _mutation(self, spec: OpSpec, output: str, arrays: dict[str, np.ndarray],
                  inputs: dict[str, np.ndarray]) -> list[InPlaceChange] | None:
        """The inputs that the call computing `output` modified in place, from the copies of
        the inputs the child sent after each call; None when a copy the judgement needs did
        not come back (after that call, and after the forward before a backward)."""
        stage = _stage_of(spec, output)
        before = "forward" if stage == "backward" else None
        after = {(s, name): arrays.get(f"after/{s}/{name}")
                 for s in filter(None, (before, stage)) for name in inputs}
        if any(copy is None or copy.shape != inputs[name].shape
               for (_, name), copy in after.items()):
            return None
        changes = []
        for name, original in inputs.items():
            found = compare_unmodified(name, after[before, name] if before else original,
                                       after[stage, name], spec.axes(name, original.ndim))
            if found is not None:
                changes.append(found)
        return changes

    def _in_place(self, spec: OpSpec, output: str, verdict: Verdict,
                  changes: list[InPlaceChange]) -> Verdict:
        """`verdict` once the inputs its call modified in place are weighed: wrong returned
        values stay the verdict (the change is a note); right ones pass with a warning or fail,
        as the profile's inputs_in_place says (harness/core/conventions.py IN_PLACE). What the
        verdict localizes (worst |err|, got, expected) stays the returned output's. Without
        the copies of the inputs after the call (`changes` None) right values are a protocol
        error: whether the call modified its inputs is not known."""
        call = _stage_call(spec, _stage_of(spec, output))
        if changes is None:
            missing = f"{call}: no copy of the inputs after the call came back"
            if verdict.status != "pass":
                verdict.notes.append(missing)
                return verdict
            return _protocol(verdict, missing)
        if not changes:
            return verdict
        if verdict.status != "pass":
            verdict.notes.extend(c.message(call, "also") for c in changes)
            return verdict
        if IN_PLACE[self.profile.inputs_in_place].passes:
            verdict.notes.extend(c.message(call, "warn") for c in changes)
            return verdict
        message = "; ".join(c.message(call, "fail") for c in changes)
        assert verdict.comparison is not None   # a passing verdict compared its values
        return replace(verdict, status="fail", message=message,
                       comparison=replace(verdict.comparison, kind="mutated", message=message))


def _stage_of(spec: OpSpec, output: str) -> str:
    """The call that computes `output`: the forward (its output, a function API's state, both
    values of a loss function), or the backward (dX and the gradients)."""
    calls = spec.calls
    if output == "forward" or calls is not None and (calls.loss or output in calls.state):
        return "forward"
    return "backward"


def _protocol(verdict: Verdict, what: str) -> Verdict:
    """`verdict` failed because the child's answer lacks what judging it needs: a value, the
    copies of the inputs after a call, the parameters a layer created (issue #21: a missing
    piece is never a silent pass)."""
    message = f"{what} (not compared: the sandboxed process's answer is incomplete)"
    verdict.status, verdict.message = "error", message
    verdict.error = {"stage": "run", "type": "protocol", "message": message}
    verdict.comparison = Comparison("missing", message)
    return verdict


def _stage_call(spec: OpSpec, stage: str) -> str:
    """The call of `stage` as the student wrote it ("ReLU.backward", "relu_backward")."""
    if spec.calls is None:
        return f"{spec.cls}.{stage}"
    backward = stage == "backward" and spec.calls.backward is not None
    return spec.calls.backward if backward else spec.calls.forward


# Large enough for every case of a rubric with its convention alternatives: grading reuses the
# same cases for every submission (an LRU cache smaller than one cycle would always miss).
@lru_cache(maxsize=8192)
def _cached_reference(op: str, case: Case, conventions: Conventions) -> dict[str, np.ndarray]:
    """The twin's outputs for a seeded case: from this process's memory, else from the
    on-disk cache (harness/core/refcache.py), else computed (and stored there)."""
    spec = get_op(op)
    on_disk = not get_api(spec.api).adapter   # a user adapter's twins are not cached
    if on_disk:
        found = refcache.load(op, case.id, conventions)
        if found is not None:
            return found
    value = reference_outputs(spec, spec.ctor(case), spec.inputs(case), conventions)
    if on_disk:
        refcache.store(op, case.id, conventions, value)
    return value


def _judge_derived(spec: OpSpec, case: Case, output: str, got: dict[str, np.ndarray],
                   inputs: dict[str, np.ndarray], ctor: dict[str, Any],
                   verdicts: dict[str, Verdict]) -> Verdict:
    """A derived output (dropout's mask): not judged while what it is derived from failed to
    come back; else by the op's own test."""
    source = verdicts.get("forward")
    if source is not None and source.status in ("error", "not_implemented", "timeout"):
        return replace(source, output=output, got=None, expected=None)
    assert spec.judge is not None
    try:
        ok, message = spec.judge(output, got, inputs, ctor)
    except Exception as exc:  # noqa: BLE001 - what came back may be anything
        ok, message = False, f"{output} could not be judged from what forward returned: {exc}"
    kind = "match" if ok else "values"
    return Verdict(spec.name, output, case, "pass" if ok else "fail", message,
                   comparison=Comparison(kind, message),
                   causes=[] if ok else [Cause("random_draw", message)])


def _given_a_lawless_draw(spec: OpSpec, verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """The outputs compared with the twin given the implementation's own random draw
    (`spec.given`: the units its dropout kept) match by construction whatever that draw is;
    they earn nothing while the draw itself fails its law (`spec.derived`: a dropout that
    keeps nothing matches a twin given the same nothing). They point at the draw's verdict
    (`caused_by`), so the fix list shows one bug."""
    failed = next((verdicts[o] for o in spec.derived if verdicts[o].status == "fail"), None)
    if spec.given is None or failed is None:
        return verdicts
    message = f"matches the twin only given its own random draw, which fails: {failed.message}"
    for output in spec.asked:
        if verdicts[output].passed:
            verdicts[output] = replace(
                verdicts[output], status="fail", message=message, got=None, expected=None,
                comparison=Comparison("values", message),
                causes=[Cause("random_draw", failed.message)],
                caused_by={"op": spec.name, "output": failed.output})
    return verdicts


def _state_of_a_stub(spec: OpSpec, verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """A function API's state (bn_param's running statistics) is the forward's work: while
    the forward is a stub, what it left there is not implemented either, not wrong."""
    forward = verdicts.get("forward")
    if spec.calls is None or forward is None or forward.status != "not_implemented":
        return verdicts
    for name in spec.calls.state:
        if name in verdicts and not verdicts[name].passed:
            verdicts[name] = replace(verdicts[name], status="not_implemented", comparison=None,
                                     message=f"{forward.message} (so bn_param['{name}'] is "
                                             "not computed either)")
    return verdicts


def _call_of(spec: OpSpec, output: str) -> str:
    """The call that computed `output`, as the student wrote it."""
    if spec.calls is not None:  # a function API: which of its values
        calls = spec.calls
        if output in calls.state:
            return f"{calls.forward} (bn_param['{output}'])"
        names = ("forward", "dX") if calls.loss else calls.grads
        what = calls.forward if calls.loss or output == "forward" else calls.backward
        if output == "forward" and not calls.loss:
            return f"{what} (out)"
        return f"{what} ({output}, value {names.index(output) + 1} of {len(names)})"
    return {"forward": f"{spec.cls}.forward", "dX": f"{spec.cls}.backward",
            "dW": f"{spec.cls}.backward (gradients['W'])",
            "db": f"{spec.cls}.backward (gradients['b'])"}.get(output, f"{spec.cls} {output}")


def _type_problem(spec: OpSpec, output: str, info: dict[str, Any]
                  ) -> tuple[Literal["type", "dtype"], str] | None:
    """("type" or "dtype", the message) if the values match but the returned type or dtype
    breaks the contract."""
    scalar_ok = spec.scalar(output) and info["type"] in SCALAR_TYPES
    if info["type"] != "numpy.ndarray" and not scalar_ok:
        return "type", (f"{_call_of(spec, output)} returned a {info['type']}, not a "
                        "numpy.ndarray (the values match after conversion)")
    if info.get("dtype") != "float64":   # read from the returned bytes (`received`)
        complex_ = " (its real part matches)" if "complex" in str(info.get("dtype")) else ""
        return "dtype", (f"{_call_of(spec, output)} returned dtype {info.get('dtype')}; the "
                         f"contract is float64 (the values match within tolerance{complex_})")
    return None


# Exceptions that code written for older NumPy or for Python 2 raises here, and what to say:
# (type, the start of the message, the hint).
OLDER_CODE_HINTS = (
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars",
     "NumPy 2 no longer turns a 1-element array into a Python number (NumPy 1.25 warned): "
     "use .item() or index it"),
    ("ValueError", "setting an array element with a sequence",
     "if the value is a 1-element array, NumPy before 2 took it as a number (1.25 warned): "
     "use .item(); if it has more elements, its shape is wrong"),
    ("TypeError", "Cannot cast array data from dtype('float64') to dtype('int64')",
     "an index or size computed with / is a float in Python 3 (Python 2's / divided integers "
     "exactly): use //"),
    ("TypeError", "'float' object cannot be interpreted as an integer",
     "a size computed with / is a float in Python 3 (Python 2's / divided integers exactly): "
     "use //"),
)


def describe_exception(err: dict[str, Any], head: str = "") -> str:
    """One line: what was raised (`head`, default "STAGE raised" or "not implemented"), and
    where in the implementation's own files."""
    if err.get("type") in ("timeout", "crashed"):
        return str(err.get("message"))
    head = head or ("not implemented" if err.get("not_implemented")
                    else f"{err.get('stage')} raised")
    text = f"{head}: {err.get('type')}: {err.get('message')}"
    if "file" in err:
        text += (f" (at {err['file']}:{err.get('line')} in {err.get('function')}: "
                 f"{err.get('code')})")
    hint = err.get("hint") or next((h for kind, start, h in OLDER_CODE_HINTS
                                    if err.get("type") == kind
                                    and str(err.get("message", "")).startswith(start)), "")
    if hint:
        text += f"; {hint}"
    return text
