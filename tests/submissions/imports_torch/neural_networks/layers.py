"""Conv2D through torch: a from-scratch assignment must not."""
import numpy as np
import torch

from student_nn import layers as base
from student_nn.layers import *  # noqa: F401,F403


class Conv2D(base.Conv2D):
    def forward(self, X):
        return torch.from_numpy(np.asarray(X)).numpy()
