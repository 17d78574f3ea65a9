"""Bug: Adam without bias correction."""
import numpy as np

from student_nn.optimizers import *  # noqa: F403
from student_nn.optimizers import OPTIMIZERS
from student_nn.optimizers import Adam as _Adam


class Adam(_Adam):
    def update(self, param_name, param, grad, epoch):
        state = self.cache.setdefault(param_name, {"m": np.zeros_like(param),
                                                   "v": np.zeros_like(param)})
        state["m"] = self.beta1 * state["m"] + (1 - self.beta1) * grad
        state["v"] = self.beta2 * state["v"] + (1 - self.beta2) * grad**2
        return self.learning_rate(epoch) * state["m"] / (np.sqrt(state["v"]) + self.eps)


def initialize_optimizer(name, lr, **kwargs):
    return {**OPTIMIZERS, "adam": Adam}[name](lr, **kwargs)
