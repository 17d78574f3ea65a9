"""Judging whole models, optimisers, weight initialisers and training parity.

`harness.check.checker.Checker` hands the cases of the kinds in `KINDS` here: the child has run the
implementation through `harness.core.driver` and sent back plain arrays (the collected outputs
and, for a model, the trace of every call); the twin's outputs come from the same driver
(`reference_outputs`). Every verdict is computed here, in the parent, from those arrays.

network    forward, loss, gradients, update: step 1 then step 2, each entry compared with the
           documented tolerance (`harness.core.compare`); predict: (Y_hat, loss). The first entry
           that differs names the step, the layer and the parameter. A failing case is
           localized by `harness.apis.hw6.model_localize` (which layer, or which model-code bug).
sgd, adam  update: the delta of every (step, parameter) in call order; the first that differs
           is named, and `harness.apis.hw6.optim_diagnose` says which usual bug the deltas match.
xavier_*, he_*
           scale and distribution: statistical tests of the draws against the law torch.nn.init
           draws from (`harness.diagnosis.init_stats`, false-alarm rate documented there).
training   loss and parameters after every step; the first step, layer and parameter where the
           implementation and its twin separate beyond the tolerance. The loss curves go into
           a note (`harness.core.results.curve_note`) that the reports draw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import reference
from harness.apis.hw6 import model_localize, optim_diagnose
from harness.apis.hw6.answer import Answer
from harness.apis.hw6.model_cases import parse_layers
from harness.core.cases import Case, param_ints
from harness.core.compare import Comparison, Element, Tolerance, compare_output
from harness.core.conventions import Conventions
from harness.core.driver import run_op
from harness.core.results import curve_note
from harness.diagnosis import init_stats
from harness.diagnosis.causes import Cause

if TYPE_CHECKING:
    from harness.core.api import CheckerView
    from harness.core.registry import OpSpec
    from harness.core.verdict import Status, Verdict

KINDS: tuple[str, ...] = ("model", "optimizer", "initializer", "training")
SCALAR_TYPES = ("builtins.float", "builtins.int", "numpy.float64", "numpy.float32",
                "numpy.ndarray")


# ---------------------------------------------------------------- the twin


def reference_outputs(spec: OpSpec, ctor: dict[str, Any], inputs: dict[str, np.ndarray],
                      conventions: Conventions) -> dict[str, Any]:
    """The twin's outputs for `spec`'s kind; a failure here is nnparity's bug, so it raises."""
    if spec.kind == "initializer":
        return {"law": reference.module("weights").law(ctor["name"], tuple(ctor["shape"]))}
    if spec.kind == "optimizer":
        cls: Any = reference.module("optimizers").initialize_optimizer
        ctor = {**ctor, "optional": {}}
    else:
        cls = reference.module("models").NeuralNetwork
        ctor = {**ctor, "model_kwargs": {"conventions": conventions}, "trace": False}
    with reference.one_torch_thread():
        run = run_op(spec.kind, cls, ctor, {k: np.array(v, copy=True)
                                            for k, v in inputs.items()}, spec.outputs)
    for _, exc in run.errors.values():
        if isinstance(exc, KeyboardInterrupt):
            raise exc
    if run.errors:
        name, (stage, exc) = next(iter(run.errors.items()))
        raise RuntimeError(f"reference {spec.name} failed in {stage} for {name}") from exc
    return {k: np.asarray(v, dtype=np.float64) for k, v in run.outputs.items()}


def describe_error(err: dict[str, Any], head: str = "") -> str:
    from harness.core.verdict import describe_exception  # local: evaluate imports this module
    return describe_exception(err, head)


# ---------------------------------------------------------------- comparing entries
@dataclass
class Entry:
    """One compared array of a collected output: its name, label and axes."""

    name: str          # the output's key, e.g. "gradients/2/dW1"
    label: str         # "step 2, layer 1 Conv2D dW"
    axes: tuple[str, ...]
    scalar: bool = False


