"""Conv2D and Pool2D written the way many students write them, sharing a helper. `window`,
the kh×kw window at output pixel (r, c), starts it at (r, c) rather than (r·s, c·s): wrong
for every stride above 1, in Conv2D.forward and in Pool2D's `_max_pool` alike (average
pooling slices its windows itself, and is right).

Neither layer's own methods are wrong. Within Conv2D every case runs `window` as it runs
the method, so Conv2D's runs alone cannot tell them apart; Pool2D's point at `_max_pool`,
and what the two layers' failing runs have in common beneath it is `window`."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403


def out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def window(Xp, r, c, kh, kw, s):
    return Xp[:, r : r + kh, c : c + kw]


class Conv2D(student.Conv2D):   # student_nn's constructor and _init_parameters
    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        W, b = self.parameters["W"], self.parameters["b"]
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
        oh, ow = (Xp.shape[1] - kh) // s + 1, (Xp.shape[2] - kw) // s + 1
        Z = np.empty((len(X), oh, ow, W.shape[3]))
        for r in range(oh):
            for c in range(ow):
                Z[:, r, c] = np.tensordot(window(Xp, r, c, kh, kw, s), W, axes=3) + b[0]
        self.cache.update(Xp=Xp, Z=Z)
        return self.activation(Z)

    def backward(self, dY):
        W, Xp, Z = self.parameters["W"], self.cache["Xp"], self.cache["Z"]
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        dZ = self.activation.backward(Z, dY)
        dXp, dW = np.zeros_like(Xp), np.zeros_like(W)
        for r in range(dZ.shape[1]):
            for c in range(dZ.shape[2]):
                rows, cols = slice(r * s, r * s + kh), slice(c * s, c * s + kw)
                dW += np.tensordot(Xp[:, rows, cols], dZ[:, r, c], axes=([0], [0]))
                dXp[:, rows, cols] += np.tensordot(dZ[:, r, c], W, axes=([1], [3]))
        self.gradients["W"] = dW
        self.gradients["b"] = dZ.sum(axis=(0, 1, 2))[None]
        return dXp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw]


class Pool2D(student.Pool2D):   # student_nn's constructor
    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        fill = -np.inf if self.mode == "max" else 0.0
        Xp = np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=fill)
        oh, ow = out_size(X.shape[1], kh, s, ph), out_size(X.shape[2], kw, s, pw)
        self.cache["Xp"] = Xp
        if self.mode == "max":
            return self._max_pool(Xp, oh, ow)
        Y = np.zeros((len(X), oh, ow, X.shape[3]))
        for i in range(kh):
            for j in range(kw):
                Y += Xp[:, i : i + s * oh : s, j : j + s * ow : s]
        return Y / (kh * kw)

    def _max_pool(self, Xp, oh, ow):
        (kh, kw), s = self.kernel_shape, self.stride
        Y = np.empty((len(Xp), oh, ow, Xp.shape[3]))
        for r in range(oh):
            for c in range(ow):
                Y[:, r, c] = window(Xp, r, c, kh, kw, s).max(axis=(1, 2))
        return Y

    def backward(self, dY):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = self.cache["Xp"]
        dXp = np.zeros_like(Xp)
        for r in range(dY.shape[1]):
            for c in range(dY.shape[2]):
                rows, cols = slice(r * s, r * s + kh), slice(c * s, c * s + kw)
                win = Xp[:, rows, cols]
                if self.mode == "max":
                    mask = win == win.max(axis=(1, 2), keepdims=True)
                    dXp[:, rows, cols] += mask * dY[:, r, c][:, None, None]
                else:
                    dXp[:, rows, cols] += dY[:, r, c][:, None, None] / (kh * kw)
        return dXp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw]
