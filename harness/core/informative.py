"""Forwards computed only to decide whether a drawn case is informative (a ReLU case with
units both alive and dead, ...).

Parent-only: they compute the answers of ops, so the sandboxed child never imports this
module (`harness.core.cases` imports it when it draws a case) and cannot read it
(harness/sandbox/visible.py).
"""

from __future__ import annotations

import numpy as np

from harness.core.cases import Params, pad_amount


def conv_preactivation(p: Params, x: dict[str, np.ndarray]) -> np.ndarray:
    """Z = X ⋆ W + b, only to check that a ReLU case is informative."""
    (kh, kw), s = p["k"], p["s"]
    ph, pw = pad_amount(p["pad"], kh), pad_amount(p["pad"], kw)
    Xp = np.pad(x["X"], ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(Xp, (kh, kw), axis=(1, 2))[:, ::s, ::s]
    return np.einsum("nhwcij,ijco->nhwo", win, x["W"]) + x["b"][0]
