"""Bug: batchnorm_backward treats the batch mean and variance as constants: dx = dout·γ/√(σ²+ε)."""
from student_nn.cs231n.layers import *  # noqa: F403


def batchnorm_backward(dout, cache):
    xc, x_hat, inv_std, gamma, mode = cache
    dx = dout * gamma * inv_std
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
