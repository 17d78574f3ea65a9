"""A NumPy forward through a network's layers, only to decide whether a drawn network case is
informative (no near-tie in a max-pool window, no saturated softmax, no layer of ReLU units
all dead or all alive).

Parent-only: it computes the answers of layers, so the sandboxed child never imports this
module (`harness.apis.hw6.model_cases` imports it when it draws a case) and cannot read it
(harness/sandbox/visible.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from harness.core.cases import pad_amount

if TYPE_CHECKING:
    from harness.apis.hw6.layer_spec import LayerSpec


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return z


def _windows(x: np.ndarray, spec: LayerSpec) -> np.ndarray:
    ph, pw = pad_amount(spec.pad, spec.k[0]), pad_amount(spec.pad, spec.k[1])
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(xp, spec.k, axis=(1, 2))
    return win[:, ::spec.s, ::spec.s]          # (n, oh, ow, c, kh, kw)


def informative_forward(layers: list[LayerSpec], params: dict[str, np.ndarray],
                        X: np.ndarray) -> bool:
    """Forward through the stack; False when a max-pool window nearly ties, a softmax row
    saturates or every ReLU unit of a layer is dead (or alive)."""
    x = X
    for i, spec in enumerate(layers):
        if spec.kind == "fc":
            z = x @ params[f"W{i}"] + params[f"b{i}"]
        elif spec.kind == "conv":
            z = np.einsum("nhwcij,ijco->nhwo", _windows(x, spec), params[f"W{i}"]) \
                + params[f"b{i}"][0]
        elif spec.kind == "pool":
            win = _windows(x, spec).reshape(*_windows(x, spec).shape[:4], -1)
            if spec.mode == "max":
                if win.shape[-1] > 1:
                    top2 = np.sort(win, axis=-1)[..., -2:]
                    if (top2[..., 1] - top2[..., 0] < 1e-6).any():
                        return False
                x = win.max(axis=-1)
            else:
                x = win.mean(axis=-1)
            continue
        else:
            x = x.reshape(x.shape[0], -1)
            continue
        if spec.act == "relu" and z.size >= 4 and not ((z > 0).any() and (z < 0).any()):
            return False
        if spec.act == "softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            if (e / e.sum(axis=-1, keepdims=True)).max() >= 0.999:
                return False
        x = _act(spec.act, z)
    return True
