"""What `adapter init` knows, as tables: which class names are which op, which argument and
attribute names are which input or parameter of the op's twin, and what the twin needs of a
class that lacks one of its parameters.

Names are compared normalised (`norm`: lower case, without underscores), so ``dLdZ``,
``dldz`` and ``d_l_d_z`` are one name. Every table maps a library's name to a *role* (what
the thing is: the data input, the upstream gradient, the weight, a size, ...); `OPTIONS`
says, role by role, which expression stands for it in a twin, the first whose names the twin
has being taken. Adding a synonym is adding a row.
"""

from __future__ import annotations

from dataclasses import dataclass


def norm(name: str) -> str:
    """The name as the tables spell it: lower case, without underscores."""
    return name.replace("_", "").lower()


# ------------------------------------------------------------------ classes -> ops
# A family of ops: the twins that compute it, the first that fits a class being taken
# (the generic CS231n ops and activations first, mytorch's where nothing generic fits).
FAMILIES: dict[str, tuple[str, ...]] = {
    "affine": ("cs231n:affine", "mytorch:linear"),
    "relu": ("cs231n:relu", "mytorch:relu"),
    "sigmoid": ("sigmoid", "mytorch:sigmoid"),
    "tanh": ("tanh", "mytorch:tanh"),
    "identity": ("linear", "mytorch:identity"),
    "softmax": ("softmax", "mytorch:softmax"),
    "gelu": ("mytorch:gelu",),
    "swish": ("mytorch:swish",),
    "softmax_loss": ("cs231n:softmax_loss", "mytorch:cross_entropy"),
    "svm_loss": ("cs231n:svm_loss",),
    "mse": ("mytorch:mse",),
    "conv2d": ("cs231n:conv2d", "mytorch:conv2d"),
    "conv2d_stride1": ("cs231n:conv2d", "mytorch:conv2d_stride1"),
    "conv1d": ("mytorch:conv1d",),
    "conv1d_stride1": ("mytorch:conv1d_stride1",),
    "conv_transpose1d": ("mytorch:conv_transpose1d",),
    "conv_transpose2d": ("mytorch:conv_transpose2d",),
    "max_pool": ("cs231n:pool2d_max", "mytorch:maxpool2d"),
    "max_pool_stride1": ("cs231n:pool2d_max", "mytorch:maxpool2d_stride1"),
    "mean_pool": ("mytorch:meanpool2d",),
    "mean_pool_stride1": ("mytorch:meanpool2d_stride1",),
    "batchnorm": ("cs231n:batchnorm", "mytorch:batchnorm1d"),
    "spatial_batchnorm": ("cs231n:spatial_batchnorm",),
    "layernorm": ("cs231n:layernorm",),
    "dropout": ("cs231n:dropout",),
    "flatten": ("mytorch:flatten",),
    "upsample1d": ("mytorch:upsample1d",),
    "downsample1d": ("mytorch:downsample1d",),
    "upsample2d": ("mytorch:upsample2d",),
    "downsample2d": ("mytorch:downsample2d",),
}

# Class names (normalised, after `AFFIXES` are stripped) -> family.
CLASSES: dict[str, str] = {
    **dict.fromkeys(("affine", "linear", "dense", "fullyconnected", "fc", "innerproduct"),
                    "affine"),
    **dict.fromkeys(("relu", "rectifiedlinear"), "relu"),
    **dict.fromkeys(("sigmoid", "logistic"), "sigmoid"),
    **dict.fromkeys(("tanh",), "tanh"),
    **dict.fromkeys(("identity",), "identity"),
    **dict.fromkeys(("softmax",), "softmax"),
    **dict.fromkeys(("gelu",), "gelu"),
    **dict.fromkeys(("swish", "silu"), "swish"),
    **dict.fromkeys(("softmaxwithloss", "softmaxcrossentropy", "softmaxcrossentropyloss",
                     "crossentropyloss", "crossentropy", "softmaxloss", "celoss"),
                    "softmax_loss"),
    **dict.fromkeys(("svmloss", "hingeloss", "multiclasshingeloss"), "svm_loss"),
    **dict.fromkeys(("mseloss", "mse", "meansquarederror", "l2loss"), "mse"),
    **dict.fromkeys(("convolution", "conv", "conv2d", "convolution2d", "convolutional"),
                    "conv2d"),
    **dict.fromkeys(("conv2dstride1",), "conv2d_stride1"),
    **dict.fromkeys(("conv1d", "convolution1d"), "conv1d"),
    **dict.fromkeys(("conv1dstride1",), "conv1d_stride1"),
    **dict.fromkeys(("convtranspose1d",), "conv_transpose1d"),
    **dict.fromkeys(("convtranspose2d",), "conv_transpose2d"),
    **dict.fromkeys(("pooling", "maxpool", "maxpool2d", "maxpooling", "maxpooling2d", "pool"),
                    "max_pool"),
    **dict.fromkeys(("maxpool2dstride1",), "max_pool_stride1"),
    **dict.fromkeys(("meanpool", "meanpool2d", "avgpool", "avgpool2d", "averagepool",
                     "averagepooling"), "mean_pool"),
    **dict.fromkeys(("meanpool2dstride1",), "mean_pool_stride1"),
    **dict.fromkeys(("batchnormalization", "batchnorm", "batchnorm1d", "bn"), "batchnorm"),
    **dict.fromkeys(("batchnorm2d", "spatialbatchnorm", "spatialbatchnormalization"),
                    "spatial_batchnorm"),
    **dict.fromkeys(("layernorm", "layernormalization"), "layernorm"),
    **dict.fromkeys(("dropout", "dropout1d"), "dropout"),
    **dict.fromkeys(("flatten",), "flatten"),
    **{name: name for name in ("upsample1d", "downsample1d", "upsample2d", "downsample2d")},
}
AFFIXES = ("layer", "module", "my", "naive")   # stripped from a class name's ends

