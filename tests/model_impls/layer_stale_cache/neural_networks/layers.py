"""Bug: FullyConnected keeps the X of its first forward call for every later backward."""
from student_nn import layers as _layers
from student_nn.layers import *  # noqa: F403


class FullyConnected(_layers.FullyConnected):
    def forward(self, X):
        first = self.__dict__.setdefault("_first_X", X)
        Y = super().forward(X)
        self.cache["X"] = first if first.shape == X.shape else X
        return Y


def initialize_layer(name, **kwargs):
    if name == "fully_connected":
        return FullyConnected(**{k: v for k, v in kwargs.items() if v is not None})
    return _layers.initialize_layer(name, **kwargs)
