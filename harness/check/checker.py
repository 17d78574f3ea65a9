"""Judge one case: run the implementation in its sandbox, the twin here, compare outputs.

`Checker.check(spec, case)` returns one `Verdict` (harness/core/verdict.py) per compared
output. Statuses: pass | fail | error (an exception or a crash) | not_implemented | timeout.
A mismatch is retried against the reference under each alternative convention that the
profile accepts; a match there passes with a note naming the convention.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from harness.apis import known  # noqa: F401 - a checker knows the built-in APIs
from harness.core import twin
from harness.core.array_layouts import LAYOUTS
from harness.core.cases import Case
from harness.core.compare import (
    DEFAULT_TOLERANCE,
    Comparison,
    InPlaceChange,
    Kind,
    Tolerance,
    broadcast_equal,
    compare_output,
    compare_unmodified,
)
from harness.core.conventions import DEFAULT_PROFILE, IN_PLACE, Profile
from harness.core.editions import Detected
from harness.core.loading import Plan, Replacement
from harness.core.opspec import Handout
from harness.core.registry import OpSpec, default_api, get_api, get_op, judge_of
from harness.core.stubs import untouched_template
from harness.core.verdict import (
    Status,
    Trace,
    Verdict,
    _trace,
    describe_exception,
    is_outage,
    not_run,
    received,
)
from harness.diagnosis.causes import Cause
from harness.sandbox.parent import Limits, Outage, Policy, Sandbox

# Conventions that change what the reference computes (grad_shape is judged in comparison).
REFERENCE_CONVENTIONS = ("maxpool_pad", "same_pad", "l2_reduction")
SCALAR_TYPES = ("builtins.float", "numpy.float64", "numpy.ndarray")


# Checker(graded=PER_OP), check's default: see Checker.__init__.
PER_OP: Final = "per-op"

# After this many timeouts or crashes of an op in a row, its remaining cases are not run.
OUTAGES_BEFORE_GIVING_UP = 2


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
        spec.check_case(case)   # an adapter's expression that fails: its error, not the code's
        inputs, ctor = spec.inputs(case), spec.ctor(case)
        given = edition.edition.rename(ctor) if edition else ctor  # that year's names
        request = {"cmd": "run", "kind": spec.kind, "module": spec.module, "cls": spec.cls,
                   "ctor": given, "outputs": list(spec.asked)}
        return cls(case, inputs, ctor, {**request, **spec.request()})


class Checker:
    """Checks cases of one implementation; owns its sandbox (close it, or use `with`)."""

    def __init__(self, impl: str | Path | None = None, profile: Profile = DEFAULT_PROFILE,
                 tolerance: Tolerance = DEFAULT_TOLERANCE, limits: Limits | None = None,
                 graded: tuple[str, ...] | None | Literal["per-op"] = PER_OP,
                 starter: str | Path | None = None, api: str | None = None,
                 edition: Detected | None = None, policy: Policy | None = None,
                 share: str | Path | None = None) -> None:
        """`graded`: the modules that are always the implementation's own. The default,
        PER_OP (``check``), grades the modules of the single ops (activations, layers,
        losses) and, for an op of another module (models, optimizers, weights), that module
        too, in a child of its own: so a layer is checked with the modules grading would
        give it, and `sgd` checks the implementation's own optimizers.py. `edition`: the
        year's assignment the implementation follows (its semantics apply to every case);
        `policy` and `share` go to every child (grading's uid, limits and staged copy)."""
        self.api = get_api(api) if api is not None else default_api()
        found = Path(impl) if impl else self.api.bundled
        if found is None:
            raise ValueError(f"no implementation to check: the {self.api.name} API has no "
                             "bundled one (an adapter's `example`); give impl (--impl)")
        self.impl: Path = found
        self.profile = profile
        self.tolerance = tolerance
        self.edition = edition
        self.per_op = graded == PER_OP
        if self.api.functions:   # a function API: its modules, no starter, one child
            graded, starter, self.per_op = self.api.modules, None, False
        graded = self.api.base_modules if self.per_op else graded
        assert not isinstance(graded, str)   # PER_OP, the one string, was replaced
        self.limits, self.policy, self.share = limits, policy, share
        self.graded, self.starter = graded, Path(starter) if starter else None
        # Ops that fail on their own: the cases of other ops that use one run with its
        # module from student_nn, in children of their own (harness/check/substitute.py).
        self.failing: frozenset[str] = frozenset()
        self._outages: dict[str, list[Verdict]] = {}  # op -> its timeouts/crashes in a row
        self._sandboxes: dict[tuple[tuple[str, ...] | None, tuple[str, ...]], Sandbox] = {}
        self.sandbox = self._sandbox(graded, ())

    def _sandbox(self, graded: tuple[str, ...] | None, substitute: tuple[str, ...]
                 ) -> Sandbox:
        """The child grading `graded` with `substitute` from student_nn (made once)."""
        key = (graded, substitute)
        if key not in self._sandboxes:
            self._sandboxes[key] = Sandbox(str(self.impl), graded, self.limits, self.policy,
                                           starter=self.starter, share=self.share,
                                           loader=self.api.loader, substitute=substitute)
        return self._sandboxes[key]

    @cached_property
    def package_dir(self) -> Path:
        """The folder of the implementation's modules (its package, or its library's)."""
        return self.api.loader.locate(self.impl)

    def defines(self, spec: OpSpec) -> bool:
        """Whether the implementation's own file of `spec`'s module defines (or imports) its
        class or function, read from the file by the parent."""
        file = self.api.loader.module_files(self.package_dir).get(spec.module)
        if file is None or not file.is_file():
            return False
        name = re.escape(spec.cls)
        found = re.search(rf"^[ \t]*(?:class|def)[ \t]+{name}\b|^{name}[ \t]*=|"
                          rf"^[ \t]*from[ \t].*\bimport\b.*\b{name}\b",
                          file.read_text(errors="replace"), re.MULTILINE)
        return found is not None

    @property
    def _root(self) -> Path:
        """The folder the child names the implementation's files relative to."""
        return self.package_dir.parent

    def _redefined_by(self, spec: OpSpec) -> str:
        """The edition that redefines `spec` (its twin is that year's), else ""."""
        edition = self.edition.edition if self.edition else None
        return edition.name if edition and spec.name in edition.redefines else ""

    def spec_of(self, spec: OpSpec) -> OpSpec:
        """`spec` as the implementation's edition defines it (harness/core/editions.py)."""
        return self.edition.edition.spec(spec, self.api.uses) if self.edition else spec

    def substitutes(self, spec: OpSpec, case: Case,
                    graded: tuple[str, ...] | None = None) -> tuple[str, ...]:
        """The modules of the ops failing on their own that `case` uses that student_nn's
        can stand in for, in a child grading `graded`; of those whose file is `spec`'s own,
        their classes, replaced inside it (`Replacement`: CTCLoss's file's CTC, Fall 2022's
        conv.py's Conv2d_stride1 for its ConvTranspose2d)."""
        if not self.failing or self.api.uses is None:
            return ()
        files = self.api.loader.module_files(self.package_dir)
        own = files.get(spec.module)
        used = [get_op(op) for op in self.api.uses(spec, case) & self.failing]
        inside = [op for op in used
                  if op.module == spec.module or (own and files.get(op.module) == own)]
        entries = {op.module for op in used if op not in inside}
        for source in sorted({op.module for op in inside}):
            names = sorted({n for op in inside if op.module == source for n in op.names}
                           - set(spec.names))
            if names:
                entries.add(Replacement(spec.module, tuple(names), source).entry)
        return tuple(sorted(m for m in entries if self._substitutable(m, graded)))

    @cache  # noqa: B019 - one Checker per implementation, a few modules
    def _substitutable(self, module: str, graded: tuple[str, ...] | None) -> bool:
        """Whether student_nn's `module` can stand in for the implementation's (it has every
        name the rest of the running code imports from it): else nothing is substituted."""
        return self.api.loader.substitutable(self.package_dir, module, graded)

    def sandbox_for(self, spec: OpSpec, case: Case | None = None) -> Sandbox:
        """The child that runs `spec` (see `graded` above) on `case`: one with the modules of
        failing ops the case uses taken from student_nn, when there are any."""
        graded: tuple[str, ...] | None
        own = self.graded or ()
        if self.per_op and spec.module not in own:
            # HW6's optimizers.py and weights.py share a child: no op of one touches the other
            leaves = self.api.leaf_modules
            graded = (*own, *(leaves if spec.module in leaves else (spec.module,)))
        else:
            graded = self.graded
        swap = self.substitutes(spec, case, graded) if case is not None else ()
        return self._sandbox(graded, (*swap, *self.handout(spec, graded)))

    def handout(self, spec: OpSpec, graded: tuple[str, ...] | None) -> tuple[str, ...]:
        """The stand-ins for the course's handout files `spec`'s code runs with
        (`OpSpec.handout`), as the loader's substitutions ("nn.activation=activation_2024"):
        not where the implementation has the handout's own file (any file of that name: a
        checkout of every homework may keep HW1P1's nn/activation.py and HW3P1's
        activation.py), nor where the module's file is also the op's own (a student who keeps
        Tanh in rnn_cell.py keeps it)."""
        if spec.handout:
            return self._handout(spec.handout, graded)
        return ()

    @cache  # noqa: B019 - one Checker per implementation, a few handout files
    def _handout(self, handout: tuple[Handout, ...], graded: tuple[str, ...] | None
                 ) -> tuple[str, ...]:
        files = self.api.loader.module_files(self.package_dir)

        def own(given: Handout) -> bool:
            leaf = given.module.rpartition(".")[2]
            found = {files.get(given.module), *self.package_dir.rglob(f"{leaf}.py")}
            return bool(given.own) and any(
                re.search(given.own, file.read_text(errors="replace")) is not None
                for file in found if file is not None)

        entries = (f"{h.module}={h.stand_in}" for h in handout if not own(h))
        return tuple(e for e in entries if self._substitutable(e, graded))

    def start(self, specs: Iterable[OpSpec]) -> None:
        """Start the children that will run `specs` now, without waiting for them: they
        import NumPy and the implementation while this process does other work."""
        children = (self.sandbox_for(self.spec_of(spec)) for spec in specs)
        for sandbox in {id(sb): sb for sb in children}.values():
            sandbox.start()

    def sandboxes(self) -> list[Sandbox]:
        return list(self._sandboxes.values())

    def close(self) -> None:
        for sandbox in self._sandboxes.values():
            sandbox.close()

    def plan(self) -> Plan:
        """Where each of the implementation's modules comes from (its API's `Loader.plan`)."""
        loader = self.api.loader
        plan = loader.plan(self.package_dir, self.graded, self.starter)
        for graded, swap in self._sandboxes:  # PER_OP: those modules, as their child had them
            extra = tuple(m for m in graded or () if m not in (self.graded or ()))
            if swap or not extra:
                continue
            own = loader.plan(self.package_dir, graded, self.starter)
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
            status: Status = "timeout" if answer.status == "timeout" else "error"
            msg = f"{spec.cls}: {answer.detail}"
            return {o: Verdict(spec.name, o, case, status, msg,
                               error={"stage": "run", "type": answer.status, "message": msg})
                    for o in spec.outputs}
        header, arrays = received(*answer)
        got = {k.removeprefix("out/"): v for k, v in arrays.items() if k.startswith("out/")}
        if spec.given is not None:  # the twin computes with the implementation's draw
            expected = twin.reference_outputs(spec, ctor, {**inputs, **spec.given(got, inputs)},
                                         self.profile.preferred)
        else:
            expected = twin.cached_reference(spec.name, case, self.profile.preferred,
                                             self._redefined_by(spec))
        judge = judge_of(spec)
        if judge is not None:
            return judge.judge_case(self, spec, case, header, arrays, inputs, expected)
        stdout = header.get("stdout", "")
        assert isinstance(stdout, str)   # set by the parent (Sandbox._answer), never the child
        verdicts = {o: replace(self._judge(spec, case, o, header, arrays, inputs, expected),
                               stdout=stdout)
                    for o in spec.asked}
        # what the checks assume (an adapter's eps), said once for the op: with its first output
        verdicts[spec.asked[0]].notes.extend(spec.notes)
        for output in spec.derived:
            verdicts[output] = _judge_derived(spec, case, output, got, inputs, ctor, verdicts)
        return _state_of_a_stub(spec, _given_a_lawless_draw(spec, verdicts))

    # -------------------------------------------------------------- judging one output
    def _judge(self, spec: OpSpec, case: Case, output: str, header: dict[str, Any],
               arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
               expected: twin.Expected) -> Verdict:
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
            return _protocol(verdict, f"{spec.call_of(output)}: no value came back")
        if "special" in info:
            verdict.status = "not_implemented"
            verdict.message = (f"{spec.call_of(output)} returned {info['special']}: "
                               "is it still a stub?")
            return verdict
        changes = self._mutation(spec, output, arrays, inputs)
        want = expected[output]
        assert not isinstance(want, twin.Law)   # an initializer's law: its API's judge's
        verdict = self._judge_returned(spec, case, output, info, arrays, inputs,
                                       want, verdict)
        return self._in_place(spec, output, verdict, changes)

    def _judge_returned(self, spec: OpSpec, case: Case, output: str, info: dict[str, Any],
                        arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
                        want: np.ndarray, verdict: Verdict) -> Verdict:
        """`verdict` on what the call returned for `output`: its type, shape and values."""
        got = arrays.get(f"out/{output}")
        verdict.got, verdict.expected = got, want
        if got is None and "repr" not in info:
            return _protocol(verdict, f"{spec.call_of(output)} returned a {info['type']}, "
                                      "but no array of it came back")
        if got is None:
            verdict.comparison = Comparison("type", "")
            verdict.message = (f"{spec.call_of(output)} returned a {info['type']} "
                               f"({info['repr']}); expected a numpy.ndarray")
            return verdict
        returned = got
        got = spec.to_twin(output, got, inputs, want)   # an adapter's layout, as the twin's
        verdict.got = got
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
        contract: tuple[Kind, str] | None = None if problem else _type_problem(
            spec, output, info, spec.dtypes or self.api.dtypes)
        laid_out = "" if problem or contract else self._layout_problem(spec, output, returned,
                                                                       want, verdict)
        if laid_out:   # the twin's values in a shape the library's own layout is not
            contract = ("shape", laid_out)
        if contract is not None:   # the values match, as the wrong type, dtype or layout
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
        return compare_output(got, want, spec.axes(output, want.ndim),
                              spec.tolerance or self.tolerance,
                              allow_broadcast_shape=self._loose_shape(output))

    def _layout_problem(self, spec: OpSpec, output: str, returned: np.ndarray,
                        want: np.ndarray, verdict: Verdict) -> str:
        """Why `returned` is not in the implementation's own layout of `want`, when it has
        one the twin's is not (an adapter's W (out, in)); "" when it is, or when it is
        broadcast-equal where the profile lets a gradient be (with a note)."""
        shape, layout = spec.returned_shape(output, want)
        if not layout or returned.shape == shape:
            return ""
        if self._loose_shape(output) and broadcast_equal(returned.shape, shape):
            verdict.notes.append(f"{spec.call_of(output)} has shape {returned.shape} where the "
                                 f"library's layout ({layout}) is {shape}: it broadcasts the "
                                 "same, but is not that layout")
            return ""
        return (f"{spec.call_of(output)} has shape {returned.shape}; in the library's layout "
                f"({layout}: {LAYOUTS[layout].text}) it is {shape} (the values match)")

    def _loose_shape(self, output: str) -> bool:
        """Whether `output` may come in a broadcast-equal shape under the profile: a
        parameter's gradient or state (dW, db, running_mean), not an op's output or dX."""
        return output not in ("forward", "dX") and "broadcast" in self.profile.grad_shape

    def _match_under_alternatives(self, spec: OpSpec, case: Case, output: str,
                                  got: np.ndarray) -> str | None:
        preferred = self.profile.preferred
        for conv in self.profile.alternatives():
            changed = [k for k in REFERENCE_CONVENTIONS
                       if getattr(conv, k) != getattr(preferred, k)]
            if not changed or conv.grad_shape != preferred.grad_shape:
                continue
            try:
                want = twin.cached_reference(spec.name, case, conv,
                                             self._redefined_by(spec))[output]
            except RuntimeError:  # e.g. dY does not fit the output shape under this convention
                continue
            assert not isinstance(want, twin.Law)   # an initializer's law: its API's judge's
            if self._compare(spec, output, got, want).ok:
                return ", ".join(f"{k}={getattr(conv, k)}" for k in changed)
        return None

    def _mutation(self, spec: OpSpec, output: str, arrays: dict[str, np.ndarray],
                  inputs: dict[str, np.ndarray]) -> list[InPlaceChange] | None:
        """The inputs that the call computing `output` modified in place, from the copies of
        the inputs the child sent after each call; None when a copy the judgement needs did
        not come back (after that call, and after the forward before a backward)."""
        stage = spec.stage_of(output)
        before = "forward" if stage == "backward" else None
        after = {(s, name): arrays.get(f"after/{s}/{name}")
                 for s in filter(None, (before, stage)) for name in inputs}
        if any(copy is None or copy.shape != inputs[name].shape
               for (_, name), copy in after.items()):
            return None
        changes = []
        for name, original in inputs.items():
            then, now = after[before, name] if before else original, after[stage, name]
            assert then is not None and now is not None   # else returned None above
            found = compare_unmodified(name, then, now, spec.axes(name, original.ndim))
            if found is not None:
                changes.append(found)
        return changes

    def _in_place(self, spec: OpSpec, output: str, verdict: Verdict,
                  changes: list[InPlaceChange] | None) -> Verdict:
        """`verdict` once the inputs its call modified in place are weighed: wrong returned
        values stay the verdict (the change is a note); right ones pass with a warning or fail,
        as the profile's inputs_in_place says (harness/core/conventions.py IN_PLACE). What the
        verdict localizes (worst |err|, got, expected) stays the returned output's. Without
        the copies of the inputs after the call (`changes` None) right values are a protocol
        error: whether the call modified its inputs is not known."""
        call = spec.stage_call(spec.stage_of(output))
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


def _protocol(verdict: Verdict, what: str) -> Verdict:
    """`verdict` failed because the child's answer lacks what judging it needs: a value, the
    copies of the inputs after a call, the parameters a layer created (issue #21: a missing
    piece is never a silent pass)."""
    message = f"{what} (not compared: the sandboxed process's answer is incomplete)"
    verdict.status, verdict.message = "error", message
    verdict.error = {"stage": "run", "type": "protocol", "message": message}
    verdict.comparison = Comparison("missing", message)
    return verdict


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
    kind: Kind = "match" if ok else "values"
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
    if forward is None or forward.status != "not_implemented":
        return verdicts
    for name in spec.state:
        if name in verdicts and not verdicts[name].passed:
            verdicts[name] = replace(verdicts[name], status="not_implemented", comparison=None,
                                     message=f"{forward.message} (so bn_param['{name}'] is "
                                             "not computed either)")
    return verdicts


def _type_problem(spec: OpSpec, output: str, info: dict[str, Any],
                  dtypes: tuple[str, ...] = ("float64",)
                  ) -> tuple[Literal["type", "dtype"], str] | None:
    """("type" or "dtype", the message) if the values match but the returned type or dtype
    breaks the contract (its API's `dtypes`)."""
    scalar_ok = spec.scalar(output) and info["type"] in SCALAR_TYPES
    if info["type"] != "numpy.ndarray" and not scalar_ok:
        return "type", (f"{spec.call_of(output)} returned a {info['type']}, not a "
                        "numpy.ndarray (the values match after conversion)")
    if info.get("dtype") not in dtypes:   # read from the returned bytes (`received`)
        complex_ = " (its real part matches)" if "complex" in str(info.get("dtype")) else ""
        return "dtype", (f"{spec.call_of(output)} returned dtype {info.get('dtype')}; the "
                         f"contract is {' or '.join(dtypes)} (the values match within "
                         f"tolerance{complex_})")
    return None