@dataclass
class EntryResult:
    entry: Entry
    status: Status                    # pass | fail | not_implemented
    message: str
    comparison: Comparison | None = None
    got: np.ndarray | None = None
    expected: np.ndarray | None = None
    warnings: tuple[str, ...] = ()


def param_axes(key: str, ndim: int) -> tuple[str, ...]:
    """Axis names of a parameter (or its gradient or change): W, dW, b, db."""
    base = key.lstrip("d")[:1]
    if base == "W":
        return ("in", "out") if ndim == 2 else ("kh", "kw", "cin", "cout") if ndim == 4 \
            else tuple(f"axis{i}" for i in range(ndim))
    return ("_", "out") if ndim == 2 else tuple(f"axis{i}" for i in range(ndim))


def compare_entry(answer: Answer, entry: Entry, want: np.ndarray, tol: Tolerance,
                  loose_shape: bool, call: str) -> EntryResult:
    info = answer.info(entry.name)
    if info is None:   # the call returned no (Y_hat, loss) pair: a stub's `...` is not one
        info = answer.info(f"{entry.name.partition('/')[0]}/result")
        if info is None or "special" not in info:
            return EntryResult(entry, "fail", f"{entry.label}: no value (nothing was returned)",
                               Comparison("missing", "nothing returned"))
    if "special" in info:
        return EntryResult(entry, "not_implemented",
                           f"{entry.label}: {call} returned {info['special']}: is it still a "
                           "stub?")
    got = answer.array(entry.name)
    if got is None and "repr" not in info:   # described, but its array did not come back
        return EntryResult(entry, "fail", f"{entry.label}: {call} returned a {info['type']}, "
                                          "but no array of it came back (not compared)",
                           Comparison("missing", "no array came back"))
    if got is None:
        return EntryResult(entry, "fail", f"{entry.label}: {call} returned a {info['type']} "
                                          f"({info['repr']}); expected numbers",
                           Comparison("type", ""))
    if entry.scalar:
        if got.size == 1:
            got = got.reshape(())
        if info["type"] not in SCALAR_TYPES:
            cmp = Comparison("type", f"{call} returned a {info['type']}, not a number")
            return EntryResult(entry, "fail", f"{entry.label}: {cmp.message}", cmp, got, want)
    cmp = compare_output(got, want, entry.axes if want.ndim == len(entry.axes) else
                         tuple(f"axis{i}" for i in range(want.ndim)), tol,
                         allow_broadcast_shape=loose_shape)
    status: Status = "pass" if cmp.ok else "fail"
    return EntryResult(entry, status, f"{entry.label}: {cmp.message}", cmp, got, want,
                       cmp.warnings)


def first_failure(results: Iterator[EntryResult]) -> tuple[EntryResult | None, list[str]]:
    """The first entry that does not pass, and the warnings of those that passed before it."""
    warnings: list[str] = []
    for res in results:
        if res.status != "pass":
            return res, warnings
        warnings += [f"{res.entry.label}: {w}" for w in res.warnings]
    return None, warnings


def _verdict(spec: OpSpec, output: str, case: Case) -> Verdict:
    from harness.core.verdict import Verdict
    return Verdict(spec.name, output, case, "fail")


def _apply(v: Verdict, res: EntryResult | None, warnings: list[str]) -> Verdict:
    v.notes.extend(dict.fromkeys(warnings))
    if res is None:
        v.status, v.message = "pass", "all entries match"
        return v
    v.status, v.message = res.status, res.message
    v.comparison, v.got, v.expected = res.comparison, res.got, res.expected
    return v


def _from_error(v: Verdict, err: dict[str, Any], head: str = "") -> Verdict:
    v.error = err
    v.status = "not_implemented" if err.get("not_implemented") else "error"
    stage = f" ({err['stage']})" if err.get("stage") and not head else ""
    v.message = describe_error(err, head) + stage
    return v


