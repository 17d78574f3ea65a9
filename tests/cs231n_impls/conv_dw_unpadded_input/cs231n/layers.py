"""Bug: conv_backward_naive computes dw from the unpadded x: tap (i, j) of window (r, q) reads
x[s·r + i, s·q + j] (zero beyond x's edge) instead of the padded xp[s·r + i, s·q + j]."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403
from student_nn.cs231n.layers import _add_windows, _pad, _windows


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    xp = _pad(x, pad)
    unpadded = np.zeros(xp.shape)
    unpadded[:, :, : x.shape[2], : x.shape[3]] = x
    win = _windows(unpadded, w.shape[2:], stride)
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))
    dwin = np.tensordot(dout, w, axes=([1], [0]))
    dxp = _add_windows(dwin.transpose(0, 3, 1, 2, 4, 5), xp.shape, stride)
    dx = dxp[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))
