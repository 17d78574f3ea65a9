"""Bug: average pooling pads with the edge values (np.pad mode="edge") instead of zeros."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D


class Pool2D(_Pool2D):
    def forward(self, X):
        if self.mode != "average":
            return super().forward(X)
        (ph, pw), self.pads = self.pads, (0, 0)
        try:
            return super().forward(np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), mode="edge"))
        finally:
            self.pads = (ph, pw)