# Class names with no twin, and why (said in the draft's TODO).
NO_TWIN: dict[str, str] = {
    "dropout2d": "it drops whole channels; cs231n:dropout's law is one draw per unit",
    **dict.fromkeys(("rnncell", "grucell", "lstmcell", "rnn", "gru", "lstm"),
                    "a recurrent cell: nnparity has no recurrent twin yet"),
    **dict.fromkeys(("sgd", "adam", "adamw", "momentum", "rmsprop", "adagrad"),
                    "an optimizer: an adapter maps layers, not optimizers"),
}

# Beginnings of class names with no twin, and why: models made of layers, and kinds of op
# nnparity has no twin for yet.
NO_TWIN_PREFIXES: dict[str, str] = {
    **dict.fromkeys(("mlp", "cnn", "model", "network", "resnet", "resblock", "convbn"),
                    "a model made of layers, not a layer: its layers are checked one by one"),
    **dict.fromkeys(("rnn", "gru", "lstm"), "a recurrent cell: nnparity has no recurrent twin "
                                            "yet"),
    **dict.fromkeys(("attention", "multiheadattention", "scaleddotproductattention"),
                    "attention: nnparity has no attention twin yet"),
    **dict.fromkeys(("ctc", "beamsearch", "greedysearch"),
                    "CTC and sequence decoding: nnparity has no twin for them yet"),
}

# Phrases of a docstring's first line -> family, for a class whose name says nothing; a
# first line with one of `NOT_LAYERS` is a model's, whatever layers it names.
DOC_PHRASES: dict[str, str] = {
    "fully connected": "affine", "fully-connected": "affine", "affine": "affine",
    "batch normalization": "batchnorm", "batch norm": "batchnorm",
    "layer normalization": "layernorm", "dropout": "dropout", "max pool": "max_pool",
    "convolution": "conv2d", "rectified linear": "relu", "sigmoid": "sigmoid",
}
NOT_LAYERS = ("network", "model", "mlp", "net ", "block")

