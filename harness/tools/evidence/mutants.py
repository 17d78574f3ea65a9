"""The mutation corpus: one-change variants of student_nn's ops, made by AST operators.

Each `Mutant` changes one node of one function of student_nn's activations, layers, losses
or utils (the sliding-window helpers of Conv2D and Pool2D) and nothing else. The operators:

    constant    an int or float literal n -> n + 1, n - 1
    arith       a binary operator swapped (+ -, * /, ** -> *, @ -> *, // -> /), an augmented
                assignment's operator swapped, a unary minus dropped
    compare     a comparison loosened or tightened (< <=, > >=, == !=, is / is not, in / not in)
    axis        an ``axis=`` argument or a ``.shape[k]`` index changed by one, or an
                ``axis=`` dropped (a reduction over everything)
    keepdims    a ``keepdims=True`` dropped
    slice       a slice bound or step dropped, or an index/bound literal changed by one
    transpose   a ``.T`` dropped, the axes of a ``transpose``/``swapaxes`` call reversed
    drop_term   one operand of + - * / kept alone (a term or factor dropped), an augmented
                assignment (``Z += b``) dropped

`generate()` lists them, `write_package(mutant, dest)` writes a copy of student_nn with the
mutated function (the rest of the file byte for byte), as ``dest/neural_networks``.
Functions only whole models call (``initialize_layer``, ``clear_gradients``, ...) are out of
scope: no op drives them.

The corpus is one `Corpus` per API, data only: the bundled package, the files of it that are
mutated and the ops each of their functions drives. `HW6` is student_nn's HW6 package (the
corpus above); `SEQUENCE` adds the sequence models of issue #25: CS231n assignment 3's
``rnn_layers.py`` (checked under ``--api cs231n``) and mytorch HW3P1's ``rnn_cell.py``,
``gru_cell.py`` and ``CTC.py`` (under ``--api mytorch``), and the attention API's
``attention.py`` (scaled dot-product and multi-head attention, under ``--api attention``).
`generate(corpus)` lists one corpus's mutants; a mutant names its API, and `write_package`
writes its corpus's package.
"""

from __future__ import annotations

import ast
import copy
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.apis.hw6.package import BUNDLED_DIR

MODULES = ("activations", "layers", "losses", "utils")
OPERATORS = ("constant", "arith", "compare", "axis", "keepdims", "slice", "transpose",
             "drop_term")
LAYER_OPS = ("fully_connected", "conv2d", "pool2d_max", "pool2d_average", "flatten")
WINDOW_OPS = ("conv2d", "pool2d_max", "pool2d_average")
CLASS_OPS = {
    "Linear": ("linear",), "Sigmoid": ("sigmoid",), "TanH": ("tanh",), "ReLU": ("relu",),
    "SoftMax": ("softmax",), "Activation": ("fully_connected", "conv2d"),  # __call__
    "Layer": LAYER_OPS, "_WeightedLayer": ("fully_connected", "conv2d"),
    "FullyConnected": ("fully_connected",), "Conv2D": ("conv2d",),
    "Pool2D": ("pool2d_max", "pool2d_average"), "Flatten": ("flatten",),
    "CrossEntropy": ("cross_entropy",), "L2": ("l2",),
}
FUNCTION_OPS = {"initialize_activation": ("fully_connected", "conv2d")}  # layers build theirs
OUT_OF_SCOPE = {"initialize_layer", "initialize_loss", "clear_gradients", "__call__@Loss",
                "__call__@Layer"}   # only whole models (or nothing) call these


