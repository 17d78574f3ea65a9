"""Sliding-window helpers shared by Conv2D and Pool2D (NHWC images).

A layer with a kh×kw kernel, stride s and padding (ph, pw) sees, for every output pixel
(r, c), the window  Xp[n, s·r : s·r + kh, s·c : s·c + kw, :]  of the padded input Xp.

    windows(Xp)        -> (N, oh, ow, kh, kw, C)   every window, as a view (im2col without the copy)
    im2col(win, out)   -> (n·oh·ow, kh·kw·C + 1)    windows as rows, then a 1 (a copy, into `out`)
    tap(Xp, i, j)      -> (N, oh, ow, C)           entry (i, j) of every window, as a strided view
    col2im(tap_grads)  -> (N, Hp, Wp, C)           the adjoint: window gradients back to the image
    batch_chunks(N)    -> [slice, ...]             the batch in chunks whose rows fit in cache
    first_max(views)   -> (M, first)               elementwise max of views, and which holds it

so a layer's forward reads windows and its backward sends window gradients through col2im,
one kernel tap (i, j) at a time: the gradients of all windows' entry (i, j) form an
(N, oh, ow, C) array that lands on the strided slice tap(dXp, i, j) of the image.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from math import prod

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pad = str | int
Pair = tuple[int, int]


def pad_amounts(pad: Pad, kernel_shape: Pair) -> Pair:
    """Rows and columns of padding on *each* side: "same" = (k−1)//2, "valid" = 0, int p = p."""
    if pad == "same":
        return (kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2
    if pad == "valid":
        return 0, 0
    if isinstance(pad, (int, np.integer)) and pad >= 0:
        return int(pad), int(pad)
    raise ValueError(f"pad must be 'same', 'valid' or an int >= 0, not {pad!r}")


def pad2d(X: np.ndarray, pads: Pair, value: float = 0.0) -> np.ndarray:
    """X (N, H, W, C) -> (N, H + 2ph, W + 2pw, C), the border filled with `value`.

    Without padding this is X itself, not a copy: callers only read it.
    """
    ph, pw = pads
    if ph == pw == 0:
        return X
    N, H, W, C = X.shape
    shape = (N, H + 2 * ph, W + 2 * pw, C)
    Xp = np.zeros(shape) if value == 0 else np.full(shape, value)  # zeros: pages come zeroed
    Xp[:, ph : ph + H, pw : pw + W] = X
    return Xp


def unpad2d(Xp: np.ndarray, pads: Pair) -> np.ndarray:
    """Inverse of pad2d: drop `pads` rows and columns from each side."""
    ph, pw = pads
    return Xp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw, :]


def output_size(padded_hw: Pair, kernel_shape: Pair, stride: int) -> Pair:
    """(oh, ow) = ((Hp − kh)//stride + 1, (Wp − kw)//stride + 1)."""
    return tuple((p - k) // stride + 1 for p, k in zip(padded_hw, kernel_shape, strict=True))


def windows(Xp: np.ndarray, kernel_shape: Pair, stride: int) -> np.ndarray:
    """All kh×kw windows of Xp at the given stride: a read-only view (N, oh, ow, kh, kw, C).

    oh = (Hp − kh)//stride + 1 and ow likewise; no data is copied.
    """
    every = sliding_window_view(Xp, kernel_shape, axis=(1, 2))  # (N, Hp−kh+1, Wp−kw+1, C, kh, kw)
    return every[:, ::stride, ::stride].transpose(0, 1, 2, 4, 5, 3)


def im2col(win: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Windows win (n, oh, ow, kh, kw, C) as the rows of cols (n·oh·ow, kh·kw·C + 1), written
    into the front of the flat buffer `out`: row (n, r, c) is the window of output pixel
    (n, r, c), flattened in (i, j, k) order, then a 1, the input that the bias multiplies.

    The 1s are written once per buffer, by `ones_column(out, width)`: they stay in place from
    chunk to chunk, since row r's last entry is out[r·width + width − 1] whatever the number
    of rows.
    """
    rows, width = prod(win.shape[:3]), prod(win.shape[3:]) + 1
    cols = out[: rows * width].reshape(rows, width)
    cols[:, :-1].reshape(win.shape)[...] = win   # a view of cols: the copy lands there
    return cols


def ones_column(out: np.ndarray, width: int) -> np.ndarray:
    """Set the last entry of every width-long row of the flat buffer `out` to 1."""
    out.reshape(-1, width)[:, -1] = 1.0
    return out


def tap(Xp: np.ndarray, i: int, j: int, out_hw: Pair, stride: int) -> np.ndarray:
    """Entry (i, j) of every window: the view Xp[:, s·r + i, s·c + j] for all r < oh, c < ow,
    shape (N, oh, ow, C). Writing through it writes Xp."""
    oh, ow = out_hw
    return Xp[:, i : i + stride * oh : stride, j : j + stride * ow : stride]


def col2im(
    tap_grads: Callable[[int, int], np.ndarray],
    padded_shape: tuple[int, ...],
    kernel_shape: Pair,
    stride: int,
) -> np.ndarray:
    """Adjoint of `windows`: the gradient w.r.t. the padded image from the window gradients.

    tap_grads(i, j) is the gradient w.r.t. entry (i, j) of every window, shape (N, oh, ow, C):

        dXp[n, s·r + i, s·c + j] += tap_grads(i, j)[n, r, c]    for every tap (i, j).

    One strided slice-add per tap; pixels that no window covers get 0.
    """
    dXp = np.zeros(padded_shape)
    for i, j in product(range(kernel_shape[0]), range(kernel_shape[1])):
        g = tap_grads(i, j)
        tap(dXp, i, j, g.shape[1:3], stride)[...] += g
    return dXp


def batch_chunks(n: int, bytes_per_sample: int, chunk_bytes: int) -> list[slice]:
    """range(n) cut into slices of as many samples as fit in chunk_bytes (at least one)."""
    step = max(1, chunk_bytes // max(bytes_per_sample, 1))
    return [slice(start, min(start + step, n)) for start in range(0, n, step)]


def first_max(views: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The elementwise maximum M of equally shaped arrays, and which of them holds it (the
    first one, on a tie), in the smallest unsigned type that counts them."""
    M = views[0].copy()
    for x in views[1:]:
        np.maximum(M, x, out=M)
    # The first view holding the maximum comes after the leading views that are below it:
    # count those. Comparisons and sums only, no masked assignments (slow on random masks).
    below = views[0] < M
    first = below.astype(np.min_scalar_type(len(views) - 1))
    for x in views[1:-1]:
        below &= x < M
        first += below
    return M, first


def window_origins(padded_shape: tuple[int, ...], out_hw: Pair, stride: int) -> np.ndarray:
    """Flat index into Xp (N, Hp, Wp, C) of entry (0, 0) of every window, channel by channel:
    an (N, oh, ow, C) array; entry (i, j) of the same window is (i·Wp + j)·C further on."""
    N, Hp, Wp, C = padded_shape
    n, r, c, k = np.ogrid[:N, : out_hw[0], : out_hw[1], :C]
    return ((n * Hp + stride * r) * Wp + stride * c) * C + k
