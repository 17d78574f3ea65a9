"""Bug: Conv2D.backward adds Σ dZ to db inside the loop over the kernel taps, once per tap:
db is kh·kw times too large. Forward, dW and dX are right."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        kh, kw = self.kernel_shape
        self.gradients["b"] = self.gradients["b"] * (kh * kw)
        return dX
