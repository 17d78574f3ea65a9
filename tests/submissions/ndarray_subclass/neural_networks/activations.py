"""ReLU.forward returns an ndarray subclass."""
import numpy as np

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class Tracked(np.ndarray):
    pass


class ReLU(base.ReLU):
    def forward(self, Z):
        return super().forward(Z).view(Tracked)
