"""mytorch's editions: which homework part a checkout is and which year's API it follows.

Told from the files (harness/core/editions.py), first match first; read from the handouts and
the autograders of public checkouts (Fall 2022 to Spring 2026):

- ``hw2p1-2022-23``: a HW2P1 checkout (resampling, no BatchNorm1d) whose ``Conv1d`` takes
  no ``padding``: its convolutions are checked without padding, and the ``linear.py``,
  ``activation.py`` and ``loss.py`` its handout ships for the CNN model are not graded;
- ``hw2p1``: a HW2P1 checkout of 2024 or later (``Conv1d(..., stride, padding=0)``);
- ``2022-23``: HW1P1 before 2024, told by activations whose ``backward()`` takes no argument
  and returns dA/dZ. Linear's dLdW and dLdb are averaged over the batch, CrossEntropyLoss's
  gradient is softmax − Y (not divided by N), MSELoss is Σ(A−Y)²/(2NC) with the gradient
  (A−Y)/(NC) (Spring 2023); there is no GELU, Softmax or Swish;
- ``2022``: Fall 2022 only, named with ``--edition 2022`` (its files look like 2023's): MSELoss
  is Σ(A−Y)²/(NC) but its backward returns A − Y;
- ``2024+``: the current contract (the default), what student_nn/mytorch implements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.core.editions import Edition, Marker
from harness.core.opspec import ObjectOp, OpSpec

HW1 = ("linear", "identity", "sigmoid", "tanh", "relu", "gelu", "softmax", "swish", "mse",
       "cross_entropy", "batchnorm1d", "batchnorm1d_eval")
ELEMENTWISE = ("identity", "sigmoid", "tanh", "relu")


def _ops(*names: str) -> tuple[str, ...]:
    return tuple(f"mytorch:{name}" for name in names)


def _driven(**changes: object) -> Callable[[OpSpec], OpSpec]:
    """The op with its `Methods` changed (`changes`), and the twin told the year's options."""
    def redefine(spec: OpSpec) -> OpSpec:
        assert isinstance(spec, ObjectOp)
        return spec.driven(replace(spec.methods, **changes))  # type: ignore[arg-type]
    return redefine


def _twin(**options: bool) -> Callable[[OpSpec], OpSpec]:
    return _driven(twin_options=tuple(options.items()))


NO_PADDING = {op: _driven(init=("in_channels", "out_channels", "kernel_size", "stride"))
              for op in _ops("conv1d", "conv2d")}
WITHOUT_PADDING = {op: (lambda p: p.get("padding", 0) == 0,
                        "that year's Conv1d and Conv2d take no padding")
                   for op in _ops("conv1d", "conv2d")}
OLD_API = {
    **{op: _driven(backward=(), twin_options=(("local", True),))
       for op in _ops(*ELEMENTWISE)},
    "mytorch:linear": _twin(batch_mean=True),
    "mytorch:cross_entropy": _twin(mean_gradient=False),
    **NO_PADDING,
}
HW2P1 = Marker("nn.batchnorm", present=False), Marker("nn.resampling")
HANDOUT_HW1 = ("the HW2P1 handout ships linear.py, activation.py and loss.py for its CNN "
               "model: they are not HW2P1's to grade",)

EDITIONS = (
    Edition("2024+", "mytorch, Spring 2024 and later: activations' backward(dLdA), GELU and "
                     "Softmax, Conv1d and Conv2d with padding"),
    Edition("hw2p1-2022-23", "a HW2P1 checkout of 2022–23: convolutions without padding",
            (*HW2P1, Marker("nn.Conv1d", text=r"\bpadding\b", present=False)),
            leaves_out=_ops(*HW1), redefines=NO_PADDING, covers=WITHOUT_PADDING,
            notes=HANDOUT_HW1),
    Edition("hw2p1", "a HW2P1 checkout of 2024 or later", HW2P1, leaves_out=_ops(*HW1),
            notes=HANDOUT_HW1),
    Edition("2022-23", "mytorch HW1P1 of 2022–23: activations' backward() returns dA/dZ, "
                       "Linear's gradients averaged over the batch",
            (Marker("nn.activation", text=r"def\s+backward\s*\(\s*self\s*\)\s*:"),),
            leaves_out=_ops("gelu", "softmax", "swish"),
            redefines={**OLD_API, "mytorch:mse": _twin(halved=True)},
            covers=WITHOUT_PADDING,
            notes=("Spring 2023's MSELoss: Σ(A−Y)²/(2NC), its gradient (A−Y)/(NC); for "
                   "Fall 2022's (backward returns A − Y) give --edition 2022",)),
    Edition("2022", "mytorch HW1P1 of Fall 2022: as 2022–23, MSELoss's backward returns A − Y",
            leaves_out=_ops("gelu", "softmax", "swish"),
            redefines={**OLD_API, "mytorch:mse": _twin(unscaled_gradient=True)},
            covers=WITHOUT_PADDING),
)
