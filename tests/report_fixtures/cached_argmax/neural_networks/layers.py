"""Max pooling written the way many students write it, with its argmax in a helper.
`window_argmax` numbers each window's entries column by column (t = j·kh + i) where
backward reads them row by row (t = i·kw + j): forward's output is right, but the argmax
it caches is not, and dX goes to the wrong entry of every window whose maximum is off its
diagonal.

Pool2D.backward is right; the fix list should open the helper forward called, not the
backward that read what forward cached."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403


def window_argmax(win):
    n, kh, kw, c = win.shape
    return win.transpose(0, 2, 1, 3).reshape(n, kh * kw, c).argmax(axis=1)


class Pool2D(student.Pool2D):   # student_nn's constructor
    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        fill = -np.inf if self.mode == "max" else 0.0
        Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)
        oh, ow = (Xp.shape[1] - kh) // s + 1, (Xp.shape[2] - kw) // s + 1
        Y = np.empty((len(X), oh, ow, X.shape[3]))
        argmax = np.zeros(Y.shape, dtype=int)
        for r in range(oh):
            for c in range(ow):
                win = Xp[:, r * s : r * s + kh, c * s : c * s + kw]
                if self.mode == "max":
                    Y[:, r, c] = win.max(axis=(1, 2))
                    argmax[:, r, c] = window_argmax(win)
                else:
                    Y[:, r, c] = win.mean(axis=(1, 2))
        self.cache.update(padded_shape=Xp.shape, argmax=argmax)
        return Y

    def backward(self, dY):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        dXp = np.zeros(self.cache["padded_shape"])
        n, ch = np.ogrid[: len(dY), : dY.shape[3]]
        for r in range(dY.shape[1]):
            for c in range(dY.shape[2]):
                if self.mode == "max":
                    i, j = np.divmod(self.cache["argmax"][:, r, c], kw)
                    np.add.at(dXp, (n, r * s + i, c * s + j, ch), dY[:, r, c])
                else:
                    dXp[:, r * s : r * s + kh, c * s : c * s + kw] += (
                        dY[:, r, c][:, None, None] / (kh * kw))
        return dXp[:, ph : dXp.shape[1] - ph, pw : dXp.shape[2] - pw]