@dataclass(frozen=True)
class Corpus:
    """One API's part of the corpus: which bundled package is mutated, which of its files,
    and which ops drive each of their functions (a mutant is checked on those)."""

    api: str                    # the API its mutants are checked under
    source: Path                # the bundled package
    package: str                # the folder a mutant package is written as
    importable: str             # the bundled package's import name (line tracing, in-process)
    modules: tuple[str, ...]    # its mutated files (graded: always the mutant's own)
    # A method ("Class.name"), a function, a class (each of its methods) or a whole file
    # ("utils.py", each of its functions) -> the ops that run it; the file first, then the
    # method or function, then its class.
    ops: Mapping[str, tuple[str, ...]] = field(repr=False)
    out_of_scope: frozenset[str] = frozenset()  # names (or name@Class) no op drives
    prefix: str = ""            # the mutant IDs' prefix (the API's, but HW6's)

    def ops_of(self, module: str, qualname: str, cls: str | None) -> tuple[str, ...]:
        """The ops that drive function `qualname` of `module` (none: out of scope)."""
        name = qualname.split(".")[-1]
        if name in self.out_of_scope or f"{name}@{cls}" in self.out_of_scope:
            return ()
        return next((self.ops[key] for key in (f"{module}.py", qualname, cls)
                     if key is not None and key in self.ops), ())


HW6 = Corpus("hw6", BUNDLED_DIR, "neural_networks", "student_nn", MODULES,
             {"utils.py": WINDOW_OPS, **FUNCTION_OPS, **CLASS_OPS}, frozenset(OUT_OF_SCOPE))

# CS231n assignment 3 (harness/apis/cs231n/rnn.py): a step's functions drive its sequence op
# too (rnn_forward runs rnn_step_forward), the shared helpers every op that runs them.
RNN_OPS, LSTM_OPS = ("cs231n:rnn_step", "cs231n:rnn"), ("cs231n:lstm_step", "cs231n:lstm")
CS231N_RNN = Corpus("cs231n", BUNDLED_DIR / "cs231n", "cs231n", "student_nn.cs231n",
                    ("rnn_layers",), {
    "sigmoid": LSTM_OPS, "_affine_backward": (*RNN_OPS, *LSTM_OPS),
    "rnn_step_forward": RNN_OPS, "rnn_step_backward": RNN_OPS,
    "lstm_step_forward": LSTM_OPS, "lstm_step_backward": LSTM_OPS,
    "_forward_in_time": ("cs231n:rnn", "cs231n:lstm"),
    "_backward_in_time": ("cs231n:rnn", "cs231n:lstm"),
    "rnn_forward": ("cs231n:rnn",), "rnn_backward": ("cs231n:rnn",),
    "lstm_forward": ("cs231n:lstm",), "lstm_backward": ("cs231n:lstm",),
    "word_embedding_forward": ("cs231n:word_embedding",),
    "word_embedding_backward": ("cs231n:word_embedding",),
    "temporal_affine_forward": ("cs231n:temporal_affine",),
    "temporal_affine_backward": ("cs231n:temporal_affine",),
    "temporal_softmax_loss": ("cs231n:temporal_softmax_loss",),
}, prefix="cs231n:")

# mytorch HW3P1 (harness/apis/mytorch/ops.py): CTCLoss runs every step of CTC, the classifier
# runs RNNCell; the plans call forward, never __call__.
CTC_LOSS = "mytorch:ctc_loss"
MYTORCH_HW3 = Corpus("mytorch", BUNDLED_DIR / "mytorch", "mytorch", "student_nn.mytorch",
                     ("rnn_cell", "rnn_classifier", "gru_cell", "CTC"), {
    "RNNCell": ("mytorch:rnn_cell", "mytorch:rnn_classifier"), "GRUCell": ("mytorch:gru_cell",),
    "RNNPhonemeClassifier": ("mytorch:rnn_classifier",),
    "shifted": ("mytorch:ctc_forward_probs", "mytorch:ctc_backward_probs", CTC_LOSS),
    "CTC": ("mytorch:ctc_extend", "mytorch:ctc_forward_probs", "mytorch:ctc_backward_probs",
            "mytorch:ctc_posterior", CTC_LOSS),
    "CTC.extend_target_with_blank": ("mytorch:ctc_extend", CTC_LOSS),
    "CTC.get_forward_probs": ("mytorch:ctc_forward_probs", CTC_LOSS),
    "CTC.get_backward_probs": ("mytorch:ctc_backward_probs", CTC_LOSS),
    "CTC.get_posterior_probs": ("mytorch:ctc_posterior", CTC_LOSS),
    "CTCLoss": (CTC_LOSS,),
}, frozenset({"__call__"}), prefix="mytorch:")

