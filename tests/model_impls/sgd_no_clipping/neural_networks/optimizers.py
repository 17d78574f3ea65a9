"""Bug: the gradient is never clipped."""
from student_nn.optimizers import *  # noqa: F403
from student_nn.optimizers import OPTIMIZERS
from student_nn.optimizers import SGD as _SGD


class SGD(_SGD):
    def __init__(self, lr, momentum=0.0, clip_norm=None, **schedule):
        super().__init__(lr, momentum, None, **schedule)


def initialize_optimizer(name, lr, **kwargs):
    return {**OPTIMIZERS, "sgd": SGD}[name](lr, **kwargs)
