"""`nnparity adapter init`: a draft adapter written from a library's source, never run.

Each library below is written here, in the styles the generator is for: a "Deep Learning from
Scratch"-style common/layers.py (parameters given to the constructor, gradients left in
dW/db, a loss whose log guard lives in a helper of another module, a non-inverted dropout),
and a mytorch-style package (classes built from sizes, weights assigned afterwards in their
own layout, activations with forward(Z)/backward(dLdA), older ones whose backward() returns
the local derivative). The draft is read back with tomllib and with nnparity's own loader.
"""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from harness.apis.user import load_adapter
from harness.cli import main
from harness.core import expressions
from harness.core.registry import APIS
from harness.tools.adapter_draft.catalogue import (
    FAMILIES,
    FLAT_FORMS,
    FLAT_INPUT,
    MODES,
    OPTIONAL_INPUTS,
    OPTIONS,
    UNSET,
)
from harness.tools.adapter_draft.draft import NoClasses, draft_adapter
from harness.tools.adapter_draft.mapping import layout_name
from harness.tools.adapter_draft.match import op_name
from harness.tools.adapter_draft.render import render
from harness.tools.adapter_draft.results import Draft
from harness.tools.adapter_draft.twins import twin

BOOK_FUNCTIONS = '''
import numpy as np


def softmax(a):
    shifted = a - a.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(probs, labels):
    n = probs.shape[0]
    return -np.sum(np.log(probs[np.arange(n), labels] + 1e-7)) / n
'''

BOOK_LAYERS = '''
import numpy as np
from common.functions import *


class Relu:
    def forward(self, x):
        self.negative = x <= 0
        return np.where(self.negative, 0.0, x)

    def backward(self, dout):
        return np.where(self.negative, 0.0, dout)


class Sigmoid:
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW = self.db = None

    def forward(self, x):
        self.original_shape, self.x = x.shape, x.reshape(len(x), -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        self.dW, self.db = np.dot(self.x.T, dout), np.sum(dout, axis=0)
        return np.dot(dout, self.W.T).reshape(*self.original_shape)


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t, self.p = t, softmax(x)
        return cross_entropy_error(self.p, t)

    def backward(self, dout=1):
        grad = self.p.copy()
        grad[np.arange(len(self.t)), self.t] -= 1
        return dout * grad / len(self.t)


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        raise NotImplementedError("the draft never runs this")

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        return dout


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean, self.running_var = running_mean, running_var

    def forward(self, x, train_flg=True):
        return self._normalize(x, train_flg)

    def _normalize(self, x, train_flg):
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1])
            self.running_var = np.zeros(x.shape[1])
        if not train_flg:
            return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + 10e-7) \\
                + self.beta
        mu, var = x.mean(axis=0), x.var(axis=0)
        self.std = np.sqrt(var + 10e-7)
        self.xn = (x - mu) / self.std
        self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
        self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xn).sum(axis=0)
        return dout


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class Frobnicator:
    """Nothing nnparity knows."""

    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


class Dense:
    def __init__(self, W, b, flavour):
        self.W, self.b, self.flavour = W, b, flavour

    def forward(self, x):
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = dout
        return dout


class Trainer:
    def train(self):
        pass
'''

MYTORCH_LINEAR = '''
import numpy as np


class Linear:
    def __init__(self, in_features, out_features, debug=False):
        self.W = np.zeros((out_features, in_features))
        self.b = np.zeros((out_features, 1))
        self.debug = debug

    def forward(self, A):
        self.A = A
        return A @ self.W.T + self.b.T

    def backward(self, dLdZ):
        dLdA = dLdZ @ self.W
        self.dLdW = dLdZ.T @ self.A
        self.dLdb = dLdZ.sum(axis=0, keepdims=True).T
        return dLdA
'''

MYTORCH_ACTIVATIONS = '''
import numpy as np


class Activation:
    """What every activation does."""

    def forward(self, Z):
        raise NotImplementedError


class Sigmoid(Activation):
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, dLdA):
        return dLdA * self.A * (1 - self.A)


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(Z, 0)
        return self.A

    def backward(self, dLdA):
        return dLdA * (self.A > 0)


class Tanh:
    """The older API: backward() returns dA/dZ, the caller multiplies."""

    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self):
        return 1 - self.A ** 2
'''

