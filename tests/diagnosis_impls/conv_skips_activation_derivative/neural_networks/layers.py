"""Bug: Conv2D.backward uses dY as dZ, skipping the activation's derivative."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        activation = self.activation
        self.activation = type("Identity", (), {"backward": lambda self, Z, dY: dY})()
        try:
            return super().backward(dY)
        finally:
            self.activation = activation
