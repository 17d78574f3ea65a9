"""mytorch's editions: which homework part a checkout is and which year's API it follows.

Told from the files (harness/core/editions.py), first match first; read from the handouts and
the autograders of public checkouts (Fall 2022 to Spring 2026):

- ``hw3p1-2022-23``: a HW3P1 checkout (rnn_cell.py, no SGD or resampling, GRUCell's biases
  brx ... bnh) of 2022–23, told by ``GRUCell(in_dim, hidden_dim)``: its GRUCell.backward
  returns dx (1, D) and dh (1, H); the activation.py, linear.py and loss.py its handout ships
  are not graded, nor are HW2P1's classes;
- ``hw3p1``: a HW3P1 checkout of 2024 or later (``GRUCell(input_size, hidden_size)``, whose
  backward returns dx (D,) and dh (H,));
- ``2022-hw3``: a Fall 2022 checkout whose activation.py is HW3P1's (``derivative(self,
  state=None)``, as that year's HW3P1 handout shipped it) and whose GRUCell has the biases
  brx ... bnh: HW1P1 is not checked, HW3P1's GRUCell returns row vectors, the convolutions
  take no padding;
- ``legacy``: mytorch before Fall 2022 (activations with ``derivative()``): older HW1P1 and
  HW3P1 APIs (GRUCell's biases bir ... bhn, CTC's ``targetWithBlank``), not checked (its
  HW2P1 classes are named otherwise: Conv1D);
- ``autograd``: the HW1P1 autograd bonus, whose Linear, elementwise activations and MSELoss
  take an autograd engine: those are left to the bonus's tests;
- ``hw2p1-2022-23``: a HW2P1 checkout (resampling, no SGD) whose ``Conv1d`` takes
  no ``padding``: its convolutions are checked without padding, and the ``linear.py``,
  ``activation.py`` and ``loss.py`` its handout ships for the CNN model are not graded (its
  HW3P1 classes, if it has them, are that year's);
- ``hw2p1``: a HW2P1 checkout of 2024 or later (``Conv1d(..., stride, padding=0)``);
- ``2022``: HW1P1 of Fall 2022, its files in ``mytorch/nn/modules/`` or ``mytorch/``: as
  2022-23 below, but MSELoss is Σ(A−Y)²/(NC) and its backward returns A − Y;
- ``2022-23``: HW1P1 before 2024, told by activations whose ``backward()`` takes no argument
  and returns dA/dZ. Linear's dLdW and dLdb are averaged over the batch, CrossEntropyLoss's
  gradient is softmax − Y (not divided by N), MSELoss is Σ(A−Y)²/(2NC) with the gradient
  (A−Y)/(NC) (Spring 2023); there is no GELU, Softmax or Swish; a checkout that also holds
  HW3P1 has that year's GRUCell (row vectors, as hw3p1-2022-23);
- ``2024+``: the current contract (the default), what student_nn/mytorch implements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.apis.mytorch.ops import HW3, MYTORCH_OPS, PlanOp
from harness.core.editions import Edition, Marker
from harness.core.opspec import ObjectOp, OpSpec

HW1 = ("linear", "identity", "sigmoid", "tanh", "relu", "gelu", "softmax", "swish", "mse",
       "cross_entropy", "batchnorm1d", "batchnorm1d_eval", "sgd")
HW2 = tuple(name for name in (op.partition(":")[2] for op in MYTORCH_OPS)
            if name not in (*HW1, *HW3))
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
def _row_vectors(spec: OpSpec) -> OpSpec:
    """GRUCell before 2024: backward(delta (1, H)) returns dx (1, D) and dh_prev_t (1, H)
    (the course's test passed the Linear's dLdA row on; from 2024 it squeezes it)."""
    assert isinstance(spec, PlanOp)
    calls = tuple(replace(c, args=("delta.reshape(1, -1)",)) if c.method == "backward"
                  else c for c in spec.plan.calls)
    kind = f"{spec.plan.kind.removesuffix('_rows')}_rows"   # its own runner (the child's)
    plan = replace(spec.plan, kind=kind, calls=calls)
    twin = _twin(row_vectors=True)(spec)
    assert isinstance(twin, PlanOp)
    return replace(twin, plan=plan)


def _handout_2022_23(spec: OpSpec) -> OpSpec:
    """An op run with the activation.py of 2022–23's HW3P1 handout (callable activations,
    ``derivative()`` or ``backward()`` returning dA/dZ; harness/apis/mytorch/handout/)."""
    return replace(spec, handout=tuple(
        replace(h, stand_in="activation_2022_23") if h.module == "nn.activation" else h
        for h in spec.handout))


# HW3P1 of 2022–23: GRUCell's row vectors, and that year's handout activation.py
OLD_GRU = {"mytorch:gru_cell": lambda spec: _row_vectors(_handout_2022_23(spec)),
           "mytorch:rnn_cell": _handout_2022_23, "mytorch:rnn_classifier": _handout_2022_23}
OLD_API = {
    **{op: _driven(backward=(), twin_options=(("local", True),))
       for op in _ops(*ELEMENTWISE)},
    "mytorch:linear": _twin(batch_mean=True),
    "mytorch:cross_entropy": _twin(mean_gradient=False),
    **NO_PADDING,
    **OLD_GRU,
}
# A HW2P1 checkout: resampling and no SGD (every HW1P1 handout has optim/sgd.py; HW2P1's
# ships linear.py, activation.py, loss.py and some years batchnorm.py for its models)
HW2P1 = Marker("optim.sgd", present=False), Marker("nn.resampling")
NO_PADDING_INIT = Marker("nn.Conv1d", text=r"def __init__\([^)]*\bpadding\b", present=False)
OLD_BACKWARD = Marker("nn.activation", text=r"def\s+backward\s*\(\s*self\s*\)\s*:")
HANDOUT_HW1 = ("the HW2P1 handout ships linear.py, activation.py and loss.py for its CNN "
               "model: they are not HW2P1's to grade",)
# A HW3P1 checkout: its cells and no SGD (its handout ships activation.py, with BPTT's Tanh,
# linear.py and loss.py, for the cells and models: not the student's). GRUCell's biases are
# brx ... bnh from Fall 2022 on (bir ... bhn before, with CTC's targetWithBlank: legacy).
NEW_GRU = Marker("gru_cell", text=r"\bbrx\b")
HW3P1 = (Marker("optim.sgd", present=False), Marker("nn.resampling", present=False),
         Marker("rnn_cell"), NEW_GRU)
OLD_GRU_INIT = Marker("gru_cell", text=r"def __init__\(\s*self\s*,\s*in_dim\b")
DERIVATIVE = Marker("nn.activation", text=r"def\s+derivative\s*\(")
BPTT_DERIVATIVE = Marker("nn.activation", text=r"def\s+derivative\s*\(\s*self\s*,\s*state")
HANDOUT_HW3 = ("the HW3P1 handout ships activation.py (Sigmoid, and the Tanh BPTT uses), "
               "linear.py and loss.py: they are not HW3P1's to grade",)

EDITIONS = (
    Edition("2024+", "mytorch, Spring 2024 and later: activations' backward(dLdA), GELU and "
                     "Softmax, Conv1d and Conv2d with padding"),
    Edition("hw3p1-2022-23", "a HW3P1 checkout of 2022–23: GRUCell(in_dim, hidden_dim), "
                             "whose backward returns row vectors (1, D) and (1, H)",
            (*HW3P1, OLD_GRU_INIT), leaves_out=_ops(*HW1, *HW2), redefines=OLD_GRU,
            notes=HANDOUT_HW3),
    Edition("hw3p1", "a HW3P1 checkout of 2024 or later", HW3P1, leaves_out=_ops(*HW1, *HW2),
            notes=HANDOUT_HW3),
    Edition("2022-hw3", "mytorch of Fall 2022 whose activation.py is HW3P1's (derivative(), "
                        "for BPTT): HW1P1 is not checked (its activations are not HW1P1's), "
                        "HW3P1's GRUCell returns row vectors",
            (BPTT_DERIVATIVE, NEW_GRU), leaves_out=_ops(*HW1),
            redefines={**NO_PADDING, **OLD_GRU}, covers=WITHOUT_PADDING),
    Edition("legacy", "mytorch before Fall 2022 (Linear(in_feature, out_feature, "
                      "weight_init_fn, bias_init_fn), activations' derivative()): older "
                      "HW1P1 and HW3P1 APIs than the ones nnparity checks, so neither is "
                      "checked",
            (DERIVATIVE,), leaves_out=_ops(*HW1, *HW3),
            redefines=NO_PADDING, covers=WITHOUT_PADDING),
    Edition("autograd", "the HW1P1 autograd bonus: Linear, the elementwise activations and "
                        "MSELoss take an autograd engine (the bonus's own tests check them)",
            (Marker("nn.linear", text=r"autograd_engine"),),
            leaves_out=_ops("linear", "identity", "sigmoid", "tanh", "relu", "mse",
                            "cross_entropy")),
    Edition("hw2p1-2022-23", "a HW2P1 checkout of 2022–23: convolutions without padding",
            (*HW2P1, NO_PADDING_INIT), leaves_out=_ops(*HW1),
            redefines={**NO_PADDING, **OLD_GRU},
            covers=WITHOUT_PADDING, notes=HANDOUT_HW1),
    Edition("hw2p1", "a HW2P1 checkout of 2024 or later", HW2P1, leaves_out=_ops(*HW1),
            notes=HANDOUT_HW1),
    Edition("2022", "mytorch HW1P1 of Fall 2022 (its files in mytorch/nn/modules/ or "
                    "mytorch/): activations' backward() returns dA/dZ, Linear's gradients "
                    "averaged over the batch, MSELoss's backward returns A − Y",
            (OLD_BACKWARD, Marker("nn.linear", where=r"/nn/linear\.py$", present=False)),
            leaves_out=_ops("gelu", "softmax", "swish"),
            redefines={**OLD_API, "mytorch:mse": _twin(unscaled_gradient=True)},
            covers=WITHOUT_PADDING),
    Edition("2022-23", "mytorch HW1P1 of 2023: activations' backward() returns dA/dZ, "
                       "Linear's gradients averaged over the batch, MSELoss halved",
            (OLD_BACKWARD,), leaves_out=_ops("gelu", "softmax", "swish"),
            redefines={**OLD_API, "mytorch:mse": _twin(halved=True)},
            covers=WITHOUT_PADDING,
            notes=("MSELoss: Σ(A−Y)²/(2NC), its gradient (A−Y)/(NC) (Spring 2023)",)),
)
