"""The words of the class report: symptoms with their numbers generalised, the contract's
statement of an op, and hints that name the concept, not the fix.

The class post (class.md's last part, `harness.grading.cohort`) is written for students: it
explains the cohort's most common root causes without naming anyone and without quoting
anyone's code. Its text is built here from what is the same for every student:

- the symptom: the fix list's message of the root cause, with every number that is not the
  same short value in every submission's message replaced by ``N`` (`generalise`), the
  student's own source line cut off (``(at neural_networks/layers.py:80 in backward: ...)``)
  and folder paths dropped (`scrub`);
- the contract: the reference twin's docstrings of the op's class (or function) and of the
  method that computes the output (reference/, read with `ast`, never imported), and the
  parameter shapes the op creates;
- a hint per diagnosis code (`HINTS`): what to think about, never what to write.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from harness.apis.known import APIS
from harness.core.opspec import FunctionOp
from harness.core.registry import find_op
from harness.diagnosis.causes import CODES

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?")
# a quoted source line: '(at neural_networks/layers.py:8 in forward: return x + 1)'
SOURCE_QUOTE = re.compile(r"\s*\(at [^()]*?(?:\.py:\d+|line \d+)[^\n]*$")
RAISED_AT = re.compile(r"\s*Raised at .*$")
# 'hw6/neural_networks/' before x.py (from a token's start only: linear on long words)
FOLDERS = re.compile(r"(?<![\w.~+-])(?:[\w.~+-]+/)+(?=[\w.-]+\.py\b)")
LONGEST = 2000    # characters of a message read (a submission's message can be megabytes)
KEEP_DIGITS = 2   # a number every message agrees on, with at most this many significant digits


@lru_cache(maxsize=1)
def words_kept() -> frozenset[str]:
    """Words a submission's name may share that are no one's: every API's name, package and
    modules (a submission named 'layers' is not scrubbed out of 'layers.py')."""
    kept: set[str] = set()
    for api in APIS.values():
        kept |= {api.name, api.package, *api.loader.dirs, *api.modules, *api.loader.modules}
    return frozenset(kept)


# What to think about, per diagnosis code (harness/diagnosis/causes.py): the concept the
# failure points at, never the line to write.
HINTS: dict[str, str] = {
    "timeout": "How much work each call does: Python loops over every element of a batch are "
               "slow, and a loop whose exit condition never becomes true never ends.",
    "crashed": "What can end a process: a call that exits, or an allocation far larger than "
               "the inputs.",
    "import_error": "Before any test runs, Python must import the whole module: its syntax "
                    "and the imports at its top.",
    "refused_import": "The assignment is to write the computation yourself with NumPy: which "
                      "libraries may a module import?",
    "not_implemented": "Every class and method the assignment names must exist and return "
                       "its result.",
    "old_numpy_api": "NumPy 1.24 and 2.0 removed some old aliases (np.float, np.product, "
                     "...): which names does the current NumPy offer?",
    "created_shape": "The contract fixes the shape of every parameter: which dimension is the "
                     "number of inputs, which the number of outputs?",
    "caused_by_forward": "A gradient starts from what forward computed and cached: is forward "
                         "right on the same case?",
    "student_exception": "Read the exception and the line it names, with the shapes of the "
                         "smallest failing case in mind.",
    "input_mutated": "Arrays passed to a method belong to the caller: what happens to the "
                     "caller's array after an in-place operation on it?",
    "wrong_type": "What type does the contract ask the method to return?",
    "wrong_formula": "Derive this output again from the definition, with a small case worked "
                     "by hand.",
    "convention": "Which convention does the assignment fix (padding, reduction, shapes)?",
    "maxpool_routing": "In max pooling each output is one element of its window: where does "
                       "its gradient go?",
    "avgpool_count": "Average pooling: by how many elements is a window divided, at the "
                     "border too?",
    "conv_unpadded_input": "Padding: which array did forward actually slide the kernel "
                           "over?",
    "conv_stride_ignored": "Stride: which input positions does each output position read?",
    "conv_kernel_rotated": "Cross-correlation versus convolution: the orientation of the "
                           "kernel.",
    "conv_bias_per_tap": "How many times does the bias enter one output element?",
    "permuted_axes": "Memory layout: the order of the axes (NHWC) and the order in which "
                     "reshape reads them.",
    "reshape_match": "The values are right: compare the shape returned with the contract's.",
    "nan_inf": "Numerical stability: what exp and log do with large or tiny inputs, and "
               "which changes leave the mathematical result the same.",
    "all_zeros": "Where does the contract read the result from, and is it stored there?",
    "sign_flip": "The sign of the derivative: work it out on a one-element case.",
    "upstream_ignored": "The chain rule: how the gradient arriving from the next layer "
                        "combines with this layer's own derivative.",
    "factor_tracks": "A factor that grows with a size: which sums and means does the formula "
                     "contain, and over which axes?",
    "scale_factor": "A constant factor: revisit the derivative, and the normalisation (sum "
                    "or mean) the contract asks for.",
    "flipped_axes": "Index bookkeeping along one axis: the direction in which it is read.",
    "shift_by_one": "Index bookkeeping: where each window starts and ends.",
    "bias_offset": "The bias: how it enters forward, and what its gradient gathers.",
    "border_only": "Only the border is wrong: padding, and the first and last windows.",
    "stride_periodic": "Stride: how output positions map to input windows.",
    "activation_use": "A layer's activation is part of the layer: what does the chain rule "
                      "ask of it in backward?",
    "kernel_axes": "Non-square kernels: keep the kernel's height and width apart.",
    "stride": "Stride > 1: how output positions map to input windows.",
    "padding": "Padding: how much on each side, and how it changes the output's size.",
    "channel_axis": "Several channels: which axis holds them, and how an output channel "
                    "combines the input channels.",
    "batch_axis": "A batch of several samples: each sample is independent; what does a "
                  "parameter's gradient gather from the batch?",
    "large_inputs": "Large inputs: numerical stability.",
    "wrong_shape": "Compare the shape returned with the contract's, for every argument.",
    "wrong_dtype": "The contract's arrays are float64.",
    "value_mismatch": "Work the smallest failing case by hand and compare, element by "
                      "element.",
}
FAMILY_HINTS = (("init_", "Weight initialisers: the fans of a kernel, and the gain and "
                          "distribution each scheme uses."),
                ("optimizer_", "Write the optimiser's update rule out step by step, with "
                               "its state per parameter."),
                ("model_", "The model's own code: the order in which layers are called, and "
                           "what is passed from one to the next."))


def significant(token: str) -> int:
    """The significant digits of a number's mantissa ('0.099035': 5, '1e-09': 1, '100.0%': 1)."""
    mantissa = re.split(r"[eE]", token.strip("+-%"))[0]
    return len(re.sub(r"\D", "", mantissa).strip("0"))


