"""Bug: He with fan_out."""
import numpy as np

from student_nn import weights as _weights
from student_nn.weights import *  # noqa: F403
from student_nn.weights import fans


def he_uniform(shape):
    a = np.sqrt(6.0 / fans(shape)[1])
    return np.random.uniform(-a, a, size=shape)


def he_normal(shape):
    return np.random.normal(0.0, np.sqrt(2.0 / fans(shape)[1]), size=shape)


def initialize_weights(name, activation=None):
    return {"he_uniform": he_uniform, "he_normal": he_normal}.get(
        name) or _weights.initialize_weights(name, activation)
