"""How a library lays out an array that the twin lays out otherwise: a catalogue.

An adapter says ``layout = { w = "transposed", b = "column", dW = "transposed" }`` when the
library keeps a Linear's weight as (out, in) where the twin's is (in, out), its bias as
(out, 1) where the twin's is (out,). An input named there reaches the library in the
library's layout (`to_library`); an output named there is brought back to the twin's layout
(`to_twin`) before it is compared, so that the report names elements on the twin's axes.
A returned array whose shape is not the library's layout of the expected shape is left as it
is: its wrong shape is the library's to fix, and the comparison says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    text: str                                         # what it means, for docs and reports
    to_library: Callable[[np.ndarray], np.ndarray]    # the twin's array -> the library's
    to_twin: Callable[[np.ndarray], np.ndarray]       # the library's array -> the twin's


LAYOUTS: dict[str, Layout] = {
    "transposed": Layout("the axes reversed (a Linear's W as (out, in), not (in, out))",
                         lambda a: a.T, lambda a: a.T),
    "column": Layout("a vector as a column (n, 1) (mytorch's b)",
                     lambda a: a.reshape(-1, 1), lambda a: a.reshape(-1)),
    "row": Layout("a vector as a row (1, n)", lambda a: a.reshape(1, -1),
                  lambda a: a.reshape(-1)),
    "channels_last": Layout("images as (N, H, W, C), not (N, C, H, W)",
                            lambda a: a.transpose(0, 2, 3, 1),
                            lambda a: a.transpose(0, 3, 1, 2)),
}


def to_library(layout: str, array: np.ndarray) -> np.ndarray:
    """`array` (the twin's layout) in the library's `layout`."""
    return np.ascontiguousarray(LAYOUTS[layout].to_library(np.asarray(array)))


def to_twin(layout: str, got: np.ndarray, expected_shape: tuple[int, ...]) -> np.ndarray:
    """`got` (the library's) in the twin's layout, when its shape is the library's layout
    of `expected_shape`; else `got` unchanged (a wrong shape is reported as such)."""
    if got.shape != library_shape(layout, expected_shape):
        return got
    return LAYOUTS[layout].to_twin(got)


def library_shape(layout: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of an array of `shape` (the twin's) in the library's `layout`."""
    return LAYOUTS[layout].to_library(np.empty(shape)).shape