WORD = re.compile(r"\w+")


class NameScrubber:
    """Replaces any of a class's submission names, as a whole word, by '…'; fast for
    thousands of names: a text is searched only for the names whose first word it holds."""

    def __init__(self, names: Iterable[str]) -> None:
        self.by_first: dict[str, list[str]] = {}
        for name in {n for n in names if n and len(n) > 2 and n not in words_kept()}:
            first = WORD.search(name)
            if first is not None:
                self.by_first.setdefault(first.group(0), []).append(name)

    def __call__(self, text: str) -> str:
        found = {n for w in set(WORD.findall(text)) & self.by_first.keys()
                 for n in self.by_first[w]}
        if not found:
            return text
        alternatives = "|".join(map(re.escape, sorted(found, key=len, reverse=True)))
        return re.sub(rf"(?<!\w)(?:{alternatives})(?!\w)", "…", text)


Names = Iterable[str] | NameScrubber | None


def names_pattern(names: Names) -> NameScrubber | None:
    """A `NameScrubber` for `names` (submission names); None for none."""
    if names is None or isinstance(names, NameScrubber):
        return names
    scrubber = NameScrubber(names)
    return scrubber if scrubber.by_first else None


def scrub(text: str, names: Names = None) -> str:
    """`text` without a quoted source line, without folder paths before a file name and
    without any of `names` (submission names) as a word."""
    text = RAISED_AT.sub("", SOURCE_QUOTE.sub("", str(text)[:LONGEST]))
    text = FOLDERS.sub("", text)
    scrubber = names_pattern(names)
    if scrubber is not None:
        text = scrubber(text)
    return " ".join(text.split())


def generalise(messages: Iterable[str], names: Names = None) -> str:
    """One message for many: the most common wording (numbers aside), each number kept only
    when every message of that wording has the same one, with at most KEEP_DIGITS significant
    digits ('2 times', '1e-09'), else ``N``. The messages are scrubbed first (`scrub`)."""
    names = names_pattern(names)
    shapes: dict[str, list[list[str]]] = {}
    for message in messages:
        text = scrub(message, names)
        shapes.setdefault(NUMBER.sub("\0", text), []).append(NUMBER.findall(text))
    if not shapes:
        return ""
    shape, numbers = max(shapes.items(), key=lambda kv: len(kv[1]))
    kept = []
    for column in zip(*numbers, strict=True):
        same = len(set(column)) == 1 and significant(column[0]) <= KEEP_DIGITS
        kept.append(column[0] if same else "N" + ("%" if column[0].endswith("%") else ""))
    parts = shape.split("\0")
    return "".join(p + (kept[i] if i < len(kept) else "") for i, p in enumerate(parts))


