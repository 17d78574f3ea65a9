"""Bug: L2.backward forgets the 2 of d/dx x² = 2x."""
from student_nn.losses import *  # noqa: F403
from student_nn.losses import L2 as _L2


class L2(_L2):
    def backward(self, Y, Y_hat):
        return (Y_hat - Y) / Y.size
