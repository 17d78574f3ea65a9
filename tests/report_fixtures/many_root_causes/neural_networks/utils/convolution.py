import numpy as np


def pad_widths(pad, kernel_shape):
    """(top, bottom, left, right) for pad "same" | "valid" | int | (ph, pw) | 4-tuple."""
    kernel_height, kernel_width = kernel_shape
    if pad == "same":
        ph, pw = (kernel_height - 1) // 2, (kernel_width - 1) // 2
    elif pad == "valid":
        ph, pw = 0, 0
    elif isinstance(pad, int):
        ph, pw = pad, pad
    elif len(pad) == 2:
        ph, pw = pad
    else:
        return tuple(pad)
    return (ph, ph, pw, pw)


def pad2d(X, pad, kernel_shape, stride=None):
    """Zero-pad the rows and columns of an NHWC batch; returns (X_pad, widths)."""
    p = pad_widths(pad, kernel_shape)
    X_pad = np.pad(X, ((0, 0), (p[0], p[1]), (p[2], p[3]), (0, 0)), mode="constant")
    return X_pad, p


def im2col(X, kernel_shape, stride, pad):
    """Every kernel window of the padded X as a column: (kh*kw*C, out_rows*out_cols*N)."""
    X_pad, p = pad2d(X, pad, kernel_shape, stride)
    n_examples, rows, cols, channels = X_pad.shape
    kernel_height, kernel_width = kernel_shape
    out_rows = (rows - kernel_height) // stride + 1
    out_cols = (cols - kernel_width) // stride + 1
    X_col = np.empty((kernel_height, kernel_width, channels, out_rows, out_cols, n_examples))
    for i in range(kernel_height):
        for j in range(kernel_width):
            tap = X_pad[:, i:i + stride * out_rows:stride, j:j + stride * out_cols:stride, :]
            X_col[i, j] = tap.transpose(3, 1, 2, 0)
    return X_col.reshape(kernel_height * kernel_width * channels, -1), p


def col2im(X_col, X, W_shape, stride, pad):
    """The adjoint of im2col: columns summed back onto an image shaped like X (NHWC)."""
    p = pad
    n_examples, in_rows, in_cols, channels = X.shape
    kernel_height, kernel_width = W_shape[0], W_shape[1]
    rows, cols = in_rows + p[0] + p[1], in_cols + p[2] + p[3]
    out_rows = (rows - kernel_height) // stride + 1
    out_cols = (cols - kernel_width) // stride + 1
    X_col = X_col.reshape(kernel_height, kernel_width, channels, out_rows, out_cols, n_examples)
    X_pad = np.zeros((n_examples, rows, cols, channels))
    for i in range(kernel_height):
        for j in range(kernel_width):
            X_pad[:, i:i + stride * out_rows:stride, j:j + stride * out_cols:stride, :] += \
                X_col[i, j].transpose(3, 1, 2, 0)
    return X_pad[:, p[0]:p[0] + in_rows, p[2]:p[2] + in_cols, :]
