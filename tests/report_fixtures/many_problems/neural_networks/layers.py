"""Four bugs, one per layer's backward."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D
from student_nn.layers import Flatten as _Flatten
from student_nn.layers import FullyConnected as _FullyConnected
from student_nn.layers import Pool2D as _Pool2D


class FullyConnected(_FullyConnected):
    def backward(self, dY):
        dX = super().backward(dY)
        dZ = self.activation.backward(self.cache["Z"], dY)
        self.gradients["b"] = dZ[:1].copy()
        return dX


class Conv2D(_Conv2D):
    def backward(self, dY):
        saved = self.activation.backward
        self.activation.backward = lambda Z, dY: dY
        try:
            return super().backward(dY)
        finally:
            self.activation.backward = saved


class Pool2D(_Pool2D):
    def backward(self, dY):
        dX = super().backward(dY)
        return dX * scale  # noqa: F405 - the bug: never defined


class Flatten(_Flatten):
    def backward(self, dY):
        n, h, w, c = self.cache["in_shape"]
        return np.moveaxis(dY.reshape(n, c, h, w), 1, -1)
