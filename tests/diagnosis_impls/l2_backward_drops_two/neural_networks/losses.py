"""Bug: L2.backward leaves out the 2 of d/dŷ (ŷ − y)² = 2(ŷ − y): dX is half the expected
value, whatever the batch size."""
from student_nn.losses import *  # noqa: F403
from student_nn.losses import L2 as _L2


class L2(_L2):
    def backward(self, Y, Y_hat):
        return (Y_hat - Y) / Y.size
