"""Bug: batchnorm_forward divides by √σ² + ε instead of √(σ² + ε), in train and test mode."""
import numpy as np
from student_nn.cs231n.layers import *  # noqa: F403


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.zeros(x.shape[1]))
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mu, var = running_mean, running_var
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    inv_std = 1.0 / (np.sqrt(var) + eps)
    x_hat = (x - mu) * inv_std
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return gamma * x_hat + beta, (x - mu, x_hat, inv_std, gamma, mode)
