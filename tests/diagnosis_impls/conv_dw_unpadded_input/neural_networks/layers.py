"""Bug: Conv2D.backward computes dW from the unpadded input: backward rebuilds the padded
array as Xp[:, :H, :W] = X (X in the top-left corner instead of at [ph:ph+H, pw:pw+W]), so
each window's taps read X[s·r + i, s·c + j] instead of X[s·r + i − ph, s·c + j − pw].
Forward, db and dX are right; dW is right only without padding."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Conv2D as _Conv2D
from student_nn.utils import windows


class Conv2D(_Conv2D):
    def _weight_gradient(self, dZ):
        X = self.cache["X"]
        n, h, w, c = X.shape
        Xp = np.zeros(self.cache["padded_shape"])
        Xp[:, :h, :w] = X
        cols = windows(Xp, self.kernel_shape, self.stride).reshape(dZ.shape[0], -1)
        self.cache.pop("cols", None)
        return (cols.T @ dZ).reshape(self.parameters["W"].shape)
