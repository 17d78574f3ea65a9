"""ReLU.forward allocates until memory runs out."""
import numpy as np

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class ReLU(base.ReLU):
    def forward(self, Z):
        hoard = []
        while True:
            hoard.append(np.empty(2**27))  # 1 GB each
