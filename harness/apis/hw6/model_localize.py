"""Localization inside a model, in the spirit of CRADLE: which layer, or which line of the model.

The child traced every call the model made (`harness.apis.hw6.runners.Tracer`): each layer's forward
and backward with its input, output, parameters and stored gradients, every loss call with
its arguments, the model's own forward/backward calls and the optimiser's updates. Here each
traced layer and loss call is replayed on its PyTorch twin *with the same input*:

1. The first call, in execution order, whose output, dX, dW or db differs from the twin's is
   the culprit. It is linked to the layer's own op-level verdict (a few cases of that op are
   checked through the same Checker, once per session): "layer 2 Conv2D: dX differs; conv2d dX
   also fails on its own: fix it first" (`caused_by_layer`), or, when the op passes on its
   own, "fails only inside the model" (`model_layer_differs`).
2. When every call matches on its own but the model does not, the bug is in the model's code.
   `MODEL_BUGS` is the catalogue (data: code, outputs it explains, detector); each detector
   reads the trace or tests a hypothesis against the twin: layers visited in the wrong order,
   results not chained from layer to layer, the loss's arguments swapped in backward or in
   predict, the loss computed in forward, gradients not cleared between steps, the update made
   before backward (with the previous step's gradients), the update's sign, one optimiser
   name (hence one optimiser state) for several parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

import reference
from harness.apis.hw6.model_cases import LayerSpec, parse_layers
from harness.apis.hw6.runners import OBJECTS, PHASES
from harness.core.compare import Tolerance, compare_output
from harness.diagnosis.causes import Cause

if TYPE_CHECKING:
    from harness.apis.hw6.answer import Answer
    from harness.core.api import CheckerView
    from harness.core.registry import OpSpec
    from harness.core.verdict import Verdict

OP_CASES = 10             # op-level cases checked to link a layer to its own verdict
ALL = ("forward", "loss", "gradients", "update", "predict")
STEP_PHASES = {"forward": (0, 3), "backward": (1, 4), "update": (2, 5)}


# ---------------------------------------------------------------- the trace
@dataclass
class Call:
    """One traced call."""

    k: int
    phase: int
    obj: str           # layer | loss | model | optimizer
    index: int         # the layer's index (-1 otherwise)
    method: str        # forward | backward | update
    raised: bool
    answer: Answer

    def get(self, key: str) -> np.ndarray | None:
        return self.answer.array(f"trace/{self.k}/{key}")

    def text(self, key: str) -> str | None:
        return self.answer.text(f"trace/{self.k}/{key}")

    def state(self, what: str) -> dict[str, np.ndarray]:
        prefix = f"trace/{self.k}/{what}/"
        return {name[len(prefix):]: array for name in self.answer.names(prefix)
                if (array := self.answer.array(name)) is not None}

    @property
    def phase_name(self) -> str:
        return PHASES[self.phase] if 0 <= self.phase < len(PHASES) else str(self.phase)

    @property
    def where(self) -> str:
        return phase_text(self.phase_name)


def phase_text(name: str) -> str:
    """"step2.backward" -> "step 2 backward"."""
    return name.replace("step", "step ").replace(".", " ")


def read_trace(answer: Answer) -> list[Call]:
    table = answer.array("trace/events")
    if table is None:
        return []
    from harness.apis.hw6.runners import METHODS
    return [Call(k, int(r[0]), OBJECTS[int(r[1])], int(r[2]), METHODS[int(r[3])], bool(r[4]),
                 answer) for k, r in enumerate(np.asarray(table).reshape(-1, 5))]


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and a.shape == b.shape and bool(
        np.array_equal(a, b, equal_nan=True))


# ---------------------------------------------------------------- replaying calls on twins
@dataclass
class CallFinding:
    call: Call
    output: str        # forward | dX | dW | db (for a loss: forward | dX)
    message: str


def _twin_layer(spec: LayerSpec, conventions: Any) -> Any:
    return reference.module("layers").initialize_layer(**spec.layer_args(),
                                                       conventions=conventions)


def _differs(got: np.ndarray | None, want: np.ndarray, tol: Tolerance,
             axes: tuple[str, ...] = ()) -> str | None:
    """None when `got` matches `want`; else a short account of how it differs."""
    if got is None:
        return None
    if want.ndim != len(axes):
        axes = tuple(f"axis{i}" for i in range(want.ndim))
    got = np.asarray(got, dtype=np.float64)
    if got.size == 1 and want.ndim == 0:
        got = got.reshape(())
    cmp = compare_output(got, want, axes, tol, allow_broadcast_shape=True)
    if cmp.ok:
        return None
    if cmp.worst is None:
        return cmp.message
    w = cmp.worst
    return (f"{cmp.mismatched} of {cmp.total} elements, worst at {w.where}: got {w.got:.6g}, "
            f"expected {w.expected:.6g}")


RAISED = "it raised an exception where PyTorch's twin computes a result (see the error)"


def _not_an_array(call: Call) -> str | None:
    what = call.text("out.type")
    return f"it returned {what}, not an array" if call.get("out") is None and what else None


def _axes(spec: LayerSpec, output: str, ndim: int) -> tuple[str, ...]:
    from harness.core.registry import get_op
    return get_op(spec.op).axes(output, ndim)


def _replay_layer(call: Call, forward: Call | None, spec: LayerSpec, conventions: Any,
                  tol: Tolerance) -> CallFinding | None:
    """The first output of a traced layer call that differs from its twin fed the same input."""
    source = call if call.method == "forward" else forward
    X = source.get("in0") if source is not None else None
    if X is None or not np.isfinite(X).all():
        return None  # NaN/Inf fed in: it came from elsewhere, and the twins may differ on it
    params = call.state("p")
    try:
        twin = _twin_layer(spec, conventions)
        if spec.has_params:
            if not {"W", "b"} <= set(params):
                return None
            twin._init_parameters(X.shape)
            twin.parameters["W"] = np.asarray(params["W"], dtype=np.float64)
            twin.parameters["b"] = np.asarray(params["b"], dtype=np.float64)
        Y = twin.forward(X)
        if call.method == "forward":
            if call.raised:
                return CallFinding(call, "forward", RAISED)
            msg = _differs(call.get("out"), Y, tol, _axes(spec, "forward", Y.ndim)) \
                or _not_an_array(call)
            return CallFinding(call, "forward", msg) if msg else None
        dY = call.get("in0")
        if dY is None or dY.shape != Y.shape:
            return None  # not this layer's gradient: the order or the chaining is wrong
        if not np.isfinite(dY).all():
            return None
        dX = twin.backward(dY)
    except Exception:  # noqa: BLE001 - the student's inputs may not suit the twin at all
        return None
    if call.raised:
        return CallFinding(call, "dX", RAISED)
    msg = _differs(call.get("out"), dX, tol, _axes(spec, "dX", dX.ndim)) or _not_an_array(call)
    if msg:
        return CallFinding(call, "dX", msg)
    grads = call.state("g")
    for key in ("W", "b"):
        if key in twin.gradients and key in grads:
            want = twin.gradients[key]
            msg = _differs(grads[key], want, tol, _axes(spec, f"d{key}", want.ndim))
            if msg:
                return CallFinding(call, f"d{key}", msg)
    return None


def _replay_loss(call: Call, loss_name: str, conventions: Any, tol: Tolerance
                 ) -> CallFinding | None:
    Y, Y_hat = call.get("in0"), call.get("in1")
    if Y is None or Y_hat is None or call.raised or Y.shape != Y_hat.shape or \
            not (np.isfinite(Y).all() and np.isfinite(Y_hat).all()):
        return None
    twin = reference.module("losses").initialize_loss(loss_name)
    twin.conventions = conventions
    with np.errstate(all="ignore"):
        try:
            want = twin.forward(Y, Y_hat) if call.method == "forward" else twin.backward(Y, Y_hat)
        except Exception:  # noqa: BLE001
            return None
    if not np.isfinite(want).all():
        return None  # e.g. log(0) with swapped arguments: the structure checks say why
    msg = _differs(call.get("out"), want, tol)
    return CallFinding(call, "forward" if call.method == "forward" else "dX", msg) \
        if msg else None


def first_differing_call(calls: list[Call], layers: list[LayerSpec], loss_name: str,
                         conventions: Any, tol: Tolerance) -> CallFinding | None:
    last_forward: dict[tuple[int, int], Call] = {}
    for call in calls:
        model_run = 1 if call.phase == PHASES.index("predict") else 0
        if call.obj == "layer" and 0 <= call.index < len(layers):
            found = _replay_layer(call, last_forward.get((model_run, call.index)),
                                  layers[call.index], conventions, tol)
            if call.method == "forward":
                last_forward[(model_run, call.index)] = call
        elif call.obj == "loss":
            found = _replay_loss(call, loss_name, conventions, tol)
        else:
            continue
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------- op-level verdicts
def op_status(checker: CheckerView, op: str, output: str, act: str | None = None
              ) -> tuple[int, int]:
    """(failing, checked) cases of `op`'s `output` on its own, checked once per Checker:
    OP_CASES of the op's cases, those with activation `act` when it has one."""
    from harness.core.registry import get_op

    cache: dict[tuple[str, str | None], dict[str, int]] = \
        checker.__dict__.setdefault("_model_op_status", {})
    key = (op, act)
    if key not in cache:
        spec = get_op(op)
        stream = list(spec.cases(6 * OP_CASES, 0))
        chosen = [c for c in stream if act is not None and c.p.get("act") == act][:OP_CASES] \
            or stream[:OP_CASES]
        failing = dict.fromkeys(spec.outputs, 0)
        for case in chosen:
            for out, v in checker.check(spec, case).items():
                failing[out] += not v.passed
        cache[key] = {**failing, "_checked": len(chosen)}
    return cache[key].get(output, 0), cache[key]["_checked"]


