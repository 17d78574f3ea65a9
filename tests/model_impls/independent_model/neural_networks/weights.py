"""Xavier and He initializers as objects, with the fans of the receptive field."""
import math

import numpy as np


def _fans(shape):
    receptive = 1
    for size in shape[:-2]:
        receptive *= size
    return receptive * shape[-2], receptive * shape[-1]


class _Init:
    def __init__(self, uniform, he):
        self.uniform, self.he = uniform, he

    def __call__(self, shape):
        fan_in, fan_out = _fans(shape)
        var = 2.0 / fan_in if self.he else 2.0 / (fan_in + fan_out)
        if self.uniform:
            bound = math.sqrt(3.0 * var)
            return np.random.uniform(-bound, bound, size=shape)
        return np.random.normal(0.0, math.sqrt(var), size=shape)


def initialize_weights(name, activation=None, mode="fan_in"):
    table = {"xavier_uniform": (True, False), "xavier_normal": (False, False),
             "he_uniform": (True, True), "he_normal": (False, True)}
    if name not in table:
        raise NotImplementedError(name)
    return _Init(*table[name])