def missing(res: EntryResult | None) -> bool:
    """Whether the first entry that did not pass was never computed (or nothing failed)."""
    return res is None or res.comparison is not None and res.comparison.kind == "missing"


def _judged(v: Verdict, res: EntryResult | None, warnings: list[str],
            err: dict[str, Any] | None, steps: bool = False) -> Verdict:
    """`v` from its entries' first failure `res`. An entry that was never computed fails the
    output with the exception that kept it from being computed, `err` (issue #21: every output
    compared or counted as failed). With `steps` (a network case), when an earlier phase of
    its step raised it (step 1's backward for step 1's update), the message says "not
    compared" in the same words for every output it stopped, and `v.caused_by` points at that
    phase's own output (one bug in the fix list). An entry that was computed and differs stays
    the verdict: a real failure comes first."""
    if not missing(res) or err is None:
        return _apply(v, res, warnings)
    v.notes.extend(dict.fromkeys(warnings))
    source = raised_by(v.output, err) if steps else None
    if source is None:
        return _from_error(v, err)
    v.caused_by = {"op": v.op, "output": source}
    return _from_error(v, err, not_compared(err))


def not_compared(err: dict[str, Any]) -> str:
    """The head of the message of every output an earlier phase's exception kept from being
    computed: "not compared: NeuralNetwork.update raised in step 1"."""
    step, _, phase = str(err.get("stage", "")).rpartition(" ")
    what = "is not implemented" if err.get("not_implemented") else "raised"
    return f"not compared: {STAGE_CALLS[phase][0]} {what} in {step}"


# ---------------------------------------------------------------- network
def _layer_label(layers: list, key: str) -> str:
    i = int(key.lstrip("dWb"))
    return f"layer {i} {layers[i].cls} {key[:-len(str(i))]}"


def network_entries(spec: OpSpec, case: Case, output: str,
                    expected: dict[str, np.ndarray]) -> list[Entry]:
    layers = parse_layers(str(case.p["layers"]))
    if output in ("forward", "loss"):
        return [Entry(f"{output}/{s}", f"step {s} {output}",
                      () if output == "loss" else ("n", "unit"), scalar=output == "loss")
                for s in (1, 2) if f"{output}/{s}" in expected]
    if output == "predict":
        return [Entry("predict/Y_hat", "predict Y_hat", ("n", "unit")),
                Entry("predict/loss", "predict loss", (), scalar=True)]
    entries = []
    for key in sorted(expected):
        if key.startswith(f"{output}/"):
            _, step, name = key.split("/")
            entries.append(Entry(key, f"step {step}, {_layer_label(layers, name)}",
                                 param_axes(name, expected[key].ndim)))
    return sorted(entries, key=lambda e: (e.name.split("/")[1], _layer_order(e.name)))


def _layer_order(name: str) -> tuple[int, str]:
    key = name.split("/")[-1]
    return int(key.lstrip("dWb")), key


def traced_answer(checker: CheckerView, spec: OpSpec, case: Case,
                  inputs: dict[str, np.ndarray]) -> Answer | None:
    """The case run again with every call traced (only failing cases pay for the trace)."""
    from harness.core.verdict import received
    from harness.sandbox.parent import Outage

    request: dict[str, object] = {
        "cmd": "run", "kind": spec.kind, "module": spec.module, "cls": spec.cls,
        "ctor": {**spec.ctor(case), "trace": True}, "outputs": list(spec.outputs)}
    if checker.edition is not None:   # that year's names ("identity" for "linear")
        request["ctor"] = checker.edition.edition.rename(request["ctor"])
    got = checker.sandbox_for(spec, case).run(request, inputs)
    if isinstance(got, Outage):
        return None
    # what `Sandbox.run` answers when it is not an outage
    return Answer(*received(*cast("tuple[dict[str, Any], dict[str, np.ndarray]]", got)))