def _activation_note(checker: CheckerView, spec: LayerSpec, output: str) -> str:
    """'; its activation sigmoid (forward) fails on its own too: ...' or ''."""
    if spec.kind not in ("fc", "conv") or spec.act == "linear":
        return ""
    act_output = "forward" if output == "forward" else "dX"
    failing, checked = op_status(checker, spec.act, act_output)
    if not failing:
        return ""
    return (f"; its activation {spec.act} {act_output} fails on its own too ({failing} of "
            f"{checked} cases): fix activations.py first")


def link_cause(checker: CheckerView, finding: CallFinding, layers: list[LayerSpec],
               loss_name: str) -> Cause:
    call = finding.call
    if call.obj == "loss":
        op, what = loss_name, f"the loss {'CrossEntropy' if loss_name == 'cross_entropy' else 'L2'}"
        output = finding.output
    else:
        spec = layers[call.index]
        op, what = spec.op, f"layer {call.index} {spec.describe()}"
        output = finding.output
    head = (f"{what}: {finding.output} differs from PyTorch's when both are fed the same "
            f"input ({call.where}: {finding.message})")
    act = None if call.obj == "loss" or layers[call.index].kind not in ("fc", "conv") \
        else layers[call.index].act
    failing, checked = op_status(checker, op, output, act)
    if failing:
        note = _activation_note(checker, layers[call.index], output) if act else ""
        return Cause("caused_by_layer", f"{head}; {op} {output} also fails on its own "
                                        f"({failing} of {checked} cases"
                                        f"{f' with act={act}' if act else ''}): fix it first"
                                        f"{note}")
    return Cause("model_layer_differs",
                 f"{head}; {op} {output} passes on its own ({checked} cases), so it fails only "
                 "inside the model: look at what differs there (the shapes and values this "
                 "layer receives, state kept between calls, parameters replaced by the model)")


