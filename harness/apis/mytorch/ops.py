"""mytorch's op table: each class, the module that holds it and how it is driven.

A row is an `ObjectOp`: the class is constructed from sizes (``Linear(in_features,
out_features)``), its parameters are assigned after construction as the course's tests do
(``layer.W = W``), then ``forward`` and ``backward`` run and the gradients are read from its
attributes (``dLdW``). Its twin is the class of the same name in reference/mytorch.py.
Modules are the handout's paths below ``mytorch/`` (Spring 2024 on); other years' layouts are
found by class (harness/sandbox/tree.py).
"""

from __future__ import annotations

from harness.apis.mytorch import cases as mc
from harness.core.cases import Family
from harness.core.opspec import Methods, ObjectOp, OpSpec

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
    _op("swish", "nn.activation", "Swish", mc.SWISH, ("forward", "dX", "dbeta"),
        Methods(sets=(("beta", "beta"),), forward=("Z",), backward=("dLdA",),
                grads=(("dbeta", "dLdbeta"),)), scalars=("dbeta",)),
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



def _layer(name: str, module: str, cls: str, family: Family, init: tuple[str, ...],
           inner: str = "") -> ObjectOp:
    """A layer with W and b (a strided one's live in its stride-1 `inner` object)."""
    at = f"{inner}." if inner else ""
    return _op(name, module, cls, family, ("forward", "dX", "dW", "db"),
               Methods(init=init, sets=((f"{at}W", "W"), (f"{at}b", "b")), forward=("A",),
                       backward=("dLdZ",),
                       grads=(("dW", f"{at}dLdW"), ("db", f"{at}dLdb"))))


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
    _layer("conv_transpose1d", "nn.ConvTranspose", "ConvTranspose1d", mc.CONV_TRANSPOSE1D,
           (*CONV, "upsampling_factor"), "conv1d_stride1"),
    _layer("conv_transpose2d", "nn.ConvTranspose", "ConvTranspose2d", mc.CONV_TRANSPOSE2D,
           (*CONV, "upsampling_factor"), "conv2d_stride1"),
    _plain("maxpool2d_stride1", "nn.pool", "MaxPool2d_stride1", mc.POOL_STRIDE1, ("kernel",)),
    _plain("meanpool2d_stride1", "nn.pool", "MeanPool2d_stride1", mc.POOL_STRIDE1,
           ("kernel",)),
    _plain("maxpool2d", "nn.pool", "MaxPool2d", mc.POOL, ("kernel", "stride")),
    _plain("meanpool2d", "nn.pool", "MeanPool2d", mc.POOL, ("kernel", "stride")),
    _plain("flatten", "flatten", "Flatten", mc.FLATTEN),
]

MYTORCH_OPS: dict[str, OpSpec] = {op.name: op for op in OPS}