# ------------------------------------------------------------------ arguments -> roles
ARGUMENTS: dict[str, str] = {
    **dict.fromkeys(("x", "a", "z", "input", "inputs", "inp", "data", "xin"), "data"),
    **dict.fromkeys(("dout", "dy", "dldz", "dlda", "dldy", "dldbz", "grad", "grads", "delta",
                     "gradoutput", "outgrad", "gradout", "dz", "da", "dldout", "upstream",
                     "dldo"), "upstream"),
    **dict.fromkeys(("t", "y", "labels", "label", "target", "targets", "ytrue", "truth"),
                    "labels"),
    **dict.fromkeys(("w", "weight", "weights"), "weight"),
    **dict.fromkeys(("b", "bias", "biases"), "bias"),
    **dict.fromkeys(("gamma", "bw", "scale"), "gamma"),
    **dict.fromkeys(("beta", "bb", "shift"), "beta"),
    **dict.fromkeys(("runningmean", "runningm", "runmean", "movingmean"), "running_mean"),
    **dict.fromkeys(("runningvar", "runningv", "runvar", "movingvar"), "running_var"),
    **dict.fromkeys(("momentum", "alpha", "decay"), "momentum"),
    **dict.fromkeys(("eps", "epsilon"), "eps"),
    **dict.fromkeys(("stride", "strides"), "stride"),
    **dict.fromkeys(("pad", "padding"), "pad"),
    **dict.fromkeys(("poolh", "poolheight", "hh"), "pool_height"),
    **dict.fromkeys(("poolw", "poolwidth", "ww"), "pool_width"),
    **dict.fromkeys(("kernel", "kernelsize", "poolsize", "ksize", "filtersize"), "kernel"),
    **dict.fromkeys(("dropoutratio", "droprate", "dropprob", "dropoutrate", "dropoutprob",
                     "rate"), "drop_prob"),
    **dict.fromkeys(("keepprob", "keep", "keepratio"), "keep_prob"),
    **dict.fromkeys(("p", "prob", "probability"), "prob"),
    **dict.fromkeys(("trainflg", "train", "training", "istraining", "trainmode"), "train_flag"),
    **dict.fromkeys(("eval", "evaluation", "test", "inference", "istest"), "eval_flag"),
    **dict.fromkeys(("infeatures", "infeature", "indim", "nin", "inputsize", "inputdim",
                     "insize", "fanin", "ninputs"), "in_size"),
    **dict.fromkeys(("outfeatures", "outfeature", "outdim", "nout", "outputsize",
                     "outputdim", "outsize", "fanout", "noutputs", "units"), "out_size"),
    **dict.fromkeys(("numfeatures", "nfeatures", "features", "dim", "d"), "features"),
    **dict.fromkeys(("inchannels", "inchannel", "cin", "ninchannels"), "in_channels"),
    **dict.fromkeys(("outchannels", "outchannel", "cout", "numfilters", "filters",
                     "nfilters"), "out_channels"),
    **dict.fromkeys(("weightinitfn", "linearweightinitfn", "convweightinitfn", "weightinit"),
                    "weight_maker"),
    **dict.fromkeys(("biasinitfn", "biasinit"), "bias_maker"),
    **dict.fromkeys(("upsamplingfactor", "downsamplingfactor", "factor"), "factor"),
}
# Attribute names of a gradient (what backward assigns) -> the role of what it is the
# gradient of.
GRADIENTS: dict[str, str] = {
    **dict.fromkeys(("dw", "dldw", "dweight", "dweights", "gradw", "wgrad"), "weight"),
    **dict.fromkeys(("db", "dldb", "dbias", "gradb", "bgrad"), "bias"),
    **dict.fromkeys(("dgamma", "dldbw", "dldgamma", "dbw"), "gamma"),
    **dict.fromkeys(("dbeta", "dldbb", "dldbeta", "dbb"), "beta"),
}


@dataclass(frozen=True)
class Option:
    """One way a twin reads a role: an expression over the twin's names, and the case
    restriction it needs (over the case's parameters and the twin's)."""

    expression: str
    restrict: str = ""


def _opts(*expressions: str | Option) -> tuple[Option, ...]:
    return tuple(e if isinstance(e, Option) else Option(e) for e in expressions)


# Role -> the expressions that stand for it, in order: the first whose names the twin has.
OPTIONS: dict[str, tuple[Option, ...]] = {
    "data": _opts("x", "Z", "A"),
    "upstream": _opts("dout", "dY", "dLdA", "dLdZ", "dLdBZ"),
    "labels": _opts("y", "Y"),
    "weight": _opts("w", "W"),
    "bias": _opts("b"),
    "gamma": _opts("gamma", "BW"),
    "beta": _opts("beta", "Bb"),
    "running_mean": _opts("running_mean", "running_M"),
    "running_var": _opts("running_var", "running_V"),
    "momentum": _opts("momentum"),
    "eps": _opts("eps"),
    "stride": _opts("stride"),
    "pad": _opts("pad", "padding"),
    "pool_height": _opts("pool_height"),
    "pool_width": _opts("pool_width"),
    "kernel": _opts("kernel", "kernel_size",
                    Option("pool_height", "pool_height == pool_width"),
                    Option("w.shape[2]", "k[0] == k[1]")),
    "drop_prob": _opts("1 - p"),
    "keep_prob": _opts("p"),
    "train_flag": _opts("mode == 'train'", "not eval"),
    "eval_flag": _opts("mode != 'train'", "eval"),
    "in_size": _opts("in_features", "x.shape[1]", "A.shape[1]"),
    "out_size": _opts("out_features", "b.size"),
    "features": _opts("num_features", "x.shape[1]"),
    "in_channels": _opts("in_channels", "x.shape[1]"),
    "out_channels": _opts("out_channels", "b.size"),
    "weight_maker": _opts("w", "W"),
    "bias_maker": _opts("b"),
    "factor": _opts("factor", "upsampling_factor", "downsampling_factor"),
}
MAKERS = ("weight_maker", "bias_maker")   # roles passed as functions returning the array
# The twin's inputs a class must be given (else it computes with weights of its own).
PARAMETER_INPUTS = ("w", "W", "b", "gamma", "beta", "BW", "Bb")
# A size expression that only holds for 2-D x, and the one for a forward that flattens x.
FLAT_FORMS = {"x.shape[1]": "x[0].size"}

