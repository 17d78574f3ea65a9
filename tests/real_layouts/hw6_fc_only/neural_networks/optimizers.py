"""The fully-connected-only starter's SGD: update takes no epoch."""

import numpy as np


def initialize_optimizer(name, lr, momentum=None, **kwargs):
    if name == "SGD":
        return SGD(lr=lr, momentum=momentum or 0.0)
    raise NotImplementedError("{} optimizer is not implemented".format(name))


class SGD:
    def __init__(self, lr, momentum=0.0):
        self.lr = lr
        self.momentum = momentum
        self.cache = {}

    def update(self, param_name, param, param_grad):
        v = self.cache.get(param_name, np.zeros_like(param))
        v = self.momentum * v + param_grad
        self.cache[param_name] = v
        return self.lr * v
