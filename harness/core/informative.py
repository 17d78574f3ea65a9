"""Forwards computed only to decide whether a drawn case is informative (a ReLU case with
units both alive and dead, ...).

Parent-only: they compute the answers of ops, so the sandboxed child never imports this
module (`harness.core.cases` imports it when it draws a case) and cannot read it
(harness/sandbox/visible.py).
"""

from __future__ import annotations

import numpy as np


def conv_preactivation(x: dict[str, np.ndarray], kernel: tuple[int, int], stride: int,
                       pads: tuple[int, int]) -> np.ndarray:
    """Z = X ⋆ W + b with `pads` rows and columns of zeros on each side, only to check that
    a ReLU case is informative."""
    (kh, kw), (ph, pw) = kernel, pads
    Xp = np.pad(x["X"], ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(Xp, (kh, kw), axis=(1, 2))[:, ::stride,
                                                                             ::stride]
    return np.einsum("nhwcij,ijco->nhwo", win, x["W"]) + x["b"][0]
