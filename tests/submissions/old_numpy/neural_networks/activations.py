"""Written for an old NumPy: np.float."""
import numpy as np

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class ReLU(base.ReLU):
    def forward(self, Z):
        return np.maximum(Z, 0).astype(np.float)
