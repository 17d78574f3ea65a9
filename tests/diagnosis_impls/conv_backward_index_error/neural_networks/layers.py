"""Bug: Conv2D.backward indexes the kernel with a loop bound one too far."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        W = self.parameters["W"]
        taps = np.zeros(W.shape[:2])
        for i in range(W.shape[0] + 1):
            taps[i] = W[i].sum()
        return dX
