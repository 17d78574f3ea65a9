"""Bug: max_pool_backward_naive sends each window's gradient to every element of the window,
not only to its maximum."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403
from student_nn.cs231n.layers import _add_windows


def max_pool_backward_naive(dout, cache):
    x_shape, argmax, pool_param = cache
    hh, ww = pool_param["pool_height"], pool_param["pool_width"]
    every = np.broadcast_to(dout, (hh, ww, *dout.shape))
    return _add_windows(every, x_shape, pool_param["stride"])
