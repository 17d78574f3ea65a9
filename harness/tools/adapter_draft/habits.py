"""The habits of a class's math, read from its syntax tree: the constant it adds under a sqrt
(eps) or a log (the loss's guard), whether its forward divides (an inverted dropout) or
flattens its input, gathers by label, exponentiates, computes in float32, and what its
dropout's probability means."""

from __future__ import annotations

import ast

from harness.tools.adapter_draft.syntax import is_self, name_of, nodes, number, params

SMALL = 1e-2     # a constant added under a sqrt or a log below this is a guard (eps)
RANDOM_DRAWS = {"rand", "random", "uniform", "random_sample", "randn"}
EXACT_IN_FLOAT32 = {"ones", "ones_like", "eye", "identity"}   # their values lose nothing


def _constant(node: ast.expr, constants: dict[str, float]) -> float | None:
    """A small positive number `node` is: a literal, or an attribute __init__ set to one."""
    value: object = None
    if isinstance(node, ast.Constant):
        value = node.value
    elif isinstance(node, ast.Attribute) and is_self(node):
        value = constants.get(node.attr)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < SMALL:
        return float(value)
    return None


def _added(node: ast.expr, constants: dict[str, float]) -> float | None:
    """The guard in ``a + 1e-7`` (either side), if `node` is such a sum."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        for side in (node.right, node.left):
            found = _constant(side, constants)
            if found is not None:
                return found
    return None


def guard(bodies: list[ast.FunctionDef], functions: tuple[str, ...],
           constants: dict[str, float], powers: bool = False) -> float | None:
    """The constant added under the first call of `functions` (np.sqrt(var + 10e-7)), or
    under a power of ±0.5 or -1.5 when `powers` ((var + eps) ** -0.5)."""
    for node in nodes(bodies):
        inside: ast.expr | None = None
        if isinstance(node, ast.Call) and name_of(node.func) in functions and node.args:
            inside = node.args[0]
        elif powers and isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
                and number(node.right) in (0.5, -0.5, -1.5):
            inside = node.left
        found = _added(inside, constants) if inside is not None else None
        if found is not None:
            return found
    return None


def divides(bodies: list[ast.FunctionDef]) -> bool:
    return any(isinstance(n, ast.BinOp | ast.AugAssign) and isinstance(n.op, ast.Div)
               or isinstance(n, ast.Call) and name_of(n.func) == "divide"
               for n in nodes(bodies))


def flattens(bodies: list[ast.FunctionDef], forward: ast.FunctionDef | None) -> bool:
    """Whether forward reshapes its first argument (x.reshape(N, -1), np.reshape(x, ...))."""
    arguments = params(forward)
    if not arguments:
        return False
    first = arguments[0].name
    for node in nodes(bodies):
        if isinstance(node, ast.Call) and name_of(node.func) in ("reshape", "flatten", "ravel"):
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            subject = node.args[0] if node.args and name_of(node.func) != "flatten" else None
            if any(isinstance(s, ast.Name) and s.id == first for s in (receiver, subject)):
                return True
    return False


def gathers(bodies: list[ast.FunctionDef]) -> bool:
    """Whether labels index an array: p[np.arange(N), y], np.eye(C)[y]."""
    for node in nodes(bodies):
        if not isinstance(node, ast.Subscript):
            continue
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if any(isinstance(p, ast.Call) and name_of(p.func) in ("arange", "range") for p in parts) \
                or isinstance(node.value, ast.Call) and name_of(node.value.func) in ("eye",
                                                                                   "identity"):
            return True
    return False


def softmaxes(bodies: list[ast.FunctionDef]) -> bool:
    for node in nodes(bodies):
        if isinstance(node, ast.Call) and name_of(node.func) in ("exp", "logsumexp"):
            return True
        if isinstance(node, ast.Name | ast.Attribute) and "softmax" in (
                node.id if isinstance(node, ast.Name) else node.attr).lower():
            return True
    return False


def float32(bodies: list[ast.FunctionDef]) -> bool:
    """Whether its math makes float32 arrays (np.zeros(..., dtype="f") filled later,
    .astype(np.float32)); ones and identities in float32 are exact, and not counted."""
    for node in nodes(bodies):
        if not isinstance(node, ast.Call) or name_of(node.func) in EXACT_IN_FLOAT32:
            continue
        if name_of(node.func) == "float32":
            return True
        values = [k.value for k in node.keywords if k.arg == "dtype"]
        if name_of(node.func) == "astype":
            values += node.args
        if any(isinstance(v, ast.Constant) and v.value in ("f", "float32")
               or isinstance(v, ast.Attribute) and v.attr == "float32" for v in values):
            return True
    return False


def mask_means(bodies: list[ast.FunctionDef]) -> str | None:
    """What a dropout's probability means, from how its mask is drawn: ``rand() > p`` keeps
    where the draw exceeds p (p is the drop probability); ``binomial(1, 1 - p)`` too."""
    for node in nodes(bodies):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = _draws(node.left), _draws(node.comparators[0])
            if left != right:
                greater = isinstance(node.ops[0], ast.Gt | ast.GtE)
                less = isinstance(node.ops[0], ast.Lt | ast.LtE)
                if greater or less:
                    return "drop" if greater == left else "keep"
        if isinstance(node, ast.Call) and name_of(node.func) == "binomial":
            prob = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "p"), None)
            if prob is not None:
                minus_from_one = isinstance(prob, ast.BinOp) and isinstance(prob.op, ast.Sub) \
                    and number(prob.left) == 1.0
                return "drop" if minus_from_one else "keep"
    return None


def _draws(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and name_of(n.func) in RANDOM_DRAWS for n in ast.walk(node))
