"""Bug: Conv2D.forward flattens the kernel channel-major (cin, kh, kw) while the im2col
columns are (kh, kw, cin): right only with one input channel."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def forward(self, X):
        W = self.parameters["W"]
        kh, kw, cin, cout = W.shape
        self.parameters["W"] = W.transpose(2, 0, 1, 3).reshape(kh, kw, cin, cout)
        try:
            return super().forward(X)
        finally:
            self.parameters["W"] = W
