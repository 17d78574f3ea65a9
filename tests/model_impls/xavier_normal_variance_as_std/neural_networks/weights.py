"""Bug: the variance used as the standard deviation."""
import numpy as np

from student_nn import weights as _weights
from student_nn.weights import *  # noqa: F403
from student_nn.weights import fans


def xavier_normal(shape):
    return np.random.normal(0.0, 2.0 / sum(fans(shape)), size=shape)


def initialize_weights(name, activation=None):
    if name == "xavier_normal":
        return xavier_normal
    return _weights.initialize_weights(name, activation)
