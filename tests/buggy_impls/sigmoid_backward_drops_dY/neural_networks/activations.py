"""Bug: Sigmoid.backward returns σ'(Z) and forgets to multiply by the upstream dY."""
from student_nn.activations import *  # noqa: F403
from student_nn.activations import Sigmoid as _Sigmoid


class Sigmoid(_Sigmoid):
    def backward(self, Z, dY):
        s = self.forward(Z)
        return s * (1 - s)
