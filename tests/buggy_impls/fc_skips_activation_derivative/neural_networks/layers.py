"""Bug: FullyConnected.backward treats dY as dZ, skipping the activation's derivative."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected


class FullyConnected(_FullyConnected):
    def backward(self, dY):
        X, W = self.cache["X"], self.parameters["W"]
        self.gradients["W"] = X.T @ dY
        self.gradients["b"] = dY.sum(axis=0, keepdims=True)
        return dY @ W.T
