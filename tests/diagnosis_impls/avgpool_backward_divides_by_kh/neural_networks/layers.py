"""Bug: average pooling's backward divides each window's gradient by the kernel's height kh
alone instead of by its area kh·kw (forward is right), so dX is kw times too large."""
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D
from student_nn.utils import col2im, unpad2d


class Pool2D(_Pool2D):
    def backward(self, dY):
        if self.mode != "average":
            return super().backward(dY)
        share = dY / self.kernel_shape[0]
        dXp = col2im(lambda i, j: share, self.cache["padded_shape"], self.kernel_shape,
                     self.stride)
        return unpad2d(dXp, self.pads)
