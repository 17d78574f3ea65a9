"""Bug: conv_forward_naive flips the kernel (a true convolution) instead of cross-correlating."""
from student_nn.cs231n.layers import *  # noqa: F403
from student_nn.cs231n.layers import _im2col


def conv_forward_naive(x, w, b, conv_param):
    cols, (n, out_h, out_w) = _im2col(x, w.shape[2:], conv_param["stride"], conv_param["pad"])
    flipped = w[:, :, ::-1, ::-1]
    out = (flipped.reshape(len(w), -1) @ cols).reshape(len(w), n, out_h, out_w)
    return out.transpose(1, 0, 2, 3) + b[:, None, None], (x, w, b, conv_param)
