"""The op registry: every op nnparity checks is declared here, once.

Adding an op means one `OpSpec` entry below, one class in student_nn and one twin in
reference/ with the same name; cases, comparison, reports and grading pick it up from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from harness import cases as c
from harness import model_cases as mc
from harness.cases import Case, Family, Params

KIND_OF_MODULE = {"activations": "activation", "layers": "layer", "losses": "loss",
                  "models": "model", "optimizers": "optimizer", "weights": "initializer"}


@dataclass(frozen=True)
class OpSpec:
    name: str                   # canonical op name, used in case IDs, reports and rubrics
    module: str                 # contract module holding the class: activations | layers | losses
    cls: str                    # contract class name, the same in student_nn and reference
    family: Family              # how cases are sampled and inputs built
    outputs: tuple[str, ...]    # compared outputs, in order
    fixed: Params = field(default_factory=dict)  # constructor arguments this op fixes
    op_kind: str | None = None  # how the driver runs it, when not its module's kind (training)
    max_cases: int | None = None  # at most this many cases per run (training: each is K steps)

    @property
    def kind(self) -> str:
        return self.op_kind or KIND_OF_MODULE[self.module]

    def cases(self, count: int, seed: int = 0) -> Iterator[Case]:
        if self.max_cases is not None:
            count = min(count, self.max_cases)
        return c.iter_cases(self.name, self.family, self.fixed, count, seed)

    def inputs(self, case: Case) -> dict[str, np.ndarray]:
        """The case's input arrays, built once per case and read-only: copy them before
        handing them to code that may write into its inputs."""
        return dict(_cached_inputs(self.name, case))

    def ctor(self, case: Case) -> Params:
        return self.family.ctor(case.p, self.fixed)

    def axes(self, output: str, ndim: int) -> tuple[str, ...]:
        """Axis names for locating an element of `output` (generic names if ndim differs)."""
        names = self.family.axes.get(output)
        if names is not None and len(names) == ndim:
            return names
        if ndim == 4:
            return c.IMAGE_AXES
        if ndim == 2:
            return ("n", "j")
        return tuple(f"axis{i}" for i in range(ndim))


ACT_OUT = ("forward", "dX")
PARAM_OUT = ("forward", "dX", "dW", "db")
NETWORK_OUT = ("forward", "loss", "gradients", "predict", "update")
INIT_OUT = ("scale", "distribution")

OPS: dict[str, OpSpec] = {
    spec.name: spec
    for spec in [
        OpSpec("linear", "activations", "Linear", c.ELEMENTWISE, ACT_OUT),
        OpSpec("sigmoid", "activations", "Sigmoid", c.ELEMENTWISE, ACT_OUT),
        OpSpec("tanh", "activations", "TanH", c.ELEMENTWISE, ACT_OUT),
        OpSpec("relu", "activations", "ReLU", c.ELEMENTWISE, ACT_OUT),
        OpSpec("softmax", "activations", "SoftMax", c.SOFTMAX, ACT_OUT),
        OpSpec("fully_connected", "layers", "FullyConnected", c.DENSE, PARAM_OUT),
        OpSpec("conv2d", "layers", "Conv2D", c.CONV, PARAM_OUT),
        OpSpec("pool2d_max", "layers", "Pool2D", c.POOL, ACT_OUT, {"mode": "max"}),
        OpSpec("pool2d_average", "layers", "Pool2D", c.POOL, ACT_OUT, {"mode": "average"}),
        OpSpec("flatten", "layers", "Flatten", c.FLATTEN, ACT_OUT),
        OpSpec("cross_entropy", "losses", "CrossEntropy", c.LOSS, ACT_OUT,
               {"name": "cross_entropy", "target": "onehot"}),
        OpSpec("l2", "losses", "L2", c.LOSS, ACT_OUT, {"name": "l2", "target": "real"}),
        # whole models (harness/model_cases.py): NeuralNetwork against the twin assembled
        # from the reference twins, optimisers against torch.optim, weight initialisers
        # against torch.nn.init, and training parity over K steps
        OpSpec("network", "models", "NeuralNetwork", mc.NETWORK, NETWORK_OUT),
        OpSpec("sgd", "optimizers", "initialize_optimizer", mc.OPTIMIZER, ("update",),
               {"name": "sgd"}),
        OpSpec("adam", "optimizers", "initialize_optimizer", mc.OPTIMIZER, ("update",),
               {"name": "adam"}),
        *(OpSpec(name, "weights", "initialize_weights", mc.INITIALIZER, INIT_OUT,
                 {"name": name})
          for name in ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")),
        OpSpec("training", "models", "NeuralNetwork", mc.TRAINING, ("loss", "parameters"),
               op_kind="training", max_cases=2),
    ]
}


# The modules that hold the registered ops.
GRADED_MODULES: tuple[str, ...] = tuple(dict.fromkeys(spec.module for spec in OPS.values()))
# The modules of the single ops (activations, layers, losses): what `check` grades as the
# submission's own code (every other module may come from the starter or student_nn, see
# harness/sources.py); an op of another module (models, optimizers, weights) is checked with
# its own module graded as well, in a child of its own (`harness.evaluate.Checker`).
BASE_MODULES: tuple[str, ...] = tuple(dict.fromkeys(
    spec.module for spec in OPS.values() if spec.kind in ("activation", "layer", "loss")))


@lru_cache(maxsize=8192)
def _cached_inputs(op: str, case: Case) -> dict[str, np.ndarray]:
    inputs = c.build_inputs(OPS[op].family, case)
    for arr in inputs.values():
        arr.flags.writeable = False
    return inputs


def get_op(name: str) -> OpSpec:
    try:
        return OPS[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(OPS)}") from None


def select_ops(names: str | None) -> list[OpSpec]:
    """Ops named in a comma-separated list (all ops when empty)."""
    if not names:
        return list(OPS.values())
    return [get_op(n.strip()) for n in names.split(",") if n.strip()]
