"""Bug: FullyConnected's db keeps only the first sample's dZ instead of summing the batch."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import FullyConnected as _FullyConnected


class FullyConnected(_FullyConnected):
    def backward(self, dY):
        dX = super().backward(dY)
        dZ = self.activation.backward(self.cache["Z"], dY)
        self.gradients["b"] = dZ[:1]
        return dX