MYTORCH_BATCHNORM = '''
import numpy as np


class BatchNorm1d:
    def __init__(self, num_features, alpha=0.9):
        self.alpha = alpha
        self.eps = 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z, eval=False):
        if eval:
            return self.BW * (Z - self.running_M) / np.sqrt(self.running_V + self.eps) + self.Bb
        self.Z, self.M, self.V = Z, Z.mean(axis=0), Z.var(axis=0)
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
        self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        return self.BW * self.NZ + self.Bb

    def backward(self, dLdBZ):
        self.dLdBW = (dLdBZ * self.NZ).sum(axis=0, keepdims=True)
        self.dLdBb = dLdBZ.sum(axis=0, keepdims=True)
        return dLdBZ
'''


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _write(tmp_path / "book", {"common/__init__.py": "", "common/layers.py": BOOK_LAYERS,
                                      "common/functions.py": BOOK_FUNCTIONS,
                                      "ch05/buy_apple.py": "class MulLayer:\n"
                                      "    def forward(self, x, y):\n        return x * y\n"})


@pytest.fixture
def mytorch(tmp_path: Path) -> Path:
    return _write(tmp_path / "checkout", {
        "mytorch/nn/linear.py": MYTORCH_LINEAR, "mytorch/nn/activation.py": MYTORCH_ACTIVATIONS,
        "mytorch/nn/batchnorm.py": MYTORCH_BATCHNORM,
        "autograder/test_linear.py": "class Linear:\n    def forward(self, x):\n        pass\n"})


def _ops(draft: Draft) -> dict[str, dict]:
    """The active [[op]] tables of the draft's text, by class (and _test for a second)."""
    data = tomllib.loads(render(draft))
    return {op["name"]: op for op in data.get("op", [])}


# ------------------------------------------------------------------ the book's layout
def test_the_book_layout_drafts_every_layer_with_its_twin_and_calls(book: Path) -> None:
    draft = draft_adapter(book, name="bookdraft")
    data = tomllib.loads(render(draft))
    assert data["api"] == {"name": "bookdraft", "package": "common", "module": "layers",
                           "title": "common (book), drafted by nnparity adapter init"}
    ops = _ops(draft)
    assert {n: (o["twin"], o["class"]) for n, o in ops.items()} == {
        "relu": ("cs231n:relu", "Relu"), "sigmoid": ("sigmoid", "Sigmoid"),
        "affine": ("cs231n:affine", "Affine"),
        "softmax_with_loss": ("cs231n:softmax_loss", "SoftmaxWithLoss"),
        "convolution": ("cs231n:conv2d", "Convolution"), "pooling": ("cs231n:pool2d_max",
                                                                     "Pooling"),
        "batch_normalization": ("cs231n:batchnorm", "BatchNormalization"),
        "batch_normalization_test": ("cs231n:batchnorm_test", "BatchNormalization"),
        "dropout": ("cs231n:dropout", "Dropout"), "dropout_test": ("cs231n:dropout", "Dropout")}
    assert ops["relu"] | ops["sigmoid"] == ops["sigmoid"] | {"forward": ["Z"],
                                                             "backward": ["dY"]}
    # the Affine flattens x itself: no restriction to 2-D inputs
    assert ops["affine"] == {"name": "affine", "twin": "cs231n:affine", "class": "Affine",
                             "init": ["w", "b"], "forward": ["x"], "backward": ["dout"],
                             "grads": {"dW": "dW", "db": "db"}}
    assert ops["convolution"]["init"] == ["w", "b", {"stride": "stride", "pad": "pad"}]
    assert ops["convolution"]["grads"] == {"dW": "dW", "db": "db"}
    # the twin has no padding: pad is left at its default, and the draft says so
    assert ops["pooling"]["init"] == ["pool_height", "pool_width", {"stride": "stride"}]
    assert "init's pad left at its default (0)" in render(draft)


