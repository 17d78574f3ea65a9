"""One bug: max pooling's backward takes each window from the input as given, not from the
padded input its forward pooled. Without padding the two are the same and dX is right; with
padding the bug shows three ways, depending on the case: wrong values (windows shifted by
the padding), an all-zero dX (every maximum lands in the cropped border) and a broadcasting
ValueError (a window cut short by the image's edge). A reader counts one root cause."""
import numpy as np

from student_nn.layers import *  # noqa: F403
from student_nn.layers import Pool2D as _Pool2D


class Pool2D(_Pool2D):
    def forward(self, X):
        self.cache["X"] = X
        return super().forward(X)

    def backward(self, dY):
        if self.mode != "max":
            return super().backward(dY)
        X = self.cache["X"]
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        dXp = np.zeros(self.cache["padded_shape"])
        for r in range(dY.shape[1]):
            for c in range(dY.shape[2]):
                window = X[:, r * s : r * s + kh, c * s : c * s + kw]   # the bug: X, not Xp
                n, h, w, channels = window.shape
                flat = window.reshape(n, h * w, channels)
                mask = np.zeros_like(flat)
                np.put_along_axis(mask, flat.argmax(axis=1)[:, None], 1.0, axis=1)
                dXp[:, r * s : r * s + kh, c * s : c * s + kw] += (
                    mask.reshape(window.shape) * dY[:, r : r + 1, c : c + 1])
        return dXp[:, ph : dXp.shape[1] - ph, pw : dXp.shape[2] - pw]
