"""
Weight initializers, as in the 2021-2023 starter code layout: fans from the first and the
last axis of the shape (not PyTorch's rule for kernels; this module is not graded).
"""

import numpy as np
from abc import ABC, abstractmethod
import math


def initialize_weights(name, activation=None, mode="fan_in"):
    if name == "zeros":
        return Zeros()
    elif name == "ones":
        return Ones()
    elif name == "uniform":
        return Uniform()
    elif name == "normal":
        return Normal()
    elif name == "xavier_uniform":
        return XavierUniform(activation=activation)
    elif name == "xavier_normal":
        return XavierNormal(activation=activation)
    elif name == "he_uniform":
        return HeUniform(activation=activation, mode=mode)
    elif name == "he_normal":
        return HeNormal(activation=activation, mode=mode)
    else:
        raise NotImplementedError("{} initialization is not implemented".format(name))


def _calculate_gain(activation):
    if activation == "tanh":
        return 5.0 / 3.0
    if activation == "relu":
        return math.sqrt(2.0)
    return 1.0


def _get_fan(shape, mode="sum"):
    fan_in, fan_out = shape[0], shape[-1]
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "sum":
        return fan_in + fan_out
    raise ValueError("mode must be fan_in, fan_out or sum")


class WeightInitializer(ABC):
    @abstractmethod
    def __call__(self, shape):
        pass


class Zeros(WeightInitializer):
    def __call__(self, shape):
        return np.zeros(shape)


class Ones(WeightInitializer):
    def __call__(self, shape):
        return np.ones(shape)


class Uniform(WeightInitializer):
    def __init__(self, low=-1.0, high=1.0):
        self.low, self.high = low, high

    def __call__(self, shape):
        return np.random.uniform(self.low, self.high, size=shape)


class Normal(WeightInitializer):
    def __init__(self, mean=0.0, std=1.0):
        self.mean, self.std = mean, std

    def __call__(self, shape):
        return np.random.normal(self.mean, self.std, size=shape)


class XavierUniform(WeightInitializer):
    def __init__(self, activation=None):
        self.activation = activation

    def __call__(self, shape):
        limit = _calculate_gain(self.activation) * math.sqrt(6.0 / _get_fan(shape, "sum"))
        return np.random.uniform(-limit, limit, size=shape)


class XavierNormal(WeightInitializer):
    def __init__(self, activation=None):
        self.activation = activation

    def __call__(self, shape):
        std = _calculate_gain(self.activation) * math.sqrt(2.0 / _get_fan(shape, "sum"))
        return np.random.normal(0.0, std, size=shape)


class HeUniform(WeightInitializer):
    def __init__(self, activation=None, mode="fan_in"):
        self.activation, self.mode = activation, mode

    def __call__(self, shape):
        limit = _calculate_gain(self.activation) * math.sqrt(3.0 / _get_fan(shape, self.mode))
        return np.random.uniform(-limit, limit, size=shape)


class HeNormal(WeightInitializer):
    def __init__(self, activation=None, mode="fan_in"):
        self.activation, self.mode = activation, mode

    def __call__(self, shape):
        std = _calculate_gain(self.activation) / math.sqrt(_get_fan(shape, self.mode))
        return np.random.normal(0.0, std, size=shape)
