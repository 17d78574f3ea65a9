"""Bug: Conv2D's db has shape (1, 1, 1, n_out) instead of b's (1, n_out)."""
from student_nn import layers as _layers
from student_nn.layers import *  # noqa: F403


class Conv2D(_layers.Conv2D):
    def backward(self, dY):
        dX = super().backward(dY)
        self.gradients["b"] = self.gradients["b"].reshape(1, 1, 1, -1)
        return dX


def initialize_layer(name, **kwargs):
    if name == "conv2d":
        return Conv2D(**{k: v for k, v in kwargs.items() if v is not None})
    return _layers.initialize_layer(name, **kwargs)