# ---------------------------------------------------------------- model-code bugs
@dataclass
class Context:
    checker: CheckerView
    spec: OpSpec
    case: Any
    answer: Answer
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    calls: list[Call]
    layers: list[LayerSpec]

    def phase(self, name: str) -> list[Call]:
        i = PHASES.index(name)
        return [c for c in self.calls if c.phase == i]

    @property
    def tol(self) -> Tolerance:
        return self.checker.tolerance

    def got(self, key: str) -> np.ndarray | None:
        return self.answer.array(key)

    def matches(self, key: str, want: np.ndarray) -> bool:
        got = self.got(key)
        return got is not None and _differs(got, np.asarray(want, dtype=np.float64),
                                            self.tol) is None

    def param_keys(self, output: str, step: int) -> list[str]:
        return sorted(k for k in self.expected if k.startswith(f"{output}/{step}/"))


def _layer_sequence(calls: list[Call], method: str) -> list[int]:
    return [c.index for c in calls if c.obj == "layer" and c.method == method]


def _completed(calls: list[Call], method: str) -> bool:
    """Whether the model's own `method` call of this phase returned (did not raise)."""
    top = [c for c in calls if c.obj == "model" and c.method == method]
    return bool(top) and not any(c.raised for c in top)


def _backward_order(ctx: Context) -> str | None:
    n = len(ctx.layers)
    want = list(range(n - 1, -1, -1))
    for step in (1, 2):
        seq = _layer_sequence(ctx.phase(f"step{step}.backward"), "backward")
        if seq and seq != want[:len(seq)]:
            return (f"backward visits the layers in the order {seq} (step {step}); the chain "
                    f"rule goes from the last layer to the first, {want}: iterate over "
                    "reversed(self.layers)")
    return None


