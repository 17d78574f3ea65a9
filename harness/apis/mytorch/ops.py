"""mytorch's op table: each class, the module that holds it and how it is driven.

A row is an `ObjectOp`: the class is constructed from sizes (``Linear(in_features,
out_features)``), its parameters are assigned after construction as the course's tests do
(``layer.W = W``), then ``forward`` and ``backward`` run and the gradients are read from its
attributes (``dLdW``). Its twin is the class of the same name in reference/mytorch.py.
Modules are the handout's paths below ``mytorch/`` (Spring 2024 on); other years' layouts are
found by class (harness/sandbox/tree.py). HW3P1's classes (`PlanOp`) are driven by a plan of
their own methods (``init_weights``, ``forward``, a ``backward`` that returns a tuple, CTC's
four steps); their twins are in reference/mytorch_rnn.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.apis.mytorch import cases as mc
from harness.apis.mytorch import rnn_cases as rc
from harness.apis.mytorch.runners import LAYERS, SGD_KIND, Call, Plan
from harness.core.cases import Case, Family
from harness.core.opspec import Driven, Handout, Methods, ObjectOp, OpSpec

API = "mytorch"
TWINS = "reference.mytorch"


def _op(name: str, module: str, cls: str, family: Family, outputs: tuple[str, ...],
        methods: Methods, scalars: tuple[str, ...] = ()) -> ObjectOp:
    return ObjectOp(f"{API}:{name}", module, cls, family, outputs, api=API, optional=True,
                    methods=methods, twins=TWINS, scalars=scalars)


ACTIVATION = Methods(forward=("Z",), backward=("dLdA",))
LOSS = Methods(forward=("A", "Y"), backward=(), loss=True)

OPS = [
    _op("linear", "nn.linear", "Linear", mc.LINEAR, ("forward", "dX", "dW", "db"),
        Methods(init=("in_features", "out_features"), sets=(("W", "W"), ("b", "b")),
                forward=("A",), backward=("dLdZ",),
                grads=(("dW", "dLdW"), ("db", "dLdb")))),
    *(_op(name, "nn.activation", cls, mc.ACTIVATION, ("forward", "dX"), ACTIVATION)
      for name, cls in (("identity", "Identity"), ("sigmoid", "Sigmoid"), ("tanh", "Tanh"),
                        ("relu", "ReLU"), ("gelu", "GELU"), ("softmax", "Softmax"))),
    # β as constructed (1.0): the course's test; where a checkout keeps β is its own
    _op("swish", "nn.activation", "Swish", mc.ACTIVATION, ("forward", "dX", "dbeta"),
        Methods(forward=("Z",), backward=("dLdA",), grads=(("dbeta", "dLdbeta"),)),
        scalars=("dbeta",)),
    _op("mse", "nn.loss", "MSELoss", mc.MSE, ("forward", "dX"), LOSS),
    _op("cross_entropy", "nn.loss", "CrossEntropyLoss", mc.CROSS_ENTROPY, ("forward", "dX"),
        LOSS),
    _op("batchnorm1d", "nn.batchnorm", "BatchNorm1d", mc.BATCHNORM,
        ("forward", "running_M", "running_V", "dX", "dBW", "dBb"),
        Methods(init=("num_features",),
                sets=(("BW", "BW"), ("Bb", "Bb"), ("running_M", "running_M"),
                      ("running_V", "running_V")),
                forward=("Z", "eval"), backward=("dLdBZ",),
                state=(("running_M", "running_M"), ("running_V", "running_V")),
                grads=(("dBW", "dLdBW"), ("dBb", "dLdBb")))),
    _op("batchnorm1d_eval", "nn.batchnorm", "BatchNorm1d", mc.BATCHNORM_EVAL,
        ("forward", "running_M", "running_V"),
        Methods(init=("num_features",),
                sets=(("BW", "BW"), ("Bb", "Bb"), ("running_M", "running_M"),
                      ("running_V", "running_V")),
                forward=("Z", "eval"), backward=(),
                state=(("running_M", "running_M"), ("running_V", "running_V")))),
]



INIT_FNS = (("weight_init_fn", "W"), ("bias_init_fn", "b"))


def _layer(name: str, module: str, cls: str, family: Family, init: tuple[str, ...],
           inner: str = "") -> ObjectOp:
    """A convolution, given W and b through its init functions and then assigned where the
    handout keeps them (a strided one's in its stride-1 `inner`), as the course's tests
    reach them (they read the weights there, so a class that does not pass its init
    functions on is not failed for it); its gradients are read there too."""
    at = f"{inner}." if inner else ""
    return _op(name, module, cls, family, ("forward", "dX", "dW", "db"),
               Methods(init=init, makers=INIT_FNS, sets=((f"{at}W", "W"), (f"{at}b", "b")),
                       forward=("A",), backward=("dLdZ",),
                       grads=(("dW", f"{at}dLdW"), ("db", f"{at}dLdb"))))


def _transposed(name: str, cls: str, family: Family) -> ObjectOp:
    """A transposed convolution: its forward and dLdA (its W's gradient is its stride-1
    convolution's, checked there; the handout does not say where it keeps it)."""
    return _op(name, "nn.ConvTranspose", cls, family, ("forward", "dX"),
               Methods(init=(*CONV, "upsampling_factor"), makers=INIT_FNS, forward=("A",),
                       backward=("dLdZ",)))


def _plain(name: str, module: str, cls: str, family: Family, init: tuple[str, ...] = ()
           ) -> ObjectOp:
    """A layer without parameters: resampling, pooling, flattening."""
    return _op(name, module, cls, family, ("forward", "dX"),
               Methods(init=init, forward=("A",), backward=("dLdZ",)))


CONV = ("in_channels", "out_channels", "kernel_size")
OPS += [
    _plain("upsample1d", "nn.resampling", "Upsample1d", mc.UPSAMPLE1D, ("factor",)),
    _plain("downsample1d", "nn.resampling", "Downsample1d", mc.DOWNSAMPLE1D, ("factor",)),
    _plain("upsample2d", "nn.resampling", "Upsample2d", mc.UPSAMPLE2D, ("factor",)),
    _plain("downsample2d", "nn.resampling", "Downsample2d", mc.DOWNSAMPLE2D, ("factor",)),
    _layer("conv1d_stride1", "nn.Conv1d", "Conv1d_stride1", mc.CONV1D_STRIDE1, CONV),
    _layer("conv1d", "nn.Conv1d", "Conv1d", mc.CONV1D, (*CONV, "stride", "padding"),
           "conv1d_stride1"),
    _layer("conv2d_stride1", "nn.Conv2d", "Conv2d_stride1", mc.CONV2D_STRIDE1, CONV),
    _layer("conv2d", "nn.Conv2d", "Conv2d", mc.CONV2D, (*CONV, "stride", "padding"),
           "conv2d_stride1"),
    _transposed("conv_transpose1d", "ConvTranspose1d", mc.CONV_TRANSPOSE1D),
    _transposed("conv_transpose2d", "ConvTranspose2d", mc.CONV_TRANSPOSE2D),
    _plain("maxpool2d_stride1", "nn.pool", "MaxPool2d_stride1", mc.POOL_STRIDE1, ("kernel",)),
    _plain("meanpool2d_stride1", "nn.pool", "MeanPool2d_stride1", mc.POOL_STRIDE1,
           ("kernel",)),
    _plain("maxpool2d", "nn.pool", "MaxPool2d", mc.POOL, ("kernel", "stride")),
    _plain("meanpool2d", "nn.pool", "MeanPool2d", mc.POOL, ("kernel", "stride")),
    _plain("flatten", "flatten", "Flatten", mc.FLATTEN),
]



@dataclass(frozen=True)
class StepOp(ObjectOp):
    """An optimiser: ``SGD(model, lr, momentum)``, then ``step()``; its outputs are the
    model's parameters after the steps (harness/apis/mytorch/runners.py)."""

    @property
    def kind(self) -> str:
        return SGD_KIND

    def how(self) -> Driven:
        return {}

    def request(self) -> dict[str, object]:
        return {}

    def stage_of(self, output: str) -> str:
        return "forward"   # its one call (step), whose copies of the inputs come back

    def stage_call(self, stage: str) -> str:
        return f"{self.cls}.step"

    def call_of(self, output: str) -> str:
        return f"{self.cls}.step (layer {output[1:]}'s {output[0]})"

    def function(self, output: str, detail: bool = True) -> str:
        return self.call_of(output) if detail else f"{self.cls}.step"


OPS.append(StepOp("mytorch:sgd", "optim.sgd", "SGD", mc.SGD,
                  tuple(f"{name}{i}" for i in range(LAYERS) for name in "Wb"), api=API,
                  optional=True, methods=Methods(), twins=TWINS))



# ---------------------------------------------------------------- HW3P1
@dataclass(frozen=True)
class PlanOp(ObjectOp):
    """A class driven by a sequence of its methods (a `Plan`: harness/apis/mytorch/runners.py):
    HW3P1's cells (``init_weights``, ``forward``, a ``backward`` that returns a tuple) and
    CTC's steps, whose methods are not forward and backward."""

    plan: Plan = field(kw_only=True)

    @property
    def kind(self) -> str:
        return self.plan.kind

    def how(self) -> Driven:
        return {}

    def request(self) -> dict[str, object]:
        return {}

    def _call(self, output: str) -> Call:
        """The call computing `output` (any other name: the first call computing one)."""
        return next((c for c in self.plan.calls if output in c.outputs),
                    next(c for c in self.plan.calls if c.outputs))

    def stage_of(self, output: str) -> str:
        return self._call(output).stage

    def stage_call(self, stage: str) -> str:
        call = next((c for c in self.plan.calls if c.stage == stage), self.plan.calls[-1])
        return f"{self.cls}.{call.method}"

    def call_of(self, output: str) -> str:
        call = self._call(output)
        reads = dict(call.reads)
        if output in reads:
            return f"{self.cls}.{call.method} (self.{reads[output]})"
        if len(call.returns) > 1 and output in call.returns:
            i = call.returns.index(output)
            return (f"{self.cls}.{call.method} ({call.labels[i]}, value {i + 1} of "
                    f"{len(call.returns)})")
        return f"{self.cls}.{call.method}"

    def function(self, output: str, detail: bool = True) -> str:
        return self.call_of(output) if detail else f"{self.cls}.{self._call(output).method}"


def _plan(name: str, module: str, cls: str, family: Family, init: tuple[str, ...],
          *calls: Call, scalars: tuple[str, ...] = (),
          handout: tuple[Handout, ...] = ()) -> PlanOp:
    plan = Plan(f"{API}_{name}", init, calls)
    return PlanOp(f"{API}:{name}", module, cls, family,
                  tuple(o for call in calls for o in call.outputs), api=API, optional=True,
                  methods=Methods(), twins=HW3_TWINS, scalars=scalars, plan=plan,
                  handout=handout, notes=HANDOUT_NOTE if handout else ())


# The cells call the activation.py HW3P1's handout ships (harness/apis/mytorch/handout/),
# whatever the checkout's activation.py is: a consolidated checkout's is HW1P1's.
# (A checkout's own activation.py is HW3P1's when its Tanh takes BPTT's state: it stays.)
BPTT_TANH = r"def\s+(?:backward|derivative)\s*\([^)]*\bstate\b"
CELL_HANDOUT = (Handout("nn.activation", "activation_2024", BPTT_TANH),)
HANDOUT_NOTE = ("run with HW3P1's activation.py: the checkout's own when it is HW3P1's "
                "(its Tanh takes BPTT's state), else nnparity's stand-in for that year's "
                "handout (the checkout's is another homework's)",)


HW3_TWINS = "reference.mytorch_rnn"
CELL = ("input_size", "hidden_size")
RNN_GRADS = tuple((f"d{w}", f"d{w}") for w in rc.RNN_WEIGHTS)
GRU_GRADS = tuple((f"d{w}", f"d{w}") for w in rc.GRU_WEIGHTS)
CTC_ARGS = ("logits", "extended_symbols", "skip_connect")
CELL_BACKWARD = ("dx", "dh_prev_t")
OPS += [
    # backward(delta, h_t, h_prev_l, h_prev_t) for two steps (BPTT's): its gradients add up
    _plan("rnn_cell", "rnn_cell", "RNNCell", rc.RNN_CELL, CELL,
          Call("init_weights", rc.RNN_WEIGHTS, stage="init"),
          Call("forward", ("x", "h_prev_t"), ("forward",)),
          Call("backward", ("delta", "h_t", "x", "h_prev_t"), ("dX", "dh"), CELL_BACKWARD,
               stage="backward"),
          Call("backward", ("delta_2", "h_t_2", "x_2", "h_prev_t_2"), ("", ""),
               CELL_BACKWARD, RNN_GRADS, stage="backward"), handout=CELL_HANDOUT),
    # the handout's classifier over the student's RNNCells and the handout's Linear; each
    # layer's gradients read after backward, the layers above the first stacked
    _plan("rnn_classifier", "rnn_classifier", "RNNPhonemeClassifier", rc.RNN_CLASSIFIER,
          ("input_size", "hidden_size", "output_size", "num_layers"),
          Call("init_weights", (rc.RNN_LAYER_WEIGHTS, "[W, b]"), stage="init"),
          Call("forward", ("x",), ("forward",)),
          Call("backward", ("delta",), ("dh",), ("dh_0",), (
              ("dW_ih", "rnn[0].dW_ih"), ("dW_ih_up", "rnn[1:].dW_ih"),
              *((name, f"rnn[:].{name}") for name in ("dW_hh", "db_ih", "db_hh"))),
              stage="backward"),
          handout=(*CELL_HANDOUT, Handout("nn.linear", "linear"))),
    _plan("gru_cell", "gru_cell", "GRUCell", rc.GRU_CELL, CELL,
          Call("init_weights", rc.GRU_WEIGHTS, stage="init"),
          Call("forward", ("x", "h_prev_t"), ("forward",)),
          Call("backward", ("delta",), ("dX", "dh"), CELL_BACKWARD, GRU_GRADS,
               stage="backward"), handout=CELL_HANDOUT),
    _plan("ctc_extend", "CTC", "CTC", rc.CTC_EXTEND, ("blank",),
          Call("extend_target_with_blank", ("target",), ("extended", "skip"),
               ("extended_symbols", "skip_connect"), as_arrays=True)),
    _plan("ctc_forward_probs", "CTC", "CTC", rc.CTC_PROBS, ("blank",),
          Call("get_forward_probs", CTC_ARGS, ("alpha",))),
    _plan("ctc_backward_probs", "CTC", "CTC", rc.CTC_PROBS, ("blank",),
          Call("get_backward_probs", CTC_ARGS, ("beta",))),
    _plan("ctc_posterior", "CTC", "CTC", rc.CTC_POSTERIOR, ("blank",),
          Call("get_posterior_probs", ("alpha", "beta"), ("gamma",))),
    _plan("ctc_loss", "CTC", "CTCLoss", rc.CTC_LOSS, ("blank",),
          Call("forward", ("logits", "target", "input_lengths", "target_lengths"),
               ("forward",)),
          Call("backward", (), ("dX",), stage="backward"), scalars=("forward",)),
]
HW3 = tuple(op.name.partition(":")[2] for op in OPS if isinstance(op, PlanOp))

MYTORCH_OPS: dict[str, OpSpec] = {op.name: op for op in OPS}

# The other classes each class's code calls, as the handout builds it: a root cause in one is
# charged to it once (harness/check/substitute.py reruns the others with it substituted).
USES = {f"{API}:{op}": frozenset(f"{API}:{u}" for u in used) for op, used in {
    "conv1d": ("conv1d_stride1", "downsample1d"), "conv2d": ("conv2d_stride1", "downsample2d"),
    "conv_transpose1d": ("upsample1d", "conv1d_stride1"),
    "conv_transpose2d": ("upsample2d", "conv2d_stride1"),
    "maxpool2d": ("maxpool2d_stride1", "downsample2d"),
    "meanpool2d": ("meanpool2d_stride1", "downsample2d"),
    "rnn_classifier": ("rnn_cell",),
    "ctc_loss": ("ctc_extend", "ctc_forward_probs", "ctc_backward_probs", "ctc_posterior"),
}.items()}


def uses(spec: OpSpec, case: Case) -> frozenset[str]:
    """The ops a case of `spec` calls (`harness.core.api.Api.uses`)."""
    return USES.get(spec.name, frozenset())
