"""Diagnosis by ablation: rerun a failing case with one factor changed at a time.

From the (shrunk) failing case, each applicable factor is changed on its own: activation ->
linear, pad -> 0 and pad -> 1, stride -> 1, batch -> 1, channels -> 1, a square kernel,
100x smaller inputs, and each convention flipped (the student's output compared with the
reference computed under the other choice). A `Trial` records whether the variant passes,
fails the same way, or fails differently; `interpret` turns the passing ones into causes
("passes with act=linear: backward does not apply the activation's derivative").

When the output is a constant multiple of the expected one, `scale_trials` reruns the case
with m, kh, kw (and the classes or channels) changed one at a time and measures the factor
on each variant (factor ``"scale"``; `harness.diagnosis.factors` interprets them), so that the cause
names the parameter the factor follows (``factor_tracks``), never one that merely has the
same value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np

from harness.core.cases import Case, Params, as_int, pad_amount, param_int, param_ints
from harness.core.compare import DEFAULT_TOLERANCE, Tolerance, compare_output
from harness.core.conventions import CHOICES, Conventions, Profile, flipped
from harness.core.registry import OpSpec
from harness.core.twin import reference_outputs
from harness.core.verdict import Verdict
from harness.diagnosis import factors
from harness.diagnosis.causes import Cause
from harness.diagnosis.probe import Probe, signature


@dataclass(frozen=True)
class Trial:
    factor: str     # act | pad | s | n | channels | kernel | mag | convention | scale
    change: str     # what was changed, e.g. "act=linear" or "same_pad=asymmetric"
    case_id: str    # the variant (for a convention: the same case, another reference)
    outcome: str    # pass | same (fails the same way) | different | unknown (over budget)
    detail: str = ""  # the variant's verdict message when it fails differently; for
    #                   "scale", the factor measured on the variant ("factor 3")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


CHANNEL_KEYS = ("cin", "cout", "c", "n_in", "n_out")


def _simplest_valid(spec: OpSpec, p: Params, changes: dict[str, int]
                    ) -> dict[str, int]:
    """`changes` (integers below the case's own) with each value raised just enough for the
    family to build the variant (a softmax layer keeps two units); keys that cannot be
    lowered at all are dropped."""
    out = dict(changes)
    for key, low in changes.items():
        for value in range(low, as_int(p[key])):
            out[key] = value
            if spec.family.valid({**p, **out}):
                break
        else:
            del out[key]
    return out if out and spec.family.valid({**p, **out}) else {}


def one_factor_changes(spec: OpSpec, case: Case) -> list[tuple[str, str, dict[str, object]]]:
    """(factor, change, changes) for each one-factor variant of `case` the family can build,
    as `ablate` runs them (change as in `Trial.change`, e.g. "pad=1")."""
    return [(factor, ", ".join(f"{k}={_fmt(v)}" for k, v in changes.items()), changes)
            for factor, changes in _param_variants(spec, case)
            if spec.family.valid(case.replace(**changes).p)]


def _param_variants(spec: OpSpec, case: Case) -> list[tuple[str, dict[str, object]]]:
    """(factor, changes) pairs that apply to this case."""
    p = case.p
    out: list[tuple[str, dict[str, object]]] = []
    if p.get("act", "linear") != "linear":
        out.append(("act", {"act": "linear"}))
    if "pad" in p:
        out += [("pad", {"pad": v}) for v in (0, 1)
                if p["pad"] != v and not (p["pad"] == "valid" and v == 0)]
    if "s" in p and param_int(p, "s") > 1:
        out.append(("s", {"s": 1}))
    if "n" in p and param_int(p, "n") > 1:
        out.append(("n", {"n": 1}))
    if "shape" in p and (shape := param_ints(p, "shape"))[0] > 1:
        out.append(("n", {"shape": (1, *shape[1:])}))
    many = _simplest_valid(spec, p, {k: 1 for k in CHANNEL_KEYS
                                     if k in p and param_int(p, k) > 1})
    if many:
        out.append(("channels", dict(many)))
    kernel = p.get("k")
    if isinstance(kernel, tuple) and kernel[0] != kernel[1]:  # a kernel (k is also a count)
        squares = [(k, k) for k in (max(kernel), min(kernel)) if k > 1]
        valid = [square for square in squares if spec.family.valid({**p, "k": square})]
        out += [("kernel", {"k": square}) for square in valid[:1]]
    if p.get("scale") in ("large", "mixed"):
        out.append(("mag", {"scale": "normal"}))
    elif "mag" not in p and {"X", "Z"} & set(spec.inputs(case)):
        out.append(("mag", {"mag": "small"}))
    return out


def _convention_flips(spec: OpSpec, case: Case, output: str,
                      profile: Profile) -> list[tuple[str, Conventions]]:
    """(name, conventions) for each convention flip that could matter and is not accepted."""
    p = case.p
    flips = [(name, flipped(profile.preferred, name)) for name in CHOICES
             if CONVENTION_RELEVANT[name](spec, p, output)]
    return [(name, conv) for name, conv in flips if not profile.accepts(conv)]


# Whether flipping a convention can change this case's output at all.
CONVENTION_RELEVANT: dict[str, Callable[[OpSpec, Params, str], bool]] = {
    "maxpool_pad": lambda spec, p, output: spec.fixed.get("mode") == "max" and "k" in p
    and any(pad_amount(p["pad"], k) for k in param_ints(p, "k")),
    "same_pad": lambda spec, p, output: p.get("pad") == "same",
    "grad_shape": lambda spec, p, output: output in ("dW", "db"),
    "l2_reduction": lambda spec, p, output: spec.cls == "L2"
    and as_int(p.get("classes", 1)) > 1,
}


def _convention_trial(spec: OpSpec, case: Case, output: str, got: np.ndarray, name: str,
                      conv: Conventions, tol: Tolerance) -> Trial:
    change = f"{name}={getattr(conv, name)}"
    ctor = spec.ctor(case)
    # an array: only an initialiser's reference is a Law, and no convention flip concerns
    # its outputs (CONVENTION_RELEVANT)
    want = cast("np.ndarray | None", reference_outputs(spec, ctor, spec.inputs(case), conv,
                                                       partial=True).get(output))
    if want is None:  # e.g. dY does not fit the output under this convention
        return Trial("convention", change, case.id, "same")
    if spec.scalar(output) and got.size == 1:
        got = got.reshape(())  # a loss is a scalar, however it is wrapped (as the Checker)
    ok = compare_output(got, want, spec.axes(output, want.ndim), tol,
                        allow_broadcast_shape=conv.grad_shape == "broadcast").ok
    return Trial("convention", change, case.id, "pass" if ok else "same")


def _param_trial(probe: Probe, spec: OpSpec, case: Case, output: str, base: Verdict,
                 factor: str, changes: dict[str, object]) -> Trial | None:
    variant = case.replace(**changes)
    if not spec.family.valid(variant.p):
        return None
    change = ", ".join(f"{k}={_fmt(v)}" for k, v in changes.items())
    v = probe.verdict(variant, output)
    if v is None:
        return Trial(factor, change, variant.id, "unknown")
    if v.passed:
        return Trial(factor, change, variant.id, "pass")
    same = signature(v) == signature(base)
    return Trial(factor, change, variant.id, "same" if same else "different",
                 "" if same else v.message)


def _fmt(value: object) -> str:
    return "x".join(map(str, value)) if isinstance(value, tuple) else str(value)


def scale_trials(probe: Probe, spec: OpSpec, case: Case, output: str, base: Verdict,
                 tol: Tolerance = DEFAULT_TOLERANCE) -> list[Trial]:
    """When `base` (the verdict of `case`) is off by a constant factor, one "scale" trial per
    parameter the factor may follow (`harness.diagnosis.factors`), the factor measured on each."""
    if not factors.is_factor(factors.measure(base.got, base.expected, tol)):
        return []
    variants = factors.variants(spec, case)
    probe.prefetch([variant for _, variant in variants])
    return [_scale_trial(probe, output, base, change, variant, tol)
            for change, variant in variants]


def _scale_trial(probe: Probe, output: str, base: Verdict, change: str, variant: Case,
                 tol: Tolerance) -> Trial:
    v = probe.verdict(variant, output)
    if v is None:
        return Trial("scale", change, variant.id, "unknown")
    outcome = "pass" if v.passed else ("same" if signature(v) == signature(base) else
                                       "different")
    return Trial("scale", change, variant.id, outcome, factors.detail(v.got, v.expected, tol))


def ablate(probe: Probe, spec: OpSpec, case: Case, output: str, base: Verdict,
           profile: Profile, tol: Tolerance = DEFAULT_TOLERANCE) -> list[Trial]:
    """One trial per applicable factor, for the failing `base` verdict of `case` (the
    "scale" trials of a constant factor are `scale_trials`)."""
    variants = _param_variants(spec, case)
    probe.prefetch([v for v in (case.replace(**changes) for _, changes in variants)
                    if spec.family.valid(v.p)])
    trials = [_param_trial(probe, spec, case, output, base, factor, changes)
              for factor, changes in variants]
    if base.got is not None and base.comparison is not None:
        trials += [_convention_trial(spec, case, output, base.got, name, conv, tol)
                   for name, conv in _convention_flips(spec, case, output, profile)]
    return [t for t in trials if t is not None]


def retry(probe: Probe, spec: OpSpec, case: Case, output: str, v: Verdict, trial: Trial,
          profile: Profile, tol: Tolerance = DEFAULT_TOLERANCE) -> str | None:
    """What `trial`'s change does to another failing case (verdict `v`): its outcome there
    (pass | same | different | unknown), the change made with that case's own values (the
    same change when it applies, else the first of the same factor); None when no change of
    that factor applies to it (it is already linear, has no padding, ...)."""
    if trial.factor == "convention":
        name = trial.change.split("=", 1)[0]
        flips = dict(_convention_flips(spec, case, output, profile))
        if name not in flips or v.got is None or v.comparison is None:
            return None
        return _convention_trial(spec, case, output, v.got, name, flips[name], tol).outcome
    options = [(change, changes) for factor, change, changes in one_factor_changes(spec, case)
               if factor == trial.factor]
    if not options:
        return None
    _, changes = next((o for o in options if o[0] == trial.change), options[0])
    found = _param_trial(probe, spec, case, output, v, trial.factor, changes)
    return None if found is None else found.outcome


# ---------------------------------------------------------------- interpretation
def failure_summary(output: str, v: Verdict) -> str:
    """A few words on how `v` fails: 'dX has shape (2, 0, 0, 3) instead of (2, 3, 3, 3)'."""
    cmp = v.comparison
    if cmp is not None and cmp.kind == "shape":
        return f"{output} has shape {cmp.got_shape} instead of {cmp.expected_shape}"
    if v.error is not None:
        return f"{output} raises {v.error.get('type', 'an error')}"
    if v.status == "not_implemented":
        return f"{output} is not implemented"
    return f"{output} is wrong"


CONVENTION_HINTS = {
    ("same_pad", "asymmetric"): "your 'same' padding is TensorFlow's (the extra row/column "
                                "at the bottom/right); the homework pads (k-1)//2 on both sides",
    ("same_pad", "symmetric"): "your 'same' padding is symmetric ((k-1)//2 on both sides)",
    ("maxpool_pad", "zero"): "you pad max pooling with 0 (np.pad's default); PyTorch pads with "
                             "-inf so the padding never wins a window",
    ("maxpool_pad", "-inf"): "you pad max pooling with -inf (PyTorch's choice)",
    ("grad_shape", "broadcast"): "the gradient has a broadcast-equal shape (e.g. (n,) for "
                                 "(1, n)); the contract wants exactly the parameter's shape",
    ("grad_shape", "exact"): "the gradient has exactly the parameter's shape",
    ("l2_reduction", "batch"): "your L2 divides the sum of squares by the batch size only; "
                               "the contract (and PyTorch's mse_loss) takes the mean over all "
                               "elements, which is the same only for targets of shape "
                               "(batch_size, 1), the starter code's",
    ("l2_reduction", "elements"): "your L2 is the mean over all elements (PyTorch's mse_loss)",
}


def _message(factor: str, change: str, base: str, p: Params, output: str) -> str:
    if factor == "act":
        where = ("forward does not apply the {a} activation correctly (Y = activation(Z))"
                 if output == "forward" else
                 "backward does not apply the {a} activation's derivative correctly "
                 "(dZ = activation.backward(Z, dY) with the cached Z, before dW, db and dX)")
        return (f"{base} only with act={p['act']} and passes with act=linear: "
                + where.format(a=p["act"]))
    if factor == "pad":
        hint = ("the padding is handled wrong (its amount, its value, or how dX is cut out "
                "of the padded gradient)" if change == "pad=0" else
                "the code assumes there is padding (a slice like [p:-p] is empty when p = 0)")
        return f"{base} only when pad={_fmt(p['pad'])} and passes with {change}: {hint}"
    if factor == "s":
        return (f"{base} only with stride {p['s']} and passes with stride 1: the stride is "
                "applied wrong (window r starts at s·r; output size (H + 2p - k)//s + 1; dX "
                "is scattered back at stride steps)")
    if factor == "n":
        return (f"{base} only with a batch of several samples and passes with one: samples "
                "are mixed up (a sum or mean over the batch axis that should not be there, "
                "or only sample 0 used)")
    if factor == "channels":
        return (f"{base} only with several channels/units and passes with fewer ({change}): "
                "the channel axes are mixed up (in/out swapped, W used transposed, or "
                "channels confused with columns in a reshape)")
    if factor == "kernel":
        return (f"{base} only with the non-square kernel {_fmt(p['k'])} and passes with "
                f"{change}: kernel rows and columns (kh, kw) are swapped somewhere")
    if p.get("scale") == "mixed":
        return (f"{base} only when the rows' logits differ in scale (row i shifted by 800·i) "
                f"and passes with {change}: each row needs its own shift (subtract the row's "
                "maximum, max(axis=-1, keepdims=True), not the whole batch's)")
    if p.get("scale") == "large":
        return (f"{base} only with large logits (every logit + 1000) and passes with "
                f"{change}: an overflow in exp (subtract each row's maximum first)")
    return (f"{base} only with inputs of normal size and passes with {change}: an overflow, "
            "or a formula that is right only near 0 (e.g. using Z where f(Z) is needed)")


ABLATION_CODES = {"act": "activation_use", "pad": "padding", "s": "stride", "n": "batch_axis",
                  "channels": "channel_axis", "kernel": "kernel_axes", "mag": "large_inputs"}


def interpret(case: Case, output: str, base: Verdict, trials: list[Trial]) -> list[Cause]:
    """Causes from the trials that pass, in trial order.

    When the failure goes away with a linear activation, the activation explains it: the
    other factors that make it pass (a batch of one, small inputs) most likely just keep the
    activation on one branch, so they are left in the table but not reported as causes.
    """
    summary = failure_summary(output, base)
    passed = [t for t in trials if t.outcome == "pass" and t.factor != "scale"]
    if any(t.factor == "act" for t in passed):
        passed = [t for t in passed if t.factor in ("act", "convention")]
    causes = []
    for t in passed:
        if t.factor == "convention":
            name, value = t.change.split("=", 1)
            causes.append(Cause("convention", f"{summary} but matches the reference under "
                                              f"{t.change}: {CONVENTION_HINTS[(name, value)]}"))
        else:
            causes.append(Cause(ABLATION_CODES[t.factor],
                                _message(t.factor, t.change, summary, case.p, output)))
    return causes