# The attention API (harness/apis/attention): one file of functions; the multi-head op runs
# the scaled dot-product attention and its softmax (every head at once) between its own.
SDPA, MHA = "attention:scaled_dot_product", "attention:multihead"
ATTENTION = Corpus("attention", BUNDLED_DIR / "attention", "attention", "student_nn.attention",
                   ("attention",), {
    "softmax": (SDPA, MHA),
    "scaled_dot_product_attention_forward": (SDPA, MHA),
    "scaled_dot_product_attention_backward": (SDPA, MHA),
    "split_heads": (MHA,), "merge_heads": (MHA,), "multihead_attention_forward": (MHA,),
    "_linear_backward": (MHA,), "multihead_attention_backward": (MHA,),
}, prefix="attention:")

SEQUENCE = (CS231N_RNN, MYTORCH_HW3, ATTENTION)
CORPORA = {corpus.api: corpus for corpus in (HW6, *SEQUENCE)}

ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
         ast.Pow: ast.Mult, ast.MatMult: ast.Mult, ast.FloorDiv: ast.Div}
COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
           ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
           ast.In: ast.NotIn, ast.NotIn: ast.In}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
          ast.MatMult: "@", ast.FloorDiv: "//", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
          ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not",
          ast.In: "in", ast.NotIn: "not in"}


@dataclass(frozen=True)
class Mutant:
    """One change to one function of a bundled package (its API's `Corpus`)."""

    id: str              # "layers:Conv2D.backward:L158:arith:3" (HW6), "cs231n:rnn_layers:..."
    module: str          # the file: activations | layers | losses | utils | rnn_layers | ...
    function: str        # "Conv2D.backward", "im2col"
    operator: str        # one of OPERATORS
    line: int            # the mutated line in the original file
    stmt_first: int      # the innermost statement holding it, in the original file
    stmt_last: int
    first_line: int      # the function's lines in the original file
    last_line: int
    before: str          # the mutated line, before and after (one line each)
    after: str
    description: str     # "'-' -> '+'"
    ops: tuple[str, ...]  # the ops that drive this function
    source: str          # the mutated function's source
    api: str = HW6.api   # its corpus's API (`CORPORA`)

    def to_json(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in (
            "id", "module", "function", "operator", "line", "stmt_first", "stmt_last",
            "first_line", "last_line",
            "before", "after", "description", "api")} | {"ops": list(self.ops)}


# ---------------------------------------------------------------- the operators
def _num(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool))


