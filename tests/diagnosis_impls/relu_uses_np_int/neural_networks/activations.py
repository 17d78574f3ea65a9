"""Bug: code written for old NumPy: np.int was removed in NumPy 1.24."""
import numpy as np

from student_nn.activations import *  # noqa: F403
from student_nn.activations import ReLU as _ReLU


class ReLU(_ReLU):
    def backward(self, Z, dY):
        return dY * (Z > 0).astype(np.int)
