"""ReLU.forward is still a stub."""
from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class ReLU(base.ReLU):
    def forward(self, Z):
        return ...
