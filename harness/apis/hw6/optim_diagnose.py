"""Diagnosing an optimiser whose deltas differ from torch.optim's: which usual bug they match.

`OPTIMIZER_BUGS` is the catalogue (data): for each optimiser, the usual bugs as variants of
the update rule (flags of `sgd_deltas` / `adam_deltas`, NumPy re-statements of the buggy
formulas, used only to recognise them). The implementation's deltas over the case's K steps
are compared with each variant's under the same tolerance as everything else; a variant
that matches every delta the implementation returned (and differs from the correct rule)
is named, with its fix. Nothing here decides pass or fail: that is torch.optim's twin's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.core.compare import Tolerance, compare_output
from harness.diagnosis.causes import Cause

if TYPE_CHECKING:
    from harness.apis.hw6.answer import Answer
    from harness.core.cases import Case
    from harness.core.registry import OpSpec

Deltas = dict[tuple[int, str], np.ndarray]


def _clip(g: np.ndarray, max_norm: float | None) -> np.ndarray:
    if max_norm is None:
        return g
    norm = np.linalg.norm(g)
    return g * (max_norm / norm) if norm > max_norm else g


def _order(names: list[str], steps: int) -> list[tuple[int, str]]:
    return [(t, name) for t in range(1, steps + 1) for name in names]


def sgd_deltas(args: dict[str, Any], names: list[str], grads: dict[str, np.ndarray],
               steps: int, *, momentum: bool = True, dampening: bool = False,
               lr_power: int = 1, sign: float = 1.0, shared: bool = False,
               clip: bool = True) -> Deltas:
    lr, mu = float(args["lr"]), float(args.get("momentum") or 0.0)
    state: dict[str, np.ndarray] = {}
    out: Deltas = {}
    for t, name in _order(names, steps):
        g = _clip(grads[name][t - 1], args.get("clip_norm") if clip else None)
        key = str(g.shape) if shared else name   # shared: one state per shape, as keyed by it
        v = state.get(key, np.zeros_like(g))
        if not momentum:
            v = g
        else:
            v = mu * v + ((1 - mu) * g if dampening else g)
        state[key] = v
        out[(t, name)] = sign * lr ** lr_power * v
    return out


def adam_deltas(args: dict[str, Any], names: list[str], grads: dict[str, np.ndarray],
                steps: int, *, correct_m: bool = True, correct_v: bool = True,
                t_offset: int = 0, eps_inside: bool = False, lr_power: int = 1,
                sign: float = 1.0, shared_t: bool = False, shared_moments: bool = False,
                swap_betas: bool = False) -> Deltas:
    lr, eps = float(args["lr"]), float(args["eps"])
    b1, b2 = float(args["beta1"]), float(args["beta2"])
    if swap_betas:
        b1, b2 = b2, b1
    moments: dict[str, list[np.ndarray]] = {}
    counts: dict[str, int] = {}
    out: Deltas = {}
    with np.errstate(all="ignore"):
        for t, name in _order(names, steps):
            g = grads[name][t - 1]
            key = str(g.shape) if shared_moments else name
            m, v = moments.get(key, [np.zeros_like(g), np.zeros_like(g)])
            tkey = "shared" if shared_t else name
            counts[tkey] = counts.get(tkey, 0) + 1
            step = counts[tkey] + t_offset
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g**2
            moments[key] = [m, v]
            m_hat = m / (1 - b1**step) if correct_m else m
            v_hat = v / (1 - b2**step) if correct_v else v
            denom = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
            out[(t, name)] = sign * lr ** lr_power * m_hat / denom
    return out


@dataclass(frozen=True)
class OptimizerBug:
    code: str
    message: str
    variant: dict[str, Any]
    applies: Callable[[dict[str, Any]], bool] = lambda args: True


SGD_BUGS = (
    OptimizerBug("optimizer_wrong_sign", "the deltas are minus torch.optim's: update returns "
                 "the step to subtract (the caller does param -= delta), lr·v, not −lr·v",
                 {"sign": -1.0}),
    OptimizerBug("optimizer_lr_twice", "the deltas are lr² times the (momentum) gradient: the "
                 "learning rate is applied twice (e.g. once into the velocity and once more "
                 "on the step)", {"lr_power": 2}, lambda a: float(a["lr"]) != 1.0),
    OptimizerBug("optimizer_momentum", "the deltas are plain SGD's: the momentum buffer is not "
                 "kept between steps (v ← μ·v + g, per parameter name)", {"momentum": False},
                 lambda a: float(a.get("momentum") or 0) > 0),
    OptimizerBug("optimizer_momentum", "the velocity is damped, v ← μ·v + (1 − μ)·g: "
                 "torch.optim.SGD (dampening=0) and the contract use v ← μ·v + g",
                 {"dampening": True}, lambda a: float(a.get("momentum") or 0) > 0),
    OptimizerBug("optimizer_state_shared", "one velocity is shared by the parameters (of one "
                 "shape): keep the optimiser's state per param_name", {"shared": True},
                 lambda a: float(a.get("momentum") or 0) > 0),
    OptimizerBug("optimizer_clip_missing", "the gradient is not clipped: with clip_norm, "
                 "rescale g so that ‖g‖₂ ≤ clip_norm before the step", {"clip": False},
                 lambda a: a.get("clip_norm") is not None),
)

ADAM_BUGS = (
    OptimizerBug("optimizer_wrong_sign", "the deltas are minus torch.optim's: update returns "
                 "the step to subtract, lr·m̂/(√v̂ + ε)", {"sign": -1.0}),
    OptimizerBug("optimizer_lr_twice", "the deltas are lr² · m̂/(√v̂ + ε): the learning rate is "
                 "applied twice", {"lr_power": 2}, lambda a: float(a["lr"]) != 1.0),
    OptimizerBug("optimizer_bias_correction_missing", "no bias correction: use m̂ = m/(1 − β₁ᵗ) "
                 "and v̂ = v/(1 − β₂ᵗ), t counting this parameter's updates from 1",
                 {"correct_m": False, "correct_v": False}),
    OptimizerBug("optimizer_bias_correction_missing", "no bias correction of the first moment:"
                 " use m̂ = m/(1 − β₁ᵗ)", {"correct_m": False}),
    OptimizerBug("optimizer_bias_correction_missing", "no bias correction of the second "
                 "moment: use v̂ = v/(1 − β₂ᵗ)", {"correct_v": False}),
    OptimizerBug("optimizer_bias_correction_step", "the bias correction is applied at the "
                 "wrong step, t − 1 (t counted from 0, so step 1 divides by 1 − β⁰ = 0): t is "
                 "the number of updates of this parameter including this one",
                 {"t_offset": -1}),
    OptimizerBug("optimizer_bias_correction_step", "the bias correction is applied at the "
                 "wrong step, t + 1 (the counter is incremented twice, or starts at 1 before "
                 "the first increment)", {"t_offset": 1}),
    OptimizerBug("optimizer_eps_inside_sqrt", "epsilon is inside the square root, "
                 "√(v̂ + ε): torch.optim.Adam and the contract use √v̂ + ε", {"eps_inside": True}),
    OptimizerBug("optimizer_state_shared", "one step counter t is shared by every parameter "
                 "(incremented on every update call): keep t per param_name",
                 {"shared_t": True}),
    OptimizerBug("optimizer_state_shared", "the moments m and v are shared by the parameters "
                 "(of one shape): keep them per param_name",
                 {"shared_moments": True, "shared_t": True}),
    OptimizerBug("optimizer_state_shared", "the moments m and v are shared by the parameters "
                 "of one shape (the step counter is per parameter): keep them per param_name",
                 {"shared_moments": True}),
    OptimizerBug("optimizer_betas_swapped", "β₁ and β₂ are swapped: m uses β₁ (0.9), v uses β₂ "
                 "(0.999)", {"swap_betas": True}),
)

OPTIMIZER_BUGS: dict[str, tuple[tuple[OptimizerBug, ...], Callable[..., Deltas]]] = {
    "sgd": (SGD_BUGS, sgd_deltas), "adam": (ADAM_BUGS, adam_deltas)}


def _matches(got: np.ndarray, want: np.ndarray, tol: Tolerance) -> bool:
    got = np.asarray(got, dtype=np.float64)
    if got.shape != want.shape:
        return False
    return compare_output(got, want, tuple(f"a{i}" for i in range(want.ndim)), tol).ok


def diagnose(spec: OpSpec, case: Case, answer: Answer, inputs: dict[str, np.ndarray],
             expected: dict[str, np.ndarray], tol: Tolerance) -> list[Cause]:
    """The usual bugs whose deltas match the implementation's, most specific first."""
    ctor = spec.ctor(case)   # harness.apis.hw6.model_cases.optim_ctor's
    given_args, given_names, given_steps = ctor["args"], ctor["names"], ctor["steps"]
    if not (isinstance(given_args, dict) and isinstance(given_names, list)
            and isinstance(given_steps, int)):
        raise TypeError(f"{spec.name}: {ctor} are not an optimiser case's arguments")
    args, names, steps = dict(given_args), list(given_names), int(given_steps)
    grads = {name: inputs[f"G/{name}"] for name in names}
    returned = {(t, n): answer.array(f"update/{t}/{n}") for t, n in _order(names, steps)}
    got = {k: v for k, v in returned.items() if v is not None}
    if not got:
        return []
    bugs, simulate = OPTIMIZER_BUGS[spec.name]
    causes = []
    for bug in bugs:
        if not bug.applies(args):
            continue
        try:
            variant = simulate(args, names, grads, steps, **bug.variant)
        except ValueError:
            continue
        if all(_matches(expected[f"update/{t}/{n}"], variant[(t, n)], tol)
               for t, n in got):
            continue  # this variant is indistinguishable from the correct rule here
        if all(_matches(g, variant[k], tol) for k, g in got.items()):
            first = next(k for k in got
                         if not _matches(expected[f"update/{k[0]}/{k[1]}"], variant[k], tol))
            causes.append(Cause(bug.code, f"{bug.message} (the deltas match this variant at "
                                          f"every step; it first differs from torch.optim at "
                                          f"step {first[0]}, parameter {first[1]})"))
    return causes
