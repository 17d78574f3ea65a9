"""Bug: Conv2D stores dW rotated by 180 degrees (as if the forward were a true convolution)."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        self.gradients["W"] = self.gradients["W"][::-1, ::-1].copy()
        return dX
