"""The layout keeps the core API-neutral: only harness/apis/ knows an API.

The core, the sandbox, diagnosis, reports, grading, the CLI and the plugins ask an `Api`
(harness/core/api.py) for what differs between APIs; they never import an adapter's modules
or name an API, its package or its kinds in code. (tools/, evidence and bench, measure the
bundled HW6 implementation itself, so they may.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "harness"
ADAPTER_MODULES = ("harness.apis.hw6", "harness.apis.cs231n")
# Names that belong to one API: its name, its package, its driver kinds' table.
API_NAMES = {"hw6", "cs231n", "neural_networks", "KIND_OF_MODULE", "HW6_OPS", "CS231N_OPS"}
NEUTRAL = sorted(p for p in HARNESS.rglob("*.py")
                 if p.relative_to(HARNESS).parts[0] not in ("apis", "tools"))


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)}


def _api_specific(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            found += [f"line {node.lineno}: imports {n}" for n in names
                      if n.startswith(ADAPTER_MODULES)]
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names
                      if a.name.startswith(ADAPTER_MODULES)]
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docs and node.value in API_NAMES):
            found.append(f"line {node.lineno}: names {node.value!r}")
        elif isinstance(node, ast.Name) and node.id in API_NAMES:
            found.append(f"line {node.lineno}: uses {node.id}")
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('"""Docstrings may say hw6."""\nfrom harness.apis.hw6.ops import HW6_OPS\n'
                   'if api == "hw6":\n    pass\n')
    assert _api_specific(bad) == ["line 2: imports harness.apis.hw6.ops",
                                  "line 2: imports harness.apis.hw6.ops.HW6_OPS",
                                  "line 3: names 'hw6'"]


@pytest.mark.parametrize("path", NEUTRAL, ids=[str(p.relative_to(HARNESS)) for p in NEUTRAL])
def test_only_the_adapters_know_an_api(path: Path) -> None:
    assert _api_specific(path) == []


# ---------------------------------------------------------------- no import cycles
ROOT = HARNESS.parent
PACKAGES = ("harness", "reference")


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports anywhere in it (function-local and type-only
    imports too: a cycle through them is still a knot to untie)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                      else node.module for a in node.names}
    return found & modules


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a package's __init__ is the package)."""
    paths = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_of(p) for p in paths}
    return {_module_of(p): _imports(p, modules) - {_module_of(p)} for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm); a
    package importing its own submodules, and they the package's names, is not one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue   # a package and its own modules
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a": {"a.x"}, "a.w": set()}
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]


def test_no_module_imports_itself_round_a_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_product_imports_nothing_of_the_tools_but_the_cli() -> None:
    """bench and evidence (harness/tools/) stand beside the product: only the CLI, which
    delegates its two sub-commands, reaches them."""
    graph = import_graph()
    reaching = {m for m, imported in graph.items()
                if not m.startswith("harness.tools") and any(
                    i.startswith("harness.tools") for i in imported)}
    assert reaching == {"harness.cli"}


# ---------------------------------------------------------------- imports point down
# The layers, bottom first (docs/architecture.md draws them). A module imports only modules of
# its own layer or of the layers below; an entry point (the CLI, the plugins, the sandboxed
# child's `harness.child`) sits on top. What a lower layer needs from a higher one it gets
# through a protocol of the core (harness/core/api.py, harness/core/checking.py) and the
# registry the adapters fill (harness/core/registry.py).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("reference", "harness.version"),
    ("harness.core", "harness.progress"),
    ("harness.sandbox",),
    ("harness.diagnosis",),
    ("harness.apis",),
    ("harness.check",),
    ("harness.reports",),
    ("harness.grading",),
    ("harness.pipeline", "harness.doctor"),
    ("harness.tools",),
    ("harness.cli", "harness.pytest_plugin", "harness.notebook", "harness.child", "harness"),
)
RANK = {prefix: rank for rank, layer in enumerate(LAYERS) for prefix in layer}


