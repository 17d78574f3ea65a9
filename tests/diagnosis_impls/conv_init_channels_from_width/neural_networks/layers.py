"""Bug: Conv2D._init_parameters takes C_in from the image width (X_shape[2]), not the
channel axis, so W is created as (kh, kw, W, cout)."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def _init_parameters(self, X_shape):
        self.n_in = X_shape[2]
        self._create_parameters((*self.kernel_shape, self.n_in, self.n_out))
