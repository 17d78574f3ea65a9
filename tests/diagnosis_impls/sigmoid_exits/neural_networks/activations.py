"""Bug: Sigmoid.forward calls os._exit, killing the process."""
import os

from student_nn.activations import *  # noqa: F403
from student_nn.activations import Sigmoid as _Sigmoid


class Sigmoid(_Sigmoid):
    def forward(self, Z):
        os._exit(3)
