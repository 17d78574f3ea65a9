"""Bug: FullyConnected.backward loses the gradient of the first input feature."""
from student_nn import layers as _layers
from student_nn.layers import *  # noqa: F403


class FullyConnected(_layers.FullyConnected):
    def backward(self, dY):
        dX = super().backward(dY).copy()
        dX[:, 0] = 0.0
        return dX


def initialize_layer(name, **kwargs):
    if name == "fully_connected":
        return FullyConnected(**{k: v for k, v in kwargs.items() if v is not None})
    return _layers.initialize_layer(name, **kwargs)
