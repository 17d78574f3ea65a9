"""The parity suite: one item per op × output × case (see harness/pytest_plugin.py)."""

import pytest


def test_parity(parity_verdict):
    if not parity_verdict.passed:
        from harness.pytest_plugin import explain

        pytest.fail(explain(parity_verdict), pytrace=False)
