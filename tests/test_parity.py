"""The parity suite: one item per op × output, over all its cases (see harness/pytest_plugin.py)."""

import pytest

from harness.pytest_plugin import explain


def test_parity(parity_verdict, parity_impl):
    if not parity_verdict.passed:
        pytest.fail(explain(parity_verdict, parity_impl), pytrace=False)
