"""Bug: CrossEntropy.forward averages over every element instead of over the batch."""
import numpy as np
from student_nn.losses import *  # noqa: F403
from student_nn.losses import CrossEntropy as _CrossEntropy


class CrossEntropy(_CrossEntropy):
    def forward(self, Y, Y_hat):
        return float(-np.sum(Y * np.log(Y_hat)) / Y.size)