def _layer_skipped(ctx: Context) -> str | None:
    n = len(ctx.layers)
    for name, method, want in (("step1.forward", "forward", list(range(n))),
                               ("step1.backward", "backward", list(range(n - 1, -1, -1)))):
        calls = ctx.phase(name)
        seq = _layer_sequence(calls, method)
        if _completed(calls, method) and seq == want[:len(seq)] and len(seq) < n:
            missed = sorted(set(want) - set(seq))
            hint = (" (a loop like range(n_layers - 1, 0, -1) stops before layer 0; iterate "
                    "over reversed(self.layers))" if method == "backward" and 0 in missed else "")
            return (f"{method} never calls layer {', '.join(map(str, missed))}'s {method} "
                    f"({phase_text(name)}: it visits {seq}), so "
                    + ("its gradients are never computed" if method == "backward"
                       else "its output is missing") + hint)
    return None


def _forward_order(ctx: Context) -> str | None:
    n = len(ctx.layers)
    for name in ("step1.forward", "step2.forward", "predict"):
        seq = _layer_sequence(ctx.phase(name), "forward")
        if seq and seq != list(range(n))[:len(seq)]:
            return (f"forward calls the layers in the order {seq} ({phase_text(name)}); "
                    f"expected {list(range(n))}, each once")
    return None


def _chaining(ctx: Context) -> str | None:
    for name in ("step1.forward", "step1.backward"):
        calls = [c for c in ctx.phase(name) if c.obj == "layer"]
        for a, b in zip(calls, calls[1:], strict=False):
            if a.raised:   # (b's input is recorded even when b raises)
                break
            if a.get("out") is None or b.get("in0") is None:
                continue  # not an array: the layer call's own finding says so
            if not _same(a.get("out"), b.get("in0")):
                if name.endswith("forward"):
                    return (f"forward does not pass layer {a.index}'s output on to layer "
                            f"{b.index} ({phase_text(name)}): X = layer.forward(X) for "
                            "each layer in turn")
                return (f"backward does not pass layer {a.index}'s dX on to layer {b.index} as "
                        "its dY: dY = layer.backward(dY) for each layer in turn")
    return None


def _driver_backward(ctx: Context, step: int) -> Call | None:
    return next((c for c in ctx.phase(f"step{step}.backward")
                 if c.obj == "model" and c.method == "backward"), None)


def _loss_swapped_backward(ctx: Context) -> str | None:
    for step in (1, 2):
        top = _driver_backward(ctx, step)
        if top is None:
            continue
        target, out = top.get("in0"), top.get("in1")
        for c in ctx.phase(f"step{step}.backward"):
            if c.obj == "loss" and _same(c.get("in0"), out) and _same(c.get("in1"), target) \
                    and not _same(target, out):
                return (f"backward calls the loss's {c.method}(out, target) with the arguments "
                        f"swapped (step {step}): the contract is loss.{c.method}(Y, Y_hat), "
                        "target first")
    return None


def _predict_swapped(ctx: Context) -> str | None:
    calls = ctx.phase("predict")
    X, Y = ctx.inputs["X3"], ctx.inputs["Y3"]
    top = next((c for c in calls if c.obj == "model" and c.method == "forward"
                and _same(c.get("in0"), X)), None)
    Y_hat = top.get("out") if top is not None else None
    for c in calls:
        if c.obj == "model" and c.method == "backward" and _same(c.get("in1"), Y) and \
                (Y_hat is None or _same(c.get("in0"), Y_hat)):
            return ("predict passes (Y_hat, Y) to backward with the arguments swapped: "
                    "backward(target, out) takes the target first, so call "
                    "self.backward(Y, Y_hat) (or compute self.loss.forward(Y, Y_hat))")
        if c.obj == "loss" and _same(c.get("in1"), Y) and \
                (Y_hat is None or _same(c.get("in0"), Y_hat)):
            return (f"predict calls the loss's {c.method}(Y_hat, Y) with the arguments "
                    "swapped: the contract is loss.forward(Y, Y_hat), target first")
    return None


