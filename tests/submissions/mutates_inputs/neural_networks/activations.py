"""ReLU.backward multiplies its upstream gradient in place."""
from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class ReLU(base.ReLU):
    def backward(self, Z, dY):
        dY *= Z > 0
        return dY
