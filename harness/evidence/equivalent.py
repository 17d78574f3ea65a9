"""Hand-written arguments for equivalent mutants the automatic checks cannot show.

A survivor of the confirming cases is equivalent when the mutated line never runs, or its
outputs are bitwise identical to student_nn's (or differ by rounding only) on every case;
else only with an argument here, keyed by the mutant's id without its counter
(module:function:Lline:operator) and its description. Each says why no input the contract
allows can tell the mutant from student_nn.
"""

from __future__ import annotations

from typing import Any

ARGUMENTS: dict[tuple[str, str], str] = {}


def argue(record: dict[str, Any]) -> dict[str, str] | None:
    """The hand-written argument for a surviving mutant's record, or None."""
    key = (str(record.get("id", "")).rsplit(":", 1)[0], str(record.get("description", "")))
    return {"kind": "argued", "why": ARGUMENTS[key]} if key in ARGUMENTS else None