def layer_of(module: str) -> str:
    """The layer a module belongs to: the longest prefix of it in `LAYERS`."""
    return max((p for p in RANK if module == p or module.startswith(p + ".")), key=len,
               default="")


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) for every import into a layer as high as the importer's or
    higher, other than its own."""
    return sorted((m, i) for m, imported in graph.items() for i in imported
                  if layer_of(m) != layer_of(i) and RANK[layer_of(m)] <= RANK[layer_of(i)])


def test_the_direction_check_finds_an_upward_import() -> None:
    graph = {"harness.core.cases": {"harness.check.checker"},
             "harness.check.checker": {"harness.core.cases", "harness.apis.known"},
             "harness.sandbox.parent": {"harness.diagnosis.causes"}}
    assert upward_imports(graph) == [("harness.core.cases", "harness.check.checker"),
                                     ("harness.sandbox.parent", "harness.diagnosis.causes")]


def test_every_module_is_in_a_layer() -> None:
    assert all(layer_of(m) for m in import_graph())


def test_imports_point_down_only() -> None:
    """No module imports a layer above its own (function-local and type-only imports too)."""
    assert upward_imports(import_graph()) == []


def test_the_reference_imports_nothing_of_the_harness() -> None:
    """The twins sit below the harness: it imports them, never the other way round."""
    graph = import_graph()
    upward = {m: sorted(i for i in imported if i.startswith("harness"))
              for m, imported in graph.items() if m.startswith("reference")}
    assert {m: i for m, i in upward.items() if i} == {}


def test_a_test_not_marked_slow_cannot_start_a_child() -> None:
    """tests/conftest.py keeps its table of fast modules honest."""
    from harness.sandbox import parent

    with pytest.raises(AssertionError, match="starts a sandboxed child"):
        parent.Sandbox._start(object())   # type: ignore[arg-type]


# ---------------------------------------------------------------- the layers, drawn
ARCHITECTURE = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- layers: generated by tests/test_layout.py -->", "<!-- layers: end -->"


def layer_diagram(graph: dict[str, set[str]]) -> str:
    """The layers, top first, each with the packages in it, its modules, and how many of
    its module imports go to each layer below (from the import graph)."""
    members: dict[int, set[str]] = {}
    into: dict[int, dict[int, int]] = {}
    for module, imported in graph.items():
        rank = RANK[layer_of(module)]
        members.setdefault(rank, set()).add(module)
        for other in imported:
            below = RANK[layer_of(other)]
            if below != rank:
                into.setdefault(rank, {}).setdefault(below, 0)
                into[rank][below] += 1
    name = {rank: " ".join(p.removeprefix("harness.") or "harness" for p in layer)
            for rank, layer in enumerate(LAYERS)}
    rows = ["| layer | modules | imports into the layers below |", "|---|---:|---|"]
    for rank in sorted(members, reverse=True):
        targets = ", ".join(f"{name[b]} {n}" for b, n in sorted(into.get(rank, {}).items(),
                                                                 reverse=True))
        rows.append(f"| {name[rank]} | {len(members[rank])} | {targets or '—'} |")
    return "\n".join(rows)


def test_the_architecture_page_draws_the_layers_the_code_has() -> None:
    """docs/architecture.md's table of the layers is the import graph's (regenerate it with
    `python tests/test_layout.py`)."""
    text = ARCHITECTURE.read_text()
    drawn = text[text.index(BEGIN) + len(BEGIN):text.index(END)].strip()
    assert drawn == layer_diagram(import_graph())


if __name__ == "__main__":   # rewrite the table in docs/architecture.md
    page = ARCHITECTURE.read_text()
    head, rest = page.split(BEGIN)
    ARCHITECTURE.write_text(f"{head}{BEGIN}\n{layer_diagram(import_graph())}\n"
                            f"{END}{rest.split(END)[1]}")