# ------------------------------------------------------------------ what twins need
# A twin parameter that no argument of the class sets: the restriction to the cases where
# the class's own fixed value is the twin's (None: the twin's own value is used, and said).
UNSET: dict[str, str | None] = {
    "pad": "pad == 0", "padding": "padding == 0", "stride": "stride == 1",
    "mode": "mode == 'train'", "eval": "not eval",
    "pool_width": "pool_height == pool_width", "eps": None, "momentum": None,
}
# Twin inputs some cases lack (no running statistics given), and the restriction to the
# cases that have them, for an attribute that must be set from them.
OPTIONAL_INPUTS = {"running_mean": "running == 'given'", "running_var": "running == 'given'"}
# A twin whose x may have more than two axes, for a class whose forward does not flatten it.
FLAT_INPUT = {"cs231n:affine": "len(shape) == 2"}


@dataclass(frozen=True)
class Mode:
    """A class that takes a mode flag is drafted as two ops, one per mode: the other mode's
    twin, forward-only, with its name's suffix and restriction, and the restriction the
    first op then takes (a dropout's backward is for training only)."""

    twin: str
    suffix: str
    other: str = ""
    main: str = ""


MODES: dict[str, Mode] = {
    "cs231n:batchnorm": Mode("cs231n:batchnorm_test", "test"),
    "mytorch:batchnorm1d": Mode("mytorch:batchnorm1d_eval", "eval"),
    "cs231n:dropout": Mode("cs231n:dropout", "test", "mode == 'test'", "mode == 'train'"),
}
# What a twin asks of the class's code: (fact of `ClassFacts`, the value it must have, why).
REQUIRES: dict[str, tuple[str, bool, str]] = {
    "cs231n:softmax_loss": ("indexes_labels", True,
                            "its labels look one-hot (never used as an index); "
                            "cs231n:softmax_loss gives class indices"),
    "cs231n:svm_loss": ("indexes_labels", True, "its labels look one-hot"),
    "mytorch:cross_entropy": ("applies_softmax", True,
                              "it applies no softmax (no exp): a loss on probabilities"),
}
# The twins whose backward may return the local derivative (elementwise ops), by twin.
LOCAL_OK = frozenset({"cs231n:relu", "sigmoid", "tanh", "relu", "linear", "mytorch:identity",
                      "mytorch:sigmoid", "mytorch:tanh", "mytorch:relu", "mytorch:gelu"})

# ------------------------------------------------------------------ layouts
# Size roles -> the symbol a shape is written in ("in": what the op takes per sample, a
# batchnorm's features too; "out": what it gives).
SIZES = {"in_size": "in", "out_size": "out", "features": "in", "in_channels": "in",
         "out_channels": "out", "kernel": "k"}
# The twin's shape of each parameter input, in those symbols.
SHAPES: dict[str, dict[str, tuple[str, ...]]] = {
    "cs231n:affine": {"w": ("in", "out"), "b": ("out",)},
    "cs231n:conv2d": {"w": ("out", "in", "k", "k"), "b": ("out",)},
    **{twin: {name: ("in",) for name in ("gamma", "beta", "running_mean", "running_var")}
       for twin in ("cs231n:batchnorm", "cs231n:batchnorm_test", "cs231n:spatial_batchnorm",
                    "cs231n:layernorm")},
    "mytorch:linear": {"W": ("out", "in"), "b": ("out", "1")},
    **{twin: {name: ("1", "in") for name in ("BW", "Bb", "running_M", "running_V")}
       for twin in ("mytorch:batchnorm1d", "mytorch:batchnorm1d_eval")},
}
# The input each gradient or state output is laid out as.
OUTPUT_OF = {"dW": ("w", "W"), "db": ("b",), "dgamma": ("gamma",), "dbeta": ("beta",),
             "dBW": ("BW",), "dBb": ("Bb",), "running_mean": ("running_mean",),
             "running_var": ("running_var",), "running_M": ("running_M",),
             "running_V": ("running_V",)}
# Role of a gradient -> the twin's output names for it.
GRADIENT_OUTPUTS = {"weight": ("dW",), "bias": ("db",), "gamma": ("dgamma", "dBW"),
                    "beta": ("dbeta", "dBb")}
# Role of a running statistic -> the twin's output names for it.
STATE_OUTPUTS = {"running_mean": ("running_mean", "running_M"),
                 "running_var": ("running_var", "running_V")}
