"""Weight initializers for 2-D weights (this starter has no convolutions)."""

import numpy as np


def initialize_weights(name, activation=None):
    def draw(shape):
        fan_in, fan_out = shape
        if name == "xavier_uniform":
            a = np.sqrt(6 / (fan_in + fan_out))
            return np.random.uniform(-a, a, size=shape)
        return np.random.normal(0, np.sqrt(2 / fan_in), size=shape)
    return draw
