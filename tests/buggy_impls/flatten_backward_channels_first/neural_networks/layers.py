"""Bug: Flatten.backward unflattens as NCHW and then transposes to NHWC."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Flatten as _Flatten


class Flatten(_Flatten):
    def backward(self, dY):
        n, h, w, c = self.cache["in_shape"]
        return dY.reshape(n, c, h, w).transpose(0, 2, 3, 1)
