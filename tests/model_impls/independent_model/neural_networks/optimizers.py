"""SGD (the starter's formula: lr inside the velocity) and Adam, per-name state."""
import math

import numpy as np


def initialize_optimizer(name, lr, lr_scheduler="constant", momentum=0.0, clip_norm=None,
                         beta1=0.9, beta2=0.999, eps=1e-8, **unused):
    if name in ("SGD", "sgd"):
        return SGD(lr, momentum or 0.0, clip_norm)
    if name in ("Adam", "adam"):
        return Adam(lr, beta1, beta2, eps)
    raise NotImplementedError(name)


class SGD:
    def __init__(self, lr, momentum, clip_norm):
        self.lr, self.momentum, self.clip_norm = lr, momentum, clip_norm
        self.cache = {}

    def update(self, param_name, param, param_grad, epoch):
        if self.clip_norm is not None:
            norm = np.linalg.norm(param_grad)
            if norm > self.clip_norm:
                param_grad = param_grad * self.clip_norm / norm
        previous = self.cache.get(param_name, np.zeros_like(param))
        delta = self.momentum * previous + self.lr * param_grad
        self.cache[param_name] = delta
        return delta


class Adam:
    def __init__(self, lr, beta1, beta2, eps):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.state = {}

    def update(self, param_name, param, param_grad, epoch):
        t, m, v = self.state.get(param_name, (0, 0.0, 0.0))
        t += 1
        m = self.beta1 * m + (1.0 - self.beta1) * param_grad
        v = self.beta2 * v + (1.0 - self.beta2) * param_grad * param_grad
        self.state[param_name] = (t, m, v)
        step_size = self.lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        return step_size * m / (np.sqrt(v) + self.eps * math.sqrt(1.0 - self.beta2**t))
