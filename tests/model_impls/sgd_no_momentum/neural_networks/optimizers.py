"""Bug: no momentum buffer."""
from student_nn.optimizers import *  # noqa: F403
from student_nn.optimizers import OPTIMIZERS, clip_by_norm
from student_nn.optimizers import SGD as _SGD


class SGD(_SGD):
    def update(self, param_name, param, grad, epoch):
        if self.clip_norm is not None:
            grad = clip_by_norm(grad, self.clip_norm)
        return self.learning_rate(epoch) * grad


def initialize_optimizer(name, lr, **kwargs):
    return {**OPTIMIZERS, "sgd": SGD}[name](lr, **kwargs)
