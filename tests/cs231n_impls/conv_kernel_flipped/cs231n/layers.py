"""Bug: conv_forward_naive flips the kernel (a true convolution) instead of cross-correlating."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403
from student_nn.cs231n.layers import _pad, _windows


def conv_forward_naive(x, w, b, conv_param):
    win = _windows(_pad(x, conv_param["pad"]), w.shape[2:], conv_param["stride"])
    out = np.tensordot(win, w[:, :, ::-1, ::-1], axes=([1, 4, 5], [1, 2, 3]))
    return out.transpose(0, 3, 1, 2) + b[:, None, None], (x, w, b, conv_param)
