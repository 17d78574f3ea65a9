"""Bug: max pooling's backward assigns each window's gradient to its maximum
(dX[...][mask] = dY) instead of adding it (+=): where overlapping windows share a maximum,
the last window's gradient overwrites the others'."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D
from student_nn.utils import unpad2d, window_origins


class Pool2D(_Pool2D):
    def backward(self, dY):
        if self.mode != "max":
            return super().backward(dY)
        shape = self.cache["padded_shape"]
        _, _, Wp, C = shape
        offsets = np.array([(i * Wp + j) * C for i, j in self._taps()])
        where = window_origins(shape, dY.shape[1:3], self.stride) + offsets[self.cache["argmax"]]
        dXp = np.zeros(int(np.prod(shape)))
        for n, r, c in np.ndindex(*dY.shape[:3]):  # window by window, row-major
            dXp[where[n, r, c]] = dY[n, r, c]
        return unpad2d(dXp.reshape(shape), self.pads)
