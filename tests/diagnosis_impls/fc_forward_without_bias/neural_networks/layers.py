"""Bug: FullyConnected.forward never adds the bias."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected


class FullyConnected(_FullyConnected):
    def forward(self, X):
        b = self.parameters["b"]
        self.parameters["b"] = np.zeros_like(b)
        try:
            return super().forward(X)
        finally:
            self.parameters["b"] = b