def test_the_book_layout_declares_its_constants_and_variants(book: Path) -> None:
    ops = _ops(draft_adapter(book, name="bookdraft"))
    loss = ops["softmax_with_loss"]
    # log(p + 1e-7) sits in cross_entropy_error, in another module of the package
    assert (loss["forward"], loss["backward"], loss["conventions"]) == (
        ["x", "y"], [], {"log_offset": 1e-7})
    bn = ops["batch_normalization"]
    assert bn["init"] == ["gamma", "beta", {"momentum": "momentum", "running_mean":
                                            "running_mean", "running_var": "running_var"}]
    assert bn["forward"] == ["x", {"train_flg": "mode == 'train'"}]
    assert bn["grads"] == {"dgamma": "dgamma", "dbeta": "dbeta"}
    assert bn["state"] == {"running_mean": "running_mean", "running_var": "running_var"}
    assert bn["constants"] == {"eps": 1e-6}    # sqrt(var + 10e-7)
    assert ops["batch_normalization_test"]["backward"] is False
    dropout = ops["dropout"]
    assert dropout["init"] == [{"dropout_ratio": "1 - p"}]   # rand() > ratio: it drops
    assert dropout["conventions"] == {"dropout": "non-inverted"}
    assert (dropout["backward"], dropout["restrict"]) == (["dout"], ["mode == 'train'"])
    assert (ops["dropout_test"]["backward"], ops["dropout_test"]["restrict"]) == (
        False, ["mode == 'test'"])


def test_what_it_cannot_decide_is_commented_out_with_why(book: Path) -> None:
    draft = draft_adapter(book, name="bookdraft")
    text = render(draft)
    todo = {op.cls: op.todo for op in draft.ops if op.todo}
    assert set(todo) == {"Frobnicator", "Dense"}
    assert "Frobnicator) is not in the catalogue" in todo["Frobnicator"]
    # a matched class with one argument it cannot place: the whole op is left out
    assert "init's argument flavour: its name is not in the catalogue" in todo["Dense"]
    assert todo["Dense"].startswith("an affine op, but as cs231n:affine: init's argument")
    block = text[text.index("# Dense ("):].splitlines()
    start = block.index("# [[op]]")
    assert block[1].startswith("# TODO(nnparity): an affine op")
    assert block[start:start + 4] == ["# [[op]]", '# name = "dense"', '# twin = "cs231n:affine"',
                                      '# class = "Dense"']
    assert {"Frobnicator", "Dense"}.isdisjoint(op["class"] for op in tomllib.loads(text)["op"])
    # what is not a layer, and layers outside the package, are listed, not drafted
    flowing = " ".join(line.lstrip("# ") for line in text.splitlines())
    assert "(no forward or backward method, or an abstract one), not drafted: layers.Trainer" \
        in flowing
    assert "ch05.buy_apple.MulLayer" in text
    assert text.startswith("# nnparity adapter -- DRAFT")
    assert "nnparity check --api" in text.splitlines()[4]


# ------------------------------------------------------------------ a mytorch-style package
def test_a_package_built_from_sizes_is_set_after_construction_in_its_layout(
        mytorch: Path) -> None:
    draft = draft_adapter(mytorch, name="mydraft")
    data = tomllib.loads(render(draft))
    assert (data["api"]["package"], data["api"]["module"]) == ("mytorch", "nn.activation")
    ops = _ops(draft)
    assert ops["linear"] == {
        "name": "linear", "twin": "cs231n:affine", "class": "Linear", "module": "nn.linear",
        "init": ["x.shape[1]", "b.size"], "forward": ["x"], "backward": ["dout"],
        "grads": {"dW": "dLdW", "db": "dLdb"}, "sets": {"W": "w", "b": "b"},
        "layout": {"w": "transposed", "b": "column", "dW": "transposed", "db": "column"},
        "restrict": ["len(shape) == 2"]}
    assert "init's debug left at its default (False)" in render(draft)
    assert {n: (o["twin"], o["forward"], o["backward"]) for n, o in ops.items()
            if n in ("sigmoid", "relu")} == {"sigmoid": ("sigmoid", ["Z"], ["dY"]),
                                            "relu": ("cs231n:relu", ["Z"], ["dY"])}
    # backward() returning dA/dZ: nnparity multiplies it by the upstream gradient
    assert (ops["tanh"]["backward"], ops["tanh"]["local"]) == ([], "dY")
    # an abstract base is not a layer
    assert "activation" not in ops and "nn.activation.Activation" in render(draft)


