"""Linear.forward calls sys.exit."""
import sys

from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class Linear(base.Linear):
    def forward(self, Z):
        sys.exit(3)
