"""The layout keeps the core API-neutral: only harness/apis/ knows an API.

The core, the sandbox, diagnosis, reports, grading, the CLI and the plugins ask an `Api`
(harness/apis/api.py) for what differs between APIs; they never import an adapter's modules
or name an API, its package or its kinds in code. (evidence/ and bench/ measure the bundled
HW6 implementation itself, so they may.)
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
                 if p.relative_to(HARNESS).parts[0] not in ("apis", "evidence", "bench"))


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
