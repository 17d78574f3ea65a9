"""Bug: Conv2D.backward loses the gradient of the first input row (an off-by-one slice)."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY).copy()
        dX[:, 0, :, :] = 0.0
        return dX
