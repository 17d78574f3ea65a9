"""Bug: SGD's delta has the wrong sign."""
from student_nn.optimizers import *  # noqa: F403
from student_nn.optimizers import OPTIMIZERS
from student_nn.optimizers import SGD as _SGD


class SGD(_SGD):
    def update(self, param_name, param, grad, epoch):
        return -super().update(param_name, param, grad, epoch)


def initialize_optimizer(name, lr, **kwargs):
    return {**OPTIMIZERS, "sgd": SGD}[name](lr, **kwargs)


make_optimizer = initialize_optimizer
