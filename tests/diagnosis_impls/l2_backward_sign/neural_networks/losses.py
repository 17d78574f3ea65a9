"""Bug: L2.backward differentiates with respect to Y instead of Y_hat (the sign flips)."""
from student_nn.losses import *  # noqa: F403
from student_nn.losses import L2 as _L2


class L2(_L2):
    def backward(self, Y, Y_hat):
        return 2.0 * (Y - Y_hat) / Y.size
