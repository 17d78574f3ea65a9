"""Bug: Conv2D.forward adds the bias inside the loop over the kernel taps, once per tap:
Z = X ⋆ W + kh·kw·b."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        b = self.parameters["b"]
        self.parameters["b"] = b * (self.kernel_shape[0] * self.kernel_shape[1])
        try:
            return super().forward(X)
        finally:
            self.parameters["b"] = b
