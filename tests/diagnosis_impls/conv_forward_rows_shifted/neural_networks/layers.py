"""Bug: Conv2D.forward writes output row r into row r + 1 (an off-by-one index)."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def forward(self, X):
        return np.roll(super().forward(X), 1, axis=1)
