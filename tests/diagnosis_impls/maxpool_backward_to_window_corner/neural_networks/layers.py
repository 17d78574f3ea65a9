"""Bug: max pooling's backward sends each window's gradient to the window's top-left
element (dX[s·r, s·c] += dY[r, c]) instead of to where its maximum is."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D
from student_nn.utils import col2im, unpad2d


class Pool2D(_Pool2D):
    def backward(self, dY):
        if self.mode != "max":
            return super().backward(dY)
        dXp = col2im(lambda i, j: dY if (i, j) == (0, 0) else 0 * dY,
                     self.cache["padded_shape"], self.kernel_shape, self.stride)
        return unpad2d(dXp, self.pads)
