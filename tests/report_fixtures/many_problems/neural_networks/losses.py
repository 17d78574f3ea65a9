"""CrossEntropy.backward with its sign flipped."""
from student_nn.losses import *  # noqa: F403
from student_nn.losses import CrossEntropy as _CrossEntropy


class CrossEntropy(_CrossEntropy):
    def backward(self, Y, Y_hat):
        return -super().backward(Y, Y_hat)
