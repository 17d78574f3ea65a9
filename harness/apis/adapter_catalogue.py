"""What an adapter may name instead of spelling out: the variants of a twin's definition that
real libraries use, and the tolerance policies. Data, read by harness/apis/user.py.

A *variant* is a documented way a library legitimately differs from the twin's definition:
the twin computes it when the adapter names it (``conventions = { log_offset = 1e-7 }``), and
the report prints its `text`, so nobody mistakes it for the library's bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.core.compare import DEFAULT_TOLERANCE, Tolerance


@dataclass(frozen=True)
class Variant:
    """A named variant: the twins that have it, the twin's keyword that computes it, the
    values it takes (a number, or the words and what each passes to the twin) and its
    description (``{value}`` is the adapter's value)."""

    twins: tuple[str, ...]
    option: str
    text: str
    words: Mapping[str, object] | None = None   # None: a number

    def twin_value(self, value: object) -> object:
        return float(value) if self.words is None else self.words[str(value)]  # type: ignore[arg-type]

    def accepts(self, value: object) -> bool:
        if self.words is None:
            return isinstance(value, int | float) and not isinstance(value, bool)
        return isinstance(value, str) and value in self.words


VARIANTS: dict[str, Variant] = {
    "log_offset": Variant(
        ("cs231n:softmax_loss",), "log_offset",
        "the loss is −mean log(p_y + {value}), the library's guard against log 0 (its "
        "gradient stays softmax's (p − onehot(y))/N)"),
    "dropout": Variant(
        ("cs231n:dropout",), "inverted",
        "{value} dropout: " + "train out = x · mask, test out = x · p (no 1/p scaling)",
        words={"inverted": True, "non-inverted": False}),
}


@dataclass(frozen=True)
class Policy:
    """A named tolerance policy: the comparison's tolerance and the dtypes it accepts."""

    tolerance: Tolerance
    dtypes: tuple[str, ...]


POLICIES: dict[str, Policy] = {
    "float64": Policy(DEFAULT_TOLERANCE, ("float64",)),
    # a library that computes in float32: it rounds at 6e-8 relative, and sums of the cases'
    # sizes lose up to ~1e-6; 1e-4 keeps a margin and still fails a wrong formula
    "float32": Policy(Tolerance(rtol=1e-4, atol_scale=1e-6), ("float32", "float64")),
}