def observation(text: str, shortest: int = 20) -> str:
    """What a diagnosis message observes, without what it advises: its text up to the first
    '; ' outside parentheses, or the first ': ' outside parentheses after `shortest`
    characters ('db is wrong only with a batch of several samples and passes with one: samples
    are mixed up (...)' -> its first clause)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and text.startswith("; ", i):
            return text[:i]
        elif depth == 0 and i >= shortest and text.startswith(": ", i):
            return text[:i]
    return text


RAISED = ("timeout", "crashed", "import_error", "refused_import", "not_implemented",
          "old_numpy_api", "student_exception")   # messages that say what happened, no advice


def symptom(message: str, code: str) -> str:
    """What a root cause's message shows a student: an exception or an outage as it was said
    (up to its first '; '), anything else what the diagnosis observes (`observation`)."""
    if code in RAISED:
        return observation(message, shortest=len(message))
    return observation(message)


def hint(code: str) -> str:
    """What to think about for a diagnosis `code`."""
    if code in HINTS:
        return HINTS[code]
    for prefix, text in FAMILY_HINTS:
        if code.startswith(prefix):
            return text
    title = CODES.get(code)
    return (f"The diagnosis says: {title}. Work the smallest failing case by hand." if title
            else "Work the smallest failing case by hand and compare, element by element.")


# ------------------------------------------------------------------ the contract
@lru_cache(maxsize=8)
def _definitions(module: str) -> dict[str, tuple[str, dict[str, str], list[str]]]:
    """reference/<module>.py's classes and functions: name -> (docstring, method
    docstrings, base class names); {} when there is no such file."""
    path = REFERENCE / f"{module}.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    out: dict[str, tuple[str, dict[str, str], list[str]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            methods = {m.name: ast.get_docstring(m) or "" for m in node.body
                       if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)}
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)]
            out[node.name] = (ast.get_docstring(node) or "", methods, bases)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[node.name] = (ast.get_docstring(node) or "", {}, [])
    return out


def _method_doc(defs: dict[str, tuple[str, dict[str, str], list[str]]], cls: str,
                method: str) -> str:
    """A method's docstring, from its class or the nearest base class that has one."""
    seen: set[str] = set()
    todo = [cls]
    while todo:
        name = todo.pop(0)
        if name in seen or name not in defs:
            continue
        seen.add(name)
        doc, methods, bases = defs[name]
        if methods.get(method):
            return methods[method]
        todo += bases
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def contract_text(op: str, output: str) -> str:
    """What the contract says about `output` of `op`: the reference twin's docstrings of the
    op and of the method (or function) computing the output, and the parameter shapes it
    creates; "" when nnparity has none."""
    spec = find_op(op)
    if spec is None:
        return ""
    parts: list[str] = []
    if isinstance(spec, FunctionOp):     # a function API: its forward and this output's function
        defs = _definitions(spec.api) or _definitions(spec.module)
        for function in dict.fromkeys([spec.function("forward", False),
                                       spec.function(output, False)]):
            doc = defs.get(function, ("", {}, []))[0]
            if doc:
                parts.append(f"`{function}`: {_one_line(doc)}")
        return " ".join(parts)
    defs = _definitions(spec.module)
    doc = defs.get(spec.cls, ("", {}, []))[0]
    if doc:
        parts.append(f"`{spec.cls}`: {_one_line(doc)}")
    opened = spec.function(output, False) or f"{spec.cls}.forward"
    method = opened.rpartition(".")[2]
    method_doc = _method_doc(defs, spec.cls, method)
    if method_doc:
        parts.append(f"`{spec.cls}.{method}`: {_one_line(method_doc)}")
    if spec.param_shapes:
        shapes = ", ".join(f"{k} {v}" for k, v in spec.param_shapes.items())
        parts.append(f"Parameters created by `{spec.creates}`: {shapes}.")
    return " ".join(parts)


def contract_place(op: str, output: str) -> str:
    """Where the contract puts `output` of `op`: 'layers.py · Conv2D.backward'."""
    spec = find_op(op)
    if spec is None:
        return op
    return f"{spec.module}.py · {spec.function(output, False) or spec.cls}"


def case_text(params: dict[str, object]) -> str:
    """A case's parameters without its seed: 'n=2, h=1, w=1, k=1x1'."""
    def value(v: object) -> str:
        if isinstance(v, list | tuple):
            return "x".join(map(str, v))
        return str(v)
    return ", ".join(f"{k}={value(v)}" for k, v in params.items() if k != "seed")


def case_size(params: dict[str, object]) -> int:
    """How big a case is, to pick the smallest: the product of its integer parameters."""
    size = 1
    for v in params.values():
        for x in (v if isinstance(v, list | tuple) else [v]):
            if isinstance(x, int) and not isinstance(x, bool) and x > 0:
                size *= x
    return size


def most_common(values: Iterable[str]) -> str:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else ""
