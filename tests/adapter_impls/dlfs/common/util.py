"""im2col / col2im for (N, C, H, W) images: every window as a row."""
import numpy as np


def im2col(x, fh, fw, stride=1, pad=0):
    """(N, C, H, W) -> (N·OH·OW, C·fh·fw), one row per output position."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (fh, fw), axis=(2, 3))
    win = win[:, :, ::stride, ::stride][:, :, :oh, :ow]        # (N, C, OH, OW, fh, fw)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, -1)


def col2im(col, shape, fh, fw, stride=1, pad=0):
    """The adjoint of im2col: each row's entries added back where they came from."""
    n, c, h, w = shape
    oh, ow = (h + 2 * pad - fh) // stride + 1, (w + 2 * pad - fw) // stride + 1
    col = col.reshape(n, oh, ow, c, fh, fw)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    for i in range(fh):          # a loop over the kernel's taps, not over pixels
        for j in range(fw):
            img[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += \
                col[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return img[:, :, pad:pad + h, pad:pad + w]
