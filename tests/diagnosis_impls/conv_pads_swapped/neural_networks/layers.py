"""Bug: Conv2D computes the "same" padding as ((kw-1)//2, (kh-1)//2): rows get the columns'
padding and vice versa, which only shows with non-square kernels."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def __init__(self, n_out, kernel_shape, activation, stride=1, pad="same",
                 weight_init="xavier_uniform"):
        super().__init__(n_out, kernel_shape, activation, stride, pad, weight_init)
        self.pads = tuple(self.pads)[::-1]
