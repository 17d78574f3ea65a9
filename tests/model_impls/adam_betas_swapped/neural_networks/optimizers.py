"""Bug: beta1 and beta2 swapped."""
from student_nn.optimizers import *  # noqa: F403
from student_nn.optimizers import OPTIMIZERS
from student_nn.optimizers import Adam as _Adam


class Adam(_Adam):
    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, **schedule):
        super().__init__(lr, beta2, beta1, eps, **schedule)


def initialize_optimizer(name, lr, **kwargs):
    return {**OPTIMIZERS, "adam": Adam}[name](lr, **kwargs)
