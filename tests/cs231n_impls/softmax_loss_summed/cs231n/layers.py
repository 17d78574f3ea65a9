"""Bug: softmax_loss sums the cross-entropy over the batch instead of averaging it (loss and dx)."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def softmax_loss(x, y):
    rows = np.arange(len(x))
    shifted = x - x.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_p)
    dx[rows, y] -= 1
    return float(-log_p[rows, y].sum()), dx
