"""Two bugs, as in a real spring 2023 submission: Conv2D.backward uses dY as dZ (the
activation's derivative is skipped) and cuts the padding off dX with [p:-p], which is empty
when p = 0."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        activation, pads = self.activation, self.pads
        self.activation = type("Identity", (), {"backward": lambda self, Z, dY: dY})()
        self.pads = (0, 0)
        try:
            dXp = super().backward(dY)  # the gradient of the padded input
        finally:
            self.activation, self.pads = activation, pads
        ph, pw = pads
        return dXp[:, ph:-ph, pw:-pw, :]
