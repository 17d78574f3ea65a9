"""TanH.forward never returns."""
from student_nn import activations as base
from student_nn.activations import *  # noqa: F401,F403


class TanH(base.TanH):
    def forward(self, Z):
        while True:
            pass
