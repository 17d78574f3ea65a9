"""Bug: Conv2D._init_parameters creates b as a flat (cout,) vector, not (1, cout). It
broadcasts the same way, so the homework profile passes it with a note; strict fails it."""
import numpy as np
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def _init_parameters(self, X_shape):
        super()._init_parameters(X_shape)
        self.parameters["b"] = np.zeros(self.n_out)
        self.gradients["b"] = np.zeros(self.n_out)
