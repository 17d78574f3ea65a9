"""Bug: dropout_forward reads p as the probability of dropping a unit: it keeps rand > p and
scales by 1/(1 − p)."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) > p) / (1 - p)
        out = x * mask
    elif mode == "test":
        mask, out = None, x.copy()
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return out, mask
