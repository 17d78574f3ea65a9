"""Bug: affine_backward returns dx as (N, D), without reshaping it back to x's shape."""
from student_nn.cs231n.layers import *  # noqa: F403


def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout @ w.T
    dw = x.reshape(len(x), -1).T @ dout
    return dx, dw, dout.sum(axis=0)
