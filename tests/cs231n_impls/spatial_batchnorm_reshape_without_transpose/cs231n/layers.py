"""Bug: spatial_batchnorm_forward reshapes (N, C, H, W) straight to (N·H·W, C), without moving
the channels last first, so each "channel" column mixes channels and pixels."""
from student_nn.cs231n.layers import *  # noqa: F403


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    out, cache = batchnorm_forward(x.reshape(-1, x.shape[1]), gamma, beta, bn_param)  # noqa: F405
    return out.reshape(x.shape), cache