def _loss_in_forward(ctx: Context) -> str | None:
    for name in ("step1.forward", "step2.forward"):
        if any(c.obj == "loss" for c in ctx.phase(name)):
            return ("the loss is computed in forward (" + phase_text(name) + "): forward "
                    "has no targets, so its loss belongs to another batch; compute it in "
                    "backward(target, out), as the starter's docstring says")
    return None


def _gradients_not_cleared(ctx: Context) -> str | None:
    keys = ctx.param_keys("gradients", 2)
    if not keys:
        return None
    accumulated = []
    for key in keys:
        first = ctx.got(key.replace("/2/", "/1/"))
        if first is None or first.shape != ctx.expected[key].shape:
            return None
        if ctx.matches(key, ctx.expected[key]):
            continue
        if not ctx.matches(key, ctx.expected[key] + first):
            return None
        accumulated.append(key.split("/")[-1])
    if not accumulated:
        return None
    return (f"gradients are not cleared between steps: step 2's {', '.join(accumulated)} "
            "equal step 1's plus step 2's own; zero them after each update "
            "(layer.clear_gradients()) or assign, rather than add to, the new gradients")


def _hypothetical_updates(ctx: Context, grads: dict[int, dict[str, np.ndarray]]
                          ) -> dict[str, np.ndarray]:
    """What the twin optimiser's update(epoch) would change, fed `grads` per step."""
    ctor: dict[str, Any] = ctx.spec.ctor(ctx.case)
    args = ctor["optimizer_args"]
    opt = reference.module("optimizers").initialize_optimizer(**dict(args))
    out = {}
    for step in (1, 2):
        for key, g in grads[step].items():
            name = key[1:]   # "dW0" -> "W0"
            out[f"update/{step}/{name}"] = -opt.update(name, g, g, 0)
    return out


def _update_before_backward(ctx: Context) -> str | None:
    keys1 = ctx.param_keys("gradients", 1)
    if not keys1:
        return None
    zeros = {key.split("/")[-1]: np.zeros_like(ctx.expected[key]) for key in keys1}
    first = {key.split("/")[-1]: ctx.expected[key] for key in keys1}
    try:
        hyp = _hypothetical_updates(ctx, {1: zeros, 2: first})
    except Exception:  # noqa: BLE001
        return None
    if all(ctx.matches(k, v) for k, v in hyp.items()) and \
            not all(ctx.matches(k, ctx.expected[k]) for k in hyp):
        return ("update is made before backward: each step applies the previous step's "
                "gradients (step 1 changes nothing, step 2 applies step 1's): compute the "
                "gradients (backward) first, then update with them")
    return None


def _gradient_shapes(ctx: Context) -> str | None:
    for key in ctx.param_keys("gradients", 1):
        got, want = ctx.got(key), ctx.expected[key]
        if got is not None and got.shape != want.shape:
            name = key.split("/")[-1]
            i = int(name[2:])
            return (f"layer {i} {ctx.layers[i].cls} stores {name[:2]} with shape {got.shape} "
                    f"where its parameter has shape {want.shape} (accepted with a warning on "
                    "its own, as grad_shape=broadcast): the model's update θ −= delta then "
                    "broadcasts or fails; store every gradient with exactly its parameter's "
                    "shape")
    return None


def _update_sign(ctx: Context) -> str | None:
    keys = ctx.param_keys("update", 1)
    if keys and all(ctx.matches(k, -ctx.expected[k]) for k in keys) and \
            not all(ctx.matches(k, ctx.expected[k]) for k in keys):
        return ("update adds the optimiser's delta to each parameter: update(...) returns the "
                "step to subtract, θ ← θ − delta")
    return None


def _update_names(ctx: Context) -> str | None:
    for step in (1, 2):
        texts = [c.text("in0") for c in ctx.phase(f"step{step}.update")
                 if c.obj == "optimizer"]
        names = [n for n in texts if n is not None]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            return (f"update passes the same parameter name {dupes} to the optimiser for "
                    "parameters of different layers, so they share one optimiser state "
                    "(momentum, Adam's moments): name them per layer, e.g. f\"{name}{i}\"")
    return None


