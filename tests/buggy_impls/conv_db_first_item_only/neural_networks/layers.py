"""Bug: Conv2D's db sums dZ over rows and columns of the first batch item only."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        dZ = self.activation.backward(self.cache["Z"], dY)
        self.gradients["b"] = dZ[0].sum(axis=(0, 1))[None, :]
        return dX
