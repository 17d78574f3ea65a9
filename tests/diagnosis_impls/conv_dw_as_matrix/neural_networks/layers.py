"""Bug: Conv2D stores dW as the im2col matrix (kh·kw·cin, cout) without reshaping it back."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        self.gradients["W"] = self.gradients["W"].reshape(-1, self.n_out)
        return dX
