"""Bug: layernorm_forward takes the mean and variance over the batch axis (as batchnorm does)
instead of over each sample's features."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
