"""Exact edits: how the tests make a buggy implementation from a correct file."""

from __future__ import annotations

Edits = tuple[tuple[str, str], ...]


def edited(text: str, edits: Edits, where: object = "") -> str:
    """`text` with each (old, new) of `edits` replaced in order; each old text must occur
    exactly once (`where` names the edit in the failure)."""
    for old, new in edits:
        assert text.count(old) == 1, (where, old, text.count(old))
        text = text.replace(old, new)
    return text
