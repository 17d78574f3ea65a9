"""The op registry: every op nnparity checks is declared here, once.

Adding an op means one `OpSpec` entry below, one class in student_nn and one twin in
reference/ with the same name; cases, comparison, reports and grading pick it up from here.
"""

from __future__ import annotations

from harness import cases as c
from harness import model_cases as mc
from harness.apis.cs231n import CS231N_OPS
from harness.opspec import KIND_OF_MODULE, Calls, OpSpec

__all__ = ["API_OPS", "BASE_MODULES", "GRADED_MODULES", "KIND_OF_MODULE", "OPS",
           "PARAMETER_SHAPES", "Calls", "OpSpec", "find_op", "get_op", "ops_of", "select_ops"]

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


# The shapes the contract gives the parameters `_init_parameters(X.shape)` creates, in words
# (the case's W and b have them; `harness.evaluate` compares what the layer created).
PARAMETER_SHAPES: dict[str, dict[str, str]] = {
    "fully_connected": {"W": "(n_in, n_out)", "b": "(1, n_out)"},
    "conv2d": {"W": "(kh, kw, cin, cout)", "b": "(1, cout)"},
}

# The modules that hold the registered ops.
GRADED_MODULES: tuple[str, ...] = tuple(dict.fromkeys(spec.module for spec in OPS.values()))
# The modules of the single ops (activations, layers, losses): what `check` grades as the
# submission's own code (every other module may come from the starter or student_nn, see
# harness/sources.py); an op of another module (models, optimizers, weights) is checked with
# its own module graded as well, in a child of its own (`harness.evaluate.Checker`).
BASE_MODULES: tuple[str, ...] = tuple(dict.fromkeys(
    spec.module for spec in OPS.values() if spec.kind in ("activation", "layer", "loss")))


# Every API's op table (harness/apis): HW6's ops above keep their plain names; another API's
# are named "api:op" (cs231n:batchnorm), so a name or a case ID says which API it belongs to.
API_OPS: dict[str, dict[str, OpSpec]] = {"hw6": OPS, "cs231n": CS231N_OPS}


def api_of(name: str) -> str:
    """The API an op (or case ID) belongs to: the prefix before ':', else hw6."""
    head, sep, _ = name.partition(":")
    return head if sep and "/" not in head else "hw6"


def get_op(name: str) -> OpSpec:
    table = API_OPS.get(api_of(name), {})
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; known ops: {', '.join(table or OPS)}") from None


def find_op(name: str) -> OpSpec | None:
    """The op of any API called `name`, or None."""
    return API_OPS.get(api_of(name), {}).get(name)


def ops_of(api: str = "hw6") -> dict[str, OpSpec]:
    """The op table of one API."""
    return API_OPS[api]


def select_ops(names: str | None, api: str = "hw6") -> list[OpSpec]:
    """Ops of `api` named in a comma-separated list (all its ops when empty); a name without
    the API's prefix is found with it ('batchnorm' for cs231n:batchnorm)."""
    table = API_OPS[api]
    if not names:
        return list(table.values())
    prefix = "" if api == "hw6" else f"{api}:"
    picked = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        picked.append(get_op(name if name in table or ":" in name else prefix + name))
    return picked