def _optimizer_fails(ctx: Context) -> str | None:
    ctor: dict[str, Any] = ctx.spec.ctor(ctx.case)
    op = str(ctor["optimizer_args"]["name"]).lower()
    failing, checked = op_status(ctx.checker, op, "update")
    if failing:
        return (f"the optimiser {op} fails on its own ({failing} of {checked} cases of the {op} "
                "op): fix optimizers.py first")
    return None


@dataclass(frozen=True)
class ModelBug:
    code: str
    explains: tuple[str, ...]            # the outputs it can make fail
    detect: Callable[[Context], str | None]


# The catalogue of model-code bugs, most specific first.
MODEL_BUGS: tuple[ModelBug, ...] = (
    ModelBug("model_backward_order", ("loss", "gradients", "update"), _backward_order),
    ModelBug("model_layer_skipped", ALL, _layer_skipped),
    ModelBug("model_forward_order", ALL, _forward_order),
    ModelBug("model_not_chained", ALL, _chaining),
    ModelBug("model_loss_args_swapped", ("loss", "gradients", "update"), _loss_swapped_backward),
    ModelBug("model_predict_args_swapped", ("predict",), _predict_swapped),
    ModelBug("model_loss_in_forward", ("loss", "predict", "forward"), _loss_in_forward),
    ModelBug("model_gradients_not_cleared", ("gradients", "update"), _gradients_not_cleared),
    ModelBug("model_update_before_backward", ("update",), _update_before_backward),
    ModelBug("model_gradient_shape", ("update",), _gradient_shapes),
    ModelBug("model_update_sign", ("update",), _update_sign),
    ModelBug("model_optimizer_state_shared", ("update",), _update_names),
    ModelBug("caused_by_optimizer", ("update",), _optimizer_fails),
)

GENERIC = {
    "forward": "forward: every layer matches PyTorch on the inputs it received, yet the model's "
               "output differs: look at models.py's forward (what it returns, what it feeds "
               "each layer)",
    "loss": "backward's loss: the loss calls match PyTorch on their arguments, yet the returned "
            "loss differs: look at what backward(target, out) returns",
    "gradients": "gradients: every layer matches PyTorch on the inputs it received, yet the "
                 "stored gradients differ: look at models.py's backward",
    "update": "update: the gradients match, yet the parameter changes differ: look at "
              "models.py's update (which gradient each parameter gets, how delta is applied)",
    "predict": "predict: look at models.py's predict (forward, then the loss of (Y, Y_hat))",
}


@dataclass
class Localization:
    causes: list[tuple[Cause, tuple[str, ...]]] = field(default_factory=list)

    def causes_for(self, output: str, generic: bool = True) -> list[Cause]:
        """The causes that explain `output`; with `generic`, the model's code in general
        when none does (not for an exception, whose own message and line say more)."""
        found = [c for c, outs in self.causes if output in outs]
        return found or ([Cause("model_code", GENERIC[output])] if generic else [])


def _explains(finding: CallFinding) -> tuple[str, ...]:
    if finding.call.phase == PHASES.index("predict"):
        return ("predict",)
    if finding.call.obj == "loss":
        return ("loss",) if finding.output == "forward" else ("gradients", "update")
    if finding.call.method == "forward":
        return ALL
    return ("gradients", "update")


def localize(checker: CheckerView, spec: OpSpec, case: Any, answer: Answer,
             inputs: dict[str, np.ndarray], expected: dict[str, np.ndarray],
             verdicts: dict[str, Verdict]) -> Localization:
    """The likely causes of a failing network case, per output."""
    layers = parse_layers(str(case.p["layers"]))
    calls = read_trace(answer)
    conventions = checker.profile.preferred
    loss_name = str(case.p["loss"])
    loc = Localization()
    finding = first_differing_call(calls, layers, loss_name, conventions, checker.tolerance)
    if finding is not None:
        loc.causes.append((link_cause(checker, finding, layers, loss_name), _explains(finding)))
    ctx = Context(checker, spec, case, answer, inputs, expected, calls, layers)
    failing = {o for o, v in verdicts.items() if not v.passed}
    for bug in MODEL_BUGS:
        if not failing & set(bug.explains):
            continue
        try:
            message = bug.detect(ctx)
        except Exception:  # noqa: BLE001 - a detector must never cost the verdict
            message = None
        if message:
            loc.causes.append((Cause(bug.code, message), bug.explains))
    return loc
