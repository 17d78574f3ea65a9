"""Bug: dropout_forward keeps units with probability p but forgets to scale them by 1/p."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask
    elif mode == "test":
        mask, out = None, x.copy()
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return out, mask
