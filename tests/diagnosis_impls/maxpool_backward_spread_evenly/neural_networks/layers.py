"""Bug: max pooling's backward spreads each window's gradient evenly over the window
(dY / (kh·kw) to every element, average pooling's backward) instead of sending it all to the
maximum."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D
from student_nn.utils import col2im, unpad2d


class Pool2D(_Pool2D):
    def backward(self, dY):
        if self.mode != "max":
            return super().backward(dY)
        share = dY / (self.kernel_shape[0] * self.kernel_shape[1])
        dXp = col2im(lambda i, j: share, self.cache["padded_shape"], self.kernel_shape,
                     self.stride)
        return unpad2d(dXp, self.pads)