def test_a_package_batchnorm_keeps_its_statistics_as_rows(mytorch: Path) -> None:
    ops = _ops(draft_adapter(mytorch, name="mydraft"))
    bn = ops["batch_norm1d"]
    assert bn["twin"] == "cs231n:batchnorm" and bn["module"] == "nn.batchnorm"
    assert bn["init"] == ["x.shape[1]", {"alpha": "momentum"}]
    assert bn["forward"] == ["x", {"eval": "mode != 'train'"}]
    assert bn["sets"] == {"BW": "gamma", "Bb": "beta", "running_M": "running_mean",
                          "running_V": "running_var"}
    assert bn["grads"] == {"dgamma": "dLdBW", "dbeta": "dLdBb"}
    assert bn["state"] == {"running_mean": "running_M", "running_var": "running_V"}
    assert bn["constants"] == {"eps": 1e-8}    # self.eps = 1e-8, used under the sqrt
    assert set(bn["layout"].values()) == {"row"} and "dgamma" in bn["layout"]
    assert bn["restrict"] == ["running == 'given'"]   # it is given the running statistics
    assert ops["batch_norm1d_test"]["twin"] == "cs231n:batchnorm_test"


def test_sibling_imports_put_their_folder_on_sys_path(tmp_path: Path) -> None:
    lib = _write(tmp_path / "lib", {
        "mytorch/nn/activation.py": MYTORCH_ACTIVATIONS,
        "mytorch/nn/linear.py": "from activation import *\n" + textwrap.dedent(MYTORCH_LINEAR)})
    data = tomllib.loads(render(draft_adapter(lib, name="sibling")))
    assert data["api"]["path"] == ["nn"]


# ------------------------------------------------------------------ never run, always loadable
def test_the_library_is_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    lib = _write(tmp_path / "hostile", {"common/layers.py": f'''
        open({str(marker)!r}, "w").close()
        raise RuntimeError("a draft must not import me")

        class Relu:
            def forward(self, x):
                return x

            def backward(self, dout):
                return dout
        '''})
    draft = draft_adapter(lib, name="hostile")
    assert _ops(draft)["relu"]["twin"] == "cs231n:relu"
    assert not marker.exists()
    assert not [name for name, module in list(sys.modules.items())
                if str(getattr(module, "__file__", "") or "").startswith(str(lib))]


@pytest.mark.parametrize("library", ["book", "mytorch"])
def test_every_draft_is_valid_toml_and_loads_as_it_is(library: str, request, tmp_path) -> None:
    path = request.getfixturevalue(library)
    draft = draft_adapter(path, name=f"loads_{library}")
    assert draft.problems == ()
    file = tmp_path / "draft.toml"
    file.write_text(render(draft))
    try:
        api = load_adapter(file)
        assert sorted(api.ops) == sorted(f"loads_{library}:{op.name}" for op in draft.active)
    finally:
        APIS.pop(f"loads_{library}", None)


def test_an_op_the_loader_refuses_is_commented_out_with_its_message(book: Path,
                                                                     monkeypatch) -> None:
    from harness.tools.adapter_draft import mapping

    real = mapping.Builder.draft

    def broken(self, base, todo=""):   # a draft naming an output the twin lacks
        op = real(self, base, todo)
        if op.cls == "Sigmoid":
            op = mapping.OpDraft(op.name, op.cls, op.module, op.where, op.twin,
                               (*op.keys, ("grads", {"dNope": "x"})))
        return op
    monkeypatch.setattr(mapping.Builder, "draft", broken)
    draft = draft_adapter(book, name="refused")
    sigmoid = next(op for op in draft.ops if op.cls == "Sigmoid")
    assert "nnparity's loader refused it" in sigmoid.todo and "dNope" in sigmoid.todo
    assert "sigmoid" not in _ops(draft) and "relu" in _ops(draft)


