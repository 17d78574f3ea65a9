"""Two bugs of their own: ReLU.backward (activations.py) forgets dY, and Conv2D.backward
loses the gradient of the first input row and doubles dW. Conv2D's act=relu cases also fail
through ReLU; rerun with ReLU substituted they still fail, through Conv2D's own bugs."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D

from . import activations


class Conv2D(_Conv2D):
    def __init__(self, n_out, kernel_shape, activation, stride=1, pad="same",
                 weight_init="xavier_uniform"):
        super().__init__(n_out, kernel_shape, activation, stride, pad, weight_init)
        self.activation = activations.initialize_activation(activation)

    def backward(self, dY):
        dX = super().backward(dY).copy()
        dX[:, 0, :, :] = 0.0
        self.gradients["W"] = 2 * self.gradients["W"]
        return dX
