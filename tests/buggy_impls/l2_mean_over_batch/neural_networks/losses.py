"""Not a bug under the contract: L2 divides the sum of squares by the batch size, as a
correct 2020 submission does. On the starter's (batch_size, 1) targets that is the mean over
all elements; over several columns (the strict profile's extension l2_columns) it is the
convention l2_reduction=batch, k times PyTorch's mse_loss."""
import numpy as np
from student_nn.losses import *  # noqa: F403
from student_nn.losses import L2 as _L2


class L2(_L2):
    def forward(self, Y, Y_hat):
        return np.sum((Y - Y_hat) ** 2) / Y.shape[0]

    def backward(self, Y, Y_hat):
        return 2 * (Y_hat - Y) / Y.shape[0]
