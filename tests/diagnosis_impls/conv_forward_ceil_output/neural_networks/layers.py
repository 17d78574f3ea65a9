"""Bug: Conv2D.forward rounds the output size up, ceil((H + 2p − kh)/s) + 1, instead of
down: with a stride that does not divide H + 2p − kh there is one row (or column) too many,
its window reaching past the padded input (read as zeros)."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def forward(self, X):
        s, (kh, kw), (ph, pw) = self.stride, self.kernel_shape, self.pads
        h, w = X.shape[1] + 2 * ph, X.shape[2] + 2 * pw
        extra_h, extra_w = (-(h - kh)) % s, (-(w - kw)) % s
        X = np.pad(X, ((0, 0), (0, extra_h), (0, extra_w), (0, 0)))
        return super().forward(X)
