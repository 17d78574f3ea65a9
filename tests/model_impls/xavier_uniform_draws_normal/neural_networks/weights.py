"""Bug: xavier_uniform draws N(0, 2/(fan_in + fan_out)), the right variance but not uniform."""
import numpy as np

from student_nn import weights as _weights
from student_nn.weights import *  # noqa: F403
from student_nn.weights import fans


def xavier_uniform(shape):
    return np.random.normal(0.0, np.sqrt(2.0 / sum(fans(shape))), size=shape)


def initialize_weights(name, activation=None):
    if name == "xavier_uniform":
        return xavier_uniform
    return _weights.initialize_weights(name, activation)
