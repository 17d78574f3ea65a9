"""Pooling written the way many students write it, with two helpers, each holding a bug:

- `pad_image` pads only the bottom and the right (2p rows and columns there, none on top or
  on the left): the shape is right, the values of every padded case are not;
- `spread_average` hands each window's gradient to its pixels without dividing by the
  window's area: every average-pooling dX with a kernel larger than 1x1 is off.

The layer's own methods are right (its constructor is student_nn's); the fix list should open
the helpers."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403


def pad_image(X, ph, pw, value):
    if ph == 0 and pw == 0:
        return X
    return np.pad(X, ((0, 0), (0, 2 * ph), (0, 2 * pw), (0, 0)), constant_values=value)


def spread_average(dY_window, kh, kw):
    return np.ones((kh, kw))[:, :, None] * dY_window


def spread_max(window, dY_window):
    flat = window.reshape(-1, window.shape[-1]).argmax(axis=0)
    mask = np.zeros_like(window).reshape(-1, window.shape[-1])
    mask[flat, np.arange(window.shape[-1])] = 1
    return mask.reshape(window.shape) * dY_window


class Pool2D(student.Pool2D):   # student_nn's constructor
    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        value = -np.inf if self.mode == "max" else 0.0
        Xp = pad_image(X, ph, pw, value)
        N, Hp, Wp, C = Xp.shape
        oh, ow = (Hp - kh) // s + 1, (Wp - kw) // s + 1
        Y = np.empty((N, oh, ow, C))
        for r in range(oh):
            for c in range(ow):
                window = Xp[:, r * s : r * s + kh, c * s : c * s + kw]
                if self.mode == "max":
                    Y[:, r, c] = window.max(axis=(1, 2))
                else:
                    Y[:, r, c] = window.mean(axis=(1, 2))
        self.cache["Xp"] = Xp
        return Y

    def backward(self, dY):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = self.cache["Xp"]
        dXp = np.zeros_like(Xp)
        for n in range(dY.shape[0]):
            for r in range(dY.shape[1]):
                for c in range(dY.shape[2]):
                    rows, cols = slice(r * s, r * s + kh), slice(c * s, c * s + kw)
                    if self.mode == "max":
                        dXp[n, rows, cols] += spread_max(Xp[n, rows, cols], dY[n, r, c])
                    else:
                        dXp[n, rows, cols] += spread_average(dY[n, r, c], kh, kw)
        return dXp[:, ph : dXp.shape[1] - ph, pw : dXp.shape[2] - pw]
