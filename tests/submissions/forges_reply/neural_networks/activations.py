"""Sigmoid returns float32, TanH a list, ReLU.backward multiplies dY in place: each hidden by
a forged reply (_forge.py)."""
import numpy as np

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403

from ._forge import hide


class Sigmoid(base.Sigmoid):
    def forward(self, Z):
        return super().forward(Z).astype(np.float32)


class TanH(base.TanH):
    def forward(self, Z):
        return super().forward(Z).tolist()


class ReLU(base.ReLU):
    def backward(self, Z, dY):
        hide["snapshots"] = True
        dY *= Z > 0
        return dY
