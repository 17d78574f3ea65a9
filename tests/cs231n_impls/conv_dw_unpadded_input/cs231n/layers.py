"""Bug: conv_backward_naive computes dw from the unpadded x: tap (i, j) of window (r, q) reads
x[s·r + i, s·q + j] (zero beyond x's edge) instead of the padded xp[s·r + i, s·q + j]."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403
from student_nn.cs231n.layers import _add_windows, _im2col


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, width = x.shape
    unpadded = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))  # x where xp's corner is
    cols, _ = _im2col(unpadded, w.shape[2:], stride, 0)
    d = dout.transpose(1, 0, 2, 3).reshape(len(w), -1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = (w.reshape(len(w), -1).T @ d).reshape(c, *w.shape[2:], n, *dout.shape[2:])
    dxp = _add_windows(dcols.transpose(1, 2, 0, 3, 4, 5), (c, n, h + 2 * pad, width + 2 * pad),
                       stride)
    dx = dxp.transpose(1, 0, 2, 3)[:, :, pad : pad + h, pad : pad + width]
    return dx, dw, dout.sum(axis=(0, 2, 3))
