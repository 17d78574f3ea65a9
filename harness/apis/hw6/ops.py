"""The HW6 API (Berkeley CS189/289A, `neural_networks`): its op table.

HW6 is a class API: activations (`forward(Z)`, `backward(Z, dY)`), layers built lazily by
`_init_parameters(X.shape)` with `parameters`/`gradients` dicts, losses, whole models,
optimisers and weight initialisers. Each op's kind follows its module (`KIND_OF_MODULE`);
harness/apis/hw6/runners.py drives the kinds, its twins are classes of the same names in
reference/, and a submission's package is loaded by harness/sandbox/loader.py and
harness/sandbox/sources.py. HW6's op names are plain (`conv2d`); other APIs' are `api:op`.

Adding an op means one `OpSpec` entry below, one class in student_nn and one twin in
reference/ with the same name; cases, comparison, reports and grading pick it up from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from harness.apis.hw6 import model_cases as mc
from harness.core import cases as c
from harness.core.cases import Case
from harness.core.opspec import ClassOp, OpSpec

# How each module's ops are driven (harness/apis/hw6/runners.py): its kind.
KIND_OF_MODULE = {"activations": "activation", "layers": "layer", "losses": "loss",
                  "models": "model", "optimizers": "optimizer", "weights": "initializer"}
# The kinds whose twins take the conventions (max-pool padding, "same" padding, L2's reduction).
CONVENTION_KINDS = ("layer", "loss")
# The method that computes each output (the fix list says which to open); a factory's ops
# (optimisers, initialisers) open the factory function.
METHOD = {"forward": "forward", "dX": "backward", "dW": "backward", "db": "backward",
          "loss": "backward", "gradients": "backward", "predict": "predict",
          "update": "update", "parameters": "update"}
FACTORY_KINDS = ("optimizer", "initializer")

ACT_OUT = ("forward", "dX")
PARAM_OUT = ("forward", "dX", "dW", "db")
NETWORK_OUT = ("forward", "loss", "gradients", "predict", "update")
INIT_OUT = ("scale", "distribution")

# The shapes the contract gives the parameters `_init_parameters(X.shape)` creates, in words
# (the case's W and b have them; `harness.check.checker` compares what the layer created).
PARAMETER_SHAPES: dict[str, dict[str, str]] = {
    "fully_connected": {"W": "(n_in, n_out)", "b": "(1, n_out)"},
    "conv2d": {"W": "(kh, kw, cin, cout)", "b": "(1, cout)"},
}


def _contract(spec: ClassOp) -> ClassOp:
    """An HW6 op as the core sees it: its kind (from its module), whether its forward is a
    loss and its twin takes the conventions, the parameter shapes it must create, and the
    method to open for each output."""
    kind = spec.op_kind or KIND_OF_MODULE[spec.module]
    shapes = PARAMETER_SHAPES.get(spec.name, {})
    opens = {o: spec.cls if kind in FACTORY_KINDS else f"{spec.cls}.{METHOD.get(o, o)}"
             for o in spec.outputs}
    return replace(spec, api="hw6", op_kind=kind, loss=kind == "loss",
                   twin_conventions=kind in CONVENTION_KINDS, param_shapes=shapes,
                   creates="_init_parameters(X.shape)" if shapes else "", opens=opens)


HW6_OPS: dict[str, OpSpec] = {
    spec.name: _contract(spec)
    for spec in [
        ClassOp("linear", "activations", "Linear", c.ELEMENTWISE, ACT_OUT),
        ClassOp("sigmoid", "activations", "Sigmoid", c.ELEMENTWISE, ACT_OUT),
        ClassOp("tanh", "activations", "TanH", c.ELEMENTWISE, ACT_OUT),
        ClassOp("relu", "activations", "ReLU", c.ELEMENTWISE, ACT_OUT),
        ClassOp("softmax", "activations", "SoftMax", c.SOFTMAX, ACT_OUT),
        ClassOp("fully_connected", "layers", "FullyConnected", c.DENSE, PARAM_OUT),
        ClassOp("conv2d", "layers", "Conv2D", c.CONV, PARAM_OUT),
        ClassOp("pool2d_max", "layers", "Pool2D", c.POOL, ACT_OUT, {"mode": "max"}),
        ClassOp("pool2d_average", "layers", "Pool2D", c.POOL, ACT_OUT, {"mode": "average"}),
        ClassOp("flatten", "layers", "Flatten", c.FLATTEN, ACT_OUT),
        ClassOp("cross_entropy", "losses", "CrossEntropy", c.LOSS, ACT_OUT,
               {"name": "cross_entropy", "target": "onehot"}),
        ClassOp("l2", "losses", "L2", c.LOSS, ACT_OUT, {"name": "l2", "target": "real"}),
        # whole models (harness/apis/hw6/model_cases.py): NeuralNetwork against the twin assembled
        # from the reference twins, optimisers against torch.optim, weight initialisers
        # against torch.nn.init, and training parity over K steps
        ClassOp("network", "models", "NeuralNetwork", mc.NETWORK, NETWORK_OUT),
        ClassOp("sgd", "optimizers", "initialize_optimizer", mc.OPTIMIZER, ("update",),
               {"name": "sgd"}),
        ClassOp("adam", "optimizers", "initialize_optimizer", mc.OPTIMIZER, ("update",),
               {"name": "adam"}),
        # called as the starter's layers call it: with the layer's activation (He's is relu)
        *(ClassOp(name, "weights", "initialize_weights", mc.INITIALIZER, INIT_OUT,
                 {"name": name, "activation": "relu" if name.startswith("he") else "linear"})
          for name in ("xavier_uniform", "xavier_normal", "he_uniform", "he_normal")),
        ClassOp("training", "models", "NeuralNetwork", mc.TRAINING, ("loss", "parameters"),
               op_kind="training", max_cases=2),
    ]
}


ACTIVATION_PARAMS = ("act", "activation")   # the parameters naming a case's activation


def activation(params: Mapping[str, object]) -> str | None:
    """The activation a case applies: a layer's `act`, an initializer's `activation`."""
    return next((str(params[p]) for p in ACTIVATION_PARAMS if params.get(p)), None)


def uses(spec: OpSpec, case: Case) -> frozenset[str]:
    """The other ops a case of `spec` calls: a layer's activation; a whole model's layers,
    their activations, its loss and its optimiser. An edition keeps the cases that use only
    its ops; an op that fails on its own is substituted in the cases that use it
    (harness/check/substitute.py)."""
    p = case.p
    if "layers" in p:   # network, training
        layers = mc.parse_layers(str(p["layers"]))
        found = {layer.op for layer in layers} | {layer.act for layer in layers
                                                  if layer.kind in ("fc", "conv")}
        return frozenset(found | {str(p["loss"]), str(p["opt"])})
    if spec.kind == "layer" and "act" in p:
        return frozenset({str(p["act"])})
    return frozenset()


# The modules that hold the registered ops.
GRADED_MODULES: tuple[str, ...] = tuple(dict.fromkeys(spec.module for spec in HW6_OPS.values()))
# The modules of the single ops (activations, layers, losses): what `check` grades as the
# submission's own code (every other module may come from the starter or student_nn, see
# harness/sandbox/sources.py); an op of another module (models, optimizers, weights) is checked with
# its own module graded as well, in a child of its own (`harness.check.checker.Checker`).
BASE_MODULES: tuple[str, ...] = tuple(dict.fromkeys(
    spec.module for spec in HW6_OPS.values() if spec.kind in ("activation", "layer", "loss")))