class _Sites(ast.NodeVisitor):
    """Every (node, operator, replacement maker, description) in one function, in order."""

    def __init__(self) -> None:
        self.sites: list[tuple[ast.AST, str, Callable[..., ast.AST], str]] = []
        self.context: list[str] = []   # "axis" | "slice" while inside one

    def add(self, node: ast.AST, operator: str, make: Callable[..., ast.AST],
            text: str) -> None:
        self.sites.append((node, operator, make, text))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        body = node.body[1:] if (node.body and isinstance(node.body[0], ast.Expr)
                                 and isinstance(node.body[0].value, ast.Constant)) else node.body
        for stmt in body:       # not the docstring, not the annotations
            self.visit(stmt)

    def visit_Constant(self, node: ast.Constant) -> None:
        v = node.value
        if not _num(node) or not isinstance(v, int | float):   # (_num: an int or a float)
            return
        kind = self.context[-1] if self.context else "constant"
        for new in dict.fromkeys((v + 1, v - 1)):
            self.add(node, kind, lambda n, new=new: ast.Constant(new), f"{v!r} -> {new!r}")

    def visit_BinOp(self, node: ast.BinOp) -> None:
        op = type(node.op)
        if op in ARITH:
            self.add(node, "arith", lambda n, op=op: ast.BinOp(n.left, ARITH[op](), n.right),
                     f"'{SYMBOL[op]}' -> '{SYMBOL[ARITH[op]]}'")
        if op in (ast.Add, ast.Sub, ast.Mult, ast.Div):
            self.add(node, "drop_term", lambda n: n.left,
                     f"'a {SYMBOL[op]} b' -> 'a'")
            if op is not ast.Div:
                self.add(node, "drop_term", lambda n: n.right,
                         f"'a {SYMBOL[op]} b' -> 'b'")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.USub) and not _num(node.operand):
            self.add(node, "arith", lambda n: n.operand, "'-x' -> 'x'")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        op = type(node.op)
        if op in ARITH:
            self.add(node, "arith",
                     lambda n, op=op: ast.AugAssign(n.target, ARITH[op](), n.value),
                     f"'{SYMBOL[op]}=' -> '{SYMBOL[ARITH[op]]}='")
        self.add(node, "drop_term", lambda n: ast.Pass(), f"'{SYMBOL.get(op, '?')}=' dropped")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for k, op in enumerate(node.ops):
            if type(op) in COMPARE:
                def make(n: ast.Compare, k: int = k) -> ast.Compare:
                    ops = list(n.ops)
                    ops[k] = COMPARE[type(ops[k])]()
                    return ast.Compare(n.left, ops, n.comparators)
                self.add(node, "compare", make,
                         f"'{SYMBOL[type(op)]}' -> '{SYMBOL[COMPARE[type(op)]]}'")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        for k, kw in enumerate(node.keywords):
            if kw.arg == "axis":
                def drop(n: ast.Call, k: int = k) -> ast.Call:
                    return ast.Call(n.func, n.args, [w for i, w in enumerate(n.keywords)
                                                     if i != k])
                self.add(node, "axis", drop, "axis=... dropped")
            if kw.arg == "keepdims" and isinstance(kw.value, ast.Constant) and kw.value.value:
                def nokeep(n: ast.Call, k: int = k) -> ast.Call:
                    return ast.Call(n.func, n.args, [w for i, w in enumerate(n.keywords)
                                                     if i != k])
                self.add(node, "keepdims", nokeep, "keepdims=True dropped")
        name = node.func.attr if isinstance(node.func, ast.Attribute) else (
            node.func.id if isinstance(node.func, ast.Name) else "")
        if name in ("transpose", "swapaxes") and len(node.args) >= 2:
            first = 1 if isinstance(node.func, ast.Name) or (
                isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "np") else 0
            if len(node.args) - first >= 2:
                def rev(n: ast.Call, first: int = first) -> ast.Call:
                    return ast.Call(n.func, [*n.args[:first], *reversed(n.args[first:])],
                                    n.keywords)
                self.add(node, "transpose", rev, f"{name}(...) axes reversed")
        self.visit(node.func)
        for a in node.args:
            self.visit(a)
        for kw in node.keywords:
            self.context.append("axis" if kw.arg == "axis" else "constant")
            self.visit(kw.value)
            self.context.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr == "T":
            self.add(node, "transpose", lambda n: n.value, "'.T' dropped")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        shape = isinstance(node.value, ast.Attribute) and node.value.attr == "shape"
        self.context.append("axis" if shape else "slice")   # X.shape[0]: which dimension
        self.visit(node.slice)
        self.context.pop()

    def visit_Slice(self, node: ast.Slice) -> None:
        for part in ("lower", "upper", "step"):
            if getattr(node, part) is not None:
                def drop(n: ast.Slice, part: str = part) -> ast.Slice:
                    s = copy.copy(n)
                    setattr(s, part, None)
                    return s
                self.add(node, "slice", drop, f"slice {part} dropped")
        self.generic_visit(node)


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, new: ast.AST) -> None:
        self.target, self.new = target, new

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.new
        return super().visit(node)


