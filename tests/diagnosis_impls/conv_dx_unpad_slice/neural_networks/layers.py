"""Bug: Conv2D.backward cuts the padding off dX with [p:-p], which is empty when p = 0."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        pads, self.pads = self.pads, (0, 0)
        try:
            dXp = super().backward(dY)  # the gradient of the padded input
        finally:
            self.pads = pads
        ph, pw = pads
        return dXp[:, ph:-ph, pw:-pw, :]
