"""Bug: Conv2D.forward rotates the kernel by 180 degrees (a true convolution, as in a
signal-processing course), where the layer computes the cross-correlation."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def forward(self, X):
        W = self.parameters["W"]
        self.parameters["W"] = W[::-1, ::-1].copy()
        try:
            return super().forward(X)
        finally:
            self.parameters["W"] = W
