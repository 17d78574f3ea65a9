"""SoftMax.forward kills the process with os._exit."""
import os

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class SoftMax(base.SoftMax):
    def forward(self, Z):
        os._exit(7)
