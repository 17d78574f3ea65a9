"""Bug: Sigmoid.backward uses σ(1 + σ) instead of σ(1 − σ)."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import Sigmoid as _Sigmoid


class Sigmoid(_Sigmoid):
    def backward(self, Z, dY):
        s = self.forward(Z)
        return dY * s * (1.0 + s)
