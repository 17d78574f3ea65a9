"""Bug: Conv2D.backward scatters the window gradients back at stride 1 whatever the stride
(as if dZ did not need dilating): dX is right only with stride 1."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        stride, self.stride = self.stride, 1
        try:
            return super().backward(dY)
        finally:
            self.stride = stride
