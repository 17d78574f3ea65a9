"""The site packages graded code may import (harness/sandbox/packages.py), at every isolation
level (issue #20, point 5): the allowed pure-Python ones import (typing_extensions); one that is
installed here but not allowed, and torch & co., are "not available inside the grader's
sandbox", never "not installed"."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from harness.sandbox.confine import claim_uid, release_uid
from harness.sandbox.isolation import namespaces_problem
from harness.sandbox.packages import ALLOWED, HIDDEN, allowed_site, package_paths
from harness.sandbox.parent import PROJECT_ROOT, Limits, Policy, Sandbox

SUBMISSION = Path(__file__).parent / "submissions" / "imports_typing_extensions"
PROBLEM = namespaces_problem()
LEVELS = [
    pytest.param("namespaces", marks=pytest.mark.skipif(
        PROBLEM is not None, reason=f"namespaces are not available here: {PROBLEM}")),
    pytest.param("uid", marks=pytest.mark.skipif(
        os.geteuid() != 0, reason="the uid level needs root")),
    "process",
]
LIMITS = Limits(case_seconds=10, startup_seconds=40)
GRADED = ("activations", "layers", "losses")
UNAVAILABLE = "is not available inside the grader's sandbox: graded code may use NumPy, " \
              "the standard library, scipy and typing_extensions only"


@pytest.fixture
def readable() -> Iterator[Path]:
    """A directory any uid can read (the uid level's child runs as a uid of its own)."""
    root = Path(tempfile.mkdtemp(prefix="nnparity-pkgtest-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _copy(src: Path, root: Path) -> Path:
    dest = root / src.name
    shutil.copytree(src, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def _write(root: Path, layers: str) -> Path:
    pkg = root / "sub" / "neural_networks"
    pkg.mkdir(parents=True)
    (pkg / "layers.py").write_text(layers + "from student_nn.layers import *  # noqa\n")
    for p in [root / "sub", pkg, pkg / "layers.py"]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return root / "sub"


def _sandbox(impl: Path, level: str) -> tuple[Sandbox, int | None]:
    uid = claim_uid() if level == "uid" else None
    sb = Sandbox(impl, GRADED, LIMITS, Policy(uid=uid, gid=uid, isolation=level))
    assert sb.isolation == level
    return sb, uid


def _load_layers(impl: Path, level: str) -> dict:
    """The child's answer to importing layers.py (and, when it imports, a Flatten case)."""
    sb, uid = _sandbox(impl, level)
    try:
        answer = sb.run({"cmd": "load", "module": "layers"}, {})[0]
        if answer["ok"]:
            x = np.random.default_rng(0).standard_normal((2, 3, 3, 2))
            header, arrays = sb.run({"cmd": "run", "kind": "layer", "module": "layers",
                                     "cls": "Flatten", "ctor": {}, "outputs": ["forward"]},
                                    {"X": x, "dY": x.reshape(2, -1)})
            assert header["errors"] == {}, header["errors"]
            np.testing.assert_array_equal(arrays["out/forward"], x.reshape(2, -1))
        return answer
    finally:
        sb.close()
        if uid is not None:
            release_uid(uid)


@pytest.mark.parametrize("level", LEVELS)
def test_a_module_importing_typing_extensions_loads_and_runs(level, readable) -> None:
    answer = _load_layers(_copy(SUBMISSION, readable), level)
    assert answer["ok"], answer.get("error")


@pytest.mark.parametrize("level", LEVELS)
def test_a_package_installed_here_but_not_allowed_is_not_available(level, readable) -> None:
    assert importlib.util.find_spec("tabulate") is not None   # installed: a dependency
    answer = _load_layers(_write(readable, "import tabulate\n"), level)
    err = answer["error"]
    assert not answer["ok"] and err["type"] == "ModuleNotFoundError"
    assert err["hint"] == f"the package 'tabulate' {UNAVAILABLE}"
    assert "not installed" not in str(err)


@pytest.mark.parametrize("level", LEVELS)
def test_torch_is_not_importable_at_any_level(level, readable) -> None:
    """Without any refused import: in namespaces torch is not there, below them the gate
    turns it away (the rubric's refused imports and file modes hold it when grading)."""
    answer = _load_layers(_write(readable, "import torch\n"), level)
    assert not answer["ok"] and answer["error"]["type"] == "ModuleNotFoundError"
    assert answer["error"]["hint"] == f"the package 'torch' {UNAVAILABLE}"


def test_the_allowed_packages_are_pure_python_dependencies_and_never_torch() -> None:
    assert not set(ALLOWED) & set(HIDDEN)
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    required = {d.split(">")[0].split("=")[0].strip().replace("-", "_").lower()
                for d in project["dependencies"]}
    for name, why in ALLOWED.items():
        assert why and name in required, name
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        if name in ("numpy", "scipy"):   # wheels with their own libraries (.libs), and
            needs = importlib.metadata.requires(name) or []   # nothing else but NumPy
            assert all(r.startswith("numpy") or "extra ==" in r for r in needs), name
        else:   # the rest are bound alone: no compiled parts, no dependencies
            where = Path(spec.origin)
            files = [where] if spec.submodule_search_locations is None \
                else list(where.parent.rglob("*"))
            assert not [f for f in files if f.suffix in (".so", ".pyd")], name


def test_links_to_an_installation_the_uid_cannot_search_go_through_the_open_directory():
    """A Python installed under /root (pyenv) is reached by the sandbox's uid only through a
    directory the parent opened (/proc/self/fd/N): the links to the allowed packages must go
    through it too, or the child cannot import numpy (the quick start in such a system Python
    failed every uid-level test)."""
    numpy_dir = package_paths("numpy")[0]
    prefix = os.path.dirname(numpy_dir)
    site = allowed_site((prefix, "/proc/self/fd/99"))
    assert os.readlink(os.path.join(site, "numpy")) == "/proc/self/fd/99/numpy"
    assert os.readlink(os.path.join(allowed_site(), "numpy")) == numpy_dir
