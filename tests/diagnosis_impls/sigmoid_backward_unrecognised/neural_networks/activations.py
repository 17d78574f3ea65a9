"""Bug: Sigmoid.backward multiplies by an unrelated cos(Z): no catalogued formula, no pattern."""
import numpy as np

from student_nn.activations import *  # noqa: F403
from student_nn.activations import Sigmoid as _Sigmoid


class Sigmoid(_Sigmoid):
    def backward(self, Z, dY):
        s = self.forward(Z)
        return dY * s * (1.0 - s) * np.cos(Z)
