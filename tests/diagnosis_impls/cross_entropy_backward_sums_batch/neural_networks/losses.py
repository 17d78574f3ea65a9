"""Bug: CrossEntropy.backward forgets the 1/m of the batch mean."""
from student_nn.losses import *  # noqa: F403
from student_nn.losses import CrossEntropy as _CrossEntropy


class CrossEntropy(_CrossEntropy):
    def backward(self, Y, Y_hat):
        return -Y / Y_hat
