"""TanH.forward returns NaN."""
import numpy as np

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class TanH(base.TanH):
    def forward(self, Z):
        return np.full_like(Z, np.nan)
