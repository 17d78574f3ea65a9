"""Pool2D written the way many students write it, its output size computed by a helper.
`out_size`, called once per spatial axis, forgets the +1 of (H + 2p − k)//s + 1: every
output has the wrong height and width.

Pool2D's own methods are right; every case fails, so no right run says what any value
should be, but the wrong sizes are the output's own, and `out_size` returned them first,
from the case's own sizes."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s


class Pool2D(student.Pool2D):   # student_nn's constructor
    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        fill = -np.inf if self.mode == "max" else 0.0
        Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)
        oh, ow = out_size(X.shape[1], kh, s, ph), out_size(X.shape[2], kw, s, pw)
        taps = np.stack([Xp[:, i : i + s * oh : s, j : j + s * ow : s]
                         for i in range(kh) for j in range(kw)])   # (kh·kw, N, oh, ow, C)
        self.cache.update(Xp=Xp, argmax=taps.argmax(axis=0))
        return taps.max(axis=0) if self.mode == "max" else taps.mean(axis=0)

    def backward(self, dY):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp, argmax = self.cache["Xp"], self.cache["argmax"]
        oh, ow = dY.shape[1:3]
        dXp = np.zeros_like(Xp)
        for t in range(kh * kw):
            i, j = divmod(t, kw)
            share = dY * (argmax == t) if self.mode == "max" else dY / (kh * kw)
            dXp[:, i : i + s * oh : s, j : j + s * ow : s] += share
        return dXp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw]
