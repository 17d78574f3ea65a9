"""Two layers written the way many students write them, each with a bug in a helper that
every case runs, so that which lines ran cannot tell the helper from its caller:

- `pool_padding`, which Pool2D's constructor calls, pads "same" with k//2 rows and columns,
  one too many for an even kernel (the padding is (k-1)//2);
- `unpad`, which ends Conv2D's backward, slices dXp[:, p:-p], which is empty when there is
  no padding (p = 0): dX is wrong for every unpadded case.

The layers' own methods are right; the fix list should open the helpers, because the values
say so: each helper returns a wrong value made from right ones."""
import numpy as np

from student_nn import layers as student
from student_nn.layers import *  # noqa: F403
from student_nn.layers import Layer


def pool_padding(pad, kernel_shape):
    if pad == "same":
        return kernel_shape[0] // 2, kernel_shape[1] // 2
    if pad == "valid":
        return 0, 0
    return pad, pad


def unpad(dXp, ph, pw):
    return dXp[:, ph:-ph, pw:-pw]


def pad_image(X, ph, pw, value=0.0):
    return np.pad(X, ((0, 0), (ph, ph), (pw, pw), (0, 0)), constant_values=value)


class Conv2D(student.Conv2D):   # student_nn's constructor and _init_parameters
    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        W, b = self.parameters["W"], self.parameters["b"]
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = pad_image(X, ph, pw)
        N, Hp, Wp, _ = Xp.shape
        oh, ow = (Hp - kh) // s + 1, (Wp - kw) // s + 1
        Z = np.empty((N, oh, ow, W.shape[3]))
        for r in range(oh):
            for c in range(ow):
                window = Xp[:, r * s : r * s + kh, c * s : c * s + kw]
                Z[:, r, c] = np.tensordot(window, W, axes=3) + b[0]
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
        return unpad(dXp, ph, pw)


class Pool2D(Layer):
    def __init__(self, kernel_shape, mode="max", stride=1, pad=0):
        super().__init__()
        self.kernel_shape = tuple(kernel_shape)
        self.mode = mode
        self.stride = stride
        self.pads = pool_padding(pad, self.kernel_shape)

    def forward(self, X):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = pad_image(X, ph, pw, -np.inf if self.mode == "max" else 0.0)
        N, Hp, Wp, C = Xp.shape
        oh, ow = (Hp - kh) // s + 1, (Wp - kw) // s + 1
        Y = np.empty((N, oh, ow, C))
        for r in range(oh):
            for c in range(ow):
                window = Xp[:, r * s : r * s + kh, c * s : c * s + kw]
                Y[:, r, c] = window.max(axis=(1, 2)) if self.mode == "max" else window.mean(
                    axis=(1, 2))
        self.cache["Xp"] = Xp
        return Y

    def backward(self, dY):
        (kh, kw), s, (ph, pw) = self.kernel_shape, self.stride, self.pads
        Xp = self.cache["Xp"]
        dXp = np.zeros_like(Xp)
        for r in range(dY.shape[1]):
            for c in range(dY.shape[2]):
                rows, cols = slice(r * s, r * s + kh), slice(c * s, c * s + kw)
                window = Xp[:, rows, cols]
                if self.mode == "max":
                    mask = window == window.max(axis=(1, 2), keepdims=True)
                    dXp[:, rows, cols] += mask * dY[:, r, c][:, None, None]
                else:
                    dXp[:, rows, cols] += dY[:, r, c][:, None, None] / (kh * kw)
        return dXp[:, ph : Xp.shape[1] - ph, pw : Xp.shape[2] - pw]
