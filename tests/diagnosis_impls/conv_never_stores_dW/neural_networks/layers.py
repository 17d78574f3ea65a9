"""Bug: Conv2D.backward computes dW into a local variable and never stores it."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D


class Conv2D(_Conv2D):
    def backward(self, dY):
        zeros = self.gradients["W"].copy() * 0.0
        dX = super().backward(dY)
        dW = self.gradients["W"]  # noqa: F841 - the bug: computed, then dropped
        self.gradients["W"] = zeros
        return dX
