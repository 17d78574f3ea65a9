"""Localization beyond the worst element: maps of where an output's mismatches are.

`mismatch_maps` turns a wrong output (same shape as expected) into JSON-able maps:

- ``grids``: 2-D count maps. The main one is rows × cols summed over batch and channels for
  images, kh × kw summed over cin and cout for kernels, time × hidden units (the last axis)
  summed over the batch for sequences (N, T, H), the array itself for 2-D outputs.
  For dX of a conv or pool layer two more: the output positions whose windows touch wrong
  dX elements, and, per kernel tap, the share of its contributions that land on wrong
  elements (a tap that is always right has share 0).
- ``counts``: mismatches per index of every other axis (per batch item, per channel, ...).
- ``wrong``: the first wrong elements by index (for dW: the wrong (kh, kw, cin, cout) taps).

A grid is ``{"title", "rows", "cols", "values": [[...]], "max", "unit"}``: ``rows``/``cols``
name the axes, ``max`` is the largest value a cell can take (for colouring), ``unit`` is
"count" or "share"; ``max_err`` (optional) is the largest |error| per cell.
"""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np

from harness.core.cases import SPATIAL_AXES, Case, pad_amount, param_int, param_ints
from harness.core.compare import DEFAULT_TOLERANCE, Tolerance, mismatch_mask
from harness.core.registry import OpSpec

MAX_WRONG = 24
GRID_AXES = (*SPATIAL_AXES, ("kh", "kw"))


TIME = "t"   # a sequence's time axis: its map is time × the last other axis (hidden units)


def _grid_axes(axes: tuple[str, ...]) -> tuple[int, int] | None:
    for pair in GRID_AXES:
        if all(a in axes for a in pair):
            return axes.index(pair[0]), axes.index(pair[1])
    if TIME in axes and len(axes) > 2:
        t = axes.index(TIME)
        return t, max(i for i in range(len(axes)) if i != t)
    return (0, 1) if len(axes) == 2 else None


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _main_grid(mask: np.ndarray, err: np.ndarray, axes: tuple[str, ...],
               pair: tuple[int, int]) -> dict[str, Any]:
    others = tuple(i for i in range(mask.ndim) if i not in pair)
    order = (*pair, *others)
    m = mask.transpose(order).reshape(mask.shape[pair[0]], mask.shape[pair[1]], -1)
    e = np.where(mask, err, 0.0).transpose(order).reshape(m.shape)
    over = " and ".join(axes[i] for i in others)
    return {
        "title": f"wrong elements by {axes[pair[0]]} × {axes[pair[1]]}"
                 + (f" (summed over {over})" if over else ""),
        "rows": axes[pair[0]], "cols": axes[pair[1]],
        "values": m.sum(axis=2).astype(int).tolist(),
        "max": int(m.shape[2]), "unit": "count",
        "max_err": [[_finite(x) for x in row] for row in e.max(axis=2)],
    }


def _feed_grids(wrong_rc: np.ndarray, case: Case) -> list[dict[str, Any]]:
    """Which output positions and kernel taps feed the wrong dX pixels (conv and pool)."""
    p = case.p
    (kh, kw), s = param_ints(p, "k"), param_int(p, "s")
    ph, pw = pad_amount(p.get("pad", 0), kh), pad_amount(p.get("pad", 0), kw)
    H, W = wrong_rc.shape
    oh, ow = (H + 2 * ph - kh) // s + 1, (W + 2 * pw - kw) // s + 1
    tap_wrong, tap_all = np.zeros((kh, kw), int), np.zeros((kh, kw), int)
    out_wrong = np.zeros((max(oh, 0), max(ow, 0)), int)
    for r, c, i, j in product(range(oh), range(ow), range(kh), range(kw)):
        x, y = s * r + i - ph, s * c + j - pw
        if 0 <= x < H and 0 <= y < W:
            tap_all[i, j] += 1
            if wrong_rc[x, y]:
                tap_wrong[i, j] += 1
                out_wrong[r, c] += 1
    share = [[round(w / a, 3) if a else None for w, a in zip(rw, ra, strict=True)]
             for rw, ra in zip(tap_wrong.tolist(), tap_all.tolist(), strict=True)]
    return [
        {"title": "output positions whose window touches wrong dX pixels (taps per position)",
         "rows": "out row", "cols": "out col", "values": out_wrong.tolist(),
         "max": kh * kw, "unit": "count"},
        {"title": "kernel taps: share of their contributions that land on wrong dX pixels",
         "rows": "kh", "cols": "kw", "values": share, "max": 1, "unit": "share"},
    ]


def mismatch_maps(spec: OpSpec, case: Case, output: str, got: np.ndarray,
                  expected: np.ndarray, tol: Tolerance = DEFAULT_TOLERANCE
                  ) -> dict[str, Any] | None:
    """Maps of where `got` differs from `expected`; None unless same shape with mismatches."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape or got.ndim == 0:
        return None
    mask = mismatch_mask(got, expected, tol)
    if not mask.any():
        return None
    axes = spec.axes(output, expected.ndim)
    err = np.abs(got - expected)
    maps: dict[str, Any] = {"grids": [], "counts": {}, "wrong": []}
    pair = _grid_axes(axes)
    if pair is not None:
        maps["grids"].append(_main_grid(mask, err, axes, pair))
    for i, name in enumerate(axes):
        if (pair is None or i not in pair) and mask.shape[i] > 1:
            rest = tuple(j for j in range(mask.ndim) if j != i)
            maps["counts"][name] = mask.sum(axis=rest).astype(int).tolist()
    idx = np.argwhere(mask)[:MAX_WRONG]
    maps["wrong"] = [dict(zip(axes, map(int, ix), strict=True)) for ix in idx]
    maps["wrong_total"] = int(mask.sum())
    image = next((pair for pair in SPATIAL_AXES if set(pair) <= set(axes)), None)
    if output == "dX" and "k" in case.p and image is not None and len(axes) == 4:
        spatial = (axes.index(image[0]), axes.index(image[1]))
        others = tuple(i for i in range(4) if i not in spatial)   # batch and channels
        maps["grids"] += _feed_grids(np.asarray(mask.any(axis=others)), case)
    return maps
