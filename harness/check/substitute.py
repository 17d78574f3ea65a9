"""Each root cause charged once: rerun what failed through another op with that op replaced.

A FullyConnected case with act=sigmoid fails when the student's Sigmoid fails, whatever the
layer's own code does; a NeuralNetwork fails when any of its layers does. Charging both would
charge one bug twice. So, op by op in the table's order (activations before layers before
whole models), an op "fails on its own" when some of its cases still fail once the ops they
use that fail on their own are replaced. Every failing case of a later op that uses such an
op (`Api.uses`) is run again in a fresh child in which the module holding it comes from
student_nn, or, when it is in the later op's own file, its class does (mytorch's CTCLoss
runs CTC: `Checker.substitutes`; that child never checks the substituted op), and the
case's verdicts become what the op's own code then earns, with ``depends_on`` naming the ops
replaced. Cases that passed are not rerun: a correct op is not judged again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import replace

from harness.check.checker import Checker
from harness.core.cases import Case
from harness.core.registry import OpSpec, get_op
from harness.core.verdict import Verdict

# (op, case ID) -> that case's verdicts, one per output
Verdicts = MutableMapping[tuple[str, str], dict[str, Verdict]]


def charge_once(checker: Checker, specs: Iterable[OpSpec], verdicts: Verdicts,
                seed: int = 0) -> None:
    """Rerun, with the failing ops they use substituted, the failing cases of `specs` (in
    order) in `verdicts`, replacing their verdicts; leaves `checker.failing` set to the ops
    that fail on their own, so that later reruns (the investigation's) see the same ops.
    An op a case uses that is not among `specs` (``check --ops network``) is checked on
    PROBE_CASES cases of its own to tell."""
    specs = list(specs)
    checker.failing = frozenset()
    probed: dict[str, bool] = {s.name: False for s in specs}   # op -> fails on its own
    for spec in specs:
        keys = [key for key in verdicts if key[0] == spec.name]
        for key in keys:
            if all(v.passed for v in verdicts[key].values()) or _not_run(verdicts[key]):
                continue
            case = Case.from_id(key[1])
            used = checker.api.uses(spec, case) if checker.api.uses else frozenset()
            for op in used - probed.keys():
                probed[op] = _fails_alone(checker, op, seed)
                if probed[op]:
                    checker.failing |= {op}
            used &= checker.failing
            if used:
                rerun = checker.check(spec, case)
                verdicts[key] = {o: replace(v, depends_on=tuple(sorted(used)))
                                 for o, v in rerun.items()}
        if any(not v.passed for key in keys for v in verdicts[key].values()) \
                and not all(absent(checker, spec, verdicts[key]) for key in keys):
            checker.failing |= {spec.name}


PROBE_CASES = 4


def _not_run(found: dict[str, Verdict]) -> bool:
    """The case never ran the implementation's code (its module is missing or does not
    import, its op gave up, the time budget was spent): there is nothing of its own to judge,
    and a rerun must not earn what was never written."""
    return any((v.error or {}).get("not_run") for v in found.values())


def _fails_alone(checker: Checker, op: str, seed: int) -> bool:
    """Whether `op`, not checked in this run, fails on any of PROBE_CASES cases of its own
    (an op its edition leaves out is never substituted: the cases using it are not drawn)."""
    spec = get_op(op)
    if checker.edition is not None and not checker.edition.edition.asks(op):
        return False
    found = [checker.check(spec, case) for case in checker.spec_of(spec).cases(PROBE_CASES, seed)]
    if all(absent(checker, spec, verdicts) for verdicts in found):
        return False   # not this checkout's to write (mytorch's HW2P1 classes in HW1P1)
    return any(not v.passed for verdicts in found for v in verdicts.values())


def absent(checker: Checker, spec: OpSpec, verdicts: Mapping[str, Verdict]) -> bool:
    """An optional op whose (forward) function or class the module does not define: not
    checked, not graded, never substituted. The child says which name it did not find; the
    parent takes that only where the implementation's own file does not define the name
    (a submission that claimed a failing op absent would leave it out of its grade)."""
    claimed = spec.optional and all((v.error or {}).get("absent") == spec.cls
                                    for v in verdicts.values())
    return claimed and not checker.defines(spec)


def absent_reason(checker: Checker, spec: OpSpec) -> str:
    """Why an absent optional op is not checked (nor graded): its module's file has no such
    class or function, or there is no such file."""
    where = f"{spec.module.replace('.', '/')}.py"
    if checker.api.loader.module_files(checker.package_dir).get(spec.module) is None:
        return f"there is no {where} (so no {spec.cls}), which not every year's assignment " \
               "asks for"
    return f"{where} has no {spec.cls}, which not every year's assignment asks for"