# ---------------------------------------------------------------- generation
def _functions(tree: ast.Module) -> Iterator[tuple[str, str | None, ast.FunctionDef]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, None, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", node.name, item


def generate(corpus: Corpus = HW6) -> list[Mutant]:
    """Every mutant of the in-scope functions of `corpus`'s files, in file order; mutants
    whose function source comes out the same as another's are kept once."""
    out: list[Mutant] = []
    for module in corpus.modules:
        text = (corpus.source / f"{module}.py").read_text()
        lines = text.splitlines()
        tree = ast.parse(text)
        for qualname, cls, func in _functions(tree):
            ops = corpus.ops_of(module, qualname, cls)
            if not ops:
                continue
            original = ast.unparse(func)
            sites = _Sites()
            sites.visit(func)
            seen: set[str] = {original}
            counter = 0
            for node, operator, make, text_ in sites.sites:
                fresh = copy.deepcopy(func)
                target = _find(fresh, func, node)
                new = make(copy.deepcopy(target))
                mutated = _Replace(target, ast.copy_location(new, target)).visit(fresh)
                ast.fix_missing_locations(mutated)
                try:
                    src = ast.unparse(mutated)
                    compile(src, "<mutant>", "exec")
                except (SyntaxError, ValueError, TypeError):
                    continue
                if src in seen:
                    continue
                seen.add(src)
                line = getattr(node, "lineno", func.lineno)
                stmt = _statement(func, line)
                after = _mutated_line(func, mutated, line, lines)
                counter += 1
                out.append(Mutant(
                    id=f"{corpus.prefix}{module}:{qualname}:L{line}:{operator}:{counter}",
                    module=module,
                    function=qualname, operator=operator, line=line,
                    stmt_first=stmt[0], stmt_last=stmt[1],
                    first_line=min([func.lineno, *(d.lineno for d in func.decorator_list)]),
                    last_line=func.end_lineno or func.lineno,
                    before=lines[line - 1].strip(), after=after, description=text_,
                    ops=ops, source=src, api=corpus.api))
    return out


def _find(fresh: ast.AST, original: ast.AST, node: ast.AST) -> ast.AST:
    """The node of the deep copy `fresh` at the place of `node` in `original`."""
    for a, b in zip(ast.walk(original), ast.walk(fresh), strict=True):
        if a is node:
            return b
    raise LookupError("node not found in its function")


def _statement(func: ast.FunctionDef, line: int) -> tuple[int, int]:
    """The lines of the innermost statement of `func` that holds `line`."""
    best = (func.lineno, func.end_lineno or func.lineno)
    for stmt in ast.walk(func):
        if isinstance(stmt, ast.stmt) and stmt is not func:
            first, last = stmt.lineno, stmt.end_lineno or stmt.lineno
            if first <= line <= last and last - first <= best[1] - best[0]:
                best = (first, last)
    return best


def _mutated_line(func: ast.FunctionDef, mutated: ast.AST, line: int, lines: list[str]) -> str:
    """The statement holding the mutated line, unparsed after the change (one line; a
    compound statement's header only)."""
    best: ast.stmt | None = None
    for stmt in ast.walk(mutated):
        if isinstance(stmt, ast.stmt) and not isinstance(stmt, ast.FunctionDef) \
                and getattr(stmt, "lineno", None) is not None \
                and stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            best = stmt   # ast.walk goes outside in: the last match is the innermost
    if best is None:
        return "pass"
    if isinstance(best, ast.For):
        return f"for {ast.unparse(best.target)} in {ast.unparse(best.iter)}:"
    if isinstance(best, ast.If | ast.While):
        return f"{'if' if isinstance(best, ast.If) else 'while'} {ast.unparse(best.test)}:"
    return " ".join(ast.unparse(best).split())


# ---------------------------------------------------------------- packages
def write_package(mutant: Mutant, dest: Path) -> Path:
    """dest/neural_networks (dest/cs231n, dest/mytorch, dest/attention: its corpus's
    package): the bundled package with `mutant`'s function replaced; the package."""
    corpus = CORPORA[mutant.api]
    pkg = dest / corpus.package
    shutil.copytree(corpus.source, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    path = pkg / f"{mutant.module}.py"
    lines = path.read_text().splitlines(keepends=True)
    if mutant.line > len(lines) or lines[mutant.line - 1].strip() != mutant.before:
        raise RuntimeError(f"{corpus.source / path.name}:{mutant.line} is no longer "
                           f"{mutant.before!r}: the file changed after its mutants were made "
                           "(their lines would splice into the wrong places); run again")
    first = lines[mutant.first_line - 1]
    indent = first[: len(first) - len(first.lstrip())]
    body = textwrap.indent(mutant.source, indent) + "\n"
    path.write_text("".join(lines[: mutant.first_line - 1]) + body
                    + "".join(lines[mutant.last_line:]))
    return pkg
