"""Bug: 2-D fans on a 4-D kernel (the receptive field kh*kw is left out)."""
import numpy as np

from student_nn import weights as _weights
from student_nn.weights import *  # noqa: F403


def fans(shape):
    return shape[-2], shape[-1]


def xavier_uniform(shape):
    a = np.sqrt(6.0 / sum(fans(shape)))
    return np.random.uniform(-a, a, size=shape)


def xavier_normal(shape):
    return np.random.normal(0.0, np.sqrt(2.0 / sum(fans(shape))), size=shape)


def he_uniform(shape):
    a = np.sqrt(6.0 / fans(shape)[0])
    return np.random.uniform(-a, a, size=shape)


def he_normal(shape):
    return np.random.normal(0.0, np.sqrt(2.0 / fans(shape)[0]), size=shape)


def initialize_weights(name, activation=None):
    found = {"xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal,
             "he_uniform": he_uniform, "he_normal": he_normal}.get(name)
    return found or _weights.initialize_weights(name, activation)
