"""Two layers written the way many students write them, each raising an exception in one
function on a value that another function made wrong:

- Pool2D's `out_size` divides with `/`: the output size is a float (3.0 for 3), and
  `np.zeros` in Pool2D.forward raises a TypeError (every case, max and average);
- Conv2D's `tap`, entry (i, j) of every window, ends its rows at i + oh where they end at
  i + s·oh: with a stride above 1 (and more than one output row) the slice is too short,
  and Conv2D.backward raises a ValueError where it uses it.

The traceback of each names the line that raised; the fix list should open the function
that made the value, because the values say so."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403


def out_size(size, k, s, p):
    return (size + 2 * p - k) / s + 1


def tap(Xp, i, j, oh, ow, s):
    return Xp[:, i : i + oh : s, j : j + s * ow : s]


class Conv2D(student.Conv2D):   # student_nn's constructor and forward
    def backward(self, dY):
        W, Z = self.parameters["W"], self.cache["Z"]
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        dZ = self.activation.backward(Z, dY)
        oh, ow = dZ.shape[1:3]
        Xp = np.pad(self.cache["X"], ((0, 0), (ph, ph), (pw, pw), (0, 0)))
        dXp, dW = np.zeros_like(Xp), np.zeros_like(W)
        for i in range(kh):
            for j in range(kw):
                dW[i, j] = np.tensordot(tap(Xp, i, j, oh, ow, s), dZ, axes=([0, 1, 2], [0, 1, 2]))
                tap(dXp, i, j, oh, ow, s)[...] += dZ @ W[i, j].T
        self.gradients["W"] = dW
        self.gradients["b"] = dZ.sum(axis=(0, 1, 2))[None]
        return dXp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw]


class Pool2D(student.Pool2D):   # student_nn's constructor
    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        fill = -np.inf if self.mode == "max" else 0.0
        Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)
        oh, ow = out_size(X.shape[1], kh, s, ph), out_size(X.shape[2], kw, s, pw)
        Y = np.zeros((len(X), oh, ow, X.shape[3]))
        for r in range(Y.shape[1]):
            for c in range(Y.shape[2]):
                window = Xp[:, r * s : r * s + kh, c * s : c * s + kw]
                Y[:, r, c] = window.max(axis=(1, 2)) if self.mode == "max" else \
                    window.mean(axis=(1, 2))
        self.cache["Xp"] = Xp
        return Y
