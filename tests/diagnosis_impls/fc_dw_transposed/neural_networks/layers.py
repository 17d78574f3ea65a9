"""Bug: FullyConnected stores dW as dZᵀX, shape (n_out, n_in): the transpose of W's shape."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected


class FullyConnected(_FullyConnected):
    def backward(self, dY):
        dX = super().backward(dY)
        self.gradients["W"] = self.gradients["W"].T
        return dX