# ------------------------------------------------------------------ the command
def test_the_command_prints_the_draft_or_writes_it(book: Path, tmp_path, capsys) -> None:
    assert main(["adapter", "init", "--impl", str(book), "--name", "printed"]) == 0
    printed = capsys.readouterr().out
    assert tomllib.loads(printed)["api"]["name"] == "printed"
    out = tmp_path / "mine.toml"
    assert main(["adapter", "init", "--impl", str(book), "--out", str(out),
                 "--name", "written"]) == 0
    assert tomllib.loads(out.read_text())["api"]["name"] == "written"
    assert f"nnparity check --api {out}" in capsys.readouterr().err


def test_the_command_exits_2_without_classes(tmp_path: Path, capsys) -> None:
    _write(tmp_path / "empty", {"util.py": "def f():\n    return 1\n"})
    assert main(["adapter", "init", "--impl", str(tmp_path / "empty")]) == 2
    assert "no Python class found" in capsys.readouterr().err
    with pytest.raises(NoClasses, match="no such file"):
        draft_adapter(tmp_path / "missing")


# ------------------------------------------------------------------ the tables
@pytest.mark.parametrize(("cls", "name"), [
    ("SoftmaxWithLoss", "softmax_with_loss"), ("ReLU", "relu"), ("GELU", "gelu"),
    ("BatchNorm1d", "batch_norm1d"), ("Conv2d_stride1", "conv2d_stride1"),
    ("MSELoss", "mse_loss"), ("CNN_SimpleScanningMLP", "cnn_simple_scanning_mlp")])
def test_op_names_are_snake_case(cls: str, name: str) -> None:
    assert op_name(cls) == name


@pytest.mark.parametrize(("got", "expected", "layout"), [
    (("in", "out"), ("in", "out"), ""), (("out", "in"), ("in", "out"), "transposed"),
    (("out", "1"), ("out",), "column"), (("1", "features"), ("features",), "row"),
    (("1", "features", "1", "1"), ("features",), None)])
def test_a_shape_names_its_layout(got, expected, layout) -> None:
    assert layout_name(got, expected) == layout


def test_every_twin_and_expression_in_the_catalogue_is_one_nnparity_takes() -> None:
    named = {name for twins in FAMILIES.values() for name in twins}
    named |= {m.twin for m in MODES.values()}
    assert {name for name in named if twin(name) is None} == set()
    texts = [t for options in OPTIONS.values() for o in options for t in (o.expression,
                                                                          o.restrict) if t]
    texts += [t for t in (*UNSET.values(), *OPTIONAL_INPUTS.values(), *FLAT_INPUT.values(),
                          *FLAT_FORMS.values()) if t]
    for text in texts:
        expressions.parse(text)   # raises if an adapter may not write it


def _calls(op: dict) -> dict:
    """An [[op]] entry with each call's arguments as their expressions (a keyword's name
    dropped: the draft passes an argument that has a default by keyword)."""
    def values(arguments: object) -> object:
        if not isinstance(arguments, list):
            return arguments
        return [v for a in arguments for v in (a.values() if isinstance(a, dict) else [a])]
    return {k: values(v) if k in ("init", "forward", "backward") else v for k, v in op.items()}


def test_the_book_fixture_drafts_the_documented_adapter_key_for_key() -> None:
    """docs/adapters.md says so: drafting tests/adapter_impls/dlfs (the book's layout, every
    class) gives docs/adapters/dlfs.toml's ops, with the same twins, calls and declarations."""
    root = Path(__file__).resolve().parents[1]
    documented = tomllib.loads((root / "docs" / "adapters" / "dlfs.toml").read_text())
    drafted = tomllib.loads(render(draft_adapter(root / "tests" / "adapter_impls" / "dlfs",
                                                 name="dlfs_fixture_draft")))
    assert {k: drafted["api"][k] for k in ("package", "module")} == \
        {"package": "common", "module": "layers"}
    by_name = {op["name"]: _calls(op) for op in drafted["op"]}
    for op in documented["op"]:
        assert by_name.get(op["name"]) == _calls(op), op["name"]
