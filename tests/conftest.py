"""Which tests are slow: those that start a sandboxed child (or a cluster, or a browser).

`pytest -m "not slow"` runs the rest, the unit tests, in seconds; `pytest -n auto` runs
everything. A test module is slow unless it is listed in FAST_MODULES, so a new module is
slow until it is shown not to be; and a test that is not marked slow but starts a child
fails, saying so, so the table cannot go stale.
"""

from __future__ import annotations

import pytest

from harness.apis import known  # noqa: F401 - the built-in APIs, as every entry point registers them

# Test modules none of whose tests starts a child: pure functions, the reference twins,
# parsing and layout checks.
FAST_MODULES = frozenset({
    "test_cases", "test_compare", "test_cs231n_math", "test_diagnosis_units",
    "test_dropout_law", "test_fingerprints", "test_layout", "test_reference", "test_report_types",
    "test_sources", "test_student_nn_unit", "test_mytorch_reference", "test_mytorch_student",
    "test_returned_values", "test_twins_page",
})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module is not None and item.module.__name__.rpartition(".")[2] not in FAST_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_child_in_a_fast_test(request: pytest.FixtureRequest,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked slow may not start a sandboxed child."""
    if request.node.get_closest_marker("slow") is not None:
        return
    from harness.sandbox import parent

    def refuse(self: object) -> None:
        raise AssertionError(f"{request.node.nodeid} starts a sandboxed child: its module "
                             "is not one of tests/conftest.py's FAST_MODULES")

    monkeypatch.setattr(parent.Sandbox, "_start", refuse)


@pytest.fixture(scope="session")
def failing_check(tmp_path_factory: pytest.TempPathFactory):
    """`failing_check(package_dir, ops, cases)`: run `nnparity check` on a fixture that has
    bugs (exit code 1 asserted) and return its report.json."""
    import json
    from pathlib import Path

    from harness.cli import main

    def run(package: Path, ops: str, cases: int) -> dict:
        out = tmp_path_factory.mktemp(package.parent.name)
        code = main(["check", "--impl", str(package), "--ops", ops, "--cases", str(cases),
                     "--report", str(out)])
        assert code == 1
        return json.loads((out / "report.json").read_text())

    return run