NETWORK_CALLS = {"forward": "NeuralNetwork.forward", "loss": "NeuralNetwork.backward",
                 "gradients": "NeuralNetwork.backward (layer gradients)",
                 "update": "NeuralNetwork.update", "predict": "NeuralNetwork.predict"}
# The calls of a network case's steps, by the stage names the runner gives its exceptions
# ("step 1 update"), and the output each one computes first: an exception there is that
# output's own; the outputs after it in its step were not computed because of it.
STAGE_CALLS = {"forward": ("NeuralNetwork.forward", "forward"),
               "backward": ("NeuralNetwork.backward", "loss"),
               "gradients": ("reading the layers' gradients after NeuralNetwork.backward",
                             "gradients"),
               "update": ("NeuralNetwork.update", "update")}
OWN_STAGE = {"forward": "forward", "loss": "backward", "gradients": "backward",
             "update": "update"}


def raised_by(output: str, err: dict[str, Any] | None) -> str | None:
    """The output of the phase whose exception `err` kept `output` from being computed, when
    that is another output's phase (step 1's backward for update), else None."""
    step, _, phase = str((err or {}).get("stage", "")).rpartition(" ")
    if not step.startswith("step") or phase not in STAGE_CALLS:
        return None
    source = STAGE_CALLS[phase][1]
    return None if source == output or OWN_STAGE.get(output) in (phase, None) else source


def judge_network(checker: CheckerView, spec: OpSpec, case: Case, answer: Answer,
                  inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray]
                  ) -> dict[str, Verdict]:
    loose = "broadcast" in checker.profile.grad_shape
    verdicts = {}
    for output in spec.outputs:
        v = _verdict(spec, output, case)
        entries = network_entries(spec, case, output, expected)
        results = (compare_entry(answer, e, expected[e.name], checker.tolerance,
                                 loose and output in ("gradients", "update"),
                                 NETWORK_CALLS[output]) for e in entries)
        res, warnings = first_failure(results)
        _judged(v, res, warnings, answer.error(output), steps=True)
        if answer.info("meta/added_output_layer") is not None:
            v.notes.append("the model builds one layer fewer than layer_args (as the HW6 "
                           "starter's _initialize_layers, whose train() adds the output "
                           "layer): nnparity added it with the model module's initialize_layer")
        verdicts[output] = v
    _after_a_stub(verdicts)
    if any(not v.passed for v in verdicts.values()):
        traced = traced_answer(checker, spec, case, inputs) or answer
        with reference.one_torch_thread():
            found = model_localize.localize(checker, spec, case, traced, inputs, expected,
                                            verdicts)
        for output, v in verdicts.items():
            if not v.passed:
                v.causes = list(found.causes_for(output, generic=v.status == "fail"))
    return verdicts


# What each output of a network case is computed from: a stub there leaves it uncomputed.
COMPUTED_FROM = {"loss": "forward", "gradients": "loss", "update": "gradients",
                 "predict": "forward"}


def _after_a_stub(verdicts: dict[str, Verdict]) -> None:
    """An output computed from a method left as the starter's stub (NeuralNetwork.backward
    returning `...` leaves every gradient zero) is not implemented either, not wrong."""
    for output, v in verdicts.items():
        source = verdicts.get(COMPUTED_FROM.get(output, ""))
        if source is not None and source.status == "not_implemented" and not v.passed:
            v.status, v.comparison = "not_implemented", None
            v.message = f"{output}: not computed, because {source.message}"


