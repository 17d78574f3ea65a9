"""What code written for Python 2 or an older NumPy raises here gets a hint that says so
(harness/core/verdict.py OLDER_CODE_HINTS): still the file's to fix, in words that say why."""

from __future__ import annotations

import pytest

from harness.core.verdict import describe_exception


@pytest.mark.parametrize("kind, message, hint", [
    ("SyntaxError", "Missing parentheses in call to 'print'. Did you mean print(...)?",
     "the file is Python 2"),
    ("TypeError", "'float' object cannot be interpreted as an integer", "use //"),
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars",
     "use .item()"),
])
def test_older_code_gets_its_hint(kind, message, hint) -> None:
    err = {"stage": "import", "type": kind, "message": message,
           "file": "cs231n/rnn_layers.py", "line": 572, "function": "<module>",
           "code": "print 'dx'"}
    text = describe_exception(err)
    assert text.startswith(f"import raised: {kind}: {message}") and hint in text


def test_other_errors_get_none() -> None:
    err = {"stage": "forward", "type": "SyntaxError", "message": "invalid syntax"}
    assert describe_exception(err) == "forward raised: SyntaxError: invalid syntax"
