"""Bug: Sigmoid.backward multiplies the caller's dY in place (dY *= ...)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import Sigmoid as _Sigmoid


class Sigmoid(_Sigmoid):
    def backward(self, Z, dY):
        s = self.forward(Z)
        dY *= s * (1 - s)
        return dY