# ---------------------------------------------------------------- optimisers
def judge_optimizer(checker: CheckerView, spec: OpSpec, case: Case, answer: Answer,
                    inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray]
                    ) -> dict[str, Verdict]:
    ctor: dict[str, Any] = spec.ctor(case)
    entries = [Entry(f"update/{t}/{name}", f"step {t}, parameter {name}",
                     param_axes(name, expected[f"update/{t}/{name}"].ndim))
               for t in range(1, int(ctor["steps"]) + 1) for name in ctor["names"]]
    v = _verdict(spec, "update", case)
    call = f"{spec.name} update(param_name, param, grad, epoch)"
    res, warnings = first_failure(
        compare_entry(answer, e, expected[e.name], checker.tolerance, False, call)
        for e in entries)
    _judged(v, res, warnings, answer.error("update"))  # an error: the steps it kept from running
    if not v.passed:
        v.causes = list(optim_diagnose.diagnose(spec, case, answer, inputs, expected,
                                                checker.tolerance))
    return {"update": v}


# ---------------------------------------------------------------- initialisers
def judge_initializer(checker: CheckerView, spec: OpSpec, case: Case, answer: Answer,
                      inputs: dict[str, np.ndarray], expected: dict[str, Any]
                      ) -> dict[str, Verdict]:
    law = expected["law"]
    shape = tuple(param_ints(case.p, "shape"))
    verdicts = {o: _verdict(spec, o, case) for o in spec.outputs}
    err = answer.error("scale")
    first = answer.info("draws/first")
    problem = None
    if err is not None and first is None:
        for v in verdicts.values():
            _from_error(v, err)
        return verdicts
    call = f"initialize_weights({spec.name!r})({shape})"
    first_array, draws = answer.array("draws/first"), answer.array("draws/all")
    if first is None:
        problem = f"{call} returned nothing"
    elif "special" in first:
        for v in verdicts.values():
            v.status, v.message = "not_implemented", f"{call} returned {first['special']}: " \
                                                     "is it still a stub?"
        return verdicts
    elif first_array is None or first["type"] != "numpy.ndarray":
        problem = f"{call} returned a {first['type']}, not a numpy.ndarray"
    elif first_array.shape != shape:
        problem = f"{call} returned shape {first_array.shape}, expected {shape}"
    elif err is not None:
        for v in verdicts.values():
            _from_error(v, err)
        return verdicts
    elif draws is None:
        problem = f"{call}: no draws came back (not compared)"
    if problem is not None:
        for v in verdicts.values():
            v.message = problem
            v.comparison = Comparison("shape" if "shape" in problem else "type", problem)
        return verdicts
    assert draws is not None   # else the branches above set a problem
    samples = draws.reshape(-1)
    for output, test in (("scale", init_stats.scale_test),
                         ("distribution", init_stats.distribution_test)):
        v = verdicts[output]
        result = test(samples, law)
        v.message = f"{call}: {result.message}"
        got, want = np.asarray(result.statistic), np.asarray(result.expected)
        if result.passed:
            v.status = "pass"
            continue
        v.got, v.expected = got, want
        v.comparison = Comparison("values", v.message, (), (), 1, 1,
                                  Element((), (), float(got), float(want)),
                                  (Element((), (), float(got), float(want)),))
        v.causes = list(init_stats.diagnose(spec.name, shape, samples, law))
    return verdicts


# ---------------------------------------------------------------- training

def _deviation(answer: Answer, expected: dict[str, np.ndarray]) -> float:
    """The largest |θ − θ_twin| / max(1, max|θ_twin|) over every step and parameter."""
    worst = 0.0
    for key, want in expected.items():
        if not key.startswith("parameters/"):
            continue
        got = answer.array(key)
        if got is None or got.shape[1:] != want.shape[1:]:
            return float("inf")
        n = min(len(got), len(want))
        if n:
            scale = np.maximum(1.0, np.abs(want[:n]).reshape(n, -1).max(axis=1))
            err = np.abs(got[:n] - want[:n]).reshape(n, -1).max(axis=1) / scale
            worst = max(worst, float(np.nan_to_num(err, nan=np.inf).max()))
    return worst


