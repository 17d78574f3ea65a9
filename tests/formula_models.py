"""A check the wrong-formula catalogues of the sequence and attention APIs share: the NumPy
model every wrong formula is a variant of computes the twin's values when nothing is wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from harness.core.conventions import DEFAULT_PROFILE
from harness.core.registry import get_op
from harness.core.twin import cached_reference

Model = Callable[[dict[str, np.ndarray], Any], Mapping[str, np.ndarray]]


def assert_right_way_is_the_twin(op: str, model: Model, right_way: Any, cases: int) -> None:
    """`model` (a catalogue's NumPy model of `op`) with no flag set equals the twin on
    `cases` cases of `op`."""
    spec = get_op(op)
    for case in spec.cases(cases, seed=1):
        expected = cached_reference(op, case, DEFAULT_PROFILE.preferred)
        mine = model(spec.inputs(case), right_way)
        for output in spec.outputs:
            np.testing.assert_allclose(mine[output], expected[output], rtol=1e-9, atol=1e-12)