def judge_training(checker: CheckerView, spec: OpSpec, case: Case, answer: Answer,
                   inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray]
                   ) -> dict[str, Verdict]:
    layers = parse_layers(str(case.p["layers"]))
    steps = len(expected["loss/all"])
    keys = sorted((k for k in expected if k.startswith("parameters/")),
                  key=lambda k: _layer_order(k))
    got_loss = answer.array("loss/all")
    err = answer.error("loss")
    verdicts = {o: _verdict(spec, o, case) for o in spec.outputs}

    def step_results(output: str) -> Iterator[EntryResult]:
        for t in range(steps):
            if output == "loss":
                yield _step_compare(answer, "loss/all", t, expected["loss/all"],
                                    f"step {t + 1} loss", (), checker.tolerance)
                continue
            for key in keys:
                name = key.split("/")[1]
                yield _step_compare(answer, key, t, expected[key],
                                    f"step {t + 1}, {_layer_label(layers, name)}",
                                    param_axes(name, expected[key].ndim - 1), checker.tolerance)

    first: dict[str, tuple[int, str]] = {}   # output -> (step, label) where it separates
    for output in spec.outputs:
        v = verdicts[output]
        res, warnings = first_failure(step_results(output))
        _judged(v, res, warnings, err)   # raised before a step: the exception says where
        if res is not None:
            first[output] = (int(res.entry.label.split()[1].rstrip(",")), res.entry.label)
        if v.status == "fail":   # (an exception's own message and line say more)
            v.causes = [Cause("training_separates",
                              f"training separates from PyTorch's at {v.message.split(':')[0]}"
                              f" ({steps} steps, the same initial parameters and minibatches): "
                              "the first layer and parameter named there is where to look; "
                              "the network op checks one step of the same model in detail")]
    # step t's loss is computed with the parameters after step t - 1's update: on a tie the
    # parameters separated first
    order = sorted(first.items(), key=lambda kv: (kv[1][0] - (kv[0] == "loss"), kv[0] == "loss"))
    first_sep = order[0][1][1] if order else ""
    deviation = _deviation(answer, expected)
    got_list = [] if got_loss is None else [float(x) for x in np.asarray(got_loss).reshape(-1)]
    note = curve_note(case, got_list, [float(x) for x in expected["loss/all"]],
                      deviation, first_sep)
    verdicts["loss"].notes.append(note)
    if all(v.passed for v in verdicts.values()):
        for v in verdicts.values():
            v.message = (f"tracks PyTorch over all {steps} steps (largest parameter deviation "
                         f"{deviation:.3g} of max(1, |θ|))")
    return verdicts


def _step_compare(answer: Answer, key: str, t: int, want_all: np.ndarray, label: str,
                  axes: tuple[str, ...], tol: Tolerance) -> EntryResult:
    entry = Entry(key, label, axes, scalar=key.startswith("loss"))
    got_all = answer.array(key)
    if got_all is None or len(got_all) <= t:
        return EntryResult(entry, "fail", f"{label}: not reached (training stopped before "
                                          f"step {t + 1})", Comparison("missing", ""))
    got, want = got_all[t], want_all[t]
    cmp = compare_output(got, want, axes if want.ndim == len(axes) else
                         tuple(f"axis{i}" for i in range(want.ndim)), tol)
    return EntryResult(entry, "pass" if cmp.ok else "fail", f"{label}: {cmp.message}", cmp,
                       np.asarray(got), want)


JUDGES = {"model": judge_network, "optimizer": judge_optimizer,
          "initializer": judge_initializer, "training": judge_training}


def judge_case(checker: CheckerView, spec: OpSpec, case: Case, header: dict[str, Any],
               arrays: dict[str, np.ndarray], inputs: dict[str, np.ndarray],
               expected: dict[str, Any]) -> dict[str, Verdict]:
    """One verdict per output of a case of the kinds in `KINDS`."""
    answer = Answer(header, arrays)
    verdicts = JUDGES[spec.kind](checker, spec, case, answer, inputs, expected)
    for v in verdicts.values():
        v.stdout = header.get("stdout", "")
    return verdicts
